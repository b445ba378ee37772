package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clasp-tls/clasp/sessions"
	"github.com/clasp-tls/clasp/sessions/redisstore"
	"github.com/clasp-tls/clasp/sessions/storetest"
)

// prefixes makes each contract subtest's store see only its own keys on the
// one shared server.
var prefixes atomic.Int64

// rawClient talks to the test server directly, to check what the Store
// wrote.
func rawClient(t *testing.T, srv *redisServer) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), DialerRetries: 1, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func dial(t *testing.T, url string) *redisstore.Store {
	t.Helper()
	st, err := redisstore.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestContract(t *testing.T) {
	srv := startRedis(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true})
	t.Cleanup(func() { client.Close() })
	storetest.Run(t, func(t *testing.T) sessions.Store {
		return redisstore.New(client, fmt.Sprintf("test%d:", prefixes.Add(1)))
	})
}

// TestSealedContract runs the contract through a SealedStore over Redis, the
// way a fleet uses it.
func TestSealedContract(t *testing.T) {
	srv := startRedis(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true})
	t.Cleanup(func() { client.Close() })
	sealer, err := sessions.NewSealer(bytes.Repeat([]byte{1}, 32), "test")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T) sessions.Store {
		inner := redisstore.New(client, fmt.Sprintf("sealed%d:", prefixes.Add(1)))
		return sessions.NewSealedStore(inner, sealer, nil)
	})
}

func TestDialWritesWithPrefixAndTTL(t *testing.T) {
	srv := startRedis(t)
	st := dial(t, srv.URL(3))
	raw := rawClient(t, srv)
	ctx := context.Background()
	if err := st.Put(ctx, "id\x00", []byte("v"), 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// The URL's database is used, under the "clasp:" prefix, with the TTL
	// given in milliseconds.
	raw3 := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: 3})
	defer raw3.Close()
	v, err := raw3.Get(ctx, "clasp:id\x00").Result()
	if err != nil || v != "v" {
		t.Fatalf("raw GET = %q, %v", v, err)
	}
	pttl, err := raw3.PTTL(ctx, "clasp:id\x00").Result()
	if err != nil || pttl <= time.Second || pttl > 1500*time.Millisecond {
		t.Fatalf("PTTL = %v, %v; want just under 1.5s", pttl, err)
	}
	if n, _ := raw.DBSize(ctx).Result(); n != 0 {
		t.Fatalf("database 0 has %d keys, want the store's key in database 3 only", n)
	}
	// A sub-millisecond TTL rounds up to Redis's 1 ms, not down to "no
	// expiry".
	if err := st.Put(ctx, "tiny", []byte("v"), time.Microsecond); err != nil {
		t.Fatal(err)
	}
	if pttl, _ := raw3.PTTL(ctx, "clasp:tiny").Result(); pttl == -1 {
		t.Fatal("a sub-millisecond TTL was stored with no expiry")
	}
}

func TestDialBadURL(t *testing.T) {
	for _, url := range []string{"http://127.0.0.1:6379/0", "redis://127.0.0.1:6379/notadb", "redis://127.0.0.1:6379/0?bogus=1"} {
		if _, err := redisstore.Dial(url); err == nil {
			t.Errorf("Dial(%q) succeeded", url)
		}
	}
}

// within runs op and fails the test if it takes longer than limit; it
// returns op's error.
func within(t *testing.T, limit time.Duration, what string, op func() error) error {
	t.Helper()
	start := time.Now()
	err := op()
	d := time.Since(start)
	t.Logf("%s: %v after %v", what, err, d.Round(time.Millisecond))
	if d > limit {
		t.Errorf("%s took %v, want under %v", what, d.Round(time.Millisecond), limit)
	}
	return err
}

// allFail checks that every operation fails, promptly, with an error (not a
// miss, not a hang).
func allFail(t *testing.T, st sessions.Store, limit time.Duration) {
	t.Helper()
	ctx := context.Background()
	if err := within(t, limit, "Put", func() error { return st.Put(ctx, "k", []byte("v"), time.Minute) }); err == nil {
		t.Error("Put succeeded with Redis unavailable")
	}
	if err := within(t, limit, "Add", func() error { _, err := st.Add(ctx, "k", []byte("v"), time.Minute); return err }); err == nil {
		t.Error("Add succeeded with Redis unavailable")
	}
	if err := within(t, limit, "Get", func() error {
		_, ok, err := st.Get(ctx, "k")
		if err == nil && !ok {
			return nil // a miss hides the outage: the caller must see an error
		}
		return err
	}); err == nil {
		t.Error("Get returned no error with Redis unavailable")
	}
	if err := within(t, limit, "Delete", func() error { return st.Delete(ctx, "k") }); err == nil {
		t.Error("Delete succeeded with Redis unavailable")
	}
}

// eventually retries a Put until Redis is back, bounded by limit.
func eventually(t *testing.T, st sessions.Store, limit time.Duration) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(limit)
	var err error
	for time.Now().Before(deadline) {
		if err = st.Put(ctx, "back", []byte("again"), time.Minute); err == nil {
			v, ok, err := st.Get(ctx, "back")
			if err != nil || !ok || string(v) != "again" {
				t.Fatalf("Get after recovery = %q, %v, %v", v, ok, err)
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("store did not recover within %v: %v", limit, err)
}

// TestRedisStoppedAndRestarted: a Redis that dies in the middle makes every
// operation fail fast with an error; once it is back, the same Store works
// again without being recreated.
func TestRedisStoppedAndRestarted(t *testing.T) {
	srv := startRedis(t)
	st := dial(t, srv.URL(0))
	ctx := context.Background()
	if err := st.Put(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	// Connection refused on loopback: well under the dial timeout.
	allFail(t, st, time.Second)
	srv.Restart()
	// go-redis may take up to a second to trust the address again after a
	// run of failed dials.
	eventually(t, st, 3*time.Second)
	// Persistence is off, so what was there before is gone: a miss, not an
	// error.
	if _, ok, err := st.Get(ctx, "k"); ok || err != nil {
		t.Fatalf("Get(k) after restart = %v, %v; want a miss", ok, err)
	}
}

// TestRedisHung: a Redis that accepts connections but never answers makes
// operations time out after the read timeout, not hang.
func TestRedisHung(t *testing.T) {
	srv := startRedis(t)
	st := dial(t, srv.URL(0))
	ctx := context.Background()
	if err := st.Put(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	srv.Pause()
	// Read timeout 500 ms, one retry: about a second at most.
	allFail(t, st, 2*time.Second)

	// A shorter context deadline wins over the store's timeouts.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	err := within(t, 400*time.Millisecond, "Get with a 100ms context", func() error {
		_, _, err := st.Get(short, "k")
		return err
	})
	if err == nil {
		t.Error("Get with an expiring context succeeded against a hung Redis")
	}

	srv.Resume()
	eventually(t, st, 3*time.Second)
	if v, ok, err := st.Get(ctx, "k"); !ok || err != nil || string(v) != "v" {
		t.Fatalf("Get(k) after resuming = %q, %v, %v", v, ok, err)
	}
}

// TestRedisNeverUp: Dial does not need the server, and a store whose Redis
// was never there fails each operation with an error.
func TestRedisNeverUp(t *testing.T) {
	st := dial(t, "redis://127.0.0.1:1/0")
	allFail(t, st, time.Second)
	_, _, err := st.Get(context.Background(), "k")
	var netErr interface{ Timeout() bool }
	if err == nil || errors.As(err, &netErr) && netErr.Timeout() {
		t.Fatalf("Get = %v, want a connection error", err)
	}
}
