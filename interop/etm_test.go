package interop

import (
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// Encrypt-then-MAC (RFC 7366) against OpenSSL, which negotiates it by
// default for CBC suites, in both directions; -no_etm on the OpenSSL side
// falls back to MAC-then-encrypt. Data flows in each case, so both record
// formats are proven against another implementation.
func TestEncryptThenMACWithOpenSSL(t *testing.T) {
	pki := peertest.NewPKI(t)
	const suite = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"
	for _, tc := range []struct {
		name  string
		extra []string
		etm   bool
	}{{"etm", nil, true}, {"no_etm", []string{"-no_etm"}, false}} {
		t.Run("openssl server/"+tc.name, func(t *testing.T) {
			args := append([]string{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256", "-www", "-quiet"}, tc.extra...)
			srv := peertest.StartOpenSSLServer(t, pki.RSA, args...)
			body, st := claspGet(t, srv.Addr, claspClientConfig(pki, suite))
			if st.EncryptThenMAC != tc.etm || !strings.Contains(body, "200 ok") {
				t.Errorf("EncryptThenMAC %v (want %v); answer %q", st.EncryptThenMAC, tc.etm, firstLine(body))
			}
		})
		t.Run("openssl client/"+tc.name, func(t *testing.T) {
			addr, results := startClaspServer(t, claspServerConfig(pki, suite), 1)
			args := append([]string{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256", "-ign_eof"}, tc.extra...)
			out, err := peertest.RunOpenSSLClient(t, addr, "hello over "+tc.name+"\n", args...)
			if err != nil {
				t.Fatalf("s_client: %v\n%s", err, out)
			}
			res := <-results
			if res.err != nil || res.line != "hello over "+tc.name || res.state.EncryptThenMAC != tc.etm {
				t.Errorf("clasp server: %v, line %q, EncryptThenMAC %v (want %v)", res.err, res.line, res.state.EncryptThenMAC, tc.etm)
			}
			if !strings.Contains(out, "clasp echo: hello over "+tc.name) {
				t.Errorf("s_client did not get the echo:\n%s", out)
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
