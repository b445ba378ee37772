package explain

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// TestOpenSSLFailuresExplained provokes s_client and s_server failures.
func TestOpenSSLFailuresExplained(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	fault := newFaultPKI(t)

	t.Run("self-signed", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, fault.selfSigned.asLeaf(), "-www")
		out, _ := peertest.RunOpenSSLClient(t, srv.Addr, "")
		expectCause(t, "openssl s_client", "self-signed certificate", out, "cert_self_signed")
	})
	t.Run("hostname mismatch", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www")
		out, _ := peertest.RunOpenSSLClient(t, srv.Addr, "", "-verify_hostname", "wrong.example")
		expectCause(t, "openssl s_client", "hostname mismatch", out, "cert_hostname_mismatch")
	})
	t.Run("expired", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, fault.expired.asLeaf(), "-www")
		out, _ := peertest.RunOpenSSLClient(t, srv.Addr, "", "-CAfile", fault.caFile)
		expectCause(t, "openssl s_client", "expired certificate", out, "cert_expired")
	})
	t.Run("no shared cipher", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
		out, _ := peertest.RunOpenSSLClient(t, srv.Addr, "", "-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384")
		expectCause(t, "openssl s_client", "no shared cipher (client)", out, "handshake_failure_alert")
		if !waitFor(func() bool { return strings.Contains(srv.Output(), "no shared cipher") }) {
			t.Fatalf("s_server did not report the failure:\n%s", srv.Output())
		}
		expectCause(t, "openssl s_server", "no shared cipher (server)", srv.Output(), "no_shared_cipher")
	})
	t.Run("protocol version", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_3")
		out, _ := peertest.RunOpenSSLClient(t, srv.Addr, "", "-tls1_2")
		expectCause(t, "openssl s_client", "TLS 1.2 client, TLS 1.3-only server", out, "protocol_version_mismatch")
		if !waitFor(func() bool { return strings.Contains(srv.Output(), "unsupported protocol") }) {
			t.Fatalf("s_server did not report the failure:\n%s", srv.Output())
		}
		expectCause(t, "openssl s_server", "TLS 1.2 client, TLS 1.3-only server", srv.Output(), "protocol_version_mismatch")
	})
	t.Run("plain HTTP port", func(t *testing.T) {
		out, _ := peertest.RunOpenSSLClient(t, startPlainHTTP(t), "")
		expectCause(t, "openssl s_client", "plain HTTP on the port", out, "not_tls")
	})
	t.Run("plain HTTP to TLS port", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www")
		sendPlainHTTP(t, srv.Addr)
		if !waitFor(func() bool { return strings.Contains(srv.Output(), "http request") }) {
			t.Fatalf("s_server did not report the failure:\n%s", srv.Output())
		}
		expectCause(t, "openssl s_server", "plain HTTP request", srv.Output(), "http_to_tls_port")
	})
	t.Run("client certificate required", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-Verify", "1", "-CAfile", pki.CACertFile)
		out, _ := peertest.RunOpenSSLClient(t, srv.Addr, "GET / HTTP/1.0\r\n\r\n", "-ign_eof")
		expectCause(t, "openssl s_client", "no client certificate for a server that requires one", out, "client_cert_required")
		if !waitFor(func() bool { return strings.Contains(srv.Output(), "peer did not return a certificate") }) {
			t.Fatalf("s_server did not report the failure:\n%s", srv.Output())
		}
		expectCause(t, "openssl s_server", "no client certificate", srv.Output(), "client_cert_required")
	})
	t.Run("dh key too small", func(t *testing.T) {
		// RFC 3526's 1536-bit group is below security level 2 (2048 bits);
		// the server is allowed it with @SECLEVEL=1.
		dh := filepath.Join(t.TempDir(), "dh1536.pem")
		runProgram(t, "openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:modp_1536", "-out", dh)
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=1", "-dhparam", dh)
		out, _ := peertest.RunOpenSSLClient(t, srv.Addr, "", "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=2")
		expectCause(t, "openssl s_client", "1536-bit DH group at security level 2", out, "dh_key_too_small")
	})
}
