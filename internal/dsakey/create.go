package dsakey

import (
	"crypto"
	"crypto/dsa" //nolint:staticcheck // see the package comment
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// GenerateKey makes a DSA key of bits (1024, 2048 or 3072) with a subgroup
// of 160, 256 and 256 bits (FIPS 186-4 §4.2). Parameters of 3072 bits take
// crypto/dsa several seconds.
func GenerateKey(rand io.Reader, bits int) (*dsa.PrivateKey, error) {
	sizes := map[int]dsa.ParameterSizes{1024: dsa.L1024N160, 2048: dsa.L2048N256, 3072: dsa.L3072N256}
	size, ok := sizes[bits]
	if !ok {
		return nil, fmt.Errorf("dsakey: %d-bit DSA keys are not supported; use 1024, 2048 or 3072", bits)
	}
	k := &dsa.PrivateKey{}
	if err := dsa.GenerateParameters(&k.Parameters, rand, size); err != nil {
		return nil, err
	}
	if err := dsa.GenerateKey(k, rand); err != nil {
		return nil, err
	}
	return k, nil
}

func addDSSParms(b *cryptobyte.Builder, p *dsa.Parameters) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(p.P)
		b.AddASN1BigInt(p.Q)
		b.AddASN1BigInt(p.G)
	})
}

func addAlgorithm(b *cryptobyte.Builder, p *dsa.Parameters) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidDSA)
		addDSSParms(b, p)
	})
}

// MarshalPKCS8PrivateKey writes k as PKCS#8 (RFC 5208, RFC 3279 §2.3.2:
// id-dsa with Dss-Parms, the private value x as an INTEGER in the OCTET
// STRING), the "PRIVATE KEY" form OpenSSL and GnuTLS read.
func MarshalPKCS8PrivateKey(k *dsa.PrivateKey) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(0)
		addAlgorithm(b, &k.Parameters)
		b.AddASN1(asn1.OCTET_STRING, func(b *cryptobyte.Builder) { b.AddASN1BigInt(k.X) })
	})
	return b.Bytes()
}

// MarshalPKIXPublicKey writes the SubjectPublicKeyInfo of a DSA key (RFC
// 3279 §2.3.2: the public value y as an INTEGER in the BIT STRING).
func MarshalPKIXPublicKey(pub *dsa.PublicKey) ([]byte, error) {
	var y cryptobyte.Builder
	y.AddASN1BigInt(pub.Y)
	yDER, err := y.Bytes()
	if err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addAlgorithm(b, &pub.Parameters)
		b.AddASN1BitString(yDER)
	})
	return b.Bytes()
}

// CreateCertificate is x509.CreateCertificate for a certificate whose
// subject key pub is DSA, signed by signer (the parent's key: RSA with
// PKCS#1 v1.5, ECDSA or Ed25519, or a DSA key for a self-signed
// certificate, which signs with id-dsa-with-sha256). crypto/x509 builds the
// certificate around a stand-in key; the SubjectPublicKeyInfo is then
// replaced and the TBSCertificate signed again.
func CreateCertificate(random io.Reader, template, parent *x509.Certificate, pub *dsa.PublicKey, signer crypto.PrivateKey) ([]byte, error) {
	spki, err := MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	standIn, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	dsaSigner, selfDSA := signer.(*dsa.PrivateKey)
	var x509Signer crypto.Signer = standIn
	if !selfDSA {
		s, ok := signer.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("dsakey: a %T key cannot sign certificates", signer)
		}
		x509Signer = s
	}
	der, err := x509.CreateCertificate(random, template, parent, standIn.Public(), x509Signer)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	var sigAlg []byte
	if selfDSA {
		var b cryptobyte.Builder
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidDSAWithSHA256) })
		if sigAlg, err = b.Bytes(); err != nil {
			return nil, err
		}
	}
	tbs, outerAlg, err := replaceKey(cert.RawTBSCertificate, spki, sigAlg)
	if err != nil {
		return nil, err
	}
	if outerAlg == nil {
		outerAlg = sigAlg
	}
	sig, err := signTBS(random, tbs, cert.SignatureAlgorithm, x509Signer, dsaSigner)
	if err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		b.AddBytes(outerAlg)
		b.AddASN1BitString(sig)
	})
	return b.Bytes()
}

