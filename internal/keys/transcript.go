package keys

import (
	"crypto"
	"crypto/md5"
	"crypto/sha1"
	"fmt"
	"hash"
	"slices"

	"github.com/clasp-tls/clasp/internal/suites"
)

// Transcript accumulates the handshake messages of one handshake, as the exact
// bytes that were on the wire including each 4-byte handshake header (RFC 5246
// §7.4.9: "handshake_messages ... as exchanged"; never a re-marshalled
// message, which could differ from what the peer hashed).
//
// The hash is not known until the server has chosen a cipher suite, so until
// SetHash is called the transcript only buffers; SetHash then replays the
// buffer into the chosen hash.
//
// The raw bytes are also kept, because a TLS 1.2 CertificateVerify signs
// handshake_messages themselves (RFC 5246 §7.4.8), hashed with the signature
// scheme's hash, which need not be the PRF hash — and Ed25519 (RFC 8422 §5.10)
// needs the whole message. Call DropMessages once no CertificateVerify can
// come, so a long handshake does not keep every certificate in memory.
type Transcript struct {
	buf     []byte      // raw messages; nil once dropped (after SetHash)
	dropped bool        // DropMessages was called
	hashes  []hash.Hash // one hash, or MD5 then SHA-1 for TLS 1.0/1.1
	hash    crypto.Hash // what SetHash chose; crypto.MD5SHA1 for the pair
	tls13   bool        // SetHash was for TLS 1.3
}

// NewTranscript returns an empty transcript that buffers until SetHash.
func NewTranscript() *Transcript {
	return &Transcript{}
}

// Write adds one or more complete handshake messages, header included.
func (t *Transcript) Write(msg []byte) {
	if t.hashes == nil || !t.dropped {
		t.buf = append(t.buf, msg...)
	}
	for _, h := range t.hashes {
		h.Write(msg)
	}
}

// SetHash chooses the transcript hash and replays the messages buffered so
// far. TLS 1.2 hashes with the suite's PRF hash (RFC 5246 §7.4.9; zero means
// SHA-256 as in PRF); TLS 1.0/1.1 use the 36-byte MD5 || SHA-1 concatenation
// (RFC 2246 §7.4.9). TLS 1.3 uses the suite's HKDF hash (RFC 8446 §4.4.1),
// which must be SHA-256 or SHA-384: there is no default there, and a zero
// prfHash panics.
//
// Calling SetHash again restarts the hashes from the kept messages; after
// DropMessages that is impossible and panics.
func (t *Transcript) SetHash(version suites.Version, prfHash crypto.Hash) {
	if t.hashes != nil && t.dropped {
		panic("keys: Transcript.SetHash after DropMessages")
	}
	t.tls13 = version == suites.VersionTLS13
	switch version {
	case suites.VersionSSL30, suites.VersionTLS10, suites.VersionTLS11:
		// SSL 3.0's Finished also hashes MD5 and SHA-1 separately.
		t.hashes = []hash.Hash{md5.New(), sha1.New()}
		t.hash = crypto.MD5SHA1
	case suites.VersionTLS13:
		t.hash = hash13(prfHash)
		t.hashes = []hash.Hash{t.hash.New()}
	default:
		t.hash = prf12Hash(prfHash)
		t.hashes = []hash.Hash{t.hash.New()}
	}
	for _, h := range t.hashes {
		h.Write(t.buf)
	}
	if t.dropped {
		t.buf = nil
	}
}

// Sum returns the handshake hash of the messages so far without disturbing
// the running hash, so the same transcript serves the client Finished, the
// server Finished and the extended master secret. It panics before SetHash:
// a Finished computed over no hash could only fail at the peer with a
// misleading decrypt_error.
func (t *Transcript) Sum() []byte {
	if t.hashes == nil {
		panic("keys: Transcript.Sum before SetHash")
	}
	var out []byte
	for _, h := range t.hashes {
		out = h.Sum(out)
	}
	return out
}

