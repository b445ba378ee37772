package main

import (
	"crypto/rand"
	"crypto/x509"
	"fmt"

	"github.com/clasp-tls/clasp/internal/dsakey"
)

// DSA key types, for servers that must speak DHE_DSS to old clients. Only
// the server certificate gets the DSA key: the CA stays ECDSA P-256
// (crypto/x509, and so clasp's client, no longer verifies DSA signatures
// on certificates), and so does the client certificate (clasp signs no
// CertificateVerify with DSA).
const (
	keyDSA     = "dsa" // 2048 bits
	keyDSA1024 = "dsa1024"
	keyDSA3072 = "dsa3072"
)

// dsaKeyBits maps the DSA key types to their sizes (FIPS 186-4 §4.2).
var dsaKeyBits = map[string]int{keyDSA: 2048, keyDSA1024: 1024, keyDSA3072: 3072}

// issueDSA makes a DSA key of bits and a certificate for it signed by
// parent (internal/dsakey builds what crypto/x509 cannot).
func issueDSA(tmpl certificateTemplate, bits int, parent *issuedCertificate) (*issuedCertificate, error) {
	if parent == nil || tmpl.isCA {
		return nil, fmt.Errorf("a DSA key is made for a leaf signed by a CA of another type")
	}
	key, err := dsakey.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("generating a DSA key: %w", err)
	}
	template, err := x509Template(tmpl)
	if err != nil {
		return nil, err
	}
	der, err := dsakey.CreateCertificate(rand.Reader, template, parent.cert, &key.PublicKey, parent.key)
	if err != nil {
		return nil, fmt.Errorf("creating the certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &issuedCertificate{cert: cert, dsaKey: key}, nil
}

// marshalKey writes an issued certificate's key as PKCS#8.
func (ic *issuedCertificate) marshalKey() ([]byte, error) {
	if ic.dsaKey != nil {
		return dsakey.MarshalPKCS8PrivateKey(ic.dsaKey)
	}
	return x509.MarshalPKCS8PrivateKey(ic.key)
}

// keyTypesFor is the key type of the CA, the server and the client
// certificates for --key-type keyType.
func keyTypesFor(keyType string) (ca, server, client string) {
	if _, ok := dsaKeyBits[keyType]; ok {
		return keyECDSA, keyType, keyECDSA
	}
	return keyType, keyType, keyType
}
