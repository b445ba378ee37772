package record

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"golang.org/x/crypto/chacha20poly1305"
)

// tls13Protection is TLS 1.3 record protection (RFC 8446 §5.2–§5.4): the
// real content type is encrypted with the content (TLSInnerPlaintext), the
// header always says application_data and 0x0303, the additional data is
// the header itself, and the nonce is the write IV XOR the padded sequence
// number.
type tls13Protection struct {
	aead  cipher.AEAD
	iv    [12]byte
	nonce [12]byte
	ad    [HeaderLen]byte
}

// NewProtectionTLS13 builds TLS 1.3 record protection for one direction
// from a traffic key and IV (RFC 8446 §7.3: [sender]_write_key and
// [sender]_write_iv derived from a traffic secret). The cipher is that of
// TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 or
// TLS_CHACHA20_POLY1305_SHA256. Records are sent without padding.
func NewProtectionTLS13(c suites.Cipher, key, iv []byte) (InnerTypeProtection, error) {
	if len(iv) != 12 {
		return nil, fmt.Errorf("record: TLS 1.3 needs a 12-byte write IV (RFC 8446 §5.3), got %d bytes", len(iv))
	}
	var aead cipher.AEAD
	switch c {
	case suites.CipherAES128GCM, suites.CipherAES256GCM:
		want := 16
		if c == suites.CipherAES256GCM {
			want = 32
		}
		if len(key) != want {
			return nil, fmt.Errorf("record: cipher %d needs a %d-byte key, got %d bytes", c, want, len(key))
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		if aead, err = cipher.NewGCM(block); err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
	case suites.CipherChaCha20Poly1305:
		var err error
		if aead, err = chacha20poly1305.New(key); err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
	default:
		return nil, fmt.Errorf("record: cipher %d is not a TLS 1.3 cipher", c)
	}
	p := &tls13Protection{aead: aead}
	copy(p.iv[:], iv)
	return p, nil
}

// setNonce implements RFC 8446 §5.3: the 64-bit sequence number, left-padded
// with zeros to the IV length, XORed with the IV.
func (p *tls13Protection) setNonce(seq uint64) {
	p.nonce = p.iv
	for i := 0; i < 8; i++ {
		p.nonce[4+i] ^= byte(seq >> (56 - 8*i))
	}
}

// setAD sets the additional data to the record header (RFC 8446 §5.2).
func (p *tls13Protection) setAD(version suites.Version, n int) {
	p.ad = [HeaderLen]byte{byte(wire.ContentApplicationData), byte(version >> 8), byte(version), byte(n >> 8), byte(n)}
}

func (p *tls13Protection) OuterType() wire.ContentType { return wire.ContentApplicationData }
func (p *tls13Protection) MaxFragment() int            { return MaxCiphertextTLS13 }
func (p *tls13Protection) MaxOverhead() int            { return 1 + p.aead.Overhead() }

// Seal encrypts TLSInnerPlaintext = plaintext || typ (no padding). version is
// the legacy_record_version written in the header, 0x0303.
func (p *tls13Protection) Seal(out []byte, seq uint64, typ wire.ContentType, version suites.Version, plaintext []byte) ([]byte, error) {
	start := len(out)
	out, _ = grow(out, len(plaintext)+p.MaxOverhead())
	inner := out[start : start+len(plaintext)+1]
	copy(inner, plaintext)
	inner[len(plaintext)] = byte(typ)
	p.setNonce(seq)
	p.setAD(version, len(inner)+p.aead.Overhead())
	return p.aead.Seal(out[:start], p.nonce[:], inner, p.ad[:]), nil
}

// Open is OpenInner without the content type.
func (p *tls13Protection) Open(seq uint64, typ wire.ContentType, version suites.Version, fragment []byte) ([]byte, error) {
	_, plaintext, err := p.OpenInner(seq, typ, version, fragment)
	return plaintext, err
}

// OpenInner decrypts a TLSCiphertext and returns the real content type and
// content, with the padding removed (RFC 8446 §5.4).
func (p *tls13Protection) OpenInner(seq uint64, outer wire.ContentType, version suites.Version, fragment []byte) (wire.ContentType, []byte, error) {
	typ, content, _, err := p.openInner(nil, seq, outer, version, fragment)
	return typ, content, err
}

// OpenInnerTo implements innerOpenerTo: the TLSInnerPlaintext is decrypted
// into dst when it fits, and application data stays there; a record of
// any other type (a post-handshake message, an alert) is moved back over
// the fragment and dst cleared, so that only application data is ever left
// in the caller's buffer (a record that fails leaves nothing there either).
func (p *tls13Protection) OpenInnerTo(dst []byte, seq uint64, outer wire.ContentType, version suites.Version, fragment []byte) (wire.ContentType, []byte, bool, error) {
	typ, content, fits, err := p.openInner(dst, seq, outer, version, fragment)
	if !fits || (err == nil && typ == wire.ContentApplicationData) {
		return typ, content, fits, err
	}
	if err == nil {
		content = fragment[:copy(fragment, content)]
	}
	// What the AEAD may have written; an error found before decrypting (a
	// wrong outer type, a short fragment) wrote nothing.
	clear(dst[:max(0, min(len(dst), len(fragment)-p.aead.Overhead()))])
	return typ, content, true, err
}

// openInner decrypts fragment into dst when dst is not nil and can hold the
// TLSInnerPlaintext, else in place; fits is false when dst was given and is
// too small, and then nothing was done.
func (p *tls13Protection) openInner(dst []byte, seq uint64, outer wire.ContentType, version suites.Version, fragment []byte) (typ wire.ContentType, content []byte, fits bool, err error) {
	// RFC 8446 §5.2: "The outer opaque_type field of a TLSCiphertext
	// record is always set to the value 23 (application_data)". An
	// unprotected alert after the keys changed is the usual way to get
	// here: a peer that failed to process our flight.
	if outer != wire.ContentApplicationData {
		return 0, nil, true, wire.Errorf(wire.AlertUnexpectedMessage, "unprotected %v record after TLS 1.3 keys were installed", outer)
	}
	if len(fragment) < p.aead.Overhead() {
		return 0, nil, true, errBadRecordMAC
	}
	out := fragment[:0]
	if dst != nil {
		if len(fragment)-p.aead.Overhead() > len(dst) {
			return 0, nil, false, nil
		}
		// The capacity ends at len(dst): the AEAD writes nothing else.
		out = dst[:0:len(dst)]
	}
	p.setNonce(seq)
	p.setAD(version, len(fragment))
	inner, err := p.aead.Open(out, p.nonce[:], fragment, p.ad[:])
	if err != nil {
		return 0, nil, true, errBadRecordMAC
	}
	typ, content, err = innerContent(inner)
	return typ, content, true, err
}

// innerContent splits a TLSInnerPlaintext into its content type and
// content (RFC 8446 §5.2, §5.4).
func innerContent(inner []byte) (wire.ContentType, []byte, error) {
	// RFC 8446 §5.4: "The length MUST NOT exceed 2^14 + 1 octets"
	// for the encoded TLSInnerPlaintext.
	if len(inner) > MaxPlaintext+1 {
		return 0, nil, wire.Errorf(wire.AlertRecordOverflow, "TLS 1.3 inner plaintext of %d bytes exceeds 2^14+1", len(inner))
	}
	i := len(inner) - 1
	for i >= 0 && inner[i] == 0 {
		i--
	}
	if i < 0 {
		// RFC 8446 §5.4: no non-zero octet means unexpected_message.
		return 0, nil, wire.Errorf(wire.AlertUnexpectedMessage, "TLS 1.3 record without a content type")
	}
	typ := wire.ContentType(inner[i])
	if typ == wire.ContentChangeCipherSpec {
		// RFC 8446 §5: "An implementation which receives ... a protected
		// change_cipher_spec record MUST abort the handshake with an
		// "unexpected_message" alert."
		return 0, nil, wire.Errorf(wire.AlertUnexpectedMessage, "protected change_cipher_spec record")
	}
	return typ, inner[:i], nil
}

var _ InnerTypeProtection = (*tls13Protection)(nil)
