package interop

import (
	"strings"
	"testing"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// sha1SchemeCase is one SHA-1 signature scheme named in TLS 1.2 (RFC 9155
// deprecates them; clasp signs and accepts one only when
// Config.SignatureSchemes names it), with a suite whose ServerKeyExchange
// it signs, as each peer spells it.
type sha1SchemeCase struct {
	scheme  clasp.SignatureScheme
	suite   oldSuite
	openssl string // -sigalgs, which needs @SECLEVEL=0 for SHA-1
	gnutls  string // priority string
}

var sha1SchemeCases = []sha1SchemeCase{
	{clasp.PKCS1WithSHA1, oldSuite{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "", false}, "RSA+SHA1",
		"NONE:+VERS-TLS1.2:+ECDHE-RSA:+AES-128-GCM:+AEAD:+SIGN-RSA-SHA1:+COMP-NULL:+GROUP-ALL"},
	{clasp.PKCS1WithSHA1, oldSuite{"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "DHE-RSA-AES128-GCM-SHA256", "", false}, "RSA+SHA1",
		"NONE:+VERS-TLS1.2:+DHE-RSA:+AES-128-GCM:+AEAD:+SIGN-RSA-SHA1:+COMP-NULL:+GROUP-ALL"},
	{clasp.ECDSAWithSHA1, oldSuite{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", "", true}, "ECDSA+SHA1",
		"NONE:+VERS-TLS1.2:+ECDHE-ECDSA:+AES-128-GCM:+AEAD:+SIGN-ECDSA-SHA1:+COMP-NULL:+GROUP-ALL"},
}

func (c sha1SchemeCase) name() string { return c.scheme.String() + "/" + c.suite.iana }

func (c sha1SchemeCase) clientConfig(pki *peertest.PKI) *clasp.Config {
	cfg := oldClientConfig(pki, clasp.VersionTLS12, c.suite.id())
	cfg.SignatureSchemes = []clasp.SignatureScheme{c.scheme}
	return cfg
}

func (c sha1SchemeCase) serverConfig(pki *peertest.PKI) *clasp.Config {
	cfg := oldServerConfig(pki, clasp.VersionTLS12, c.suite)
	cfg.SignatureSchemes = []clasp.SignatureScheme{c.scheme}
	cfg.Groups = []clasp.CurveID{clasp.X25519, clasp.CurveP256, clasp.FFDHE2048}
	return cfg
}

// checkSHA1Scheme checks that one side signed or verified with the named
// scheme and warned about it.
func checkSHA1Scheme(t *testing.T, side string, st clasp.ConnectionState, c sha1SchemeCase) {
	t.Helper()
	if st.Version != clasp.VersionTLS12 || st.CipherSuite != c.suite.id() {
		t.Errorf("%s negotiated %s %s", side, clasp.VersionName(st.Version), st.CipherSuiteName)
	}
	if st.SignatureScheme != c.scheme {
		t.Errorf("%s signature scheme %v, want %v", side, st.SignatureScheme, c.scheme)
	}
	wantWarning(t, side, st, "signature scheme "+c.scheme.String()+" signs with SHA-1, which RFC 9155 deprecates")
}

func TestSHA1SchemesClaspClientToOpenSSLServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	for _, c := range sha1SchemeCases {
		t.Run(c.name(), func(t *testing.T) {
			srv := peertest.StartOpenSSLServer(t, c.suite.leaf(pki), "-www", "-tls1_2",
				"-cipher", c.suite.openssl+":@SECLEVEL=0", "-sigalgs", c.openssl)
			page, state, _ := claspOldGet(t, srv.Addr, c.clientConfig(pki))
			if !strings.Contains(page, "200 ok") {
				t.Errorf("s_server did not answer with a page:\n%s", page)
			}
			checkSHA1Scheme(t, "client", state, c)
		})
	}
}

func TestSHA1SchemesOpenSSLClientToClaspServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	for _, c := range sha1SchemeCases {
		t.Run(c.name(), func(t *testing.T) {
			addr, results, _ := startCountingClaspServer(t, c.serverConfig(pki))
			out, err := peertest.RunOpenSSLClient(t, addr, "hello from openssl\n", "-ign_eof", "-tls1_2",
				"-cipher", c.suite.openssl+":@SECLEVEL=0", "-sigalgs", c.openssl)
			if err != nil || !strings.Contains(out, "clasp echo: hello from openssl") {
				t.Fatalf("s_client: %v\n%s", err, out)
			}
			// s_client reports the scheme the server signed with.
			if want := "Peer signature type: " + map[bool]string{false: "RSA", true: "ECDSA"}[c.suite.ecdsa]; !strings.Contains(out, want) || !strings.Contains(out, "Peer signing digest: SHA1") {
				t.Errorf("s_client did not see a SHA-1 %s signature:\n%s", want, out)
			}
			res := checkLegacyServer(t, results, clasp.VersionTLS12, c.suite.iana, "hello from openssl")
			checkSHA1Scheme(t, "server", res.state, c)
		})
	}
}

func TestSHA1SchemesClaspClientToGnuTLSServer(t *testing.T) {
	peertest.Require(t, "gnutls-serv")
	pki := peertest.NewPKI(t)
	for _, c := range sha1SchemeCases {
		t.Run(c.name(), func(t *testing.T) {
			srv := peertest.StartGnuTLSServer(t, c.suite.leaf(pki), c.gnutls, "--http", "--disable-client-cert")
			page, state, _ := claspOldGet(t, srv.Addr, c.clientConfig(pki))
			if !strings.Contains(page, "200 OK") {
				t.Errorf("gnutls-serv did not answer with a page:\n%s", page)
			}
			checkSHA1Scheme(t, "client", state, c)
		})
	}
}

func TestSHA1SchemesGnuTLSClientToClaspServer(t *testing.T) {
	peertest.Require(t, "gnutls-cli")
	pki := peertest.NewPKI(t)
	for _, c := range sha1SchemeCases {
		t.Run(c.name(), func(t *testing.T) {
			addr, results, _ := startCountingClaspServer(t, c.serverConfig(pki))
			out, err := peertest.RunGnuTLSClient(t, addr, "hello from gnutls\n", "--priority", c.gnutls)
			if err != nil || !strings.Contains(out, "clasp echo: hello from gnutls") {
				t.Fatalf("gnutls-cli: %v\n%s", err, out)
			}
			res := checkLegacyServer(t, results, clasp.VersionTLS12, c.suite.iana, "hello from gnutls")
			checkSHA1Scheme(t, "server", res.state, c)
		})
	}
}