// replaceKey rewrites a TBSCertificate (RFC 5280 §4.1) with spki as its
// subjectPublicKeyInfo and, when sigAlg is set, as its signature
// algorithm. It returns the new TBS and the algorithm it names (the old
// one when sigAlg is nil).
func replaceKey(rawTBS, spki, sigAlg []byte) (tbs, alg []byte, err error) {
	in := cryptobyte.String(rawTBS)
	var body cryptobyte.String
	var version, serial, oldAlg, issuer, validity, subject, oldSPKI cryptobyte.String
	if !in.ReadASN1(&body, asn1.SEQUENCE) ||
		!body.ReadASN1Element(&version, asn1.Tag(0).Constructed().ContextSpecific()) ||
		!body.ReadASN1Element(&serial, asn1.INTEGER) || !body.ReadASN1Element(&oldAlg, asn1.SEQUENCE) ||
		!body.ReadASN1Element(&issuer, asn1.SEQUENCE) || !body.ReadASN1Element(&validity, asn1.SEQUENCE) ||
		!body.ReadASN1Element(&subject, asn1.SEQUENCE) || !body.ReadASN1Element(&oldSPKI, asn1.SEQUENCE) {
		return nil, nil, errors.New("dsakey: cannot read the TBSCertificate crypto/x509 made")
	}
	alg = oldAlg
	if sigAlg != nil {
		alg = sigAlg
	}
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, part := range [][]byte{version, serial, alg, issuer, validity, subject, spki, body} {
			b.AddBytes(part)
		}
	})
	tbs, err = b.Bytes()
	return tbs, alg, err
}

// signTBS signs the new TBSCertificate as crypto/x509 signed the old one,
// or with DSA over SHA-256 for a self-signed DSA certificate.
func signTBS(random io.Reader, tbs []byte, alg x509.SignatureAlgorithm, signer crypto.Signer, dsaKey *dsa.PrivateKey) ([]byte, error) {
	if dsaKey != nil {
		return signDSA(random, dsaKey, sha256.Sum256(tbs))
	}
	switch signer.Public().(type) {
	case ed25519.PublicKey:
		return signer.Sign(random, tbs, crypto.Hash(0))
	case *rsa.PublicKey, *ecdsa.PublicKey:
		h := map[x509.SignatureAlgorithm]crypto.Hash{
			x509.SHA256WithRSA: crypto.SHA256, x509.SHA384WithRSA: crypto.SHA384, x509.SHA512WithRSA: crypto.SHA512,
			x509.ECDSAWithSHA256: crypto.SHA256, x509.ECDSAWithSHA384: crypto.SHA384, x509.ECDSAWithSHA512: crypto.SHA512,
		}[alg]
		if h == 0 {
			return nil, fmt.Errorf("dsakey: cannot re-sign a certificate with %v", alg)
		}
		d := h.New()
		d.Write(tbs)
		return signer.Sign(random, d.Sum(nil), h)
	}
	return nil, fmt.Errorf("dsakey: a %T key cannot sign certificates", signer.Public())
}

// signDSA makes a DER Dss-Sig-Value over a SHA-256 digest cut to the
// subgroup's length (FIPS 186-4 §4.6).
func signDSA(random io.Reader, k *dsa.PrivateKey, digest [32]byte) ([]byte, error) {
	d := digest[:]
	if n := (k.Q.BitLen() + 7) / 8; n < len(d) {
		d = d[:n]
	}
	r, s, err := dsa.Sign(random, k, d)
	if err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(r)
		b.AddASN1BigInt(s)
	})
	return b.Bytes()
}
