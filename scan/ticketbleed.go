package scan

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"slices"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// Ticketbleed (CVE-2016-9244, found by Filippo Valsorda, 2017): F5 BIG-IP
// servers resuming a session from a ticket echoed a 32-byte session ID
// whatever the length of the one the client sent, the rest being
// uninitialised memory. RFC 5077 §3.4: a server that accepts the ticket
// "MUST respond with the same Session ID present in the ClientHello".
//
// The probe gets a ticket with a real TLS 1.2 handshake (clasp's client,
// certificate unchecked: only the ticket matters), then offers it back with
// a 16-byte session ID. A server that resumes answers with those 16 bytes;
// one that answers with more, beginning with them, leaks memory.

// ticketbleedIDLen is the session ID the probe sends: shorter than 32, so
// an over-long echo shows.
const ticketbleedIDLen = 16

// fetchTicket completes a TLS 1.2 (or earlier) handshake and returns the
// NewSessionTicket's ticket, or nil when the server sent none.
func (s *scanner) fetchTicket(ctx context.Context, v suites.Version, offer []uint16) (ticket []byte, suite suites.ID, why string, err error) {
	err = s.runner.converse(ctx, s.addr, func(conn net.Conn) error {
		cfg := &clasp.Config{
			ServerName:         s.serverName,
			InsecureSkipVerify: true,
			MinVersion:         uint16(suites.VersionTLS10),
			MaxVersion:         uint16(v),
			CipherSuites:       offer,
			ClientSessionCache: clasp.NewLRUClientSessionCache(1),
			Tracer: trace.TracerFunc(func(e trace.Event) {
				if m, ok := e.(*trace.Message); ok && m.Direction == trace.Received {
					switch msg := m.Parsed.(type) {
					case *wire.NewSessionTicket:
						ticket = bytes.Clone(msg.Ticket)
					case *wire.ServerHello:
						suite = msg.CipherSuite
					}
				}
			}),
		}
		c := clasp.Client(conn, cfg)
		if err := c.HandshakeContext(ctx); err != nil {
			why = fmt.Sprintf("the handshake that would get a ticket failed: %v", err)
		}
		return nil
	})
	if de, ok := err.(*errDial); ok {
		return nil, 0, de.Error(), nil
	}
	return ticket, suite, why, err
}

func (s *scanner) ticketbleed(ctx context.Context, rep *Report) (Finding, error) {
	v := highest(rep, suites.VersionTLS12)
	if v < suites.VersionTLS10 {
		return finding(weakTicketbleed, StatusNotApplicable, "no TLS 1.0–1.2: session tickets (RFC 5077) need a TLS 1.0–1.2 handshake"), nil
	}
	// clasp's client runs only the suites it implements; it offers those
	// the server was found to accept, weak ones included, since a scan
	// asks what the server does, not what a client should do.
	var offer []uint16
	for _, id := range acceptedSuites(rep, v, 64) {
		if st := suites.SuiteByID(id); st != nil && st.Implemented {
			offer = append(offer, uint16(id))
		}
	}
	if len(offer) == 0 {
		return finding(weakTicketbleed, StatusUnknown, "none of the suites the server accepts in %v is one clasp can finish a handshake with", v), nil
	}
	ticket, suite, why, err := s.fetchTicket(ctx, v, offer)
	switch {
	case err != nil:
		return Finding{}, err
	case why != "":
		return finding(weakTicketbleed, StatusUnknown, "%s", why), nil
	case len(ticket) == 0:
		return finding(weakTicketbleed, StatusNotApplicable, "the server issued no session ticket in a %v handshake", v), nil
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
		return finding(weakTicketbleed, StatusUnknown, "offering the ticket back got %s", res.Summary()), nil
	}
	echo := f.hello.SessionID
	switch {
	case len(echo) > len(id) && bytes.HasPrefix(echo, id):
		return finding(weakTicketbleed, StatusVulnerable,
			"offered a ticket with a %d-byte session ID; the server echoed it in a %d-byte session ID: %d bytes of its memory", len(id), len(echo), len(echo)-len(id)), nil
	case bytes.Equal(echo, id):
		return finding(weakTicketbleed, StatusNotVulnerable, "offered a ticket with a %d-byte session ID; the server resumed and echoed exactly those %d bytes", len(id), len(id)), nil
	}
	return finding(weakTicketbleed, StatusUnknown, "offered a ticket with a %d-byte session ID; the server did not resume it (its session ID has %d bytes)", len(id), len(echo)), nil
}
