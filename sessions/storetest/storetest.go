// Package storetest is the contract every sessions.Store implementation
// must meet, as one test function that the memory store, the sealed store
// and the Redis store all run. It is imported only from _test.go files.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/sessions"
)

// ShortTTL is the TTL the expiry subtest writes with. It is short so the
// test is quick, and long enough that a store on loopback answers well
// within it.
const ShortTTL = 300 * time.Millisecond

// Run runs the Store contract against stores made by newStore. Each subtest
// gets its own store, so a store may share a backend (one Redis) as long as
// different calls do not see each other's keys (a fresh key prefix each).
//
// The expiry subtest waits on the real clock, so stores with an injected
// clock must be given time.Now here; their fake-clock tests belong to the
// implementation.
func Run(t *testing.T, newStore func(t *testing.T) sessions.Store) {
	runValues(t, newStore)
	runOperations(t, newStore)
	runRefusals(t, newStore)
}

// runValues checks what a store gives back: the value put, a miss, any
// bytes, an empty value, and a copy rather than the caller's slice.
func runValues(t *testing.T, newStore func(t *testing.T) sessions.Store) {
	t.Run("PutGet", func(t *testing.T) {
		st, ctx := newStore(t), context.Background()
		mustPut(t, st, "a", []byte("alpha"), time.Minute)
		mustGet(t, st, "a", []byte("alpha"))
		if err := st.Put(ctx, "a", []byte("alpha 2"), time.Minute); err != nil {
			t.Fatal(err)
		}
		mustGet(t, st, "a", []byte("alpha 2")) // Put replaces
	})
	t.Run("Miss", func(t *testing.T) {
		st := newStore(t)
		v, ok, err := st.Get(context.Background(), "absent")
		if v != nil || ok || err != nil {
			t.Fatalf("Get(absent) = %q, %v, %v; want nil, false, nil", v, ok, err)
		}
	})
	t.Run("BinaryKeysAndValues", func(t *testing.T) {
		// Session IDs are raw bytes, NULs and all.
		st := newStore(t)
		key := string([]byte{0, 1, 0xff, '\n', ' ', 0})
		val := []byte{0, 0xff, 0, '\r', '\n'}
		mustPut(t, st, key, val, time.Minute)
		mustGet(t, st, key, val)
		mustMiss(t, st, key[:len(key)-1])
	})
	t.Run("EmptyValue", func(t *testing.T) {
		st := newStore(t)
		mustPut(t, st, "empty", nil, time.Minute)
		v, ok, err := st.Get(context.Background(), "empty")
		if err != nil || !ok || v == nil || len(v) != 0 {
			t.Fatalf("Get(empty) = %q (nil %v), %v, %v; want a non-nil empty hit", v, v == nil, ok, err)
		}
	})
	t.Run("ValuesAreCopied", func(t *testing.T) {
		st := newStore(t)
		in := []byte("session")
		mustPut(t, st, "k", in, time.Minute)
		in[0] = 'X'
		out := mustGet(t, st, "k", []byte("session"))
		out[0] = 'Y'
		mustGet(t, st, "k", []byte("session"))
	})
}

// runOperations checks Delete and Add, alone and racing.
func runOperations(t *testing.T, newStore func(t *testing.T) sessions.Store) {
	t.Run("Delete", func(t *testing.T) {
		st, ctx := newStore(t), context.Background()
		mustPut(t, st, "d", []byte("v"), time.Minute)
		if err := st.Delete(ctx, "d"); err != nil {
			t.Fatal(err)
		}
		mustMiss(t, st, "d")
		if err := st.Delete(ctx, "never there"); err != nil {
			t.Fatalf("Delete(missing) = %v, want nil", err)
		}
	})
	t.Run("Add", func(t *testing.T) {
		st := newStore(t)
		mustAdd(t, st, "k", []byte("first"), time.Minute, true)
		mustAdd(t, st, "k", []byte("second"), time.Minute, false)
		mustGet(t, st, "k", []byte("first")) // a lost Add changes nothing
		if err := st.Delete(context.Background(), "k"); err != nil {
			t.Fatal(err)
		}
		mustAdd(t, st, "k", []byte("third"), time.Minute, true)
		mustGet(t, st, "k", []byte("third"))
	})
	t.Run("AddRace", func(t *testing.T) {
		// Many servers adding one ticket key at once: exactly one wins.
		st := newStore(t)
		const n = 16
		var wg sync.WaitGroup
		won := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				won[i], errs[i] = st.Add(context.Background(), "race", fmt.Appendf(nil, "v%d", i), time.Minute)
			})
		}
		wg.Wait()
		winners := 0
		winner := -1
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("Add #%d: %v", i, errs[i])
			}
			if won[i] {
				winners++
				winner = i
			}
		}
		if winners != 1 {
			t.Fatalf("%d of %d concurrent Adds won, want exactly 1", winners, n)
		}
		mustGet(t, st, "race", fmt.Appendf(nil, "v%d", winner))
	})
}

