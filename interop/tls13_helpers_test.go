package interop

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// Shared helpers of the TLS 1.3 interop tests (tls13_*_test.go). The TLS
// 1.2 tests pin MaxVersion to 1.2; these pin MinVersion to 1.3 on the clasp
// side so that a silent fallback to 1.2 fails the handshake instead of
// passing unnoticed.

// tls13SuiteNames are the three TLS 1.3 suites clasp implements.
var tls13SuiteNames = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}

// tls13KeyTypes are the certificate key types every TLS 1.3 suite can use:
// RSA-2048 (signing with RSA-PSS, the only RSA CertificateVerify TLS 1.3
// allows), ECDSA P-256 and Ed25519.
var tls13KeyTypes = []string{"rsa", "ecdsa", "ed25519"}

// x25519MLKEM768 is the hybrid group. The root package names the classical
// groups but has no exported constant for the hybrid one, so it comes from
// the registry.
const x25519MLKEM768 = suites.X25519MLKEM768

// claspClient13 is a clasp client that speaks TLS 1.3 only and trusts the
// PKI, with an optional single suite.
func claspClient13(pki *peertest.PKI, suite string) *clasp.Config {
	cfg := &clasp.Config{
		MinVersion: clasp.VersionTLS13,
		RootCAs:    pki.CAPool,
		ServerName: "localhost",
	}
	if suite != "" {
		cfg.CipherSuites = []uint16{peertest.SuiteID13(suite)}
	}
	return cfg
}

// claspServer13 is a clasp server that speaks TLS 1.3 only with one leaf,
// with an optional single suite.
func claspServer13(leaf *peertest.Leaf, suite string) *clasp.Config {
	cfg := &clasp.Config{
		MinVersion:   clasp.VersionTLS13,
		Certificates: []clasp.Certificate{claspCert(leaf)},
	}
	if suite != "" {
		cfg.CipherSuites = []uint16{peertest.SuiteID13(suite)}
	}
	return cfg
}

// wantClasp13 checks what a clasp side says was negotiated: TLS 1.3 and,
// when given, the suite and group.
func wantClasp13(t *testing.T, side string, st clasp.ConnectionState, suite string, group clasp.CurveID) {
	t.Helper()
	if st.Version != clasp.VersionTLS13 {
		t.Errorf("clasp %s: version %s, want TLS 1.3", side, clasp.VersionName(st.Version))
	}
	if suite != "" && st.CipherSuiteName != suite {
		t.Errorf("clasp %s: suite %s, want %s", side, st.CipherSuiteName, suite)
	}
	if group != 0 && st.CurveID != group {
		t.Errorf("clasp %s: group %s, want %s", side, st.CurveID, group)
	}
}

// claspServe13 serves n connections on a clasp listener, one at a time, with
// handle run after the handshake; each connection is closed afterwards.
// Results arrive in order. The listener closes when the test ends.
func claspServe13(t *testing.T, cfg *clasp.Config, n int, handle func(*clasp.Conn) error) (string, <-chan serverResult) {
	t.Helper()
	ln, err := clasp.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	results := make(chan serverResult, n)
	go func() {
		for i := 0; i < n; i++ {
			conn, err := ln.Accept()
			if err != nil {
				results <- serverResult{err: err}
				return
			}
			cc := conn.(*clasp.Conn)
			_ = cc.SetDeadline(time.Now().Add(15 * time.Second))
			res := serverResult{}
			if res.err = cc.Handshake(); res.err == nil && handle != nil {
				res.err = handle(cc)
			}
			res.state = cc.ConnectionState()
			cc.Close()
			results <- res
		}
	}()
	return ln.Addr().String(), results
}

// echoLine13 is a claspServe13 handler: it reads one line and answers
// "clasp echo: LINE". The answer is the server's first write, so it also
// carries the NewSessionTicket clasp queued at the end of the handshake.
func echoLine13(conn *clasp.Conn) error {
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the client's line: %w", err)
	}
	_, err = io.WriteString(conn, "clasp echo: "+strings.TrimRight(line, "\r\n")+"\n")
	return err
}

