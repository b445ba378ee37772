package interop

import (
	"fmt"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// The legacy suites (suites.LegacySuites: 3DES-EDE-CBC, RC4-128, NULL)
// against real peers, in TLS 1.0 (3DES with the chained IV and the 1/n-1
// split on an 8-byte block) and TLS 1.2. Which peer runs which suite here:
//
//   - GnuTLS 3.7.9 runs all of them with +3DES-CBC, +ARCFOUR-128, +NULL in
//     the priority string.
//   - NSS 3.87 (selfserv/tstclnt) runs all of them when -c :XXXX names
//     them, RC4 and NULL included.
//   - Debian's OpenSSL 3.0 has no 3DES suite even at @SECLEVEL=0 and no
//     RC4 suite even with the legacy provider (`openssl ciphers -v
//     'ALL:COMPLEMENTOFALL:@SECLEVEL=0'` lists neither), so it covers only
//     the NULL suites.
var legacySuites = []oldSuite{
	{"TLS_RSA_WITH_3DES_EDE_CBC_SHA", "", "RSA:+3DES-CBC:+SHA1", false},
	{"TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", "", "DHE-RSA:+3DES-CBC:+SHA1", false},
	{"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "", "ECDHE-RSA:+3DES-CBC:+SHA1", false},
	{"TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", "", "ECDHE-ECDSA:+3DES-CBC:+SHA1", true},
	{"TLS_RSA_WITH_RC4_128_SHA", "", "RSA:+ARCFOUR-128:+SHA1", false},
	{"TLS_RSA_WITH_RC4_128_MD5", "", "RSA:+ARCFOUR-128:+MD5", false},
	{"TLS_ECDHE_RSA_WITH_RC4_128_SHA", "", "ECDHE-RSA:+ARCFOUR-128:+SHA1", false},
	{"TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "", "ECDHE-ECDSA:+ARCFOUR-128:+SHA1", true},
	{"TLS_RSA_WITH_NULL_SHA", "NULL-SHA", "RSA:+NULL:+SHA1", false},
	{"TLS_RSA_WITH_NULL_MD5", "NULL-MD5", "RSA:+NULL:+MD5", false},
	{"TLS_RSA_WITH_NULL_SHA256", "NULL-SHA256", "RSA:+NULL:+SHA256", false},
	{"TLS_ECDHE_RSA_WITH_NULL_SHA", "ECDHE-RSA-NULL-SHA", "ECDHE-RSA:+NULL:+SHA1", false},
	{"TLS_ECDHE_ECDSA_WITH_NULL_SHA", "ECDHE-ECDSA-NULL-SHA", "ECDHE-ECDSA:+NULL:+SHA1", true},
}

// legacyVersionsFor is TLS 1.0 and 1.2, or only 1.2 for the SHA-256 suite.
func legacyVersionsFor(s oldSuite) []oldVersion {
	tls12 := oldVersion{clasp.VersionTLS12, "-tls1_2", "VERS-TLS1.2", "tls1.2:tls1.2", "TLSv1.2"}
	if strings.HasSuffix(s.iana, "SHA256") {
		return []oldVersion{tls12}
	}
	return []oldVersion{oldVersions[0], tls12}
}

func isCBC(iana string) bool { return strings.Contains(iana, "_CBC_") }

// wantLegacyWarning checks that the state names the suite in a warning.
func wantLegacyWarning(t *testing.T, side string, st clasp.ConnectionState, suite string) {
	t.Helper()
	if !strings.Contains(strings.Join(st.Warnings, "\n"), suite+":") {
		t.Errorf("%s warnings %q do not name %s", side, st.Warnings, suite)
	}
}

func TestLegacySuitesClaspClientToGnuTLSServer(t *testing.T) {
	peertest.Require(t, "gnutls-serv")
	pki := peertest.NewPKI(t)
	for _, s := range legacySuites {
		for _, v := range legacyVersionsFor(s) {
			t.Run(oldName(v, s), func(t *testing.T) {
				srv := peertest.StartGnuTLSServer(t, s.leaf(pki), gnutlsOldPriority(v.gnutls, s), "--http", "--disable-client-cert")
				page, state, recs := claspOldGet(t, srv.Addr, oldClientConfig(pki, v.v, s.id()))
				if !strings.Contains(page, "200 OK") {
					t.Errorf("gnutls-serv did not answer with a page:\n%s", page)
				}
				if state.Version != v.v || suites.ID(state.CipherSuite).String() != s.iana {
					t.Errorf("clasp negotiated %s %s", clasp.VersionName(state.Version), state.CipherSuiteName)
				}
				wantLegacyWarning(t, "client", state, s.iana)
				wantSplit(t, v.v, isCBC(s.iana), recs)
			})
		}
	}
}

func TestLegacySuitesGnuTLSClientToClaspServer(t *testing.T) {
	peertest.Require(t, "gnutls-cli")
	pki := peertest.NewPKI(t)
	for _, s := range legacySuites {
		for _, v := range legacyVersionsFor(s) {
			t.Run(oldName(v, s), func(t *testing.T) {
				addr, results, written := startCountingClaspServer(t, oldServerConfig(pki, v.v, s))
				out, err := peertest.RunGnuTLSClient(t, addr, "hello from gnutls\n", "--priority", gnutlsOldPriority(v.gnutls, s))
				if err != nil || !strings.Contains(out, "clasp echo: hello from gnutls") {
					t.Fatalf("gnutls-cli: %v\n%s", err, out)
				}
				res := checkLegacyServer(t, results, v.v, s.iana, "hello from gnutls")
				wantLegacyWarning(t, "server", res.state, s.iana)
				wantSplit(t, v.v, isCBC(s.iana), written())
			})
		}
	}
}

func checkLegacyServer(t *testing.T, results <-chan serverResult, v uint16, suite, line string) serverResult {
	t.Helper()
	res := <-results
	if res.err != nil {
		t.Fatalf("clasp server: %v", res.err)
	}
	if res.state.Version != v || suites.ID(res.state.CipherSuite).String() != suite || res.line != line {
		t.Errorf("clasp server: %s %s read %q", clasp.VersionName(res.state.Version), suites.ID(res.state.CipherSuite), res.line)
	}
	return res
}

func TestLegacySuitesClaspClientToNSSServer(t *testing.T) {
	peertest.Require(t, "selfserv")
	pki := peertest.NewPKI(t)
	for _, s := range legacySuites {
		for _, v := range legacyVersionsFor(s) {
			t.Run(oldName(v, s), func(t *testing.T) {
				srv := peertest.StartNSSServer(t, s.leaf(pki), "-V", v.nss, "-c", peertest.NSSCipherArg(s.id()))
				page, state, recs := claspOldGet(t, srv.Addr, oldClientConfig(pki, v.v, s.id()))
				if !strings.Contains(page, "GET / HTTP/1.0") {
					t.Errorf("selfserv did not echo the request:\n%s", page)
				}
				if state.Version != v.v || suites.ID(state.CipherSuite).String() != s.iana {
					t.Errorf("clasp negotiated %s %s", clasp.VersionName(state.Version), state.CipherSuiteName)
				}
				wantLegacyWarning(t, "client", state, s.iana)
				wantSplit(t, v.v, isCBC(s.iana), recs)
			})
		}
	}
}

func TestLegacySuitesNSSClientToClaspServer(t *testing.T) {
	peertest.Require(t, "tstclnt")
	pki := peertest.NewPKI(t)
	for _, s := range legacySuites {
		for _, v := range legacyVersionsFor(s) {
			t.Run(oldName(v, s), func(t *testing.T) {
				addr, results, written := startCountingClaspServer(t, oldServerConfig(pki, v.v, s))
				out, err := peertest.RunNSSClient(t, addr, "hello from nss\n", "-V", v.nss, "-c", peertest.NSSCipherArg(s.id()))
				if err != nil || !strings.Contains(out, "clasp echo: hello from nss") {
					t.Fatalf("tstclnt: %v\n%s", err, out)
				}
				res := checkLegacyServer(t, results, v.v, s.iana, "hello from nss")
				wantLegacyWarning(t, "server", res.state, s.iana)
				wantSplit(t, v.v, isCBC(s.iana), written())
			})
		}
	}
}

func TestLegacySuitesWithOpenSSL(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	for _, s := range legacySuites {
		if s.openssl == "" {
			continue
		}
		for _, v := range legacyVersionsFor(s) {
			cipher := s.openssl + ":@SECLEVEL=0"
			t.Run(oldName(v, s)+"/clasp client", func(t *testing.T) {
				srv := peertest.StartOpenSSLServer(t, s.leaf(pki), "-www", v.openssl, "-cipher", cipher)
				page, state, _ := claspOldGet(t, srv.Addr, oldClientConfig(pki, v.v, s.id()))
				if want := fmt.Sprintf("Cipher    : %s\n", s.openssl); !strings.Contains(page, want) {
					t.Errorf("s_server page lacks %q:\n%s", want, page)
				}
				wantLegacyWarning(t, "client", state, s.iana)
			})
			t.Run(oldName(v, s)+"/clasp server", func(t *testing.T) {
				addr, results, _ := startCountingClaspServer(t, oldServerConfig(pki, v.v, s))
				out, err := peertest.RunOpenSSLClient(t, addr, "hello from openssl\n", "-ign_eof", v.openssl, "-cipher", cipher)
				if err != nil || !strings.Contains(out, "clasp echo: hello from openssl") || !strings.Contains(out, "Cipher    : "+s.openssl) {
					t.Fatalf("s_client: %v\n%s", err, out)
				}
				res := checkLegacyServer(t, results, v.v, s.iana, "hello from openssl")
				wantLegacyWarning(t, "server", res.state, s.iana)
			})
		}
	}
}
