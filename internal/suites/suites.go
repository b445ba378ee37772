package suites

import (
	"crypto"
	"fmt"
	"slices"
	"strings"
)

// Suite describes one cipher suite code point: how it is named, what it
// negotiates and whether clasp can run it. The registry holds one Suite per
// IANA-assigned code point; callers get pointers into it and must not modify
// them.
type Suite struct {
	// ID is the code point sent in ClientHello.cipher_suites.
	ID ID
	// Name is the IANA name, e.g. "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".
	Name string
	// OpenSSLName is OpenSSL's spelling, e.g. "ECDHE-ECDSA-AES128-GCM-SHA256",
	// or "" when OpenSSL has never named the suite.
	OpenSSLName string
	// KeyExchange is how the premaster secret is agreed (KexAny for TLS 1.3
	// suites, whose key exchange is negotiated separately).
	KeyExchange KeyExchange
	// Auth is how the server is authenticated (AuthAny for TLS 1.3 suites).
	Auth Auth
	// Cipher is the bulk cipher protecting records.
	Cipher Cipher
	// MAC is the record MAC; MACAEAD when Cipher is an AEAD.
	MAC MAC
	// PRFHash is the hash of the TLS 1.2 PRF (RFC 5246 §5) or of the TLS 1.3
	// HKDF key schedule: SHA-384 for *_SHA384 suites, SHA-512 for *_SHA512,
	// otherwise SHA-256 — including the SHA-1 and MD5 suites, whose TLS 1.0
	// and 1.1 PRF is MD5+SHA-1 but whose TLS 1.2 PRF is the default SHA-256.
	// It is 0 when the hash is one the crypto package does not name
	// (Streebog for GOST suites, SM3, Ascon-Hash256) and for the SCSVs and
	// TLS_NULL_WITH_NULL_NULL, which never run a key schedule.
	PRFHash crypto.Hash
	// MinVersion and MaxVersion bound the protocol versions in which the
	// suite may be negotiated. Both are 0 for values that must never be
	// selected by a server (the SCSVs and TLS_NULL_WITH_NULL_NULL).
	MinVersion, MaxVersion Version
	// Implemented is true when clasp can negotiate and run the suite.
	Implemented bool
	// SCSV marks a signalling value (RFC 5746, RFC 7507) that shares the
	// cipher_suites list but is not a suite.
	SCSV bool
}

// Cipher suites clasp implements, and the others clasp code names directly.
// The identifiers are the IANA names so that a grep for a name seen in a
// packet capture or an RFC finds the code.
const (
	TLS_RSA_WITH_NULL_MD5                         ID = 0x0001
	TLS_RSA_WITH_NULL_SHA                         ID = 0x0002
	TLS_RSA_WITH_RC4_128_MD5                      ID = 0x0004
	TLS_RSA_WITH_RC4_128_SHA                      ID = 0x0005
	TLS_RSA_WITH_3DES_EDE_CBC_SHA                 ID = 0x000A
	TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA             ID = 0x0016
	TLS_RSA_WITH_NULL_SHA256                      ID = 0x003B
	TLS_ECDHE_ECDSA_WITH_NULL_SHA                 ID = 0xC006
	TLS_ECDHE_ECDSA_WITH_RC4_128_SHA              ID = 0xC007
	TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA         ID = 0xC008
	TLS_ECDHE_RSA_WITH_NULL_SHA                   ID = 0xC010
	TLS_ECDHE_RSA_WITH_RC4_128_SHA                ID = 0xC011
	TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA           ID = 0xC012
	TLS_RSA_WITH_AES_128_CBC_SHA                  ID = 0x002F
	TLS_DHE_RSA_WITH_AES_128_CBC_SHA              ID = 0x0033
	TLS_RSA_WITH_AES_256_CBC_SHA                  ID = 0x0035
	TLS_DHE_RSA_WITH_AES_256_CBC_SHA              ID = 0x0039
	TLS_RSA_WITH_AES_128_CBC_SHA256               ID = 0x003C
	TLS_RSA_WITH_AES_128_GCM_SHA256               ID = 0x009C
	TLS_RSA_WITH_AES_256_GCM_SHA384               ID = 0x009D
	TLS_DHE_RSA_WITH_AES_128_GCM_SHA256           ID = 0x009E
	TLS_DHE_RSA_WITH_AES_256_GCM_SHA384           ID = 0x009F
	TLS_EMPTY_RENEGOTIATION_INFO_SCSV             ID = 0x00FF
	TLS_AES_128_GCM_SHA256                        ID = 0x1301
	TLS_AES_256_GCM_SHA384                        ID = 0x1302
	TLS_CHACHA20_POLY1305_SHA256                  ID = 0x1303
	TLS_FALLBACK_SCSV                             ID = 0x5600
	TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA          ID = 0xC009
	TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA          ID = 0xC00A
	TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA            ID = 0xC013
	TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA            ID = 0xC014
	TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256       ID = 0xC023
	TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384       ID = 0xC024
	TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256         ID = 0xC027
	TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384         ID = 0xC028
	TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256       ID = 0xC02B
	TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384       ID = 0xC02C
	TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256         ID = 0xC02F
	TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384         ID = 0xC030
	TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256   ID = 0xCCA8
	TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 ID = 0xCCA9
	TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256     ID = 0xCCAA
)

