package suites

import (
	"crypto"
	"fmt"
)

// CipherInfo gives the sizes the record layer and the key block need for a
// bulk cipher. The lengths describe TLS 1.2 record protection unless the
// cipher exists only in TLS 1.3 (SM4, MGM, AEGIS, Ascon), where they
// describe RFC 8446 §5.3 protection instead.
//
// In TLS 1.2 the key block (RFC 5246 §6.3) is cut, in order, into two MAC
// keys (MAC.KeyLen each, none for an AEAD), two KeyLen write keys and two
// FixedIVLen write IVs:
//
//   - AES-GCM, Camellia-GCM, ARIA-GCM and AES-CCM (RFC 5288 §3, RFC 6655):
//     the 4-byte FixedIVLen salt comes from the key block and each record
//     carries an 8-byte explicit nonce; salt || explicit is the 12-byte
//     nonce.
//   - ChaCha20-Poly1305 (RFC 7905 §2): the whole 12-byte nonce is a fixed
//     IV from the key block, XORed with the sequence number; nothing
//     explicit is sent.
//   - CBC ciphers: TLS 1.2 takes no IV from the key block (FixedIVLen 0);
//     every record starts with a fresh BlockSize explicit IV. SSL 3.0 and
//     TLS 1.0 instead take a BlockSize IV from the key block and chain it
//     across records, which is what made BEAST possible.
//   - Stream ciphers (RC4) and NULL: no IV at all.
//
// In TLS 1.3 every cipher takes a KeyLen key and a NonceLen IV from
// HKDF-Expand-Label and XORs the IV with the sequence number.
type CipherInfo struct {
	// Name is how clasp prints the cipher, e.g. "AES-128-GCM".
	Name string
	// KeyLen is the encryption key length in bytes. For the export ciphers
	// it is the 5 bytes of secret key material; the working key is then
	// expanded from it (RFC 2246 §6.3).
	KeyLen int
	// FixedIVLen is the IV length taken from the TLS 1.2 key block.
	FixedIVLen int
	// ExplicitNonceLen is the per-record nonce or IV sent in front of the
	// ciphertext in TLS 1.2.
	ExplicitNonceLen int
	// BlockSize is the block length CBC records are padded to; 0 for stream
	// ciphers and AEADs, which never pad.
	BlockSize int
	// TagLen is the AEAD authentication tag length appended to each record.
	TagLen int
	// NonceLen is the AEAD nonce length: the TLS 1.3 IV length, and in
	// TLS 1.2 FixedIVLen+ExplicitNonceLen.
	NonceLen int
	// AEAD is true when the cipher authenticates records itself.
	AEAD bool
}

