package clasp

import (
	"container/list"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// ClientSessionState is a TLS 1.3 ticket the client can offer to resume a
// session, with the secret and facts that belong to it.
type ClientSessionState struct {
	version        suites.Version
	suite          *suites.Suite
	psk            []byte // TLS 1.3 resumption PSK
	master         []byte // TLS 1.2 master secret
	ems            bool   // TLS 1.2: the session used extended master secret
	sessionID      []byte // TLS 1.2 session ID, when resumed by ID
	ticket         []byte
	ageAdd         uint32
	lifetime       time.Duration
	maxEarlyData   uint32 // TLS 1.3: the server's max_early_data_size; 0 = no 0-RTT
	receivedAt     time.Time
	alpn           string
	peerCerts      []*x509.Certificate
	verifiedChains [][]*x509.Certificate
	external       bool // an ExternalPSK, not a ticket: the "ext binder" label, no age
}

// ClientSessionCache stores sessions a client may resume, keyed by server
// name. Implementations must be safe for concurrent use.
type ClientSessionCache interface {
	// Get returns the session stored under sessionKey.
	Get(sessionKey string) (session *ClientSessionState, ok bool)
	// Put stores a session; a nil session removes the entry.
	Put(sessionKey string, cs *ClientSessionState)
}

type lruSessionCache struct {
	mu       sync.Mutex
	capacity int
	order    *list.List // front = most recently used
	entries  map[string]*list.Element
}

type lruEntry struct {
	key     string
	session *ClientSessionState
}

// NewLRUClientSessionCache returns a ClientSessionCache holding at most
// capacity sessions (64 when capacity < 1), dropping the least recently used.
func NewLRUClientSessionCache(capacity int) ClientSessionCache {
	if capacity < 1 {
		capacity = 64
	}
	return &lruSessionCache{capacity: capacity, order: list.New(), entries: map[string]*list.Element{}}
}

func (c *lruSessionCache) Get(key string) (*ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*lruEntry).session, true
	}
	return nil, false
}

func (c *lruSessionCache) Put(key string, cs *ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		if cs == nil {
			c.order.Remove(e)
			delete(c.entries, key)
			return
		}
		e.Value.(*lruEntry).session = cs
		c.order.MoveToFront(e)
		return
	}
	if cs == nil {
		return
	}
	if c.order.Len() >= c.capacity {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*lruEntry).key)
	}
	c.entries[key] = c.order.PushFront(&lruEntry{key: key, session: cs})
}

// sessionCacheKey is where a client keeps sessions for a server.
func (c *Conn) sessionCacheKey() string {
	if name := c.config.ServerName; name != "" {
		return name
	}
	return c.conn.RemoteAddr().String()
}

// offerSession adds the client's PSKs to a TLS 1.3 ClientHello as
// pre_shared_key (RFC 8446 §4.2.11): the cached ticket first, then every
// external PSK whose hash an offered suite has. The server takes the first
// it can use, so a ticket it can no longer open (its ticket keys changed)
// falls back to the external key. Only the first identity may carry early
// data (§4.2.10), so only a ticket does. The binders are filled in when the
// hello is written, once the transcript they cover is known.
func (c *Conn) offerSession(offer *clientOffer) error {
	if _, ok := c.cachedSession13(); !ok && len(c.config.ExternalPSKs) == 0 {
		return nil // no PSK to offer: the clock is not read (the trace goldens run on a fake one)
	}
	now := c.config.now()
	var psks []*ClientSessionState
	if cs, ok := c.usableTicket13(offer, now); ok {
		psks = append(psks, cs)
	}
	external, err := externalSessions(c.config, now)
	if err != nil {
		return err
	}
	for _, cs := range external {
		if offersHashOf(offer.hello, cs.suite) {
			psks = append(psks, cs)
		}
	}
	if len(psks) == 0 {
		return nil
	}
	if !psks[0].external {
		c.offerEarlyData(offer, psks[0])
	}
	offer.hello.Extensions = append(offer.hello.Extensions, pskExtension(psks, now))
	if err := identitiesFit(offer.hello, psks); err != nil {
		return err
	}
	offer.session, offer.psks = psks[0], psks
	c.offeredSession = !psks[0].external
	return nil
}

