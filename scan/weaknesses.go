package scan

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/clasp-tls/clasp/internal/suites"
)

// Weaknesses read from what the scan already found (versions and suites),
// from the SSL 2.0 probes and from a few facts probes (hello extensions,
// compression, DH parameters). The probes that talk to the server beyond
// its first flight are in heartbleed.go, ccs.go, robot.go and
// ticketbleed.go.

// acceptedWhere returns "VERSION: SUITE, SUITE; VERSION: ..." for the
// accepted suites that match, lowest version first, and whether any did.
func acceptedWhere(rep *Report, match func(*suites.Suite, suites.Version) bool) (string, bool) {
	var parts []string
	for i := len(rep.CipherSuites) - 1; i >= 0; i-- {
		vs := rep.CipherSuites[i]
		var names []string
		for _, e := range vs.Suites {
			if s := suites.SuiteByID(e.ID); s != nil && match(s, vs.Version) {
				names = append(names, e.IANA)
			}
		}
		if len(names) > 0 {
			parts = append(parts, vs.Name+": "+strings.Join(names, ", "))
		}
	}
	return strings.Join(parts, "; "), len(parts) > 0
}

func isCBC(s *suites.Suite) bool { return !s.IsAEAD() && s.Cipher.Info().BlockSize > 0 }

// poodle: SSL 3.0's CBC padding is not covered by the MAC and may be
// anything, so a man in the middle decrypts a byte per 256 tries (Möller,
// Duong, Kotowicz 2014). Only SSL 3.0 with a CBC suite is open to it.
func poodle(rep *Report) Finding {
	where, found := acceptedWhere(rep, func(s *suites.Suite, v suites.Version) bool {
		return v == suites.VersionSSL30 && isCBC(s)
	})
	if found {
		return finding(weakPOODLE, StatusVulnerable, "SSL 3.0 accepts CBC suites: %s", where)
	}
	return finding(weakPOODLE, StatusNotVulnerable, "no CBC suite is accepted in SSL 3.0 (SSL 3.0: %s)", supportedWord(rep, suites.VersionSSL30))
}

// sweet32: 64-bit block ciphers repeat blocks after about 2^32 of them.
func sweet32(rep *Report) Finding {
	where, found := acceptedWhere(rep, func(s *suites.Suite, _ suites.Version) bool { return s.Cipher.Info().BlockSize == 8 })
	if found {
		return finding(weakSWEET32, StatusVulnerable, "64-bit block ciphers accepted: %s", where)
	}
	return finding(weakSWEET32, StatusNotVulnerable, "no 3DES, DES, IDEA or RC2 suite is accepted")
}

// freak: a server that accepts RSA_EXPORT hands a 512-bit RSA key to a
// client tricked into asking for it.
func freak(rep *Report) Finding {
	where, found := acceptedWhere(rep, func(s *suites.Suite, _ suites.Version) bool { return s.KeyExchange == suites.KexRSAExport })
	if found {
		return finding(weakFREAK, StatusVulnerable, "export RSA suites accepted: %s", where)
	}
	return finding(weakFREAK, StatusNotVulnerable, "no RSA_EXPORT suite is accepted")
}

// rc4: RFC 7465 prohibits RC4 for its keystream biases.
func rc4(rep *Report) Finding {
	where, found := acceptedWhere(rep, func(s *suites.Suite, _ suites.Version) bool {
		return s.Cipher == suites.CipherRC4_128 || s.Cipher == suites.CipherRC4_40
	})
	var v2 []string
	if rep.SSLv2 != nil {
		for _, c := range rep.SSLv2.Ciphers {
			if strings.Contains(c.Name, "RC4") {
				v2 = append(v2, c.Name)
			}
		}
	}
	if len(v2) > 0 {
		where = strings.TrimPrefix(where+"; SSL 2.0: "+strings.Join(v2, ", "), "; ")
	}
	if found || len(v2) > 0 {
		return finding(weakRC4, StatusVulnerable, "RC4 suites accepted: %s", where)
	}
	return finding(weakRC4, StatusNotVulnerable, "no RC4 suite is accepted")
}

// beast: TLS 1.0 (and SSL 3.0) chain CBC IVs across records, which lets
// an attacker with chosen plaintext predict them. Clients split records
// (1/n-1) since 2012, so this is low.
func beast(rep *Report) Finding {
	where, found := acceptedWhere(rep, func(s *suites.Suite, v suites.Version) bool {
		return v <= suites.VersionTLS10 && isCBC(s)
	})
	if found {
		return finding(weakBEAST, StatusVulnerable, "CBC suites accepted in TLS 1.0 or SSL 3.0: %s", where)
	}
	return finding(weakBEAST, StatusNotVulnerable, "no CBC suite is accepted in TLS 1.0 or SSL 3.0 (TLS 1.0: %s)", supportedWord(rep, suites.VersionTLS10))
}

