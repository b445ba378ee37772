package explain

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// TestJavaFailuresExplained provokes JSSE failures with a small client run
// as a single-file program (java ExplainClient.java): all cases in one JVM,
// so the test costs one JVM start.
func TestJavaFailuresExplained(t *testing.T) {
	peertest.Require(t, "java", "openssl")
	pki := peertest.NewPKI(t)
	fault := newFaultPKI(t)
	good := peertest.StartOpenSSLServer(t, pki.RSA, "-www")
	expired := peertest.StartOpenSSLServer(t, fault.expired.asLeaf(), "-www")
	onlyAES128 := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
	only13 := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_3")
	plain := startPlainHTTP(t)

	cases := []struct {
		name, fault, addr, sni, ca, protocol, suite, want string
	}{
		{"pkix", "CA not in the trust store", good.Addr, "localhost", "-", "-", "-", "cert_issuer_unknown"},
		{"hostname", "hostname mismatch", good.Addr, "wrong.example", pki.CACertFile, "-", "-", "cert_hostname_mismatch"},
		{"expired", "expired certificate", expired.Addr, "localhost", fault.caFile, "-", "-", "cert_expired"},
		{"suite", "no common cipher suite", onlyAES128.Addr, "localhost", pki.CACertFile, "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "handshake_failure_alert"},
		{"version", "TLS 1.2 client, TLS 1.3-only server", only13.Addr, "localhost", pki.CACertFile, "TLSv1.2", "-", "protocol_version_mismatch"},
		{"plain", "plain HTTP on the port", plain, "localhost", pki.CACertFile, "-", "-", "not_tls"},
	}
	args := []string{filepath.Join("testdata", "ExplainClient.java")}
	for _, c := range cases {
		host, port, _ := net.SplitHostPort(c.addr)
		args = append(args, c.name, host, port, c.sni, c.ca, c.protocol, c.suite)
	}
	out := runProgram(t, "java", args...)
	lines := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "CASE "); ok {
			name, text, _ := strings.Cut(rest, ": ")
			lines[name] = text
		}
	}
	for _, c := range cases {
		text, ok := lines[c.name]
		if !ok {
			t.Errorf("java printed no line for case %s:\n%s", c.name, out)
			continue
		}
		expectCause(t, "Java 17 JSSE", c.fault, text, c.want)
	}
}