// identitiesFit refuses PSK identities too long for the ClientHello: an
// identity may have up to 65535 bytes (RFC 8446 §4.2.11), but all the
// extensions together must fit in 65535 bytes too (§4.1.2), with the key
// shares and the rest. Found here, it is this side's configuration, not a
// failure to alert the server about. Only long identities cost a trial
// encoding.
func identitiesFit(hello *wire.ClientHello, psks []*ClientSessionState) error {
	total := 0
	for _, cs := range psks {
		total += len(cs.ticket)
	}
	if total < 1<<15 {
		return nil
	}
	if _, err := hello.Marshal(); err != nil {
		return &configError{fmt.Sprintf("the pre-shared key identities (%d bytes) do not fit in a ClientHello, whose extensions RFC 8446 §4.1.2 limits to 65535 bytes together: use a shorter identity (%v)", total, err)}
	}
	return nil
}

// usableTicket13 is the cached TLS 1.3 ticket, when it has not expired
// (an expired one leaves the cache) and an offered suite has its hash.
func (c *Conn) usableTicket13(offer *clientOffer, now time.Time) (*ClientSessionState, bool) {
	cs, ok := c.cachedSession13()
	if !ok {
		return nil, false
	}
	if now.After(cs.receivedAt.Add(cs.lifetime)) {
		c.config.ClientSessionCache.Put(c.sessionCacheKey(), nil)
		return nil, false
	}
	return cs, offersHashOf(offer.hello, cs.suite)
}

// offersHashOf reports whether the hello offers a TLS 1.3 suite with the
// PSK's hash: only such a suite can use it (RFC 8446 §4.2.11).
func offersHashOf(hello *wire.ClientHello, suite *suites.Suite) bool {
	return slices.ContainsFunc(hello.CipherSuites, func(id suites.ID) bool {
		s := suites.SuiteByID(id)
		return s != nil && s.IsTLS13() && s.PRFHash == suite.PRFHash
	})
}

// pskExtension lists the PSKs with their ages and room for their binders.
// RFC 8446 §4.2.11: "For identities established externally, an
// obfuscated_ticket_age of 0 SHOULD be used".
func pskExtension(psks []*ClientSessionState, now time.Time) *wire.PreSharedKeyExt {
	ext := &wire.PreSharedKeyExt{}
	for _, cs := range psks {
		age := uint32(0)
		if !cs.external {
			age = uint32(now.Sub(cs.receivedAt)/time.Millisecond) + cs.ageAdd
		}
		ext.Identities = append(ext.Identities, wire.PSKIdentity{Identity: cs.ticket, ObfuscatedTicketAge: age})
		ext.Binders = append(ext.Binders, make([]byte, cs.suite.PRFHash.Size()))
	}
	return ext
}

// cachedSession13 is the TLS 1.3 session the client cache holds for this
// server, if tickets are in use.
func (c *Conn) cachedSession13() (*ClientSessionState, bool) {
	cfg := c.config
	if cfg.ClientSessionCache == nil || cfg.SessionTicketsDisabled {
		return nil, false
	}
	cs, ok := cfg.ClientSessionCache.Get(c.sessionCacheKey())
	if !ok || cs == nil || cs.version != suites.VersionTLS13 {
		return nil, false
	}
	return cs, true
}

// writeClientHelloWithBinders writes the ClientHello, first computing the
// PSK binder over the transcript so far and the hello truncated before its
// binders (RFC 8446 §4.2.11.2).
func (c *Conn) writeClientHelloWithBinders(offer *clientOffer, transcript *keys.Transcript) error {
	hello, err := sizedForWire(offer.hello)
	if err != nil {
		return err
	}
	if len(offer.psks) > 0 {
		raw, err := hello.Marshal()
		if err != nil {
			return err
		}
		n, err := hello.PSKBindersSuffixLen()
		if err != nil {
			return err
		}
		psk, _ := wire.FindExtension[*wire.PreSharedKeyExt](hello.Extensions)
		placeholder := len(psk.Binders[0])
		for i, cs := range offer.psks {
			psk.Binders[i] = computeBinder(offer.earlySchedule(cs), !cs.external, transcript.Messages(), raw[:len(raw)-n])
		}
		if binder := psk.Binders[0]; (offer.ech == nil || offer.ech.rejected()) && len(psk.Binders) == 1 && placeholder == len(binder) {
			// A single binder is the last bytes of the hello, and the
			// placeholder had its length: it goes in place, rather than
			// marshalling the whole hello a second time.
			copy(raw[len(raw)-len(binder):], binder)
			_, err = c.writeMarshalledHandshake(hello, raw)
			return err
		}
	}
	if offer.ech != nil && !offer.ech.rejected() {
		return c.writeSealedClientHello(offer.ech, hello)
	}
	_, err = c.writeHandshake(hello)
	return err
}

