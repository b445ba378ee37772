package interop

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// Java 17's JSSE sends its first ClientHello in the SSL 2.0 format (RFC
// 5246 Appendix E.2) when "SSLv2Hello" is among its enabled protocols (a
// listener saw 0x80 0x2f 0x01 0x03 0x03 ...); a clasp server with
// Config.AcceptSSLv2ClientHello completes the handshake, which proves the
// handshake hash covers the SSL 2.0 message the way JSSE computes it. The
// format carries no extensions, so no EMS, no supported_groups and no
// signature_algorithms: RSA key exchange needs none of them, and ECDHE
// works because RFC 8422 §4 lets the server pick a curve when the client
// names none, signed with SHA-1 in TLS 1.2, the default of RFC 5246
// §7.4.1.4.1, which the server must then have named in SignatureSchemes.
// SSL 3.0 clients used the format too (RFC 6101 Appendix E.1). A server
// without the option refuses the same client.
func TestSSLv2FormatHelloFromJava(t *testing.T) {
	peertest.Require(t, "java")
	pki := peertest.NewPKI(t)
	cases := []struct {
		name, javaProt, javaName string
		v                        uint16
		suite                    oldSuite
		accept                   bool
		schemes                  []clasp.SignatureScheme
	}{
		{"TLS 1.2 RSA", "SSLv2Hello+TLSv1.2", "TLS_RSA_WITH_AES_128_CBC_SHA", clasp.VersionTLS12, oldSuite{iana: "TLS_RSA_WITH_AES_128_CBC_SHA"}, true, nil},
		{"TLS 1.2 ECDHE_RSA with SHA-1", "SSLv2Hello+TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", clasp.VersionTLS12, oldSuite{iana: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}, true, []clasp.SignatureScheme{clasp.PKCS1WithSHA1}},
		{"TLS 1.1 RSA", "SSLv2Hello+TLSv1.1", "TLS_RSA_WITH_AES_128_CBC_SHA", clasp.VersionTLS11, oldSuite{iana: "TLS_RSA_WITH_AES_128_CBC_SHA"}, true, nil},
		{"TLS 1.0 ECDHE_RSA", "SSLv2Hello+TLSv1", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", clasp.VersionTLS10, oldSuite{iana: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"}, true, nil},
		{"SSL 3.0 RSA 3DES", "SSLv2Hello+SSLv3", "SSL_RSA_WITH_3DES_EDE_CBC_SHA", clasp.VersionSSL30, oldSuite{iana: "TLS_RSA_WITH_3DES_EDE_CBC_SHA"}, true, nil},
		{"refused by default", "SSLv2Hello+TLSv1.2", "TLS_RSA_WITH_AES_128_CBC_SHA", clasp.VersionTLS12, oldSuite{iana: "TLS_RSA_WITH_AES_128_CBC_SHA"}, false, nil},
	}
	props := filepath.Join(t.TempDir(), "legacy.security")
	if err := os.WriteFile(props, []byte("jdk.tls.disabledAlgorithms=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-Djava.security.properties=" + props, filepath.Join("testdata", "LegacyClient.java"), pki.CACertFile}
	var waits []<-chan serverResult
	for _, c := range cases {
		cfg := oldServerConfig(pki, c.v, c.suite)
		cfg.AcceptSSLv2ClientHello = c.accept
		cfg.SignatureSchemes = c.schemes
		addr, results, _ := startCountingClaspServer(t, cfg)
		args = append(args, c.javaProt+","+c.javaName+","+addr)
		waits = append(waits, results)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	raw, err := exec.CommandContext(ctx, "java", args...).CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if err != nil || len(lines) != len(cases) {
		t.Fatalf("java: %v\n%s", err, raw)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !c.accept {
				res := <-waits[i]
				if res.err == nil || !strings.Contains(res.err.Error(), "Config.AcceptSSLv2ClientHello") || !strings.HasPrefix(lines[i], "FAIL") {
					t.Errorf("default server: %v; java: %s", res.err, lines[i])
				}
				return
			}
			want := "OK " + strings.TrimPrefix(c.javaProt, "SSLv2Hello+") + " " + c.javaName + " clasp echo: hello from java"
			if lines[i] != want {
				t.Errorf("java: %q, want %q", lines[i], want)
			}
			res := checkLegacyServer(t, waits[i], c.v, c.suite.iana, "hello from java")
			if !strings.Contains(strings.Join(res.state.Warnings, "\n"), "SSL 2.0 format") {
				t.Errorf("server warnings %q do not name the SSL 2.0 format", res.state.Warnings)
			}
		})
	}
}
