package signature

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"io"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

func wantAlert(t *testing.T, err error, alert wire.AlertDescription) {
	t.Helper()
	var we *wire.Error
	if !errors.As(err, &we) {
		t.Fatalf("error %v (%T) is not a *wire.Error with %v", err, err, alert)
	}
	if we.Alert != alert {
		t.Fatalf("alert %v (%q), want %v", we.Alert, we.Message, alert)
	}
}

type testKey struct {
	name   string
	signer crypto.Signer
}

var testKeys = sync.OnceValue(func() []testKey {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	keys := []testKey{{"RSA-2048", rsaKey}}
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			panic(err)
		}
		keys = append(keys, testKey{"ECDSA-" + c.Params().Name, k})
	}
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	return append(keys, testKey{"Ed25519", edKey})
})

// opaqueSigner hides the concrete key type, as a hardware key would.
type opaqueSigner struct{ s crypto.Signer }

func (o opaqueSigner) Public() crypto.PublicKey { return o.s.Public() }
func (o opaqueSigner) Sign(r io.Reader, d []byte, opts crypto.SignerOpts) ([]byte, error) {
	return o.s.Sign(r, d, opts)
}

var allImplemented = []suites.SignatureScheme{
	suites.PKCS1WithSHA1, suites.PKCS1WithSHA256, suites.PKCS1WithSHA384, suites.PKCS1WithSHA512,
	suites.PSSWithSHA256, suites.PSSWithSHA384, suites.PSSWithSHA512,
	suites.ECDSAWithSHA1, suites.ECDSAWithP256AndSHA256, suites.ECDSAWithP384AndSHA384, suites.ECDSAWithP521AndSHA512,
	suites.Ed25519,
}

func TestSignVerifyEveryUsableScheme(t *testing.T) {
	msg := []byte("client_random || server_random || ServerECDHParams")
	for _, k := range testKeys() {
		pub := k.signer.Public()
		usable := SchemesForKey(pub, suites.VersionTLS12)
		if len(usable) == 0 {
			t.Fatalf("%s: no schemes", k.name)
		}
		for _, s := range usable {
			for _, signer := range []crypto.Signer{k.signer, opaqueSigner{k.signer}} {
				t.Run(k.name+"/"+s.String(), func(t *testing.T) {
					sig, err := Sign(signer, s, rand.Reader, msg)
					if err != nil {
						t.Fatal(err)
					}
					if err := Verify(pub, s, msg, sig); err != nil {
						t.Fatalf("own signature does not verify: %v", err)
					}
					tamperedMsg := bytes.Clone(msg)
					tamperedMsg[0] ^= 1
					wantAlert(t, Verify(pub, s, tamperedMsg, sig), wire.AlertDecryptError)
					tamperedSig := bytes.Clone(sig)
					tamperedSig[len(tamperedSig)-1] ^= 1
					wantAlert(t, Verify(pub, s, msg, tamperedSig), wire.AlertDecryptError)
					wantAlert(t, Verify(pub, s, msg, nil), wire.AlertDecryptError)
				})
			}
		}
	}
}

// TestVerifyRejectsKeySchemeMismatch checks that a scheme the certificate's
// key cannot produce is an illegal_parameter, not a failed signature.
func TestVerifyRejectsKeySchemeMismatch(t *testing.T) {
	msg := []byte("m")
	for _, k := range testKeys() {
		pub := k.signer.Public()
		for _, s := range allImplemented {
			if keyFits(pub, schemes[s]) {
				continue
			}
			t.Run(k.name+"/"+s.String(), func(t *testing.T) {
				wantAlert(t, Verify(pub, s, msg, make([]byte, 64)), wire.AlertIllegalParameter)
				if _, err := Sign(k.signer, s, rand.Reader, msg); err == nil {
					t.Fatal("Sign accepted a scheme the key cannot produce")
				}
				if KeyCanUse(pub, s, suites.VersionTLS12) || KeyCanUse(pub, s, suites.VersionTLS13) {
					t.Fatal("KeyCanUse accepts it")
				}
			})
		}
	}
}

