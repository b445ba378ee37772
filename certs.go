package clasp

import (
	"crypto"
	"crypto/dsa" //nolint:staticcheck // see dsa_keys.go
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/clasp-tls/clasp/internal/dsakey"
	"github.com/clasp-tls/clasp/internal/signature"
)

// LoadX509KeyPair reads a PEM certificate chain and its PEM private key.
func LoadX509KeyPair(certFile, keyFile string) (Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return Certificate{}, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return Certificate{}, err
	}
	return X509KeyPair(certPEM, keyPEM)
}

// X509KeyPair parses a PEM certificate chain (leaf first) and a PEM private
// key (PKCS#8, PKCS#1 or SEC 1), checks that the key belongs to the leaf,
// and fills in Leaf.
func X509KeyPair(certPEM, keyPEM []byte) (Certificate, error) {
	var cert Certificate
	for rest := certPEM; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			cert.Certificate = append(cert.Certificate, block.Bytes)
		}
	}
	if len(cert.Certificate) == 0 {
		return Certificate{}, errors.New("clasp: no CERTIFICATE block in the certificate PEM")
	}
	var keyDER []byte
	for rest := keyPEM; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type == "PRIVATE KEY" || block.Type == "RSA PRIVATE KEY" || block.Type == "EC PRIVATE KEY" || block.Type == "DSA PRIVATE KEY" {
			keyDER = block.Bytes
			break
		}
	}
	if keyDER == nil {
		return Certificate{}, errors.New("clasp: no PRIVATE KEY block in the key PEM")
	}
	key, err := parsePrivateKey(keyDER)
	if err != nil {
		return Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return Certificate{}, fmt.Errorf("clasp: parsing the leaf certificate: %w", err)
	}
	signer, err := signature.SignerOf(key)
	if err != nil {
		return Certificate{}, fmt.Errorf("clasp: private key %T cannot sign", key)
	}
	if !publicKeysEqual(leaf.PublicKey, signer.Public()) {
		return Certificate{}, errors.New("clasp: the private key does not match the leaf certificate's public key")
	}
	cert.PrivateKey, cert.Leaf = key, leaf
	return cert, nil
}

func parsePrivateKey(der []byte) (crypto.PrivateKey, error) {
	if key, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return key, nil
	}
	if key, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return key, nil
	}
	if key, err := x509.ParseECPrivateKey(der); err == nil {
		return key, nil
	}
	if key, err := dsakey.ParsePrivateKey(der); err == nil {
		return key, nil
	} else if !errors.Is(err, dsakey.ErrNotDSAKey) {
		return nil, err
	}
	return nil, errors.New("clasp: the private key is not PKCS#8, PKCS#1, SEC 1 or DSA")
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	switch a := a.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		if e, ok := a.(equaler); ok {
			return e.Equal(b)
		}
	case *dsa.PublicKey:
		return dsakey.Equal(a, b)
	}
	return false
}
