package clasp

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// 0-RTT data (RFC 8446 §2.3, §4.2.10): a client resuming with a ticket
// that allows it sends application data right after its ClientHello,
// under client_early_traffic_secret; a server that accepts it says so in
// EncryptedExtensions and reads it until the client's EndOfEarlyData.
//
//	Client                                   Server
//	ClientHello (early_data, pre_shared_key)
//	(Application Data)    -------->
//	                                         ServerHello
//	                                         {EncryptedExtensions (early_data)}
//	                      <--------          {Finished}
//	(EndOfEarlyData)
//	{Finished}            -------->

// earlyDataWarning is what ConnectionState.Warnings says when 0-RTT data
// was used: anyone who recorded it can send it again (RFC 8446 §8).
const earlyDataWarning = "0-RTT early data was used: it can be replayed by an attacker (RFC 8446 §8)"

// offerEarlyData decides whether the ClientHello that resumes cs carries
// early data: the Config asks for it, the first Write gave bytes to send,
// the ticket allows it, its suite is offered and its ALPN protocol (which
// the server must keep, RFC 8446 §4.2.10) is still among NextProtos.
func (c *Conn) offerEarlyData(offer *clientOffer, cs *ClientSessionState) {
	cfg := c.config
	if !cfg.EarlyData || len(c.earlyData) == 0 || cs.maxEarlyData == 0 || !cfg.listsExtension(wire.ExtEarlyData) ||
		!slices.Contains(offer.hello.CipherSuites, cs.suite.ID) || (cs.alpn != "" && !slices.Contains(cfg.NextProtos, cs.alpn)) {
		return
	}
	offer.earlyData = c.earlyData[:min(len(c.earlyData), int(cs.maxEarlyData))]
	offer.hello.Extensions = append(offer.hello.Extensions, &wire.EarlyDataExt{})
}

// sendEarlyData writes the 0-RTT data after the ClientHello (and the
// compatibility change_cipher_spec, RFC 8446 Appendix D.4), under the
// early traffic key of the offered ticket's suite. The write side keeps
// that key until EndOfEarlyData or a rejection.
func (c *Conn) sendEarlyData(offer *clientOffer, transcript *keys.Transcript) error {
	cs := offer.session
	// Early data commits the client to TLS 1.3: every record after the
	// ClientHello says 0x0303 (RFC 8446 §5.1), the compatibility
	// change_cipher_spec included.
	c.layer.SetVersion(suites.VersionTLS13)
	if err := c.writeCompatChangeCipherSpec(); err != nil {
		return err
	}
	h := cs.suite.PRFHash.New()
	h.Write(transcript.Messages())
	secret := offer.earlySchedule(cs).ClientEarlyTrafficSecret(h.Sum(nil))
	c.logSecret("CLIENT_EARLY_TRAFFIC_SECRET", offer.hello.Random[:], secret)
	c.earlySuite = cs.suite
	prot, err := c.protection13(cs.suite, secret)
	if err != nil {
		return err
	}
	c.setWriteProtection(prot)
	for data := offer.earlyData; len(data) > 0; {
		chunk := data[:min(len(data), maxPlaintext)]
		if c.tracer != nil {
			c.emitApplicationData(trace.Sent, len(chunk), c.layer.WriteEpoch())
		}
		if err := c.layer.WriteRecord(wire.ContentApplicationData, chunk); err != nil {
			return err
		}
		data = data[len(chunk):]
	}
	c.earlyDataSent = len(offer.earlyData)
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "early_data", Chosen: fmt.Sprintf("%d bytes sent", len(offer.earlyData)), ReasonCode: "early_data_sent",
			Reason: "the ticket allows 0-RTT data and Config.EarlyData asks for it", Warning: earlyDataWarning})
	}
	return nil
}

// abandonEarlyData puts the client's write side back in the clear after a
// HelloRetryRequest, which rejects the early data (RFC 8446 §4.1.2: the
// second ClientHello carries no early_data).
func (hs *clientHandshakeTLS13) abandonEarlyData(exts []wire.Extension) []wire.Extension {
	if hs.offer.earlyData == nil {
		return exts
	}
	hs.offer.earlyData = nil
	hs.c.setWriteProtection(record.NullProtection{})
	if c := hs.c; c.tracer != nil {
		c.decide(&trace.Decision{What: "early_data", Chosen: "rejected", ReasonCode: "early_data_rejected",
			Reason: "a HelloRetryRequest rejects early data; it is sent again after the handshake"})
	}
	return slices.DeleteFunc(exts, func(e wire.Extension) bool { _, ok := e.(*wire.EarlyDataExt); return ok })
}

// checkEarlyDataAccepted reads the server's answer to the early data in
// EncryptedExtensions. Acceptance is only valid for the first PSK (RFC
// 8446 §4.2.10) with the session's ALPN protocol.
func (hs *clientHandshakeTLS13) checkEarlyDataAccepted(ee *wire.EncryptedExtensions) error {
	c := hs.c
	if _, accepted := wire.FindExtension[*wire.EarlyDataExt](ee.Extensions); !accepted {
		if hs.offer.earlyData != nil && c.tracer != nil {
			c.decide(&trace.Decision{What: "early_data", Chosen: "rejected", ReasonCode: "early_data_rejected",
				Reason: "the server did not accept the 0-RTT data; it is sent again after the handshake"})
		}
		return nil
	}
	if hs.offer.earlyData == nil || !hs.usingPSK {
		return wire.Errorf(wire.AlertIllegalParameter, "server accepted early data the client did not send")
	}
	if hs.selectedPSK != 0 {
		// RFC 8446 §4.2.10: "the client MUST verify that the server's
		// selected_identity is 0. If any other value is returned, the
		// client MUST abort the handshake with an "illegal_parameter"
		// alert."
		return wire.Errorf(wire.AlertIllegalParameter, "server accepted early data with PSK %d, not the first", hs.selectedPSK)
	}
	if c.state.alpn != hs.offer.session.alpn {
		return wire.Errorf(wire.AlertIllegalParameter, "server accepted early data but chose ALPN %q, not the session's %q", c.state.alpn, hs.offer.session.alpn)
	}
	c.state.earlyDataAccepted = true
	c.warn(earlyDataWarning)
	return nil
}

