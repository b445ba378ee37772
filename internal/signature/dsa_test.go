package signature

import (
	"crypto/dsa" //nolint:staticcheck // see dsa.go
	"crypto/rand"
	"crypto/sha1"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/clasp-tls/clasp/internal/dsakey"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

func testDSAKey(t *testing.T) *dsa.PrivateKey {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "dsakey", "testdata", "dsa2048-pkcs8.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	k, err := dsakey.ParsePrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Every dsa_* scheme signs and verifies in TLS 1.2, none in TLS 1.3 (RFC
// 8446 has no DSA), and a changed message is decrypt_error.
func TestDSASchemes(t *testing.T) {
	k := testDSAKey(t)
	signer, err := SignerOf(k)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("client_random server_random params")
	for _, s := range []suites.SignatureScheme{suites.DSAWithSHA1, suites.DSAWithSHA224, suites.DSAWithSHA256, suites.DSAWithSHA384, suites.DSAWithSHA512} {
		if !KeyCanUse(&k.PublicKey, s, suites.VersionTLS12) || KeyCanUse(&k.PublicKey, s, suites.VersionTLS13) {
			t.Errorf("%v: usable in 1.2 %v, in 1.3 %v", s, KeyCanUse(&k.PublicKey, s, suites.VersionTLS12), KeyCanUse(&k.PublicKey, s, suites.VersionTLS13))
		}
		sig, err := Sign(signer, s, rand.Reader, msg)
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		if err := Verify(&k.PublicKey, s, msg, sig); err != nil {
			t.Errorf("%v: %v", s, err)
		}
		if err := Verify(&k.PublicKey, s, append(msg, '!'), sig); alertOf(err) != wire.AlertDecryptError {
			t.Errorf("%v: changed message: %v", s, err)
		}
	}
	if err := Verify(&k.PublicKey, suites.ECDSAWithP256AndSHA256, msg, nil); alertOf(err) != wire.AlertIllegalParameter {
		t.Errorf("ECDSA scheme with a DSA key: %v", err)
	}
}

func alertOf(err error) wire.AlertDescription {
	if we, ok := err.(*wire.Error); ok {
		return we.Alert
	}
	return 0
}

// TLS 1.0/1.1 and SSL 3.0 DSA signatures cover the SHA-1 hash alone (RFC
// 2246 §7.4.3, RFC 6101 §5.6.8), DER-encoded.
func TestDSALegacyIsSHA1(t *testing.T) {
	k := testDSAKey(t)
	signer, _ := SignerOf(k)
	msg := []byte("params")
	sig, err := SignLegacy(signer, rand.Reader, msg)
	if err != nil {
		t.Fatal(err)
	}
	d := sha1.Sum(msg)
	if !verifyDSA(&k.PublicKey, d[:], sig) || VerifyLegacy(&k.PublicKey, msg, sig) != nil {
		t.Fatal("legacy DSA signature is not over SHA-1(msg)")
	}
	if err := VerifyLegacy(&k.PublicKey, msg, append(sig, 0)); alertOf(err) != wire.AlertDecryptError {
		t.Errorf("trailing byte after the DER signature: %v", err)
	}
}

// OpenSSL verifies what DSASigner signs with dsa_sha256, which shows the
// DER encoding and the cut of SHA-256 to a 224-bit q match FIPS 186-4.
func TestDSASignatureVerifiesWithOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	k := testDSAKey(t)
	signer, _ := SignerOf(k)
	msg := []byte("a message for openssl dgst")
	sig, err := Sign(signer, suites.DSAWithSHA256, rand.Reader, msg)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := dsakey.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string][]byte{"msg": msg, "sig": sig, "pub.pem": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("openssl", "dgst", "-sha256", "-verify", filepath.Join(dir, "pub.pem"),
		"-signature", filepath.Join(dir, "sig"), filepath.Join(dir, "msg")).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl dgst -verify: %v\n%s", err, out)
	}
}
