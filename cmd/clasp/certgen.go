package main

import (
	"crypto"
	"crypto/dsa" //nolint:staticcheck // DSA leaves for DHE_DSS, see certgen_dsa.go
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"

	"github.com/clasp-tls/clasp"
)

// Certificates made here live only in memory, for `clasp serve` without
// --cert and for `clasp demo`. They are valid for a day: long enough for any
// session, short enough that a leaked one is soon worthless.
const generatedValidity = 24 * time.Hour

// localNames are the names a generated server certificate covers, so that
// clients connecting over loopback by name or address verify it.
var (
	localDNSNames = []string{"localhost"}
	localIPs      = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
)

// certificateTemplate describes one certificate to generate.
type certificateTemplate struct {
	commonName string
	isCA       bool
	usage      x509.ExtKeyUsage // ignored for a CA
	dnsNames   []string
	ips        []net.IP
	validity   time.Duration // generatedValidity when 0
	keyType    string        // keyECDSA (P-256, the default when ""), keyRSA (2048 bits) or keyEd25519
}

// Key types for generated certificates.
const (
	keyECDSA   = "ecdsa"
	keyRSA     = "rsa"
	keyEd25519 = "ed25519"
)

// keyTypes are the names --key-type accepts.
var keyTypes = []string{keyECDSA, keyRSA, keyEd25519, keyDSA, keyDSA1024, keyDSA3072}

// rsaIf is keyRSA when rsa is true, the default key type otherwise.
func rsaIf(rsa bool) string {
	if rsa {
		return keyRSA
	}
	return keyECDSA
}

// keyDescription names a key type for people.
func keyDescription(keyType string) string {
	switch keyType {
	case keyRSA:
		return "RSA 2048"
	case keyEd25519:
		return "Ed25519"
	}
	if bits, ok := dsaKeyBits[keyType]; ok {
		return fmt.Sprintf("DSA %d", bits)
	}
	return "ECDSA P-256"
}

// issuedCertificate is a generated certificate with its key.
type issuedCertificate struct {
	cert *x509.Certificate
	key  crypto.Signer
	// dsaKey is the key of a DSA leaf (key is nil then: crypto/dsa has no
	// crypto.Signer).
	dsaKey *dsa.PrivateKey
}

// issue generates a key and a certificate for tmpl, signed by parent, or
// self-signed when parent is nil.
func issue(tmpl certificateTemplate, parent *issuedCertificate) (*issuedCertificate, error) {
	if bits, ok := dsaKeyBits[tmpl.keyType]; ok {
		return issueDSA(tmpl, bits, parent)
	}
	var key crypto.Signer
	var err error
	switch tmpl.keyType {
	case keyRSA:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case keyEd25519:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case "", keyECDSA:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		err = fmt.Errorf("unknown key type %q", tmpl.keyType)
	}
	if err != nil {
		return nil, fmt.Errorf("generating a key: %w", err)
	}
	template, err := x509Template(tmpl)
	if err != nil {
		return nil, err
	}
	signerCert, signerKey := template, key
	if parent != nil {
		signerCert, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, template, signerCert, key.Public(), signerKey)
	if err != nil {
		return nil, fmt.Errorf("creating the certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &issuedCertificate{cert: cert, key: key}, nil
}

// x509Template is the crypto/x509 template of tmpl, with a random serial.
func x509Template(tmpl certificateTemplate) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generating a serial number: %w", err)
	}
	now := time.Now()
	validity := tmpl.validity
	if validity <= 0 {
		validity = generatedValidity
	}
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: tmpl.commonName, Organization: []string{"clasp"}},
		// A little slack before now, so that a peer whose clock is a few
		// seconds behind does not see a certificate from the future.
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(validity),
		DNSNames:              tmpl.dnsNames,
		IPAddresses:           tmpl.ips,
		BasicConstraintsValid: true,
	}
	if tmpl.isCA {
		template.IsCA = true
		template.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else {
		template.KeyUsage = x509.KeyUsageDigitalSignature
		if tmpl.keyType == keyRSA {
			// RSA key exchange encrypts the premaster secret to this key.
			template.KeyUsage |= x509.KeyUsageKeyEncipherment
		}
		template.ExtKeyUsage = []x509.ExtKeyUsage{tmpl.usage}
	}
	return template, nil
}

// chain turns an issued leaf and its issuers into a clasp.Certificate.
func (ic *issuedCertificate) chain(issuers ...*issuedCertificate) clasp.Certificate {
	out := clasp.Certificate{Certificate: [][]byte{ic.cert.Raw}, PrivateKey: ic.key, Leaf: ic.cert}
	if ic.dsaKey != nil {
		out.PrivateKey = ic.dsaKey
	}
	for _, issuer := range issuers {
		out.Certificate = append(out.Certificate, issuer.cert.Raw)
	}
	return out
}

// selfSignedServerCertificate makes the certificate `clasp serve` uses
// when given none: ECDSA P-256, for localhost and the loopback addresses.
func selfSignedServerCertificate() (clasp.Certificate, error) {
	ic, err := issue(certificateTemplate{commonName: "localhost", usage: x509.ExtKeyUsageServerAuth,
		dnsNames: localDNSNames, ips: localIPs}, nil)
	if err != nil {
		return clasp.Certificate{}, err
	}
	return ic.chain(), nil
}

// fingerprint is the SHA-256 of a DER certificate in the colon-separated
// upper-case hex that browsers and `openssl x509 -fingerprint` show.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}
