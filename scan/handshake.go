package scan

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// Some checks (resumption, renegotiation, the fleet) need whole handshakes,
// not just the server's first answer: for them the scan is a clasp client
// (the stack itself, through its public API), and a Tracer keeps what the
// server sent. Trust is judged elsewhere, so certificates are not verified.

// ticketWait is how long a TLS 1.3 client waits after its handshake for the
// server's NewSessionTickets (RFC 8446 §4.6.1: they come after the
// client's Finished, with nothing to announce them); ticketGrace, once one
// has come, for the others of the same flight.
const (
	ticketWait  = 500 * time.Millisecond
	ticketGrace = 40 * time.Millisecond
)

// handshakeSpec is one full handshake to make.
type handshakeSpec struct {
	config *clasp.Config
	// earlyData, with config.EarlyData, is written as 0-RTT data.
	earlyData []byte
	// tickets asks to wait for a TLS 1.3 server's NewSessionTickets after
	// the handshake (up to ticketWait).
	tickets bool
	// then runs on the established connection (a renegotiation, say);
	// its error is kept in fullHandshake.ThenErr.
	then func(*clasp.Conn) error
	// onTransport, when set, runs after a completed handshake instead of
	// then, with the transport under the Conn, for a check that writes
	// records the Conn never would (a heartbeat) under keys of its own.
	onTransport func(hs *fullHandshake, conn *clasp.Conn, raw net.Conn)
}

// fullHandshake is what one full handshake showed.
type fullHandshake struct {
	// Err is the handshake's error; nil when it completed.
	Err   error
	State clasp.ConnectionState
	// ServerHello is the server's last ServerHello (not a
	// HelloRetryRequest); nil when none came.
	ServerHello *wire.ServerHello
	// EncryptedExtensions is the TLS 1.3 server's, when it came.
	EncryptedExtensions *wire.EncryptedExtensions
	// Tickets are the tickets the server sent, in order: RFC 5077
	// NewSessionTicket (TLS 1.2) or TLS 1.3 NewSessionTicket.
	Tickets []seenTicket
	// Offered is true when the client offered a cached session.
	Offered bool
	// AcceptedByHello is true when the server's ServerHello took the
	// offered session (echoed the session ID or selected the PSK), which
	// the Finished messages then confirm or not.
	AcceptedByHello bool
	// ThenErr is the error of handshakeSpec.then.
	ThenErr error
}

// seenTicket is one session ticket a server issued.
type seenTicket struct {
	// Lifetime is the ticket_lifetime (TLS 1.3) or ticket_lifetime_hint
	// (RFC 5077 §3.3), in seconds.
	Lifetime uint32
	// MaxEarlyData is the early_data extension's max_early_data_size; 0
	// when the ticket allows no 0-RTT data.
	MaxEarlyData uint32
	Bytes        []byte
}

// Resumed reports whether the handshake completed as a resumption.
func (h *fullHandshake) Resumed() bool { return h.Err == nil && h.State.DidResume }

// BrokenResumption reports a resumption the ServerHello accepted but the
// handshake could not complete: the server found the session but not its
// secrets (its Finished, or its first encrypted record, did not verify).
func (h *fullHandshake) BrokenResumption() bool { return h.AcceptedByHello && h.Err != nil }

// handshakeRecorder collects the server's messages from the trace.
type handshakeRecorder struct {
	mu  sync.Mutex
	hs  *fullHandshake
	raw net.Conn // to cut the wait for tickets short
}

func (r *handshakeRecorder) Trace(e trace.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev := e.(type) {
	case *trace.Decision:
		if ev.What == "session" && strings.HasPrefix(ev.Chosen, "resumed") {
			r.hs.AcceptedByHello = true
		}
	case *trace.Message:
		if ev.Direction == trace.Received {
			r.received(ev.Parsed)
		}
	}
}

func (r *handshakeRecorder) received(msg any) {
	switch m := msg.(type) {
	case *wire.ServerHello:
		if !m.IsHelloRetryRequest() {
			r.hs.ServerHello = m
		}
	case *wire.EncryptedExtensions:
		r.hs.EncryptedExtensions = m
	case *wire.NewSessionTicket:
		r.hs.Tickets = append(r.hs.Tickets, seenTicket{Lifetime: m.LifetimeHint, Bytes: m.Ticket})
	case *wire.NewSessionTicket13:
		t := seenTicket{Lifetime: m.Lifetime, Bytes: m.Ticket}
		if ed, ok := wire.FindExtension[*wire.EarlyDataExt](m.Extensions); ok {
			t.MaxEarlyData = ed.MaxEarlyDataSize
		}
		r.hs.Tickets = append(r.hs.Tickets, t)
		_ = r.raw.SetReadDeadline(time.Now().Add(ticketGrace))
	}
}

