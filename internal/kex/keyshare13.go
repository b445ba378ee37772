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
// GenerateECDHE); FFDHE: the exponent (see GenerateDHE); hybrid client: the
// 64-byte ML-KEM seed, then the ECDH scalar; hybrid server: the ECDH
// scalar. The one exception is the
// server's ML-KEM encapsulation, whose 32 random bytes crypto/mlkem draws
// from the system source with no way to pass a reader outside
// crypto/mlkem/mlkemtest, which is for known-answer tests only and refused
// in FIPS 140-only mode. A server's X25519MLKEM768 share is therefore
// reproducible only under testing/cryptotest.SetGlobalRandom, which fixes
// that system source for the duration of a test.

// x25519Len is the length of an X25519 public value (RFC 7748 §5).
const x25519Len = 32

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
// secp256r1/384r1/521r1, ffdhe2048 to ffdhe8192, or the hybrids
// X25519MLKEM768, SecP256r1MLKEM768 and SecP384r1MLKEM1024. Secret
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
	if spec, ok := hybridFor(group); ok {
		return newHybridShare(spec, rand)
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
	if spec, ok := hybridFor(group); ok {
		return hybridServerShare(spec, clientShare, rand)
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

// hybridSpec describes one hybrid group of draft-ietf-tls-ecdhe-mlkem:
// which ECDH curve and which ML-KEM parameter set it joins, and in which
// order their shares and secrets are concatenated. X25519MLKEM768 puts
// ML-KEM first; the NIST-curve hybrids put the ECDH part first (the
// draft's §4.1, and crypto/tls's key_schedule.go agrees).
type hybridSpec struct {
	group     suites.Group
	curve     ecdh.Curve
	curveID   suites.Group
	ecdhLen   int // the curve's public value: 32 for X25519, an uncompressed point otherwise
	kem1024   bool
	kemFirst  bool
	kemEKLen  int
	kemCTLen  int
	groupName string
}

var hybrids = []hybridSpec{
	{suites.X25519MLKEM768, ecdh.X25519(), suites.X25519, x25519Len, false, true,
		mlkem.EncapsulationKeySize768, mlkem.CiphertextSize768, "X25519MLKEM768"},
	{suites.SecP256r1MLKEM768, ecdh.P256(), suites.Secp256r1, 65, false, false,
		mlkem.EncapsulationKeySize768, mlkem.CiphertextSize768, "SecP256r1MLKEM768"},
	{suites.SecP384r1MLKEM1024, ecdh.P384(), suites.Secp384r1, 97, true, false,
		mlkem.EncapsulationKeySize1024, mlkem.CiphertextSize1024, "SecP384r1MLKEM1024"},
}

func hybridFor(group suites.Group) (*hybridSpec, bool) {
	for i := range hybrids {
		if hybrids[i].group == group {
			return &hybrids[i], true
		}
	}
	return nil, false
}

// join concatenates an ML-KEM part and an ECDH part in the group's order.
func (h *hybridSpec) join(kem, ec []byte) []byte {
	first, second := ec, kem
	if h.kemFirst {
		first, second = kem, ec
	}
	out := make([]byte, 0, len(kem)+len(ec))
	out = append(out, first...)
	return append(out, second...)
}

// split cuts a share into its ML-KEM and ECDH parts, kemLen being the
// ML-KEM part's length; false when the share's length is wrong.
func (h *hybridSpec) split(share []byte, kemLen int) (kem, ec []byte, ok bool) {
	if len(share) != kemLen+h.ecdhLen {
		return nil, nil, false
	}
	if h.kemFirst {
		return share[:kemLen], share[kemLen:], true
	}
	return share[h.ecdhLen:], share[:h.ecdhLen], true
}

// kemDecapsulator is the client's ML-KEM key of either parameter set.
type kemDecapsulator interface {
	encapsulationKey() []byte
	Decapsulate(ciphertext []byte) ([]byte, error)
}

type dk768 struct{ *mlkem.DecapsulationKey768 }

func (k dk768) encapsulationKey() []byte { return k.EncapsulationKey().Bytes() }

type dk1024 struct{ *mlkem.DecapsulationKey1024 }

func (k dk1024) encapsulationKey() []byte { return k.EncapsulationKey().Bytes() }

func (h *hybridSpec) newDecapsulator(seed []byte) (kemDecapsulator, error) {
	if h.kem1024 {
		k, err := mlkem.NewDecapsulationKey1024(seed)
		return dk1024{k}, err
	}
	k, err := mlkem.NewDecapsulationKey768(seed)
	return dk768{k}, err
}

// encapsulate checks the client's encapsulation key (FIPS 203 §7.2's
// modulus check happens in crypto/mlkem) and encapsulates to it.
func (h *hybridSpec) encapsulate(ek []byte) (shared, ciphertext []byte, err error) {
	if h.kem1024 {
		k, err := mlkem.NewEncapsulationKey1024(ek)
		if err != nil {
			return nil, nil, err
		}
		shared, ciphertext = k.Encapsulate()
		return shared, ciphertext, nil
	}
	k, err := mlkem.NewEncapsulationKey768(ek)
	if err != nil {
		return nil, nil, err
	}
	shared, ciphertext = k.Encapsulate()
	return shared, ciphertext, nil
}

// hybridShare is a client's hybrid share: key_exchange is the ML-KEM
// encapsulation key and the ECDH public value, in the group's order, and
// the shared secret the two shared secrets in the same order.
type hybridShare struct {
	spec *hybridSpec
	dk   kemDecapsulator
	ec   *ecdh.PrivateKey
}

func newHybridShare(spec *hybridSpec, rand io.Reader) (*hybridShare, error) {
	seed := make([]byte, mlkem.SeedSize)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, fmt.Errorf("kex: generating %s key: %w", spec.groupName, err)
	}
	dk, err := spec.newDecapsulator(seed)
	if err != nil {
		return nil, fmt.Errorf("kex: generating %s key: %w", spec.groupName, err)
	}
	ec, err := privateKeyFromRand(spec.curve, spec.curveID, rand)
	if err != nil {
		return nil, fmt.Errorf("kex: generating %s key: %w", spec.groupName, err)
	}
	return &hybridShare{spec: spec, dk: dk, ec: ec}, nil
}

func (s *hybridShare) Group() suites.Group { return s.spec.group }

func (s *hybridShare) Public() []byte {
	return s.spec.join(s.dk.encapsulationKey(), s.ec.PublicKey().Bytes())
}

// SharedSecret checks the server's share. A ciphertext of the right
// length always decapsulates — ML-KEM answers a forged one with an
// unrelated key (implicit rejection, FIPS 203 §6.3), which then fails at
// the Finished — so only the length and the ECDH part can be rejected here.
func (s *hybridShare) SharedSecret(serverShare []byte) ([]byte, error) {
	spec := s.spec
	ct, ecPub, ok := spec.split(serverShare, spec.kemCTLen)
	if !ok {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "%s server share is %d bytes, want %d (ML-KEM ciphertext %d + ECDH %d)",
			spec.groupName, len(serverShare), spec.kemCTLen+spec.ecdhLen, spec.kemCTLen, spec.ecdhLen)
	}
	ecSecret, err := spec.ecdhShared(s.ec, ecPub)
	if err != nil {
		return nil, err
	}
	kemSecret, err := s.dk.Decapsulate(ct)
	if err != nil {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "%s ciphertext rejected: %v", spec.groupName, err)
	}
	return spec.join(kemSecret, ecSecret), nil
}

