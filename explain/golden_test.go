package explain

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenLog is a pasted log with a message from several sources, one
// unrecognised line and an OpenSSL 1.1 code without its text.
const goldenLog = `2026/12/07 13:00:01 [info] 7#7: *1 SSL_do_handshake() failed (SSL: error:0A0000C1:SSL routines::no shared cipher) while SSL handshaking, client: 10.0.0.1, server: 0.0.0.0:443
curl: (60) SSL certificate problem: unable to get local issuer certificate
this line is not a TLS error
javax.net.ssl.SSLHandshakeException: Received fatal alert: protocol_version
error:1408F10B
SSL_ERROR_BAD_CERT_DOMAIN: Unable to communicate securely with peer: requested domain name does not match the server's certificate.`

// TestGoldenReports renders the same log in every language and compares
// with testdata/golden/report.LANG.txt (go test -run TestGoldenReports
// -update rewrites them), so a change of words shows up in review.
func TestGoldenReports(t *testing.T) {
	c := mustLoad(t)
	for _, lang := range c.Languages() {
		t.Run(lang, func(t *testing.T) {
			var out bytes.Buffer
			c.WriteText(&out, c.Explain(goldenLog, lang, "example.com:443"), lang)
			path := filepath.Join("testdata", "golden", "report."+lang+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("report in %s differs from %s:\n%s", lang, path, out.String())
			}
		})
	}
}
