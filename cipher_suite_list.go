package clasp

import (
	"slices"

	"github.com/clasp-tls/clasp/internal/suites"
)

// Cipher suite code points under the names crypto/tls gives them (IANA's
// registry names), so that code written for crypto/tls compiles unchanged.
// A name here is only a number: which suites clasp runs is what
// CipherSuites and InsecureCipherSuites list, and Config.CipherSuites
// chooses among those.
const (
	// TLS 1.0 - 1.2.
	TLS_RSA_WITH_RC4_128_SHA                      uint16 = 0x0005
	TLS_RSA_WITH_3DES_EDE_CBC_SHA                 uint16 = 0x000a
	TLS_RSA_WITH_AES_128_CBC_SHA                  uint16 = 0x002f
	TLS_RSA_WITH_AES_256_CBC_SHA                  uint16 = 0x0035
	TLS_RSA_WITH_AES_128_CBC_SHA256               uint16 = 0x003c
	TLS_RSA_WITH_AES_128_GCM_SHA256               uint16 = 0x009c
	TLS_RSA_WITH_AES_256_GCM_SHA384               uint16 = 0x009d
	TLS_ECDHE_ECDSA_WITH_RC4_128_SHA              uint16 = 0xc007
	TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA          uint16 = 0xc009
	TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA          uint16 = 0xc00a
	TLS_ECDHE_RSA_WITH_RC4_128_SHA                uint16 = 0xc011
	TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA           uint16 = 0xc012
	TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA            uint16 = 0xc013
	TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA            uint16 = 0xc014
	TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256       uint16 = 0xc023
	TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256         uint16 = 0xc027
	TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256         uint16 = 0xc02f
	TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256       uint16 = 0xc02b
	TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384         uint16 = 0xc030
	TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384       uint16 = 0xc02c
	TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256   uint16 = 0xcca8
	TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 uint16 = 0xcca9

	// TLS 1.3 (RFC 8446 §B.4).
	TLS_AES_128_GCM_SHA256       uint16 = 0x1301
	TLS_AES_256_GCM_SHA384       uint16 = 0x1302
	TLS_CHACHA20_POLY1305_SHA256 uint16 = 0x1303

	// TLS_FALLBACK_SCSV is the signalling value of RFC 7507: a client that
	// retries with a lower version than it supports sends it, and a
	// server that supports a higher one answers inappropriate_fallback.
	TLS_FALLBACK_SCSV uint16 = 0x5600

	// Legacy names of the ChaCha20-Poly1305 suites, as crypto/tls keeps them.
	TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305   = TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
	TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305 = TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
)

// VersionSSL30 is SSL 3.0's version number. RFC 7568 prohibits SSL 3.0
// (POODLE); clasp negotiates it only when Config.MinVersion names it, for
// reaching old systems, without client authentication, and reports it in
// ConnectionState.Warnings.
//
// Deprecated: SSL 3.0 is broken (POODLE).
const VersionSSL30 = 0x0300 // untyped, as in crypto/tls

// CipherSuite describes a cipher suite clasp can negotiate.
type CipherSuite struct {
	ID   uint16
	Name string
	// SupportedVersions lists the protocol versions that may negotiate
	// the suite.
	SupportedVersions []uint16
	// Insecure is true for a suite below clasp's secure default: without
	// forward secrecy or without an AEAD. Such a suite is used only when
	// Config.CipherSuites names it, and the connection then carries a
	// warning (ConnectionState.Warnings).
	Insecure bool
}

// CipherSuites returns the suites clasp runs that have no known weakness
// (TLS 1.3, and TLS 1.2 ECDHE or DHE with an AEAD, the PSK ones among
// them needing a pre-shared key), best first. Unlike
// crypto/tls, clasp counts CBC and static RSA suites as insecure: they are
// in InsecureCipherSuites.
func CipherSuites() []*CipherSuite {
	return listSuites(false)
}

// InsecureCipherSuites returns the suites clasp runs only when the
// configuration names them: CBC with MAC-then-encrypt (Lucky13-class
// attacks), static RSA key exchange (no forward secrecy, ROBOT), and the
// legacy 3DES, RC4, NULL, DHE_DSS and anonymous suites kept for reaching old
// systems.
func InsecureCipherSuites() []*CipherSuite {
	return listSuites(true)
}

func listSuites(insecure bool) []*CipherSuite {
	var out []*CipherSuite
	all := append(slices.Clone(defaultSuites13), suites.ImplementedSuites()...)
	all = append(all, suites.PSKSuites()...)
	for _, id := range append(all, suites.LegacySuites()...) {
		cs := describeSuite(suites.SuiteByID(id))
		if cs.Insecure == insecure {
			out = append(out, cs)
		}
	}
	return out
}

func describeSuite(info *suites.Suite) *CipherSuite {
	weak, _ := info.IsWeak()
	cs := &CipherSuite{ID: uint16(info.ID), Name: info.Name, Insecure: weak}
	for v := suites.VersionTLS10; v <= suites.VersionTLS13; v++ {
		if info.SupportsVersion(v) && !slices.Contains(cs.SupportedVersions, uint16(v)) {
			cs.SupportedVersions = append(cs.SupportedVersions, uint16(v))
		}
	}
	return cs
}
