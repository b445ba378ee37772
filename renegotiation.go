package clasp

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// RenegotiationSupport is a policy for TLS 1.2 renegotiation, with
// crypto/tls's names. On a client it governs answering a server's
// HelloRequest; on a server, accepting a client's new ClientHello. Either
// way renegotiation happens only with RFC 5746 secure renegotiation; TLS 1.3
// has none (it has KeyUpdate instead).
type RenegotiationSupport int

// Renegotiation policies.
const (
	// RenegotiateNever refuses with a no_renegotiation warning (the default).
	RenegotiateNever RenegotiationSupport = iota
	// RenegotiateOnceAsClient allows one renegotiation per connection.
	RenegotiateOnceAsClient
	// RenegotiateFreelyAsClient allows renegotiation repeatedly, up to
	// MaxRenegotiations for those the peer starts.
	RenegotiateFreelyAsClient
)

// defaultMaxRenegotiations bounds peer-initiated renegotiations on one
// connection: each costs a full handshake's CPU, so an unbounded number
// would let a client burn the server's.
const defaultMaxRenegotiations = 3

func (c *Config) maxRenegotiations() int {
	switch c.Renegotiation {
	case RenegotiateOnceAsClient:
		return 1
	case RenegotiateFreelyAsClient:
		if c.MaxRenegotiations > 0 {
			return c.MaxRenegotiations
		}
		return defaultMaxRenegotiations
	}
	return 0
}

// ErrRenegotiationRefused is returned by Renegotiate when the peer answers
// with a no_renegotiation warning; the connection stays usable.
var ErrRenegotiationRefused = errors.New("clasp: the peer refused to renegotiate (no_renegotiation)")

// Renegotiate runs a new TLS 1.2 handshake on the connection. On a server
// it sends HelloRequest (RFC 5246 §7.4.1.1) and waits for the client's new
// handshake; clientAuth, when not nil, changes the client-certificate
// policy for it (the classic use: ask for a certificate only once a client
// reaches a protected resource). On a client it sends a new ClientHello.
// Application data that arrives meanwhile is kept for Read. ctx and
// Config.HandshakeTimeout bound the renegotiation, the wait for the peer's
// answer included. Renegotiate must not run concurrently with Read.
func (c *Conn) Renegotiate(ctx context.Context, clientAuth *ClientAuthType) error {
	if err := c.Handshake(); err != nil {
		return err
	}
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	c.in.Lock()
	defer c.in.Unlock()
	c.out.Lock()
	defer c.out.Unlock()
	if c.tls13 || c.state.version > suites.VersionTLS12 {
		return fmt.Errorf("clasp: %s has no renegotiation; use KeyUpdate", c.state.version)
	}
	if !c.state.secureRenegotiation && !(c.isClient && c.config.InsecureLegacyRenegotiation) {
		return errors.New("clasp: the peer did not signal RFC 5746 secure renegotiation, so renegotiating would be insecure")
	}
	if !c.state.secureRenegotiation {
		c.warn("renegotiated without RFC 5746 (InsecureLegacyRenegotiation): the new handshake is not bound to the previous one")
	}
	if c.readErr != nil {
		return c.readErr
	}
	if c.writeErr != nil {
		return c.writeErr
	}
	return c.bounded(ctx, func() error { return c.startRenegotiation(clientAuth) })
}

// startRenegotiation is Renegotiate once the connection is known to allow
// one. The caller holds handshakeMu, in and out.
func (c *Conn) startRenegotiation(clientAuth *ClientAuthType) error {
	if clientAuth != nil && !c.isClient {
		cfg := c.config.Clone()
		cfg.ClientAuth = *clientAuth
		c.config = cfg
	}
	if c.isClient {
		return c.renegotiate(nil)
	}
	c.setStep("write HelloRequest")
	if _, err := c.writeHandshake(&wire.HelloRequest{}); err != nil {
		return err
	}
	if err := c.flush(); err != nil {
		return err
	}
	c.awaitingRenegotiation = true
	defer func() { c.awaitingRenegotiation = false }()
	c.setStep("read renegotiation ClientHello")
	for {
		msg, err := c.readRenegotiationMessage()
		if err != nil {
			return err
		}
		if _, ok := msg.(*wire.ClientHello); ok {
			return c.renegotiate(msg)
		}
		return wire.Errorf(wire.AlertUnexpectedMessage, "expected a ClientHello after HelloRequest, received %s", msg.Type())
	}
}

// readRenegotiationMessage reads the next handshake message while keeping
// application data for Read (RFC 5246 lets it interleave with a
// renegotiation's handshake).
func (c *Conn) readRenegotiationMessage() (wire.Message, error) {
	c.renegotiating = true
	defer func() { c.renegotiating = false }()
	msg, err := c.readHandshake()
	if err != nil {
		var alert *AlertReceivedError
		if errors.As(err, &alert) && alert.Description == uint8(wire.AlertNoRenegotiation) {
			return nil, ErrRenegotiationRefused
		}
	}
	return msg, err
}