// suiteIndex maps code points to rows; names maps every accepted spelling,
// upper-cased, to its row. Both are built once from suiteTable so that a
// name can never disagree with its code point.
var (
	suiteIndex = make(map[ID]*Suite, len(suiteTable))
	suiteNames = make(map[string]*Suite, 2*len(suiteTable))
	allSuites  = make([]*Suite, 0, len(suiteTable))
)

func init() {
	for i := range suiteTable {
		s := &suiteTable[i]
		suiteIndex[s.ID] = s
		allSuites = append(allSuites, s)
		suiteNames[strings.ToUpper(s.Name)] = s
		if s.OpenSSLName != "" {
			suiteNames[strings.ToUpper(s.OpenSSLName)] = s
		}
	}
}

// SuiteByID returns the registry entry for id, or nil if IANA has not
// assigned it.
func SuiteByID(id ID) *Suite {
	return suiteIndex[id]
}

// SuiteByName finds a suite by its IANA or OpenSSL name, ignoring case.
// Java's SSL_ prefix for the oldest suites ("SSL_RSA_WITH_RC4_128_MD5") is
// accepted as the TLS_ name it stands for, since such names turn up in
// server configurations people paste.
func SuiteByName(name string) (*Suite, bool) {
	key := strings.ToUpper(strings.TrimSpace(name))
	if s, ok := suiteNames[key]; ok {
		return s, true
	}
	if rest, ok := strings.CutPrefix(key, "SSL_"); ok {
		s, ok := suiteNames["TLS_"+rest]
		return s, ok
	}
	return nil, false
}

// AllSuites returns every registered suite in ascending code-point order.
// The slice is fresh; the Suites it points to are shared and read-only.
func AllSuites() []*Suite {
	return append([]*Suite(nil), allSuites...)
}

// String returns the IANA name, "GREASE(0x0A0A)" for an RFC 8701 value, or
// "unknown(0xNNNN)" so that a value nobody registered still shows what was
// on the wire.
func (id ID) String() string {
	if s := suiteIndex[id]; s != nil {
		return s.Name
	}
	return unknownString(uint16(id))
}

// IsAEAD reports whether records are protected by an AEAD (no separate MAC).
func (s *Suite) IsAEAD() bool {
	return s.MAC == MACAEAD
}

// IsTLS13 reports whether this is a TLS 1.3 suite, which names only the
// record protection and the key-schedule hash.
func (s *Suite) IsTLS13() bool {
	return s.MinVersion == VersionTLS13
}

// SupportsVersion reports whether the suite may be negotiated in v.
func (s *Suite) SupportsVersion(v Version) bool {
	return s.MinVersion != 0 && s.MinVersion <= v && v <= s.MaxVersion
}

