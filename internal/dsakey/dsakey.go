// Package dsakey reads and writes DSA keys and makes certificates for
// them, which crypto/x509 does not: it neither parses DSA private keys nor
// creates a certificate whose subject key or signer is DSA. clasp uses DSA
// only for the DHE_DSS suites of old peers, when they are named
// (docs/legacy.md).
package dsakey

import (
	"crypto/dsa" //nolint:staticcheck // DSA is deprecated; see the package comment.
	"errors"
	"math/big"

	encasn1 "encoding/asn1"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// oidDSA is id-dsa (RFC 3279 §2.3.2), the algorithm of a DSA key;
// oidDSAWithSHA256 is id-dsa-with-sha256 (RFC 5758 §3.1), the signature of
// a certificate a DSA key signs.
var (
	oidDSA           = encasn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}
	oidDSAWithSHA256 = encasn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 2}
)

// ParsePrivateKey reads a DSA private key in either form OpenSSL and
// GnuTLS write: the traditional "DSA PRIVATE KEY" SEQUENCE { version 0, p,
// q, g, y, x } (OpenSSL's DSAPrivateKey), or PKCS#8 (RFC 5208) with id-dsa,
// Dss-Parms { p, q, g } as the parameters and the INTEGER x in the OCTET
// STRING, y then computed as g^x mod p. crypto/x509 reads neither.
func ParsePrivateKey(der []byte) (*dsa.PrivateKey, error) {
	if k, ok := parseDSATraditional(der); ok {
		return k, checkDSAKey(k)
	}
	if k, ok := parseDSAPKCS8(der); ok {
		return k, checkDSAKey(k)
	}
	return nil, ErrNotDSAKey
}

// ErrNotDSAKey says the DER is no DSA key at all, as opposed to a DSA key
// clasp refuses.
var ErrNotDSAKey = errors.New("dsakey: not a DSA private key")

func parseDSATraditional(der []byte) (*dsa.PrivateKey, bool) {
	k := &dsa.PrivateKey{}
	k.P, k.Q, k.G, k.Y, k.X = new(big.Int), new(big.Int), new(big.Int), new(big.Int), new(big.Int)
	var version int
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	ok := in.ReadASN1(&seq, asn1.SEQUENCE) && in.Empty() && seq.ReadASN1Integer(&version) && version == 0 &&
		seq.ReadASN1Integer(k.P) && seq.ReadASN1Integer(k.Q) && seq.ReadASN1Integer(k.G) &&
		seq.ReadASN1Integer(k.Y) && seq.ReadASN1Integer(k.X) && seq.Empty()
	return k, ok
}

func parseDSAPKCS8(der []byte) (*dsa.PrivateKey, bool) {
	k := &dsa.PrivateKey{}
	k.P, k.Q, k.G, k.X = new(big.Int), new(big.Int), new(big.Int), new(big.Int)
	var version int
	var oid encasn1.ObjectIdentifier
	in := cryptobyte.String(der)
	var seq, alg, params, keyOctets cryptobyte.String
	ok := in.ReadASN1(&seq, asn1.SEQUENCE) && in.Empty() && seq.ReadASN1Integer(&version) && version == 0 &&
		seq.ReadASN1(&alg, asn1.SEQUENCE) && alg.ReadASN1ObjectIdentifier(&oid) && oid.Equal(oidDSA) &&
		alg.ReadASN1(&params, asn1.SEQUENCE) && alg.Empty() &&
		params.ReadASN1Integer(k.P) && params.ReadASN1Integer(k.Q) && params.ReadASN1Integer(k.G) && params.Empty() &&
		seq.ReadASN1(&keyOctets, asn1.OCTET_STRING) && keyOctets.ReadASN1Integer(k.X) && keyOctets.Empty()
	// Attributes ([0]) may follow the key; they say nothing clasp uses.
	if !ok {
		return nil, false
	}
	if k.P.Sign() > 0 {
		k.Y = new(big.Int).Exp(k.G, k.X, k.P)
	}
	return k, true
}

// checkDSAKey refuses parameters that cannot be a DSA key: crypto/dsa
// would loop or panic on some of them.
func checkDSAKey(k *dsa.PrivateKey) error {
	one := big.NewInt(1)
	switch {
	case k.P.Sign() <= 0 || k.Q.Sign() <= 0 || k.G.Cmp(one) <= 0 || k.G.Cmp(k.P) >= 0:
		return errors.New("dsakey: DSA key with invalid domain parameters")
	case k.P.BitLen() < 1024 || k.P.BitLen() > 3072 || k.Q.BitLen() < 160 || k.Q.BitLen() > 256:
		return errors.New("dsakey: DSA keys are supported from 1024 to 3072 bits with a 160- to 256-bit subgroup (FIPS 186-4 §4.2)")
	case k.X.Sign() <= 0 || k.X.Cmp(k.Q) >= 0 || k.Y.Sign() <= 0 || k.Y.Cmp(k.P) >= 0:
		return errors.New("dsakey: DSA key with an out-of-range private or public value")
	case new(big.Int).Exp(k.G, k.X, k.P).Cmp(k.Y) != 0:
		return errors.New("dsakey: DSA public value does not match the private value")
	}
	return nil
}

// Equal reports whether b is the same DSA public key as a.
func Equal(a *dsa.PublicKey, b any) bool {
	o, ok := b.(*dsa.PublicKey)
	return ok && a.P.Cmp(o.P) == 0 && a.Q.Cmp(o.Q) == 0 && a.G.Cmp(o.G) == 0 && a.Y.Cmp(o.Y) == 0
}
