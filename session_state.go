package clasp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// crypto/tls's session API over clasp's sessions: SessionState and its
// serialisation, the server's WrapSession/UnwrapSession and
// EncryptTicket/DecryptTicket hooks, and the client's ResumptionState and
// NewResumptionState for caches that keep sessions elsewhere.

// SessionState is a resumable session: on a server what a ticket carries
// (TLS 1.2 or 1.3), on a client what ClientSessionState.ResumptionState
// returns. Bytes serialises it, ParseSessionState reads it back.
type SessionState struct {
	// Extra is kept by Bytes and ParseSessionState and ignored by clasp:
	// room for WrapSession, UnwrapSession and session caches to store
	// their own data beside the session.
	Extra [][]byte
	// EarlyData is whether the session allows 0-RTT data.
	EarlyData bool

	s12    *sessionState12
	s13    *sessionState13
	client *ClientSessionState
}

// Kinds of SessionState in its serialised form.
const (
	sessionKindServer12 = 1
	sessionKindServer13 = 2
	sessionKindClient   = 3
)

// Bytes serialises the session: its secrets included, so the result must
// be kept as confidential as the connection's keys.
func (s *SessionState) Bytes() ([]byte, error) {
	var kind uint8
	var inner []byte
	var err error
	switch {
	case s.s12 != nil:
		kind = sessionKindServer12
		inner, err = s.s12.marshal()
	case s.s13 != nil:
		kind = sessionKindServer13
		inner, err = s.s13.marshal()
	case s.client != nil:
		kind = sessionKindClient
		inner, err = marshalClientSession(s.client)
	default:
		return nil, errors.New("clasp: an empty SessionState")
	}
	if err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddUint8(kind)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(inner) })
	b.AddUint8(boolByte(s.EarlyData))
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, e := range s.Extra {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e) })
		}
	})
	return b.Bytes()
}

// ParseSessionState reads what SessionState.Bytes wrote.
func ParseSessionState(data []byte) (*SessionState, error) {
	in := cryptobyte.String(data)
	var kind, early uint8
	var inner, extras cryptobyte.String
	if !in.ReadUint8(&kind) || !in.ReadUint24LengthPrefixed(&inner) || !in.ReadUint8(&early) || early > 1 ||
		!in.ReadUint24LengthPrefixed(&extras) || !in.Empty() {
		return nil, errors.New("clasp: malformed session state")
	}
	s := &SessionState{EarlyData: early == 1}
	for !extras.Empty() {
		var e cryptobyte.String
		if !extras.ReadUint24LengthPrefixed(&e) {
			return nil, errors.New("clasp: malformed session state")
		}
		s.Extra = append(s.Extra, slices.Clone(e))
	}
	ok := false
	switch kind {
	case sessionKindServer12:
		s.s12, ok = parseSessionState12(inner)
	case sessionKindServer13:
		s.s13, ok = parseSessionState13(inner)
	case sessionKindClient:
		s.client, ok = parseClientSession(inner)
	}
	if !ok {
		return nil, errors.New("clasp: malformed session state")
	}
	return s, nil
}

// ResumptionState returns the session's ticket (nil for a TLS 1.2 session
// resumed by ID) and the rest of its state, which NewResumptionState puts
// back together: for a ClientSessionCache that stores sessions elsewhere.
func (cs *ClientSessionState) ResumptionState() (ticket []byte, state *SessionState, err error) {
	if cs == nil || cs.suite == nil {
		return nil, nil, errors.New("clasp: no session to resume")
	}
	client := *cs
	client.ticket = nil
	return slices.Clone(cs.ticket), &SessionState{client: &client, EarlyData: cs.maxEarlyData > 0}, nil
}

// NewResumptionState rebuilds a client session from ResumptionState's two
// parts, for ClientSessionCache.Put and Get.
func NewResumptionState(ticket []byte, state *SessionState) (*ClientSessionState, error) {
	if state == nil || state.client == nil {
		return nil, errors.New("clasp: NewResumptionState needs a client's session state (from ResumptionState)")
	}
	cs := *state.client
	cs.ticket = slices.Clone(ticket)
	return &cs, nil
}

