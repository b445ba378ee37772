package kex

import (
	"crypto/ecdh"
	"crypto/mlkem"
	"fmt"
	"io"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// TLS 1.3 key shares (RFC 8446 §4.2.8): the client sends a KeyShareEntry per
// group it guesses the server will pick, the server answers with one entry
// for the group it chose, and both derive the (EC)DHE input of the key
// schedule (§7.1) from the pair.
//
// Reproducibility: every secret a share is built from is read from the
// caller's rand, in this order — X25519 and NIST curves: the scalar (see
// GenerateECDHE); FFDHE: the exponent (see GenerateDHE); X25519MLKEM768
// client: the 64-byte ML-KEM seed, then the 32-byte X25519 scalar;
// X25519MLKEM768 server: the 32-byte X25519 scalar. The one exception is the
// server's ML-KEM encapsulation, whose 32 random bytes crypto/mlkem draws
// from the system source with no way to pass a reader outside
// crypto/mlkem/mlkemtest, which is for known-answer tests only and refused
// in FIPS 140-only mode. A server's X25519MLKEM768 share is therefore
// reproducible only under testing/cryptotest.SetGlobalRandom, which fixes
// that system source for the duration of a test.

// Sizes of the X25519MLKEM768 key shares (draft-ietf-tls-ecdhe-mlkem).
const (
	x25519Len                = 32
	hybridClientShareLen     = mlkem.EncapsulationKeySize768 + x25519Len // 1216
	hybridServerShareLen     = mlkem.CiphertextSize768 + x25519Len       // 1120
	hybridSharedSecretLength = mlkem.SharedKeySize + x25519Len           // 64
)

// ClientKeyShare is a client's key share for one group: its public value
// for the key_share extension and how to finish the exchange with the
// server's share. It holds secret keys and serves one handshake only.
type ClientKeyShare interface {
	// Group returns the named group of the share.
	Group() suites.Group
	// Public returns the key_exchange value of the client's
	// KeyShareEntry. The caller must not modify it.
	Public() []byte
	// SharedSecret checks the server's key_exchange value and returns the
	// shared secret that enters the key schedule as (EC)DHE. A malformed
	// or invalid share fails with a *wire.Error carrying illegal_parameter
	// (RFC 8446 §4.2.8.1, §4.2.8.2).
	SharedSecret(serverShare []byte) ([]byte, error)
}

// NewClientKeyShare creates the client's share for group: X25519,
// secp256r1/384r1/521r1, ffdhe2048 to ffdhe8192, or X25519MLKEM768. Secret
// values are read from rand (see the note on reproducibility above).
func NewClientKeyShare(group suites.Group, rand io.Reader) (ClientKeyShare, error) {
	if _, ok := ecdhCurve(group); ok {
		k, err := GenerateECDHE(group, rand)
		if err != nil {
			return nil, err
		}
		return ecdheShare{k}, nil
	}
	if dh, ok := FFDHEGroup(group); ok {
		k, err := GenerateDHE(dh, rand)
		if err != nil {
			return nil, err
		}
		return &ffdheShare{id: group, key: k}, nil
	}
	if group == suites.X25519MLKEM768 {
		return newHybridShare(rand)
	}
	return nil, fmt.Errorf("kex: no TLS 1.3 key share for group %v", group)
}

// ServerKeyShare answers a client's key_exchange value for group: it checks
// the client's share, creates the server's own from rand, and returns the
// server's key_exchange value and the shared secret. A malformed or invalid
// client share fails with a *wire.Error carrying illegal_parameter; a group
// clasp cannot compute is a plain error (the server should not have chosen
// it).
func ServerKeyShare(group suites.Group, clientShare []byte, rand io.Reader) (serverShare, sharedSecret []byte, err error) {
	if _, ok := ecdhCurve(group); ok {
		k, err := GenerateECDHE(group, rand)
		if err != nil {
			return nil, nil, err
		}
		secret, err := k.SharedSecret(clientShare)
		if err != nil {
			return nil, nil, err
		}
		return k.PublicKey(), secret, nil
	}
	if dh, ok := FFDHEGroup(group); ok {
		if err := checkFFDHELength(group, dh, clientShare); err != nil {
			return nil, nil, err
		}
		k, err := GenerateDHE(dh, rand)
		if err != nil {
			return nil, nil, err
		}
		s := &ffdheShare{id: group, key: k}
		secret, err := s.SharedSecret(clientShare)
		if err != nil {
			return nil, nil, err
		}
		return s.Public(), secret, nil
	}
	if group == suites.X25519MLKEM768 {
		return hybridServerShare(clientShare, rand)
	}
	return nil, nil, fmt.Errorf("kex: no TLS 1.3 key share for group %v", group)
}

// ecdheShare is an X25519 or NIST-curve share: the same ECDHEKey as TLS
// 1.2, whose public value format (32 bytes for X25519, an uncompressed
// point for the NIST curves) RFC 8446 §4.2.8.2 keeps, and whose shared
// secret is the x-coordinate (or X25519 output) in both versions.
type ecdheShare struct{ k *ECDHEKey }

func (s ecdheShare) Group() suites.Group { return s.k.Group() }
func (s ecdheShare) Public() []byte      { return s.k.PublicKey() }
func (s ecdheShare) SharedSecret(serverShare []byte) ([]byte, error) {
	return s.k.SharedSecret(serverShare)
}

// ffdheShare is an RFC 7919 group share in its TLS 1.3 form: the public
// value and the shared secret are both left-padded with zeros to the length
// of p (RFC 8446 §4.2.8.1, §7.4.1). TLS 1.2 strips the zeros of the shared
// secret instead (RFC 5246 §8.1.2); DHEKey keeps that behaviour and this
// type pads on top of it.
type ffdheShare struct {
	id  suites.Group
	key *DHEKey
}

func (s *ffdheShare) Group() suites.Group { return s.id }

func (s *ffdheShare) Public() []byte {
	return leftPad(s.key.PublicKey(), pLen(s.key.Group()))
}

func (s *ffdheShare) SharedSecret(serverShare []byte) ([]byte, error) {
	if err := checkFFDHELength(s.id, s.key.Group(), serverShare); err != nil {
		return nil, err
	}
	z, err := s.key.SharedSecret(serverShare)
	if err != nil {
		return nil, err
	}
	return leftPad(z, pLen(s.key.Group())), nil
}

// checkFFDHELength rejects a share that is not exactly as long as p: RFC
// 8446 §4.2.8.1 fixes the encoding, and a shorter value is a peer that
// applied TLS 1.2's minimal encoding (or garbage).
func checkFFDHELength(id suites.Group, g *DHGroup, share []byte) error {
	if n := pLen(g); len(share) != n {
		return wire.Errorf(wire.AlertIllegalParameter, "%v key share is %d bytes, not the %d of the prime (RFC 8446 §4.2.8.1)", id, len(share), n)
	}
	return nil
}

func pLen(g *DHGroup) int { return (g.P.BitLen() + 7) / 8 }

// leftPad returns b left-padded with zeros to n bytes. b is never longer,
// as every value is reduced mod p.
func leftPad(b []byte, n int) []byte {
	out := make([]byte, n)
	copy(out[n-len(b):], b)
	return out
}

// hybridShare is the client's X25519MLKEM768 share (IANA 0x11EC,
// draft-ietf-tls-ecdhe-mlkem): key_exchange is the ML-KEM-768
// encapsulation key (1184 bytes) followed by the X25519 public value (32),
// and the shared secret the ML-KEM shared key followed by the X25519 output.
// ML-KEM comes first for this group only; the NIST-curve hybrids put the
// ECDH part first.
type hybridShare struct {
	dk *mlkem.DecapsulationKey768
	x  *ecdh.PrivateKey
}

func newHybridShare(rand io.Reader) (*hybridShare, error) {
	seed := make([]byte, mlkem.SeedSize)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, fmt.Errorf("kex: generating X25519MLKEM768 key: %w", err)
	}
	dk, err := mlkem.NewDecapsulationKey768(seed)
	if err != nil {
		return nil, fmt.Errorf("kex: generating X25519MLKEM768 key: %w", err)
	}
	x, err := privateKeyFromRand(ecdh.X25519(), suites.X25519, rand)
	if err != nil {
		return nil, fmt.Errorf("kex: generating X25519MLKEM768 key: %w", err)
	}
	return &hybridShare{dk: dk, x: x}, nil
}

