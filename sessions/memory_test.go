package sessions_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/sessions"
	"github.com/clasp-tls/clasp/sessions/storetest"
)

func TestMemoryStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sessions.Store {
		return sessions.NewMemoryStore(sessions.MemoryOptions{})
	})
}

// fakeClock is an injected clock for TTL tests. Not safe for concurrent use;
// the concurrency test uses the real clock.
type fakeClock struct{ now time.Time }

func newFakeClock() *fakeClock                     { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }
func (c *fakeClock) Now() time.Time                { return c.now }
func (c *fakeClock) Advance(d time.Duration)       { c.now = c.now.Add(d) }
func put(t *testing.T, s sessions.Store, k string) { putTTL(t, s, k, time.Hour) }

func putTTL(t *testing.T, s sessions.Store, k string, ttl time.Duration) {
	t.Helper()
	if err := s.Put(context.Background(), k, []byte("v:"+k), ttl); err != nil {
		t.Fatal(err)
	}
}

// present reports which of keys are hits, failing on any error or on a hit
// with the wrong value.
func present(t *testing.T, s sessions.Store, keys ...string) []string {
	t.Helper()
	var hit []string
	for _, k := range keys {
		v, ok, err := s.Get(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			if !bytes.Equal(v, []byte("v:"+k)) {
				t.Fatalf("Get(%q) = %q", k, v)
			}
			hit = append(hit, k)
		}
	}
	return hit
}

func TestMemoryLRUEvictionOrder(t *testing.T) {
	s := sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 3})
	put(t, s, "a")
	put(t, s, "b")
	put(t, s, "c")
	// Reading a makes b the least recently used.
	if got := present(t, s, "a"); len(got) != 1 {
		t.Fatal("a missing before any eviction")
	}
	put(t, s, "d") // evicts b
	if got := fmt.Sprint(present(t, s, "b")); got != "[]" {
		t.Fatalf("b should have been evicted, got %s", got)
	}
	// Oldest first the order is now c, a, d; overwriting c makes it the
	// newest.
	put(t, s, "c") // order a, d, c
	put(t, s, "e") // evicts a
	if got := fmt.Sprint(present(t, s, "a", "c", "d", "e")); got != "[c d e]" {
		t.Fatalf("after evicting a: present %s, want [c d e]", got)
	}
	if s.Len() != 3 {
		t.Fatalf("Len = %d, want 3", s.Len())
	}
}

func TestMemorySizeLimit(t *testing.T) {
	s := sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 100})
	var keys []string
	for i := range 1000 {
		k := fmt.Sprint(i)
		keys = append(keys, k)
		put(t, s, k)
		if s.Len() > 100 {
			t.Fatalf("Len = %d after %d puts, over MaxEntries 100", s.Len(), i+1)
		}
	}
	if got := present(t, s, keys...); len(got) != 100 || got[0] != "900" || got[99] != "999" {
		t.Fatalf("present: %d keys %v..., want the last 100 (900..999)", len(got), got[:min(3, len(got))])
	}
}

func TestMemoryDefaultMaxEntries(t *testing.T) {
	s := sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: -1})
	for i := range sessions.DefaultMaxEntries + 10 {
		put(t, s, fmt.Sprint(i))
	}
	if s.Len() != sessions.DefaultMaxEntries {
		t.Fatalf("Len = %d, want DefaultMaxEntries %d", s.Len(), sessions.DefaultMaxEntries)
	}
}

