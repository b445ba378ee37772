package peertest

import "testing"

// RunCurl runs curl against url and returns its combined output:
//
//	curl -sS --cacert CA.pem --max-time 20 ARGS... URL
//
// The server certificate is verified against the PKI's CA. Use
// https://localhost:PORT/ or https://127.0.0.1:PORT/ (the leaves name both).
// CurlCipherArgs pins TLS 1.2 and one suite; add -v to see the handshake
// ("SSL connection using TLSv1.2 / ECDHE-RSA-AES128-GCM-SHA256") on stderr.
func RunCurl(t testing.TB, url string, args ...string) (string, error) {
	t.Helper()
	Require(t, "curl")
	pki := NewPKI(t)
	argv := []string{"-sS", "--cacert", pki.CACertFile, "--max-time", "20"}
	argv = append(append(argv, args...), url)
	return runClient(t, "curl", nil, "", argv)
}
