package suites

import (
	"crypto"
	"fmt"
	"strings"
)

// SignatureAlgorithm is the signature primitive behind a signature scheme.
type SignatureAlgorithm uint8

// Signature algorithms.
const (
	SigUnknown    SignatureAlgorithm = iota
	SigRSAPKCS1                      // RSASSA-PKCS1-v1_5
	SigRSAPSSRSAE                    // RSASSA-PSS with an rsaEncryption key
	SigRSAPSSPSS                     // RSASSA-PSS with an id-RSASSA-PSS key
	SigECDSA
	SigEd25519
	SigEd448
	SigDSA
	SigSM2
	SigGOST // GOST R 34.10-2012
	SigMLDSA
	SigSLHDSA
	SigECCSI // RFC 6507 identity-based signatures
	SigIBS   // ISO/IEC 14888-3 identity-based signatures
)

var sigAlgNames = map[SignatureAlgorithm]string{
	SigRSAPKCS1:   "RSA-PKCS1",
	SigRSAPSSRSAE: "RSA-PSS-RSAE",
	SigRSAPSSPSS:  "RSA-PSS-PSS",
	SigECDSA:      "ECDSA",
	SigEd25519:    "Ed25519",
	SigEd448:      "Ed448",
	SigDSA:        "DSA",
	SigSM2:        "SM2",
	SigGOST:       "GOST",
	SigMLDSA:      "ML-DSA",
	SigSLHDSA:     "SLH-DSA",
	SigECCSI:      "ECCSI",
	SigIBS:        "IBS",
}

// String names the algorithm, e.g. "RSA-PSS-RSAE".
func (a SignatureAlgorithm) String() string {
	if name, ok := sigAlgNames[a]; ok {
		return name
	}
	return fmt.Sprintf("SignatureAlgorithm(%d)", uint8(a))
}

// SchemeInfo describes a signature scheme code point.
type SchemeInfo struct {
	// ID is the code point in signature_algorithms and DigitallySigned.
	ID SignatureScheme
	// Name is the IANA name, e.g. "ecdsa_secp256r1_sha256"; for the TLS 1.2
	// (hash, signature) pairs IANA never named, the name in the same style.
	Name string
	// OpenSSLName is what `openssl s_client -sigalgs` accepts: "RSA+SHA256"
	// and "ECDSA+SHA256" for PKCS#1 and ECDSA, the IANA name for PSS and
	// EdDSA; "" when OpenSSL offers no such signature algorithm.
	OpenSSLName string
	// Algorithm is the signature primitive.
	Algorithm SignatureAlgorithm
	// Hash is the digest signed, or 0 when the algorithm hashes internally
	// (EdDSA, ML-DSA, SLH-DSA) or uses a hash crypto does not name (SM3,
	// Streebog).
	Hash crypto.Hash
	// Curve is the curve TLS 1.3 binds the scheme to (RFC 8446 §4.2.3), set
	// for ecdsa_secp*/ecdsa_brainpool* and sm2sig_sm3; 0 otherwise. In
	// TLS 1.2 ECDSA schemes do not constrain the curve.
	Curve Group
	// TLS13 is true when the scheme may sign a TLS 1.3 CertificateVerify.
	// PKCS#1 v1.5 and SHA-1 schemes may only appear in certificates there.
	TLS13 bool
	// Implemented is true when clasp can sign and verify with the scheme.
	Implemented bool
}