func (s *hybridShare) Group() suites.Group { return suites.X25519MLKEM768 }

func (s *hybridShare) Public() []byte {
	out := make([]byte, 0, hybridClientShareLen)
	out = append(out, s.dk.EncapsulationKey().Bytes()...)
	return append(out, s.x.PublicKey().Bytes()...)
}

// SharedSecret checks the server's ciphertext || X25519 share. A ciphertext
// of the right length always decapsulates — ML-KEM answers a forged one
// with an unrelated key (implicit rejection, FIPS 203 §6.3), which then
// fails at the Finished — so only the length and the X25519 part can be
// rejected here.
func (s *hybridShare) SharedSecret(serverShare []byte) ([]byte, error) {
	if len(serverShare) != hybridServerShareLen {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "X25519MLKEM768 server share is %d bytes, want %d (ML-KEM-768 ciphertext %d + X25519 %d)",
			len(serverShare), hybridServerShareLen, mlkem.CiphertextSize768, x25519Len)
	}
	ct, xPub := serverShare[:mlkem.CiphertextSize768], serverShare[mlkem.CiphertextSize768:]
	xSecret, err := x25519Shared(s.x, xPub)
	if err != nil {
		return nil, err
	}
	kemSecret, err := s.dk.Decapsulate(ct)
	if err != nil {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "X25519MLKEM768 ciphertext rejected: %v", err)
	}
	return hybridSecret(kemSecret, xSecret), nil
}

