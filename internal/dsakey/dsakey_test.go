package dsakey

import (
	"crypto/dsa" //nolint:staticcheck // see the package comment
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// The keys in testdata were made by OpenSSL 3.0 (`openssl dsaparam N`,
// `openssl gendsa`, and `openssl pkey -traditional` for the traditional
// form), so parsing them checks clasp against another implementation.
func readKey(t *testing.T, name string) (*dsa.PrivateKey, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	k, err := ParsePrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return k, block.Bytes
}

func TestParseOpenSSLKeys(t *testing.T) {
	for _, c := range []struct {
		file    string
		p, q    int
		pkcs8OK bool
	}{
		{"dsa1024-pkcs8.pem", 1024, 224, true},
		{"dsa2048-pkcs8.pem", 2048, 224, true},
		{"dsa3072-pkcs8.pem", 3072, 224, true},
		{"dsa2048-traditional.pem", 2048, 224, false},
	} {
		k, der := readKey(t, c.file)
		if k.P.BitLen() != c.p || k.Q.BitLen() != c.q {
			t.Errorf("%s: p %d bits, q %d bits", c.file, k.P.BitLen(), k.Q.BitLen())
		}
		out, err := MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := ParsePrivateKey(out); err != nil || again.X.Cmp(k.X) != 0 || !Equal(&again.PublicKey, &k.PublicKey) {
			t.Errorf("%s: PKCS#8 round trip: %v", c.file, err)
		}
		if c.pkcs8OK && string(out) != string(der) {
			t.Errorf("%s: PKCS#8 written differs from OpenSSL's", c.file)
		}
	}
}

// A key whose public value does not match, or whose sizes are out of the
// FIPS 186-4 range, is refused; bytes that are no DSA key are ErrNotDSAKey.
func TestParseRejectsBadKeys(t *testing.T) {
	k, _ := readKey(t, "dsa1024-pkcs8.pem")
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(0)
		for _, n := range []*big.Int{k.P, k.Q, k.G, k.Y, new(big.Int).Add(k.X, big.NewInt(1))} {
			b.AddASN1BigInt(n)
		}
	})
	if _, err := ParsePrivateKey(b.BytesOrPanic()); err == nil || err == ErrNotDSAKey {
		t.Errorf("traditional key whose y is not g^x: %v, want a refusal", err)
	}
	if _, err := ParsePrivateKey([]byte{0x30, 0x03, 0x02, 0x01, 0x00}); err != ErrNotDSAKey {
		t.Errorf("garbage: %v, want ErrNotDSAKey", err)
	}
	small := *k
	small.Parameters.P = big.NewInt(23)
	der, _ := MarshalPKCS8PrivateKey(&small)
	if _, err := ParsePrivateKey(der); err == nil || err == ErrNotDSAKey {
		t.Errorf("a 5-bit p: %v, want a refusal", err)
	}
}

func template(cn string) *x509.Certificate {
	return &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{cn},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
}

// A DSA leaf signed by an ECDSA CA verifies with crypto/x509 and carries
// the DSA key.
func TestCreateCertificateUnderECDSACA(t *testing.T) {
	k, _ := readKey(t, "dsa2048-pkcs8.pem")
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := template("test CA")
	caTmpl.IsCA, caTmpl.BasicConstraintsValid, caTmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	der, err := CreateCertificate(rand.Reader, template("localhost"), ca, &k.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if leaf.PublicKeyAlgorithm != x509.DSA || !Equal(&k.PublicKey, leaf.PublicKey) {
		t.Fatalf("leaf key %v %T", leaf.PublicKeyAlgorithm, leaf.PublicKey)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		t.Fatalf("chain: %v", err)
	}
}

// A self-signed DSA certificate is signed with dsa-with-sha256; OpenSSL,
// which still verifies DSA, accepts the signature (crypto/x509 no longer
// verifies DSA signatures).
func TestCreateSelfSignedDSACertificate(t *testing.T) {
	k, _ := readKey(t, "dsa1024-pkcs8.pem")
	tmpl := template("dsa self-signed")
	tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign|x509.KeyUsageDigitalSignature
	der, err := CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if cert.SignatureAlgorithm != x509.DSAWithSHA256 {
		t.Fatalf("signature algorithm %v", cert.SignatureAlgorithm)
	}
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed: the DSA signature is checked with it")
	}
	file := filepath.Join(t.TempDir(), "self.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("openssl", "verify", "-auth_level", "0", "-CAfile", file, file).CombinedOutput()
	if err != nil || !strings.Contains(string(out), ": OK") {
		t.Fatalf("openssl verify: %v\n%s", err, out)
	}
}

func TestGenerateKeySizes(t *testing.T) {
	if _, err := GenerateKey(rand.Reader, 512); err == nil {
		t.Error("512-bit DSA accepted")
	}
	k, err := GenerateKey(rand.Reader, 1024)
	if err != nil || k.P.BitLen() != 1024 || k.Q.BitLen() != 160 {
		t.Fatalf("1024: %v", err)
	}
}

// FuzzParsePrivateKey: any DER is a key that passes checkDSAKey, or an
// error; never a panic.
func FuzzParsePrivateKey(f *testing.F) {
	for _, name := range []string{"dsa1024-pkcs8.pem", "dsa2048-traditional.pem"} {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		block, _ := pem.Decode(raw)
		f.Add(block.Bytes)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		k, err := ParsePrivateKey(der)
		if err == nil && checkDSAKey(k) != nil {
			t.Fatal("accepted a key checkDSAKey refuses")
		}
	})
}
