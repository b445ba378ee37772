package peertest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// PKI is a throwaway certificate authority with leaf certificates for
// "localhost" and 127.0.0.1, written as PEM files that external peers can
// load.
//
// All files live in Dir, a directory shared by every test of one test binary
// (see NewPKI for its lifetime).
type PKI struct {
	// Dir holds every file of this PKI.
	Dir string

	// CACertFile is the CA certificate as PEM, for -CAfile, --x509cafile,
	// --cacert and the like.
	CACertFile string
	CACert     *x509.Certificate
	// CAKey is the CA's key, for tests that sign as the CA (OCSP
	// responses).
	CAKey crypto.Signer
	// CAPool contains only CACert; use it as RootCAs or ClientCAs.
	CAPool *x509.CertPool

	// RSA, ECDSA and Ed25519 are server leaves (RSA-2048, ECDSA P-256 and
	// Ed25519) for DNS name "localhost" and IP 127.0.0.1, usable for both
	// server and client authentication.
	RSA, ECDSA, Ed25519 *Leaf

	// Client is a client-authentication leaf (ECDSA P-256, ExtKeyUsage
	// ClientAuth only, CN "peertest client").
	Client *Leaf

	nssOnce sync.Once
	nssDir  string
	nssErr  error
}

// Leaf is one certificate signed by the PKI's CA together with its key.
type Leaf struct {
	// Name is a short identifier ("rsa", "ecdsa", "ed25519", "client"); it is
	// also the nickname of this leaf in the PKI's NSS database.
	Name string
	// CertFile is the leaf certificate alone, as PEM.
	CertFile string
	// KeyFile is the private key as a PEM "PRIVATE KEY" (PKCS #8) block,
	// which every peer in this package reads.
	KeyFile string
	// ChainFile is the leaf followed by the CA certificate, as PEM.
	ChainFile string

	Cert *x509.Certificate
	Key  crypto.Signer
	// TLS is the leaf as a crypto/tls certificate (chain: leaf, CA). clasp's
	// Certificate has the same shape.
	TLS tls.Certificate
}

var (
	pkiOnce sync.Once
	pkiVal  *PKI
	pkiErr  error
)

// NewPKI returns the test binary's PKI, generating it on first use.
//
// The PKI is made once per test binary (RSA key generation is slow and every
// interop test needs the same certificates), so its files live in a directory
// that outlives any single test: os.MkdirTemp, created on first use. A test
// binary cannot remove it from here because no hook runs after its last test;
// a package that cares calls Cleanup from its TestMain after m.Run. Otherwise
// the directory (a few kilobytes) is left in the system temp directory.
func NewPKI(t testing.TB) *PKI {
	t.Helper()
	pkiOnce.Do(func() { pkiVal, pkiErr = generatePKI() })
	if pkiErr != nil {
		t.Fatalf("peertest: generating PKI: %v", pkiErr)
	}
	return pkiVal
}

// Cleanup removes the shared PKI directory if NewPKI created one. It is meant
// for TestMain, after m.Run; calling it is optional.
func Cleanup() {
	if pkiVal != nil {
		os.RemoveAll(pkiVal.Dir)
	}
}

