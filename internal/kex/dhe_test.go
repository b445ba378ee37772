package kex

import (
	"bytes"
	"crypto/rand"
	"errors"
	"math/big"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

var ffdheIDs = []struct {
	id   suites.Group
	name string
	bits int
}{
	{suites.FFDHE2048, "ffdhe2048", 2048},
	{suites.FFDHE3072, "ffdhe3072", 3072},
	{suites.FFDHE4096, "ffdhe4096", 4096},
	{suites.FFDHE6144, "ffdhe6144", 6144},
	{suites.FFDHE8192, "ffdhe8192", 8192},
}

// TestFFDHEGroupsAreSafePrimes guards the transcription of RFC 7919 Appendix
// A: a single wrong hex digit would make p or (p-1)/2 composite.
func TestFFDHEGroupsAreSafePrimes(t *testing.T) {
	for _, tc := range ffdheIDs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// 20 Miller-Rabin rounds plus Baillie-PSW where it is cheap;
			// Baillie-PSW alone (no known pseudoprime) for the big groups,
			// where 20 rounds cost a minute on a busy machine. A mistyped
			// digit gives a random composite, which either test rejects.
			rounds := 20
			if testing.Short() || tc.bits > 3072 {
				rounds = 0
			}
			g, ok := FFDHEGroup(tc.id)
			if !ok {
				t.Fatal("group not found")
			}
			if g.Name != tc.name || g.P.BitLen() != tc.bits || g.G.Cmp(big.NewInt(2)) != 0 {
				t.Fatalf("got %s, %d bits, g=%v", g.Name, g.P.BitLen(), g.G)
			}
			// RFC 7919 §A: the top and bottom 64 bits of every modulus are ones.
			ones := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 64), big.NewInt(1))
			if new(big.Int).And(g.P, ones).Cmp(ones) != 0 || new(big.Int).Rsh(g.P, uint(tc.bits-64)).Cmp(ones) != 0 {
				t.Fatal("modulus does not start and end with 64 one bits")
			}
			if !g.P.ProbablyPrime(rounds) {
				t.Fatal("p is not prime")
			}
			if q := new(big.Int).Rsh(g.P, 1); !q.ProbablyPrime(rounds) {
				t.Fatal("(p-1)/2 is not prime")
			}
		})
	}
}

func TestFFDHEGroupUnknownAndCopies(t *testing.T) {
	if _, ok := FFDHEGroup(suites.X25519); ok {
		t.Fatal("FFDHEGroup accepted x25519")
	}
	a, _ := FFDHEGroup(suites.FFDHE2048)
	a.P.SetInt64(7)
	b, _ := FFDHEGroup(suites.FFDHE2048)
	if b.P.BitLen() != 2048 {
		t.Fatal("modifying a returned group changed the package's copy")
	}
}

func TestDHEAgreementBothWays(t *testing.T) {
	for _, tc := range ffdheIDs {
		t.Run(tc.name, func(t *testing.T) {
			g, _ := FFDHEGroup(tc.id)
			a, err := GenerateDHE(g, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			b, err := GenerateDHE(g, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			ab, err := a.SharedSecret(b.PublicKey())
			if err != nil {
				t.Fatal(err)
			}
			ba, err := b.SharedSecret(a.PublicKey())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ab, ba) {
				t.Fatal("shared secrets differ")
			}
			if ab[0] == 0 || a.PublicKey()[0] == 0 {
				t.Fatal("leading zero byte not stripped")
			}
		})
	}
}

// TestDHECustomGroup runs the full-length-exponent path with a group a legacy
// server might choose (validated first, as the client would).
func TestDHECustomGroup(t *testing.T) {
	// The ffdhe2048 prime with generator 5 is not the RFC 7919 group, so
	// it takes the custom-group path without the cost of generating a prime.
	ff, _ := FFDHEGroup(suites.FFDHE2048)
	group, err := ValidateServerDHParams(ff.P.Bytes(), []byte{5}, []byte{9}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if group.Name != "custom 2048-bit group" {
		t.Fatalf("name %q", group.Name)
	}
	a, _ := GenerateDHE(group, rand.Reader)
	b, _ := GenerateDHE(group, rand.Reader)
	ab, err1 := a.SharedSecret(b.PublicKey())
	ba, err2 := b.SharedSecret(a.PublicKey())
	if err1 != nil || err2 != nil || !bytes.Equal(ab, ba) {
		t.Fatalf("agreement failed: %v %v", err1, err2)
	}
}

func TestDHESharedSecretRejectsBadPeerValues(t *testing.T) {
	g, _ := FFDHEGroup(suites.FFDHE2048)
	k, _ := GenerateDHE(g, rand.Reader)
	pMinus1 := new(big.Int).Sub(g.P, big.NewInt(1))
	pPlus1 := new(big.Int).Add(g.P, big.NewInt(1))
	for name, y := range map[string][]byte{
		"empty": nil,
		"0":     {0},
		"1":     {1},
		"00 01": {0, 1}, // leading zeros do not hide 1
		"p-1":   pMinus1.Bytes(),
		"p":     g.P.Bytes(),
		"p+1":   pPlus1.Bytes(),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := k.SharedSecret(y)
			wantAlert(t, err, wire.AlertIllegalParameter)
		})
	}
}

