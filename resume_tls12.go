package clasp

import (
	"bytes"
	"crypto/x509"
	"slices"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// The abbreviated TLS 1.2 handshake (RFC 5246 §7.3, figure 2): the client
// offers a session (by ID, or in an RFC 5077 ticket), the server agrees by
// echoing the session ID, and both go straight to ChangeCipherSpec and
// Finished with the session's master secret and fresh randoms.
//
//	Client                          Server
//	ClientHello        -------->
//	                                ServerHello
//	                                [NewSessionTicket]
//	                                [ChangeCipherSpec]
//	                   <--------    Finished
//	[ChangeCipherSpec]
//	Finished           -------->

// offerSession12 puts a cached TLS 1.2 session into the ClientHello: its
// ticket in session_ticket (with a fresh session ID, whose echo will say the
// ticket was accepted, RFC 5077 §3.4), or its session ID.
func (c *Conn) offerSession12(offer *clientOffer) error {
	cfg := c.config
	if cfg.ClientSessionCache == nil {
		return nil
	}
	wantTickets := !cfg.SessionTicketsDisabled && cfg.listsExtension(wire.ExtSessionTicket)
	cs, ok := cfg.ClientSessionCache.Get(c.sessionCacheKey())
	usable := ok && cs != nil && cs.version <= suites.VersionTLS12 && cs.version >= cfg.minVersion() &&
		cfg.now().Before(cs.receivedAt.Add(cs.lifetime)) && slices.Contains(offer.hello.CipherSuites, cs.suite.ID)
	switch {
	case usable && len(cs.ticket) > 0 && wantTickets:
		if len(offer.hello.SessionID) == 0 {
			id, err := newSessionID(cfg.rand())
			if err != nil {
				return err
			}
			offer.hello.SessionID = id
		}
		offer.hello.Extensions = append(offer.hello.Extensions, &wire.SessionTicketExt{Ticket: cs.ticket})
		offer.session12 = cs
		c.offeredSession = true
		return nil
	case usable && len(cs.sessionID) > 0:
		offer.hello.SessionID = cs.sessionID
		offer.session12 = cs
		c.offeredSession = true
	}
	if wantTickets {
		offer.hello.Extensions = append(offer.hello.Extensions, &wire.SessionTicketExt{})
	}
	return nil
}

// resumedByServer reports whether a TLS 1.2 ServerHello accepted the
// offered session: it echoes the session ID the client sent (RFC 5246
// §7.4.1.3, RFC 5077 §3.4).
func (hs *clientHandshakeTLS12) resumedByServer() bool {
	cs := hs.offer.session12
	return cs != nil && len(hs.serverHello.SessionID) > 0 && bytes.Equal(hs.serverHello.SessionID, hs.hello.SessionID)
}

// checkSessionIDEcho applies RFC 5246 §7.4.1.3 to a ServerHello that did
// not resume an offered session: echoing the client's session ID is how a
// server says it resumes ("the server will respond with the same value as
// was supplied by the client. This indicates a resumed session"), so an
// echo of an ID that named no session — the TLS 1.3 compatibility-mode ID
// (RFC 8446 Appendix D.4) on a TLS 1.2 connection — claims a resumption of
// nothing. The RFC names no alert; clasp sends illegal_parameter, as
// BoringSSL does. (OpenSSL 3 takes the echo as a new session's ID.)
func (hs *clientHandshakeTLS12) checkSessionIDEcho() error {
	id := hs.serverHello.SessionID
	if len(id) > 0 && bytes.Equal(id, hs.hello.SessionID) {
		return wire.Errorf(wire.AlertIllegalParameter, "server echoed the client's session ID, which names no session the client offered to resume")
	}
	return nil
}

// checkResumedSession applies RFC 5246 §7.4.1.3 and RFC 7627 §5.3 to a
// resumption the server accepted: same version and suite, same EMS.
func (hs *clientHandshakeTLS12) checkResumedSession() error {
	c := hs.c
	cs := hs.offer.session12
	if hs.serverHello.Version != cs.version || hs.suite != cs.suite {
		return wire.Errorf(wire.AlertIllegalParameter, "server resumed a %s %s session as %s %s",
			cs.version, cs.suite.Name, hs.serverHello.Version, hs.suite.Name)
	}
	if cs.ems != hs.ems {
		return wire.Errorf(wire.AlertHandshakeFailure, "server resumed a session with extended master secret %v as %v", cs.ems, hs.ems)
	}
	hs.master = cs.master
	c.state.didResume = true
	c.state.resumedBy = "session ID"
	if len(cs.ticket) > 0 {
		c.state.resumedBy = "session ticket"
	}
	c.state.sessionID = slices.Clone(hs.serverHello.SessionID)
	c.state.peerCertificates, c.state.verifiedChains = cs.peerCerts, cs.verifiedChains
	if c.tracer != nil {
		how := "session ID"
		if len(cs.ticket) > 0 {
			how = "session ticket"
		}
		c.decide(&trace.Decision{What: "session", Chosen: "resumed (" + how + ")", ReasonCode: "ticket_accepted",
			Reason: "the server echoed the session ID: both go straight to ChangeCipherSpec and Finished with the stored master secret"})
	}
	return nil
}

// resumeHandshake runs the client's side of an abbreviated handshake.
func (hs *clientHandshakeTLS12) resumeHandshake() error {
	c := hs.c
	if err := c.runSteps([]handshakeStep{
		{"read ChangeCipherSpec and Finished", hs.readResumedServerFinished},
		{"check the connection (VerifyConnection)", c.verifyConnectionStep()},
		{"write ChangeCipherSpec and Finished", hs.sendResumedFinished},
	}); err != nil {
		return err
	}
	hs.rememberSession()
	return nil
}

func (hs *clientHandshakeTLS12) readResumedServerFinished() error {
	c := hs.c
	if err := hs.readNewSessionTicket(); err != nil {
		return err
	}
	clientWrite, serverWrite, err := c.establishKeys(hs.master, hs.hello.Random[:], hs.serverHello.Random[:])
	if err != nil {
		return err
	}
	hs.clientWrite = clientWrite
	if err := c.readChangeCipherSpec(); err != nil {
		return err
	}
	c.setReadProtection(serverWrite)
	if err := hs.readFinishedMessage(); err != nil {
		return err
	}
	// The server waits for the client's ChangeCipherSpec and Finished now:
	// nothing may follow its Finished (RFC 5246 §7.3).
	return c.checkRecordBoundary("the server's Finished")
}

func (hs *clientHandshakeTLS12) sendResumedFinished() error {
	c := hs.c
	if err := c.writeChangeCipherSpec(); err != nil {
		return err
	}
	c.setWriteProtection(hs.clientWrite)
	c.layer.SetMaxPlaintext(hs.writeLimit)
	verify := finishedData(c.state.version, hs.suite, hs.master, true, hs.transcript)
	if _, err := c.writeHandshake(&wire.Finished{VerifyData: verify}); err != nil {
		return err
	}
	c.recordVerifyData(true, verify)
	return c.flush()
}

// readFinishedMessage reads the server's Finished and checks it against the
// transcript so far.
func (hs *clientHandshakeTLS12) readFinishedMessage() error {
	c := hs.c
	want := finishedData(c.state.version, hs.suite, hs.master, false, hs.transcript)
	if err := c.readFinished(want); err != nil {
		return err
	}
	c.recordVerifyData(false, want)
	return nil
}

// readNewSessionTicket reads the ticket a server promised with an empty
// session_ticket extension; it comes before the server's ChangeCipherSpec
// (RFC 5077 §3.3).
func (hs *clientHandshakeTLS12) readNewSessionTicket() error {
	if _, promised := wire.FindExtension[*wire.SessionTicketExt](hs.serverHello.Extensions); !promised {
		return nil
	}
	msg, err := hs.c.readHandshake()
	if err != nil {
		return err
	}
	nst, ok := msg.(*wire.NewSessionTicket)
	if !ok {
		return errUnexpected("NewSessionTicket", msg)
	}
	hs.ticket, hs.ticketLifetime = nst.Ticket, time.Duration(nst.LifetimeHint)*time.Second
	return nil
}

// rememberSession keeps the session for later resumption.
func (hs *clientHandshakeTLS12) rememberSession() {
	c, cfg := hs.c, hs.config
	if cfg.ClientSessionCache == nil {
		return
	}
	id := hs.serverHello.SessionID
	if len(hs.ticket) == 0 && len(id) == 0 {
		return // nothing the server could resume
	}
	ticket, lifetime := hs.ticket, hs.ticketLifetime
	if ticket == nil && hs.offer.session12 != nil && c.state.didResume {
		ticket, lifetime = hs.offer.session12.ticket, hs.offer.session12.lifetime
	}
	if lifetime <= 0 {
		lifetime = defaultSessionTTL
	}
	if len(ticket) > 0 {
		// A ticket is offered with a fresh session ID; the old ID is moot.
		id = nil
	}
	cfg.ClientSessionCache.Put(c.sessionCacheKey(), &ClientSessionState{
		version: c.state.version, suite: hs.suite, master: hs.master, ems: hs.ems,
		sessionID: slices.Clone(id), ticket: slices.Clone(ticket), lifetime: lifetime, receivedAt: cfg.now(),
		peerCerts: c.state.peerCertificates, verifiedChains: c.state.verifiedChains,
	})
}

// checkForResumption12 looks for a session the client offered — a ticket
// first, then a session ID — that this server can resume.
func (hs *serverHandshakeTLS12) checkForResumption12() error {
	c, cfg := hs.c, hs.config
	var st *sessionState12
	how := ""
	if ext, ok := wire.FindExtension[*wire.SessionTicketExt](hs.hello.Extensions); ok && len(ext.Ticket) > 0 && !cfg.SessionTicketsDisabled {
		if st, ok = c.openTicket12(ext.Ticket); ok {
			how = "session ticket"
		}
	}
	if st == nil && len(hs.hello.SessionID) > 0 && !cfg.SessionIDsDisabled {
		if st = c.loadSession(hs.hello.SessionID); st != nil {
			how = "session ID"
		}
	}
	if st == nil {
		return nil
	}
	// RFC 7627 §5.3: "If the original session used the
	// "extended_master_secret" extension but the new ClientHello does not
	// contain it, the server MUST abort the abbreviated handshake." The RFC
	// names no alert; OpenSSL 3 sends handshake_failure, and so does clasp.
	// (The opposite change is a full handshake: see resumable12.)
	if _, clientEMS := wire.FindExtension[*wire.ExtendedMasterSecretExt](hs.hello.Extensions); st.ems && !clientEMS {
		return wire.Errorf(wire.AlertHandshakeFailure, "client offers a session (by %s) made with extended master secret, without the extension", how)
	}
	why := resumable12(st, hs.hello, c.state.version, cfg, c.state.serverName)
	var certs []*x509.Certificate
	var chains [][]*x509.Certificate
	if why == "" {
		certs, chains, why = c.restoreClientIdentity(st.peerCerts)
	}
	if why != "" {
		if c.tracer != nil {
			c.decide(&trace.Decision{What: "session", Chosen: "full handshake", ReasonCode: "ticket_refused", Reason: why})
		}
		return nil
	}
	hs.session, hs.resumedBy = st, how
	c.state.peerCertificates, c.state.verifiedChains = certs, chains
	return nil
}

// resumeHandshake runs the server's side of an abbreviated handshake.
func (hs *serverHandshakeTLS12) resumeHandshake() error {
	c := hs.c
	st := hs.session
	hs.suite, hs.ems, hs.master = st.suite, st.ems, st.master
	c.state.suite, c.state.ems, c.state.didResume, c.state.resumedBy = st.suite, st.ems, true, hs.resumedBy
	c.state.sessionID = slices.Clone(hs.hello.SessionID)
	c.parseCtx = wire.Context{Version: c.state.version, KeyExchange: st.suite.KeyExchange}
	hs.transcript.SetHash(c.state.version, st.suite.PRFHash)
	hs.transcript.DropMessages()
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "session", Chosen: "resumed (" + hs.resumedBy + ")", ReasonCode: "ticket_accepted",
			Reason: st.suite.Name + " session found; no certificate or key exchange this time"})
	}
	if err := c.runSteps([]handshakeStep{
		{"write ServerHello", hs.sendServerHello},
		{"check the connection (VerifyConnection)", c.verifyConnectionStep()},
		{"write ChangeCipherSpec and Finished", hs.sendResumedFinished},
		{"read ChangeCipherSpec and Finished", hs.readResumedClientFinished},
	}); err != nil {
		return err
	}
	return nil
}

