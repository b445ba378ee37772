package sessions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// SharedSecretTTL is how long a value SharedSecret creates lives in the
// store. When it runs out, the next SharedSecret call creates a new value and
// the fleet moves to it together; tickets sealed under keys derived from the
// old one then fail to open and those clients make a full handshake. The
// lifetime bounds how long one leaked base key exposes ticket keys derived
// from it, at the price of one such wave of full handshakes per period.
const SharedSecretTTL = 30 * 24 * time.Hour

// sharedSecretAttempts bounds SharedSecret's read–add–read cycle. A second
// round is needed only when the value expires between a lost Add and the
// read after it; more rounds than that mean the entry cannot be read at all.
const sharedSecretAttempts = 3

// ErrSharedSecret is wrapped by SharedSecret when the store holds an entry
// under the key that it cannot use (wrong size, or unreadable through a
// SealedStore, which makes it present to Add but a miss to Get).
var ErrSharedSecret = errors.New("sessions: shared secret entry is unusable")

// SharedSecret returns the size-byte value stored under key, creating it
// from rand with Add when absent, so that every server of a fleet sharing st
// agrees on one random value: when several start at once, exactly one Add
// wins and the others read its value. The TLS code uses it as the base
// ticket key and derives the rotating keys from it by period.
//
// The value lives for SharedSecretTTL; callers re-read it at each rotation
// rather than keep it forever, so that a fleet member started after the
// value was renewed does not disagree with one started before. Give st a
// SealedStore over the shared store: the value is a key, and a Redis reader
// holding it could open every ticket. On a MemoryStore the value can be
// evicted like any entry; a single process does not need to share it.
func SharedSecret(ctx context.Context, st Store, key string, size int, rand io.Reader) ([]byte, error) {
	if size <= 0 {
		return nil, fmt.Errorf("sessions: shared secret size %d is not positive", size)
	}
	for range sharedSecretAttempts {
		v, ok, err := st.Get(ctx, key)
		if err != nil {
			return nil, err
		}
		if ok {
			return checkSize(key, v, size)
		}
		fresh := make([]byte, size)
		if _, err := io.ReadFull(rand, fresh); err != nil {
			return nil, fmt.Errorf("sessions: shared secret: reading rand: %w", err)
		}
		added, err := st.Add(ctx, key, fresh, SharedSecretTTL)
		if err != nil {
			return nil, err
		}
		if added {
			return fresh, nil
		}
		// Another server won the race; read its value on the next round.
	}
	return nil, fmt.Errorf("%w: %q is present but reads as a miss (sealed under another fleet key? delete it to let the fleet create a new one)", ErrSharedSecret, logKey(key))
}

func checkSize(key string, v []byte, size int) ([]byte, error) {
	if len(v) != size {
		// Refuse rather than stretch or cut it: servers asking for
		// different sizes would otherwise derive different ticket keys and
		// silently fail to open each other's tickets.
		return nil, fmt.Errorf("%w: %q holds %d bytes, want %d", ErrSharedSecret, logKey(key), len(v), size)
	}
	return v, nil
}
