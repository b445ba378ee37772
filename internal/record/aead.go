package record

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"golang.org/x/crypto/chacha20poly1305"
)

// aeadProtection is TLS 1.2 AEAD record protection (RFC 5246 §6.2.3.3).
// The two nonce constructions in use differ only in where the per-record
// part of the nonce comes from, so one type serves both:
//
//   - explicit (RFC 5288 §3, AES-GCM): nonce = 4-byte salt || 8 bytes sent
//     in front of the ciphertext. clasp sends the sequence number there, so
//     a nonce can never repeat under one key; on reading, the peer's bytes
//     are used as they are, as RFC 5288 requires.
//   - xor (RFC 7905 §2, ChaCha20-Poly1305): nonce = 12-byte IV XOR the
//     sequence number left-padded to 12 bytes; nothing explicit is sent.
type aeadProtection struct {
	aead     cipher.AEAD
	explicit bool     // RFC 5288 explicit nonce, else RFC 7905 XOR nonce
	iv       [12]byte // salt (first 4 bytes) or full IV
	nonce    [12]byte // scratch, reused per record
	ad       [13]byte // scratch, reused per record
}

// explicitNonceLen is the length of the nonce_explicit field of RFC 5288 §3.
const explicitNonceLen = 8

func newGCM(key, iv []byte) (*aeadProtection, error) {
	if len(iv) != 4 {
		return nil, fmt.Errorf("record: AES-GCM needs a 4-byte implicit IV (RFC 5288 §3), got %d bytes", len(iv))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	p := &aeadProtection{aead: aead, explicit: true}
	copy(p.iv[:], iv)
	return p, nil
}

func newChaCha(key, iv []byte) (*aeadProtection, error) {
	if len(iv) != chacha20poly1305.NonceSize {
		return nil, fmt.Errorf("record: ChaCha20-Poly1305 needs a 12-byte IV (RFC 7905 §2), got %d bytes", len(iv))
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	p := &aeadProtection{aead: aead}
	copy(p.iv[:], iv)
	return p, nil
}

// setNonce fills p.nonce for sequence number seq (XOR construction) or from
// the 8 explicit bytes (explicit construction).
func (p *aeadProtection) setNonce(seq uint64, explicit []byte) {
	if p.explicit {
		copy(p.nonce[:4], p.iv[:4])
		copy(p.nonce[4:], explicit)
		return
	}
	p.nonce = p.iv
	for i := 0; i < 8; i++ {
		p.nonce[4+i] ^= byte(seq >> (56 - 8*i))
	}
}

func (p *aeadProtection) Seal(out []byte, seq uint64, typ wire.ContentType, version suites.Version, plaintext []byte) ([]byte, error) {
	// The additional data carries the plaintext length (RFC 5246 §6.2.3.3).
	putAdditionalData(&p.ad, seq, typ, version, len(plaintext))
	if !p.explicit {
		p.setNonce(seq, nil)
		return p.aead.Seal(out, p.nonce[:], plaintext, p.ad[:]), nil
	}
	out, explicit := grow(out, explicitNonceLen)
	for i := range explicit {
		explicit[i] = byte(seq >> (56 - 8*i))
	}
	p.setNonce(seq, explicit)
	return p.aead.Seal(out, p.nonce[:], plaintext, p.ad[:]), nil
}

func (p *aeadProtection) Open(seq uint64, typ wire.ContentType, version suites.Version, fragment []byte) ([]byte, error) {
	plaintext, _, err := p.open(nil, seq, typ, version, fragment)
	return plaintext, err
}

// OpenTo implements openerTo: the plaintext goes to dst, not over the
// fragment, when it fits.
func (p *aeadProtection) OpenTo(dst []byte, seq uint64, typ wire.ContentType, version suites.Version, fragment []byte) ([]byte, bool, error) {
	return p.open(dst, seq, typ, version, fragment)
}

// open decrypts fragment into dst when dst is not nil and holds the
// plaintext, else in place; fits is false when dst was given and is too
// small, and then nothing was done.
func (p *aeadProtection) open(dst []byte, seq uint64, typ wire.ContentType, version suites.Version, fragment []byte) (plaintext []byte, fits bool, err error) {
	var explicit []byte
	if p.explicit {
		if len(fragment) < explicitNonceLen {
			return nil, true, errBadRecordMAC
		}
		explicit, fragment = fragment[:explicitNonceLen], fragment[explicitNonceLen:]
	}
	if len(fragment) < p.aead.Overhead() {
		return nil, true, errBadRecordMAC
	}
	n := len(fragment) - p.aead.Overhead()
	out := fragment[:0]
	if dst != nil {
		if n > len(dst) {
			return nil, false, nil
		}
		// The capacity ends at len(dst): the AEAD writes nothing else.
		out = dst[:0:len(dst)]
	}
	p.setNonce(seq, explicit)
	putAdditionalData(&p.ad, seq, typ, version, n)
	plaintext, err = p.aead.Open(out, p.nonce[:], fragment, p.ad[:])
	if err != nil {
		return nil, true, errBadRecordMAC
	}
	return plaintext, true, nil
}

func (p *aeadProtection) MaxOverhead() int {
	if p.explicit {
		return explicitNonceLen + p.aead.Overhead()
	}
	return p.aead.Overhead()
}