func (hs *serverHandshakeTLS12) sendResumedFinished() error {
	c := hs.c
	clientWrite, serverWrite, err := c.establishKeys(hs.master, hs.hello.Random[:], hs.serverHello.Random[:])
	if err != nil {
		return err
	}
	hs.clientWrite = clientWrite
	hs.serverWrite = serverWrite
	return hs.sendFinished()
}

func (hs *serverHandshakeTLS12) readResumedClientFinished() error {
	c := hs.c
	if err := c.readChangeCipherSpec(); err != nil {
		return err
	}
	c.setReadProtection(hs.clientWrite)
	return hs.readFinishedMessage()
}

// issueTicket12 sends NewSessionTicket before the server's ChangeCipherSpec
// when the ServerHello promised one (RFC 5077 §3.3).
func (hs *serverHandshakeTLS12) issueTicket12() error {
	if !hs.sendTicket {
		return nil
	}
	c, cfg := hs.c, hs.config
	ticket, err := c.sealTicket12(hs.sessionState())
	if err != nil {
		return err
	}
	_, err = c.writeHandshake(&wire.NewSessionTicket{LifetimeHint: uint32(cfg.sessionTTL() / time.Second), Ticket: ticket})
	return err
}

// sessionState is what this handshake leaves to resume.
func (hs *serverHandshakeTLS12) sessionState() *sessionState12 {
	if hs.session != nil {
		return hs.session
	}
	st := &sessionState12{version: hs.c.state.version, suite: hs.suite, master: hs.master, ems: hs.ems,
		createdAt: hs.config.now(), serverName: hs.c.state.serverName}
	for _, cert := range hs.clientCerts {
		st.peerCerts = append(st.peerCerts, cert.Raw)
	}
	return st
}