// logjam: export DHE suites give a 512-bit group, and any group under
// 1024 bits is within reach of precomputation.
func logjam(rep *Report, dh *dhFact) Finding {
	where, found := acceptedWhere(rep, func(s *suites.Suite, _ suites.Version) bool {
		return (s.KeyExchange == suites.KexDHE || s.KeyExchange == suites.KexDHAnon) && s.IsExport()
	})
	switch {
	case found:
		return finding(weakLogjam, StatusVulnerable, "export DHE suites accepted: %s", where)
	case dh != nil && dh.bits < 1024:
		return finding(weakLogjam, StatusVulnerable, "the ServerKeyExchange of %v %v carries a %d-bit DH prime", dh.version, dh.suite, dh.bits)
	case dh != nil && dh.wellKnown != "":
		return finding(weakLogjam, StatusVulnerable, "the ServerKeyExchange of %v %v carries the widely shared %d-bit prime of %s, open to one precomputation for all its users",
			dh.version, dh.suite, dh.bits, dh.wellKnown)
	case dh != nil:
		return finding(weakLogjam, StatusNotVulnerable, "no export DHE suite; the DH prime of %v %v is %d bits", dh.version, dh.suite, dh.bits)
	}
	return finding(weakLogjam, StatusNotVulnerable, "no export DHE suite, and no DHE suite whose prime was read")
}

// drown: an SSL 2.0 server decrypts RSA ciphertexts for anyone, and the
// same key used for TLS lets recorded TLS sessions be broken with it.
func drown(rep *Report, tlsCert []byte) Finding {
	v2 := rep.SSLv2
	switch {
	case v2 == nil:
		return finding(weakDROWN, StatusUnknown, "SSL 2.0 was not probed")
	case !v2.Supported:
		return finding(weakDROWN, StatusNotVulnerable, "SSL 2.0 refused: %s", v2.Answer)
	}
	key := "its certificate could not be compared with the TLS one"
	if same, ok := sameKey(v2.Certificate, tlsCert); ok && same {
		key = "with the same RSA key as its TLS certificate"
	} else if ok {
		key = "with another key than its TLS certificate (the SSL 2.0 key is still exposed)"
	}
	return finding(weakDROWN, StatusVulnerable, "SSL 2.0 accepted with %d cipher kinds, %s", len(v2.Ciphers), key)
}

// sameKey reports whether two DER certificates hold the same public key;
// ok is false when either cannot be parsed.
func sameKey(a, b []byte) (same, ok bool) {
	ca, err1 := x509.ParseCertificate(a)
	cb, err2 := x509.ParseCertificate(b)
	if err1 != nil || err2 != nil {
		return false, false
	}
	return bytes.Equal(ca.RawSubjectPublicKeyInfo, cb.RawSubjectPublicKeyInfo), true
}

// supportedWord says "supported" or "not supported" for v.
func supportedWord(rep *Report, v suites.Version) string {
	for _, vs := range rep.Versions {
		if vs.Version == v && vs.Supported {
			return "supported"
		}
	}
	return "not supported"
}

// intoleranceFinding reports the hellos a server failed.
func intoleranceFinding(in *Intolerance) Finding {
	if in == nil || len(in.Checks) == 0 {
		return finding(weakIntolerance, StatusNotApplicable, "no TLS 1.0 or later version to probe")
	}
	var failed []string
	for _, c := range in.Checks {
		if !c.Tolerated {
			failed = append(failed, fmt.Sprintf("%s: %s, want %s", c.Name, c.Answer, c.Expect))
		}
	}
	if len(failed) > 0 {
		return finding(weakIntolerance, StatusVulnerable, "%s", strings.Join(failed, "; "))
	}
	return finding(weakIntolerance, StatusNotVulnerable, "all %d unusual hellos were answered normally", len(in.Checks))
}

// fallbackFinding reports a server that ignores TLS_FALLBACK_SCSV.
func fallbackFinding(in *Intolerance) Finding {
	switch {
	case in == nil || !in.FallbackSCSV.Tested:
		return finding(weakFallback, StatusNotApplicable, "the server speaks one version: there is nothing to fall back to")
	case in.FallbackSCSV.Supported:
		return finding(weakFallback, StatusNotVulnerable, "%s: %s", in.FallbackSCSV.Offered, in.FallbackSCSV.Answer)
	}
	return finding(weakFallback, StatusVulnerable, "%s: %s, not inappropriate_fallback", in.FallbackSCSV.Offered, in.FallbackSCSV.Answer)
}