// keepPSKsForHash keeps, for the second ClientHello, the offered PSKs
// whose hash is the suite's that the HelloRetryRequest chose: RFC 8446
// §4.1.2 lets a client remove "any PSKs which are incompatible with the
// server's indicated cipher suite", and the rest get fresh ages and
// binders.
func (hs *clientHandshakeTLS13) keepPSKsForHash(exts []wire.Extension) []wire.Extension {
	offer := hs.offer
	if len(offer.psks) == 0 {
		return exts
	}
	offer.psks = slices.DeleteFunc(offer.psks, func(cs *ClientSessionState) bool { return cs.suite.PRFHash != hs.hash })
	offer.session = nil
	if len(offer.psks) == 0 {
		return slices.DeleteFunc(exts, func(e wire.Extension) bool { _, ok := e.(*wire.PreSharedKeyExt); return ok })
	}
	offer.session = offer.psks[0]
	replaceExtension(exts, pskExtension(offer.psks, hs.config.now()))
	return exts
}

// earlySchedule returns the early-stage key schedule of an offered PSK.
// The first PSK's is kept in the offer, so that its binder, a second
// hello's binder after a HelloRetryRequest and the handshake that resumes
// it share one HKDF-Extract; the others are made when asked for.
func (offer *clientOffer) earlySchedule(cs *ClientSessionState) *keys.Schedule13 {
	if cs != offer.session {
		return keys.NewSchedule13(cs.suite.PRFHash, cs.psk)
	}
	// A HelloRetryRequest can drop the first PSK and make another first.
	if offer.earlyPSK != cs {
		offer.early, offer.earlyPSK = keys.NewSchedule13(cs.suite.PRFHash, cs.psk), cs
	}
	return offer.early
}

// computeBinder is HMAC(finished_key(binder_key), Hash(prior messages +
// truncated ClientHello)), binder_key under "res binder" for a resumption
// PSK and "ext binder" for an external one (RFC 8446 §7.1).
func computeBinder(early *keys.Schedule13, resumption bool, prior, truncatedHello []byte) []byte {
	h := early.Hash().New()
	h.Write(prior)
	h.Write(truncatedHello)
	return keys.FinishedVerifyData13(early.Hash(), early.BinderKey(resumption), h.Sum(nil))
}

// acceptPSK checks the server's choice of the offered PSK and sets up the
// key schedule from it.
func (hs *clientHandshakeTLS13) acceptPSK(ext *wire.PreSharedKeyExt) ([]byte, error) {
	c := hs.c
	if int(ext.SelectedIdentity) >= len(hs.offer.psks) {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "server selected PSK %d, which the client did not offer", ext.SelectedIdentity)
	}
	cs := hs.offer.psks[ext.SelectedIdentity]
	hs.selectedPSK = int(ext.SelectedIdentity)
	if cs.suite.PRFHash != hs.hash {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "server resumed a %s session with %s, whose hash differs", cs.suite.Name, hs.suite.Name)
	}
	if err := hs.checkPSKMode(); err != nil {
		return nil, err
	}
	hs.usingPSK = true
	// The hashes are equal (checked above), so the binder's early secret is
	// this handshake's.
	hs.schedule = hs.offer.earlySchedule(cs)
	if cs.external {
		return cs.psk, c.acceptExternalPSK(cs.ticket, hs.serverHello.Extensions)
	}
	c.state.didResume = true
	c.state.resumedBy = "psk_dhe_ke"
	if _, withKeyShare := wire.FindExtension[*wire.KeyShareExt](hs.serverHello.Extensions); !withKeyShare {
		c.state.resumedBy = "psk_ke"
		c.warn("resumed with psk_ke: no fresh key exchange, so the connection has no forward secrecy")
	}
	c.state.peerCertificates, c.state.verifiedChains = cs.peerCerts, cs.verifiedChains
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "session", Chosen: "resumed", ReasonCode: "ticket_accepted", Reason: "the server accepted the ticket offered as a pre-shared key"})
	}
	return cs.psk, nil
}