func TestMemoryTTLInjectedClock(t *testing.T) {
	clk := newFakeClock()
	s := sessions.NewMemoryStore(sessions.MemoryOptions{Now: clk.Now})
	putTTL(t, s, "short", 10*time.Second)
	putTTL(t, s, "long", time.Hour)
	clk.Advance(10*time.Second - time.Nanosecond)
	if got := fmt.Sprint(present(t, s, "short", "long")); got != "[short long]" {
		t.Fatalf("just before the TTL: %s", got)
	}
	// Reading does not extend the TTL (it is not a sliding expiry).
	clk.Advance(time.Nanosecond)
	if got := fmt.Sprint(present(t, s, "short", "long")); got != "[long]" {
		t.Fatalf("at the TTL: %s, want [long]", got)
	}
	// The expired entry was removed by the read, not just hidden.
	if s.Len() != 1 {
		t.Fatalf("Len = %d after reading an expired entry, want 1", s.Len())
	}
	// Put refreshes the TTL.
	clk.Advance(59 * time.Minute)
	putTTL(t, s, "long", time.Hour)
	clk.Advance(30 * time.Minute)
	if got := fmt.Sprint(present(t, s, "long")); got != "[long]" {
		t.Fatal("Put did not refresh the TTL")
	}
}

func TestMemoryAddInjectedClock(t *testing.T) {
	clk := newFakeClock()
	s := sessions.NewMemoryStore(sessions.MemoryOptions{Now: clk.Now})
	ctx := context.Background()
	add := func(v string) bool {
		ok, err := s.Add(ctx, "k", []byte(v), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !add("one") || add("two") {
		t.Fatal("Add on an absent key must win and on a present key lose")
	}
	clk.Advance(time.Minute - time.Nanosecond)
	if add("three") {
		t.Fatal("Add won over an entry not yet expired")
	}
	clk.Advance(time.Nanosecond)
	if !add("four") {
		t.Fatal("Add lost to an expired entry")
	}
	v, _, _ := s.Get(ctx, "k")
	if string(v) != "four" {
		t.Fatalf("Get = %q, want four", v)
	}
}

func TestMemorySweepOnPut(t *testing.T) {
	clk := newFakeClock()
	s := sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 1000, Now: clk.Now})
	for i := range 40 {
		putTTL(t, s, fmt.Sprint("dead", i), time.Second)
	}
	clk.Advance(2 * time.Second)
	put(t, s, "live")
	// One Put examines a bounded number of the least recently used entries
	// (16), so 40 expired entries take three Puts to clear.
	if s.Len() != 41-16 {
		t.Fatalf("Len = %d after one Put, want %d (16 swept)", s.Len(), 41-16)
	}
	put(t, s, "live2")
	put(t, s, "live3")
	if s.Len() != 3 {
		t.Fatalf("Len = %d after three Puts, want 3 (all expired swept)", s.Len())
	}
}

func TestMemoryExpiredGoBeforeLive(t *testing.T) {
	// A full store drops its expired entries before evicting live ones.
	clk := newFakeClock()
	s := sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 3, Now: clk.Now})
	putTTL(t, s, "dies", time.Second)
	put(t, s, "b")
	put(t, s, "c")
	clk.Advance(2 * time.Second)
	put(t, s, "d")
	if got := fmt.Sprint(present(t, s, "b", "c", "d")); got != "[b c d]" {
		t.Fatalf("present %s, want [b c d]: a live entry was evicted while an expired one stayed", got)
	}
}

// TestMemoryConcurrent hammers one small store from many goroutines; its
// value is under the race detector (go test -race ./sessions/...).
func TestMemoryConcurrent(t *testing.T) {
	s := sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 32})
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 0))
			for range 2000 {
				k := fmt.Sprint(r.IntN(64))
				var err error
				switch r.IntN(4) {
				case 0:
					err = s.Put(ctx, k, []byte("v:"+k), time.Duration(1+r.IntN(1000))*time.Microsecond)
				case 1:
					_, err = s.Add(ctx, k, []byte("v:"+k), time.Hour)
				case 2:
					var v []byte
					var ok bool
					v, ok, err = s.Get(ctx, k)
					if ok && string(v) != "v:"+k {
						t.Errorf("Get(%q) = %q", k, v)
					}
				case 3:
					err = s.Delete(ctx, k)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if s.Len() > 32 {
		t.Fatalf("Len = %d, over MaxEntries 32", s.Len())
	}
}
