package record

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// cbcMode is a CBC BlockMode whose IV can be replaced, so that one mode
// object serves every record of an epoch without allocating. crypto/cipher's
// CBC modes have had SetIV for this purpose since Go 1.x.
type cbcMode interface {
	cipher.BlockMode
	SetIV([]byte)
}

// cbcProtection is MAC-then-encrypt record protection with a block cipher in
// CBC mode and HMAC (RFC 5246 §6.2.3.2; RFC 2246 §6.2.3.2 for TLS 1.0):
//
//	fragment = [IV] || CBC(content || HMAC(seq||type||version||length||content) || padding || padding_length)
//
// Decryption must not reveal whether the padding was correct, neither by
// the alert (every failure is bad_record_mac) nor by time. The time part is
// Lucky13 (AlFardan and Paterson, 2013): the receiver learns the content
// length only from the secret padding, and the number of hash compression
// calls spent on the MAC depends on that length. Open therefore checks the
// padding without branching on it, always hashes as many blocks as the
// longest possible content would need, and fetches the received MAC from
// its secret position with a scan whose memory accesses do not depend on
// that position. See open for the details.
type cbcProtection struct {
	explicitIV bool // TLS 1.1+: a fresh IV in front of every record
	etm        bool // encrypt-then-MAC (RFC 7366), see cbc_etm.go
	ssl3       bool // SSL 3.0: its MAC and padding rules, see ssl3.go
	enc, dec   cbcMode
	rand       io.Reader

	mac        hash.Hash
	macSize    int
	blockShift uint // log2 of the hash's block size
	lenField   int  // bytes of the message-length field in the hash padding

	ad      [13]byte
	sum     [64]byte  // computed MAC
	recv    [64]byte  // received MAC, copied out in constant time
	rotated [64]byte  // received MAC, rotated by an unknown amount
	dummy   [512]byte // hashed to even out the compression count
}

func newCBC(version suites.Version, block cipher.Block, iv []byte, newHash func() hash.Hash, macKey []byte, random io.Reader) (*cbcProtection, error) {
	p := &cbcProtection{explicitIV: version >= suites.VersionTLS11}
	bs := block.BlockSize()
	startIV := make([]byte, bs)
	if !p.explicitIV {
		// TLS 1.0 chains the IV across records, starting from the key block.
		if len(iv) != bs {
			return nil, fmt.Errorf("record: TLS 1.0 CBC needs a %d-byte IV from the key block, got %d bytes", bs, len(iv))
		}
		copy(startIV, iv)
	} else if random == nil {
		random = rand.Reader
	}
	p.rand = random
	var ok1, ok2 bool
	p.enc, ok1 = cipher.NewCBCEncrypter(block, startIV).(cbcMode)
	p.dec, ok2 = cipher.NewCBCDecrypter(block, startIV).(cbcMode)
	if !ok1 || !ok2 {
		return nil, errors.New("record: crypto/cipher CBC mode lacks SetIV")
	}

	h := newHash()
	p.macSize = h.Size()
	if len(macKey) != p.macSize {
		return nil, fmt.Errorf("record: HMAC key must be %d bytes (RFC 5246 §6.3 mac_key_length), got %d", p.macSize, len(macKey))
	}
	switch h.BlockSize() {
	case 64: // SHA-1, SHA-256: 8-byte length field (FIPS 180-4 §5.1.1)
		p.blockShift, p.lenField = 6, 8
	case 128: // SHA-384: 16-byte length field (FIPS 180-4 §5.1.2)
		p.blockShift, p.lenField = 7, 16
	default:
		return nil, fmt.Errorf("record: hash block size %d not supported", h.BlockSize())
	}
	p.mac = hmac.New(newHash, macKey)
	return p, nil
}

func (p *cbcProtection) blockSize() int { return p.enc.BlockSize() }

func (p *cbcProtection) ivLen() int {
	if p.explicitIV {
		return p.blockSize()
	}
	return 0
}

func (p *cbcProtection) MaxOverhead() int {
	// IV, MAC, and at most one block of padding (Seal pads minimally).
	return p.ivLen() + p.macSize + p.blockSize()
}

func (p *cbcProtection) Seal(out []byte, seq uint64, typ wire.ContentType, version suites.Version, plaintext []byte) ([]byte, error) {
	if p.etm {
		return p.sealETM(out, seq, typ, version, plaintext)
	}
	bs := p.blockSize()
	withMAC := len(plaintext) + p.macSize
	padLen := bs - 1 - withMAC%bs // makes withMAC+padLen+1 a multiple of bs
	out, rec := grow(out, p.ivLen()+withMAC+padLen+1)
	iv, body := rec[:p.ivLen()], rec[p.ivLen():]
	if p.explicitIV {
		// RFC 5246 §6.2.3.2: "The IV SHOULD be chosen at random, and
		// MUST be unpredictable."
		if _, err := io.ReadFull(p.rand, iv); err != nil {
			return nil, fmt.Errorf("record: reading a CBC IV: %w", err)
		}
	}
	copy(body, plaintext)
	p.mac.Reset()
	p.writeMACHeader(seq, typ, version, len(plaintext))
	p.mac.Write(plaintext)
	p.mac.Sum(body[len(plaintext):len(plaintext)]) // writes the MAC in place
	for i := withMAC; i < len(body); i++ {
		body[i] = byte(padLen)
	}
	if p.explicitIV {
		p.enc.SetIV(iv)
	}
	// TLS 1.0: the mode keeps the last ciphertext block as the next IV.
	p.enc.CryptBlocks(body, body)
	return out, nil
}