// checkPSKMode checks that a server resuming with the PSK used a key
// exchange mode the client listed in psk_key_exchange_modes (RFC 8446
// §4.1.1: "If the server selects a PSK, then it MUST also select a key
// establishment mode from the set indicated by the client's
// "psk_key_exchange_modes" extension"; §4.2.9: "Servers MUST NOT select a
// key exchange mode that is not listed by the client"). A ServerHello
// without key_share is psk_ke, which gives up forward secrecy: a client
// that offered only psk_dhe_ke must not accept it.
func (hs *clientHandshakeTLS13) checkPSKMode() error {
	mode, name := wire.PSKModeDHEKE, "psk_dhe_ke"
	if _, withKeyShare := wire.FindExtension[*wire.KeyShareExt](hs.serverHello.Extensions); !withKeyShare {
		mode, name = wire.PSKModeKE, "psk_ke"
	}
	modes, _ := wire.FindExtension[*wire.PSKKeyExchangeModesExt](hs.offer.hello.Extensions)
	if modes != nil && slices.Contains(modes.Modes, mode) {
		return nil
	}
	if mode == wire.PSKModeKE {
		// RFC 8446 names no alert; OpenSSL 3 sends missing_extension (the
		// key_share that psk_dhe_ke requires is missing), and so does clasp.
		return wire.Errorf(wire.AlertMissingExtension, "server resumed with psk_ke (no key_share), but the client offered only psk_dhe_ke")
	}
	return wire.Errorf(wire.AlertIllegalParameter, "server resumed with %s, which the client did not offer", name)
}

// ticketsWanted reports whether this handshake ends with a ticket: the
// server issues them, the client can use one (it sent PSK modes) and, on a
// resumption, the server gives fresh ones. Without a ticket the resumption
// secret is never needed, and not derived.
func (hs *serverHandshakeTLS13) ticketsWanted() bool {
	cfg := hs.config
	modes, ok := wire.FindExtension[*wire.PSKKeyExchangeModesExt](hs.hello.Extensions)
	return !cfg.SessionTicketsDisabled && ok && len(modes.Modes) > 0 && (hs.psk == nil || !cfg.ResumptionTicketsDisabled)
}

// keepsTickets reports whether a client stores the tickets it receives,
// and so needs the resumption secret (handleNewSessionTicket).
func (c *Conn) keepsTickets() bool {
	return c.config.ClientSessionCache != nil && !c.config.SessionTicketsDisabled
}

// handleNewSessionTicket stores a ticket the server sent after the
// handshake (RFC 8446 §4.6.1).
func (c *Conn) handleNewSessionTicket(nst *wire.NewSessionTicket13) error {
	cfg := c.config
	if !c.isClient {
		return wire.Errorf(wire.AlertUnexpectedMessage, "client sent NewSessionTicket")
	}
	if err := checkPeerExtensions(wire.TypeNewSessionTicket, suites.VersionTLS13, nst.Extensions, nil); err != nil {
		return err
	}
	if !c.keepsTickets() || nst.Lifetime == 0 {
		return nil
	}
	if nst.Lifetime > maxTicketLifetime {
		return wire.Errorf(wire.AlertIllegalParameter, "ticket lifetime %d s exceeds seven days", nst.Lifetime)
	}
	suite := c.state.suite
	cs := &ClientSessionState{
		version:        suites.VersionTLS13,
		suite:          suite,
		psk:            keys.ResumptionPSK(suite.PRFHash, c.resumptionSecret, nst.Nonce),
		ticket:         slices.Clone(nst.Ticket),
		ageAdd:         nst.AgeAdd,
		lifetime:       time.Duration(nst.Lifetime) * time.Second,
		receivedAt:     cfg.now(),
		maxEarlyData:   ticketMaxEarlyData(nst),
		alpn:           c.state.alpn,
		peerCerts:      c.state.peerCertificates,
		verifiedChains: c.state.verifiedChains,
	}
	cfg.ClientSessionCache.Put(c.sessionCacheKey(), cs)
	return nil
}

