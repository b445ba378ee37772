package peertest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain removes the shared PKI directory after the run, as packages using
// peertest may do.
func TestMain(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// goSuites are the suites of the four the harness must prove that crypto/tls
// implements; TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 is proven peer-to-peer in
// TestPeerToPeerDHE instead.
var goSuites = []string{
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
	"TLS_RSA_WITH_AES_128_GCM_SHA256",
}

// goClientConfig pins crypto/tls to TLS 1.2 and one suite. Listing the suite
// in CipherSuites is what enables static-RSA and CBC suites, which Go leaves
// out of its defaults.
func goClientConfig(p *PKI, suite string) *tls.Config {
	return &tls.Config{
		RootCAs:      p.CAPool,
		ServerName:   "localhost",
		MinVersion:   tls.VersionTLS12,
		MaxVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{SuiteID(suite)},
	}
}

// goDial connects crypto/tls to a peer server and checks that the handshake
// negotiated TLS 1.2 and exactly the requested suite.
func goDial(t *testing.T, srv *Process, suite string) *tls.Conn {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", srv.Addr, goClientConfig(NewPKI(t), suite))
	if err != nil {
		t.Fatalf("crypto/tls handshake with %s: %v\n--- server output ---\n%s", srv.Addr, err, srv.Output())
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	st := conn.ConnectionState()
	if st.Version != tls.VersionTLS12 || st.CipherSuite != SuiteID(suite) {
		t.Fatalf("negotiated %s / %s, want TLS 1.2 / %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite), suite)
	}
	return conn
}

func httpGet(t *testing.T, conn *tls.Conn, srv *Process) string {
	t.Helper()
	if _, err := io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	body, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("read: %v (got %q)\n--- server output ---\n%s", err, body, srv.Output())
	}
	return string(body)
}

func TestGoClientToOpenSSLServer(t *testing.T) {
	t.Parallel()
	p := NewPKI(t)
	for _, suite := range goSuites {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			srv := StartOpenSSLServer(t, p.LeafFor(suite), append(OpenSSLCipherArgs(suite), "-www")...)
			body := httpGet(t, goDial(t, srv, suite), srv)
			// s_server -www reports the session it sees, naming the suite.
			for _, want := range []string{"HTTP/1.0 200 ok", "Cipher    : " + OpenSSLName(suite), "Protocol  : TLSv1.2"} {
				if !strings.Contains(body, want) {
					t.Errorf("s_server page lacks %q:\n%s", want, body)
				}
			}
		})
	}
}

func TestGoClientToGnuTLSServer(t *testing.T) {
	t.Parallel()
	p := NewPKI(t)
	for _, suite := range goSuites {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			srv := StartGnuTLSServer(t, p.LeafFor(suite), GnuTLSPriority(suite), "--echo")
			conn := goDial(t, srv, suite)
			if _, err := io.WriteString(conn, "hello gnutls\n"); err != nil {
				t.Fatalf("write: %v", err)
			}
			line, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil || line != "hello gnutls\n" {
				t.Fatalf("echo: got %q, %v\n--- server output ---\n%s", line, err, srv.Output())
			}
		})
	}
}

func TestGoClientToNSSServer(t *testing.T) {
	t.Parallel()
	p := NewPKI(t)
	for _, suite := range goSuites {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			srv := StartNSSServer(t, p.LeafFor(suite), NSSCipherArgs(suite)...)
			body := httpGet(t, goDial(t, srv, suite), srv)
			// selfserv answers with a status line and echoes the request.
			if !strings.HasPrefix(body, "HTTP/1.0 200 OK") || !strings.Contains(body, "GET / HTTP/1.0") {
				t.Errorf("selfserv answer:\n%s", body)
			}
		})
	}
}

// goServer is an in-process crypto/tls server pinned to TLS 1.2 and one
// suite. Each connection: handshake, read one line, answer "echo: LINE",
// close (with close_notify), so clients that wait for the server to close
// (s_client -ign_eof, tstclnt) finish promptly.
type goServer struct {
	addr   string
	states chan tls.ConnectionState
	errs   chan error
}

func startGoServer(t *testing.T, leaf *Leaf, suite string) *goServer {
	t.Helper()
	cfg := &tls.Config{
		Certificates: []tls.Certificate{leaf.TLS},
		MinVersion:   tls.VersionTLS12,
		MaxVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{SuiteID(suite)},
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s := &goServer{addr: l.Addr().String(), states: make(chan tls.ConnectionState, 8), errs: make(chan error, 8)}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(conn *tls.Conn) {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(15 * time.Second))
				if err := conn.Handshake(); err != nil {
					s.errs <- err
					return
				}
				s.states <- conn.ConnectionState()
				line, err := bufio.NewReader(conn).ReadString('\n')
				if err != nil {
					s.errs <- fmt.Errorf("reading request: %w", err)
					return
				}
				io.WriteString(conn, "echo: "+line)
			}(c.(*tls.Conn))
		}
	}()
	return s
}

