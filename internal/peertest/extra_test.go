package peertest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeTB records Skip and Fatal calls instead of ending the test, so that
// Require's two behaviours can be checked from one test.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper()          {}
func (f *fakeTB) Skip(args ...any) { f.skipped, f.msg = true, fmt.Sprint(args...) }
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
}
func (f *fakeTB) Fatal(args ...any) { f.failed, f.msg = true, fmt.Sprint(args...) }
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
}

func TestRequire(t *testing.T) {
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		f := &fakeTB{TB: t}
		Require(f, "openssl", "peertest-no-such-binary", "tstclnt")
		if ci == "true" && (!f.failed || f.skipped) || ci == "" && (!f.skipped || f.failed) {
			t.Errorf("CI=%q: skipped=%v failed=%v, want a %s", ci, f.skipped, f.failed, map[string]string{"": "skip", "true": "failure"}[ci])
		}
		if !strings.Contains(f.msg, "peertest-no-such-binary") {
			t.Errorf("CI=%q: message %q does not name the missing binary", ci, f.msg)
		}
	}
	t.Setenv("CI", "true")
	f := &fakeTB{TB: t}
	Require(f, "sh")
	if f.failed || f.skipped {
		t.Errorf("Require(sh) under CI: %s", f.msg)
	}
}

// TestGnuTLSServerClientCertRequest pins down a gnutls-serv default that
// changes the handshake flow: it sends a CertificateRequest unless told
// --disable-client-cert.
func TestGnuTLSServerClientCertRequest(t *testing.T) {
	t.Parallel()
	const suite = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
	p := NewPKI(t)
	for _, tc := range []struct {
		args      []string
		requested bool
	}{
		{[]string{"--echo"}, true},
		{[]string{"--echo", "--disable-client-cert"}, false},
	} {
		srv := StartGnuTLSServer(t, p.RSA, GnuTLSPriority(suite), tc.args...)
		cfg := goClientConfig(p, suite)
		requested := false
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			requested = true
			return &tls.Certificate{}, nil
		}
		conn, err := tls.Dial("tcp", srv.Addr, cfg)
		if err != nil {
			t.Fatalf("%v: %v\n%s", tc.args, err, srv.Output())
		}
		conn.Close()
		if requested != tc.requested {
			t.Errorf("gnutls-serv %v: CertificateRequest sent = %v, want %v", tc.args, requested, tc.requested)
		}
	}
}

// TestOpenSSLServerRenegotiation proves Process.Send drives s_server's
// stdin commands: "r\n" makes s_server send a HelloRequest, which crypto/tls
// (allowed to renegotiate once) answers inside Read.
func TestOpenSSLServerRenegotiation(t *testing.T) {
	t.Parallel()
	const suite = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
	p := NewPKI(t)
	srv := StartOpenSSLServer(t, p.RSA, OpenSSLCipherArgs(suite)...)
	cfg := goClientConfig(p, suite)
	cfg.Renegotiation = tls.RenegotiateOnceAsClient
	conn, err := tls.Dial("tcp", srv.Addr, cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, srv.Output())
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "ping\n")
	if !srv.WaitOutput("ping", 5*time.Second) {
		t.Fatalf("s_server did not print the client's data:\n%s", srv.Output())
	}
	// tls-unique (the first Finished of the latest handshake) changes iff a
	// new handshake completed.
	// Copied: TLSUnique aliases the connection's own Finished buffer.
	before := bytes.Clone(conn.ConnectionState().TLSUnique)
	// crypto/tls acts on a HelloRequest only inside Read, and s_server blocks
	// in SSL_do_handshake until the new ClientHello comes, so the client must
	// already be reading when the server renegotiates.
	type result struct {
		line string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(conn).ReadString('\n')
		got <- result{line, err}
	}()
	if err := srv.Send("r\n"); err != nil {
		t.Fatal(err)
	}
	if !srv.WaitOutput("SSL_do_handshake -> 1", 5*time.Second) {
		t.Fatalf("s_server did not finish renegotiating:\n%s", srv.Output())
	}
	if err := srv.Send("after renegotiation\n"); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.err != nil || r.line != "after renegotiation\n" {
		t.Fatalf("read %q, %v\n--- s_server ---\n%s", r.line, r.err, srv.Output())
	}
	if bytes.Equal(before, conn.ConnectionState().TLSUnique) {
		t.Errorf("tls-unique unchanged: crypto/tls did not renegotiate")
	}
}