// renegotiate runs the new handshake. The caller holds in and out. hello is
// the client's ClientHello when a server answers one already read.
func (c *Conn) renegotiate(hello wire.Message) error {
	// The version stays what it is (RFC 5246 §7.4.1.2 leaves no room to
	// change it on a live connection) and TLS 1.3 is out of the question.
	cfg := c.config.Clone()
	cfg.MinVersion, cfg.MaxVersion = uint16(c.state.version), uint16(c.state.version)
	c.config = cfg
	c.renegotiating, c.awaitingRenegotiation = true, true
	defer func() { c.renegotiating, c.awaitingRenegotiation = false, false }()
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "renegotiation", Chosen: "renegotiate", ReasonCode: "renegotiation_info",
			Reason: "both sides signalled RFC 5746; the new handshake is bound to the previous Finished messages"})
	}
	var err error
	if c.isClient {
		err = c.clientHandshake()
	} else {
		err = c.serverHandshakeFrom(hello.(*wire.ClientHello), c.lastHandshakeRaw)
	}
	c.transcript = nil
	c.renegotiations++
	if err != nil {
		var refused *AlertReceivedError
		if errors.As(err, &refused) && refused.Description == uint8(wire.AlertNoRenegotiation) {
			if refused.Level == uint8(wire.AlertLevelWarning) {
				// RFC 5246 §7.2.2: no_renegotiation is a warning. Nothing
				// changed on either side (no keys, no Finished), so the
				// connection goes on under the handshake it had.
				return ErrRenegotiationRefused
			}
			err = ErrRenegotiationRefused
		}
		c.readErr, c.writeErr = err, err
		return err
	}
	if c.tracer != nil {
		c.emitDone()
	}
	return nil
}

// answerRenegotiation handles a HelloRequest (client) or ClientHello
// (server) that arrives after the handshake, per the Renegotiation policy:
// refuse with the no_renegotiation warning (RFC 5246 §7.2.2, RFC 5746
// §4.2, §4.4), or run the new handshake. The caller holds in.
func (c *Conn) answerRenegotiation(msg wire.Message) error {
	_, helloRequest := msg.(*wire.HelloRequest)
	_, clientHello := msg.(*wire.ClientHello)
	if (c.isClient && !helloRequest) || (!c.isClient && !clientHello) {
		return wire.Errorf(wire.AlertUnexpectedMessage, "unexpected %s after the handshake", msg.Type())
	}
	c.out.Lock()
	defer c.out.Unlock()
	why := ""
	switch {
	case c.config.Renegotiation == RenegotiateNever:
		why = "the Renegotiation policy is never"
	case !c.state.secureRenegotiation:
		why = "the peer did not signal RFC 5746 secure renegotiation"
	case c.renegotiations >= c.config.maxRenegotiations():
		why = fmt.Sprintf("this connection already renegotiated %d time(s), the limit", c.renegotiations)
	}
	if why != "" {
		if c.tracer != nil {
			c.decide(&trace.Decision{What: "renegotiation", Chosen: "refused", Reason: why})
		}
		return c.sendAlert(wire.AlertLevelWarning, wire.AlertNoRenegotiation)
	}
	// The peer starts this one inside Read, where only the caller's read
	// deadline would otherwise bound it: a client could trickle its second
	// handshake for as long as the server keeps reading.
	return c.bounded(context.Background(), func() error {
		if helloRequest {
			return c.renegotiate(nil)
		}
		return c.renegotiate(msg)
	})
}

// bounded runs a renegotiation within ctx and the handshake timeout. An
// interrupted renegotiation leaves the connection's deadline in the past,
// so it fails the connection even if it completed as ctx ended; the error
// says which limit ran out.
func (c *Conn) bounded(ctx context.Context, run func() error) error {
	ctx, cancel := c.withHandshakeTimeout(ctx)
	defer cancel()
	stop := c.interruptOnDone(ctx)
	err := run()
	if interrupted := stop(); interrupted || err != nil && ctx.Err() != nil {
		if err == nil {
			err = context.Cause(ctx)
		} else {
			err = fmt.Errorf("%w: %w", context.Cause(ctx), err)
		}
		c.readErr, c.writeErr = err, err
	}
	return err
}

// checkRenegotiationBinding applies RFC 5746 §3.7 on a server: a
// renegotiating ClientHello carries the client's previous verify_data in
// renegotiation_info, and no SCSV.
func (c *Conn) checkRenegotiationBinding(hello *wire.ClientHello) error {
	ri, ok := wire.FindExtension[*wire.RenegotiationInfoExt](hello.Extensions)
	if !ok || !slices.Equal(ri.Data, c.clientVerifyData) {
		return wire.Errorf(wire.AlertHandshakeFailure, "renegotiation ClientHello is not bound to the previous handshake (RFC 5746 §3.7)")
	}
	if slices.Contains(hello.CipherSuites, suites.TLS_EMPTY_RENEGOTIATION_INFO_SCSV) {
		return wire.Errorf(wire.AlertHandshakeFailure, "renegotiation ClientHello carries TLS_EMPTY_RENEGOTIATION_INFO_SCSV")
	}
	return nil
}

// expectedRenegotiationInfo is what a ServerHello's renegotiation_info
// must hold: empty initially, both previous verify_data after (RFC 5746
// §3.4, §3.5).
func (c *Conn) expectedRenegotiationInfo() []byte {
	if !c.renegotiating {
		return []byte{}
	}
	return append(slices.Clone(c.clientVerifyData), c.serverVerifyData...)
}

// recordVerifyData keeps a handshake's Finished verify_data for the next
// renegotiation's binding.
func (c *Conn) recordVerifyData(fromClient bool, verify []byte) {
	if fromClient {
		c.clientVerifyData = slices.Clone(verify)
	} else {
		c.serverVerifyData = slices.Clone(verify)
	}
}

// interruptOnDone makes a blocked read or write return when ctx is done.
// stop reports whether it did so, that is whether the connection's
// deadline now lies in the past.
func (c *Conn) interruptOnDone(ctx context.Context) (stop func() (interrupted bool)) {
	if ctx.Done() == nil {
		return func() bool { return false }
	}
	done := make(chan struct{})
	finished := make(chan bool)
	go func() {
		select {
		case <-ctx.Done():
			_ = c.conn.SetDeadline(interruptDeadline)
			finished <- true
		case <-done:
			finished <- false
		}
	}()
	return func() bool {
		close(done)
		return <-finished
	}
}
