package peertest

import (
	"fmt"
	"strings"
)

// suite is how each peer names one TLS 1.2 cipher suite. The table is local
// to the harness on purpose: it states what the peers accept, checked by this
// package's tests, independently of clasp's own registry in internal/suites.
type suite struct {
	iana    string
	id      uint16
	openssl string // OpenSSL (and curl with its OpenSSL backend) name
	// GnuTLS selects a suite by its parts: key exchange, cipher and MAC
	// ("AEAD" for AEAD ciphers). Each combination below is exactly one suite.
	gnutlsKx, gnutlsCipher, gnutlsMAC string
}

// suites lists the TLS 1.2 suites every peer here (OpenSSL 3.0, GnuTLS 3.7,
// NSS 3.87, curl) is known to negotiate when pinned with the helpers below.
var suites = []suite{
	{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02B, "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA", "AES-128-GCM", "AEAD"},
	{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xC02C, "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA", "AES-256-GCM", "AEAD"},
	{"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA9, "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-ECDSA", "CHACHA20-POLY1305", "AEAD"},
	{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xC009, "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA", "AES-128-CBC", "SHA1"},
	{"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xC00A, "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA", "AES-256-CBC", "SHA1"},
	{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xC023, "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA", "AES-128-CBC", "SHA256"},
	{"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 0xC024, "ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA", "AES-256-CBC", "SHA384"},
	{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC02F, "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA", "AES-128-GCM", "AEAD"},
	{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xC030, "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA", "AES-256-GCM", "AEAD"},
	{"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA8, "ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-RSA", "CHACHA20-POLY1305", "AEAD"},
	{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xC013, "ECDHE-RSA-AES128-SHA", "ECDHE-RSA", "AES-128-CBC", "SHA1"},
	{"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xC014, "ECDHE-RSA-AES256-SHA", "ECDHE-RSA", "AES-256-CBC", "SHA1"},
	{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xC027, "ECDHE-RSA-AES128-SHA256", "ECDHE-RSA", "AES-128-CBC", "SHA256"},
	{"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 0xC028, "ECDHE-RSA-AES256-SHA384", "ECDHE-RSA", "AES-256-CBC", "SHA384"},
	{"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 0x009E, "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA", "AES-128-GCM", "AEAD"},
	{"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 0x009F, "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA", "AES-256-GCM", "AEAD"},
	{"TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCAA, "DHE-RSA-CHACHA20-POLY1305", "DHE-RSA", "CHACHA20-POLY1305", "AEAD"},
	{"TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 0x0033, "DHE-RSA-AES128-SHA", "DHE-RSA", "AES-128-CBC", "SHA1"},
	{"TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 0x0039, "DHE-RSA-AES256-SHA", "DHE-RSA", "AES-256-CBC", "SHA1"},
	{"TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 0x0067, "DHE-RSA-AES128-SHA256", "DHE-RSA", "AES-128-CBC", "SHA256"},
	{"TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", 0x006B, "DHE-RSA-AES256-SHA256", "DHE-RSA", "AES-256-CBC", "SHA256"},
	{"TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009C, "AES128-GCM-SHA256", "RSA", "AES-128-GCM", "AEAD"},
	{"TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009D, "AES256-GCM-SHA384", "RSA", "AES-256-GCM", "AEAD"},
	{"TLS_RSA_WITH_AES_128_CBC_SHA", 0x002F, "AES128-SHA", "RSA", "AES-128-CBC", "SHA1"},
	{"TLS_RSA_WITH_AES_256_CBC_SHA", 0x0035, "AES256-SHA", "RSA", "AES-256-CBC", "SHA1"},
	{"TLS_RSA_WITH_AES_128_CBC_SHA256", 0x003C, "AES128-SHA256", "RSA", "AES-128-CBC", "SHA256"},
	{"TLS_RSA_WITH_AES_256_CBC_SHA256", 0x003D, "AES256-SHA256", "RSA", "AES-256-CBC", "SHA256"},
}

// lookupSuite finds a suite by IANA name. An unknown name is a bug in the
// calling test, so it panics with the list of known names.
func lookupSuite(ianaName string) suite {
	for _, s := range suites {
		if s.iana == ianaName {
			return s
		}
	}
	panic(fmt.Sprintf("peertest: no peer mapping for cipher suite %q; known: %s", ianaName, strings.Join(SuiteNames(), ", ")))
}

// SuiteNames returns the IANA names of every TLS 1.2 suite the cipher helpers
// know, in a stable order, for table-driven interop tests.
func SuiteNames() []string {
	names := make([]string, len(suites))
	for i, s := range suites {
		names[i] = s.iana
	}
	return names
}

// SuiteID returns the IANA code point of a suite known to the helpers.
func SuiteID(ianaName string) uint16 { return lookupSuite(ianaName).id }

// OpenSSLName returns OpenSSL's name for a suite ("ECDHE-RSA-AES128-SHA" for
// TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA). s_client prints it in "Cipher is".
func OpenSSLName(ianaName string) string { return lookupSuite(ianaName).openssl }

// OpenSSLCipherArgs returns the s_server/s_client arguments that restrict
// OpenSSL to TLS 1.2 and exactly this suite: -tls1_2 -cipher NAME.
//
// -cipher only governs TLS 1.2 and below (TLS 1.3 suites are -ciphersuites);
// -tls1_2 pins the version, so TLS 1.3 suites never come into play. With
// OpenSSL 3.0's default security level (1) every suite in the table works,
// including static RSA key exchange and SHA-1 MACs, so no @SECLEVEL is added;
// a test that needs SHA-1 signatures, TLS 1.0/1.1 or keys under 2048 bits
// must append ":@SECLEVEL=0" to the cipher string itself.
func OpenSSLCipherArgs(ianaName string) []string {
	return []string{"-tls1_2", "-cipher", lookupSuite(ianaName).openssl}
}

// CurlCipherArgs returns curl arguments that pin TLS 1.2 and exactly this
// suite. Debian's curl uses OpenSSL, so --ciphers takes OpenSSL names.
func CurlCipherArgs(ianaName string) []string {
	return []string{"--tlsv1.2", "--tls-max", "1.2", "--ciphers", lookupSuite(ianaName).openssl}
}

// GnuTLSPriority returns a GnuTLS priority string (for --priority) that
// allows TLS 1.2 and exactly this suite:
//
//	NONE:+VERS-TLS1.2:+<KX>:+<CIPHER>:+<MAC>:+SIGN-ALL:+COMP-NULL:+GROUP-ALL
//
// GnuTLS has no per-suite switch: starting from NONE, the one key exchange,
// cipher and MAC listed leave exactly one suite. SIGN-ALL and GROUP-ALL keep
// every signature scheme and group (FFDHE ones for DHE included) so that only
// the suite is constrained. Note that GnuTLS offers and accepts
// encrypt_then_mac (RFC 7366) for CBC suites; append ":%NO_ETM" to rule it
// out.
func GnuTLSPriority(ianaName string) string {
	s := lookupSuite(ianaName)
	return "NONE:+VERS-TLS1.2:+" + s.gnutlsKx + ":+" + s.gnutlsCipher + ":+" + s.gnutlsMAC + ":+SIGN-ALL:+COMP-NULL:+GROUP-ALL"
}

// NSSCipherArg returns the selfserv/tstclnt -c value for one suite by code
// point: ":C02B". NSS tools also accept single letters for a few old suites
// (see `tstclnt -Y`), but the ":XXXX" hex form covers every suite.
func NSSCipherArg(id uint16) string { return fmt.Sprintf(":%04X", id) }

// NSSCipherArgs returns the selfserv/tstclnt arguments that restrict NSS to
// TLS 1.2 and exactly this suite: -V tls1.2:tls1.2 -c :XXXX.
//
// -c first disables every suite and then enables the listed ones, DHE
// included: NSS 3.87's selfserv negotiates DHE_RSA suites named this way
// without -H 1.
func NSSCipherArgs(ianaName string) []string {
	return []string{"-V", "tls1.2:tls1.2", "-c", NSSCipherArg(lookupSuite(ianaName).id)}
}

// LeafFor returns the server leaf a suite needs: the ECDSA leaf for
// ECDHE_ECDSA suites, the RSA leaf for every other suite in the table.
func (p *PKI) LeafFor(ianaName string) *Leaf {
	if strings.Contains(lookupSuite(ianaName).iana, "_ECDSA_") {
		return p.ECDSA
	}
	return p.RSA
}