func generatePKI() (*PKI, error) {
	dir, err := os.MkdirTemp("", "peertest-pki-")
	if err != nil {
		return nil, err
	}
	p := &PKI{Dir: dir}

	// Back-date certificates by an hour so that a peer whose clock is a
	// little behind ours does not reject them as not yet valid.
	notBefore := time.Now().Add(-time.Hour)
	notAfter := notBefore.Add(10 * 24 * time.Hour)

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "peertest CA", Organization: []string{"clasp peertest"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, err
	}
	if p.CACert, err = x509.ParseCertificate(caDER); err != nil {
		return nil, err
	}
	p.CAKey = caKey
	p.CAPool = x509.NewCertPool()
	p.CAPool.AddCert(p.CACert)
	p.CACertFile = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(p.CACertFile, pemBytes("CERTIFICATE", caDER), 0o644); err != nil {
		return nil, err
	}

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	clientKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}

	serverEKU := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	leaves := []struct {
		dst    **Leaf
		name   string
		cn     string
		key    crypto.Signer
		ku     x509.KeyUsage
		eku    []x509.ExtKeyUsage
		server bool
	}{
		// RSA keys also encrypt the premaster secret in static-RSA key
		// exchange, hence KeyEncipherment; NSS and GnuTLS enforce it.
		{&p.RSA, "rsa", "localhost", rsaKey, x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, serverEKU, true},
		{&p.ECDSA, "ecdsa", "localhost", ecKey, x509.KeyUsageDigitalSignature, serverEKU, true},
		{&p.Ed25519, "ed25519", "localhost", edKey, x509.KeyUsageDigitalSignature, serverEKU, true},
		{&p.Client, "client", "peertest client", clientKey, x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, false},
	}
	for i, l := range leaves {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 2)),
			// A distinct subject per leaf: NSS files certificates by subject, so
			// leaves sharing one would end up under a single nickname.
			Subject:     pkix.Name{CommonName: l.cn, Organization: []string{"clasp peertest"}, OrganizationalUnit: []string{l.name}},
			NotBefore:   notBefore,
			NotAfter:    notAfter,
			KeyUsage:    l.ku,
			ExtKeyUsage: l.eku,
		}
		if l.server {
			tmpl.DNSNames = []string{"localhost"}
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		}
		leaf, err := writeLeaf(dir, l.name, tmpl, l.key, p.CACert, caKey, caDER)
		if err != nil {
			return nil, fmt.Errorf("leaf %s: %w", l.name, err)
		}
		*l.dst = leaf
	}
	return p, nil
}

func writeLeaf(dir, name string, tmpl *x509.Certificate, key crypto.Signer, ca *x509.Certificate, caKey crypto.Signer, caDER []byte) (*Leaf, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	l := &Leaf{
		Name:      name,
		CertFile:  filepath.Join(dir, name+".pem"),
		KeyFile:   filepath.Join(dir, name+".key"),
		ChainFile: filepath.Join(dir, name+"-chain.pem"),
		Cert:      cert,
		Key:       key,
		TLS: tls.Certificate{
			Certificate: [][]byte{der, caDER},
			PrivateKey:  key,
			Leaf:        cert,
		},
	}
	certPEM := pemBytes("CERTIFICATE", der)
	files := []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{l.CertFile, certPEM, 0o644},
		{l.KeyFile, pemBytes("PRIVATE KEY", keyDER), 0o600},
		{l.ChainFile, append(append([]byte{}, certPEM...), pemBytes("CERTIFICATE", caDER)...), 0o644},
	}
	for _, f := range files {
		if err := os.WriteFile(f.path, f.data, f.mode); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func pemBytes(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// oidTLSFeature is RFC 7633's TLS feature extension.
var oidTLSFeature = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}

// MustStapleLeaf makes a localhost server leaf (ECDSA P-256) signed by the
// PKI's CA whose TLS feature extension (RFC 7633) lists status_request
// (5): a "must-staple" certificate. Its files are in the test's temp
// directory.
func (p *PKI) MustStapleLeaf(t testing.TB) *Leaf {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	features, err := asn1.Marshal([]int{5})
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:    serial,
		Subject:         pkix.Name{CommonName: "localhost", Organization: []string{"clasp peertest"}, OrganizationalUnit: []string{"must-staple"}},
		NotBefore:       time.Now().Add(-time.Hour),
		NotAfter:        time.Now().Add(24 * time.Hour),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:        []string{"localhost"},
		IPAddresses:     []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtraExtensions: []pkix.Extension{{Id: oidTLSFeature, Value: features}},
	}
	leaf, err := writeLeaf(t.TempDir(), "must-staple", tmpl, key, p.CACert, p.CAKey, p.CACert.Raw)
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}