// hybridServerShare answers a client's hybrid share: it encapsulates to
// the client's ML-KEM key and does ECDH with a fresh key.
func hybridServerShare(spec *hybridSpec, clientShare []byte, rand io.Reader) (serverShare, sharedSecret []byte, err error) {
	ek, ecPub, ok := spec.split(clientShare, spec.kemEKLen)
	if !ok {
		return nil, nil, wire.Errorf(wire.AlertIllegalParameter, "%s client share is %d bytes, want %d (ML-KEM encapsulation key %d + ECDH %d)",
			spec.groupName, len(clientShare), spec.kemEKLen+spec.ecdhLen, spec.kemEKLen, spec.ecdhLen)
	}
	kemSecret, ct, err := spec.encapsulate(ek)
	if err != nil {
		return nil, nil, wire.Errorf(wire.AlertIllegalParameter, "invalid ML-KEM encapsulation key in %s share: %v", spec.groupName, err)
	}
	ec, err := privateKeyFromRand(spec.curve, spec.curveID, rand)
	if err != nil {
		return nil, nil, fmt.Errorf("kex: generating %s key: %w", spec.groupName, err)
	}
	ecSecret, err := spec.ecdhShared(ec, ecPub)
	if err != nil {
		return nil, nil, err
	}
	return spec.join(ct, ec.PublicKey().Bytes()), spec.join(kemSecret, ecSecret), nil
}

// ecdhShared is the ECDH half of the hybrid, with the checks of
// ECDHEKey.SharedSecret: crypto/ecdh refuses a point off the curve or at
// infinity, and an all-zero X25519 output means a low-order point (RFC
// 7748 §6.1, RFC 8446 §7.4.2).
func (h *hybridSpec) ecdhShared(priv *ecdh.PrivateKey, peer []byte) ([]byte, error) {
	pub, err := h.curve.NewPublicKey(peer)
	if err != nil {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "invalid %v public value in %s share: %v", h.curveID, h.groupName, err)
	}
	secret, err := priv.ECDH(pub)
	if err != nil {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "%s: the %v shared secret is invalid (%v)", h.groupName, h.curveID, err)
	}
	return secret, nil
}
