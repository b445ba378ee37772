// Package redisstore is a sessions.Store over Redis, so that every server
// of a fleet behind a load balancer shares one session cache and one set of
// ticket keys.
//
// Values are stored as plain Redis strings under a key prefix: SET key value
// PX ttl for Put, SET NX PX for Add, GET and DEL (go-redis writes EX instead
// of PX for a whole number of seconds). Redis holds them in the
// clear, so wrap the Store in a sessions.SealedStore (the TLS code seals
// sessions itself) before giving it master secrets.
//
// Redis being slow or down must cost a resumption, never a connection: every
// failure (refused connection, timeout, cancelled context) is returned as an
// error, promptly, and the TLS code falls back to a full handshake. Dial sets
// short timeouts for that; a client given to New should have them too.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clasp-tls/clasp/sessions"
)

// Defaults Dial applies when the URL does not set them. A resumption that
// waits longer than this on the store has already lost to a full handshake
// (a few milliseconds of CPU), so there is no point waiting longer.
const (
	DefaultDialTimeout = 500 * time.Millisecond
	DefaultIOTimeout   = 500 * time.Millisecond
)

// Store is a sessions.Store over a Redis client. It is safe for concurrent
// use, as the client is.
type Store struct {
	client redis.UniversalClient
	prefix string
}

var _ sessions.Store = (*Store)(nil)

// New returns a Store that keeps its entries in client under keys starting
// with prefix (e.g. "clasp:"), so that several uses can share one database.
//
// The Store honours the context of each call only as far as the client
// does: give the client ContextTimeoutEnabled and short Dial/Read/Write
// timeouts, as Dial does, or an unreachable Redis can hold a handshake for
// go-redis's default five seconds and retries.
func New(client redis.UniversalClient, prefix string) *Store {
	return &Store{client: client, prefix: prefix}
}

// Dial connects to the Redis named by url, redis://[user:password@]HOST:PORT/DB
// (rediss:// for TLS). go-redis's query parameters (dial_timeout,
// read_timeout, max_retries, ...) override the defaults set here:
// DefaultDialTimeout, DefaultIOTimeout for reads, writes and waiting for a
// pooled connection, one dial attempt per operation, one retry, and context
// deadlines honoured. Keys get the prefix "clasp:".
//
// Dial does not contact the server: a Redis that is down now may be up by
// the first handshake, and the store must not keep a server from starting.
func Dial(url string) (*Store, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisstore: %w", err)
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = DefaultIOTimeout
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = DefaultIOTimeout
	}
	if opts.PoolTimeout == 0 {
		opts.PoolTimeout = DefaultIOTimeout
	}
	// go-redis otherwise dials five times with backoff inside one
	// operation; against a Redis that is down that turns one refused
	// connection into half a second per handshake.
	opts.DialerRetries = 1
	if opts.MaxRetries == 0 {
		// One retry covers a pooled connection that Redis closed (a
		// restart) without doubling the wait on a Redis that hangs.
		opts.MaxRetries = 1
	}
	opts.ContextTimeoutEnabled = true
	return New(redis.NewClient(opts), "clasp:"), nil
}

// Close closes the client, including one passed to New.
func (s *Store) Close() error { return s.client.Close() }

// Put stores value under key for ttl (SET key value PX ttl).
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return sessions.ErrTTL
	}
	if err := s.client.Set(ctx, s.prefix+key, value, pxTTL(ttl)).Err(); err != nil {
		return fmt.Errorf("redisstore: put: %w", err)
	}
	return nil
}

// Add stores value under key for ttl if the key is absent (SET NX PX).
// Redis runs it atomically, so of several servers adding one key at once
// exactly one wins.
func (s *Store) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, sessions.ErrTTL
	}
	ok, err := s.client.SetNX(ctx, s.prefix+key, value, pxTTL(ttl)).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: add: %w", err)
	}
	return ok, nil
}

// Get returns the value under key (GET); a missing key is a miss.
func (s *Store) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, err := s.client.Get(ctx, s.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("redisstore: get: %w", err)
	}
	return v, true, nil
}

// Delete removes key (DEL).
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.client.Del(ctx, s.prefix+key).Err(); err != nil {
		return fmt.Errorf("redisstore: delete: %w", err)
	}
	return nil
}

// pxTTL rounds ttl up to whole milliseconds, Redis's PX resolution. Rounding
// down would end values early, and would make a sub-millisecond TTL zero,
// which go-redis sends as a SET with no expiry at all.
func pxTTL(ttl time.Duration) time.Duration {
	return (ttl + time.Millisecond - 1).Truncate(time.Millisecond)
}