// IsExport reports whether the suite is one of the 1990s export-grade
// suites, whose bulk cipher has 40 secret key bits.
func (s *Suite) IsExport() bool {
	switch s.Cipher {
	case CipherRC4_40, CipherRC2_40, CipherDES40:
		return true
	}
	return s.KeyExchange == KexRSAExport
}

// ForwardSecret reports whether a later compromise of the server's
// long-term key leaves recorded sessions unreadable: true for ephemeral
// (EC)DH and for TLS 1.3, where the key exchange is always ephemeral.
func (s *Suite) ForwardSecret() bool {
	switch s.KeyExchange {
	case KexDHE, KexECDHE, KexDHEPSK, KexECDHEPSK, KexDHAnon, KexECDHAnon, KexAny, KexSRP, KexECCPWD:
		return true
	}
	return false
}

// IsWeak reports whether the suite is below clasp's secure default
// (ECDHE or DHE key exchange with an AEAD, or a CBC suite with
// encrypt-then-MAC agreed), and if so says why in words
// meant for the person who enabled it. Every problem found is listed,
// most serious first, separated by "; ". A CBC suite is judged as
// MAC-then-encrypt, its record protection unless encrypt-then-MAC is
// agreed; IsWeakOnConnection judges a connection that knows.
func (s *Suite) IsWeak() (bool, string) {
	return s.IsWeakOnConnection(false)
}

// IsWeakOnConnection is IsWeak for a connection that did or did not agree
// on encrypt-then-MAC (RFC 7366). With it, a CBC suite's MAC covers the
// ciphertext, so the padding-oracle and Lucky13 exposure of
// MAC-then-encrypt is gone and is not listed; a stream cipher never gets
// encrypt-then-MAC (RFC 7366 §3), so it keeps the weakness.
func (s *Suite) IsWeakOnConnection(encryptThenMAC bool) (bool, string) {
	var why []string
	add := func(reason string) { why = append(why, reason) }

	if s.SCSV {
		add("a signalling value, not a cipher suite")
		return true, strings.Join(why, "; ")
	}
	if s.MinVersion == 0 {
		add("never negotiable: it is the null state before the first handshake")
	}
	switch s.Cipher {
	case CipherNULL:
		add("no encryption: records are sent in the clear")
	case CipherRC4_40, CipherRC2_40, CipherDES40:
		add("export-grade 40-bit encryption, breakable in hours (FREAK, Logjam era)")
	case CipherRC4_128:
		add("RC4 has exploitable keystream biases and is prohibited by RFC 7465")
	case CipherDES:
		add("single DES has a 56-bit key, brute-forced since 1998")
	case Cipher3DES, CipherIDEA:
		add("64-bit block cipher: large transfers leak plaintext through block collisions (Sweet32)")
	case CipherAES128CCM8, CipherAES256CCM8:
		add("8-byte authentication tag, too short for general use")
	}
	switch s.Auth {
	case AuthAnon:
		add("no server authentication: the peer is not authenticated, so anyone in the path can impersonate the server")
	case AuthDSS:
		add("DSA certificates are deprecated and rarely supported")
	}
	switch s.KeyExchange {
	case KexRSA, KexRSAExport, KexRSAPSK:
		add("static RSA key exchange: no forward secrecy, and vulnerable to Bleichenbacher-style oracles (ROBOT)")
	case KexDH, KexECDH:
		add("static (EC)DH key exchange: no forward secrecy")
	case KexPSK:
		add("pre-shared key without (EC)DHE: no forward secrecy")
	case KexKRB5:
		add("Kerberos key exchange: no forward secrecy, and long abandoned")
	}
	if s.MAC == MACMD5 {
		add("MD5-based record MAC")
	}
	if !s.IsAEAD() && s.Cipher != CipherNULL && !(encryptThenMAC && s.Cipher.Info().BlockSize > 0) {
		add("CBC or stream cipher with MAC-then-encrypt: exposed to padding-oracle and timing attacks (Lucky13); prefer an AEAD suite")
	}
	if len(why) == 0 {
		return false, ""
	}
	return true, strings.Join(why, "; ")
}

