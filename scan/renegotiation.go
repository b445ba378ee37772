package scan

import (
	"context"
	"errors"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Renegotiation is what a server does about TLS 1.2 (and earlier)
// renegotiation; TLS 1.3 has none.
type Renegotiation struct {
	Version string `json:"version"`
	// Secure: the server answers renegotiation_info (RFC 5746 §3.6), so
	// a renegotiation is bound to the handshake before it.
	Secure       bool   `json:"secure"`
	SecureAnswer string `json:"secure_answer"`
	// ClientInitiated is "accepted" (a renegotiation clasp started
	// completed), "refused" (no_renegotiation or another alert),
	// "ignored" (no answer), "failed" (the first handshake failed) or
	// "not_tried" (without RFC 5746 clasp does not renegotiate).
	ClientInitiated string `json:"client_initiated"`
	ClientAnswer    string `json:"client_answer"`
	// Legacy is the same for a client that does not signal RFC 5746
	// (no renegotiation_info, as before 2010), renegotiating without it:
	// "accepted" means the server runs renegotiations nothing binds to the
	// handshake before.
	Legacy       string `json:"legacy_client_initiated"`
	LegacyAnswer string `json:"legacy_answer"`
	// Insecure: the server does not signal RFC 5746, or accepted the
	// legacy renegotiation, so renegotiations with it are open to the
	// prefix attack of CVE-2009-3555 (RFC 5746 §1).
	Insecure bool `json:"insecure"`
}

// renegotiationWait bounds the wait for the server's answer to the
// renegotiating ClientHello; a server that ignores it costs this much.
const renegotiationWait = 3 * time.Second

// renegotiation checks RFC 5746 with one probe, then renegotiates once
// with the clasp client.
func (s *scanner) renegotiation(ctx context.Context, rep *Report) error {
	v := highestBelow13(rep)
	if v == 0 {
		return nil
	}
	r := &Renegotiation{Version: v.String()}
	rep.Renegotiation = r
	p := helloFor(v, suitesAcceptedIn(rep, v), s.serverName)
	// RFC 5746 §3.4: the extension or the SCSV, and this probe asks with
	// the extension.
	p.CipherSuites = withoutRenegotiationSCSV(p.CipherSuites)
	p.Extra = append(p.Extra, &wire.RenegotiationInfoExt{Data: []byte{}})
	res, err := s.run(ctx, p)
	if err != nil {
		return err
	}
	_, r.Secure = serverHelloExtension(res, wire.ExtRenegotiationInfo)
	switch {
	case res.Outcome != OutcomeAccepted:
		r.SecureAnswer = "no ServerHello: " + res.Summary()
	case r.Secure:
		r.SecureAnswer = "renegotiation_info answered (RFC 5746)"
	default:
		r.Insecure = true
		r.SecureAnswer = "no renegotiation_info in the ServerHello: the server does not implement RFC 5746, and a renegotiation with it is not bound to the previous handshake (CVE-2009-3555)"
	}
	if r.Secure {
		hs, err := s.renegotiateOnce(ctx, s.clientConfig(v))
		if err != nil {
			return err
		}
		r.ClientInitiated, r.ClientAnswer = judgeRenegotiation(hs)
	} else {
		r.ClientInitiated = "not_tried"
		r.ClientAnswer = "clasp renegotiates securely only with RFC 5746; see the legacy renegotiation"
	}
	legacy := s.clientConfig(v)
	legacy.InsecureLegacyRenegotiation = true
	hs, err := s.renegotiateOnce(ctx, legacy)
	if err != nil {
		return err
	}
	r.Legacy, r.LegacyAnswer = judgeRenegotiation(hs)
	if r.Legacy == "accepted" {
		r.Insecure = true
		r.LegacyAnswer = "a renegotiation without RFC 5746 completed: the server renegotiates with clients that cannot bind it to the previous handshake (CVE-2009-3555)"
	}
	return nil
}

// renegotiateOnce makes a handshake with cfg and renegotiates once.
func (s *scanner) renegotiateOnce(ctx context.Context, cfg *clasp.Config) (*fullHandshake, error) {
	return s.handshake(ctx, handshakeSpec{
		config: cfg,
		then: func(c *clasp.Conn) error {
			ctx, cancel := context.WithTimeout(ctx, renegotiationWait)
			defer cancel()
			return c.Renegotiate(ctx, nil)
		},
	})
}

func judgeRenegotiation(hs *fullHandshake) (string, string) {
	var alert *clasp.AlertReceivedError
	err := hs.ThenErr
	switch {
	case hs.Err != nil:
		return "failed", "the first handshake failed: " + errText(hs.Err)
	case err == nil:
		return "accepted", "a client-initiated renegotiation completed: each one costs the server a full handshake's work"
	case errors.Is(err, clasp.ErrRenegotiationRefused):
		return "refused", "refused with a no_renegotiation warning"
	case errors.As(err, &alert):
		return "refused", "refused with a " + wire.AlertDescription(alert.Description).String() + " alert"
	case errors.Is(err, context.DeadlineExceeded):
		return "ignored", "no answer to the renegotiating ClientHello within " + renegotiationWait.String()
	}
	return "refused", "the renegotiation failed: " + errText(err)
}

func withoutRenegotiationSCSV(ids []suites.ID) []suites.ID {
	out := make([]suites.ID, 0, len(ids))
	for _, id := range ids {
		if id != suites.TLS_EMPTY_RENEGOTIATION_INFO_SCSV {
			out = append(out, id)
		}
	}
	return out
}
