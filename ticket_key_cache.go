package clasp

import (
	"crypto/cipher"
	"sync"
)

// maxCachedTicketKeys bounds ticketKeyCache: a server uses the current and
// the previous period's key of its base key, or a few explicit keys; past
// the bound an arbitrary entry makes room and is derived again if needed.
const maxCachedTicketKeys = 64

// ticketKeyCache keeps the ticket AEADs and key names derived from a base
// key for a period (or from an explicit SetSessionTicketKeys key). Every
// ticket sealed and every ticket opened needed them, and deriving them
// took two HKDFs and an AES-GCM key setup each time: a TLS 1.3 resumption
// (one ticket opened, one sealed) derived them twice. A cipher.AEAD from
// cipher.NewGCM is safe for concurrent use, so one serves every
// connection.
var ticketKeyCache = struct {
	sync.Mutex
	m map[ticketKeyID]*derivedTicketKey
}{m: make(map[ticketKeyID]*derivedTicketKey)}

type ticketKeyID struct {
	base     [32]byte
	period   uint64
	explicit bool
}

type derivedTicketKey struct {
	aead cipher.AEAD
	name []byte
}

// periodTicketKey returns the AEAD and key name of a rotation period's
// ticket key, derived from the Config's base key once.
func (c *Config) periodTicketKey(period uint64) (cipher.AEAD, []byte, error) {
	id := ticketKeyID{base: [32]byte(c.ticketBaseKey()), period: period}
	return cachedTicketKey(id, func() (cipher.AEAD, []byte, error) {
		aead, err := c.ticketAEAD(period)
		if err != nil {
			return nil, nil, err
		}
		name, err := c.ticketKeyName(period)
		return aead, name, err
	})
}

// cachedTicketKey returns the key cached under id, or derives and caches
// it. Errors are not cached.
func cachedTicketKey(id ticketKeyID, derive func() (cipher.AEAD, []byte, error)) (cipher.AEAD, []byte, error) {
	ticketKeyCache.Lock()
	k, ok := ticketKeyCache.m[id]
	ticketKeyCache.Unlock()
	if ok {
		return k.aead, k.name, nil
	}
	aead, name, err := derive()
	if err != nil {
		return nil, nil, err
	}
	ticketKeyCache.Lock()
	defer ticketKeyCache.Unlock()
	if len(ticketKeyCache.m) >= maxCachedTicketKeys {
		for old := range ticketKeyCache.m {
			delete(ticketKeyCache.m, old)
			break
		}
	}
	ticketKeyCache.m[id] = &derivedTicketKey{aead: aead, name: name}
	return aead, name, nil
}