// writeMACHeader feeds the MAC the record header it covers: seq_num, type,
// version and length (RFC 5246 §6.2.3.1), or in SSL 3.0 the same without
// the version (RFC 6101 §5.2.3.1).
func (p *cbcProtection) writeMACHeader(seq uint64, typ wire.ContentType, version suites.Version, n int) {
	putAdditionalData(&p.ad, seq, typ, version, n)
	if p.ssl3 {
		head, tail := ssl3MACHeader(&p.ad)
		p.mac.Write(head)
		p.mac.Write(tail)
		return
	}
	p.mac.Write(p.ad[:])
}

// The helpers below return masks: all ones for true, zero for false, so
// that secret conditions select values without branches. Arguments must be
// in [0, 2^31).
func maskLE(a, b int) int { return -subtle.ConstantTimeLessOrEq(a, b) }
func maskEq(a, b int) int { return -subtle.ConstantTimeEq(int32(a), int32(b)) }
func maskSelect(mask, a, b int) int {
	return a&mask | b&^mask
}

// maxPadding is the largest padding including the padding_length byte.
const maxPadding = 256

func (p *cbcProtection) Open(seq uint64, typ wire.ContentType, version suites.Version, fragment []byte) ([]byte, error) {
	if p.etm {
		return p.openETM(seq, typ, version, fragment)
	}
	bs := p.blockSize()
	// Only public facts (the record length) are checked with branches.
	minBody := (p.macSize + 1 + bs - 1) / bs * bs
	if len(fragment) < p.ivLen()+minBody || (len(fragment)-p.ivLen())%bs != 0 {
		return nil, errBadRecordMAC
	}
	body := fragment[p.ivLen():]
	if p.explicitIV {
		p.dec.SetIV(fragment[:bs])
	}
	p.dec.CryptBlocks(body, body)

	n := len(body)
	padLen := int(body[n-1])
	toRemove := padLen + 1

	// Padding check (RFC 5246 §6.2.3.2: every padding byte equals
	// padding_length). Look at the last 256 bytes (or all, if fewer) and
	// compare only those inside the claimed padding, without branching.
	good := maskLE(toRemove+p.macSize, n)
	var diff int
	for i := 0; i < maxPadding && i < n; i++ {
		diff |= int(body[n-1-i]^byte(padLen)) & maskLE(i, padLen)
	}
	if p.ssl3 {
		// RFC 6101 §5.2.3.2: the padding bytes are arbitrary; only
		// padding_length < block length is a rule. (This is POODLE.)
		diff = ^maskLE(padLen, bs-1) & 1
	}
	good &= maskEq(diff, 0)
	// With bad padding, carry on as if there were one byte of padding, so
	// that every later step sees in-range lengths and does the same work;
	// good stays zero and the record is rejected at the end.
	toRemove = maskSelect(good, toRemove, 1)
	contentLen := n - toRemove - p.macSize
	maxContentLen := n - 1 - p.macSize

	// MAC over the content. The number of compression calls for the inner
	// hash is ceil((13 + contentLen + 1 + lenField) / B) after the
	// precomputed ipad block; feed whole dummy blocks afterwards to bring
	// it to the count for maxContentLen, so the total does not depend on
	// the padding. Writing whole blocks after Sum costs exactly that many
	// compressions whatever the hash has buffered, and the next Reset
	// discards them.
	p.mac.Reset()
	p.writeMACHeader(seq, typ, version, contentLen)
	p.mac.Write(body[:contentLen])
	computed := p.mac.Sum(p.sum[:0])
	blocks := func(l int) int {
		return (len(p.ad) + l + p.lenField + 1<<p.blockShift) >> p.blockShift
	}
	extra := blocks(maxContentLen) - blocks(contentLen)
	p.mac.Write(p.dummy[:extra<<p.blockShift])

	// Copy the received MAC out of body[contentLen:contentLen+macSize]
	// without an access pattern that depends on contentLen: scan every
	// position where it could start, collecting its bytes into rotated at
	// (position - scanStart) mod macSize, then undo the rotation with a
	// loop over all indices.
	scanStart := n - maxPadding - p.macSize
	if scanStart < 0 {
		scanStart = 0
	}
	macEnd := contentLen + p.macSize
	rotated := p.rotated[:p.macSize]
	clear(rotated)
	j, rotation := 0, 0
	for i := scanStart; i < n-1; i++ {
		rotation |= j & maskEq(i, contentLen)
		inMAC := maskLE(contentLen, i) &^ maskLE(macEnd, i)
		rotated[j] |= body[i] & byte(inMAC)
		j++
		j &^= maskEq(j, p.macSize)
	}
	recv := p.recv[:p.macSize]
	for k := range recv {
		idx := rotation + k
		idx -= p.macSize & maskLE(p.macSize, idx)
		var b byte
		for m, r := range rotated {
			b |= r & byte(maskEq(m, idx))
		}
		recv[k] = b
	}

	good &= -subtle.ConstantTimeCompare(recv, computed)
	if good == 0 {
		return nil, errBadRecordMAC
	}
	return body[:contentLen], nil
}