func TestUnsupportedSchemes(t *testing.T) {
	rsaKey := testKeys()[0].signer
	for _, s := range []suites.SignatureScheme{suites.PSSPSSWithSHA256, suites.PSSPSSWithSHA384, suites.PSSPSSWithSHA512, suites.Ed448, 0x0301 /* rsa_pkcs1_sha224 */, 0x0101 /* rsa_pkcs1_md5 */, 0xfefe} {
		_, err := Sign(rsaKey, s, rand.Reader, []byte("m"))
		wantAlert(t, err, wire.AlertIllegalParameter)
		if !strings.Contains(err.Error(), "not supported") {
			t.Errorf("%v: error %q does not say it is not supported", s, err)
		}
		wantAlert(t, Verify(rsaKey.Public(), s, []byte("m"), make([]byte, 256)), wire.AlertIllegalParameter)
	}
	_, err := Sign(rsaKey, suites.PSSPSSWithSHA256, rand.Reader, nil)
	if !strings.Contains(err.Error(), "RSASSA-PSS certificate") {
		t.Errorf("rsa_pss_pss error %q does not explain why", err)
	}
}

func TestVerifyEd25519ShortKeyDoesNotPanic(t *testing.T) {
	wantAlert(t, Verify(ed25519.PublicKey{1, 2, 3}, suites.Ed25519, []byte("m"), make([]byte, 64)), wire.AlertDecryptError)
}

