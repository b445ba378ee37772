// Package kex implements the key agreements of TLS: ephemeral elliptic-curve
// Diffie-Hellman over crypto/ecdh, finite-field Diffie-Hellman over math/big
// (the RFC 7919 groups and, for old servers, server-chosen groups), and RSA
// key transport of the TLS 1.0–1.2 premaster secret.
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
func GenerateECDHE(group suites.Group, rand io.Reader) (*ECDHEKey, error) {
	curve, ok := ecdhCurve(group)
	if !ok {
		return nil, fmt.Errorf("kex: group %v is not an elliptic-curve group clasp implements", group)
	}
	priv, err := curve.GenerateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("kex: generating %v key: %w", group, err)
	}
	return &ECDHEKey{group: group, priv: priv}, nil
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