func marshalClientSession(cs *ClientSessionState) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddUint16(uint16(cs.version))
	b.AddUint16(uint16(cs.suite.ID))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(cs.psk) })
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(cs.master) })
	b.AddUint8(boolByte(cs.ems))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(cs.sessionID) })
	b.AddUint32(cs.ageAdd)
	b.AddUint64(uint64(cs.lifetime))
	b.AddUint32(cs.maxEarlyData)
	b.AddUint64(uint64(cs.receivedAt.UnixMilli()))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(cs.alpn)) })
	addCertificates(&b, cs.peerCerts)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, chain := range cs.verifiedChains {
			addCertificates(b, chain)
		}
	})
	return b.Bytes()
}

func addCertificates(b *cryptobyte.Builder, certs []*x509.Certificate) {
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, c := range certs {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(c.Raw) })
		}
	})
}

func parseClientSession(data []byte) (*ClientSessionState, bool) {
	in := cryptobyte.String(data)
	var version, suiteID uint16
	var psk, master, sessionID, alpn, peers, chains cryptobyte.String
	var ems uint8
	var lifetime, received uint64
	cs := &ClientSessionState{}
	if !in.ReadUint16(&version) || !in.ReadUint16(&suiteID) || !in.ReadUint8LengthPrefixed(&psk) ||
		!in.ReadUint8LengthPrefixed(&master) || !in.ReadUint8(&ems) || !in.ReadUint8LengthPrefixed(&sessionID) ||
		!in.ReadUint32(&cs.ageAdd) || !in.ReadUint64(&lifetime) || !in.ReadUint32(&cs.maxEarlyData) ||
		!in.ReadUint64(&received) || !in.ReadUint8LengthPrefixed(&alpn) || !in.ReadUint24LengthPrefixed(&peers) ||
		!in.ReadUint24LengthPrefixed(&chains) || !in.Empty() || ems > 1 {
		return nil, false
	}
	cs.version, cs.suite = suites.Version(version), suites.SuiteByID(suites.ID(suiteID))
	if cs.suite == nil || !suiteUsableIn(cs.suite, cs.version) || !clientSessionSecretsFit(cs.version, cs.suite, psk, master, ems, sessionID) {
		return nil, false
	}
	cs.psk, cs.master, cs.ems, cs.sessionID = slices.Clone(psk), slices.Clone(master), ems == 1, slices.Clone(sessionID)
	cs.lifetime, cs.receivedAt, cs.alpn = time.Duration(lifetime), time.UnixMilli(int64(received)), string(alpn)
	var ok bool
	if cs.peerCerts, ok = readCertificates(peers); !ok {
		return nil, false
	}
	for !chains.Empty() {
		var chain cryptobyte.String
		if !chains.ReadUint24LengthPrefixed(&chain) {
			return nil, false
		}
		certs, ok := readCertificates(chain)
		if !ok {
			return nil, false
		}
		cs.verifiedChains = append(cs.verifiedChains, certs)
	}
	return cs, true
}

// clientSessionSecretsFit reports whether a client session's secrets have
// the shape its version gives them: a TLS 1.3 session has a PSK of its
// hash's size and nothing of TLS 1.2; an older one has a 48-byte master
// secret (RFC 5246 §8.1) and a session ID of at most 32 bytes (§7.4.1.2).
// A session of any other shape was not written by clasp.
func clientSessionSecretsFit(v suites.Version, s *suites.Suite, psk, master []byte, ems uint8, sessionID []byte) bool {
	if v == suites.VersionTLS13 {
		return len(psk) == s.PRFHash.Size() && len(master) == 0 && ems == 0 && len(sessionID) == 0
	}
	return len(master) == 48 && len(psk) == 0 && len(sessionID) <= 32
}

func readCertificates(list cryptobyte.String) ([]*x509.Certificate, bool) {
	var out []*x509.Certificate
	for !list.Empty() {
		var der cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&der) {
			return nil, false
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, false
		}
		out = append(out, cert)
	}
	return out, true
}

// sealSession turns a server's session into the ticket the client gets:
// Config.WrapSession's when set, else EncryptTicket's.
func (c *Conn) sealSession(ss *SessionState) ([]byte, error) {
	cfg := c.config
	if cfg.WrapSession != nil {
		return cfg.WrapSession(c.connectionStateLocked(), ss)
	}
	// EncryptTicket does not read the ConnectionState, whose copies and
	// exporter closure would be built on every ticket for nothing.
	return cfg.EncryptTicket(ConnectionState{}, ss)
}

