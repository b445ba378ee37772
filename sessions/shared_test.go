package sessions_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/clasp-tls/clasp/sessions"
)

// barrierStore holds every caller's first Get until n callers have made
// one, so that n SharedSecret calls all see the key absent and all race to
// Add it: the case that matters when a fleet starts at once.
type barrierStore struct {
	sessions.Store
	mu      sync.Mutex
	waiting int
	n       int
	release chan struct{}
	seen    map[string]bool // per caller id in ctx
}

type callerKey struct{}

func newBarrierStore(inner sessions.Store, n int) *barrierStore {
	return &barrierStore{Store: inner, n: n, release: make(chan struct{}), seen: map[string]bool{}}
}

func (b *barrierStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, ok, err := b.Store.Get(ctx, key)
	id := ctx.Value(callerKey{}).(string)
	b.mu.Lock()
	first := !b.seen[id]
	b.seen[id] = true
	if first {
		b.waiting++
		if b.waiting == b.n {
			close(b.release)
		}
	}
	b.mu.Unlock()
	if first {
		<-b.release
	}
	return v, ok, err
}

func TestSharedSecretRace(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) sessions.Store
	}{
		{"memory", func(t *testing.T) sessions.Store {
			return sessions.NewMemoryStore(sessions.MemoryOptions{})
		}},
		{"sealed", func(t *testing.T) sessions.Store {
			return sessions.NewSealedStore(sessions.NewMemoryStore(sessions.MemoryOptions{}), newSealer(t, fleetKey, "tickets"), nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, n := range []int{2, 8} {
				st := newBarrierStore(tc.store(t), n)
				got := make([][]byte, n)
				errs := make([]error, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						ctx := context.WithValue(context.Background(), callerKey{}, string(rune('a'+i)))
						got[i], errs[i] = sessions.SharedSecret(ctx, st, "ticket-base", 32, rand.Reader)
					})
				}
				wg.Wait()
				for i := range n {
					if errs[i] != nil {
						t.Fatalf("n=%d caller %d: %v", n, i, errs[i])
					}
					if len(got[i]) != 32 || !bytes.Equal(got[i], got[0]) {
						t.Fatalf("n=%d: caller %d got %x, caller 0 got %x", n, i, got[i], got[0])
					}
				}
			}
		})
	}
}

// errReader fails if read: the value already exists, so none is made.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("rand should not be read") }

func TestSharedSecretExisting(t *testing.T) {
	st := sessions.NewMemoryStore(sessions.MemoryOptions{})
	ctx := context.Background()
	first, err := sessions.SharedSecret(ctx, st, "k", 16, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	again, err := sessions.SharedSecret(ctx, st, "k", 16, errReader{})
	if err != nil || !bytes.Equal(first, again) {
		t.Fatalf("second call = %x, %v; want %x", again, err, first)
	}
	// It is stored for SharedSecretTTL, not forever.
	clk := newFakeClock()
	st = sessions.NewMemoryStore(sessions.MemoryOptions{Now: clk.Now})
	first, _ = sessions.SharedSecret(ctx, st, "k", 16, rand.Reader)
	clk.Advance(sessions.SharedSecretTTL)
	renewed, err := sessions.SharedSecret(ctx, st, "k", 16, rand.Reader)
	if err != nil || bytes.Equal(first, renewed) {
		t.Fatalf("after SharedSecretTTL: %x, %v; want a new value", renewed, err)
	}
}

func TestSharedSecretErrors(t *testing.T) {
	ctx := context.Background()

	st := sessions.NewMemoryStore(sessions.MemoryOptions{})
	if _, err := sessions.SharedSecret(ctx, st, "k", 32, rand.Reader); err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.SharedSecret(ctx, st, "k", 16, rand.Reader); !errors.Is(err, sessions.ErrSharedSecret) {
		t.Errorf("asking for another size: %v, want ErrSharedSecret", err)
	}
	if _, err := sessions.SharedSecret(ctx, st, "k2", 0, rand.Reader); err == nil {
		t.Error("size 0 accepted")
	}

	// Another fleet's value is present to Add and a miss to Get: an error,
	// not a loop and not an overwrite.
	inner := sessions.NewMemoryStore(sessions.MemoryOptions{})
	theirs := sessions.NewSealedStore(inner, newSealer(t, otherKey, "tickets"), nil)
	ours := sessions.NewSealedStore(inner, newSealer(t, fleetKey, "tickets"), nil)
	theirValue, err := sessions.SharedSecret(ctx, theirs, "k", 32, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.SharedSecret(ctx, ours, "k", 32, rand.Reader); !errors.Is(err, sessions.ErrSharedSecret) {
		t.Errorf("foreign entry: %v, want ErrSharedSecret", err)
	}
	if v, _ := sessions.SharedSecret(ctx, theirs, "k", 32, errReader{}); !bytes.Equal(v, theirValue) {
		t.Error("the other fleet's value was overwritten")
	}

	if _, err := sessions.SharedSecret(ctx, sessions.NewMemoryStore(sessions.MemoryOptions{}), "k", 32, io.LimitReader(rand.Reader, 8)); err == nil {
		t.Error("a short rand read was accepted")
	}

	down := errors.New("connection refused")
	if _, err := sessions.SharedSecret(ctx, failingStore{down}, "k", 32, rand.Reader); !errors.Is(err, down) {
		t.Errorf("store error: %v, want it passed through", err)
	}
}
