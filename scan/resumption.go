package scan

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
)

// Resumption is how a server resumes sessions (RFC 5246 §7.3 session IDs,
// RFC 5077 tickets, RFC 8446 §2.2 PSKs), found with pairs of full clasp
// handshakes: the first gets a session, the second offers it.
type Resumption struct {
	// SessionID is TLS 1.2 (or the highest version below TLS 1.3)
	// resumption by session ID, tickets not offered; nil without such a
	// version.
	SessionID *ResumeResult `json:"session_id,omitempty"`
	// Ticket12 is RFC 5077 ticket resumption in that version.
	Ticket12 *ResumeResult `json:"ticket_tls12,omitempty"`
	// TLS13 is TLS 1.3 ticket (PSK) resumption offering psk_dhe_ke;
	// nil without TLS 1.3.
	TLS13 *ResumeResult `json:"tls13,omitempty"`
	// PSKModes is the psk_key_exchange_modes the TLS 1.3 server resumes
	// with, each offered alone: "psk_dhe_ke", "psk_ke".
	PSKModes []string `json:"psk_modes,omitempty"`
	// EarlyData is the TLS 1.3 0-RTT offer of the server's tickets.
	EarlyData *EarlyData `json:"early_data,omitempty"`
	// TicketKeys is what the tickets seen during the scan show of the
	// keys that sealed them.
	TicketKeys *TicketKeys `json:"ticket_keys,omitempty"`
}

// ResumeResult is one way of resuming, tried on one version.
type ResumeResult struct {
	Version string `json:"version"`
	// Issued: the server gave a session to resume (a session ID in its
	// ServerHello, a ticket).
	Issued bool `json:"issued"`
	// Resumed: the next connection, offering it, resumed.
	Resumed bool `json:"resumed"`
	// LifetimeSeconds is the ticket lifetime (TLS 1.3) or lifetime hint
	// (RFC 5077; 0 there means unspecified).
	LifetimeSeconds uint32 `json:"lifetime_s,omitempty"`
	// TicketsPerConnection is how many TLS 1.3 tickets one full handshake
	// brought.
	TicketsPerConnection int `json:"tickets_per_connection,omitempty"`
	// Answer says what happened, in one sentence.
	Answer string `json:"answer"`
}

// EarlyData is a TLS 1.3 server's 0-RTT (RFC 8446 §4.2.10).
type EarlyData struct {
	// MaxEarlyDataSize is the tickets' max_early_data_size; 0: no 0-RTT.
	MaxEarlyDataSize uint32 `json:"max_early_data_size"`
	// Tried: early data was sent with a resumption.
	Tried bool `json:"tried"`
	// Accepted: the server accepted it (early_data in its
	// EncryptedExtensions).
	Accepted bool   `json:"accepted"`
	Answer   string `json:"answer"`
}

// TicketKeys is what tickets show of their keys. RFC 5077 §4 suggests a
// ticket start with a key_name; OpenSSL, GnuTLS and nginx tickets do (16
// bytes), clasp's carry the period and an 8-byte name. The first 16 bytes
// are taken as the key name when some repeat across tickets; tickets whose
// first bytes differ every time (crypto/tls's) show no key.
type TicketKeys struct {
	Tickets int `json:"tickets"`
	// Visible: the tickets carry a recognisable key name.
	Visible bool `json:"visible"`
	// Names are the distinct key names (hex), in the order first seen.
	Names  []string `json:"names,omitempty"`
	Answer string   `json:"answer"`
}

// ticketKeyNameLen is how much of a ticket is taken as its key name.
const ticketKeyNameLen = 16

// ticketKeyName is the hex of a ticket's first ticketKeyNameLen bytes.
func ticketKeyName(ticket []byte) string {
	return hex.EncodeToString(ticket[:min(len(ticket), ticketKeyNameLen)])
}

// clientConfig is the clasp client a check uses for version v alone:
// every suite, group and signature scheme clasp can run, DH primes down
// to 1024 bits, so that the handshake completes with whatever the server
// accepts (judging those choices is the other checks' business).
func (s *scanner) clientConfig(v suites.Version) *clasp.Config {
	cfg := &clasp.Config{
		InsecureSkipVerify: true,
		ServerName:         s.serverName,
		MinVersion:         uint16(v),
		MaxVersion:         uint16(v),
		Groups:             append(suites.DefaultGroups(), suites.FFDHE2048, suites.FFDHE3072, suites.FFDHE4096),
		SignatureSchemes:   append(suites.DefaultSignatureSchemes(), suites.PKCS1WithSHA1, suites.ECDSAWithSHA1),
		MinDHBits:          1024,
	}
	if v < suites.VersionTLS13 {
		for _, id := range suites.ImplementedSuites() {
			cfg.CipherSuites = append(cfg.CipherSuites, uint16(id))
		}
	}
	return cfg
}

