// Package suites is clasp's single registry of protocol code points: protocol
// versions, cipher suites, named groups and signature schemes. Every name a
// person sees (IANA and OpenSSL spellings) comes from the same tables as the
// code points, so a trace, an error message and a command-line flag always
// agree.
//
// The code-point types are plain integers so that a value the registry does
// not know is kept, printed and compared like any other: a parser never loses
// what a peer sent.
package suites

// Version is a protocol version as it appears on the wire.
type Version uint16

// Protocol versions.
const (
	VersionSSL30 Version = 0x0300
	VersionTLS10 Version = 0x0301
	VersionTLS11 Version = 0x0302
	VersionTLS12 Version = 0x0303
	VersionTLS13 Version = 0x0304
)

// ID is a cipher suite code point.
type ID uint16

// Group is a named group code point (supported_groups, key_share,
// ServerKeyExchange curve).
type Group uint16

// SignatureScheme is a signature scheme code point (signature_algorithms,
// DigitallySigned). For TLS 1.2 the high byte is the hash and the low byte the
// signature algorithm, which is why the legacy pairs are registered here too.
type SignatureScheme uint16

// KeyExchange says how a cipher suite establishes the premaster secret.
type KeyExchange uint8

// Key exchange methods. KexAny marks TLS 1.3 suites, whose key exchange is
// negotiated separately from the suite.
const (
	KexUnknown KeyExchange = iota
	KexNULL
	KexRSA
	KexRSAExport
	KexDH  // static DH, certificate carries the DH key
	KexDHE // ephemeral finite-field DH
	KexDHAnon
	KexECDH // static ECDH
	KexECDHE
	KexECDHAnon
	KexPSK
	KexDHEPSK
	KexECDHEPSK
	KexRSAPSK
	KexSRP
	KexKRB5
	KexECCPWD
	KexAny
	KexGOST // GOST R 34.10-2012 key transport (VKO), RFC 9189
)

// Auth says how the server proves its identity under a cipher suite.
type Auth uint8

// Authentication methods.
const (
	AuthUnknown Auth = iota
	AuthNULL
	AuthRSA
	AuthDSS
	AuthECDSA
	AuthAnon
	AuthPSK
	AuthKRB5
	AuthSRP
	AuthECCPWD
	AuthAny  // TLS 1.3: the certificate's key decides
	AuthGOST // GOST R 34.10-2012 certificate, RFC 9189
)

// Cipher is the bulk cipher of a suite.
type Cipher uint8

// Bulk ciphers. The registry describes each one (key length, IV lengths,
// block size, AEAD or not) in its cipher table.
const (
	CipherUnknown Cipher = iota
	CipherNULL
	CipherRC4_40
	CipherRC4_128
	CipherRC2_40
	CipherIDEA
	CipherDES40
	CipherDES
	Cipher3DES
	CipherAES128CBC
	CipherAES256CBC
	CipherAES128GCM
	CipherAES256GCM
	CipherAES128CCM
	CipherAES256CCM
	CipherAES128CCM8
	CipherAES256CCM8
	CipherChaCha20Poly1305
	CipherCamellia128CBC
	CipherCamellia256CBC
	CipherCamellia128GCM
	CipherCamellia256GCM
	CipherARIA128CBC
	CipherARIA256CBC
	CipherARIA128GCM
	CipherARIA256GCM
	CipherSEED
	CipherSM4GCM
	CipherSM4CCM
	CipherGOST // GOST 28147-89 in CNT mode (RFC 9189's 28147_CNT suite)
	CipherKuznyechikCTR
	CipherMagmaCTR
	CipherKuznyechikMGM
	CipherMagmaMGM
	CipherAEGIS128L
	CipherAEGIS256
	CipherAsconAEAD128
)

// MAC is the record MAC of a non-AEAD suite; MACAEAD for AEAD suites.
type MAC uint8

// Record MAC algorithms.
const (
	MACUnknown MAC = iota
	MACNULL
	MACAEAD
	MACMD5
	MACSHA1
	MACSHA256
	MACSHA384
	MACSM3
	MACGOST // GOST 28147-89 IMIT, the MAC of the 28147_CNT suite
	MACKuznyechikOMAC
	MACMagmaOMAC
)