// DefaultSuites returns the TLS 1.2 suites clasp offers and accepts when the
// configuration names none: ECDHE for forward secrecy and an AEAD for record
// protection, nothing else. AES-128-GCM leads because it is fast wherever
// AES hardware exists and no weaker in practice than AES-256; ChaCha20
// follows for peers without it.
func DefaultSuites() []ID {
	return []ID{
		TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}
}

// ImplementedSuites returns every TLS 1.2 suite clasp can run, best first:
// ECDHE with an AEAD, ECDHE with CBC, DHE, then static RSA. Within CBC the
// SHA-1 HMAC variants come before the SHA-256/384 ones: HMAC-SHA1 is still
// sound, and the longer MACs only cost more per record.
func ImplementedSuites() []ID {
	return append(DefaultSuites(),
		TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
		TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
		TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
		TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
		TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
		TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
		TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
		TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
		TLS_DHE_RSA_WITH_AES_256_CBC_SHA,
		TLS_RSA_WITH_AES_128_GCM_SHA256,
		TLS_RSA_WITH_AES_256_GCM_SHA384,
		TLS_RSA_WITH_AES_128_CBC_SHA,
		TLS_RSA_WITH_AES_256_CBC_SHA,
		TLS_RSA_WITH_AES_128_CBC_SHA256,
	)
}

// LegacySuites returns the suites clasp runs only for reaching old systems
// and never offers or accepts unless Config.CipherSuites (or --ciphers) names
// them: 3DES-EDE-CBC (64-bit block, Sweet32), RC4-128 (prohibited by RFC
// 7465), the NULL suites (no encryption at all), DHE_DSS (DSA
// certificates) and the anonymous DH_anon and ECDH_anon (no authentication
// at all). They are marked
// Implemented but kept out of ImplementedSuites, so that nothing that walks
// "every suite clasp runs" picks one up by accident.
func LegacySuites() []ID {
	return append([]ID{
		TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA,
		TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
		TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA,
		TLS_RSA_WITH_3DES_EDE_CBC_SHA,
		TLS_ECDHE_ECDSA_WITH_RC4_128_SHA,
		TLS_ECDHE_RSA_WITH_RC4_128_SHA,
		TLS_RSA_WITH_RC4_128_SHA,
		TLS_RSA_WITH_RC4_128_MD5,
		TLS_ECDHE_ECDSA_WITH_NULL_SHA,
		TLS_ECDHE_RSA_WITH_NULL_SHA,
		TLS_RSA_WITH_NULL_SHA256,
		TLS_RSA_WITH_NULL_SHA,
		TLS_RSA_WITH_NULL_MD5,
	}, append(dssSuites(), AnonSuites()...)...)
}

// IsLegacy reports whether the suite is one of LegacySuites.
func (s *Suite) IsLegacy() bool {
	return s != nil && slices.Contains(LegacySuites(), s.ID)
}

// ParseSuiteList parses a comma- or colon-separated list of suites, each
// named by its IANA or OpenSSL spelling (any case) or given as a hex code
// point ("0xC02B", which may be unregistered: a diagnostic tool must be able
// to send anything). Spaces around entries are trimmed and empty entries
// skipped. An unknown name is an *UnknownNameError that suggests the nearest
// registered name; a suite listed twice is an error too, since it is almost
// always a typo for another suite.
func ParseSuiteList(list string) ([]ID, error) {
	var ids []ID
	seen := make(map[ID]string)
	for _, entry := range splitList(list) {
		var id ID
		if v, ok := parseHex16(entry); ok {
			id = ID(v)
		} else if s, ok := SuiteByName(entry); ok {
			id = s.ID
		} else {
			return nil, &UnknownNameError{Kind: "cipher suite", Name: entry, Suggestion: nearest(entry, suiteNames)}
		}
		if prev, dup := seen[id]; dup {
			return nil, fmt.Errorf("cipher suite %q is listed twice (also as %q)", entry, prev)
		}
		seen[id] = entry
		ids = append(ids, id)
	}
	return ids, nil
}