// highestBelow13 is the highest version before TLS 1.3 that the server
// speaks and clasp can run (TLS 1.0 to 1.2), or 0.
func highestBelow13(rep *Report) suites.Version {
	var best suites.Version
	for _, v := range rep.Versions {
		if v.Supported && v.Version >= suites.VersionTLS10 && v.Version <= suites.VersionTLS12 && v.Version > best {
			best = v.Version
		}
	}
	return best
}

func speaks(rep *Report, v suites.Version) bool {
	return slices.Contains(rep.Supported(), v)
}

// resumption runs the resumption checks, one handshake at a time (a
// server such as openssl s_server serves one connection at a time).
func (s *scanner) resumption(ctx context.Context, rep *Report) error {
	res := &Resumption{}
	var all []*fullHandshake
	if v := highestBelow13(rep); v != 0 {
		hs, err := s.resumePair(ctx, v, func(cfg *clasp.Config) { cfg.SessionTicketsDisabled = true })
		if err != nil {
			return err
		}
		res.SessionID = judgeSessionID(v, hs)
		hs2, err := s.resumePair(ctx, v, nil)
		if err != nil {
			return err
		}
		res.Ticket12 = judgeTicket12(v, hs2)
		all = append(all, hs...)
		all = append(all, hs2...)
	}
	if speaks(rep, suites.VersionTLS13) {
		hs, err := s.resumption13(ctx, res)
		if err != nil {
			return err
		}
		all = append(all, hs...)
	}
	res.TicketKeys = judgeTicketKeys(all)
	rep.Resumption = res
	return nil
}

// resumePair makes a full handshake and a second one offering its
// session, with one session cache; adjust changes the client's Config.
func (s *scanner) resumePair(ctx context.Context, v suites.Version, adjust func(*clasp.Config)) ([]*fullHandshake, error) {
	cfg := s.clientConfig(v)
	cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(1)
	if adjust != nil {
		adjust(cfg)
	}
	var out []*fullHandshake
	for range 2 {
		hs, err := s.handshake(ctx, handshakeSpec{config: cfg, tickets: true})
		if err != nil {
			return nil, err
		}
		out = append(out, hs)
	}
	return out, nil
}

func judgeSessionID(v suites.Version, hs []*fullHandshake) *ResumeResult {
	r := &ResumeResult{Version: v.String()}
	first, second := hs[0], hs[1]
	switch {
	case first.Err != nil:
		r.Answer = "the handshake failed: " + errText(first.Err)
	case first.ServerHello == nil || len(first.ServerHello.SessionID) == 0:
		r.Answer = "the server gives no session ID (an empty one in its ServerHello)"
	default:
		r.Issued = true
		r.Resumed, r.Answer = resumedAs(second, "session ID")
	}
	return r
}

func judgeTicket12(v suites.Version, hs []*fullHandshake) *ResumeResult {
	r := &ResumeResult{Version: v.String()}
	first, second := hs[0], hs[1]
	switch {
	case first.Err != nil:
		r.Answer = "the handshake failed: " + errText(first.Err)
	case len(first.Tickets) == 0 || len(first.Tickets[0].Bytes) == 0:
		r.Answer = "the server issues no RFC 5077 ticket (no session_ticket in its ServerHello, or an empty ticket)"
	default:
		r.Issued, r.LifetimeSeconds = true, first.Tickets[0].Lifetime
		r.Resumed, r.Answer = resumedAs(second, "session ticket")
	}
	return r
}

// resumedAs says how the second handshake of a pair went, given the
// mechanism it should have resumed by.
func resumedAs(second *fullHandshake, want string) (bool, string) {
	switch {
	case second.BrokenResumption():
		return false, "the server accepted the session in its ServerHello but the handshake then failed (" + errText(second.Err) + "): it found the session without its keys"
	case second.Err != nil:
		return false, "the resuming handshake failed: " + errText(second.Err)
	case !second.Offered:
		return false, "nothing was offered: the client kept no session from the first handshake"
	case second.State.DidResume && second.State.ResumedBy == want:
		return true, "resumed by " + want
	case second.State.DidResume:
		return false, fmt.Sprintf("resumed by %s instead of %s", second.State.ResumedBy, want)
	}
	return false, "offered, but the server made a full handshake"
}

