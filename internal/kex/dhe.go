package kex

import (
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// DHGroup is a finite-field Diffie-Hellman group: prime modulus P and
// generator G (RFC 5246 §7.4.3 ServerDHParams dh_p, dh_g). Name is the RFC
// 7919 name ("ffdhe2048" ...) for a recognised group, or a description of a
// server-chosen one. P and G must not be modified.
type DHGroup struct {
	Name string
	P, G *big.Int
}

// ffdheGroup is one RFC 7919 group with the private exponent length clasp uses
// for it.
type ffdheGroup struct {
	id   suites.Group
	name string
	p    *big.Int
	// exponentBits is the private exponent length. RFC 7919 §5.2 allows a
	// short exponent for these safe-prime groups and gives minimums of 225,
	// 275, 325, 375 and 400 bits; clasp rounds each up to a multiple of 64
	// for a margin.
	exponentBits int
}

var ffdheGroups = []ffdheGroup{
	{suites.FFDHE2048, "ffdhe2048", mustHex(ffdhe2048Hex), 256},
	{suites.FFDHE3072, "ffdhe3072", mustHex(ffdhe3072Hex), 320},
	{suites.FFDHE4096, "ffdhe4096", mustHex(ffdhe4096Hex), 384},
	{suites.FFDHE6144, "ffdhe6144", mustHex(ffdhe6144Hex), 448},
	{suites.FFDHE8192, "ffdhe8192", mustHex(ffdhe8192Hex), 512},
}

var two = big.NewInt(2)

func mustHex(s string) *big.Int {
	p, ok := new(big.Int).SetString(strings.Join(strings.Fields(s), ""), 16)
	if !ok {
		panic("kex: bad FFDHE prime literal")
	}
	return p
}

// FFDHEGroup returns the RFC 7919 Appendix A group for a named-group code
// point (ffdhe2048 … ffdhe8192, generator 2), or false for any other group.
// Each call returns a fresh copy, so callers cannot disturb one another.
func FFDHEGroup(g suites.Group) (*DHGroup, bool) {
	for _, fg := range ffdheGroups {
		if fg.id == g {
			return &DHGroup{Name: fg.name, P: new(big.Int).Set(fg.p), G: big.NewInt(2)}, true
		}
	}
	return nil, false
}

// knownGroup returns the RFC 7919 group with modulus p and generator 2.
func knownGroup(p, g *big.Int) (ffdheGroup, bool) {
	if g.Cmp(two) != 0 {
		return ffdheGroup{}, false
	}
	for _, fg := range ffdheGroups {
		if fg.p.Cmp(p) == 0 {
			return fg, true
		}
	}
	return ffdheGroup{}, false
}

// Limits of clasp's policy for server-chosen DHE groups.
const (
	// DefaultMinDHBits is the smallest prime accepted when the caller passes
	// no minimum: 1024-bit groups are within reach of a nation-state
	// precomputation (Logjam, 2015), and RFC 7919's smallest group is 2048.
	DefaultMinDHBits = 2048
	// MaxDHBits bounds the work a server can make the client do: a modular
	// exponentiation grows with the cube of the size, and RFC 7919's largest
	// group is 8192 bits.
	MaxDHBits = 8192
)

// ValidateServerDHParams checks the DHE parameters a TLS 1.0–1.2 server sent
// in its ServerKeyExchange (RFC 5246 §7.4.3) before the client uses them, and
// returns the group. The checks are clasp's policy; RFC 5246 §F.1.1.3 leaves
// them to the client:
//
//   - p odd, else illegal_parameter;
//   - p at least minBits (DefaultMinDHBits if minBits <= 0), else
//     insufficient_security (RFC 7919 §4 names that alert for a group that is
//     too weak);
//   - p at most MaxDHBits, else illegal_parameter;
//   - 1 < g < p-1 and 1 < Ys < p-1, else illegal_parameter: g or Ys of 0, 1
//     or p-1 (or beyond p) generate a subgroup of order at most 2 and would
//     fix the shared secret.
//
// A p equal to an RFC 7919 prime with g = 2 is reported under its RFC name.
// A custom p is not tested for primality: the server, who picks it, already
// knows the shared secret, so a bad prime harms no one but its own
// connection, while the test would cost the client seconds for large p.
func ValidateServerDHParams(p, g, ys []byte, minBits int) (*DHGroup, error) {
	if minBits <= 0 {
		minBits = DefaultMinDHBits
	}
	P := new(big.Int).SetBytes(p)
	if P.Bit(0) == 0 {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "server DH prime is even (%d bits)", P.BitLen())
	}
	if P.BitLen() < minBits {
		return nil, wire.Errorf(wire.AlertInsufficientSecurity, "server DH prime has %d bits, clasp requires at least %d", P.BitLen(), minBits)
	}
	if P.BitLen() > MaxDHBits {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "server DH prime has %d bits, more than the %d clasp accepts", P.BitLen(), MaxDHBits)
	}
	G := new(big.Int).SetBytes(g)
	if !inOpenRange(G, P) {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "server DH generator is not in 2..p-2")
	}
	if !inOpenRange(new(big.Int).SetBytes(ys), P) {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "server DH public value Ys is not in 2..p-2")
	}
	if fg, ok := knownGroup(P, G); ok {
		return &DHGroup{Name: fg.name, P: P, G: G}, nil
	}
	return &DHGroup{Name: fmt.Sprintf("custom %d-bit group", P.BitLen()), P: P, G: G}, nil
}