// Signature schemes clasp code refers to directly; names follow Go's
// crypto/tls so that code moving between the two reads the same.
const (
	PKCS1WithSHA1          SignatureScheme = 0x0201
	ECDSAWithSHA1          SignatureScheme = 0x0203
	PKCS1WithSHA256        SignatureScheme = 0x0401
	ECDSAWithP256AndSHA256 SignatureScheme = 0x0403
	PKCS1WithSHA384        SignatureScheme = 0x0501
	ECDSAWithP384AndSHA384 SignatureScheme = 0x0503
	PKCS1WithSHA512        SignatureScheme = 0x0601
	ECDSAWithP521AndSHA512 SignatureScheme = 0x0603
	PSSWithSHA256          SignatureScheme = 0x0804 // rsa_pss_rsae_sha256
	PSSWithSHA384          SignatureScheme = 0x0805 // rsa_pss_rsae_sha384
	PSSWithSHA512          SignatureScheme = 0x0806 // rsa_pss_rsae_sha512
	Ed25519                SignatureScheme = 0x0807
	Ed448                  SignatureScheme = 0x0808
	PSSPSSWithSHA256       SignatureScheme = 0x0809 // rsa_pss_pss_sha256
	PSSPSSWithSHA384       SignatureScheme = 0x080A // rsa_pss_pss_sha384
	PSSPSSWithSHA512       SignatureScheme = 0x080B // rsa_pss_pss_sha512
	// The DSA pairs of RFC 5246 §7.4.1.4.1, for DHE_DSS with old peers.
	DSAWithSHA1   SignatureScheme = 0x0202 // dsa_sha1
	DSAWithSHA224 SignatureScheme = 0x0302 // dsa_sha224
	DSAWithSHA256 SignatureScheme = 0x0402 // dsa_sha256
	DSAWithSHA384 SignatureScheme = 0x0502 // dsa_sha384
	DSAWithSHA512 SignatureScheme = 0x0602 // dsa_sha512
)