// sendEndOfEarlyData closes accepted early data under the early key; the
// client's next messages go under its handshake key (RFC 8446 §4.5).
func (hs *clientHandshakeTLS13) sendEndOfEarlyData() error {
	if !hs.c.state.earlyDataAccepted {
		return nil
	}
	_, err := hs.c.writeHandshake(&wire.EndOfEarlyData{})
	return err
}

// earlyDataWindow is how far the ticket age a client reports may be from
// the server's own view for its early data to be accepted (RFC 8446
// §8.3), and so how long a ClientHello that brought early data must be
// remembered to refuse its replay.
const earlyDataWindow = 10 * time.Second

// decideEarlyData accepts the client's 0-RTT data or rejects it, with the
// reason in the trace. It runs once the PSK, suite and ALPN are chosen.
func (hs *serverHandshakeTLS13) decideEarlyData() {
	c, cfg := hs.c, hs.config
	if _, offered := wire.FindExtension[*wire.EarlyDataExt](hs.hello.Extensions); !offered {
		return
	}
	reason := ""
	switch {
	case cfg.MaxEarlyData == 0:
		reason = "this server accepts no early data (Config.MaxEarlyData is 0)"
	case hs.psk == nil:
		reason = "no ticket was accepted"
	case hs.pskIdentity != 0:
		reason = "the accepted pre-shared key is not the first the client offered (RFC 8446 §4.2.10)"
	case hs.psk.maxEarlyData == 0:
		reason = "the ticket was issued without early data"
	case hs.psk.suite != hs.suite:
		reason = "the ticket's cipher suite differs from the negotiated one"
	case hs.psk.alpn != c.state.alpn:
		reason = "the ALPN protocol differs from the ticket's"
	case hs.pskAgeSkew < -earlyDataWindow || hs.pskAgeSkew > earlyDataWindow:
		reason = fmt.Sprintf("the ticket age the client reports is %v off the server's view (more than %v)", hs.pskAgeSkew, earlyDataWindow)
	default:
		reason = hs.rememberClientHello()
	}
	if reason != "" {
		if c.tracer != nil {
			c.decide(&trace.Decision{What: "early_data", Chosen: "rejected", ReasonCode: "early_data_rejected", Reason: reason})
		}
		return
	}
	hs.earlyData = true
	c.state.earlyDataAccepted = true
	c.warn(earlyDataWarning)
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "early_data", Chosen: "accepted", ReasonCode: "early_data_accepted",
			Reason: "a fresh ticket that allows 0-RTT data, first identity, same suite and ALPN, hello not seen before", Warning: earlyDataWarning})
	}
}

// rememberClientHello records the accepted PSK's binder, which covers the
// whole ClientHello, for the freshness window (RFC 8446 §8.2). A binder
// already there is a replayed hello; a store that cannot answer rejects
// the early data rather than risk a replay.
func (hs *serverHandshakeTLS13) rememberClientHello() string {
	cfg := hs.config
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	added, err := cfg.sessionStore().Add(ctx, "clasp/0rtt/"+hex.EncodeToString(hs.pskBinder), []byte{1}, 2*earlyDataWindow)
	switch {
	case err != nil:
		cfg.logger().Warn("clasp: session store unavailable, 0-RTT data rejected", "err", err)
		return "the session store that detects replays is unavailable: " + err.Error()
	case !added:
		return "this ClientHello was seen before: a replay"
	}
	return ""
}

// readEndOfEarlyData reads the accepted early data (into pendingAppData,
// for Read) up to the client's EndOfEarlyData, then switches the read side
// to the client's handshake key.
func (hs *serverHandshakeTLS13) readEndOfEarlyData() error {
	if !hs.earlyData {
		return nil
	}
	c := hs.c
	c.readingEarlyData, c.earlyDataBudget = true, int(min(hs.psk.maxEarlyData, hs.config.MaxEarlyData))
	msg, err := c.readHandshake()
	c.readingEarlyData = false
	if err != nil {
		return err
	}
	if _, ok := msg.(*wire.EndOfEarlyData); !ok {
		return errUnexpected("EndOfEarlyData", msg)
	}
	// readHandshake checked that EndOfEarlyData ended its record (RFC 8446
	// §5.1): nothing else was read under the early key.
	read, err := c.protection13(hs.suite, hs.clientSecret)
	if err != nil {
		return err
	}
	c.setReadProtection(read)
	return nil
}

// takeEarlyData keeps one record of accepted early data for Read. More
// than the ticket allowed is an error (RFC 8446 §4.2.10).
func (c *Conn) takeEarlyData(payload []byte) error {
	if len(payload) > c.earlyDataBudget {
		return wire.Errorf(wire.AlertUnexpectedMessage, "the client sent more early data than max_early_data_size")
	}
	c.earlyDataBudget -= len(payload)
	c.pendingAppData = append(c.pendingAppData, payload...)
	if c.tracer != nil {
		c.emitApplicationData(trace.Received, len(payload), c.layer.ReadEpoch())
	}
	return nil
}
