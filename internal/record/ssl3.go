package record

import (
	"crypto/md5"
	"crypto/sha1"
	"errors"
	"fmt"
	"hash"

	"github.com/clasp-tls/clasp/internal/suites"
)

// SSL 3.0 record protection (RFC 6101 §5.2.3): the CBC and stream
// constructions of TLS 1.0 with two differences.
//
//   - The MAC is not HMAC but the older pad construction, and it leaves
//     the version out (§5.2.3.1):
//
//     hash(MAC_write_secret + pad_2 +
//     hash(MAC_write_secret + pad_1 + seq_num + type + length + content))
//
//   - CBC padding bytes may hold anything; only padding_length is defined
//     and must be less than the block length (§5.2.3.2). So the receiver
//     cannot check the padding, which is exactly what POODLE (Möller, Duong
//     and Kotowicz, 2014) exploits: SSL 3.0 CBC is broken by design, and
//     clasp runs it only when Config.MinVersion names SSL 3.0, with a
//     warning. The IV chains across records as in TLS 1.0, so the
//     Layer's 1/n-1 split applies too.

// ssl3MAC is the §5.2.3.1 MAC as a hash.Hash, so the CBC and stream
// protections use it where they would use HMAC.
type ssl3MAC struct {
	inner, outer hash.Hash
	secret       []byte
	pad1, pad2   []byte
	sum          [20]byte
}

func newSSL3MAC(newHash func() hash.Hash, secret []byte) *ssl3MAC {
	m := &ssl3MAC{inner: newHash(), outer: newHash(), secret: append([]byte(nil), secret...)}
	n := 48 // pad length: 48 bytes for MD5, 40 for SHA-1 (§5.2.3.1)
	if m.inner.Size() == sha1.Size {
		n = 40
	}
	m.pad1, m.pad2 = make([]byte, n), make([]byte, n)
	for i := range m.pad1 {
		m.pad1[i], m.pad2[i] = 0x36, 0x5c
	}
	m.Reset()
	return m
}

func (m *ssl3MAC) Reset() {
	m.inner.Reset()
	m.inner.Write(m.secret)
	m.inner.Write(m.pad1)
}

func (m *ssl3MAC) Write(p []byte) (int, error) { return m.inner.Write(p) }
func (m *ssl3MAC) Size() int                   { return m.inner.Size() }
func (m *ssl3MAC) BlockSize() int              { return m.inner.BlockSize() }

func (m *ssl3MAC) Sum(b []byte) []byte {
	innerSum := m.inner.Sum(m.sum[:0])
	m.outer.Reset()
	m.outer.Write(m.secret)
	m.outer.Write(m.pad2)
	m.outer.Write(innerSum)
	return m.outer.Sum(b)
}

// ssl3MACHeader is seq_num + type + length: the 13-byte TLS header without
// the version (RFC 6101 §5.2.3.1).
func ssl3MACHeader(ad *[13]byte) ([]byte, []byte) { return ad[:9], ad[11:] }

// newSSL3Protection builds SSL 3.0 protection: 3DES or AES in CBC mode, or
// RC4 or NULL, with the SSL 3.0 MAC over MD5 or SHA-1.
func newSSL3Protection(c suites.Cipher, mac suites.MAC, key, iv, macKey []byte) (Protection, error) {
	var newHash func() hash.Hash
	switch mac {
	case suites.MACMD5:
		newHash = md5.New
	case suites.MACSHA1:
		newHash = sha1.New
	default:
		return nil, fmt.Errorf("record: SSL 3.0 has no %s MAC", mac)
	}
	if c == suites.CipherAES128CBC || c == suites.CipherAES256CBC {
		if mac != suites.MACSHA1 {
			return nil, errors.New("record: AES suites use SHA-1")
		}
	}
	// The TLS 1.0 construction with the chained IV, then the SSL 3.0 MAC.
	p, err := NewProtection(suites.VersionTLS10, c, mac, key, iv, macKey, nil)
	if err != nil {
		return nil, err
	}
	if len(macKey) != newHash().Size() {
		return nil, fmt.Errorf("record: SSL 3.0 MAC secret must be %d bytes, got %d", newHash().Size(), len(macKey))
	}
	switch p := p.(type) {
	case *cbcProtection:
		p.ssl3, p.mac = true, newSSL3MAC(newHash, macKey)
		return p, nil
	case *streamProtection:
		p.ssl3, p.mac = true, newSSL3MAC(newHash, macKey)
		return p, nil
	}
	return nil, fmt.Errorf("record: cipher %s does not exist in SSL 3.0", c)
}