// wantHelloRetryServer13 serves one connection on a clasp server with cfg
// to client, a peer (named peer) that sends "retry\n" to addr after its
// first ClientHello offered no share the server takes: the peer's output
// must hold wants and clasp's echo, and the server must have negotiated
// P-384 through a HelloRetryRequest.
func wantHelloRetryServer13(t *testing.T, cfg *clasp.Config, peer string, client func(addr string) (string, error), wants ...string) {
	t.Helper()
	addr, results := claspServe13(t, cfg, 1, echoLine13)
	out, err := client(addr)
	if err != nil {
		t.Fatalf("%s: %v\n%s", peer, err, out)
	}
	wantOutput(t, peer, out, append(wants, "clasp echo: retry")...)
	res := nextResult(t, results)
	if res.err != nil {
		t.Fatalf("clasp server: %v", res.err)
	}
	wantClasp13(t, "server", res.state, "", clasp.CurveP384)
	if !res.state.DidHelloRetryRequest {
		t.Errorf("clasp server: DidHelloRetryRequest false")
	}
}

// nextResult waits for the clasp server's result of one connection.
func nextResult(t *testing.T, results <-chan serverResult) serverResult {
	t.Helper()
	select {
	case res := <-results:
		return res
	case <-time.After(25 * time.Second):
		t.Fatal("the clasp server saw no connection")
		return serverResult{}
	}
}

// keyLog collects a clasp side's NSS key log so that tests can see which
// traffic secret generations it installed (CLIENT_TRAFFIC_SECRET_1 after
// the client's first KeyUpdate, and so on).
type keyLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (k *keyLog) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.buf.Write(p)
}

// has reports whether a line with this label was logged.
func (k *keyLog) has(label string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return strings.Contains(k.buf.String(), label+" ")
}

func (k *keyLog) labels() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for _, line := range strings.Split(k.buf.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			out = append(out, f[0])
		}
	}
	return strings.Join(out, " ")
}

// wantAlert checks that err carries the peer's alert of this name.
func wantAlert(t *testing.T, err error, name string) {
	t.Helper()
	var ae *clasp.AlertReceivedError
	if !errors.As(err, &ae) || ae.Name() != name {
		t.Errorf("error %v, want the peer's %s alert", err, name)
	}
}

// tls13Cases counts the TLS 1.3 interop cases run and passed, per peer,
// for the summary TestTLS13Summary logs.
var tls13Cases = struct {
	sync.Mutex
	run, passed map[string]int
}{run: map[string]int{}, passed: map[string]int{}}

// countCase counts t for peer, as passed when it ends without failing.
// Skipped cases are not counted.
func countCase(t *testing.T, peer string) {
	t.Cleanup(func() {
		if t.Skipped() {
			return
		}
		tls13Cases.Lock()
		defer tls13Cases.Unlock()
		tls13Cases.run[peer]++
		if !t.Failed() {
			tls13Cases.passed[peer]++
		}
	})
}

// caseCounts renders the counts, one "peer  passed/run" per line, peers
// sorted, and the totals.
func caseCounts() (table string, passed, run int) {
	tls13Cases.Lock()
	defer tls13Cases.Unlock()
	var peers []string
	for p, n := range tls13Cases.run {
		peers = append(peers, p)
		run += n
		passed += tls13Cases.passed[p]
	}
	sort.Strings(peers)
	var b strings.Builder
	for _, p := range peers {
		fmt.Fprintf(&b, "  %-30s %3d/%d\n", p, tls13Cases.passed[p], tls13Cases.run[p])
	}
	return b.String(), passed, run
}

// dialClasp13 connects a clasp client with a deadline on the connection.
func dialClasp13(t *testing.T, addr string, cfg *clasp.Config) *clasp.Conn {
	t.Helper()
	conn, err := clasp.DialWithDialer(&net.Dialer{Timeout: 15 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("clasp client: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	return conn
}

// asHandshakeError returns the HandshakeError in err's chain, or nil.
func asHandshakeError(err error) *clasp.HandshakeError {
	var he *clasp.HandshakeError
	if errors.As(err, &he) {
		return he
	}
	return nil
}