// ticketMaxEarlyData is the max_early_data_size a ticket allows (RFC
// 8446 §4.6.1), 0 when it allows no 0-RTT data.
func ticketMaxEarlyData(nst *wire.NewSessionTicket13) uint32 {
	if e, ok := wire.FindExtension[*wire.EarlyDataExt](nst.Extensions); ok {
		return e.MaxEarlyDataSize
	}
	return 0
}

// maxTicketLifetime is RFC 8446 §4.6.1's seven days, in seconds.
const maxTicketLifetime = 7 * 24 * 3600

// sessionState13 is what a TLS 1.3 ticket carries, sealed by the server.
type sessionState13 struct {
	suite        *suites.Suite
	createdAt    time.Time // to the millisecond: 0-RTT checks ticket ages closely
	ageAdd       uint32
	psk          []byte
	alpn         string
	serverName   string   // the SNI of the connection that issued it
	maxEarlyData uint32   // what the ticket announced; 0 = no 0-RTT
	peerCerts    [][]byte // the client's chain, when it authenticated
	// external marks a key from GetExternalPSK (never sealed in a
	// ticket); identity is the name the client sent.
	external bool
	identity []byte
}

// ticketFormatVersion is the first byte of a sealed ticket's plaintext,
// so that a future format is recognised rather than misread. Version 2
// added milliseconds, the server name and the early data limit; version 3
// the client's certificate chain.
const ticketFormatVersion = 3

func (s *sessionState13) marshal() ([]byte, error) {
	var b cryptobyte.Builder
	b.AddUint8(ticketFormatVersion)
	b.AddUint16(uint16(s.suite.ID))
	b.AddUint64(uint64(s.createdAt.UnixMilli()))
	b.AddUint32(s.ageAdd)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.psk) })
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(s.alpn)) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(s.serverName)) })
	b.AddUint32(s.maxEarlyData)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, der := range s.peerCerts {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(der) })
		}
	})
	return b.Bytes()
}

func parseSessionState13(data []byte) (*sessionState13, bool) {
	s := cryptobyte.String(data)
	var version uint8
	var suiteID uint16
	var created uint64
	var ageAdd, maxEarly uint32
	var psk, alpn, serverName, certs cryptobyte.String
	if !s.ReadUint8(&version) || version != ticketFormatVersion || !s.ReadUint16(&suiteID) || !s.ReadUint64(&created) ||
		!s.ReadUint32(&ageAdd) || !s.ReadUint8LengthPrefixed(&psk) || !s.ReadUint8LengthPrefixed(&alpn) ||
		!s.ReadUint16LengthPrefixed(&serverName) || !s.ReadUint32(&maxEarly) || !s.ReadUint24LengthPrefixed(&certs) || !s.Empty() {
		return nil, false
	}
	var peerCerts [][]byte
	for !certs.Empty() {
		var der cryptobyte.String
		if !certs.ReadUint24LengthPrefixed(&der) {
			return nil, false
		}
		peerCerts = append(peerCerts, slices.Clone(der))
	}
	suite := suites.SuiteByID(suites.ID(suiteID))
	if suite == nil || !suite.IsTLS13() || len(psk) != suite.PRFHash.Size() {
		return nil, false
	}
	return &sessionState13{suite: suite, createdAt: time.UnixMilli(int64(created)), ageAdd: ageAdd,
		psk: slices.Clone(psk), alpn: string(alpn), serverName: string(serverName), maxEarlyData: maxEarly, peerCerts: peerCerts}, true
}

// Ticket keys rotate without shared state: the key of each period is
// derived from the base key and the period's number, so every server with
// the same base key agrees on it. A ticket opens under the current and the
// previous period's key.
const defaultTicketKeyRotation = 24 * time.Hour