// schemeTable is every entry of the IANA "TLS SignatureScheme" registry
// plus the TLS 1.2 (hash, signature) pairs of RFC 5246 §7.4.1.4.1 that
// peers still send (DSA, SHA-224, MD5) and RFC 9189's GOST pairs, which
// IANA records only as "reserved for backward compatibility". Code-point
// order.
var schemeTable = [...]SchemeInfo{
	// TLS 1.2 legacy pairs: high byte hash (1 md5, 2 sha1, 3 sha224,
	// 4 sha256, 5 sha384, 6 sha512), low byte signature (1 rsa, 2 dsa,
	// 3 ecdsa). OpenSSL refuses every MD5 pair, so they have no OpenSSL name.
	{ID: 0x0101, Name: "rsa_pkcs1_md5", Algorithm: SigRSAPKCS1, Hash: crypto.MD5},
	{ID: 0x0102, Name: "dsa_md5", Algorithm: SigDSA, Hash: crypto.MD5},
	{ID: 0x0103, Name: "ecdsa_md5", Algorithm: SigECDSA, Hash: crypto.MD5},
	{ID: 0x0201, Name: "rsa_pkcs1_sha1", OpenSSLName: "RSA+SHA1", Algorithm: SigRSAPKCS1, Hash: crypto.SHA1, Implemented: true},
	{ID: 0x0202, Name: "dsa_sha1", OpenSSLName: "DSA+SHA1", Algorithm: SigDSA, Hash: crypto.SHA1, Implemented: true},
	{ID: 0x0203, Name: "ecdsa_sha1", OpenSSLName: "ECDSA+SHA1", Algorithm: SigECDSA, Hash: crypto.SHA1, Implemented: true},
	{ID: 0x0301, Name: "rsa_pkcs1_sha224", OpenSSLName: "RSA+SHA224", Algorithm: SigRSAPKCS1, Hash: crypto.SHA224},
	{ID: 0x0302, Name: "dsa_sha224", OpenSSLName: "DSA+SHA224", Algorithm: SigDSA, Hash: crypto.SHA224, Implemented: true},
	{ID: 0x0303, Name: "ecdsa_sha224", OpenSSLName: "ECDSA+SHA224", Algorithm: SigECDSA, Hash: crypto.SHA224},
	{ID: 0x0401, Name: "rsa_pkcs1_sha256", OpenSSLName: "RSA+SHA256", Algorithm: SigRSAPKCS1, Hash: crypto.SHA256, Implemented: true},
	{ID: 0x0402, Name: "dsa_sha256", OpenSSLName: "DSA+SHA256", Algorithm: SigDSA, Hash: crypto.SHA256, Implemented: true},
	{ID: 0x0403, Name: "ecdsa_secp256r1_sha256", OpenSSLName: "ECDSA+SHA256", Algorithm: SigECDSA, Hash: crypto.SHA256, Curve: Secp256r1, TLS13: true, Implemented: true},
	// draft-davidben-tls13-pkcs1: PKCS#1 v1.5 in a TLS 1.3 CertificateVerify
	// for client keys in hardware that cannot do PSS.
	{ID: 0x0420, Name: "rsa_pkcs1_sha256_legacy", Algorithm: SigRSAPKCS1, Hash: crypto.SHA256, TLS13: true},
	{ID: 0x0501, Name: "rsa_pkcs1_sha384", OpenSSLName: "RSA+SHA384", Algorithm: SigRSAPKCS1, Hash: crypto.SHA384, Implemented: true},
	{ID: 0x0502, Name: "dsa_sha384", OpenSSLName: "DSA+SHA384", Algorithm: SigDSA, Hash: crypto.SHA384, Implemented: true},
	{ID: 0x0503, Name: "ecdsa_secp384r1_sha384", OpenSSLName: "ECDSA+SHA384", Algorithm: SigECDSA, Hash: crypto.SHA384, Curve: Secp384r1, TLS13: true, Implemented: true},
	{ID: 0x0520, Name: "rsa_pkcs1_sha384_legacy", Algorithm: SigRSAPKCS1, Hash: crypto.SHA384, TLS13: true},
	{ID: 0x0601, Name: "rsa_pkcs1_sha512", OpenSSLName: "RSA+SHA512", Algorithm: SigRSAPKCS1, Hash: crypto.SHA512, Implemented: true},
	{ID: 0x0602, Name: "dsa_sha512", OpenSSLName: "DSA+SHA512", Algorithm: SigDSA, Hash: crypto.SHA512, Implemented: true},
	{ID: 0x0603, Name: "ecdsa_secp521r1_sha512", OpenSSLName: "ECDSA+SHA512", Algorithm: SigECDSA, Hash: crypto.SHA512, Curve: Secp521r1, TLS13: true, Implemented: true},
	{ID: 0x0620, Name: "rsa_pkcs1_sha512_legacy", Algorithm: SigRSAPKCS1, Hash: crypto.SHA512, TLS13: true},
	{ID: 0x0704, Name: "eccsi_sha256", Algorithm: SigECCSI, Hash: crypto.SHA256, TLS13: true},
	{ID: 0x0705, Name: "iso_ibs1", Algorithm: SigIBS, TLS13: true},
	{ID: 0x0706, Name: "iso_ibs2", Algorithm: SigIBS, TLS13: true},
	{ID: 0x0707, Name: "iso_chinese_ibs", Algorithm: SigIBS, TLS13: true},
	{ID: 0x0708, Name: "sm2sig_sm3", Algorithm: SigSM2, Curve: 0x0029, TLS13: true},
	{ID: 0x0709, Name: "gostr34102012_256a", Algorithm: SigGOST, TLS13: true},
	{ID: 0x070A, Name: "gostr34102012_256b", Algorithm: SigGOST, TLS13: true},
	{ID: 0x070B, Name: "gostr34102012_256c", Algorithm: SigGOST, TLS13: true},
	{ID: 0x070C, Name: "gostr34102012_256d", Algorithm: SigGOST, TLS13: true},
	{ID: 0x070D, Name: "gostr34102012_512a", Algorithm: SigGOST, TLS13: true},
	{ID: 0x070E, Name: "gostr34102012_512b", Algorithm: SigGOST, TLS13: true},
	{ID: 0x070F, Name: "gostr34102012_512c", Algorithm: SigGOST, TLS13: true},
	{ID: 0x0804, Name: "rsa_pss_rsae_sha256", OpenSSLName: "rsa_pss_rsae_sha256", Algorithm: SigRSAPSSRSAE, Hash: crypto.SHA256, TLS13: true, Implemented: true},
	{ID: 0x0805, Name: "rsa_pss_rsae_sha384", OpenSSLName: "rsa_pss_rsae_sha384", Algorithm: SigRSAPSSRSAE, Hash: crypto.SHA384, TLS13: true, Implemented: true},
	{ID: 0x0806, Name: "rsa_pss_rsae_sha512", OpenSSLName: "rsa_pss_rsae_sha512", Algorithm: SigRSAPSSRSAE, Hash: crypto.SHA512, TLS13: true, Implemented: true},
	{ID: 0x0807, Name: "ed25519", OpenSSLName: "ed25519", Algorithm: SigEd25519, TLS13: true, Implemented: true},
	{ID: 0x0808, Name: "ed448", OpenSSLName: "ed448", Algorithm: SigEd448, TLS13: true},
	{ID: 0x0809, Name: "rsa_pss_pss_sha256", OpenSSLName: "rsa_pss_pss_sha256", Algorithm: SigRSAPSSPSS, Hash: crypto.SHA256, TLS13: true},
	{ID: 0x080A, Name: "rsa_pss_pss_sha384", OpenSSLName: "rsa_pss_pss_sha384", Algorithm: SigRSAPSSPSS, Hash: crypto.SHA384, TLS13: true},
	{ID: 0x080B, Name: "rsa_pss_pss_sha512", OpenSSLName: "rsa_pss_pss_sha512", Algorithm: SigRSAPSSPSS, Hash: crypto.SHA512, TLS13: true},
	{ID: 0x081A, Name: "ecdsa_brainpoolP256r1tls13_sha256", Algorithm: SigECDSA, Hash: crypto.SHA256, Curve: 0x001F, TLS13: true},
	{ID: 0x081B, Name: "ecdsa_brainpoolP384r1tls13_sha384", Algorithm: SigECDSA, Hash: crypto.SHA384, Curve: 0x0020, TLS13: true},
	{ID: 0x081C, Name: "ecdsa_brainpoolP512r1tls13_sha512", Algorithm: SigECDSA, Hash: crypto.SHA512, Curve: 0x0021, TLS13: true},
	// RFC 9189's TLS 1.2 GOST pairs (hash "intrinsic", signature 64/65).
	{ID: 0x0840, Name: "gostr34102012_256", Algorithm: SigGOST},
	{ID: 0x0841, Name: "gostr34102012_512", Algorithm: SigGOST},
	{ID: 0x0904, Name: "mldsa44", OpenSSLName: "mldsa44", Algorithm: SigMLDSA, TLS13: true},
	{ID: 0x0905, Name: "mldsa65", OpenSSLName: "mldsa65", Algorithm: SigMLDSA, TLS13: true},
	{ID: 0x0906, Name: "mldsa87", OpenSSLName: "mldsa87", Algorithm: SigMLDSA, TLS13: true},
	{ID: 0x0911, Name: "slhdsa_sha2_128s", Algorithm: SigSLHDSA, TLS13: true},
	{ID: 0x0912, Name: "slhdsa_sha2_128f", Algorithm: SigSLHDSA, TLS13: true},
	{ID: 0x0913, Name: "slhdsa_sha2_192s", Algorithm: SigSLHDSA, TLS13: true},
	{ID: 0x0914, Name: "slhdsa_sha2_192f", Algorithm: SigSLHDSA, TLS13: true},
	{ID: 0x0915, Name: "slhdsa_sha2_256s", Algorithm: SigSLHDSA, TLS13: true},
	{ID: 0x0916, Name: "slhdsa_sha2_256f", Algorithm: SigSLHDSA, TLS13: true},
	{ID: 0x0917, Name: "slhdsa_shake_128s", Algorithm: SigSLHDSA, TLS13: true},
	{ID: 0x0918, Name: "slhdsa_shake_128f", Algorithm: SigSLHDSA, TLS13: true},
	{ID: 0x0919, Name: "slhdsa_shake_192s", Algorithm: SigSLHDSA, TLS13: true},
	{ID: 0x091A, Name: "slhdsa_shake_192f", Algorithm: SigSLHDSA, TLS13: true},
	{ID: 0x091B, Name: "slhdsa_shake_256s", Algorithm: SigSLHDSA, TLS13: true},
	{ID: 0x091C, Name: "slhdsa_shake_256f", Algorithm: SigSLHDSA, TLS13: true},
}

