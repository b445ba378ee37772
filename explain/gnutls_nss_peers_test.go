package explain

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// TestGnuTLSFailuresExplained provokes gnutls-cli failures.
func TestGnuTLSFailuresExplained(t *testing.T) {
	peertest.Require(t, "gnutls-cli", "openssl")
	pki := peertest.NewPKI(t)
	fault := newFaultPKI(t)
	cli := func(t *testing.T, addr string, args ...string) string {
		out, _ := peertest.RunGnuTLSClient(t, addr, "", args...)
		return out
	}
	t.Run("self-signed", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, fault.selfSigned.asLeaf(), "-www")
		// GnuTLS does not single out a self-signed leaf: its issuer is
		// simply unknown.
		expectCause(t, "gnutls-cli", "self-signed certificate", cli(t, srv.Addr), "cert_issuer_unknown")
	})
	t.Run("hostname mismatch", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www")
		out := cli(t, srv.Addr, "--verify-hostname", "wrong.example")
		expectCause(t, "gnutls-cli", "hostname mismatch", out, "cert_hostname_mismatch")
	})
	t.Run("expired", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, fault.expired.asLeaf(), "-www")
		expectCause(t, "gnutls-cli", "expired certificate", cli(t, srv.Addr, "--x509cafile", fault.caFile), "cert_expired")
	})
	t.Run("handshake failure", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
		out := cli(t, srv.Addr, "--priority", peertest.GnuTLSPriority("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"))
		expectCause(t, "gnutls-cli", "no common cipher suite", out, "handshake_failure_alert")
	})
	t.Run("protocol version", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_3")
		out := cli(t, srv.Addr, "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2")
		expectCause(t, "gnutls-cli", "TLS 1.2 client, TLS 1.3-only server", out, "protocol_version_mismatch")
	})
	t.Run("plain HTTP port", func(t *testing.T) {
		expectCause(t, "gnutls-cli", "plain HTTP on the port", cli(t, startPlainHTTP(t)), "not_tls")
	})
	t.Run("server: no shared cipher", func(t *testing.T) {
		srv := peertest.StartGnuTLSServer(t, pki.RSA, peertest.GnuTLSPriority("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), "--http", "--disable-client-cert")
		peertest.RunOpenSSLClient(t, srv.Addr, "", "-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384")
		waitFor(func() bool { return mustLoad(t).Explain(srv.Output(), "en", "").Recognised() })
		expectCause(t, "gnutls-serv", "no common cipher suite", srv.Output(), "no_shared_cipher")
	})
}

// TestNSSFailuresExplained provokes tstclnt failures.
func TestNSSFailuresExplained(t *testing.T) {
	peertest.Require(t, "tstclnt", "openssl")
	pki := peertest.NewPKI(t)
	fault := newFaultPKI(t)
	cli := func(t *testing.T, addr string, args ...string) string {
		out, _ := peertest.RunNSSClient(t, addr, "GET / HTTP/1.0\r\n\r\n", args...)
		return out
	}
	t.Run("self-signed", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, fault.selfSigned.asLeaf(), "-www")
		// NSS reports a self-signed leaf (no CA flag) as an invalid issuer.
		expectCause(t, "tstclnt", "self-signed certificate", cli(t, srv.Addr), "cert_verify_failed")
	})
	t.Run("hostname mismatch", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www")
		// RunNSSClient fixes -a localhost; run tstclnt with the wrong name.
		req := filepath.Join(t.TempDir(), "request")
		if err := os.WriteFile(req, []byte("GET / HTTP/1.0\r\n\r\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out := runProgram(t, "tstclnt", "-h", "127.0.0.1", "-p", portOf(srv.Addr), "-d", "sql:"+pki.NSSDB(t), "-a", "wrong.example", "-A", req)
		expectCause(t, "tstclnt", "hostname mismatch", out, "cert_hostname_mismatch")
	})
	t.Run("expired", func(t *testing.T) {
		// A database of its own that trusts the fault CA.
		db := t.TempDir()
		runProgram(t, "certutil", "-N", "-d", "sql:"+db, "--empty-password")
		runProgram(t, "certutil", "-A", "-d", "sql:"+db, "-n", "faultca", "-t", "C,,", "-i", fault.caFile)
		srv := peertest.StartOpenSSLServer(t, fault.expired.asLeaf(), "-www")
		req := filepath.Join(t.TempDir(), "request")
		if err := os.WriteFile(req, []byte("GET / HTTP/1.0\r\n\r\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out := runProgram(t, "tstclnt", "-h", "127.0.0.1", "-p", portOf(srv.Addr), "-d", "sql:"+db, "-a", "localhost", "-A", req)
		expectCause(t, "tstclnt", "expired certificate", out, "cert_expired")
	})
	t.Run("handshake failure", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
		out := cli(t, srv.Addr, peertest.NSSCipherArgs("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")...)
		// tstclnt reports the server's handshake_failure alert as no overlap.
		expectCause(t, "tstclnt", "no common cipher suite", out, "no_shared_cipher")
	})
	t.Run("protocol version", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_3")
		out := cli(t, srv.Addr, "-V", "tls1.2:tls1.2")
		expectCause(t, "tstclnt", "TLS 1.2 client, TLS 1.3-only server", out, "protocol_version_mismatch")
	})
	t.Run("plain HTTP port", func(t *testing.T) {
		expectCause(t, "tstclnt", "plain HTTP on the port", cli(t, startPlainHTTP(t)), "not_tls")
	})
}
