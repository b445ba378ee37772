// Package kex implements the key agreements of TLS: ephemeral elliptic-curve
// Diffie-Hellman over crypto/ecdh, finite-field Diffie-Hellman over math/big
// (the RFC 7919 groups and, for old servers, server-chosen groups), RSA key
// transport of the TLS 1.0–1.2 premaster secret, and the TLS 1.3 key shares
// of RFC 8446 §4.2.8 including the hybrid post-quantum X25519MLKEM768
// (ML-KEM-768 from crypto/mlkem with X25519).
//
// Every secret is drawn from the io.Reader the caller passes (clasp's
// Config.Rand), so a handshake can be replayed from a fixed stream; the one
// exception, the server's ML-KEM encapsulation, is described in
// keyshare13.go.
//
// Every check of a value received from the peer fails with a *wire.Error
// carrying the alert the RFC asks for, so the handshake can send it as is.
package kex

import (
	"crypto/ecdh"
	"fmt"
	"io"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// ecdhCurve maps a named group to its crypto/ecdh curve.
func ecdhCurve(group suites.Group) (ecdh.Curve, bool) {
	switch group {
	case suites.X25519:
		return ecdh.X25519(), true
	case suites.Secp256r1:
		return ecdh.P256(), true
	case suites.Secp384r1:
		return ecdh.P384(), true
	case suites.Secp521r1:
		return ecdh.P521(), true
	}
	return nil, false
}

// ECDHEKey is one side's ephemeral elliptic-curve key for a single handshake
// (RFC 8422 §5.4 ServerECDHParams / ClientECDiffieHellmanPublic, RFC 8446
// §4.2.8.2 key_share). It must not be reused across handshakes.
type ECDHEKey struct {
	group suites.Group
	priv  *ecdh.PrivateKey
}

// GenerateECDHE creates an ephemeral key on X25519, secp256r1, secp384r1 or
// secp521r1. Any other group is an error: the caller offered or accepted a
// group this package cannot compute.
//
// The private key is drawn from rand itself, not left to crypto/ecdh: since
// Go 1.26, ecdh.Curve.GenerateKey ignores a caller's reader (GODEBUG
// cryptocustomrand), and clasp's Config.Rand must make a handshake
// reproducible — RFC 8448's traces, for one, are replayed by feeding the
// trace's private keys through it. With crypto/rand.Reader, the default,
// the key is as random as GenerateKey's.
func GenerateECDHE(group suites.Group, rand io.Reader) (*ECDHEKey, error) {
	curve, ok := ecdhCurve(group)
	if !ok {
		return nil, fmt.Errorf("kex: group %v is not an elliptic-curve group clasp implements", group)
	}
	priv, err := privateKeyFromRand(curve, group, rand)
	if err != nil {
		return nil, fmt.Errorf("kex: generating %v key: %w", group, err)
	}
	return &ECDHEKey{group: group, priv: priv}, nil
}

// NewECDHEFromPrivate returns the key with the given private scalar: 32
// bytes for X25519 (RFC 7748 §5), the fixed-length big-endian scalar below
// the group order for the NIST curves (SEC 1 §2.3.6). It exists for tests
// that replay a trace with known keys, such as RFC 8448's.
func NewECDHEFromPrivate(group suites.Group, priv []byte) (*ECDHEKey, error) {
	curve, ok := ecdhCurve(group)
	if !ok {
		return nil, fmt.Errorf("kex: group %v is not an elliptic-curve group clasp implements", group)
	}
	k, err := curve.NewPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("kex: invalid %v private key: %w", group, err)
	}
	return &ECDHEKey{group: group, priv: k}, nil
}

// scalarBits is the bit length of each NIST curve's group order, which the
// candidate scalars are masked to.
var scalarBits = map[suites.Group]int{
	suites.Secp256r1: 256,
	suites.Secp384r1: 384,
	suites.Secp521r1: 521,
}

// maxScalarTries bounds the rejection sampling below. With a working reader
// a retry is rare (2^-32 for P-256, far less for the others); a reader that
// keeps producing out-of-range scalars is broken, and failing beats looping
// forever.
const maxScalarTries = 64

// privateKeyFromRand reads a private key from rand. X25519 takes any 32
// bytes (the scalar is clamped when used, RFC 7748 §5). A NIST scalar must
// lie in [1, n-1]: the candidate is the scalar's byte length read from rand
// with the bits above the order's length cleared, and is drawn again when
// crypto/ecdh rejects it (zero, or not below n) — rejection sampling as in
// FIPS 186-5 Appendix A.2.2, so the result is uniform in [1, n-1].
func privateKeyFromRand(curve ecdh.Curve, group suites.Group, rand io.Reader) (*ecdh.PrivateKey, error) {
	if group == suites.X25519 {
		b := make([]byte, 32)
		if _, err := io.ReadFull(rand, b); err != nil {
			return nil, err
		}
		return curve.NewPrivateKey(b)
	}
	bits := scalarBits[group]
	b := make([]byte, (bits+7)/8)
	for range maxScalarTries {
		if _, err := io.ReadFull(rand, b); err != nil {
			return nil, err
		}
		if extra := len(b)*8 - bits; extra > 0 {
			b[0] &= 0xff >> extra
		}
		if k, err := curve.NewPrivateKey(b); err == nil {
			return k, nil
		}
	}
	return nil, fmt.Errorf("random source gave %d out-of-range scalars in a row", maxScalarTries)
}

// Group returns the named group of the key.
func (k *ECDHEKey) Group() suites.Group { return k.group }

// PublicKey returns the public value as sent on the wire: 32 bytes for
// X25519 (RFC 7748 §5), the uncompressed SEC 1 point 0x04 || X || Y for the
// NIST curves (RFC 8422 §5.4.1; RFC 8446 §4.2.8.2 allows nothing else).
func (k *ECDHEKey) PublicKey() []byte { return k.priv.PublicKey().Bytes() }

// SharedSecret computes the premaster secret from the peer's public value.
//
// Each failure is an illegal_parameter alert, as RFC 8446 §4.2.8.2 and RFC
// 8422 §5.11 require for a bad point: a NIST point that is compressed (the
// ec_point_formats extension only ever negotiates uncompressed), off the
// curve or the point at infinity, an X25519 value that is not 32 bytes, and
// an X25519 result of all zeros (RFC 7748 §6.1, RFC 8446 §7.4.2: a low-order
// point would otherwise let the peer force a known secret).
func (k *ECDHEKey) SharedSecret(peerPublic []byte) ([]byte, error) {
	peer, err := k.priv.Curve().NewPublicKey(peerPublic)
	if err != nil {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "invalid %v public key from peer (%d bytes): %v", k.group, len(peerPublic), err)
	}
	secret, err := k.priv.ECDH(peer)
	if err != nil {
		// crypto/ecdh fails only on X25519's all-zero output.
		return nil, wire.Errorf(wire.AlertIllegalParameter, "%v shared secret from the peer's key is all zeros (low-order point)", k.group)
	}
	return secret, nil
}