// resumption13 tries TLS 1.3 resumption with psk_dhe_ke, then with
// psk_ke alone, then 0-RTT when the tickets allow it.
func (s *scanner) resumption13(ctx context.Context, res *Resumption) ([]*fullHandshake, error) {
	cfg := s.clientConfig(suites.VersionTLS13)
	cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(1)
	run := func(c *clasp.Config, early []byte) (*fullHandshake, error) {
		return s.handshake(ctx, handshakeSpec{config: c, earlyData: early, tickets: true})
	}
	first, err := run(cfg, nil)
	if err != nil {
		return nil, err
	}
	all := []*fullHandshake{first}
	r := &ResumeResult{Version: suites.VersionTLS13.String()}
	res.TLS13 = r
	switch {
	case first.Err != nil:
		r.Answer = "the handshake failed: " + errText(first.Err)
		return all, nil
	case len(first.Tickets) == 0:
		r.Answer = fmt.Sprintf("the server sent no NewSessionTicket within %v of the handshake", ticketWait)
		return all, nil
	}
	r.Issued, r.LifetimeSeconds, r.TicketsPerConnection = true, first.Tickets[0].Lifetime, len(first.Tickets)
	second, err := run(cfg, nil)
	if err != nil {
		return nil, err
	}
	all = append(all, second)
	r.Resumed, r.Answer = resumedAs(second, "psk_dhe_ke")
	if r.Resumed {
		res.PSKModes = append(res.PSKModes, "psk_dhe_ke")
	}
	plain := cfg.Clone()
	plain.PSKKeyExchangeModes = []uint8{clasp.PSKModePlainKE}
	third, err := run(plain, nil)
	if err != nil {
		return nil, err
	}
	all = append(all, third)
	if third.Resumed() && third.State.ResumedBy == "psk_ke" {
		res.PSKModes = append(res.PSKModes, "psk_ke")
	}
	res.EarlyData = &EarlyData{MaxEarlyDataSize: first.Tickets[0].MaxEarlyData}
	if res.EarlyData.MaxEarlyDataSize == 0 {
		res.EarlyData.Answer = "the tickets allow no early data (no early_data extension in NewSessionTicket)"
		return all, nil
	}
	early, err := s.tryEarlyData(ctx, cfg, res.EarlyData)
	if err != nil {
		return nil, err
	}
	return append(all, early...), nil
}

// earlyDataProbe is the 0-RTT data sent: an empty line, which an HTTP
// server skips before a request (RFC 9112 §2.2) and an echo server echoes.
var earlyDataProbe = []byte("\r\n")

// tryEarlyData gets a fresh ticket (a PSK with early data must be the
// first one the server issued for it, and tickets are single-use on some
// servers) and resumes with 0-RTT data.
func (s *scanner) tryEarlyData(ctx context.Context, base *clasp.Config, ed *EarlyData) ([]*fullHandshake, error) {
	cfg := base.Clone()
	cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(1)
	fresh, err := s.handshake(ctx, handshakeSpec{config: cfg, tickets: true})
	if err != nil {
		return nil, err
	}
	cfg.EarlyData = true
	hs, err := s.handshake(ctx, handshakeSpec{config: cfg, earlyData: earlyDataProbe, tickets: true})
	if err != nil {
		return nil, err
	}
	ed.Tried = hs.Offered
	switch {
	case !hs.Offered:
		ed.Answer = "no ticket to send early data with"
	case hs.Err != nil:
		ed.Answer = "the handshake with early data failed: " + errText(hs.Err)
	case hs.State.EarlyDataAccepted:
		ed.Accepted = true
		ed.Answer = fmt.Sprintf("accepted %d bytes of 0-RTT data: requests sent that way can be replayed (RFC 8446 §8)", len(earlyDataProbe))
	case hs.State.DidResume:
		ed.Answer = "resumed, but rejected the early data"
	default:
		ed.Answer = "made a full handshake, so the early data was rejected"
	}
	return []*fullHandshake{fresh, hs}, nil
}

// judgeTicketKeys looks at the first bytes of every ticket seen.
func judgeTicketKeys(hs []*fullHandshake) *TicketKeys {
	var names []string
	for _, h := range hs {
		for _, t := range h.Tickets {
			if len(t.Bytes) > 0 {
				names = append(names, ticketKeyName(t.Bytes))
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	tk := &TicketKeys{Tickets: len(names)}
	distinct := distinctInOrder(names)
	switch {
	case len(names) == 1:
		tk.Answer = "one ticket seen: nothing to compare"
	case len(distinct) == len(names):
		tk.Answer = fmt.Sprintf("the %d tickets share no first %d bytes: they show no key name, so key rotation cannot be seen", len(names), ticketKeyNameLen)
	case len(distinct) == 1:
		tk.Visible, tk.Names = true, distinct
		tk.Answer = fmt.Sprintf("one key name across %d tickets", len(names))
	default:
		tk.Visible, tk.Names = true, distinct
		tk.Answer = fmt.Sprintf("%d key names across %d tickets: the key changed during the scan, or several servers with their own keys answer", len(distinct), len(names))
	}
	return tk
}

// distinctInOrder returns the distinct values of list in the order first seen.
func distinctInOrder(list []string) []string {
	var out []string
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
