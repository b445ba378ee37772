package interop

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/trace"
)

// Shared helpers of the session, renegotiation and mutual-TLS interop tests
// (tls12_sessions_test.go, renegotiation_test.go, mtls_test.go).

// loopResult is what a loop server saw of one connection. state is taken
// right after the handshake, so it is valid even when the client hung up
// without sending anything (s_client -reconnect does).
type loopResult struct {
	state clasp.ConnectionState
	err   error // the handshake's error, or the handler's
}

// loopServer accepts connections until the test ends. Each is wrapped with
// the Config that cfg returns at accept time, so a test can change the
// server's configuration between two connections of one client.
type loopServer struct {
	addr    string
	results chan loopResult
}

// startLoopServer serves every connection with handle (answerLine when
// nil) after the handshake.
func startLoopServer(t *testing.T, cfg func() *clasp.Config, handle func(*clasp.Conn) error) *loopServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if handle == nil {
		handle = answerLine
	}
	s := &loopServer{addr: ln.Addr().String(), results: make(chan loopResult, 64)}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			conn := clasp.Server(raw, cfg())
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
				res := loopResult{err: conn.Handshake()}
				res.state = conn.ConnectionState()
				if res.err == nil {
					res.err = handle(conn)
				}
				s.results <- res
			}()
		}
	}()
	return s
}

// next returns the next connection's result.
func (s *loopServer) next(t *testing.T) loopResult {
	t.Helper()
	select {
	case r := <-s.results:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("the clasp server saw no (further) connection")
		return loopResult{}
	}
}

// answerLine reads one line and answers "clasp echo: LINE". A client that
// hangs up first (s_client -reconnect) is not an error.
func answerLine(conn *clasp.Conn) error {
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		if line == "" && (errors.Is(err, io.EOF) || isReset(err)) {
			return nil
		}
		return err
	}
	_, err = io.WriteString(conn, "clasp echo: "+strings.TrimRight(line, "\r\n")+"\n")
	return err
}

// echoAll echoes every line back until the client closes.
func echoAll(conn *clasp.Conn) error {
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) || isReset(err) {
				return nil
			}
			return err
		}
		if _, err := io.WriteString(conn, "clasp echo: "+strings.TrimRight(line, "\r\n")+"\n"); err != nil {
			return err
		}
	}
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}

// fixedConfig is a loop-server Config source that never changes.
func fixedConfig(cfg *clasp.Config) func() *clasp.Config { return func() *clasp.Config { return cfg } }

// swappableConfig is a loop-server Config source a test can replace between
// connections.
type swappableConfig struct {
	mu  sync.Mutex
	cfg *clasp.Config
}

func (s *swappableConfig) get() *clasp.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

func (s *swappableConfig) set(cfg *clasp.Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg = cfg
}

// handshakeTally is a Tracer that counts, over every connection of a
// Config, completed handshakes (renegotiations included) and alerts sent
// and received.
//
// A handshake counts when this side receives the peer's Finished: clasp
// emits trace.Done for the first handshake of a connection only, not for a
// renegotiation.
type handshakeTally struct {
	mu         sync.Mutex
	done       int
	sentAlerts []string
	recvAlerts []string
	sessions   []string // "session" decisions: "resumed (session ticket)", "full handshake: WHY"
}

func (h *handshakeTally) Trace(e trace.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch ev := e.(type) {
	case *trace.Message:
		if ev.Direction == trace.Received && ev.ContentType == 22 && ev.HandshakeType == 20 {
			h.done++
		}
	case *trace.Decision:
		if ev.What == "session" {
			d := ev.Chosen
			if !strings.HasPrefix(d, "resumed") {
				d += ": " + ev.Reason
			}
			h.sessions = append(h.sessions, d)
		}
	case *trace.Alert:
		name := ev.Name
		if ev.Level == 1 {
			name = "warning " + name
		}
		if ev.Direction == trace.Sent {
			h.sentAlerts = append(h.sentAlerts, name)
		} else {
			h.recvAlerts = append(h.recvAlerts, name)
		}
	}
}

func (h *handshakeTally) handshakes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.done
}

// sessionDecisions returns the "session" decisions so far, and forgets them.
func (h *handshakeTally) sessionDecisions() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.sessions
	h.sessions = nil
	return d
}

func (h *handshakeTally) sent() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.sentAlerts, ", ")
}

// waitHandshakes polls until the tally has counted n handshakes.
func (h *handshakeTally) waitHandshakes(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for h.handshakes() < n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// liveClient is a client peer (openssl s_client, gnutls-cli) whose standard
// input stays open, so a test can type commands ("R" renegotiates in
// s_client) and lines one at a time and watch the output between them.
type liveClient struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	mu    sync.Mutex
	out   bytes.Buffer
	done  chan struct{}
}

