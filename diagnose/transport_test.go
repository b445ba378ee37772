package diagnose_test

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/diagnose"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// A plain HTTP server on the port a TLS client dials.
func TestNotTLSHTTPServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "plain") }))
	defer srv.Close()
	cfg := &clasp.Config{ServerName: "localhost"}
	err, rec := dialClasp(t, srv.Listener.Addr().String(), cfg)
	d := diagnose.ExplainWithConfig(err, rec, "client", time.Now(), cfg)
	expect(t, d, diagnose.CauseNotTLS, "an HTTP response", "HTTP/1.", "http://")
}

// A plain HTTP client talking to a clasp server.
func TestNotTLSHTTPClientServerSide(t *testing.T) {
	pki := peertest.NewPKI(t)
	cfg := claspServerConfig(pki.ECDSA)
	addr, out := serveClaspOnce(t, cfg)
	c := &http.Client{Timeout: 5 * time.Second}
	if resp, err := c.Get("http://" + addr + "/"); err == nil {
		resp.Body.Close()
	}
	o := waitServer(t, out)
	d := diagnose.ExplainWithConfig(o.err, o.rec, "server", time.Now(), cfg)
	expect(t, d, diagnose.CauseNotTLS, "an HTTP request", "GET /", "https://")
}

// An SSL 2.0-format hello, as clasp scan's SSL 2.0 probe sends: not called
// plaintext on the server's side.
func TestNotTLSSSL2HelloServerSide(t *testing.T) {
	pki := peertest.NewPKI(t)
	cfg := claspServerConfig(pki.ECDSA)
	addr, out := serveClaspOnce(t, cfg)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	// SSL 2.0 CLIENT-HELLO: version 2, one cipher kind
	// (SSL_CK_RC4_128_WITH_MD5), no session ID, 16 bytes of challenge.
	hello := append([]byte{0x80, 0x19, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x10, 0x01, 0x00, 0x80}, make([]byte, 16)...)
	c.Write(hello)
	o := waitServer(t, out)
	c.Close()
	d := diagnose.ExplainWithConfig(o.err, o.rec, "server", time.Now(), cfg)
	expect(t, d, diagnose.CauseNotTLS, "SSL 2.0", "RFC 6176")
	if strings.Contains(d.Explanation, "plaintext") {
		t.Errorf("an SSL 2.0 hello called plaintext: %s", d.Explanation)
	}
}

// An SMTP-like greeting: the server speaks first.
func TestNotTLSBanner(t *testing.T) {
	addr := tcpServer(t, func(c *net.TCPConn) {
		fmt.Fprint(c, "220 mail.example ESMTP ready\r\n")
		time.Sleep(500 * time.Millisecond)
	})
	err, rec := dialClasp(t, addr, &clasp.Config{ServerName: "localhost"})
	d := diagnose.Explain(err, rec, "client", time.Now())
	expect(t, d, diagnose.CauseNotTLS, "SMTP", "STARTTLS")
}

// tcpServer accepts one connection and hands it to serve, then closes it.
func tcpServer(t *testing.T, serve func(*net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		serve(c.(*net.TCPConn))
		c.Close()
	}()
	return ln.Addr().String()
}

// readHello reads what the client sent (its ClientHello) so that closing
// afterwards is an orderly FIN, not a reset for unread data.
func readHello(c *net.TCPConn) {
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	r := bufio.NewReader(c)
	for {
		if _, err := r.ReadByte(); err != nil {
			return
		}
	}
}

func TestConnectionClosedAfterClientHello(t *testing.T) {
	addr := tcpServer(t, func(c *net.TCPConn) { readHello(c) })
	err, rec := dialClasp(t, addr, &clasp.Config{ServerName: "localhost"})
	d := diagnose.Explain(err, rec, "client", time.Now())
	expect(t, d, diagnose.CauseConnectionClosed, "closed the connection", "ClientHello", "without sending an alert")
}

func TestConnectionClosedAtOnce(t *testing.T) {
	addr := tcpServer(t, func(c *net.TCPConn) {})
	err, rec := dialClasp(t, addr, &clasp.Config{ServerName: "localhost"})
	d := diagnose.Explain(err, rec, "client", time.Now())
	if d.Cause != diagnose.CauseConnectionClosed && d.Cause != diagnose.CauseConnectionReset {
		t.Errorf("cause = %s, want connection_closed or connection_reset", d.Cause)
	}
	expect(t, d, d.Cause, "server")
}

func TestConnectionReset(t *testing.T) {
	addr := tcpServer(t, func(c *net.TCPConn) {
		readHello(c)
		_ = c.SetLinger(0) // Close sends RST
	})
	err, rec := dialClasp(t, addr, &clasp.Config{ServerName: "localhost"})
	d := diagnose.Explain(err, rec, "client", time.Now())
	expect(t, d, diagnose.CauseConnectionReset, "reset the connection", "ClientHello")
}

func TestTimeout(t *testing.T) {
	addr := tcpServer(t, func(c *net.TCPConn) { time.Sleep(3 * time.Second) })
	rec := diagnose.NewRecorder()
	cfg := &clasp.Config{ServerName: "localhost", Tracer: rec}
	_, err := clasp.DialWithDialer(&net.Dialer{Timeout: 500 * time.Millisecond}, "tcp", addr, cfg)
	if err == nil {
		t.Fatal("no timeout")
	}
	d := diagnose.Explain(err, rec, "client", time.Now())
	expect(t, d, diagnose.CauseTimeout, "timed out", "read ServerHello", "Nothing at all came back after the ClientHello")

	// The same through a deadline on the connection (a net.Error).
	addr = tcpServer(t, func(c *net.TCPConn) { time.Sleep(3 * time.Second) })
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rec = diagnose.NewRecorder()
	conn := clasp.Client(raw, &clasp.Config{ServerName: "localhost", Tracer: rec})
	_ = conn.SetDeadline(time.Now().Add(300 * time.Millisecond))
	err = conn.Handshake()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a net.Error timeout", err)
	}
	expect(t, diagnose.Explain(err, rec, "client", time.Now()), diagnose.CauseTimeout, "read ServerHello")
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = clasp.Dial("tcp", addr, &clasp.Config{ServerName: "localhost"})
	d := diagnose.Explain(err, nil, "client", time.Now())
	expect(t, d, diagnose.CauseConnectionRefused, "no service listens")
}

// Errors with no evidence of a cause are "unknown", with the raw error.
func TestUnknown(t *testing.T) {
	d := diagnose.Explain(errors.New("something odd"), nil, "client", time.Now())
	expect(t, d, diagnose.CauseUnknown, "something odd")
	if diagnose.Explain(nil, nil, "client", time.Now()) != nil {
		t.Error("a diagnosis without a failure")
	}
	if !strings.Contains(d.Text(), "why:\n") || !strings.Contains(d.Text(), "what to change:\n") {
		t.Errorf("Text() = %q", d.Text())
	}
}
