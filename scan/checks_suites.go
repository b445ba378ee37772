package scan

import "github.com/clasp-tls/clasp/internal/suites"

// Suites that give up what TLS is for, read from the accepted suites: no
// authentication of the server, no encryption at all, or encryption a
// brute-force search breaks. The named attacks (FREAK, Logjam, SWEET32,
// RC4) are checked in weaknesses.go; these are the plain ones no attack
// name covers, and a server that accepts them is open to a client that
// offers them (a misconfigured one, or one a man in the middle talks to).

// minSymmetricBits is the least effective key strength accepted without a
// finding: RFC 9325 §4.1 forbids negotiating less than 112 bits, export
// grade (40 bits) and single DES (56) included.
const minSymmetricBits = 112

// anonymousSuites: DH_anon and ECDH_anon send an unsigned key exchange,
// so whoever sits in the path completes the handshake in the server's place
// (RFC 5246 Appendix F.1.1.1).
func anonymousSuites(rep *Report) Finding {
	where, found := acceptedWhere(rep, func(s *suites.Suite, _ suites.Version) bool {
		return s.IsAnonymous() || s.Auth == suites.AuthAnon
	})
	if found {
		return weakFinding(weakAnon, StatusVulnerable, "suites without server authentication accepted: %s", where)
	}
	return weakFinding(weakAnon, StatusNotVulnerable, "no anonymous (DH_anon, ECDH_anon) suite is accepted")
}

// nullEncryption: a NULL-cipher suite authenticates the records but sends
// them in the clear.
func nullEncryption(rep *Report) Finding {
	where, found := acceptedWhere(rep, func(s *suites.Suite, _ suites.Version) bool { return s.Cipher == suites.CipherNULL })
	if found {
		return weakFinding(weakNULL, StatusVulnerable, "suites without encryption accepted (records travel in the clear): %s", where)
	}
	return weakFinding(weakNULL, StatusNotVulnerable, "no NULL-cipher suite is accepted")
}

// shortKeys: bulk ciphers under 112 effective bits — the export ciphers'
// 40 bits and single DES's 56 — are searched exhaustively on ordinary
// hardware. NULL (0 bits) is nullEncryption's.
func shortKeys(rep *Report) Finding {
	where, found := acceptedWhere(rep, func(s *suites.Suite, _ suites.Version) bool {
		bits := symmetricBits(s.Cipher)
		return s.Cipher != suites.CipherNULL && bits > 0 && bits < minSymmetricBits
	})
	if found {
		return weakFinding(weakShortKey, StatusVulnerable, "bulk ciphers under %d bits accepted (export 40-bit, DES 56-bit): %s", minSymmetricBits, where)
	}
	return weakFinding(weakShortKey, StatusNotVulnerable, "every accepted suite's cipher has at least %d effective bits", minSymmetricBits)
}
