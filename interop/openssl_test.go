package interop

import (
	"errors"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// TestClaspClientToOpenSSLServer: every suite clasp implements, against
// `openssl s_server -www`, which answers with a page naming the cipher.
func TestClaspClientToOpenSSLServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	for _, suite := range implementedSuiteNames() {
		t.Run(suite, func(t *testing.T) {
			args := append([]string{"-www"}, peertest.OpenSSLCipherArgs(suite)...)
			srv := peertest.StartOpenSSLServer(t, pki.LeafFor(suite), args...)
			page, state := claspGet(t, srv.Addr, claspClientConfig(pki, suite))
			if want := "Cipher is " + peertest.OpenSSLName(suite); !strings.Contains(page, want) {
				t.Errorf("s_server page lacks %q:\n%s", want, page)
			}
			if got := suites.ID(state.CipherSuite).String(); got != suite {
				t.Errorf("clasp negotiated %s, want %s", got, suite)
			}
		})
	}
}

// TestOpenSSLClientToClaspServer: every suite clasp implements, from
// `openssl s_client` to a clasp server that echoes one line.
func TestOpenSSLClientToClaspServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	for _, suite := range implementedSuiteNames() {
		t.Run(suite, func(t *testing.T) {
			addr, results := startClaspServer(t, claspServerConfig(pki, suite), 1)
			out, err := peertest.RunOpenSSLClient(t, addr, "hello from openssl\n",
				append([]string{"-ign_eof"}, peertest.OpenSSLCipherArgs(suite)...)...)
			if err != nil {
				t.Fatalf("s_client: %v\n%s", err, out)
			}
			for _, want := range []string{"Cipher    : " + peertest.OpenSSLName(suite), "Protocol  : TLSv1.2",
				"Verify return code: 0 (ok)", "clasp echo: hello from openssl"} {
				if !strings.Contains(out, want) {
					t.Errorf("s_client output lacks %q:\n%s", want, out)
				}
			}
			wantServer(t, results, suite, "hello from openssl")
		})
	}
}

// TestNoCommonSuiteWithOpenSSLClient: s_client offers only a suite the
// clasp server does not accept. clasp must say what each side had, and
// s_client must see the handshake_failure alert (RFC 5246 §7.4.1.3).
func TestNoCommonSuiteWithOpenSSLClient(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	addr, results := startClaspServer(t, claspServerConfig(pki, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), 1)
	out, err := peertest.RunOpenSSLClient(t, addr, "", peertest.OpenSSLCipherArgs("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA")...)
	if err == nil {
		t.Fatalf("s_client succeeded without a common suite:\n%s", out)
	}
	if !strings.Contains(out, "handshake failure") || !strings.Contains(out, "alert number 40") {
		t.Errorf("s_client did not report the handshake_failure alert:\n%s", out)
	}
	res := <-results
	var ne *clasp.NegotiationError
	if !errors.As(res.err, &ne) {
		t.Fatalf("clasp server error = %v, want a NegotiationError", res.err)
	}
	msg := res.err.Error()
	for _, want := range []string{"no cipher suite in common", "client offered [TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
		"server accepts [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]"} {
		if !strings.Contains(msg, want) {
			t.Errorf("clasp error %q lacks %q", msg, want)
		}
	}
	var he *clasp.HandshakeError
	if !errors.As(res.err, &he) || !he.AlertSent || he.Alert != 40 {
		t.Errorf("clasp did not record sending handshake_failure: %+v", he)
	}
}

// TestNoCommonSuiteWithOpenSSLServer: the clasp client offers only suites
// the server refuses; the server's alert surfaces as a typed AlertReceivedError and
// the error says what the client offered.
func TestNoCommonSuiteWithOpenSSLServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, append([]string{"-www"}, peertest.OpenSSLCipherArgs("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")...)...)
	cfg := claspClientConfig(pki, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")
	_, err := clasp.Dial("tcp", srv.Addr, cfg)
	var ae *clasp.AlertReceivedError
	if !errors.As(err, &ae) || ae.Name() != "handshake_failure" {
		t.Fatalf("clasp client error = %v, want the peer's handshake_failure alert", err)
	}
	if !strings.Contains(err.Error(), "client offered [TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA]") {
		t.Errorf("error %q does not say what the client offered", err)
	}
}
