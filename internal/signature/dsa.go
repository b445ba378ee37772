package signature

import (
	"crypto"
	"crypto/dsa" //nolint:staticcheck // DSA is deprecated; clasp speaks it to old peers only, when named.
	"fmt"
	"io"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// DSASigner is a *dsa.PrivateKey as a crypto.Signer, which crypto/dsa does
// not provide. Its signatures are the DER Dss-Sig-Value SEQUENCE { r, s }
// that TLS carries (RFC 5246 §4.7, RFC 3279 §2.2.2).
type DSASigner struct{ Key *dsa.PrivateKey }

// Public returns the DSA public key.
func (s DSASigner) Public() crypto.PublicKey { return &s.Key.PublicKey }

// Sign signs digest, first cut to the byte length of the subgroup order q:
// FIPS 186-4 §4.6 takes the leftmost bits of a longer hash, and crypto/dsa
// leaves that to its caller.
func (s DSASigner) Sign(rand io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	r, ss, err := dsa.Sign(rand, s.Key, truncateForDSA(&s.Key.PublicKey, digest))
	if err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(r)
		b.AddASN1BigInt(ss)
	})
	return b.Bytes()
}

// SignerOf returns the crypto.Signer for a certificate's private key: the
// key itself when it is one, a DSASigner for a *dsa.PrivateKey.
func SignerOf(priv crypto.PrivateKey) (crypto.Signer, error) {
	switch k := priv.(type) {
	case *dsa.PrivateKey:
		return DSASigner{k}, nil
	case crypto.Signer:
		return k, nil
	}
	return nil, fmt.Errorf("signature: a %T key cannot sign", priv)
}

func truncateForDSA(pub *dsa.PublicKey, digest []byte) []byte {
	if n := (pub.Q.BitLen() + 7) / 8; len(digest) > n {
		return digest[:n]
	}
	return digest
}

// verifyDSA checks a DER Dss-Sig-Value; anything but exactly one SEQUENCE
// of two positive INTEGERs fails.
func verifyDSA(pub *dsa.PublicKey, digest, sig []byte) bool {
	var r, s big.Int
	in := cryptobyte.String(sig)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1Integer(&r) || !seq.ReadASN1Integer(&s) || !seq.Empty() {
		return false
	}
	if pub.Q == nil || pub.Q.Sign() <= 0 || pub.P == nil || pub.G == nil || pub.Y == nil {
		return false
	}
	return dsa.Verify(pub, truncateForDSA(pub, digest), &r, &s)
}
