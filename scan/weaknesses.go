package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
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
		return weakFinding(weakPOODLE, StatusVulnerable, "SSL 3.0 accepts CBC suites: %s", where)
	}
	return weakFinding(weakPOODLE, StatusNotVulnerable, "no CBC suite is accepted in SSL 3.0 (SSL 3.0: %s)", supportedWord(rep, suites.VersionSSL30))
}

// sweet32: 64-bit block ciphers repeat blocks after about 2^32 of them.
func sweet32(rep *Report) Finding {
	where, found := acceptedWhere(rep, func(s *suites.Suite, _ suites.Version) bool { return s.Cipher.Info().BlockSize == 8 })
	if found {
		return weakFinding(weakSWEET32, StatusVulnerable, "64-bit block ciphers accepted: %s", where)
	}
	return weakFinding(weakSWEET32, StatusNotVulnerable, "no 3DES, DES, IDEA or RC2 suite is accepted")
}

// freak: a server that accepts RSA_EXPORT hands a 512-bit RSA key to a
// client tricked into asking for it.
func freak(rep *Report) Finding {
	where, found := acceptedWhere(rep, func(s *suites.Suite, _ suites.Version) bool { return s.KeyExchange == suites.KexRSAExport })
	if found {
		return weakFinding(weakFREAK, StatusVulnerable, "export RSA suites accepted: %s", where)
	}
	return weakFinding(weakFREAK, StatusNotVulnerable, "no RSA_EXPORT suite is accepted")
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
		return weakFinding(weakRC4, StatusVulnerable, "RC4 suites accepted: %s", where)
	}
	return weakFinding(weakRC4, StatusNotVulnerable, "no RC4 suite is accepted")
}

// beast: TLS 1.0 (and SSL 3.0) chain CBC IVs across records, which lets
// an attacker with chosen plaintext predict them. Clients split records
// (1/n-1) since 2012, so this is low.
func beast(rep *Report) Finding {
	where, found := acceptedWhere(rep, func(s *suites.Suite, v suites.Version) bool {
		return v <= suites.VersionTLS10 && isCBC(s)
	})
	if found {
		return weakFinding(weakBEAST, StatusVulnerable, "CBC suites accepted in TLS 1.0 or SSL 3.0: %s", where)
	}
	return weakFinding(weakBEAST, StatusNotVulnerable, "no CBC suite is accepted in TLS 1.0 or SSL 3.0 (TLS 1.0: %s)", supportedWord(rep, suites.VersionTLS10))
}

// logjam: export DHE suites give a 512-bit group; any group under 1024
// bits is within reach of precomputation, and so is a 1024-bit prime that
// many servers share, which one precomputation breaks for all of them
// (Adrian et al., "Imperfect Forward Secrecy", CCS 2015). The prime is the
// one the DHE parameters check read (dhparams.go), named when well known.
func logjam(rep *Report) Finding {
	where, found := acceptedWhere(rep, func(s *suites.Suite, _ suites.Version) bool {
		return (s.KeyExchange == suites.KexDHE || s.KeyExchange == suites.KexDHAnon) && s.IsExport()
	})
	dh := rep.Groups.DHE
	switch {
	case found:
		return weakFinding(weakLogjam, StatusVulnerable, "export DHE suites accepted: %s", where)
	case dh != nil && dh.Bits < 1024:
		return weakFinding(weakLogjam, StatusVulnerable, "the ServerKeyExchange of %s %s carries a %d-bit DH prime (%s)", dh.Version, dh.Suite, dh.Bits, dh.Group)
	case dh != nil && dh.Bits <= 1024 && dh.Group != "other":
		return weakFinding(weakLogjam, StatusVulnerable, "the ServerKeyExchange of %s %s carries the widely shared %d-bit prime %s, open to one precomputation for all its users",
			dh.Version, dh.Suite, dh.Bits, dh.Group)
	case dh != nil:
		return weakFinding(weakLogjam, StatusNotVulnerable, "no export DHE suite; the DH prime of %s %s is %d bits (%s)", dh.Version, dh.Suite, dh.Bits, dh.Group)
	}
	return weakFinding(weakLogjam, StatusNotVulnerable, "no export DHE suite, and no DHE parameters to read")
}

// drown: an SSL 2.0 server decrypts RSA ciphertexts for anyone, and the
// same key used for TLS lets recorded TLS sessions be broken with it.
func drown(rep *Report) Finding {
	v2 := rep.SSLv2
	switch {
	case v2 == nil:
		return weakFinding(weakDROWN, StatusUnknown, "SSL 2.0 was not probed")
	case !v2.Supported:
		return weakFinding(weakDROWN, StatusNotVulnerable, "SSL 2.0 refused: %s", v2.Answer)
	}
	key := "a certificate the TLS probes did not see (its RSA key is exposed all the same)"
	sum := sha256.Sum256(v2.Certificate)
	if slices.Contains(firstLeafSHA256(rep), hex.EncodeToString(sum[:])) {
		key = "the same certificate, so the same RSA key, as TLS"
	}
	return weakFinding(weakDROWN, StatusVulnerable, "SSL 2.0 accepted with %d cipher kinds, with %s", len(v2.Ciphers), key)
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
		return weakFinding(weakIntolerance, StatusNotApplicable, "no TLS 1.0 or later version to probe")
	}
	var failed []string
	for _, c := range in.Checks {
		if !c.Tolerated {
			failed = append(failed, fmt.Sprintf("%s: %s, want %s", c.Name, c.Answer, c.Expect))
		}
	}
	if len(failed) > 0 {
		return weakFinding(weakIntolerance, StatusVulnerable, "%s", strings.Join(failed, "; "))
	}
	return weakFinding(weakIntolerance, StatusNotVulnerable, "all %d unusual hellos were answered normally", len(in.Checks))
}

// fallbackFinding reports a server that ignores TLS_FALLBACK_SCSV.
func fallbackFinding(in *Intolerance) Finding {
	switch {
	case in == nil || !in.FallbackSCSV.Tested:
		return weakFinding(weakFallback, StatusNotApplicable, "the server speaks one version: there is nothing to fall back to")
	case in.FallbackSCSV.Supported:
		return weakFinding(weakFallback, StatusNotVulnerable, "%s: %s", in.FallbackSCSV.Offered, in.FallbackSCSV.Answer)
	}
	return weakFinding(weakFallback, StatusVulnerable, "%s: %s, not inappropriate_fallback", in.FallbackSCSV.Offered, in.FallbackSCSV.Answer)
}
