package explain

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// TestCurlFailuresExplained provokes curl's exit codes 35 and 60.
func TestCurlFailuresExplained(t *testing.T) {
	peertest.Require(t, "curl", "openssl")
	pki := peertest.NewPKI(t)
	fault := newFaultPKI(t)
	curl := func(t *testing.T, args ...string) string {
		return runProgram(t, "curl", append([]string{"-sS", "--max-time", "10"}, args...)...)
	}
	url := func(addr string) string { return "https://" + addr + "/" }

	t.Run("self-signed", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, fault.selfSigned.asLeaf(), "-www")
		expectCause(t, "curl", "self-signed certificate", curl(t, url(srv.Addr)), "cert_self_signed")
	})
	t.Run("unknown issuer", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www")
		// No --cacert: the system roots do not know the test CA.
		expectCause(t, "curl", "CA not in the trust store", curl(t, url(srv.Addr)), "cert_issuer_unknown")
	})
	t.Run("hostname mismatch", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www")
		out := curl(t, "--cacert", pki.CACertFile, "--resolve", "wrong.example:"+portOf(srv.Addr)+":127.0.0.1",
			"https://wrong.example:"+portOf(srv.Addr)+"/")
		expectCause(t, "curl", "hostname mismatch", out, "cert_hostname_mismatch")
	})
	t.Run("expired", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, fault.expired.asLeaf(), "-www")
		expectCause(t, "curl", "expired certificate", curl(t, "--cacert", fault.caFile, url(srv.Addr)), "cert_expired")
	})
	t.Run("handshake failure", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
		out := curl(t, "--cacert", pki.CACertFile, "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES256-GCM-SHA384", url(srv.Addr))
		expectCause(t, "curl", "no common cipher suite", out, "handshake_failure_alert")
	})
	t.Run("plain HTTP port", func(t *testing.T) {
		expectCause(t, "curl", "plain HTTP on the port", curl(t, url(startPlainHTTP(t))), "not_tls")
	})
	t.Run("connection refused", func(t *testing.T) {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(peertest.FreePort(t)))
		expectCause(t, "curl", "nothing listening", curl(t, url(addr)), "connection_refused")
	})
	t.Run("client certificate file missing", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www")
		out := curl(t, "--cacert", pki.CACertFile, "--cert", filepath.Join(t.TempDir(), "missing.pem"), url(srv.Addr))
		expectCause(t, "curl", "client certificate file missing", out, "cert_load_failed")
	})
}

// TestGoFailuresExplained provokes crypto/tls client errors in process.
func TestGoFailuresExplained(t *testing.T) {
	pki := peertest.NewPKI(t)
	fault := newFaultPKI(t)
	dial := func(addr string, cfg *tls.Config) string {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
		if err == nil {
			conn.Close()
			t.Fatalf("crypto/tls connected to %s; the fault was not provoked", addr)
		}
		return err.Error()
	}
	faultRoots := x509.NewCertPool()
	data, err := os.ReadFile(fault.caFile)
	if err != nil {
		t.Fatal(err)
	}
	faultRoots.AppendCertsFromPEM(data)

	t.Run("unknown authority", func(t *testing.T) {
		srv := startGoServer(t, pki.RSA.TLS, nil)
		out := dial(srv, &tls.Config{ServerName: "localhost", RootCAs: x509.NewCertPool()})
		expectCause(t, "Go crypto/tls", "unknown CA", out, "cert_issuer_unknown")
	})
	t.Run("hostname mismatch", func(t *testing.T) {
		srv := startGoServer(t, pki.RSA.TLS, nil)
		out := dial(srv, &tls.Config{ServerName: "wrong.example", RootCAs: pki.CAPool})
		expectCause(t, "Go crypto/tls", "hostname mismatch", out, "cert_hostname_mismatch")
	})
	t.Run("expired", func(t *testing.T) {
		cert, err := tls.LoadX509KeyPair(fault.expired.cert, fault.expired.key)
		if err != nil {
			t.Fatal(err)
		}
		srv := startGoServer(t, cert, nil)
		out := dial(srv, &tls.Config{ServerName: "localhost", RootCAs: faultRoots})
		expectCause(t, "Go crypto/tls", "expired certificate", out, "cert_expired")
	})
	t.Run("handshake failure", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
		out := dial(srv.Addr, &tls.Config{ServerName: "localhost", RootCAs: pki.CAPool, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}})
		expectCause(t, "Go crypto/tls", "no common cipher suite", out, "handshake_failure_alert")
	})
	t.Run("protocol version", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_3")
		out := dial(srv.Addr, &tls.Config{ServerName: "localhost", RootCAs: pki.CAPool, MaxVersion: tls.VersionTLS12})
		expectCause(t, "Go crypto/tls", "TLS 1.2 client, TLS 1.3-only server", out, "protocol_version_mismatch")
	})
	t.Run("plain HTTP port", func(t *testing.T) {
		out := dial(startPlainHTTP(t), &tls.Config{ServerName: "localhost", RootCAs: pki.CAPool})
		expectCause(t, "Go crypto/tls", "plain HTTP on the port", out, "not_tls")
	})
	t.Run("server: no shared cipher", func(t *testing.T) {
		logged := make(chan string, 1)
		srv := startGoServer(t, pki.RSA.TLS, func(err error) { logged <- err.Error() })
		peertest.RunOpenSSLClient(t, srv, "", "-tls1_2", "-cipher", "AES128-SHA")
		select {
		case out := <-logged:
			expectCause(t, "Go crypto/tls server", "no common cipher suite", out, "no_shared_cipher")
		case <-time.After(5 * time.Second):
			t.Fatal("the crypto/tls server reported no failure")
		}
	})
}

// startGoServer runs a crypto/tls server with cert on 127.0.0.1; onErr, when
// set, receives each failed handshake's error.
func startGoServer(t *testing.T, cert tls.Certificate, onErr func(error)) string {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				if err := conn.(*tls.Conn).Handshake(); err != nil && onErr != nil {
					onErr(err)
				}
			}()
		}
	}()
	return l.Addr().String()
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}