// hybridServerShare answers a client's X25519MLKEM768 share: it
// encapsulates to the client's ML-KEM key and does X25519 with a fresh key.
func hybridServerShare(clientShare []byte, rand io.Reader) (serverShare, sharedSecret []byte, err error) {
	if len(clientShare) != hybridClientShareLen {
		return nil, nil, wire.Errorf(wire.AlertIllegalParameter, "X25519MLKEM768 client share is %d bytes, want %d (ML-KEM-768 encapsulation key %d + X25519 %d)",
			len(clientShare), hybridClientShareLen, mlkem.EncapsulationKeySize768, x25519Len)
	}
	ekBytes, xPub := clientShare[:mlkem.EncapsulationKeySize768], clientShare[mlkem.EncapsulationKeySize768:]
	// NewEncapsulationKey768 performs FIPS 203 §7.2's modulus check: a key
	// whose coefficients are not reduced mod q is malformed.
	ek, err := mlkem.NewEncapsulationKey768(ekBytes)
	if err != nil {
		return nil, nil, wire.Errorf(wire.AlertIllegalParameter, "invalid ML-KEM-768 encapsulation key in X25519MLKEM768 share: %v", err)
	}
	x, err := privateKeyFromRand(ecdh.X25519(), suites.X25519, rand)
	if err != nil {
		return nil, nil, fmt.Errorf("kex: generating X25519MLKEM768 key: %w", err)
	}
	xSecret, err := x25519Shared(x, xPub)
	if err != nil {
		return nil, nil, err
	}
	kemSecret, ct := ek.Encapsulate()
	serverShare = make([]byte, 0, hybridServerShareLen)
	serverShare = append(serverShare, ct...)
	serverShare = append(serverShare, x.PublicKey().Bytes()...)
	return serverShare, hybridSecret(kemSecret, xSecret), nil
}

// x25519Shared is the X25519 half of the hybrid, with the same checks as
// ECDHEKey.SharedSecret: an all-zero output means a low-order point (RFC
// 7748 §6.1, RFC 8446 §7.4.2).
func x25519Shared(priv *ecdh.PrivateKey, peer []byte) ([]byte, error) {
	pub, err := ecdh.X25519().NewPublicKey(peer)
	if err != nil {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "invalid X25519 public value in X25519MLKEM768 share: %v", err)
	}
	secret, err := priv.ECDH(pub)
	if err != nil {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "X25519MLKEM768: X25519 shared secret is all zeros (low-order point)")
	}
	return secret, nil
}

// hybridSecret concatenates the two shared secrets in the order of
// draft-ietf-tls-ecdhe-mlkem for X25519MLKEM768: ML-KEM first. The
// concatenation is the key schedule's (EC)DHE input as is; HKDF-Extract
// does the combining (the concatenation of draft-ietf-tls-hybrid-design).
func hybridSecret(kem, x []byte) []byte {
	out := make([]byte, 0, hybridSharedSecretLength)
	out = append(out, kem...)
	return append(out, x...)
}