var cipherInfos = map[Cipher]CipherInfo{
	CipherNULL:    {Name: "NULL"},
	CipherRC4_40:  {Name: "RC4-40", KeyLen: 5},
	CipherRC4_128: {Name: "RC4-128", KeyLen: 16},
	CipherRC2_40:  {Name: "RC2-CBC-40", KeyLen: 5, ExplicitNonceLen: 8, BlockSize: 8},
	CipherIDEA:    {Name: "IDEA-CBC", KeyLen: 16, ExplicitNonceLen: 8, BlockSize: 8},
	CipherDES40:   {Name: "DES-CBC-40", KeyLen: 5, ExplicitNonceLen: 8, BlockSize: 8},
	CipherDES:     {Name: "DES-CBC", KeyLen: 8, ExplicitNonceLen: 8, BlockSize: 8},
	Cipher3DES:    {Name: "3DES-EDE-CBC", KeyLen: 24, ExplicitNonceLen: 8, BlockSize: 8},

	CipherAES128CBC: {Name: "AES-128-CBC", KeyLen: 16, ExplicitNonceLen: 16, BlockSize: 16},
	CipherAES256CBC: {Name: "AES-256-CBC", KeyLen: 32, ExplicitNonceLen: 16, BlockSize: 16},
	CipherAES128GCM: {Name: "AES-128-GCM", KeyLen: 16, FixedIVLen: 4, ExplicitNonceLen: 8, TagLen: 16, NonceLen: 12, AEAD: true},
	CipherAES256GCM: {Name: "AES-256-GCM", KeyLen: 32, FixedIVLen: 4, ExplicitNonceLen: 8, TagLen: 16, NonceLen: 12, AEAD: true},
	// CCM takes its TLS 1.2 nonce the same way GCM does (RFC 6655 §3).
	CipherAES128CCM:  {Name: "AES-128-CCM", KeyLen: 16, FixedIVLen: 4, ExplicitNonceLen: 8, TagLen: 16, NonceLen: 12, AEAD: true},
	CipherAES256CCM:  {Name: "AES-256-CCM", KeyLen: 32, FixedIVLen: 4, ExplicitNonceLen: 8, TagLen: 16, NonceLen: 12, AEAD: true},
	CipherAES128CCM8: {Name: "AES-128-CCM-8", KeyLen: 16, FixedIVLen: 4, ExplicitNonceLen: 8, TagLen: 8, NonceLen: 12, AEAD: true},
	CipherAES256CCM8: {Name: "AES-256-CCM-8", KeyLen: 32, FixedIVLen: 4, ExplicitNonceLen: 8, TagLen: 8, NonceLen: 12, AEAD: true},
	// RFC 7905 drops the explicit nonce: the whole nonce is fixed and
	// XORed with the sequence number, as TLS 1.3 later did for everything.
	CipherChaCha20Poly1305: {Name: "ChaCha20-Poly1305", KeyLen: 32, FixedIVLen: 12, TagLen: 16, NonceLen: 12, AEAD: true},

	CipherCamellia128CBC: {Name: "Camellia-128-CBC", KeyLen: 16, ExplicitNonceLen: 16, BlockSize: 16},
	CipherCamellia256CBC: {Name: "Camellia-256-CBC", KeyLen: 32, ExplicitNonceLen: 16, BlockSize: 16},
	CipherCamellia128GCM: {Name: "Camellia-128-GCM", KeyLen: 16, FixedIVLen: 4, ExplicitNonceLen: 8, TagLen: 16, NonceLen: 12, AEAD: true},
	CipherCamellia256GCM: {Name: "Camellia-256-GCM", KeyLen: 32, FixedIVLen: 4, ExplicitNonceLen: 8, TagLen: 16, NonceLen: 12, AEAD: true},
	CipherARIA128CBC:     {Name: "ARIA-128-CBC", KeyLen: 16, ExplicitNonceLen: 16, BlockSize: 16},
	CipherARIA256CBC:     {Name: "ARIA-256-CBC", KeyLen: 32, ExplicitNonceLen: 16, BlockSize: 16},
	CipherARIA128GCM:     {Name: "ARIA-128-GCM", KeyLen: 16, FixedIVLen: 4, ExplicitNonceLen: 8, TagLen: 16, NonceLen: 12, AEAD: true},
	CipherARIA256GCM:     {Name: "ARIA-256-GCM", KeyLen: 32, FixedIVLen: 4, ExplicitNonceLen: 8, TagLen: 16, NonceLen: 12, AEAD: true},
	CipherSEED:           {Name: "SEED-CBC", KeyLen: 16, ExplicitNonceLen: 16, BlockSize: 16},

	// TLS 1.3 only (RFC 8998): lengths are RFC 8446 §5.3 ones.
	CipherSM4GCM: {Name: "SM4-GCM", KeyLen: 16, FixedIVLen: 12, TagLen: 16, NonceLen: 12, AEAD: true},
	CipherSM4CCM: {Name: "SM4-CCM", KeyLen: 16, FixedIVLen: 12, TagLen: 16, NonceLen: 12, AEAD: true},

	// GOST TLS 1.2 suites (RFC 9189): counter modes, so no padding; the IV
	// from the key block is half a block for CTR, a whole block for CNT.
	CipherGOST:          {Name: "GOST28147-CNT", KeyLen: 32, FixedIVLen: 8},
	CipherKuznyechikCTR: {Name: "Kuznyechik-CTR", KeyLen: 32, FixedIVLen: 8},
	CipherMagmaCTR:      {Name: "Magma-CTR", KeyLen: 32, FixedIVLen: 4},
	// GOST TLS 1.3 suites (RFC 9367): MGM with a whole-block nonce and tag.
	CipherKuznyechikMGM: {Name: "Kuznyechik-MGM", KeyLen: 32, FixedIVLen: 16, TagLen: 16, NonceLen: 16, AEAD: true},
	CipherMagmaMGM:      {Name: "Magma-MGM", KeyLen: 32, FixedIVLen: 8, TagLen: 8, NonceLen: 8, AEAD: true},

	// TLS 1.3 only; the nonce is as long as the AEAD's, not 12 bytes.
	CipherAEGIS128L:    {Name: "AEGIS-128L", KeyLen: 16, FixedIVLen: 16, TagLen: 16, NonceLen: 16, AEAD: true},
	CipherAEGIS256:     {Name: "AEGIS-256", KeyLen: 32, FixedIVLen: 32, TagLen: 16, NonceLen: 32, AEAD: true},
	CipherAsconAEAD128: {Name: "Ascon-AEAD128", KeyLen: 16, FixedIVLen: 16, TagLen: 16, NonceLen: 16, AEAD: true},
}