// schemeAliases are OpenSSL's other spellings for the RSAE PSS schemes.
var schemeAliases = map[string]SignatureScheme{
	"RSA-PSS+SHA256": PSSWithSHA256, "PSS+SHA256": PSSWithSHA256,
	"RSA-PSS+SHA384": PSSWithSHA384, "PSS+SHA384": PSSWithSHA384,
	"RSA-PSS+SHA512": PSSWithSHA512, "PSS+SHA512": PSSWithSHA512,
}

var (
	schemeIndex = make(map[SignatureScheme]*SchemeInfo, len(schemeTable))
	schemeNames = make(map[string]*SchemeInfo, 3*len(schemeTable))
)

func init() {
	for i := range schemeTable {
		s := &schemeTable[i]
		schemeIndex[s.ID] = s
		schemeNames[strings.ToUpper(s.Name)] = s
		if s.OpenSSLName != "" {
			schemeNames[strings.ToUpper(s.OpenSSLName)] = s
		}
	}
	for alias, id := range schemeAliases {
		schemeNames[strings.ToUpper(alias)] = schemeIndex[id]
	}
}

// SchemeByID returns the registry entry for s, or nil if it is unknown.
func SchemeByID(s SignatureScheme) *SchemeInfo {
	return schemeIndex[s]
}