// runRefusals checks that a bad TTL and a cancelled context are refused,
// and that entries expire.
func runRefusals(t *testing.T, newStore func(t *testing.T) sessions.Store) {
	t.Run("BadTTL", func(t *testing.T) {
		st, ctx := newStore(t), context.Background()
		for _, ttl := range []time.Duration{0, -time.Second} {
			if err := st.Put(ctx, "k", []byte("v"), ttl); !errors.Is(err, sessions.ErrTTL) {
				t.Errorf("Put(ttl %v) = %v, want ErrTTL", ttl, err)
			}
			if _, err := st.Add(ctx, "k", []byte("v"), ttl); !errors.Is(err, sessions.ErrTTL) {
				t.Errorf("Add(ttl %v) = %v, want ErrTTL", ttl, err)
			}
		}
		mustMiss(t, st, "k")
	})
	t.Run("CancelledContext", func(t *testing.T) {
		st := newStore(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := st.Put(ctx, "k", []byte("v"), time.Minute); err == nil {
			t.Error("Put with a cancelled context succeeded")
		}
		if _, err := st.Add(ctx, "k", []byte("v"), time.Minute); err == nil {
			t.Error("Add with a cancelled context succeeded")
		}
		if _, _, err := st.Get(ctx, "k"); err == nil {
			t.Error("Get with a cancelled context succeeded")
		}
		if err := st.Delete(ctx, "k"); err == nil {
			t.Error("Delete with a cancelled context succeeded")
		}
	})
	t.Run("TTL", func(t *testing.T) {
		st, ctx := newStore(t), context.Background()
		start := time.Now()
		mustPut(t, st, "put", []byte("p"), ShortTTL)
		mustAdd(t, st, "add", []byte("a"), ShortTTL, true)
		mustPut(t, st, "long", []byte("l"), time.Minute)
		// Still there well before the TTL (skip the check if this machine
		// was too slow to make it in time; the expiry check still runs).
		if time.Since(start) < ShortTTL/2 {
			mustGet(t, st, "put", []byte("p"))
			mustGet(t, st, "add", []byte("a"))
		}
		time.Sleep(time.Until(start.Add(ShortTTL + ShortTTL/2)))
		mustMiss(t, st, "put")
		mustMiss(t, st, "add")
		mustGet(t, st, "long", []byte("l"))
		// An expired key is absent for Add.
		ok, err := st.Add(ctx, "add", []byte("again"), time.Minute)
		if err != nil || !ok {
			t.Fatalf("Add after expiry = %v, %v; want true, nil", ok, err)
		}
		mustGet(t, st, "add", []byte("again"))
	})
}

func mustPut(t *testing.T, st sessions.Store, key string, v []byte, ttl time.Duration) {
	t.Helper()
	if err := st.Put(context.Background(), key, v, ttl); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func mustAdd(t *testing.T, st sessions.Store, key string, v []byte, ttl time.Duration, want bool) {
	t.Helper()
	ok, err := st.Add(context.Background(), key, v, ttl)
	if err != nil || ok != want {
		t.Fatalf("Add(%q) = %v, %v; want %v, nil", key, ok, err, want)
	}
}

func mustGet(t *testing.T, st sessions.Store, key string, want []byte) []byte {
	t.Helper()
	v, ok, err := st.Get(context.Background(), key)
	if err != nil || !ok || !bytes.Equal(v, want) {
		t.Fatalf("Get(%q) = %q, %v, %v; want %q, true, nil", key, v, ok, err, want)
	}
	return v
}

func mustMiss(t *testing.T, st sessions.Store, key string) {
	t.Helper()
	v, ok, err := st.Get(context.Background(), key)
	if v != nil || ok || err != nil {
		t.Fatalf("Get(%q) = %q, %v, %v; want a miss (nil, false, nil)", key, v, ok, err)
	}
}