// inOpenRange reports whether 1 < x < p-1.
func inOpenRange(x, p *big.Int) bool {
	pMinus1 := new(big.Int).Sub(p, big.NewInt(1))
	return x.Cmp(big.NewInt(1)) > 0 && x.Cmp(pMinus1) < 0
}

// DHEKey is one side's ephemeral finite-field DH key for a single handshake
// (RFC 5246 §7.4.3, §7.4.7.2).
//
// The arithmetic is math/big's, which is not constant time; the key is used
// for exactly one exponentiation with a peer value and then dropped, which
// limits what timing can reveal, but FFDHE remains a legacy option in clasp.
type DHEKey struct {
	group *DHGroup
	x, y  *big.Int
}

// GenerateDHE creates an ephemeral key in group. For the RFC 7919 groups the
// private exponent is short (see ffdheGroup.exponentBits): their moduli are
// safe primes, so any exponent lands in the prime-order subgroup and RFC 7919
// §5.2 allows it. For any other group the order of g is unknown and the
// exponent is drawn from the full range 2..p-2.
func GenerateDHE(group *DHGroup, rnd io.Reader) (*DHEKey, error) {
	if group == nil || group.P == nil || group.G == nil || group.P.Sign() <= 0 {
		return nil, fmt.Errorf("kex: GenerateDHE with an incomplete group")
	}
	var limit *big.Int
	if fg, ok := knownGroup(group.P, group.G); ok {
		limit = new(big.Int).Lsh(big.NewInt(1), uint(fg.exponentBits))
	} else {
		limit = new(big.Int).Sub(group.P, big.NewInt(3))
		if limit.Sign() <= 0 {
			return nil, fmt.Errorf("kex: DH prime too small")
		}
	}
	// x uniform in [2, limit+1]: never 0 or 1, whose public values are fixed.
	x, err := rand.Int(rnd, limit)
	if err != nil {
		return nil, fmt.Errorf("kex: generating DH exponent: %w", err)
	}
	x.Add(x, two)
	y := new(big.Int).Exp(group.G, x, group.P)
	return &DHEKey{group: group, x: x, y: y}, nil
}

// Group returns the group the key belongs to.
func (k *DHEKey) Group() *DHGroup { return k.group }

// PublicKey returns Y = g^x mod p as a minimal big-endian integer, as TLS
// 1.0–1.2 send dh_Ys and dh_Yc (RFC 5246 §7.4.3, §7.4.7.2). A TLS 1.3
// key_share must instead be left-padded to the length of p (RFC 8446
// §4.2.8.1); that is the caller's job.
func (k *DHEKey) PublicKey() []byte { return k.y.Bytes() }

// SharedSecret computes Z = peerY^x mod p. A peer value of 0, 1, p-1 or
// anything not below p is an illegal_parameter: those values (or their
// reduction) lie in the subgroup of order at most 2 and would make Z
// predictable (RFC 7919 §5.1 asks for exactly this check). For the safe-prime
// groups of RFC 7919 no other small subgroup exists; for custom groups a Z of
// 1 or p-1 is rejected as well.
//
// The result has its leading zero bytes stripped, as RFC 5246 §8.1.2 requires
// of the premaster secret. (TLS 1.3 keeps them, RFC 8446 §7.4.1: the caller
// must left-pad to the length of p there.)
func (k *DHEKey) SharedSecret(peerY []byte) ([]byte, error) {
	P := k.group.P
	y := new(big.Int).SetBytes(peerY)
	if !inOpenRange(y, P) {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "peer DH public value is not in 2..p-2")
	}
	z := new(big.Int).Exp(y, k.x, P)
	if !inOpenRange(z, P) {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "peer DH public value lies in a small subgroup")
	}
	return z.Bytes(), nil
}
