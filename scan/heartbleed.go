package scan

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Heartbleed (CVE-2014-0160, heartbleed.com): OpenSSL 1.0.1 to 1.0.1f
// answered a heartbeat request (RFC 6520 §4) with as many bytes as its
// payload_length claimed, whatever the request really carried, reading
// past the request into the process's memory. RFC 6520 §4: "If the
// payload_length of a received HeartbeatMessage is too large, the received
// HeartbeatMessage MUST be discarded silently."
//
// The first probe does what the classic ones did: a hello offering the heartbeat
// extension, the server's first flight, then — before any key exchange, so
// in the clear — a heartbeat request with one byte of payload and 16 of
// padding whose payload_length says 64. A server that discards it (or
// refuses it with an alert, or does not speak heartbeat at all) is fine;
// one that answers with a heartbeat response longer than the one byte sent
// is reading memory it should not. The leaked bytes are never kept: the
// evidence is their count.

// Heartbeat message types (RFC 6520 §3) and the probe's sizes.
const (
	heartbeatRequest     = 1
	heartbeatResponse    = 2
	heartbleedClaimed    = 64
	heartbleedPayloadLen = 1
	heartbeatPaddingLen  = 16
)

// afterFlightWait bounds how long a probe that sent something after the
// server's flight waits for a reaction: a server that reacts does so at
// once, and silence is itself an answer.
const afterFlightWait = 1500 * time.Millisecond

func (s *scanner) afterFlightWait() time.Duration {
	return min(afterFlightWait, s.runner.timeout())
}

// legacyProbe is the hello the post-flight probes start with: the highest
// version below TLS 1.3, offering suites the server accepts there, in a
// record of that version. It returns nil when the server has none.
func legacyProbe(rep *Report, serverName string) *Probe {
	v := highest(rep, suites.VersionTLS12)
	if v == 0 {
		return nil
	}
	p := compactHello(rep, v, serverName)
	return p
}

// heartbleedRequest is the malformed request: type, a payload_length of
// 64, one byte of payload, sixteen of padding.
func heartbleedRequest() ([]byte, error) {
	msg := []byte{heartbeatRequest, 0, heartbleedClaimed}
	rest := make([]byte, heartbleedPayloadLen+heartbeatPaddingLen)
	if _, err := rand.Read(rest); err != nil {
		return nil, err
	}
	return append(msg, rest...), nil
}

// heartbleed runs the probe in the clear and, at the same time, the one
// after a completed handshake (heartbleed_after.go), and joins them: a leak
// in either is vulnerable; otherwise the encrypted probe decides when it
// could, since a server may drop a plaintext heartbeat and still leak an
// encrypted one, and the plaintext probe decides only when the server
// answered it.
func (s *scanner) heartbleed(ctx context.Context, rep *Report) (Finding, error) {
	p := legacyProbe(rep, s.serverName)
	if p == nil {
		return weakFinding(weakHeartbleed, StatusNotApplicable, "TLS 1.3 only: heartbeats would be encrypted, and no Heartbleed-era server speaks it"), nil
	}
	if p.Version == suites.VersionSSL30 {
		return weakFinding(weakHeartbleed, StatusNotApplicable, "SSL 3.0 only: a hello without extensions cannot offer heartbeat"), nil
	}
	var after heartbeatVerdict
	var afterErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		after, afterErr = s.heartbleedAfterHandshake(ctx, rep)
	}()
	plain, err := s.heartbleedInTheClear(ctx, p)
	<-done
	if err == nil {
		err = afterErr
	}
	if err != nil {
		return Finding{}, err
	}
	return joinHeartbleed(plain, after), nil
}

// joinHeartbleed makes one finding of the two probes' verdicts.
func joinHeartbleed(plain, after heartbeatVerdict) Finding {
	both := fmt.Sprintf("in the clear: %s; after the handshake: %s", plain.evidence, after.evidence)
	switch {
	case plain.status == StatusVulnerable:
		return weakFinding(weakHeartbleed, StatusVulnerable, "%s", plain.evidence)
	case after.status == StatusVulnerable:
		return weakFinding(weakHeartbleed, StatusVulnerable, "%s (in the clear: %s)", after.evidence, plain.evidence)
	case after.status == StatusNotVulnerable:
		return weakFinding(weakHeartbleed, StatusNotVulnerable, "%s", both)
	case after.status == StatusNotApplicable:
		// No handshake (or no TLS 1.1/1.2) for the encrypted probe.
		return weakFinding(weakHeartbleed, plain.status, "%s", both)
	}
	return weakFinding(weakHeartbleed, StatusUnknown, "%s", both)
}

