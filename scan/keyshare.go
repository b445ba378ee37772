package scan

import (
	"crypto/ecdh"
	"crypto/mlkem"
	"fmt"
	"io"

	"github.com/clasp-tls/clasp/internal/kex"
	"github.com/clasp-tls/clasp/internal/suites"
)

// A probe's key shares are real public values, so that a server answers as
// it would answer a real client (some refuse a malformed share with an
// alert rather than choosing another group). Their secrets are thrown away:
// a probe never finishes a handshake.

// extraShares builds client shares for groups clasp has no key agreement
// for but the standard library can still generate: the other ML-KEM hybrids
// of draft-ietf-tls-ecdhe-mlkem (the ECDH share first, then the ML-KEM
// encapsulation key, except X25519MLKEM768, which internal/kex builds) and
// ML-KEM alone (draft-connolly-tls-mlkem-key-agreement).
var extraShares = map[suites.Group]func(io.Reader) ([]byte, error){
	suites.SecP256r1MLKEM768:  func(r io.Reader) ([]byte, error) { return hybridShare(ecdh.P256(), mlkem768, r) },
	suites.SecP384r1MLKEM1024: func(r io.Reader) ([]byte, error) { return hybridShare(ecdh.P384(), mlkem1024, r) },
	0x0201:                    func(io.Reader) ([]byte, error) { return mlkem768() },  // MLKEM768
	0x0202:                    func(io.Reader) ([]byte, error) { return mlkem1024() }, // MLKEM1024
}

// CanShare reports whether a probe can carry a key share for g.
func CanShare(g suites.Group) bool {
	if _, ok := extraShares[g]; ok {
		return true
	}
	info := suites.GroupByID(g)
	return info != nil && info.Implemented
}

// keyShare returns a fresh client key_exchange value for g.
func keyShare(g suites.Group, rand io.Reader) ([]byte, error) {
	if build, ok := extraShares[g]; ok {
		return build(rand)
	}
	if !CanShare(g) {
		return nil, fmt.Errorf("scan: no key share can be built for group %v", g)
	}
	share, err := kex.NewClientKeyShare(g, rand)
	if err != nil {
		return nil, err
	}
	return share.Public(), nil
}

func hybridShare(curve ecdh.Curve, encapsulationKey func() ([]byte, error), rand io.Reader) ([]byte, error) {
	priv, err := curve.GenerateKey(rand)
	if err != nil {
		return nil, err
	}
	ek, err := encapsulationKey()
	if err != nil {
		return nil, err
	}
	return append(priv.PublicKey().Bytes(), ek...), nil
}

// crypto/mlkem draws its randomness from the system source; a probe's
// shares need not be reproducible.
func mlkem768() ([]byte, error) {
	dk, err := mlkem.GenerateKey768()
	if err != nil {
		return nil, err
	}
	return dk.EncapsulationKey().Bytes(), nil
}

func mlkem1024() ([]byte, error) {
	dk, err := mlkem.GenerateKey1024()
	if err != nil {
		return nil, err
	}
	return dk.EncapsulationKey().Bytes(), nil
}
