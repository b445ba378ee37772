package sessions_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/clasp-tls/clasp/sessions"
)

var (
	fleetKey  = bytes.Repeat([]byte{0x42}, 32)
	otherKey  = bytes.Repeat([]byte{0x17}, 32)
	secretVal = []byte("master secret: 0123456789abcdef")
)

func newSealer(t testing.TB, key []byte, purpose string) *sessions.Sealer {
	t.Helper()
	s, err := sessions.NewSealer(key, purpose)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealerRoundTrip(t *testing.T) {
	s := newSealer(t, fleetKey, "test")
	for _, pt := range [][]byte{secretVal, {}, nil, bytes.Repeat([]byte{7}, 5000)} {
		sealed, err := s.Seal("id1", pt)
		if err != nil {
			t.Fatal(err)
		}
		if len(sealed) != 1+4+12+len(pt)+16 {
			t.Errorf("sealed length %d for %d bytes, want %d", len(sealed), len(pt), 33+len(pt))
		}
		if sealed[0] != sessions.SealVersion {
			t.Errorf("version byte %d, want %d", sealed[0], sessions.SealVersion)
		}
		if len(pt) > 8 && bytes.Contains(sealed, pt[:8]) {
			t.Error("sealed value contains the plaintext")
		}
		got, err := s.Open("id1", sealed)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || !bytes.Equal(got, pt) {
			t.Fatalf("Open = %q (nil %v), want %q", got, got == nil, pt)
		}
	}
}

func TestSealerHeader(t *testing.T) {
	a1, _ := newSealer(t, fleetKey, "test").Seal("k", secretVal)
	a2, _ := newSealer(t, fleetKey, "test").Seal("k", secretVal)
	b, _ := newSealer(t, otherKey, "test").Seal("k", secretVal)
	c, _ := newSealer(t, fleetKey, "other purpose").Seal("k", secretVal)
	if !bytes.Equal(a1[1:5], a2[1:5]) {
		t.Error("one fleet key and purpose gave two key ids")
	}
	if bytes.Equal(a1[1:5], b[1:5]) || bytes.Equal(a1[1:5], c[1:5]) {
		t.Error("another fleet key or purpose gave the same key id")
	}
	if bytes.Equal(a1[5:17], a2[5:17]) {
		t.Error("two seals used the same nonce")
	}
}

// TestSealerStableFormat opens a value sealed by this code when it was
// written. If the derivation or layout changes, every stored session of a
// fleet upgrading one server at a time would stop opening: bump SealVersion
// and keep reading the old version instead of changing this value.
func TestSealerStableFormat(t *testing.T) {
	sealed, _ := hex.DecodeString(goldenSealed)
	got, err := newSealer(t, fleetKey, "test").Open("id1", sealed)
	if err != nil {
		t.Fatalf("golden value no longer opens: %v", err)
	}
	if !bytes.Equal(got, secretVal) {
		t.Fatalf("golden value opens to %q", got)
	}
}

const goldenSealed = "0176067171beb5e1feeede0a758c037907da6c19950a3b39d8942f81625e0759292de22848b43cf386d689fcb7af17b313f37678b953071dc5413477109ffabf"

func TestSealerOpenErrors(t *testing.T) {
	s := newSealer(t, fleetKey, "test")
	good, err := s.Seal("id1", secretVal)
	if err != nil {
		t.Fatal(err)
	}
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	foreign, _ := newSealer(t, otherKey, "test").Seal("id1", secretVal)
	otherPurpose, _ := newSealer(t, fleetKey, "tickets").Seal("id1", secretVal)

	for _, tc := range []struct {
		name   string
		key    string
		sealed []byte
		want   error
	}{
		{"empty", "id1", nil, sessions.ErrCorrupt},
		{"header only", "id1", good[:5], sessions.ErrCorrupt},
		{"truncated below the overhead", "id1", good[:32], sessions.ErrCorrupt},
		// Still long enough to parse, so only the tag can tell.
		{"truncated by one byte", "id1", good[:len(good)-1], sessions.ErrAuth},
		{"flipped bit in ciphertext", "id1", mod(func(b []byte) []byte { b[20] ^= 1; return b }), sessions.ErrAuth},
		{"flipped bit in tag", "id1", mod(func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }), sessions.ErrAuth},
		{"flipped bit in nonce", "id1", mod(func(b []byte) []byte { b[6] ^= 1; return b }), sessions.ErrAuth},
		{"flipped bit in key id", "id1", mod(func(b []byte) []byte { b[2] ^= 1; return b }), sessions.ErrForeign},
		{"other fleet key", "id1", foreign, sessions.ErrForeign},
		{"other purpose", "id1", otherPurpose, sessions.ErrForeign},
		{"unknown version", "id1", mod(func(b []byte) []byte { b[0] = 2; return b }), sessions.ErrVersion},
		{"version zero", "id1", mod(func(b []byte) []byte { b[0] = 0; return b }), sessions.ErrVersion},
		{"unknown version, short", "id1", []byte{9}, sessions.ErrVersion},
		{"moved to another store key", "id2", good, sessions.ErrAuth},
		{"moved to a prefix of the store key", "id", good, sessions.ErrAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Open(tc.key, tc.sealed)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open = %q, %v; want %v", got, err, tc.want)
			}
			if got != nil {
				t.Fatalf("Open returned %q along with an error", got)
			}
			for _, other := range []error{sessions.ErrCorrupt, sessions.ErrVersion, sessions.ErrForeign, sessions.ErrAuth} {
				if other != tc.want && errors.Is(err, other) {
					t.Fatalf("error %v is also %v", err, other)
				}
			}
		})
	}
}

func TestNewSealerRejects(t *testing.T) {
	if _, err := sessions.NewSealer(make([]byte, sessions.MinFleetKeyLen-1), "p"); err == nil {
		t.Error("a short fleet key was accepted")
	}
	if _, err := sessions.NewSealer(fleetKey, ""); err == nil {
		t.Error("an empty purpose was accepted")
	}
}