// SchemeByName finds a scheme by its IANA name or an OpenSSL spelling
// ("ECDSA+SHA256", "RSA+SHA256", "RSA-PSS+SHA256", "rsa_pss_rsae_sha256"),
// ignoring case.
func SchemeByName(name string) (*SchemeInfo, bool) {
	s, ok := schemeNames[strings.ToUpper(strings.TrimSpace(name))]
	return s, ok
}

// AllSchemes returns every registered scheme in code-point order.
func AllSchemes() []*SchemeInfo {
	out := make([]*SchemeInfo, len(schemeTable))
	for i := range schemeTable {
		out[i] = &schemeTable[i]
	}
	return out
}

// String returns the IANA name, "GREASE(0x0A0A)", or "unknown(0xNNNN)".
func (s SignatureScheme) String() string {
	if info := schemeIndex[s]; info != nil {
		return info.Name
	}
	return unknownString(uint16(s))
}

// ParseSchemeList parses a comma- or colon-separated list of signature
// schemes in any accepted spelling, or as hex code points. OpenSSL writes
// "RSA+SHA256:ECDSA+SHA256", so '+' is part of a name, never a separator.
// Unknown names yield an *UnknownNameError with the nearest name; a scheme
// listed twice is an error.
func ParseSchemeList(list string) ([]SignatureScheme, error) {
	var out []SignatureScheme
	seen := make(map[SignatureScheme]string)
	for _, entry := range splitList(list) {
		var s SignatureScheme
		if v, ok := parseHex16(entry); ok {
			s = SignatureScheme(v)
		} else if info, ok := SchemeByName(entry); ok {
			s = info.ID
		} else {
			return nil, &UnknownNameError{Kind: "signature scheme", Name: entry, Suggestion: nearest(entry, schemeNames)}
		}
		if prev, dup := seen[s]; dup {
			return nil, fmt.Errorf("signature scheme %q is listed twice (also as %q)", entry, prev)
		}
		seen[s] = entry
		out = append(out, s)
	}
	return out, nil
}

// DefaultSignatureSchemes returns the schemes clasp offers in
// signature_algorithms when the configuration names none. SHA-1 is left out
// (RFC 9155 forbids it in TLS 1.2 handshake signatures); PKCS#1 v1.5 stays
// at the end because TLS 1.2 servers with RSA keys may support nothing else,
// and certificates are still signed with it.
func DefaultSignatureSchemes() []SignatureScheme {
	return []SignatureScheme{
		ECDSAWithP256AndSHA256,
		Ed25519,
		PSSWithSHA256,
		PSSWithSHA384,
		PSSWithSHA512,
		ECDSAWithP384AndSHA384,
		ECDSAWithP521AndSHA512,
		PKCS1WithSHA256,
		PKCS1WithSHA384,
		PKCS1WithSHA512,
	}
}