// openSession is the session a client's ticket (or PSK identity) carries:
// Config.UnwrapSession's when set, else DecryptTicket's; nil when it is
// not one this server can resume (a callback's error is logged and costs
// only the resumption).
func (c *Conn) openSession(identity []byte) *SessionState {
	cfg := c.config
	var ss *SessionState
	var err error
	if cfg.UnwrapSession != nil {
		ss, err = cfg.UnwrapSession(identity, c.connectionStateLocked())
	} else {
		// DecryptTicket does not read the ConnectionState (see sealSession).
		ss, err = cfg.DecryptTicket(identity, ConnectionState{})
	}
	if err != nil {
		cfg.logger().Warn("clasp: a ticket could not be opened", "err", err)
		return nil
	}
	return ss
}

// EncryptTicket seals ss into a ticket with the Config's ticket keys (the
// rotating keys from SessionTicketKey, or those of SetSessionTicketKeys),
// or its TicketSealer: what a server does when WrapSession is not set, and
// what a WrapSession may call.
func (c *Config) EncryptTicket(cs ConnectionState, ss *SessionState) ([]byte, error) {
	plain, err := ss.Bytes()
	if err != nil {
		return nil, err
	}
	return c.sealTicketBytes(plain)
}

// DecryptTicket opens a ticket EncryptTicket made; (nil, nil) when it is
// not one of this Config's (another key, expired, damaged).
func (c *Config) DecryptTicket(identity []byte, cs ConnectionState) (*SessionState, error) {
	plain, ok := c.openTicketBytes(identity)
	if !ok {
		return nil, nil
	}
	ss, err := ParseSessionState(plain)
	if err != nil || ss.client != nil {
		return nil, nil
	}
	return ss, nil
}

// explicitTicketPeriod marks a ticket sealed under a key from
// SetSessionTicketKeys, where the period field of a rotating-key ticket
// would be.
const explicitTicketPeriod = ^uint64(0)

// SetSessionTicketKeys replaces the server's ticket keys, as crypto/tls's
// does: keys[0] seals new tickets and every key opens them, so an operator
// rotates by putting a new key first and keeping the old ones for a
// while. It turns off clasp's own rotation (SessionTicketKey and
// TicketKeyRotation) for this Config; no keys turns it back on. It is safe
// to call while the Config serves connections.
func (c *Config) SetSessionTicketKeys(keys [][32]byte) {
	c.explicitTicketKeys.Store(slices.Clone(keys))
}

func (c *Config) ticketKeys() [][32]byte {
	keys, _ := c.explicitTicketKeys.Load().([][32]byte)
	return keys
}

// explicitTicketKey returns the AEAD and the key name of one
// SetSessionTicketKeys key, derived once (see ticketKeyCache).
func explicitTicketKey(key [32]byte) (cipher.AEAD, []byte, error) {
	return cachedTicketKey(ticketKeyID{base: key, explicit: true}, func() (cipher.AEAD, []byte, error) {
		return deriveExplicitTicketKey(key)
	})
}

// deriveExplicitTicketKey derives the AEAD and the key name of one
// SetSessionTicketKeys key.
func deriveExplicitTicketKey(key [32]byte) (cipher.AEAD, []byte, error) {
	aesKey, err := hkdf.Key(sha256.New, key[:], nil, "clasp explicit ticket key", 32)
	if err != nil {
		return nil, nil, err
	}
	name, err := hkdf.Key(sha256.New, key[:], nil, "clasp explicit ticket key name", ticketKeyNameLen)
	if err != nil {
		return nil, nil, err
	}
	block, err := aes.NewCipher(aesKey)
	if err != nil {
		return nil, nil, err
	}
	aead, err := cipher.NewGCM(block)
	return aead, name, err
}

// openExplicitTicket opens a ticket sealed under one of the keys, found by
// its key name.
func (c *Config) openExplicitTicket(ticket []byte) ([]byte, bool) {
	const header = 8 + ticketKeyNameLen
	for _, key := range c.ticketKeys() {
		aead, name, err := explicitTicketKey(key)
		if err != nil || !hmac.Equal(name, ticket[8:header]) || len(ticket) < header+aead.NonceSize() {
			continue
		}
		nonce := ticket[header : header+aead.NonceSize()]
		plain, err := aead.Open(nil, nonce, ticket[header+aead.NonceSize():], ticket[:header])
		return plain, err == nil
	}
	return nil, false
}
