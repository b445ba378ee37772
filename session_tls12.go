package clasp

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/sessions"
)

// sessionState12 is a TLS 1.2 session a server can resume (RFC 5246
// §7.3): kept under its session ID in the SessionStore, or sealed into a
// ticket (RFC 5077) that the client keeps.
type sessionState12 struct {
	version    suites.Version
	suite      *suites.Suite
	master     []byte
	ems        bool
	createdAt  time.Time
	serverName string
	peerCerts  [][]byte // the client's chain, when it authenticated
}

// ticketFormatTLS12 is the first byte of a TLS 1.2 session's serialised
// form; TLS 1.3 tickets use ticketFormatVersion, so neither is mistaken for
// the other.
const ticketFormatTLS12 = 2

func (s *sessionState12) marshal() ([]byte, error) {
	var b cryptobyte.Builder
	b.AddUint8(ticketFormatTLS12)
	b.AddUint16(uint16(s.version))
	b.AddUint16(uint16(s.suite.ID))
	b.AddUint64(uint64(s.createdAt.Unix()))
	b.AddUint8(boolByte(s.ems))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.master) })
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(s.serverName)) })
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, der := range s.peerCerts {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(der) })
		}
	})
	return b.Bytes()
}

func boolByte(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}

// parseSessionState12 reads a serialised session; anything malformed is
// simply not a session (a cache miss), never an error for the connection.
func parseSessionState12(data []byte) (*sessionState12, bool) {
	s := cryptobyte.String(data)
	var format, ems uint8
	var version, suiteID uint16
	var created uint64
	var master, name, certs cryptobyte.String
	if !s.ReadUint8(&format) || format != ticketFormatTLS12 || !s.ReadUint16(&version) || !s.ReadUint16(&suiteID) ||
		!s.ReadUint64(&created) || !s.ReadUint8(&ems) || ems > 1 || !s.ReadUint8LengthPrefixed(&master) ||
		!s.ReadUint8LengthPrefixed(&name) || !s.ReadUint24LengthPrefixed(&certs) || !s.Empty() {
		return nil, false
	}
	suite := suites.SuiteByID(suites.ID(suiteID))
	if suite == nil || !suiteUsableIn(suite, suites.Version(version)) || len(master) != 48 {
		return nil, false
	}
	st := &sessionState12{version: suites.Version(version), suite: suite, master: slices.Clone(master), ems: ems == 1,
		createdAt: time.Unix(int64(created), 0), serverName: string(name)}
	for !certs.Empty() {
		var der cryptobyte.String
		if !certs.ReadUint24LengthPrefixed(&der) {
			return nil, false
		}
		st.peerCerts = append(st.peerCerts, slices.Clone(der))
	}
	return st, true
}

// defaultSessionTTL bounds how long a server resumes a TLS 1.2 session.
const defaultSessionTTL = 2 * time.Hour

func (c *Config) sessionTTL() time.Duration {
	if c.SessionTTL > 0 {
		return c.SessionTTL
	}
	return defaultSessionTTL
}

var (
	defaultStoreOnce sync.Once
	defaultStore     sessions.Store
)

// sessionStore is Config.SessionStore, or one in-memory store shared by the
// process. Entries are sealed under the ticket base key, so configurations
// with different keys cannot resume each other's sessions even there.
func (c *Config) sessionStore() sessions.Store {
	if c.SessionStore != nil {
		return c.SessionStore
	}
	defaultStoreOnce.Do(func() {
		defaultStore = sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 10000})
	})
	return defaultStore
}

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// sealers caches one Sealer per base key: deriving its key per handshake
// would cost an HKDF for nothing.
var sealers sync.Map // string(base key) → *sessions.Sealer

// sealedSessionStore is the session store seen through the fleet's sealer:
// values are encrypted and bound to their key, and an entry that is corrupt,
// foreign or undecryptable reads as a miss (logged), never as an error.
func (c *Config) sealedSessionStore() (sessions.Store, error) {
	base := c.ticketBaseKey()
	sealer, ok := sealers.Load(string(base))
	if !ok {
		s, err := sessions.NewSealer(base, "clasp TLS 1.2 session")
		if err != nil {
			return nil, err
		}
		sealer, _ = sealers.LoadOrStore(string(base), s)
	}
	return sessions.NewSealedStore(c.sessionStore(), sealer.(*sessions.Sealer), c.logger()), nil
}

func sessionStoreKey(id []byte) string { return "clasp:tls12:" + hex.EncodeToString(id) }