// TestClientLeafAndEd25519 proves the remaining PKI leaves: the Client leaf
// in mutual TLS against s_server -Verify (crypto/tls) and selfserv -r -r
// (tstclnt -n client), and the Ed25519 leaf on an ECDHE_ECDSA suite.
func TestClientLeafAndEd25519(t *testing.T) {
	t.Parallel()
	const suite = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
	p := NewPKI(t)
	t.Run("crypto/tls-client-cert-to-s_server", func(t *testing.T) {
		t.Parallel()
		srv := StartOpenSSLServer(t, p.ECDSA, append(OpenSSLCipherArgs(suite), "-www", "-Verify", "1", "-CAfile", p.CACertFile)...)
		cfg := goClientConfig(p, suite)
		cfg.Certificates = []tls.Certificate{p.Client.TLS}
		conn, err := tls.Dial("tcp", srv.Addr, cfg)
		if err != nil {
			t.Fatalf("%v\n%s", err, srv.Output())
		}
		defer conn.Close()
		io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n")
		body, _ := io.ReadAll(conn)
		if !strings.Contains(string(body), "HTTP/1.0 200 ok") {
			t.Errorf("s_server -Verify 1 answer:\n%s\n--- server ---\n%s", body, srv.Output())
		}
		// s_server logs the verified chain: "depth=0 O = clasp peertest, OU = client, CN = peertest client".
		if !srv.WaitOutput("CN = peertest client", 5*time.Second) {
			t.Errorf("s_server did not report the client certificate:\n%s", srv.Output())
		}
	})
	t.Run("tstclnt-client-cert-to-selfserv", func(t *testing.T) {
		t.Parallel()
		srv := StartNSSServer(t, p.ECDSA, append(NSSCipherArgs(suite), "-r", "-r")...)
		out, err := RunNSSClient(t, srv.Addr, "GET / HTTP/1.0\r\n\r\n", append(NSSCipherArgs(suite), "-n", "client")...)
		if err != nil || !strings.Contains(out, "HTTP/1.0 200 OK") {
			t.Errorf("tstclnt -n client: %v\n%s\n--- server ---\n%s", err, out, srv.Output())
		}
	})
	t.Run("ed25519-s_server", func(t *testing.T) {
		t.Parallel()
		srv := StartOpenSSLServer(t, p.Ed25519, append(OpenSSLCipherArgs(suite), "-www")...)
		conn := goDial(t, srv, suite)
		if got := conn.ConnectionState().PeerCertificates[0].PublicKeyAlgorithm.String(); got != "Ed25519" {
			t.Errorf("server certificate key %s, want Ed25519", got)
		}
	})
	t.Run("ed25519-gnutls-serv", func(t *testing.T) {
		t.Parallel()
		srv := StartGnuTLSServer(t, p.Ed25519, GnuTLSPriority(suite), "--echo", "--disable-client-cert")
		goDial(t, srv, suite)
	})
}

// TestStartRetriesTakenPort makes every peer server's first port already
// taken (as when another process grabs it between FreePort and the peer's
// bind) and checks that the start moves to a fresh port. Not parallel: it
// swaps pickPort, and parallel tests only resume once it has returned.
func TestStartRetriesTakenPort(t *testing.T) {
	const suite = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
	p := NewPKI(t)
	starts := map[string]func(t *testing.T) *Process{
		"openssl": func(t *testing.T) *Process {
			return StartOpenSSLServer(t, p.RSA, append(OpenSSLCipherArgs(suite), "-www")...)
		},
		// gnutls-serv survives the failed IPv4 bind and listens on IPv6 only.
		"gnutls-serv": func(t *testing.T) *Process {
			return StartGnuTLSServer(t, p.RSA, GnuTLSPriority(suite), "--echo")
		},
		"selfserv": func(t *testing.T) *Process { return StartNSSServer(t, p.RSA, NSSCipherArgs(suite)...) },
	}
	for name, start := range starts {
		t.Run(name, func(t *testing.T) {
			busy, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer busy.Close()
			busyPort := busy.Addr().(*net.TCPAddr).Port
			calls := 0
			pickPort = func(t testing.TB) int {
				calls++
				if calls == 1 {
					return busyPort
				}
				return FreePort(t)
			}
			defer func() { pickPort = FreePort }()
			srv := start(t)
			if calls != 2 || srv.Port == busyPort {
				t.Fatalf("%d port picks, server on %d (taken: %d)\n%s", calls, srv.Port, busyPort, srv.Output())
			}
			goDial(t, srv, suite).Close()
		})
	}
}
