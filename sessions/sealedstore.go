package sessions

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// deadlineLen is the size of the expiry deadline SealedStore puts in front
// of every value before sealing it.
const deadlineLen = 8

// SealedStore wraps a Store with a Sealer: Put and Add seal, Get opens.
//
// An entry that cannot be used — corrupt, truncated, sealed under another
// fleet key, in an unknown format, failing authentication, or past its
// deadline — is a miss, (nil, false, nil), and the reason is logged: to the
// TLS code it is a session the server does not know, and it runs a full
// handshake. Errors of the inner store are returned unchanged.
//
// Each sealed value carries its own deadline (Unix milliseconds, in front of
// the value, inside the encryption), written from the TTL at Put. The inner
// store's TTL is the main expiry; the deadline makes sure that an entry the
// store kept too long — a Redis restored from a dump, a store that ignores
// TTLs, an attacker who can write PERSIST but not forge a value — still
// cannot resume a session past its lifetime. Servers of a fleet compare the
// deadline with their own clocks, so their clocks should agree to well
// within a session lifetime, as they must for certificates anyway.
//
// The sealed plaintext is therefore deadline || value, and Sealer.Open of a
// SealedStore entry returns that, not the bare value.
type SealedStore struct {
	inner  Store
	sealer *Sealer
	log    *slog.Logger
	// now is the clock for deadlines; tests replace it.
	now func() time.Time
}

// NewSealedStore returns a Store that seals values with sealer before
// passing them to inner and logs unusable entries to log (nil discards).
func NewSealedStore(inner Store, sealer *Sealer, log *slog.Logger) *SealedStore {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &SealedStore{inner: inner, sealer: sealer, log: log, now: time.Now}
}

// Put seals value and stores it under key for ttl.
func (s *SealedStore) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	sealed, err := s.seal(key, value, ttl)
	if err != nil {
		return err
	}
	return s.inner.Put(ctx, key, sealed, ttl)
}

// Add seals value and stores it under key for ttl if key is absent.
//
// An entry that is present but unusable (say, sealed by another fleet) still
// counts as present: overwriting it would let two fleets sharing a store
// take turns destroying each other's entries.
func (s *SealedStore) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	sealed, err := s.seal(key, value, ttl)
	if err != nil {
		return false, err
	}
	return s.inner.Add(ctx, key, sealed, ttl)
}

// Get returns the opened value under key. Unusable entries are logged
// misses.
func (s *SealedStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	sealed, ok, err := s.inner.Get(ctx, key)
	if err != nil || !ok {
		return nil, false, err
	}
	plain, err := s.sealer.Open(key, sealed)
	if err != nil {
		s.log.Warn("sessions: unusable store entry, treated as a miss",
			"key", logKey(key), "reason", reason(err), "err", err)
		return nil, false, nil
	}
	if len(plain) < deadlineLen {
		// Authentic but not written by a SealedStore: a bare Sealer with
		// the same fleet key and purpose wrote it.
		err := fmt.Errorf("%w: opened value is %d bytes, shorter than its deadline", ErrCorrupt, len(plain))
		s.log.Warn("sessions: unusable store entry, treated as a miss",
			"key", logKey(key), "reason", reason(err), "err", err)
		return nil, false, nil
	}
	deadline := time.UnixMilli(int64(binary.BigEndian.Uint64(plain)))
	if now := s.now(); !now.Before(deadline) {
		// Info, not Warn: a fleet with slightly skewed clocks sees this
		// now and then in normal operation.
		s.log.Info("sessions: store entry past its deadline, treated as a miss",
			"key", logKey(key), "reason", "expired", "deadline", deadline, "late", now.Sub(deadline))
		return nil, false, nil
	}
	return plain[deadlineLen:], true, nil
}

// Delete removes key.
func (s *SealedStore) Delete(ctx context.Context, key string) error {
	return s.inner.Delete(ctx, key)
}

func (s *SealedStore) seal(key string, value []byte, ttl time.Duration) ([]byte, error) {
	if ttl <= 0 {
		return nil, ErrTTL
	}
	// Round the deadline up to the next millisecond, so that a sub-millisecond
	// TTL does not make a value that is expired the moment it is written.
	deadline := s.now().Add(ttl + time.Millisecond - 1).UnixMilli()
	plain := make([]byte, deadlineLen, deadlineLen+len(value))
	binary.BigEndian.PutUint64(plain, uint64(deadline))
	return s.sealer.Seal(key, append(plain, value...))
}

// reason names an Open error for logs and metrics.
func reason(err error) string {
	switch {
	case errors.Is(err, ErrCorrupt):
		return "corrupt"
	case errors.Is(err, ErrVersion):
		return "version"
	case errors.Is(err, ErrForeign):
		return "foreign"
	case errors.Is(err, ErrAuth):
		return "auth"
	}
	return "unknown"
}

// logKey makes a store key safe to log: session IDs are raw bytes, which
// would garble a text log, so anything but printable ASCII is logged as hex.
func logKey(key string) string {
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return "hex:" + hex.EncodeToString([]byte(key))
		}
	}
	return key
}