// storeContext is the context of one store operation, bounded by
// storeTimeout. An in-memory store never waits, so it gets no deadline: the
// timer behind one was 0.75 % of a TLS 1.2 full handshake's CPU, spent on
// every session a server stores.
func storeContext(store sessions.Store) (context.Context, context.CancelFunc) {
	if _, inMemory := store.(*sessions.MemoryStore); inMemory {
		return context.Background(), func() {}
	}
	return context.WithTimeout(context.Background(), storeTimeout)
}

// storeTimeout bounds one store operation: a slow store costs a resumption,
// never a connection.
const storeTimeout = 2 * time.Second

// saveSession puts a completed session under its ID. A store that fails
// is logged and costs only later resumptions.
func (c *Conn) saveSession(id []byte, st *sessionState12) {
	cfg := c.config
	plain, err := st.marshal()
	if err != nil {
		return
	}
	store, err := cfg.sealedSessionStore()
	if err != nil {
		return
	}
	ctx, cancel := storeContext(cfg.sessionStore())
	defer cancel()
	if err := store.Put(ctx, sessionStoreKey(id), plain, cfg.sessionTTL()); err != nil {
		cfg.logger().Warn("clasp: session store unavailable; sessions will not resume", "op", "put", "err", err)
	}
}

// loadSession finds a session by ID; any failure is a miss.
func (c *Conn) loadSession(id []byte) *sessionState12 {
	cfg := c.config
	store, err := cfg.sealedSessionStore()
	if err != nil {
		return nil
	}
	key := sessionStoreKey(id)
	ctx, cancel := storeContext(cfg.sessionStore())
	defer cancel()
	plain, ok, err := store.Get(ctx, key)
	if err != nil {
		cfg.logger().Warn("clasp: session store unavailable; doing a full handshake", "op", "get", "err", err)
		return nil
	}
	if !ok {
		return nil
	}
	st, ok := parseSessionState12(plain)
	if !ok {
		cfg.logger().Info("clasp: ignoring a stored session that does not parse", "key", key)
		return nil
	}
	if cfg.now().Sub(st.createdAt) > cfg.sessionTTL() {
		return nil
	}
	return st
}

// forgetSession removes a session that must not be resumed: RFC 5246 §7.2.2
// says a session ended by a fatal alert is invalid.
func (c *Conn) forgetSession(id []byte) {
	if len(id) == 0 {
		return
	}
	ctx, cancel := storeContext(c.config.sessionStore())
	defer cancel()
	if err := c.config.sessionStore().Delete(ctx, sessionStoreKey(id)); err != nil {
		c.config.logger().Warn("clasp: session store unavailable", "op", "delete", "err", err)
	}
}

// sealTicket12 and openTicket12 carry a TLS 1.2 session in an RFC 5077
// ticket, under the same keys as TLS 1.3 tickets (or through the Config's
// WrapSession and UnwrapSession).
func (c *Conn) sealTicket12(st *sessionState12) ([]byte, error) {
	return c.sealSession(&SessionState{s12: st})
}

func (c *Conn) openTicket12(ticket []byte) (*sessionState12, bool) {
	ss := c.openSession(ticket)
	if ss == nil || ss.s12 == nil || c.config.now().Sub(ss.s12.createdAt) > c.config.sessionTTL() {
		return nil, false
	}
	return ss.s12, true
}

// newSessionID draws a fresh 32-byte session ID.
func newSessionID(rand io.Reader) ([]byte, error) {
	id := make([]byte, 32)
	if _, err := io.ReadFull(rand, id); err != nil {
		return nil, fmt.Errorf("reading random bytes: %w", err)
	}
	return id, nil
}

// resumable12 reports why a stored session cannot be resumed with this
// ClientHello, or "" when it can (RFC 5246 §7.4.1.2, RFC 7627 §5.3).
func resumable12(st *sessionState12, hello *wire.ClientHello, version suites.Version, cfg *Config, serverName string) string {
	_, clientEMS := wire.FindExtension[*wire.ExtendedMasterSecretExt](hello.Extensions)
	// SSL 3.0 has no extended master secret (RFC 7627 is a TLS extension).
	emsNow := clientEMS && !cfg.DisableExtendedMasterSecret && version != suites.VersionSSL30
	switch {
	case st.version != version:
		return fmt.Sprintf("the session is %s, this handshake %s", st.version, version)
	case !slices.Contains(hello.CipherSuites, st.suite.ID) || !slices.Contains(cfg.cipherSuites(), st.suite.ID):
		return fmt.Sprintf("the session's suite %s is no longer offered or accepted", st.suite.Name)
	case st.ems != emsNow:
		// RFC 7627 §5.3: neither side may resume across a change of EMS.
		return fmt.Sprintf("the session used extended master secret: %v; this handshake would: %v", st.ems, emsNow)
	case st.serverName != serverName:
		return fmt.Sprintf("the session was for server name %q, not %q", st.serverName, serverName)
	}
	return ""
}