// Info describes the cipher. An unknown value yields a CipherInfo whose Name
// keeps the number and whose lengths are zero.
func (c Cipher) Info() CipherInfo {
	if info, ok := cipherInfos[c]; ok {
		return info
	}
	return CipherInfo{Name: fmt.Sprintf("Cipher(%d)", uint8(c))}
}

// String returns the cipher's printable name, e.g. "AES-128-GCM".
func (c Cipher) String() string {
	return c.Info().Name
}

// macInfo is the record MAC table: output size, key size taken from the
// TLS 1.2 key block, and the HMAC hash when there is one.
type macInfo struct {
	name   string
	size   int
	keyLen int
	hash   crypto.Hash
}

var macInfos = map[MAC]macInfo{
	MACNULL:   {name: "NULL"},
	MACAEAD:   {name: "AEAD"},
	MACMD5:    {name: "HMAC-MD5", size: 16, keyLen: 16, hash: crypto.MD5},
	MACSHA1:   {name: "HMAC-SHA1", size: 20, keyLen: 20, hash: crypto.SHA1},
	MACSHA256: {name: "HMAC-SHA256", size: 32, keyLen: 32, hash: crypto.SHA256},
	MACSHA384: {name: "HMAC-SHA384", size: 48, keyLen: 48, hash: crypto.SHA384},
	// SM3 is not a crypto.Hash; only the hash-less fields are known.
	MACSM3: {name: "HMAC-SM3", size: 32, keyLen: 32},
	// RFC 9189 §4.1.1: the GOST MACs are keyed with 32 bytes and truncated
	// to a quarter, half or whole block of their cipher.
	MACGOST:           {name: "GOST28147-IMIT", size: 4, keyLen: 32},
	MACKuznyechikOMAC: {name: "Kuznyechik-OMAC", size: 16, keyLen: 32},
	MACMagmaOMAC:      {name: "Magma-OMAC", size: 8, keyLen: 32},
}

// Size is the MAC length appended to each record; 0 for AEAD and NULL.
func (m MAC) Size() int { return macInfos[m].size }

// KeyLen is the MAC key length taken from the TLS 1.2 key block (RFC 5246
// §6.3 mac_key_length); 0 for AEAD and NULL.
func (m MAC) KeyLen() int { return macInfos[m].keyLen }

// Hash is the hash under HMAC, or 0 when the MAC is not an HMAC over a hash
// the crypto package names.
func (m MAC) Hash() crypto.Hash { return macInfos[m].hash }

// String returns the MAC's printable name, e.g. "HMAC-SHA256".
func (m MAC) String() string {
	if info, ok := macInfos[m]; ok {
		return info.name
	}
	return fmt.Sprintf("MAC(%d)", uint8(m))
}

var kexNames = map[KeyExchange]string{
	KexNULL:      "NULL",
	KexRSA:       "RSA",
	KexRSAExport: "RSA_EXPORT",
	KexDH:        "DH",
	KexDHE:       "DHE",
	KexDHAnon:    "DH_anon",
	KexECDH:      "ECDH",
	KexECDHE:     "ECDHE",
	KexECDHAnon:  "ECDH_anon",
	KexPSK:       "PSK",
	KexDHEPSK:    "DHE_PSK",
	KexECDHEPSK:  "ECDHE_PSK",
	KexRSAPSK:    "RSA_PSK",
	KexSRP:       "SRP",
	KexKRB5:      "KRB5",
	KexECCPWD:    "ECCPWD",
	KexAny:       "any",
	KexGOST:      "GOST",
}

// String returns the key exchange as IANA suite names spell it ("ECDHE",
// "DH_anon"); "any" for TLS 1.3 suites.
func (k KeyExchange) String() string {
	if name, ok := kexNames[k]; ok {
		return name
	}
	return fmt.Sprintf("KeyExchange(%d)", uint8(k))
}

var authNames = map[Auth]string{
	AuthNULL:   "NULL",
	AuthRSA:    "RSA",
	AuthDSS:    "DSS",
	AuthECDSA:  "ECDSA",
	AuthAnon:   "anon",
	AuthPSK:    "PSK",
	AuthKRB5:   "KRB5",
	AuthSRP:    "SRP",
	AuthECCPWD: "ECCPWD",
	AuthAny:    "any",
	AuthGOST:   "GOST",
}

// String returns the authentication method as IANA suite names spell it
// ("RSA", "ECDSA", "anon"); "any" for TLS 1.3 suites.
func (a Auth) String() string {
	if name, ok := authNames[a]; ok {
		return name
	}
	return fmt.Sprintf("Auth(%d)", uint8(a))
}
