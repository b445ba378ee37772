package explain

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// TestPythonFailuresExplained provokes ssl module failures with a small
// client, all cases in one interpreter.
func TestPythonFailuresExplained(t *testing.T) {
	peertest.Require(t, "openssl")
	requireProgram(t, "python3")
	pki := peertest.NewPKI(t)
	fault := newFaultPKI(t)
	good := peertest.StartOpenSSLServer(t, pki.RSA, "-www")
	selfSigned := peertest.StartOpenSSLServer(t, fault.selfSigned.asLeaf(), "-www")
	expired := peertest.StartOpenSSLServer(t, fault.expired.asLeaf(), "-www")
	only11 := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
	cases := []struct{ name, fault, addr, sni, ca, want string }{
		{"unknown", "CA not in the trust store", good.Addr, "localhost", "-", "cert_issuer_unknown"},
		{"selfsigned", "self-signed certificate", selfSigned.Addr, "localhost", pki.CACertFile, "cert_self_signed"},
		{"hostname", "hostname mismatch", good.Addr, "wrong.example", pki.CACertFile, "cert_hostname_mismatch"},
		{"expired", "expired certificate", expired.Addr, "localhost", fault.caFile, "cert_expired"},
		{"version", "TLS 1.1-only server", only11.Addr, "localhost", pki.CACertFile, "protocol_version_mismatch"},
		{"plain", "plain HTTP on the port", startPlainHTTP(t), "localhost", pki.CACertFile, "not_tls"},
	}
	args := []string{filepath.Join("testdata", "explain_client.py")}
	for _, c := range cases {
		host, port, _ := net.SplitHostPort(c.addr)
		args = append(args, c.name, host, port, c.sni, c.ca)
	}
	out := runProgram(t, "python3", args...)
	for _, c := range cases {
		text := ""
		for _, line := range strings.Split(out, "\n") {
			if rest, ok := strings.CutPrefix(line, "CASE "+c.name+": "); ok {
				text = rest
			}
		}
		if text == "" {
			t.Errorf("python printed no line for case %s:\n%s", c.name, out)
			continue
		}
		expectCause(t, "Python ssl", c.fault, text, c.want)
	}
}