func TestValidateServerDHParams(t *testing.T) {
	ff, _ := FFDHEGroup(suites.FFDHE2048)
	p := ff.P.Bytes()
	pMinus1 := new(big.Int).Sub(ff.P, big.NewInt(1)).Bytes()
	ys := big.NewInt(12345).Bytes()

	t.Run("recognises RFC 7919 group", func(t *testing.T) {
		g, err := ValidateServerDHParams(p, []byte{2}, ys, 0)
		if err != nil || g.Name != "ffdhe2048" {
			t.Fatalf("got %v, %v", g, err)
		}
		// With leading zero bytes on the wire too.
		g, err = ValidateServerDHParams(append([]byte{0}, p...), []byte{0, 2}, ys, 0)
		if err != nil || g.Name != "ffdhe2048" {
			t.Fatalf("with leading zeros: got %v, %v", g, err)
		}
	})

	t.Run("1024-bit prime is insufficient_security", func(t *testing.T) {
		small, err := rand.Prime(rand.Reader, 1024)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ValidateServerDHParams(small.Bytes(), []byte{2}, ys, 0)
		wantAlert(t, err, wire.AlertInsufficientSecurity)
		// An explicit lower minimum lets it through (legacy opt-in).
		if _, err := ValidateServerDHParams(small.Bytes(), []byte{2}, ys, 1024); err != nil {
			t.Fatalf("minBits 1024: %v", err)
		}
		// And a higher one refuses ffdhe2048.
		_, err = ValidateServerDHParams(p, []byte{2}, ys, 3072)
		wantAlert(t, err, wire.AlertInsufficientSecurity)
	})

	huge := new(big.Int).Lsh(big.NewInt(1), 8200)
	huge.Add(huge, big.NewInt(1))
	even := new(big.Int).Add(ff.P, big.NewInt(1))

	for _, tc := range []struct {
		name     string
		p, g, ys []byte
	}{
		{"even p", even.Bytes(), []byte{2}, ys},
		{"p over 8192 bits", huge.Bytes(), []byte{2}, ys},
		{"g = 0", p, []byte{0}, ys},
		{"g = 1", p, []byte{1}, ys},
		{"g empty", p, nil, ys},
		{"g = p-1", p, pMinus1, ys},
		{"g = p", p, p, ys},
		{"Ys = 0", p, []byte{2}, []byte{0}},
		{"Ys = 1", p, []byte{2}, []byte{1}},
		{"Ys = p-1", p, []byte{2}, pMinus1},
		{"Ys = p", p, []byte{2}, p},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ValidateServerDHParams(tc.p, tc.g, tc.ys, 0)
			wantAlert(t, err, wire.AlertIllegalParameter)
		})
	}
}

func TestGenerateDHERejectsIncompleteGroup(t *testing.T) {
	for _, g := range []*DHGroup{nil, {}, {P: big.NewInt(5)}, {P: big.NewInt(3), G: big.NewInt(2)}} {
		if _, err := GenerateDHE(g, rand.Reader); err == nil {
			t.Errorf("GenerateDHE(%v) succeeded", g)
		}
	}
}

func FuzzDHESharedSecret(f *testing.F) {
	g, _ := FFDHEGroup(suites.FFDHE2048)
	k, _ := GenerateDHE(g, rand.Reader)
	peer, _ := GenerateDHE(g, rand.Reader)
	f.Add(peer.PublicKey())
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add([]byte{1})
	f.Add([]byte{2})
	f.Add(new(big.Int).Sub(g.P, big.NewInt(1)).Bytes())
	f.Add(g.P.Bytes())
	f.Add(append(g.P.Bytes(), 0))
	f.Fuzz(func(t *testing.T, y []byte) {
		z, err := k.SharedSecret(y)
		if err != nil {
			var we *wire.Error
			if !errors.As(err, &we) || we.Alert != wire.AlertIllegalParameter {
				t.Fatalf("error %v is not illegal_parameter", err)
			}
			return
		}
		if len(z) == 0 || len(z) > 256 || z[0] == 0 {
			t.Fatalf("bad shared secret encoding: %d bytes", len(z))
		}
	})
}
