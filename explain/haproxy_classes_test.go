package explain

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// haproxyBackend is one backend of the class HAProxy: a server with TLS
// verification and a health check against one class server.
type haproxyBackend struct {
	class, slug, addr, ca string
	// extra holds further server keywords.
	extra string
}

// haproxyClassCases provokes the classes HAProxy 2.6 can log. Its
// connection-error log line is fixed ("frontend/bind: SSL handshake
// failure"; the error-log-format that could add the reason arrived in 2.7),
// and a failed TLS health check reads "Layer6 invalid response, info:
// \"SSL handshake failure\"". Explain can only say that the handshake
// failed, so every case wants tls_handshake_failed except a client
// certificate from a CA the frontend does not trust, which HAProxy names.
func haproxyClassCases(t *testing.T, s *classServers) []classCase {
	requireProgram(t, "haproxy")
	pki, cp := s.pki, s.class
	dir := t.TempDir()
	serverPEM := combinedPEM(t, dir, "rsa", pki.RSA.CertFile, pki.RSA.KeyFile)
	clientPEM := combinedPEM(t, dir, "client", pki.Client.CertFile, pki.Client.KeyFile)
	ca := pki.CACertFile
	backends := []haproxyBackend{
		{classSigalg, "sigalg", s.sigalg, ca, ""},
		{classMissingInter, "missing-inter", s.missingInter, cp.rootFile, ""},
		{classUntrustedRoot, "untrusted-root", s.untrustedRoot, ca, ""},
		{classWrongEKU, "eku", s.wrongEKU, cp.caFile, ""},
		{classSHA1, "sha1", s.sha1, cp.caFile, ""},
		{classWeakKey, "weak-key", s.weakKey, cp.caFile, ""},
		{classRevoked, "revoked", s.revoked, ca, "crl-file " + s.crlFile},
		{classNotYetValid, "not-yet-valid", s.notYetValid, cp.caFile, ""},
		// In TLS 1.3 the server's verdict on the client certificate comes
		// after the handshake, which is all a TLS health check does; in
		// TLS 1.2 it fails the handshake.
		{classCertRequired, "cert-required", s.certRequired, ca, "ssl-max-ver TLSv1.2"},
		{classCertOtherCA, "cert-other-ca", s.certOtherCA, ca, "ssl-max-ver TLSv1.2 crt " + clientPEM},
	}
	h := &haproxyProc{addr: freeAddr(t), mtlsAddr: freeAddr(t)}
	groupAddr, strictSNIAddr := freeAddr(t), freeAddr(t)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, `global
    log stdout format raw local0 info

defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout check 2s

frontend plain
    bind %s ssl crt %s
    http-request return status 200 content-type text/plain string ok

frontend mtls
    bind %s ssl crt %s ca-file %s verify required
    http-request return status 200 content-type text/plain string ok

frontend group
    bind %s ssl crt %s ssl-min-ver TLSv1.3 curves secp384r1
    http-request return status 200 content-type text/plain string ok

frontend strictsni
    bind %s ssl crt %s strict-sni
    http-request return status 200 content-type text/plain string ok
`, h.addr, serverPEM, h.mtlsAddr, serverPEM, ca, groupAddr, serverPEM, strictSNIAddr, serverPEM)
	for _, b := range backends {
		fmt.Fprintf(&cfg, "\nbackend be_%s\n    server s1 %s ssl verify required ca-file %s check-sni localhost sni str(localhost) check inter 1s %s\n",
			b.slug, b.addr, b.ca, b.extra)
	}
	runHAProxy(t, h, cfg.String())
	var cases []classCase
	for _, b := range backends {
		cases = append(cases, classCase{"backend check: " + b.class, "tls_handshake_failed", func(t *testing.T) string {
			return h.logLine(t, "be_"+b.slug+"/s1 is DOWN")
		}})
	}
	client := func(frontend, addr, stdin string, args ...string) func(*testing.T) string {
		return func(t *testing.T) string {
			from := len(h.output())
			peertest.RunOpenSSLClient(t, addr, stdin, args...)
			return h.linesSince(t, from, " "+frontend+"/")
		}
	}
	return append(cases,
		classCase{"frontend: " + classGroup, "tls_handshake_failed", client("group", groupAddr, "", "-groups", "X25519")},
		classCase{"frontend: no common cipher suite", "tls_handshake_failed", client("plain", h.addr, "", "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256")},
		classCase{"frontend: " + classSigalg, "tls_handshake_failed", client("plain", h.addr, "", "-sigalgs", "ECDSA+SHA256")},
		classCase{"frontend: " + classServerRejected, "tls_handshake_failed", client("plain", h.addr, "", "-CAfile", cp.caFile)},
		classCase{"frontend: " + classCertRequired, "tls_handshake_failed", client("mtls", h.mtlsAddr, httpGet, "-ign_eof")},
		classCase{"frontend: " + classCertOtherCA, "client_cert_untrusted", client("mtls", h.mtlsAddr, httpGet, "-ign_eof",
			"-cert", cp.clientOnly.cert, "-key", cp.clientOnly.key)},
		classCase{"frontend: " + classSNIRequired, "tls_handshake_failed", func(t *testing.T) string {
			from := len(h.output())
			runProgram(t, "openssl", "s_client", "-connect", strictSNIAddr, "-noservername", "-CAfile", ca)
			return h.linesSince(t, from, " strictsni/")
		}},
	)
}

// linesSince waits until HAProxy's output past offset from holds a line
// with substr and returns those lines.
func (h *haproxyProc) linesSince(t *testing.T, from int, substr string) string {
	t.Helper()
	var lines []string
	waitFor(func() bool {
		out := h.output()
		lines = nil
		for _, l := range strings.Split(out[min(from, len(out)):], "\n") {
			if strings.Contains(l, substr) {
				lines = append(lines, l)
			}
		}
		return len(lines) > 0
	})
	if len(lines) == 0 {
		t.Fatalf("haproxy logged no line with %q after offset %d:\n%s", substr, from, h.output())
	}
	return strings.Join(lines, "\n")
}

func combinedPEM(t *testing.T, dir, name, certFile, keyFile string) string {
	t.Helper()
	cert, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+"-combined.pem")
	if err := os.WriteFile(path, append(cert, key...), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func freeAddr(t *testing.T) string { return fmt.Sprintf("127.0.0.1:%d", peertest.FreePort(t)) }