var (
	processTicketKeyOnce sync.Once
	processTicketKey     [32]byte
)

// ticketBaseKey is Config.SessionTicketKey, or a random key for this
// process when none is set.
func (c *Config) ticketBaseKey() []byte {
	if c.SessionTicketKey != [32]byte{} {
		return c.SessionTicketKey[:]
	}
	processTicketKeyOnce.Do(func() {
		if _, err := io.ReadFull(rand.Reader, processTicketKey[:]); err != nil {
			panic("clasp: cannot read random bytes for the ticket key: " + err.Error())
		}
	})
	return processTicketKey[:]
}

func (c *Config) ticketRotation() time.Duration {
	if c.TicketKeyRotation > 0 {
		return c.TicketKeyRotation
	}
	return defaultTicketKeyRotation
}

// ticketLifetime is how long a TLS 1.3 ticket may be used: what the
// server announces and enforces.
func (c *Config) ticketLifetime() time.Duration {
	lifetime := c.ticketRotation()
	if c.TicketLifetime > 0 {
		lifetime = c.TicketLifetime
	}
	return min(lifetime, maxTicketLifetime*time.Second)
}

// TicketSealer seals a server's session state into the tickets it sends
// and opens them again (Config.TicketSealer).
type TicketSealer interface {
	// Seal returns the ticket that carries state, clasp's serialisation
	// of a session; the ticket is sent to the client as it is.
	Seal(state []byte) (ticket []byte, err error)
	// Open returns the state a ticket carries. An error means the ticket
	// is not one this server can use, and the client gets a full
	// handshake.
	Open(ticket []byte) (state []byte, err error)
}