// heartbleedInTheClear sends the malformed request after the server's
// first flight, before any key exchange.
func (s *scanner) heartbleedInTheClear(ctx context.Context, p *Probe) (heartbeatVerdict, error) {
	p.Extra = append(p.Extra, &wire.UnknownExt{Code: wire.ExtHeartbeat, Data: []byte{1}}) // peer_allowed_to_send
	req, err := heartbleedRequest()
	if err != nil {
		return heartbeatVerdict{}, err
	}
	h, err := p.Hello(rand.Reader)
	if err != nil {
		return heartbeatVerdict{}, err
	}
	out := heartbeatVerdict{StatusUnknown, "no connection"}
	_, err = s.withConversation(ctx, func(conn net.Conn) *Result {
		out = s.heartbleedOn(conn, h, req)
		return nil
	})
	return out, err
}

func (s *scanner) heartbleedOn(conn net.Conn, h *wire.ClientHello, req []byte) heartbeatVerdict {
	f, err := sendHello(conn, h, suites.VersionTLS10)
	if f == nil || !f.done {
		return heartbeatVerdict{StatusUnknown, "no first flight to send the heartbeat after: " + flightFailure(f, err)}
	}
	advertised := "without"
	if hasExtension(f.hello, wire.ExtHeartbeat) {
		advertised = "with"
	}
	if err := writeRaw(conn, wire.ContentHeartbeat, f.version, req); err != nil {
		return heartbeatVerdict{StatusNotVulnerable, fmt.Sprintf("%v ServerHello %s the heartbeat extension; the server closed before the request could be written", f.version, advertised)}
	}
	ans := awaitAnswer(conn, s.afterFlightWait())
	if ans.kind == "record" && ans.record.typ == wire.ContentHeartbeat {
		got := len(ans.record.payload)
		if claimed, ok := heartbeatPayloadLength(ans.record.payload); ok && claimed > heartbleedPayloadLen || got > len(req) {
			return heartbeatVerdict{StatusVulnerable, fmt.Sprintf(
				"sent a heartbeat request of %d bytes carrying %d byte of payload but claiming %d; the server answered with a heartbeat of %d bytes (%v, ServerHello %s the extension)",
				len(req), heartbleedPayloadLen, heartbleedClaimed, got, f.version, advertised)}
		}
	}
	status := StatusNotVulnerable
	if ans.kind == "silent" {
		// RFC 6520 §4 discards such a request silently, but so does a
		// server that reads heartbeats only once encrypted.
		status = StatusUnknown
	}
	return heartbeatVerdict{status, fmt.Sprintf("a heartbeat request claiming %d bytes but carrying %d got %s (%v, ServerHello %s the heartbeat extension)",
		heartbleedClaimed, heartbleedPayloadLen, ans, f.version, advertised)}
}

// heartbeatPayloadLength reads a heartbeat response's payload_length.
func heartbeatPayloadLength(msg []byte) (int, bool) {
	if len(msg) < 3 || msg[0] != heartbeatResponse {
		return 0, false
	}
	return int(msg[1])<<8 | int(msg[2]), true
}

// hasExtension reports whether the ServerHello carries extension t.
func hasExtension(sh *wire.ServerHello, t wire.ExtensionType) bool {
	for _, e := range sh.Extensions {
		if e.ExtType() == t {
			return true
		}
	}
	return false
}

// flightFailure says why a post-flight probe could not start.
func flightFailure(f *flight, err error) string {
	switch {
	case f == nil:
		return failed(err).Summary()
	case err != nil:
		return fmt.Sprintf("the flight after the %v ServerHello broke off: %v", f.version, err)
	}
	return fmt.Sprintf("the server chose %v", f.version)
}