// checkState waits for the server side of one handshake and checks the suite.
func (s *goServer) checkState(t *testing.T, suite, clientOut string) {
	t.Helper()
	select {
	case st := <-s.states:
		if st.Version != tls.VersionTLS12 || st.CipherSuite != SuiteID(suite) {
			t.Errorf("server negotiated %s / %s, want TLS 1.2 / %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite), suite)
		}
	case err := <-s.errs:
		t.Fatalf("crypto/tls server: %v\n--- client output ---\n%s", err, clientOut)
	case <-time.After(5 * time.Second):
		t.Fatalf("crypto/tls server saw no handshake\n--- client output ---\n%s", clientOut)
	}
}

func TestOpenSSLClientToGoServer(t *testing.T) {
	t.Parallel()
	p := NewPKI(t)
	for _, suite := range goSuites {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			srv := startGoServer(t, p.LeafFor(suite), suite)
			out, err := RunOpenSSLClient(t, srv.addr, "hello openssl\n", append(OpenSSLCipherArgs(suite), "-ign_eof")...)
			if err != nil {
				t.Fatalf("s_client: %v\n%s", err, out)
			}
			srv.checkState(t, suite, out)
			for _, want := range []string{"echo: hello openssl", "Cipher    : " + OpenSSLName(suite), "Protocol  : TLSv1.2", "Verify return code: 0 (ok)"} {
				if !strings.Contains(out, want) {
					t.Errorf("s_client output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestGnuTLSClientToGoServer(t *testing.T) {
	t.Parallel()
	p := NewPKI(t)
	for _, suite := range goSuites {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			srv := startGoServer(t, p.LeafFor(suite), suite)
			out, err := RunGnuTLSClient(t, srv.addr, "hello gnutls\n", "--priority", GnuTLSPriority(suite))
			if err != nil {
				t.Fatalf("gnutls-cli: %v\n%s", err, out)
			}
			srv.checkState(t, suite, out)
			for _, want := range []string{"echo: hello gnutls", "Handshake was completed", "(TLS1.2-X.509)"} {
				if !strings.Contains(out, want) {
					t.Errorf("gnutls-cli output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestNSSClientToGoServer(t *testing.T) {
	t.Parallel()
	p := NewPKI(t)
	for _, suite := range goSuites {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			srv := startGoServer(t, p.LeafFor(suite), suite)
			out, err := RunNSSClient(t, srv.addr, "hello nss\n", append(NSSCipherArgs(suite), "-v")...)
			if err != nil {
				t.Fatalf("tstclnt: %v\n%s", err, out)
			}
			srv.checkState(t, suite, out)
			for _, want := range []string{"echo: hello nss", "SSL version 3.3"} {
				if !strings.Contains(out, want) {
					t.Errorf("tstclnt output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestCurlToGoServer(t *testing.T) {
	t.Parallel()
	p := NewPKI(t)
	for _, suite := range goSuites {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "%s %s\n", tls.VersionName(r.TLS.Version), tls.CipherSuiteName(r.TLS.CipherSuite))
			}))
			srv.TLS = &tls.Config{
				Certificates: []tls.Certificate{p.LeafFor(suite).TLS},
				MinVersion:   tls.VersionTLS12,
				MaxVersion:   tls.VersionTLS12,
				CipherSuites: []uint16{SuiteID(suite)},
			}
			srv.StartTLS()
			t.Cleanup(srv.Close)
			out, err := RunCurl(t, srv.URL+"/", CurlCipherArgs(suite)...)
			if err != nil {
				t.Fatalf("curl: %v\n%s", err, out)
			}
			if want := "TLS 1.2 " + suite + "\n"; out != want {
				t.Errorf("curl got %q, want %q", out, want)
			}
		})
	}
}

// TestPeerToPeerDHE proves the DHE flags, which crypto/tls cannot check.
func TestPeerToPeerDHE(t *testing.T) {
	t.Parallel()
	const suite = "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"
	p := NewPKI(t)
	t.Run("s_client-to-gnutls-serv", func(t *testing.T) {
		t.Parallel()
		srv := StartGnuTLSServer(t, p.RSA, GnuTLSPriority(suite), "--http")
		checkOpenSSLClient(t, srv, suite)
	})
	t.Run("tstclnt-to-s_server", func(t *testing.T) {
		t.Parallel()
		srv := StartOpenSSLServer(t, p.RSA, append(OpenSSLCipherArgs(suite), "-www")...)
		checkNSSClient(t, srv, suite)
	})
}

// checkOpenSSLClient runs s_client pinned to suite against srv (which must
// answer an HTTP GET and close) and checks what s_client negotiated.
func checkOpenSSLClient(t *testing.T, srv *Process, suite string) {
	t.Helper()
	out, err := RunOpenSSLClient(t, srv.Addr, "GET / HTTP/1.0\r\n\r\n", append(OpenSSLCipherArgs(suite), "-ign_eof")...)
	if err != nil {
		t.Fatalf("s_client: %v\n%s\n--- server output ---\n%s", err, out, srv.Output())
	}
	for _, want := range []string{"Cipher    : " + OpenSSLName(suite), "Protocol  : TLSv1.2", "HTTP/1.0 200"} {
		if !strings.Contains(out, want) {
			t.Errorf("s_client output lacks %q:\n%s\n--- server output ---\n%s", want, out, srv.Output())
		}
	}
}

// checkNSSClient runs tstclnt pinned to suite against an s_server -www and
// checks the suite s_server reports on its status page.
func checkNSSClient(t *testing.T, srv *Process, suite string) {
	t.Helper()
	out, err := RunNSSClient(t, srv.Addr, "GET / HTTP/1.0\r\n\r\n", NSSCipherArgs(suite)...)
	if err != nil {
		t.Fatalf("tstclnt: %v\n%s\n--- server output ---\n%s", err, out, srv.Output())
	}
	for _, want := range []string{"Cipher    : " + OpenSSLName(suite), "Protocol  : TLSv1.2"} {
		if !strings.Contains(out, want) {
			t.Errorf("s_server page lacks %q:\n%s", want, out)
		}
	}
}

// checkGnuTLSClient runs gnutls-cli pinned to suite against srv (which must
// answer an HTTP GET and close) and checks GnuTLS's session description.
func checkGnuTLSClient(t *testing.T, srv *Process, suite string) {
	t.Helper()
	out, err := RunGnuTLSClient(t, srv.Addr, "GET / HTTP/1.0\r\n\r\n", "--priority", GnuTLSPriority(suite))
	if err != nil {
		t.Fatalf("gnutls-cli: %v\n%s\n--- server output ---\n%s", err, out, srv.Output())
	}
	// "- Description: (TLS1.2-X.509)-(ECDHE-SECP256R1)-(RSA-SHA256)-(AES-256-CBC)-(SHA1)";
	// for AEAD suites the MAC part is left out: "...-(AES-128-GCM)".
	s := lookupSuite(suite)
	wantTail := "-(" + s.gnutlsCipher + ")"
	if s.gnutlsMAC != "AEAD" {
		wantTail += "-(" + s.gnutlsMAC + ")"
	}
	desc := ""
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "- Description: ") {
			desc = strings.TrimSpace(line)
		}
	}
	if !strings.HasPrefix(desc, "- Description: (TLS1.2-X.509)") || !strings.HasSuffix(desc, wantTail) {
		t.Errorf("gnutls-cli session %q, want TLS 1.2 ending in %q:\n%s", desc, wantTail, out)
	}
	if !strings.Contains(out, "HTTP/1.0 200") {
		t.Errorf("gnutls-cli got no HTTP answer:\n%s\n--- server output ---\n%s", out, srv.Output())
	}
}

// TestPeerFlagsAllSuites proves every row of the suite table on every peer,
// in both roles, without crypto/tls: s_client → gnutls-serv, gnutls-cli →
// selfserv, tstclnt → s_server.
func TestPeerFlagsAllSuites(t *testing.T) {
	if testing.Short() {
		t.Skip("long: three peer pairs per suite")
	}
	t.Parallel()
	p := NewPKI(t)
	for _, suite := range SuiteNames() {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			leaf := p.LeafFor(suite)
			checkOpenSSLClient(t, StartGnuTLSServer(t, leaf, GnuTLSPriority(suite), "--http"), suite)
			checkGnuTLSClient(t, StartNSSServer(t, leaf, NSSCipherArgs(suite)...), suite)
			checkNSSClient(t, StartOpenSSLServer(t, leaf, append(OpenSSLCipherArgs(suite), "-www")...), suite)
		})
	}
}

// TestNoCommonSuite checks what a peer does when nothing the client offers
// is acceptable: s_server sends a fatal handshake_failure alert, which
// crypto/tls reports as "remote error: tls: handshake failure", and s_server
// prints, for OpenSSL 3.0:
//
//	...:error:0A0000C1:SSL routines:tls_post_process_client_hello:no shared cipher:../ssl/statem/statem_srvr.c:...
func TestNoCommonSuite(t *testing.T) {
	t.Parallel()
	p := NewPKI(t)
	srv := StartOpenSSLServer(t, p.RSA, "-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384")
	conn, err := tls.Dial("tcp", srv.Addr, goClientConfig(p, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"))
	if err == nil {
		conn.Close()
		t.Fatalf("handshake succeeded with no common suite; server output:\n%s", srv.Output())
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Op != "remote error" || !strings.Contains(err.Error(), "handshake failure") {
		t.Errorf("got error %v (%T), want a remote handshake_failure alert", err, err)
	}
	if !srv.WaitOutput("no shared cipher", 5*time.Second) {
		t.Errorf("s_server did not report \"no shared cipher\":\n%s", srv.Output())
	}
	t.Logf("crypto/tls: %v; s_server: %s", err, lastLines(srv.Output(), 2))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func TestPeerVersions(t *testing.T) {
	v := PeerVersions()
	for _, k := range []string{"openssl", "gnutls-cli", "nss", "curl", "haproxy", "redis-server", "tshark"} {
		t.Logf("%-12s %s", k, v[k])
	}
	if InCI() && v["openssl"] == "" {
		t.Error("no openssl version under CI")
	}
}
