package kex

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// wantAlert fails the test unless err is a *wire.Error with the given alert.
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

func mustUnhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

var ecGroups = []struct {
	name   string
	group  suites.Group
	pubLen int
}{
	{"x25519", suites.X25519, 32},
	{"secp256r1", suites.Secp256r1, 65},
	{"secp384r1", suites.Secp384r1, 97},
	{"secp521r1", suites.Secp521r1, 133},
}

func TestECDHEAgreementBothWays(t *testing.T) {
	for _, g := range ecGroups {
		t.Run(g.name, func(t *testing.T) {
			a, err := GenerateECDHE(g.group, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			b, err := GenerateECDHE(g.group, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if a.Group() != g.group || len(a.PublicKey()) != g.pubLen {
				t.Fatalf("group %#x, public key of %d bytes; want %#x, %d", a.Group(), len(a.PublicKey()), g.group, g.pubLen)
			}
			if g.group != suites.X25519 && a.PublicKey()[0] != 4 {
				t.Fatalf("NIST public key does not start with 04 (uncompressed)")
			}
			ab, err := a.SharedSecret(b.PublicKey())
			if err != nil {
				t.Fatal(err)
			}
			ba, err := b.SharedSecret(a.PublicKey())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ab, ba) || len(ab) == 0 {
				t.Fatalf("shared secrets differ: %x vs %x", ab, ba)
			}
		})
	}
}

func TestGenerateECDHERejectsOtherGroups(t *testing.T) {
	for _, g := range []suites.Group{suites.FFDHE2048, 0x0016 /* secp256k1 */, 0x001e /* x448 */, 0x11ec /* X25519MLKEM768 */} {
		if _, err := GenerateECDHE(g, rand.Reader); err == nil {
			t.Errorf("GenerateECDHE(%#x) succeeded", g)
		}
	}
}

func TestECDHERejectsBadPoints(t *testing.T) {
	p256, _ := GenerateECDHE(suites.Secp256r1, rand.Reader)
	peer, _ := GenerateECDHE(suites.Secp256r1, rand.Reader)
	good := peer.PublicKey()

	compressed := append([]byte{2 | good[64]&1}, good[1:33]...)
	offCurve := bytes.Clone(good)
	offCurve[64] ^= 1
	hybrid := bytes.Clone(good)
	hybrid[0] = 6 | good[64]&1 // SEC 1 hybrid form, never valid in TLS

	cases := map[string][]byte{
		"compressed":        compressed,
		"off curve":         offCurve,
		"hybrid encoding":   hybrid,
		"infinity":          {0},
		"empty":             nil,
		"truncated":         good[:64],
		"trailing byte":     append(bytes.Clone(good), 0),
		"x25519-sized":      make([]byte, 32),
		"P-384 point":       mustPub(suites.Secp384r1),
		"all zero, 65 long": make([]byte, 65),
	}
	for name, pub := range cases {
		t.Run("P-256 "+name, func(t *testing.T) {
			_, err := p256.SharedSecret(pub)
			wantAlert(t, err, wire.AlertIllegalParameter)
		})
	}

	x, _ := GenerateECDHE(suites.X25519, rand.Reader)
	xcases := map[string][]byte{
		"short": make([]byte, 31),
		"long":  make([]byte, 33),
		"empty": nil,
		"u = 0": make([]byte, 32),
		"u = 1": append([]byte{1}, make([]byte, 31)...),
		// A point of order 8, from the list of X25519 low-order points in
		// https://cr.yp.to/ecdh.html#validate (also libsodium's blocklist).
		"order 8": mustUnhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
	}
	for name, pub := range xcases {
		t.Run("X25519 "+name, func(t *testing.T) {
			_, err := x.SharedSecret(pub)
			wantAlert(t, err, wire.AlertIllegalParameter)
		})
	}
}

func mustPub(g suites.Group) []byte {
	k, err := GenerateECDHE(g, rand.Reader)
	if err != nil {
		panic(err)
	}
	return k.PublicKey()
}

func FuzzECDHESharedSecret(f *testing.F) {
	keys := make([]*ECDHEKey, len(ecGroups))
	for i, g := range ecGroups {
		keys[i], _ = GenerateECDHE(g.group, rand.Reader)
		f.Add(uint8(i), mustPub(g.group))
		f.Add(uint8(i), []byte{})
		f.Add(uint8(i), make([]byte, g.pubLen))
	}
	f.Add(uint8(1), []byte{2, 1, 2, 3})
	f.Fuzz(func(t *testing.T, which uint8, pub []byte) {
		k := keys[int(which)%len(keys)]
		secret, err := k.SharedSecret(pub)
		if err != nil {
			var we *wire.Error
			if !errors.As(err, &we) || we.Alert != wire.AlertIllegalParameter {
				t.Fatalf("error %v is not illegal_parameter", err)
			}
			return
		}
		if len(secret) == 0 {
			t.Fatal("empty shared secret without error")
		}
	})
}
