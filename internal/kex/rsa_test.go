package kex

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"sync"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

var testRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// opaqueDecrypter hides the *rsa.PrivateKey type, as a hardware key would,
// so DecryptRSAPremaster takes its crypto.Decrypter path.
type opaqueDecrypter struct{ k *rsa.PrivateKey }

func (d opaqueDecrypter) Public() crypto.PublicKey { return d.k.Public() }
func (d opaqueDecrypter) Decrypt(r io.Reader, msg []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	return d.k.Decrypt(r, msg, opts)
}

// erroringDecrypter reports padding errors, as some crypto.Decrypters do.
type erroringDecrypter struct{ opaqueDecrypter }

func (d erroringDecrypter) Decrypt(r io.Reader, msg []byte, _ crypto.DecrypterOpts) ([]byte, error) {
	return rsa.DecryptPKCS1v15(r, d.k, msg)
}

func rsaKeys() map[string]crypto.PrivateKey {
	k := testRSAKey()
	return map[string]crypto.PrivateKey{
		"*rsa.PrivateKey":    k,
		"crypto.Decrypter":   opaqueDecrypter{k},
		"erroring Decrypter": erroringDecrypter{opaqueDecrypter{k}},
	}
}

func TestRSAPremasterRoundTrip(t *testing.T) {
	for name, key := range rsaKeys() {
		t.Run(name, func(t *testing.T) {
			pm, enc, err := GenerateRSAPremaster(rand.Reader, suites.VersionTLS12, &testRSAKey().PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			if len(pm) != 48 || pm[0] != 3 || pm[1] != 3 {
				t.Fatalf("premaster %x: want 48 bytes starting 0303", pm)
			}
			got, err := DecryptRSAPremaster(rand.Reader, key, enc, suites.VersionTLS12)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, pm) {
				t.Fatalf("decrypted %x, want %x", got, pm)
			}
		})
	}
}

// TestRSAPremasterCountermeasure checks RFC 5246 §7.4.7.1's Bleichenbacher
// countermeasure: whatever is wrong with the ClientKeyExchange, the server
// gets 48 bytes and no error, and they differ from what the client holds.
func TestRSAPremasterCountermeasure(t *testing.T) {
	pub := &testRSAKey().PublicKey
	real, enc, err := GenerateRSAPremaster(rand.Reader, suites.VersionTLS12, pub)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(enc)
	tampered[len(tampered)/2] ^= 0x40

	// The client put TLS 1.1 in the premaster but the server saw 1.2 in the
	// ClientHello: a version rollback.
	rolledBack, encRolledBack, _ := GenerateRSAPremaster(rand.Reader, suites.VersionTLS11, pub)

	encrypt := func(msg []byte) []byte {
		c, err := rsa.EncryptPKCS1v15(rand.Reader, pub, msg)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	short := append([]byte{3, 3}, make([]byte, 45)...)
	long := append([]byte{3, 3}, make([]byte, 47)...)

	cases := []struct {
		name       string
		ciphertext []byte
		clientHas  []byte
	}{
		{"tampered ciphertext", tampered, real},
		{"wrong version bytes", encRolledBack, rolledBack},
		{"47-byte plaintext", encrypt(short), short},
		{"49-byte plaintext", encrypt(long), long},
		{"empty plaintext", encrypt(nil), nil},
		{"truncated ciphertext", enc[:len(enc)-1], real},
		{"empty ciphertext", nil, real},
		{"ciphertext above modulus", bytes.Repeat([]byte{0xff}, len(enc)), real},
	}
	for name, key := range rsaKeys() {
		for _, tc := range cases {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				got, err := DecryptRSAPremaster(rand.Reader, key, tc.ciphertext, suites.VersionTLS12)
				if err != nil {
					t.Fatalf("error %v: the countermeasure must not fail", err)
				}
				if len(got) != 48 {
					t.Fatalf("premaster of %d bytes", len(got))
				}
				if bytes.Equal(got, tc.clientHas) || bytes.Equal(got[2:], tc.clientHas[min(2, len(tc.clientHas)):]) {
					t.Fatal("server premaster matches the client's despite the fault")
				}
				again, _ := DecryptRSAPremaster(rand.Reader, key, tc.ciphertext, suites.VersionTLS12)
				if bytes.Equal(got, again) {
					t.Fatal("fallback premaster is not random")
				}
			})
		}
	}
}

func TestDecryptRSAPremasterRejectsNonRSAKey(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, key := range map[string]crypto.PrivateKey{
		"ecdsa":  ec,
		"string": "not a key",
		"nil":    nil,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecryptRSAPremaster(rand.Reader, key, make([]byte, 256), suites.VersionTLS12)
			wantAlert(t, err, wire.AlertInternalError)
		})
	}
}