func (c *liveClient) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Write(p)
}

func (c *liveClient) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// send types s on the client's standard input.
func (c *liveClient) send(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(c.stdin, s); err != nil {
		t.Fatalf("writing to the client's stdin: %v\n%s", err, c.output())
	}
}

// count reports how often substr appears in the output.
func (c *liveClient) count(substr string) int { return strings.Count(c.output(), substr) }

// waitCount polls until substr appears at least n times in the output.
func (c *liveClient) waitCount(substr string, n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for c.count(substr) < n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

func (c *liveClient) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// startLiveClient starts bin with argv; it is killed when the test ends.
func startLiveClient(t *testing.T, bin string, argv ...string) *liveClient {
	t.Helper()
	peertest.Require(t, bin)
	c := &liveClient{cmd: exec.Command(bin, argv...), done: make(chan struct{})}
	c.cmd.Stdout, c.cmd.Stderr = c, c
	var err error
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	c.cmd.WaitDelay = 2 * time.Second
	t.Logf("starting client: %s %s", bin, strings.Join(argv, " "))
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	go func() { _ = c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		c.stdin.Close()
		_ = c.cmd.Process.Kill()
		<-c.done
	})
	return c
}

// startSClient starts `openssl s_client` against addr, verifying the
// server against the PKI, with its standard input left open. Without
// -ign_eof/-quiet/-nocommands, a line starting with "R" renegotiates and "Q"
// quits; other lines are sent as data.
func startSClient(t *testing.T, addr string, args ...string) *liveClient {
	t.Helper()
	pki := peertest.NewPKI(t)
	argv := append([]string{"s_client", "-connect", addr, "-servername", "localhost",
		"-CAfile", pki.CACertFile, "-verify_return_error", "-verify_hostname", "localhost"}, args...)
	return startLiveClient(t, "openssl", argv...)
}

// otherCA is a second, unrelated CA with one client leaf: a certificate the
// PKI's CA never signed. Its subject deliberately differs from the PKI CA's.
type otherCA struct {
	caCert   *x509.Certificate
	caFile   string
	leaf     clasp.Certificate
	goLeaf   tls.Certificate
	certFile string
	keyFile  string
}

var (
	otherCAOnce sync.Once
	otherCAVal  *otherCA
	otherCAErr  error
)

// newOtherCA returns the test binary's second CA, made on first use, with
// its files in a directory that lives as long as the test binary's PKI.
func newOtherCA(t *testing.T) *otherCA {
	t.Helper()
	pki := peertest.NewPKI(t)
	otherCAOnce.Do(func() { otherCAVal, otherCAErr = makeOtherCA(pki.Dir) })
	if otherCAErr != nil {
		t.Fatalf("making the second CA: %v", otherCAErr)
	}
	return otherCAVal
}

func makeOtherCA(dir string) (*otherCA, error) {
	notBefore := time.Now().Add(-time.Hour)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(100), Subject: pkix.Name{CommonName: "rogue CA", Organization: []string{"not the peertest PKI"}},
		NotBefore: notBefore, NotAfter: notBefore.Add(48 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(101), Subject: pkix.Name{CommonName: "rogue client", Organization: []string{"not the peertest PKI"}},
		NotBefore: notBefore, NotAfter: notBefore.Add(48 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), caKey)
	if err != nil {
		return nil, err
	}
	leafCert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	o := &otherCA{
		caCert:   caCert,
		caFile:   filepath.Join(dir, "rogue-ca.pem"),
		certFile: filepath.Join(dir, "rogue-client.pem"),
		keyFile:  filepath.Join(dir, "rogue-client.key"),
		leaf:     clasp.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key, Leaf: leafCert},
		goLeaf:   tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key, Leaf: leafCert},
	}
	for path, data := range map[string][]byte{
		o.caFile:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		o.certFile: append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...),
		o.keyFile:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// mustContain fails the test for every want missing from out.
func mustContain(t *testing.T, who, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s output lacks %q:\n%s", who, w, out)
		}
	}
}

// alertName digs the alert out of a clasp error: one received from the
// peer (AlertReceivedError) or one this side sent (HandshakeError.AlertSent).
func alertName(err error) (name string, sent bool) {
	var ae *clasp.AlertReceivedError
	if errors.As(err, &ae) {
		return ae.Name(), false
	}
	var he *clasp.HandshakeError
	if errors.As(err, &he) && he.AlertSent {
		return clasp.AlertError(he.Alert).Name(), true
	}
	return "", false
}