// ticketAEAD and ticketKeyName derive a period's ticket key; sealing and
// opening take them through periodTicketKey, which caches them.
func (c *Config) ticketAEAD(period uint64) (cipher.AEAD, error) {
	var info [8]byte
	binary.BigEndian.PutUint64(info[:], period)
	key, err := hkdf.Key(sha256.New, c.ticketBaseKey(), nil, "clasp ticket key "+string(info[:]), 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealTicket encrypts a TLS 1.3 session into a ticket.
func (c *Conn) sealTicket(s *sessionState13) ([]byte, error) {
	return c.sealSession(&SessionState{s13: s, EarlyData: s.maxEarlyData > 0})
}

// openTicket opens a TLS 1.3 ticket (a PSK identity).
func (c *Conn) openTicket(ticket []byte) (*sessionState13, bool) {
	ss := c.openSession(ticket)
	if ss == nil || ss.s13 == nil {
		return nil, false
	}
	return ss.s13, true
}

// ticketKeyNameLen is the length of the key name a ticket carries after
// its period (RFC 5077 §4's key_name, shortened): it lets a server tell at
// once that a ticket is not under its key, and lets an operator (or `clasp
// scan --fleet`) see which key sealed a ticket, and so whether servers
// share keys. It is derived from the key one way and reveals nothing of it.
const ticketKeyNameLen = 8

// ticketKeyName is the name of a period's ticket key.
func (c *Config) ticketKeyName(period uint64) ([]byte, error) {
	var info [8]byte
	binary.BigEndian.PutUint64(info[:], period)
	return hkdf.Key(sha256.New, c.ticketBaseKey(), nil, "clasp ticket key name "+string(info[:]), ticketKeyNameLen)
}

// sealTicketBytes encrypts a serialised session: period (8 bytes) || key
// name (8 bytes) || nonce || AES-GCM under the period's key, with the
// period and key name as additional data.
func (c *Config) sealTicketBytes(plain []byte) ([]byte, error) {
	if c.TicketSealer != nil {
		return c.TicketSealer.Seal(plain)
	}
	period := uint64(c.now().UnixNano() / int64(c.ticketRotation()))
	aead, name, err := c.periodTicketKey(period)
	if keys := c.ticketKeys(); len(keys) > 0 {
		period = explicitTicketPeriod
		aead, name, err = explicitTicketKey(keys[0])
	}
	if err != nil {
		return nil, err
	}
	out := append(binary.BigEndian.AppendUint64(nil, period), name...)
	header := len(out)
	nonce := make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(c.rand(), nonce); err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plain, out[:header]), nil
}

// openTicketBytes decrypts a ticket sealed in the current or previous
// period; anything else, a ticket under another key name included, is
// simply not a session this server can resume.
func (c *Config) openTicketBytes(ticket []byte) ([]byte, bool) {
	if c.TicketSealer != nil {
		plain, err := c.TicketSealer.Open(ticket)
		return plain, err == nil
	}
	const header = 8 + ticketKeyNameLen
	if len(ticket) < header+12+16 {
		return nil, false
	}
	period := binary.BigEndian.Uint64(ticket[:8])
	if len(c.ticketKeys()) > 0 {
		if period != explicitTicketPeriod {
			return nil, false
		}
		return c.openExplicitTicket(ticket)
	}
	current := uint64(c.now().UnixNano() / int64(c.ticketRotation()))
	if period != current && period+1 != current {
		return nil, false
	}
	aead, name, err := c.periodTicketKey(period)
	if err != nil || !hmac.Equal(name, ticket[8:header]) {
		return nil, false
	}
	nonce := ticket[header : header+aead.NonceSize()]
	plain, err := aead.Open(nil, nonce, ticket[header+aead.NonceSize():], ticket[:header])
	if err != nil {
		return nil, false
	}
	return plain, true
}

// checkForResumption looks for a ticket this server sealed among the
// client's PSK identities and, when one is usable, checks its binder
// (RFC 8446 §4.2.11).
func (hs *serverHandshakeTLS13) checkForResumption() error {
	c, cfg := hs.c, hs.config
	ext, ok := wire.FindExtension[*wire.PreSharedKeyExt](hs.hello.Extensions)
	if !ok || (cfg.SessionTicketsDisabled && cfg.GetExternalPSK == nil) {
		return nil
	}
	modes, ok := wire.FindExtension[*wire.PSKKeyExchangeModesExt](hs.hello.Extensions)
	if !ok {
		// RFC 8446 §4.2.9: a PSK offer without modes is an error.
		return wire.Errorf(wire.AlertMissingExtension, "pre_shared_key without psk_key_exchange_modes")
	}
	dhe := slices.Contains(modes.Modes, wire.PSKModeDHEKE)
	// psk_ke gives up forward secrecy: a server takes it only when its
	// Config names it, as OpenSSL only with -allow_no_dhe_kex; otherwise a
	// client offering psk_ke alone gets a full handshake.
	plain := slices.Contains(modes.Modes, wire.PSKModeKE) && slices.Contains(cfg.PSKKeyExchangeModes, PSKModePlainKE)
	if !dhe && !plain {
		return nil
	}
	now := cfg.now()
	for i, id := range ext.Identities {
		state, certs, chains := hs.usablePSK(id, now)
		if state == nil {
			continue
		}
		raw := c.lastHandshakeRaw
		n, err := hs.hello.PSKBindersSuffixLen()
		if err != nil {
			return err
		}
		messages := hs.transcript.Messages()
		prior := messages[:len(messages)-len(raw)]
		early := keys.NewSchedule13(state.suite.PRFHash, state.psk)
		want := computeBinder(early, !state.external, prior, raw[:len(raw)-n])
		if i >= len(ext.Binders) || !hmac.Equal(ext.Binders[i], want) {
			return wire.Errorf(wire.AlertDecryptError, "PSK binder does not verify")
		}
		hs.psk, hs.pskIdentity, hs.pskDHE = state, i, dhe
		c.state.peerCertificates, c.state.verifiedChains = certs, chains
		hs.pskBinder = ext.Binders[i]
		hs.schedule = early
		if early.Hash() != hs.hash {
			hs.schedule = keys.NewSchedule13(hs.hash, state.psk)
		}
		if state.external {
			c.state.pskIdentity = state.identity
			return nil
		}
		hs.pskAgeSkew = time.Duration(id.ObfuscatedTicketAge-state.ageAdd)*time.Millisecond - now.Sub(state.createdAt)
		c.state.didResume = true
		c.state.resumedBy = "psk_ke"
		if dhe {
			c.state.resumedBy = "psk_dhe_ke"
		}
		if c.tracer != nil {
			mode := "psk_dhe_ke"
			if !dhe {
				mode = "psk_ke"
			}
			c.decide(&trace.Decision{What: "session", Chosen: "resumed (" + mode + ")", ReasonCode: "ticket_accepted", Reason: "a ticket sealed by this server, binder verified"})
		}
		return nil
	}
	return nil
}

// ticketAgePlausible accepts a client's ticket age within a minute of the
// server's own view: clocks drift and round trips take time, but a ticket
// replayed much later is refused.
func ticketAgePlausible(reportedMillis uint32, actual time.Duration) bool {
	diff := time.Duration(reportedMillis)*time.Millisecond - actual
	return diff > -time.Minute && diff < time.Minute
}

// usablePSK opens one offered identity: a ticket of this server's that
// may be resumed here and now, or an external PSK that GetExternalPSK
// knows; nil otherwise (the reason is in the trace).
func (hs *serverHandshakeTLS13) usablePSK(id wire.PSKIdentity, now time.Time) (*sessionState13, []*x509.Certificate, [][]*x509.Certificate) {
	c, cfg := hs.c, hs.config
	var state *sessionState13
	ok := false
	if !cfg.SessionTicketsDisabled {
		state, ok = c.openTicket(id.Identity)
	}
	if !ok {
		state = c.lookupExternalPSK(id.Identity)
		if state == nil || state.suite.PRFHash != hs.hash {
			return nil, nil, nil
		}
		return state, nil, nil
	}
	reason := ""
	switch {
	case state.suite.PRFHash != hs.hash:
		reason = "the ticket's suite hash differs from the negotiated suite's"
	case now.Sub(state.createdAt) > cfg.ticketLifetime():
		reason = "the ticket has expired"
	case !ticketAgePlausible(id.ObfuscatedTicketAge-state.ageAdd, now.Sub(state.createdAt)):
		reason = "the ticket age the client reports does not match when it was issued"
	case state.serverName != c.state.serverName:
		// RFC 8446 §4.6.1: a session belongs to the name it was
		// established for.
		reason = "the ticket was issued for another server name"
	}
	var certs []*x509.Certificate
	var chains [][]*x509.Certificate
	if reason == "" {
		certs, chains, reason = c.restoreClientIdentity(state.peerCerts)
	}
	if reason != "" {
		if c.tracer != nil {
			c.decide(&trace.Decision{What: "session", Chosen: "full handshake", ReasonCode: "ticket_refused", Reason: reason})
		}
		return nil, nil, nil
	}
	return state, certs, chains
}

// sendSessionTickets issues one ticket after the handshake (RFC 8446
// §4.6.1) when the client can use it.
func (hs *serverHandshakeTLS13) sendSessionTickets() error {
	c, cfg := hs.c, hs.config
	if !hs.ticketsWanted() {
		return nil
	}
	var ageAdd [4]byte
	if _, err := io.ReadFull(cfg.rand(), ageAdd[:]); err != nil {
		return err
	}
	// The nonce tells apart the tickets of one connection (RFC 8446
	// §4.6.1); clasp sends one, so it is the first value of a 16-bit
	// counter.
	nonce := []byte{0, 0}
	state := &sessionState13{suite: hs.suite, createdAt: cfg.now(), ageAdd: binary.BigEndian.Uint32(ageAdd[:]),
		psk: keys.ResumptionPSK(hs.hash, c.resumptionSecret, nonce), alpn: c.state.alpn, serverName: c.state.serverName,
		maxEarlyData: cfg.MaxEarlyData, peerCerts: rawCertificates(c.state.peerCertificates)}
	ticket, err := c.sealTicket(state)
	if err != nil {
		return err
	}
	nst := &wire.NewSessionTicket13{Lifetime: uint32(cfg.ticketLifetime() / time.Second),
		AgeAdd: state.ageAdd, Nonce: nonce, Ticket: ticket}
	if cfg.MaxEarlyData > 0 {
		nst.Extensions = append(nst.Extensions, &wire.EarlyDataExt{MaxEarlyDataSize: cfg.MaxEarlyData})
	}
	// Queued, not flushed: the caller decides when it leaves.
	_, err = c.writeHandshake(nst)
	return err
}