// offerWatch wraps a client's session cache to see whether a session was
// there to offer.
type offerWatch struct {
	clasp.ClientSessionCache
	offered bool
}

func (w *offerWatch) Get(key string) (*clasp.ClientSessionState, bool) {
	cs, ok := w.ClientSessionCache.Get(key)
	if ok && cs != nil {
		w.offered = true
	}
	return cs, ok
}

// handshake makes one full handshake to addr under the Runner's limits.
// Failures of the network or the server are in fullHandshake.Err; the error
// is ctx ending while waiting for a connection slot.
func (r *Runner) handshake(ctx context.Context, addr string, spec handshakeSpec) (*fullHandshake, error) {
	r.init()
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-r.slots }()
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	r.connections.Add(1)
	hs := &fullHandshake{}
	raw, err := r.dial(ctx, addr)
	if err != nil {
		hs.Err = err
		return hs, nil
	}
	defer raw.Close()
	deadline, _ := ctx.Deadline()
	_ = raw.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	rec := &handshakeRecorder{hs: hs, raw: raw}
	cfg := spec.config.Clone()
	cfg.Tracer = rec
	var watch *offerWatch
	if cfg.ClientSessionCache != nil {
		watch = &offerWatch{ClientSessionCache: cfg.ClientSessionCache}
		cfg.ClientSessionCache = watch
	}
	conn := clasp.Client(raw, cfg)
	if len(spec.earlyData) > 0 {
		_, hs.Err = conn.Write(spec.earlyData)
	} else {
		hs.Err = conn.HandshakeContext(ctx)
	}
	if hs.Err == nil && spec.tickets && conn.ConnectionState().Version == uint16(suites.VersionTLS13) {
		awaitTickets(conn, raw, deadline)
	}
	switch {
	case hs.Err == nil && spec.onTransport != nil:
		spec.onTransport(hs, conn, raw)
	case hs.Err == nil && spec.then != nil:
		hs.ThenErr = spec.then(conn)
	}
	rec.mu.Lock()
	hs.State = conn.ConnectionState()
	hs.Offered = watch != nil && watch.offered
	rec.mu.Unlock()
	// close_notify: OpenSSL forgets the session of a connection that
	// ends without one (it might have been truncated).
	_ = raw.SetWriteDeadline(time.Now().Add(time.Second))
	_ = conn.Close()
	return hs, nil
}

// awaitTickets reads after a TLS 1.3 handshake until the server's tickets
// have come (the handshakeRecorder shortens the wait when one does) or ticketWait
// passes. The read's timeout ends the connection's reading; nothing else
// is read on it.
func awaitTickets(conn *clasp.Conn, raw net.Conn, deadline time.Time) {
	wait := time.Now().Add(ticketWait)
	if !deadline.IsZero() && deadline.Before(wait) {
		wait = deadline
	}
	_ = raw.SetReadDeadline(wait)
	buf := make([]byte, 512)
	for {
		if _, err := conn.Read(buf); err != nil {
			return
		}
	}
}

// errText is an error's text on one line, for answers in a report.
func errText(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// errHandshakeSkipped is the error of a handshake not made because an earlier one
// timed out: a server that stalls full handshakes would otherwise cost a
// timeout per check.
var errHandshakeSkipped = errors.New("not tried: an earlier full handshake with this server timed out")

// handshake makes one full handshake for a check, unless an earlier one
// timed out.
func (s *scanner) handshake(ctx context.Context, spec handshakeSpec) (*fullHandshake, error) {
	if s.handshakesStalled.Load() {
		return &fullHandshake{Err: errHandshakeSkipped}, nil
	}
	hs, err := s.runner.handshake(ctx, s.addr, spec)
	if err == nil && hs.Err != nil && (isTimeout(hs.Err) || errors.Is(hs.Err, context.DeadlineExceeded)) {
		if s.handshakesStalled.CompareAndSwap(false, true) {
			s.note("a full handshake timed out (%s); the resumption, renegotiation, ALPN and fleet checks that need one were skipped", errText(hs.Err))
		}
	}
	return hs, err
}
