package sessions

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// DefaultMaxEntries is the MemoryStore size when MemoryOptions.MaxEntries is
// not positive. A TLS 1.2 session is a few hundred bytes, so the default
// costs a few megabytes at most.
const DefaultMaxEntries = 10000

// sweepLimit bounds how many least-recently-used entries a Put examines for
// expiry. Expired entries are otherwise removed only when read; the sweep
// keeps them from crowding live sessions out of a full store, and the bound
// keeps every Put O(1) however many entries expired at once.
const sweepLimit = 16

// MemoryOptions configures NewMemoryStore.
type MemoryOptions struct {
	// MaxEntries is the most entries the store holds; adding one more evicts
	// the least recently used. Not positive means DefaultMaxEntries.
	MaxEntries int
	// Now is the clock for TTLs, like clasp's Config.Time: nil means
	// time.Now. Tests inject a fake clock to expire entries without waiting.
	Now func() time.Time
}

// MemoryStore is a Store held in this process: an LRU with a maximum entry
// count and a per-entry TTL. Expired entries are misses; they are removed
// when read and by a bounded sweep on Put. It is the default session store,
// and the right one for a single server: a fleet behind a load balancer needs
// a shared store (sessions/redisstore) instead, or a client's next
// connection lands on a server that never saw its session.
type MemoryStore struct {
	max int
	now func() time.Time

	mu sync.Mutex
	// lru holds *memEntry, most recently used at the front. A Get moves an
	// entry to the front, so Get needs the lock exclusively too.
	lru   *list.List
	index map[string]*list.Element
}

type memEntry struct {
	key     string
	value   []byte
	expires time.Time
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore(opts MemoryOptions) *MemoryStore {
	s := &MemoryStore{
		max:   opts.MaxEntries,
		now:   opts.Now,
		lru:   list.New(),
		index: make(map[string]*list.Element),
	}
	if s.max <= 0 {
		s.max = DefaultMaxEntries
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Put stores a copy of value under key for ttl.
func (s *MemoryStore) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	// A cancelled context fails here as it would against Redis, so that the
	// TLS code sees the same behaviour whichever store it is given.
	if err := ctx.Err(); err != nil {
		return err
	}
	if ttl <= 0 {
		return ErrTTL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set(key, value, s.now(), ttl)
	return nil
}

// Add stores a copy of value under key for ttl if key is absent or expired.
func (s *MemoryStore) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, ErrTTL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if el, ok := s.index[key]; ok && !expired(el, now) {
		return false, nil
	}
	s.set(key, value, now, ttl)
	return true, nil
}

// Get returns a copy of the value under key, or a miss if it is absent or
// expired.
func (s *MemoryStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.index[key]
	if !ok {
		return nil, false, nil
	}
	if expired(el, s.now()) {
		s.remove(el)
		return nil, false, nil
	}
	s.lru.MoveToFront(el)
	// Copy out so that a caller scribbling on its session cannot change
	// what the next reader resumes.
	return clone(el.Value.(*memEntry).value), true, nil
}

// Delete removes key.
func (s *MemoryStore) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.index[key]; ok {
		s.remove(el)
	}
	return nil
}

// Len reports how many entries the store holds, counting expired entries
// that have not been removed yet.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Len()
}

// set stores key at the front of the LRU, sweeps and evicts. s.mu is held.
func (s *MemoryStore) set(key string, value []byte, now time.Time, ttl time.Duration) {
	e := &memEntry{key: key, value: clone(value), expires: now.Add(ttl)}
	if el, ok := s.index[key]; ok {
		el.Value = e
		s.lru.MoveToFront(el)
	} else {
		s.index[key] = s.lru.PushFront(e)
	}
	s.sweep(now)
	for s.lru.Len() > s.max {
		s.remove(s.lru.Back())
	}
}

// sweep removes expired entries among the sweepLimit least recently used.
// Those are the ones the size limit would evict next, so dropping the dead
// ones first saves live sessions from eviction. s.mu is held.
func (s *MemoryStore) sweep(now time.Time) {
	el := s.lru.Back()
	for i := 0; i < sweepLimit && el != nil; i++ {
		prev := el.Prev()
		if expired(el, now) {
			s.remove(el)
		}
		el = prev
	}
}

func (s *MemoryStore) remove(el *list.Element) {
	s.lru.Remove(el)
	delete(s.index, el.Value.(*memEntry).key)
}

// expired reports whether the entry's TTL has run out: an entry is live
// strictly before its expiry instant, as a Redis key with PX ttl is.
func expired(el *list.Element, now time.Time) bool {
	return !now.Before(el.Value.(*memEntry).expires)
}

// clone copies b, keeping an empty value non-nil so that a stored empty
// value reads as a hit with a non-nil slice, as it does from Redis.
func clone(b []byte) []byte {
	return append(make([]byte, 0, len(b)), b...)
}
