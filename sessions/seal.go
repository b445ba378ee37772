package sessions

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// The ways a sealed value can be unusable. Open wraps one of them (test with
// errors.Is); SealedStore turns each into a miss and logs it.
var (
	// ErrCorrupt: too short to hold the header, nonce and tag.
	ErrCorrupt = errors.New("sessions: sealed value is corrupt")
	// ErrVersion: a format version this code does not know, for example
	// written by a newer clasp sharing the store during an upgrade.
	ErrVersion = errors.New("sessions: sealed value has an unknown format version")
	// ErrForeign: sealed under another key id, that is another fleet key or
	// purpose; typically two fleets sharing one Redis, or a key rotation.
	ErrForeign = errors.New("sessions: sealed value is from another key")
	// ErrAuth: the key id matches but authentication failed: the value was
	// modified, truncated, or moved to another store key.
	ErrAuth = errors.New("sessions: sealed value failed authentication")
)

// SealVersion is the format version byte Seal writes.
const SealVersion = 1

// Sizes in the sealed form.
const (
	keyIDLen     = 4
	headerLen    = 1 + keyIDLen
	sealOverhead = headerLen + nonceLen + tagLen
	nonceLen     = 12 // GCM standard nonce
	tagLen       = 16
)

// MinFleetKeyLen is the shortest fleet key NewSealer accepts: 128 bits, the
// least secret worth deriving an AES-256 key from.
const MinFleetKeyLen = 16

// Sealer encrypts values before they reach a store, so that a reader of the
// store (of Redis, or of its dump files) cannot read master secrets.
//
// The key is AES-256-GCM, derived with HKDF-SHA256 from the fleet's session
// key and a purpose label, so that one fleet key can serve several uses
// ("tls12 sessions", "ticket keys") without one use's values opening as
// another's. The sealed form is
//
//	version (1 byte) || key id (4 bytes) || nonce (12 bytes) || ciphertext+tag
//
// where the key id is derived from the fleet key and purpose too: a value
// sealed under another key is recognised as foreign (ErrForeign) rather than
// as tampered with (ErrAuth), which tells an operator "two fleets share this
// store" instead of "someone edits your Redis". It is a hint, not a
// security boundary: a colliding id (one in 2^32) still fails
// authentication. The additional data binds the header and the store key (the
// session ID), so a value copied to another entry does not open there and
// cannot hand one client's session to another.
//
// Nonces are random. Under one key that is safe for about 2^32 seals, far
// more than a session cache writes between fleet key changes.
//
// A Sealer is safe for concurrent use.
type Sealer struct {
	aead  cipher.AEAD
	keyID [keyIDLen]byte
}

// NewSealer derives a Sealer from the fleet's session key (at least
// MinFleetKeyLen bytes of secret; 32 random bytes is right) and a purpose
// label naming what the values are.
func NewSealer(fleetKey []byte, purpose string) (*Sealer, error) {
	if len(fleetKey) < MinFleetKeyLen {
		return nil, fmt.Errorf("sessions: fleet key is %d bytes, need at least %d", len(fleetKey), MinFleetKeyLen)
	}
	if purpose == "" {
		return nil, errors.New("sessions: sealer purpose must not be empty")
	}
	// Separate HKDF infos give independent values for the cipher key and
	// the key id, so publishing the id (it is in every sealed value) says
	// nothing about the cipher key.
	key, err := hkdf.Key(sha256.New, fleetKey, nil, "clasp sessions seal key\x00"+purpose, 32)
	if err != nil {
		return nil, err
	}
	id, err := hkdf.Key(sha256.New, fleetKey, nil, "clasp sessions key id\x00"+purpose, keyIDLen)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	s := &Sealer{aead: aead}
	copy(s.keyID[:], id)
	return s, nil
}

// Seal encrypts plaintext for storing under storeKey.
func (s *Sealer) Seal(storeKey string, plaintext []byte) ([]byte, error) {
	out := make([]byte, headerLen+nonceLen, sealOverhead+len(plaintext))
	out[0] = SealVersion
	copy(out[1:headerLen], s.keyID[:])
	nonce := out[headerLen : headerLen+nonceLen]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("sessions: seal nonce: %w", err)
	}
	return s.aead.Seal(out, nonce, plaintext, additionalData(out[:headerLen], storeKey)), nil
}

// Open decrypts a value Seal wrote under storeKey. Its errors wrap
// ErrCorrupt, ErrVersion, ErrForeign or ErrAuth; callers treat each as a
// cache miss and log the reason.
func (s *Sealer) Open(storeKey string, sealed []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrCorrupt)
	}
	// The version decides the layout, so it is checked before the length:
	// a future format may well be shorter.
	if sealed[0] != SealVersion {
		return nil, fmt.Errorf("%w: %d (this code reads %d)", ErrVersion, sealed[0], SealVersion)
	}
	if len(sealed) < sealOverhead {
		return nil, fmt.Errorf("%w: %d bytes, the sealed form needs at least %d", ErrCorrupt, len(sealed), sealOverhead)
	}
	// The id is public, so a plain comparison leaks nothing.
	if !bytes.Equal(sealed[1:headerLen], s.keyID[:]) {
		return nil, fmt.Errorf("%w: key id %x, this sealer's is %x", ErrForeign, sealed[1:headerLen], s.keyID)
	}
	nonce := sealed[headerLen : headerLen+nonceLen]
	plain, err := s.aead.Open(nil, nonce, sealed[headerLen+nonceLen:], additionalData(sealed[:headerLen], storeKey))
	if err != nil {
		return nil, ErrAuth
	}
	if plain == nil {
		plain = []byte{} // an empty value is still a value
	}
	return plain, nil
}

// additionalData is header || storeKey. The header is fixed-length, so the
// concatenation is unambiguous.
func additionalData(header []byte, storeKey string) []byte {
	ad := make([]byte, 0, len(header)+len(storeKey))
	return append(append(ad, header...), storeKey...)
}
