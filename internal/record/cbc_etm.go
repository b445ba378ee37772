package record

import (
	"crypto/hmac"
	"fmt"
	"io"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Encrypt-then-MAC (RFC 7366 §3): with the encrypt_then_mac extension
// agreed, a CBC record is encrypted first and the MAC covers the
// ciphertext:
//
//	fragment = [IV] || CBC(content || padding || padding_length) || MAC
//	MAC = HMAC(seq || type || version || length(IV || ciphertext) || IV || ciphertext)
//
// The receiver checks the MAC before it decrypts anything, so the padding
// is only ever looked at in records the peer really sent: no padding
// oracle, and no Lucky13 countermeasure needed.

// NewProtectionEncryptThenMAC is NewProtection for a CBC suite whose
// handshake agreed on encrypt_then_mac. Other ciphers have no use for it
// (RFC 7366 §3: AEAD and stream suites never negotiate it).
func NewProtectionEncryptThenMAC(version suites.Version, c suites.Cipher, mac suites.MAC, key, iv, macKey []byte, rand io.Reader) (Protection, error) {
	if version == suites.VersionSSL30 {
		return nil, fmt.Errorf("record: encrypt-then-MAC is a TLS extension (RFC 7366) and does not exist in SSL 3.0")
	}
	p, err := NewProtection(version, c, mac, key, iv, macKey, rand)
	if err != nil {
		return nil, err
	}
	cbc, ok := p.(*cbcProtection)
	if !ok {
		return nil, fmt.Errorf("record: encrypt-then-MAC applies to CBC suites only, not cipher %d", c)
	}
	cbc.etm = true
	return cbc, nil
}

func (p *cbcProtection) sealETM(out []byte, seq uint64, typ wire.ContentType, version suites.Version, plaintext []byte) ([]byte, error) {
	bs := p.blockSize()
	padLen := bs - 1 - len(plaintext)%bs
	encrypted := p.ivLen() + len(plaintext) + padLen + 1
	out, rec := grow(out, encrypted+p.macSize)
	iv, body := rec[:p.ivLen()], rec[p.ivLen():encrypted]
	if p.explicitIV {
		if _, err := io.ReadFull(p.rand, iv); err != nil {
			return nil, fmt.Errorf("record: reading a CBC IV: %w", err)
		}
		p.enc.SetIV(iv)
	}
	copy(body, plaintext)
	for i := len(plaintext); i < len(body); i++ {
		body[i] = byte(padLen)
	}
	p.enc.CryptBlocks(body, body)
	p.mac.Reset()
	putAdditionalData(&p.ad, seq, typ, version, encrypted)
	p.mac.Write(p.ad[:])
	p.mac.Write(rec[:encrypted])
	p.mac.Sum(rec[encrypted:encrypted])
	return out, nil
}

func (p *cbcProtection) openETM(seq uint64, typ wire.ContentType, version suites.Version, fragment []byte) ([]byte, error) {
	bs := p.blockSize()
	encrypted := len(fragment) - p.macSize
	if encrypted < p.ivLen()+bs || (encrypted-p.ivLen())%bs != 0 {
		return nil, errBadRecordMAC
	}
	p.mac.Reset()
	putAdditionalData(&p.ad, seq, typ, version, encrypted)
	p.mac.Write(p.ad[:])
	p.mac.Write(fragment[:encrypted])
	if !hmac.Equal(p.mac.Sum(p.sum[:0]), fragment[encrypted:]) {
		return nil, errBadRecordMAC
	}
	body := fragment[p.ivLen():encrypted]
	if p.explicitIV {
		p.dec.SetIV(fragment[:bs])
	}
	p.dec.CryptBlocks(body, body)
	// The MAC was right, so the peer itself padded this way: a bad padding
	// is a broken peer, reported as bad_record_mac (RFC 7366 §3 keeps
	// RFC 5246's alert).
	padLen := int(body[len(body)-1])
	if padLen+1 > len(body) {
		return nil, errBadRecordMAC
	}
	for _, b := range body[len(body)-1-padLen:] {
		if int(b) != padLen {
			return nil, errBadRecordMAC
		}
	}
	return body[:len(body)-1-padLen], nil
}
