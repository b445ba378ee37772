package clasp

import (
	"crypto/sha256"
	"crypto/x509"
	"runtime"
	"slices"
	"sync"
	"time"
	"weak"
)

// maxVerifiedChains bounds the verified-chain cache. A client talks to a
// handful of servers and a server sees a bounded set of client chains at
// once; past the bound an arbitrary entry makes room, which costs only a
// verification.
const maxVerifiedChains = 256

// verifiedChains remembers the chains crypto/x509 built for a peer's
// certificates, so that a client reconnecting to the same server (or a
// server seeing the same client certificate again) does not check the
// same signatures again: the issuer's signature on the leaf was a fifth of
// the CPU of a whole ECDSA P-256 handshake, client and server together.
//
// Only successful verifications are kept, under everything Verify's
// answer depends on besides the time: the exact certificates the peer
// sent, the root pool (by identity: a CertPool can only gain roots, so a
// chain once verified against it stays verified), the name checked and
// the side (which extended key usage). The pool is held by a weak pointer:
// a program that builds a pool per connection (x509.SystemCertPool returns
// a fresh copy on every call) must not have hundreds of them kept alive by
// this cache; a collected pool's entries are never found again and make
// room for new ones. The time is checked on every hit:
// an entry is used only while every certificate of every chain is within
// its validity period, exactly what Verify would check. Nothing else of
// Verify's depends on state outside its arguments, except on platforms
// where verification against the system roots asks the operating system
// (which may check revocation): there a nil pool is never cached.
var verifiedChains = chainCache{entries: make(map[chainKey]*chainEntry)}

type chainCache struct {
	mu      sync.Mutex
	entries map[chainKey]*chainEntry
}

type chainKey struct {
	certs  [sha256.Size]byte // SHA-256 over the DER certificates, each length-prefixed
	roots  weak.Pointer[x509.CertPool]
	name   string
	client bool // the chain is a client's (ExtKeyUsageClientAuth)
}

type chainEntry struct {
	chains [][]*x509.Certificate
	// Every certificate of every chain is valid from notBefore to notAfter.
	notBefore, notAfter time.Time
}

// newChainKey identifies a verification of raw against opts.
func newChainKey(raw [][]byte, opts *x509.VerifyOptions, clientChain bool) (chainKey, bool) {
	if opts.Roots == nil && platformVerifier() {
		return chainKey{}, false
	}
	h := sha256.New()
	var n [4]byte
	for _, der := range raw {
		n[0], n[1], n[2], n[3] = byte(len(der)>>24), byte(len(der)>>16), byte(len(der)>>8), byte(len(der))
		h.Write(n[:])
		h.Write(der)
	}
	k := chainKey{roots: weak.Make(opts.Roots), name: opts.DNSName, client: clientChain}
	h.Sum(k.certs[:0])
	return k, true
}

// platformVerifier reports whether crypto/x509 hands verification against
// the system roots to the operating system.
func platformVerifier() bool {
	switch runtime.GOOS {
	case "darwin", "ios", "windows":
		return true
	}
	return false
}

// lookup returns the chains verified earlier under k, if they are all
// still valid at now.
func (cc *chainCache) lookup(k chainKey, now time.Time) ([][]*x509.Certificate, bool) {
	cc.mu.Lock()
	e, ok := cc.entries[k]
	cc.mu.Unlock()
	if !ok || now.Before(e.notBefore) || now.After(e.notAfter) {
		return nil, false
	}
	// Each connection gets slices of its own, as from Verify: a
	// VerifyPeerCertificate hook that reorders a chain must not change
	// what the next connection sees.
	chains := make([][]*x509.Certificate, len(e.chains))
	for i, chain := range e.chains {
		chains[i] = slices.Clone(chain)
	}
	return chains, true
}

// store remembers chains, which Verify just returned for k.
func (cc *chainCache) store(k chainKey, chains [][]*x509.Certificate) {
	if len(chains) == 0 {
		return
	}
	e := &chainEntry{chains: make([][]*x509.Certificate, len(chains))}
	for i, chain := range chains {
		e.chains[i] = slices.Clone(chain)
	}
	for i, chain := range chains {
		for j, cert := range chain {
			if i == 0 && j == 0 || cert.NotBefore.After(e.notBefore) {
				e.notBefore = cert.NotBefore
			}
			if i == 0 && j == 0 || cert.NotAfter.Before(e.notAfter) {
				e.notAfter = cert.NotAfter
			}
		}
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(cc.entries) >= maxVerifiedChains {
		for old := range cc.entries {
			delete(cc.entries, old)
			break
		}
	}
	cc.entries[k] = e
}