// TestInteropWithCryptoPrimitives pins the parameters: signatures made
// directly with crypto/rsa, crypto/ecdsa and crypto/ed25519 must verify, and
// ours must verify with them.
func TestInteropWithCryptoPrimitives(t *testing.T) {
	rsaKey := testKeys()[0].signer.(*rsa.PrivateKey)
	msg := []byte("signed params")
	h := sha256.Sum256(msg)

	t.Run("PSS salt length equals hash", func(t *testing.T) {
		sig, err := rsa.SignPSS(rand.Reader, rsaKey, crypto.SHA256, h[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(&rsaKey.PublicKey, suites.PSSWithSHA256, msg, sig); err != nil {
			t.Fatalf("crypto/rsa PSS signature rejected: %v", err)
		}
		ours, err := Sign(rsaKey, suites.PSSWithSHA256, rand.Reader, msg)
		if err != nil {
			t.Fatal(err)
		}
		if err := rsa.VerifyPSS(&rsaKey.PublicKey, crypto.SHA256, h[:], ours, &rsa.PSSOptions{SaltLength: 32}); err != nil {
			t.Fatalf("our PSS signature does not have a 32-byte salt: %v", err)
		}
		// A maximal salt is valid PSS but not what RFC 8446 §4.2.3 allows.
		maxSalt, _ := rsa.SignPSS(rand.Reader, rsaKey, crypto.SHA256, h[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
		wantAlert(t, Verify(&rsaKey.PublicKey, suites.PSSWithSHA256, msg, maxSalt), wire.AlertDecryptError)
	})

	t.Run("PKCS1 v1.5 SHA-256", func(t *testing.T) {
		sig, _ := rsa.SignPKCS1v15(nil, rsaKey, crypto.SHA256, h[:])
		if err := Verify(&rsaKey.PublicKey, suites.PKCS1WithSHA256, msg, sig); err != nil {
			t.Fatal(err)
		}
		// PKCS#1 v1.5 is deterministic: ours must be byte-identical.
		ours, _ := Sign(rsaKey, suites.PKCS1WithSHA256, rand.Reader, msg)
		if !bytes.Equal(ours, sig) {
			t.Fatal("our PKCS#1 v1.5 signature differs from crypto/rsa's")
		}
	})

	t.Run("ECDSA", func(t *testing.T) {
		k := testKeys()[2].signer.(*ecdsa.PrivateKey) // P-384
		d := sha256.Sum256(msg)
		sig, err := ecdsa.SignASN1(rand.Reader, k, d[:])
		if err != nil {
			t.Fatal(err)
		}
		// TLS 1.2: a P-384 key signing ecdsa_secp256r1_sha256 is fine.
		if err := Verify(&k.PublicKey, suites.ECDSAWithP256AndSHA256, msg, sig); err != nil {
			t.Fatal(err)
		}
		ours, _ := Sign(k, suites.ECDSAWithP256AndSHA256, rand.Reader, msg)
		if !ecdsa.VerifyASN1(&k.PublicKey, d[:], ours) {
			t.Fatal("crypto/ecdsa rejects our signature")
		}
	})

	t.Run("Ed25519 signs the message itself", func(t *testing.T) {
		k := testKeys()[4].signer.(ed25519.PrivateKey)
		sig := ed25519.Sign(k, msg)
		if err := Verify(k.Public(), suites.Ed25519, msg, sig); err != nil {
			t.Fatal(err)
		}
		ours, _ := Sign(k, suites.Ed25519, rand.Reader, msg)
		if !bytes.Equal(ours, sig) { // deterministic
			t.Fatal("our Ed25519 signature differs from crypto/ed25519's")
		}
	})
}

// TestLegacyRSAIsMD5SHA1WithoutDigestInfo opens our TLS 1.0 RSA signature
// with the public key (s^e mod n, by math/big) and checks the encoded block
// is 00 01 FF…FF 00 || MD5(m) || SHA-1(m): PKCS#1 v1.5 padding and no
// DigestInfo, as RFC 2246 §4.7 specifies.
func TestLegacyRSAIsMD5SHA1WithoutDigestInfo(t *testing.T) {
	k := testKeys()[0].signer.(*rsa.PrivateKey)
	msg := []byte("client_random || server_random || ServerDHParams")
	sig, err := SignLegacy(k, rand.Reader, msg)
	if err != nil {
		t.Fatal(err)
	}
	m := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(k.E)), k.N)
	em := m.FillBytes(make([]byte, k.Size()))
	md, sh := md5.Sum(msg), sha1.Sum(msg)
	want := append([]byte{0, 1}, bytes.Repeat([]byte{0xff}, k.Size()-3-36)...)
	want = append(want, 0)
	want = append(append(want, md[:]...), sh[:]...)
	if !bytes.Equal(em, want) {
		t.Fatalf("encoded message\n%x\nwant\n%x", em, want)
	}
	if err := VerifyLegacy(&k.PublicKey, msg, sig); err != nil {
		t.Fatal(err)
	}
	wantAlert(t, VerifyLegacy(&k.PublicKey, []byte("other"), sig), wire.AlertDecryptError)
}

func TestLegacyECDSAIsSHA1(t *testing.T) {
	k := testKeys()[1].signer.(*ecdsa.PrivateKey)
	msg := []byte("params")
	sig, err := SignLegacy(opaqueSigner{k}, rand.Reader, msg)
	if err != nil {
		t.Fatal(err)
	}
	d := sha1.Sum(msg)
	if !ecdsa.VerifyASN1(&k.PublicKey, d[:], sig) {
		t.Fatal("legacy ECDSA signature is not over SHA-1(msg)")
	}
	if err := VerifyLegacy(&k.PublicKey, msg, sig); err != nil {
		t.Fatal(err)
	}
	sig[len(sig)-1] ^= 1
	wantAlert(t, VerifyLegacy(&k.PublicKey, msg, sig), wire.AlertDecryptError)
}

func TestLegacyRejectsEd25519(t *testing.T) {
	k := testKeys()[4].signer
	if _, err := SignLegacy(k, rand.Reader, []byte("m")); err == nil {
		t.Fatal("SignLegacy accepted an Ed25519 key")
	}
	wantAlert(t, VerifyLegacy(k.Public(), []byte("m"), make([]byte, 64)), wire.AlertIllegalParameter)
}

func TestSchemesForKey(t *testing.T) {
	keys := testKeys()
	pub := func(i int) crypto.PublicKey { return keys[i].signer.Public() }
	s := func(list ...suites.SignatureScheme) []suites.SignatureScheme { return list }

	tests := []struct {
		name    string
		pub     crypto.PublicKey
		version suites.Version
		want    []suites.SignatureScheme
	}{
		{"RSA TLS 1.2", pub(0), suites.VersionTLS12, s(suites.PSSWithSHA256, suites.PSSWithSHA384, suites.PSSWithSHA512,
			suites.PKCS1WithSHA256, suites.PKCS1WithSHA384, suites.PKCS1WithSHA512, suites.PKCS1WithSHA1)},
		{"RSA TLS 1.3", pub(0), suites.VersionTLS13, s(suites.PSSWithSHA256, suites.PSSWithSHA384, suites.PSSWithSHA512)},
		{"P-256 TLS 1.2", pub(1), suites.VersionTLS12, s(suites.ECDSAWithP256AndSHA256, suites.ECDSAWithP384AndSHA384, suites.ECDSAWithP521AndSHA512, suites.ECDSAWithSHA1)},
		{"P-384 TLS 1.2", pub(2), suites.VersionTLS12, s(suites.ECDSAWithP384AndSHA384, suites.ECDSAWithP256AndSHA256, suites.ECDSAWithP521AndSHA512, suites.ECDSAWithSHA1)},
		{"P-384 TLS 1.3", pub(2), suites.VersionTLS13, s(suites.ECDSAWithP384AndSHA384)},
		{"P-521 TLS 1.3", pub(3), suites.VersionTLS13, s(suites.ECDSAWithP521AndSHA512)},
		{"Ed25519 TLS 1.2", pub(4), suites.VersionTLS12, s(suites.Ed25519)},
		{"Ed25519 TLS 1.3", pub(4), suites.VersionTLS13, s(suites.Ed25519)},
		{"RSA TLS 1.1", pub(0), suites.VersionTLS11, nil},
		{"not a key", "x", suites.VersionTLS12, nil},
	}
	for _, tt := range tests {
		if got := SchemesForKey(tt.pub, tt.version); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}

	if !KeyCanUse(pub(1), suites.ECDSAWithP384AndSHA384, suites.VersionTLS12) {
		t.Error("TLS 1.2: a P-256 key cannot use ecdsa_secp384r1_sha384")
	}
	if KeyCanUse(pub(1), suites.ECDSAWithP384AndSHA384, suites.VersionTLS13) {
		t.Error("TLS 1.3: a P-256 key may use ecdsa_secp384r1_sha384")
	}
	if KeyCanUse(pub(0), suites.PKCS1WithSHA256, suites.VersionTLS13) {
		t.Error("TLS 1.3 allows PKCS#1 v1.5")
	}

	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if got := SchemesForKey(&p224.PublicKey, suites.VersionTLS12); got != nil {
		t.Errorf("P-224 key gets %v", got)
	}
}

// TestSchemesForSmallRSAKey: RSA-PSS with a 64-byte salt and SHA-512 needs a
// modulus of at least 130 bytes, so a 1024-bit key cannot use it.
func TestSchemesForSmallRSAKey(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Skipf("crypto/rsa refuses 1024-bit keys here: %v", err)
	}
	got := SchemesForKey(&k.PublicKey, suites.VersionTLS13)
	if want := []suites.SignatureScheme{suites.PSSWithSHA256, suites.PSSWithSHA384}; !slices.Equal(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
	for _, s := range got {
		sig, err := Sign(k, s, rand.Reader, []byte("m"))
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		if err := Verify(&k.PublicKey, s, []byte("m"), sig); err != nil {
			t.Fatalf("%v: %v", s, err)
		}
	}
	if _, err := Sign(k, suites.PSSWithSHA512, rand.Reader, []byte("m")); err == nil {
		t.Fatal("PSS-SHA512 with a 1024-bit key should not be possible")
	}
}