// Messages returns every handshake message written so far, for a TLS 1.2
// CertificateVerify (RFC 5246 §7.4.8). It returns nil after DropMessages.
// The caller must not modify the result.
func (t *Transcript) Messages() []byte {
	if t.dropped {
		return nil
	}
	return t.buf
}

// DropMessages stops keeping the raw messages once no CertificateVerify can
// come. Before SetHash the buffer is still needed for the replay, so it is
// released when SetHash runs.
func (t *Transcript) DropMessages() {
	t.dropped = true
	if t.hashes != nil {
		t.buf = nil
	}
}

// Hash returns the hash SetHash chose (crypto.MD5SHA1 for TLS 1.0/1.1), or
// zero before SetHash.
func (t *Transcript) Hash() crypto.Hash { return t.hash }

// messageHashType is the handshake type of the synthetic message_hash
// message (RFC 8446 §4.4.1, §B.3).
const messageHashType = 254

// ReplaceWithMessageHash replaces the transcript, which must hold exactly
// the first ClientHello, with the synthetic message RFC 8446 §4.4.1 asks for
// after a HelloRetryRequest:
//
//	Transcript-Hash(ClientHello1, HelloRetryRequest, ... Mn) =
//	    Hash(message_hash ||        /* Handshake type */
//	         00 00 Hash.length  ||  /* Handshake message length (bytes) */
//	         Hash(ClientHello1) ||  /* Hash of ClientHello1 */
//	         HelloRetryRequest  || ... || Mn)
//
// Both sides call it after SetHash (the HelloRetryRequest names the suite)
// and before writing the HelloRetryRequest. This is what lets a server drop
// the first ClientHello and keep only its hash, for example in a cookie.
// It panics before SetHash or for a TLS 1.0–1.2 transcript.
func (t *Transcript) ReplaceWithMessageHash() {
	if !t.tls13 {
		panic("keys: Transcript.ReplaceWithMessageHash without a TLS 1.3 hash")
	}
	ch1 := t.Sum()
	msg := append([]byte{messageHashType, 0, 0, byte(len(ch1))}, ch1...)
	t.hashes = []hash.Hash{t.hash.New()}
	t.hashes[0].Write(msg)
	if !t.dropped {
		t.buf = msg
	}
}

// SumWith returns the hash of the transcript followed by extra, without
// adding extra: a TLS 1.3 server predicts the client's Finished this way
// (to issue a ticket before it arrives) after the raw messages are gone.
func (t *Transcript) SumWith(extra []byte) []byte {
	if t.hashes == nil {
		panic("keys: Transcript.SumWith before SetHash")
	}
	var out []byte
	for _, h := range t.hashes {
		c, ok := h.(hash.Cloner)
		if !ok {
			panic("keys: transcript hash cannot be cloned")
		}
		clone, err := c.Clone()
		if err != nil {
			panic("keys: cloning the transcript hash: " + err.Error())
		}
		clone.Write(extra)
		out = clone.Sum(out)
	}
	return out
}

// Clone returns an independent copy of the transcript, so that one
// handshake's hash can be continued more than once: TLS 1.3 post-handshake
// authentication hashes each CertificateRequest onto the handshake's
// transcript through the client's Finished (RFC 8446 §4.4).
func (t *Transcript) Clone() (*Transcript, error) {
	out := &Transcript{buf: slices.Clone(t.buf), dropped: t.dropped, hash: t.hash, tls13: t.tls13}
	for _, h := range t.hashes {
		cloner, ok := h.(hash.Cloner)
		if !ok {
			return nil, fmt.Errorf("keys: the %v transcript hash cannot be cloned", t.hash)
		}
		c, err := cloner.Clone()
		if err != nil {
			return nil, err
		}
		out.hashes = append(out.hashes, c)
	}
	return out, nil
}
