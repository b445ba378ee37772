// Package sessions stores serialised TLS sessions and shared ticket keys for
// resumption, in memory for one process or in a shared store for a fleet.
//
// The TLS code sees only the Store interface: opaque values with a
// time-to-live. NewMemoryStore is the per-process default; package
// sessions/redisstore puts the same interface over Redis so that every
// server behind a load balancer can resume every client's session.
//
// A shared store is readable by whoever can read Redis, and sessions hold
// master secrets, so a fleet wraps its store in a SealedStore: values are
// encrypted and authenticated under a key derived from the fleet's session
// key, bound to the entry they were written under, and anything that cannot
// be opened (corrupt, truncated, written by another fleet, a future format,
// past its deadline) reads as a miss with a logged reason. SharedSecret lets
// the servers of a fleet agree on one random value, the base of their
// session-ticket keys, through the same store.
//
// A store's failure is never a connection's failure: a Store error makes the
// TLS code fall back to a full handshake and log a warning.
package sessions

import (
	"context"
	"errors"
	"time"
)

// Store keeps opaque values with a time-to-live. It is safe for concurrent
// use.
//
// A miss is (nil, false, nil). An error means the store itself failed (Redis
// unreachable, a timeout, a cancelled context); the TLS code then falls back
// to a full handshake and logs a warning, it never fails a connection because
// of the store.
//
// Implementations copy values in both directions, so a caller may reuse the
// slice it passed to Put and may modify the slice Get returned. TTLs must be
// positive (ErrTTL otherwise): a session that never expires is a session
// whose master secret lives forever.
type Store interface {
	// Put stores value under key for ttl, replacing any earlier value.
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Add stores value only if key is absent (or expired) and reports
	// whether it did. A fleet uses it to agree on shared ticket keys: of
	// several servers adding at once exactly one wins, and the others read
	// the winner's value.
	Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)
	// Get returns the value under key. A missing or expired key is
	// (nil, false, nil).
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)
	// Delete removes key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// ErrTTL is returned by Put and Add for a TTL that is not positive.
var ErrTTL = errors.New("sessions: TTL must be positive")
