package record

import (
	"crypto/aes"
	"crypto/des"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Protection protects the records of one direction of a connection for one
// epoch, that is between two ChangeCipherSpec messages (RFC 5246 §6.1) or two
// key changes (RFC 8446 §7). It keeps its own scratch space (nonce, MAC
// state, CBC state), so a Protection must be used by one goroutine at a time
// and for one direction only.
type Protection interface {
	// Seal appends to out the protected fragment (without the 5-byte
	// record header) for plaintext and returns the extended slice. seq is
	// the record's sequence number; typ and version are the values that go
	// into the MAC or AEAD additional data (RFC 5246 §6.2.3). plaintext
	// must not overlap the spare capacity of out. When out has at least
	// len(plaintext)+MaxOverhead() spare capacity, Seal does not allocate.
	Seal(out []byte, seq uint64, typ wire.ContentType, version suites.Version, plaintext []byte) ([]byte, error)

	// Open authenticates and decrypts fragment in place where the cipher
	// allows it and returns the plaintext, which aliases fragment. Every
	// kind of authentication failure (bad MAC, bad padding, a fragment too
	// short to hold the MAC or tag) is the same *wire.Error with
	// bad_record_mac, so that none can be told apart (RFC 5246 §6.2.3.2).
	Open(seq uint64, typ wire.ContentType, version suites.Version, fragment []byte) ([]byte, error)

	// MaxOverhead is the largest number of bytes that Seal adds to a
	// plaintext.
	MaxOverhead() int
}

// InnerTypeProtection is TLS 1.3 record protection (RFC 8446 §5.2;
// NewProtectionTLS13 builds one), where the real content type travels encrypted inside the record and
// every protected record's header says application_data. A Protection that
// implements it is used by the Layer as follows: records are written with
// OuterType in the header (Seal receives the real type and must put it inside
// the fragment), records are read with OpenInner, which returns the real
// type, and fragments longer than MaxFragment are refused with
// record_overflow. Callers of Layer see only the real content types, so a TLS
// 1.3 protection is installed with the same SetReadProtection and
// SetWriteProtection calls as a TLS 1.2 one.
type InnerTypeProtection interface {
	Protection
	// OuterType is the content type written in the header of every
	// protected record.
	OuterType() wire.ContentType
	// OpenInner is Open for records whose plaintext carries its own
	// content type; outer is the type from the record header.
	OpenInner(seq uint64, outer wire.ContentType, version suites.Version, fragment []byte) (wire.ContentType, []byte, error)
	// MaxFragment is the largest protected fragment accepted (RFC 8446
	// §5.2: 2^14 + 256).
	MaxFragment() int
}

// openerTo is implemented by protections that can write a record's
// plaintext to a buffer of the caller's instead of over the fragment in the
// Layer's input buffer (see Layer.SetReadDestination).
type openerTo interface {
	// OpenTo is Open with the plaintext written to dst, which must not
	// overlap fragment. When the plaintext is longer than dst, fits is
	// false and nothing was done: the caller opens in place instead.
	OpenTo(dst []byte, seq uint64, typ wire.ContentType, version suites.Version, fragment []byte) (plaintext []byte, fits bool, err error)
}

// innerOpenerTo is openerTo for an InnerTypeProtection, whose content type
// is known only after decryption: OpenInnerTo returns application data in
// dst and any other content over the fragment, as OpenInner does.
type innerOpenerTo interface {
	OpenInnerTo(dst []byte, seq uint64, outer wire.ContentType, version suites.Version, fragment []byte) (typ wire.ContentType, content []byte, fits bool, err error)
}

// NullProtection is the protection of epoch 0, before the first
// ChangeCipherSpec: records travel as TLSPlaintext (RFC 5246 §6.2.1). It is
// also what the Layer uses until a protection is installed.
type NullProtection struct{}

// Seal appends plaintext to out unchanged.
func (NullProtection) Seal(out []byte, _ uint64, _ wire.ContentType, _ suites.Version, plaintext []byte) ([]byte, error) {
	return append(out, plaintext...), nil
}

// Open returns fragment unchanged.
func (NullProtection) Open(_ uint64, _ wire.ContentType, _ suites.Version, fragment []byte) ([]byte, error) {
	return fragment, nil
}

// MaxOverhead is zero: null protection adds nothing.
func (NullProtection) MaxOverhead() int { return 0 }

// errBadRecordMAC is the single error for every way a protected record can
// fail to authenticate. Sharing one value (and one message) keeps padding
// failures indistinguishable from MAC failures, as RFC 5246 §6.2.3.2 asks:
// "implementations MUST ensure that record processing time is essentially
// the same whether or not the padding is correct" and the same alert is sent.
var errBadRecordMAC = &wire.Error{Alert: wire.AlertBadRecordMAC, Message: "record failed authentication"}

// NewProtection builds the record protection of a TLS 1.0–1.2 cipher suite
// from its parts of the key block (RFC 5246 §6.3) for one direction.
//
//   - AES-GCM (RFC 5288): iv is the 4-byte salt; each record carries an
//     8-byte explicit nonce, which clasp sets to the sequence number as RFC
//     5288 §3 suggests and crypto/tls and OpenSSL do.
//   - ChaCha20-Poly1305 (RFC 7905 §2): iv is 12 bytes and the nonce is iv
//     XOR the padded sequence number; nothing explicit is carried.
//   - AES-CBC with HMAC-SHA1/SHA256/SHA384 (RFC 5246 §6.2.3.2, MAC then
//     pad then encrypt): TLS 1.1 and 1.2 send a fresh IV read from rand in
//     front of every record and ignore iv; TLS 1.0 (RFC 2246 §6.2.3.2)
//     chains the IV from the last ciphertext block of the previous record,
//     starting from iv.
//
// macKey is used only by CBC suites. rand is used only by TLS 1.1/1.2 CBC
// suites for sealing and must be a cryptographically secure source; nil
// means crypto/rand.Reader.
func NewProtection(version suites.Version, c suites.Cipher, mac suites.MAC, key, iv, macKey []byte, rand io.Reader) (Protection, error) {
	if version == suites.VersionTLS13 {
		return nil, errors.New("record: use NewProtectionTLS13 for TLS 1.3")
	}
	if version == suites.VersionSSL30 {
		return newSSL3Protection(c, mac, key, iv, macKey)
	}
	if version < suites.VersionTLS10 || version > suites.VersionTLS12 {
		return nil, fmt.Errorf("record: NewProtection supports TLS 1.0 to 1.2, not version %#04x", uint16(version))
	}
	switch c {
	case suites.CipherAES128GCM, suites.CipherAES256GCM:
		if mac != suites.MACAEAD {
			return nil, errors.New("record: an AEAD cipher needs MACAEAD")
		}
		if version != suites.VersionTLS12 {
			return nil, errors.New("record: AEAD cipher suites exist only in TLS 1.2 (RFC 5246 §6.2.3.3)")
		}
		if err := checkKeyLen(c, key, map[suites.Cipher]int{suites.CipherAES128GCM: 16, suites.CipherAES256GCM: 32}); err != nil {
			return nil, err
		}
		return newGCM(key, iv)
	case suites.CipherChaCha20Poly1305:
		if mac != suites.MACAEAD {
			return nil, errors.New("record: an AEAD cipher needs MACAEAD")
		}
		if version != suites.VersionTLS12 {
			return nil, errors.New("record: AEAD cipher suites exist only in TLS 1.2 (RFC 5246 §6.2.3.3)")
		}
		return newChaCha(key, iv)
	case suites.CipherAES128CBC, suites.CipherAES256CBC:
		if err := checkKeyLen(c, key, map[suites.Cipher]int{suites.CipherAES128CBC: 16, suites.CipherAES256CBC: 32}); err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		var newHash func() hash.Hash
		switch mac {
		case suites.MACSHA1:
			newHash = sha1.New
		case suites.MACSHA256:
			newHash = sha256.New
		case suites.MACSHA384:
			newHash = sha512.New384
		default:
			return nil, fmt.Errorf("record: MAC %d is not implemented for CBC suites", mac)
		}
		return newCBC(version, block, iv, newHash, macKey, rand)
	case suites.Cipher3DES:
		// Legacy, opt-in only: a 64-bit block (Sweet32). The CBC record
		// construction is the same as AES's with an 8-byte block.
		if len(key) != 24 {
			return nil, fmt.Errorf("record: 3DES-EDE-CBC needs a 24-byte key, got %d bytes", len(key))
		}
		block, err := des.NewTripleDESCipher(key)
		if err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		if mac != suites.MACSHA1 {
			return nil, fmt.Errorf("record: MAC %s is not implemented for 3DES suites", mac)
		}
		return newCBC(version, block, iv, sha1.New, macKey, rand)
	case suites.CipherRC4_128, suites.CipherNULL:
		// NULL here is a NULL-with-MAC suite (TLS_RSA_WITH_NULL_SHA...);
		// epoch 0's TLS_NULL_WITH_NULL_NULL is NullProtection.
		return newStream(c, mac, key, macKey)
	}
	return nil, fmt.Errorf("record: cipher %d is not implemented", c)
}

func checkKeyLen(c suites.Cipher, key []byte, want map[suites.Cipher]int) error {
	if len(key) != want[c] {
		return fmt.Errorf("record: cipher %d needs a %d-byte key, got %d bytes", c, want[c], len(key))
	}
	return nil
}

// putAdditionalData writes the 13 bytes that TLS 1.0–1.2 authenticate in
// front of every record (RFC 5246 §6.2.3.1 and §6.2.3.3):
// seq_num + type + version + length.
func putAdditionalData(dst *[13]byte, seq uint64, typ wire.ContentType, version suites.Version, n int) {
	for i := 0; i < 8; i++ {
		dst[i] = byte(seq >> (56 - 8*i))
	}
	dst[8] = byte(typ)
	dst[9] = byte(version >> 8)
	dst[10] = byte(version)
	dst[11] = byte(n >> 8)
	dst[12] = byte(n)
}

// grow returns out with room for n more bytes and the extended slice.
func grow(out []byte, n int) (head, tail []byte) {
	if total := len(out) + n; cap(out) >= total {
		return out[:total], out[len(out):total]
	}
	bigger := make([]byte, len(out)+n, 2*cap(out)+n)
	copy(bigger, out)
	return bigger, bigger[len(out):]
}

// Compile-time checks that every implementation satisfies Protection.
var (
	_ Protection = NullProtection{}
	_ Protection = (*aeadProtection)(nil)
	_ openerTo   = (*aeadProtection)(nil)
	_ Protection = (*cbcProtection)(nil)
	_ Protection = (*streamProtection)(nil)
)
