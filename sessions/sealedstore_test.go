package sessions_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/sessions"
	"github.com/clasp-tls/clasp/sessions/storetest"
)

func TestSealedStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sessions.Store {
		inner := sessions.NewMemoryStore(sessions.MemoryOptions{})
		return sessions.NewSealedStore(inner, newSealer(t, fleetKey, "test"), nil)
	})
}

// sealedFixture is a SealedStore over a memory store the test can read and
// write behind its back, logging into buf.
type sealedFixture struct {
	inner  *sessions.MemoryStore
	sealed *sessions.SealedStore
	buf    bytes.Buffer
}

func newSealedFixture(t testing.TB, key []byte) *sealedFixture {
	f := &sealedFixture{inner: sessions.NewMemoryStore(sessions.MemoryOptions{})}
	log := slog.New(slog.NewTextHandler(&f.buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.sealed = sessions.NewSealedStore(f.inner, newSealer(t, key, "test"), log)
	return f
}

func (f *sealedFixture) raw(t *testing.T, key string) []byte {
	t.Helper()
	v, ok, err := f.inner.Get(context.Background(), key)
	if err != nil || !ok {
		t.Fatalf("inner Get(%q) = %v, %v", key, ok, err)
	}
	return v
}

func (f *sealedFixture) putRaw(t *testing.T, key string, v []byte) {
	t.Helper()
	if err := f.inner.Put(context.Background(), key, v, time.Hour); err != nil {
		t.Fatal(err)
	}
}

func TestSealedStoreEncrypts(t *testing.T) {
	f := newSealedFixture(t, fleetKey)
	ctx := context.Background()
	if err := f.sealed.Put(ctx, "id1", secretVal, time.Hour); err != nil {
		t.Fatal(err)
	}
	if raw := f.raw(t, "id1"); bytes.Contains(raw, secretVal[:8]) {
		t.Fatal("the inner store holds the plaintext")
	}
	if ok, err := f.sealed.Add(ctx, "id2", secretVal, time.Hour); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if raw := f.raw(t, "id2"); bytes.Contains(raw, secretVal[:8]) {
		t.Fatal("Add put the plaintext in the inner store")
	}
}

// TestSealedStoreUnusableIsMiss writes each kind of bad entry straight into
// the inner store and checks that the SealedStore reads a miss and logs why.
func TestSealedStoreUnusableIsMiss(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		reason string
		setup  func(t *testing.T, f *sealedFixture)
	}{
		{"garbage", "corrupt", func(t *testing.T, f *sealedFixture) {
			f.putRaw(t, "k", []byte{sessions.SealVersion, 'n', 'o', 't', ' ', 's', 'e', 'a', 'l', 'e', 'd'})
		}},
		{"empty", "corrupt", func(t *testing.T, f *sealedFixture) { f.putRaw(t, "k", nil) }},
		{"truncated", "corrupt", func(t *testing.T, f *sealedFixture) {
			f.putRaw(t, "k", f.raw(t, "good")[:20])
		}},
		{"flipped bit", "auth", func(t *testing.T, f *sealedFixture) {
			v := f.raw(t, "good")
			v[len(v)-5] ^= 4
			f.putRaw(t, "k", v)
		}},
		{"moved from another key", "auth", func(t *testing.T, f *sealedFixture) {
			f.putRaw(t, "k", f.raw(t, "good"))
		}},
		{"other fleet", "foreign", func(t *testing.T, f *sealedFixture) {
			other := sessions.NewSealedStore(f.inner, newSealer(t, otherKey, "test"), nil)
			if err := other.Put(ctx, "k", secretVal, time.Hour); err != nil {
				t.Fatal(err)
			}
		}},
		{"unknown version", "version", func(t *testing.T, f *sealedFixture) {
			v := f.raw(t, "good")
			v[0] = 99
			f.putRaw(t, "k", v)
		}},
		{"sealed without a deadline", "corrupt", func(t *testing.T, f *sealedFixture) {
			// Authentic, but written by a bare Sealer, not a SealedStore.
			v, _ := newSealer(t, fleetKey, "test").Seal("k", []byte("short"))
			f.putRaw(t, "k", v)
		}},
		{"past its deadline", "expired", func(t *testing.T, f *sealedFixture) {
			// The inner store kept the value beyond its TTL (as a Redis
			// key after PERSIST would): its sealed deadline still holds.
			clock := time.Now()
			sessions.SetSealedStoreClock(f.sealed, func() time.Time { return clock })
			if err := f.sealed.Put(ctx, "k", secretVal, time.Minute); err != nil {
				t.Fatal(err)
			}
			f.putRaw(t, "k", f.raw(t, "k"))                   // an hour in the inner store
			clock = clock.Add(time.Minute + time.Millisecond) // the deadline is rounded up to a millisecond
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newSealedFixture(t, fleetKey)
			if err := f.sealed.Put(ctx, "good", secretVal, time.Hour); err != nil {
				t.Fatal(err)
			}
			tc.setup(t, f)
			f.buf.Reset()
			v, ok, err := f.sealed.Get(ctx, "k")
			if v != nil || ok || err != nil {
				t.Fatalf("Get = %q, %v, %v; want a miss", v, ok, err)
			}
			log := f.buf.String()
			if !strings.Contains(log, "reason="+tc.reason) || !strings.Contains(log, "key=k") {
				t.Fatalf("log %q does not give key=k reason=%s", log, tc.reason)
			}
			// The good entry beside it is unaffected.
			if v, ok, err := f.sealed.Get(ctx, "good"); !ok || err != nil || !bytes.Equal(v, secretVal) {
				t.Fatalf("Get(good) = %q, %v, %v", v, ok, err)
			}
		})
	}
}

func TestSealedStoreDeadlineBoundary(t *testing.T) {
	ctx := context.Background()
	clock := time.UnixMilli(1_700_000_000_000)
	now := func() time.Time { return clock }
	// The inner store's clock stands still, so its own TTL never runs out
	// and only the sealed deadline is under test.
	frozen := clock
	inner := sessions.NewMemoryStore(sessions.MemoryOptions{Now: func() time.Time { return frozen }})
	st := sessions.NewSealedStore(inner, newSealer(t, fleetKey, "test"), nil)
	sessions.SetSealedStoreClock(st, now)
	// A sub-millisecond TTL rounds up, so the value is usable when written.
	if err := st.Put(ctx, "k", secretVal, time.Microsecond); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.Get(ctx, "k"); !ok {
		t.Fatal("a value with a sub-millisecond TTL was expired at once")
	}
	clock = clock.Add(time.Millisecond)
	if _, ok, _ := st.Get(ctx, "k"); ok {
		t.Fatal("a value was still usable at its deadline")
	}
}

func TestSealedStoreBinaryKeyLogged(t *testing.T) {
	f := newSealedFixture(t, fleetKey)
	f.putRaw(t, "\x00\xff", []byte("junk"))
	f.sealed.Get(context.Background(), "\x00\xff")
	if !strings.Contains(f.buf.String(), "key=hex:00ff") {
		t.Fatalf("binary key not logged as hex: %q", f.buf.String())
	}
}

// failingStore fails every operation, as a store whose Redis is down does.
type failingStore struct{ err error }

func (s failingStore) Put(context.Context, string, []byte, time.Duration) error { return s.err }
func (s failingStore) Add(context.Context, string, []byte, time.Duration) (bool, error) {
	return false, s.err
}
func (s failingStore) Get(context.Context, string) ([]byte, bool, error) { return nil, false, s.err }
func (s failingStore) Delete(context.Context, string) error              { return s.err }

func TestSealedStorePassesStoreErrors(t *testing.T) {
	down := errors.New("connection refused")
	st := sessions.NewSealedStore(failingStore{down}, newSealer(t, fleetKey, "test"), nil)
	ctx := context.Background()
	if _, _, err := st.Get(ctx, "k"); !errors.Is(err, down) {
		t.Errorf("Get: %v", err)
	}
	if err := st.Put(ctx, "k", nil, time.Hour); !errors.Is(err, down) {
		t.Errorf("Put: %v", err)
	}
	if _, err := st.Add(ctx, "k", nil, time.Hour); !errors.Is(err, down) {
		t.Errorf("Add: %v", err)
	}
	if err := st.Delete(ctx, "k"); !errors.Is(err, down) {
		t.Errorf("Delete: %v", err)
	}
}
