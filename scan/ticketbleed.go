package scan

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"slices"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Ticketbleed (CVE-2016-9244, found by Filippo Valsorda, 2017): F5 BIG-IP
// servers resuming a session from a ticket echoed a 32-byte session ID
// whatever the length of the one the client sent, the rest being
// uninitialised memory. RFC 5077 §3.4: a server that accepts the ticket
// "MUST respond with the same Session ID present in the ClientHello".
//
// The probe gets a ticket with a real TLS 1.2 handshake (clasp's client,
// as the resumption check makes them; only the ticket matters), then offers it back with
// a 16-byte session ID. A server that resumes answers with those 16 bytes;
// one that answers with more, beginning with them, leaks memory.

// ticketbleedIDLen is the session ID the probe sends: shorter than 32, so
// an over-long echo shows.
const ticketbleedIDLen = 16

// fetchTicket completes a TLS 1.0–1.2 handshake with clasp's client
// (handshake.go: skipped once a full handshake has timed out) and returns
// the first RFC 5077 ticket and the session's suite; why says what
// happened when there is no ticket.
func (s *scanner) fetchTicket(ctx context.Context, v suites.Version) (ticket []byte, suite suites.ID, why string, err error) {
	cfg := s.clientConfig(v)
	cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(1)
	hs, err := s.handshake(ctx, handshakeSpec{config: cfg})
	switch {
	case err != nil:
		return nil, 0, "", err
	case hs.Err != nil:
		return nil, 0, fmt.Sprintf("the handshake that would get a ticket failed: %s", errText(hs.Err)), nil
	case len(hs.Tickets) == 0 || len(hs.Tickets[0].Bytes) == 0 || hs.ServerHello == nil:
		return nil, 0, "", nil
	}
	return hs.Tickets[0].Bytes, hs.ServerHello.CipherSuite, "", nil
}

func (s *scanner) ticketbleed(ctx context.Context, rep *Report) (Finding, error) {
	v := highest(rep, suites.VersionTLS12)
	if v < suites.VersionTLS10 {
		return weakFinding(weakTicketbleed, StatusNotApplicable, "no TLS 1.0–1.2: session tickets (RFC 5077) need a TLS 1.0–1.2 handshake"), nil
	}
	ticket, suite, why, err := s.fetchTicket(ctx, v)
	switch {
	case err != nil:
		return Finding{}, err
	case why != "":
		return weakFinding(weakTicketbleed, StatusUnknown, "%s", why), nil
	case len(ticket) == 0:
		return weakFinding(weakTicketbleed, StatusNotApplicable, "the server issued no session ticket in a %v handshake", v), nil
	}
	id := make([]byte, ticketbleedIDLen)
	if _, err := rand.Read(id); err != nil {
		return Finding{}, err
	}
	p := compactHello(rep, v, s.serverName)
	// The session's suite must be offered again (RFC 5246 §7.4.1.2).
	p.CipherSuites = append([]suites.ID{suite}, slices.DeleteFunc(p.CipherSuites, func(id suites.ID) bool { return id == suite })...)
	// RFC 7627 §5.3: a session made with extended master secret (clasp's
	// client always offers it) resumes only with a hello that offers it.
	p.Extra = append(p.Extra, &wire.ExtendedMasterSecretExt{}, &wire.SessionTicketExt{Ticket: ticket})
	f, res, err := s.rawHello(ctx, p, func(h *wire.ClientHello) { h.SessionID = id })
	switch {
	case err != nil:
		return Finding{}, err
	case f == nil:
		return weakFinding(weakTicketbleed, StatusUnknown, "offering the ticket back got %s", res.Summary()), nil
	}
	echo := f.hello.SessionID
	switch {
	case len(echo) > len(id) && bytes.HasPrefix(echo, id):
		return weakFinding(weakTicketbleed, StatusVulnerable,
			"offered a ticket with a %d-byte session ID; the server echoed it in a %d-byte session ID: %d bytes of its memory", len(id), len(echo), len(echo)-len(id)), nil
	case bytes.Equal(echo, id):
		return weakFinding(weakTicketbleed, StatusNotVulnerable, "offered a ticket with a %d-byte session ID; the server resumed and echoed exactly those %d bytes", len(id), len(id)), nil
	}
	return weakFinding(weakTicketbleed, StatusUnknown, "offered a ticket with a %d-byte session ID; the server did not resume it (its session ID has %d bytes)", len(id), len(echo)), nil
}
