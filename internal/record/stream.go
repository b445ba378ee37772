package record

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"hash"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// streamProtection is the GenericStreamCipher record protection of RFC 5246
// §6.2.3.1 (RFC 2246 §6.2.3.1 for TLS 1.0):
//
//	fragment = stream(content || HMAC(seq||type||version||length||content))
//
// used by the RC4 suites and, with no cipher at all, by the NULL suites
// (RFC 5246 §6.2.3.1: "the stream cipher is the null cipher", the MAC still
// authenticates). There is no padding, so there is no padding oracle and
// the MAC check needs no Lucky13 countermeasure: the content length is
// public, the record length minus the MAC.
//
// The keystream runs on across records of an epoch (RFC 5246 §6.2.3.1:
// "stream cipher state from the end of one record is simply used on the
// subsequent packet"); a record that fails its MAC ends the connection, so
// the receiving keystream never has to be rewound.
type streamProtection struct {
	enc, dec cipher.Stream // nil for the NULL cipher
	mac      hash.Hash
	macSize  int
	ssl3     bool // SSL 3.0 MAC, without the version (RFC 6101 §5.2.3.1)
	ad       [13]byte
	sum      [64]byte
}

// newStream builds the protection for RC4-128 (crypto/rc4) or NULL with an
// HMAC over MD5, SHA-1 or SHA-256. One value serves one direction, so enc
// and dec are the same keystream: Seal uses it on the sending side, Open on
// the receiving one.
func newStream(c suites.Cipher, mac suites.MAC, key, macKey []byte) (*streamProtection, error) {
	var newHash func() hash.Hash
	switch mac {
	case suites.MACMD5:
		newHash = md5.New
	case suites.MACSHA1:
		newHash = sha1.New
	case suites.MACSHA256:
		newHash = sha256.New
	default:
		return nil, fmt.Errorf("record: MAC %s is not implemented for stream and NULL suites", mac)
	}
	p := &streamProtection{macSize: newHash().Size()}
	if len(macKey) != p.macSize {
		return nil, fmt.Errorf("record: HMAC key must be %d bytes (RFC 5246 §6.3 mac_key_length), got %d", p.macSize, len(macKey))
	}
	p.mac = hmac.New(newHash, macKey)
	switch c {
	case suites.CipherNULL:
		if len(key) != 0 {
			return nil, fmt.Errorf("record: the NULL cipher takes no key, got %d bytes", len(key))
		}
	case suites.CipherRC4_128:
		if len(key) != 16 {
			return nil, fmt.Errorf("record: RC4-128 needs a 16-byte key, got %d bytes", len(key))
		}
		rc, err := rc4.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		p.enc, p.dec = rc, rc
	default:
		return nil, fmt.Errorf("record: cipher %s is not a stream cipher", c)
	}
	return p, nil
}

func (p *streamProtection) MaxOverhead() int { return p.macSize }

func (p *streamProtection) Seal(out []byte, seq uint64, typ wire.ContentType, version suites.Version, plaintext []byte) ([]byte, error) {
	out, rec := grow(out, len(plaintext)+p.macSize)
	copy(rec, plaintext)
	p.mac.Reset()
	p.writeMACHeader(seq, typ, version, len(plaintext))
	p.mac.Write(plaintext)
	p.mac.Sum(rec[len(plaintext):len(plaintext)])
	if p.enc != nil {
		p.enc.XORKeyStream(rec, rec)
	}
	return out, nil
}

func (p *streamProtection) Open(seq uint64, typ wire.ContentType, version suites.Version, fragment []byte) ([]byte, error) {
	if len(fragment) < p.macSize {
		return nil, errBadRecordMAC
	}
	if p.dec != nil {
		p.dec.XORKeyStream(fragment, fragment)
	}
	contentLen := len(fragment) - p.macSize
	p.mac.Reset()
	p.writeMACHeader(seq, typ, version, contentLen)
	p.mac.Write(fragment[:contentLen])
	if subtle.ConstantTimeCompare(p.mac.Sum(p.sum[:0]), fragment[contentLen:]) != 1 {
		return nil, errBadRecordMAC
	}
	return fragment[:contentLen], nil
}

// writeMACHeader is cbcProtection.writeMACHeader for stream records.
func (p *streamProtection) writeMACHeader(seq uint64, typ wire.ContentType, version suites.Version, n int) {
	putAdditionalData(&p.ad, seq, typ, version, n)
	if p.ssl3 {
		head, tail := ssl3MACHeader(&p.ad)
		p.mac.Write(head)
		p.mac.Write(tail)
		return
	}
	p.mac.Write(p.ad[:])
}
