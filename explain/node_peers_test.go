package explain

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// TestNodeFailuresExplained provokes Node.js tls failures with a small
// client, all cases in one process.
func TestNodeFailuresExplained(t *testing.T) {
	peertest.Require(t, "node", "openssl")
	pki := peertest.NewPKI(t)
	fault := newFaultPKI(t)
	good := peertest.StartOpenSSLServer(t, pki.RSA, "-www")
	selfSigned := peertest.StartOpenSSLServer(t, fault.selfSigned.asLeaf(), "-www")
	expired := peertest.StartOpenSSLServer(t, fault.expired.asLeaf(), "-www")
	onlyAES128 := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
	only13 := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_3")
	cases := []struct{ name, fault, addr, sni, ca, maxVersion, ciphers, want string }{
		{"unknown", "CA not in the trust store", good.Addr, "localhost", "-", "-", "-", "cert_issuer_unknown"},
		{"selfsigned", "self-signed certificate", selfSigned.Addr, "localhost", pki.CACertFile, "-", "-", "cert_self_signed"},
		{"hostname", "hostname mismatch", good.Addr, "wrong.example", pki.CACertFile, "-", "-", "cert_hostname_mismatch"},
		{"expired", "expired certificate", expired.Addr, "localhost", fault.caFile, "-", "-", "cert_expired"},
		{"suite", "no common cipher suite", onlyAES128.Addr, "localhost", pki.CACertFile, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "handshake_failure_alert"},
		{"version", "TLS 1.2 client, TLS 1.3-only server", only13.Addr, "localhost", pki.CACertFile, "TLSv1.2", "-", "protocol_version_mismatch"},
		{"plain", "plain HTTP on the port", startPlainHTTP(t), "localhost", pki.CACertFile, "-", "-", "not_tls"},
	}
	args := []string{filepath.Join("testdata", "explain_client.js")}
	for _, c := range cases {
		host, port, _ := net.SplitHostPort(c.addr)
		args = append(args, c.name, host, port, c.sni, c.ca, c.maxVersion, c.ciphers)
	}
	out := runProgram(t, "node", args...)
	for _, c := range cases {
		text := ""
		for _, line := range strings.Split(out, "\n") {
			if rest, ok := strings.CutPrefix(line, "CASE "+c.name+": "); ok {
				text = rest
			}
		}
		if text == "" || text == "connected" {
			t.Errorf("node case %s: %q:\n%s", c.name, text, out)
			continue
		}
		expectCause(t, "Node.js tls", c.fault, text, c.want)
	}
}
