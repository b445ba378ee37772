package sessions_test

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// FuzzSealedStoreGet puts any bytes where a sealed session would be, as
// anyone who can write to a shared Redis can, and reads them through the
// SealedStore. It must never panic, and nothing but the entry the store
// sealed may come back as a hit: a changed byte anywhere (version, key id,
// nonce, ciphertext, tag) or a cut is a miss.
func FuzzSealedStoreGet(f *testing.F) {
	const key = "clasp:tls12:00ff"
	value := []byte("a serialised TLS 1.2 session")
	fx := newSealedFixture(f, fleetKey)
	ctx := context.Background()
	if err := fx.sealed.Put(ctx, key, value, time.Hour); err != nil {
		f.Fatal(err)
	}
	genuine, ok, err := fx.inner.Get(ctx, key)
	if err != nil || !ok {
		f.Fatalf("the sealed entry is not in the inner store: %v %v", ok, err)
	}
	f.Add(genuine)
	f.Add(genuine[:len(genuine)-1])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		fx.putRaw(t, key, data)
		got, hit, err := fx.sealed.Get(ctx, key)
		if err != nil {
			t.Fatalf("an unusable entry is an error, not a miss: %v", err)
		}
		if bytes.Equal(data, genuine) {
			if !hit || !bytes.Equal(got, value) {
				t.Fatalf("the genuine entry read as hit %v, %q", hit, got)
			}
			return
		}
		// Each fuzzing process seals the value with a nonce of its own, so
		// another process's genuine entry is authentic here too; what no
		// edit may produce is a hit with anything else.
		if hit && !bytes.Equal(got, value) {
			t.Fatalf("a forged entry %x was accepted as %q", data, got)
		}
	})
}
