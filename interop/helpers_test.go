package interop

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// implementedSuiteNames are the IANA names of every TLS 1.2 suite clasp
// implements, the set the OpenSSL tests cover in both directions.
func implementedSuiteNames() []string {
	var names []string
	for _, id := range suites.ImplementedSuites() {
		names = append(names, id.String())
	}
	return names
}

// claspClientConfig pins a clasp client to TLS 1.2 and one suite and
// trusts the PKI.
func claspClientConfig(pki *peertest.PKI, suite string) *clasp.Config {
	return &clasp.Config{
		MaxVersion:   clasp.VersionTLS12,
		RootCAs:      pki.CAPool,
		ServerName:   "localhost",
		CipherSuites: []uint16{peertest.SuiteID(suite)},
		Groups:       []clasp.CurveID{clasp.X25519, clasp.CurveP256, clasp.CurveP384, clasp.FFDHE2048, clasp.FFDHE3072, clasp.FFDHE4096},
	}
}

// claspGet connects a clasp client to an HTTP-answering peer, sends a GET
// and returns the whole answer (the peers close after answering).
func claspGet(t *testing.T, addr string, cfg *clasp.Config) (string, clasp.ConnectionState) {
	t.Helper()
	conn, err := clasp.DialWithDialer(&net.Dialer{Timeout: 15 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("clasp client: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	body, err := io.ReadAll(conn)
	if err != nil && len(body) == 0 {
		t.Fatalf("read: %v", err)
	}
	return string(body), conn.ConnectionState()
}

// serverResult is what a clasp test server saw of one connection.
type serverResult struct {
	state clasp.ConnectionState
	line  string
	err   error
}

// startClaspServer serves n connections: each runs the handshake, reads one
// line, answers "clasp echo: LINE" and closes. Results arrive in order.
func startClaspServer(t *testing.T, cfg *clasp.Config, n int) (string, <-chan serverResult) {
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
			results <- serveOne(conn.(*clasp.Conn))
		}
	}()
	return ln.Addr().String(), results
}

func serveOne(conn *clasp.Conn) serverResult {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	if err := conn.Handshake(); err != nil {
		return serverResult{err: err}
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	res := serverResult{state: conn.ConnectionState(), line: strings.TrimRight(line, "\r\n"), err: err}
	if err == nil {
		_, res.err = io.WriteString(conn, "clasp echo: "+res.line+"\n")
	}
	return res
}

// claspServerConfig pins a clasp server to TLS 1.2 and one suite with the
// fitting leaf.
func claspServerConfig(pki *peertest.PKI, suite string) *clasp.Config {
	return &clasp.Config{
		MaxVersion:   clasp.VersionTLS12,
		Certificates: []clasp.Certificate{claspCert(pki.LeafFor(suite))},
		CipherSuites: []uint16{peertest.SuiteID(suite)},
	}
}

// wantServer checks what the clasp server saw: the suite and the line.
func wantServer(t *testing.T, results <-chan serverResult, suite, line string) {
	t.Helper()
	select {
	case res := <-results:
		if res.err != nil {
			t.Fatalf("clasp server: %v", res.err)
		}
		if got := suites.ID(res.state.CipherSuite).String(); got != suite {
			t.Errorf("clasp server negotiated %s, want %s", got, suite)
		}
		if res.line != line {
			t.Errorf("clasp server read %q, want %q", res.line, line)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("clasp server saw no connection")
	}
}
