// Package diagnose explains why a TLS handshake failed and what to change.
//
// It reads two kinds of evidence: the typed error the handshake returned
// (clasp's HandshakeError, NegotiationError, OfferRejectedError,
// AlertReceivedError and CertificateVerificationError, the record layer's
// NotTLSError, crypto/x509's verification errors, network errors) and, when
// a Recorder was set as the connection's tracer, the parsed messages both
// sides sent. Each cause is recognised from that evidence, never guessed:
// when nothing fits, the cause is CauseUnknown and the explanation is the
// raw error.
//
//	rec := diagnose.NewRecorder()
//	cfg.Tracer = rec
//	conn, err := clasp.Dial("tcp", addr, cfg)
//	if err != nil {
//		d := diagnose.ExplainWithConfig(err, rec, "client", time.Now(), cfg)
//		fmt.Println(d.Summary)
//		fmt.Print(d.Text())
//	}
package diagnose

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Cause is a stable code for the reason a handshake failed. Codes are never
// renamed; new ones may be added.
type Cause string

// The causes Explain recognises.
const (
	CauseNoCommonVersion         Cause = "no_common_version"
	CauseNoCommonCipherSuite     Cause = "no_common_cipher_suite"
	CauseNoCommonGroup           Cause = "no_common_group"
	CauseNoCommonSignatureScheme Cause = "no_common_signature_scheme"
	CauseNoCommonALPN            Cause = "no_common_application_protocol"
	// CauseOfferRejected: the server answered the ClientHello with
	// handshake_failure (or insufficient_security) without saying which
	// part of the offer it could not use.
	CauseOfferRejected                  Cause = "offer_rejected"
	CauseCertificateUntrusted           Cause = "certificate_untrusted"
	CauseCertificateIntermediateMissing Cause = "certificate_intermediate_missing"
	CauseCertificateHostnameMismatch    Cause = "certificate_hostname_mismatch"
	CauseCertificateExpired             Cause = "certificate_expired"
	CauseCertificateNotYetValid         Cause = "certificate_not_yet_valid"
	CauseCertificateInvalid             Cause = "certificate_invalid"
	CauseClientCertificateRequired      Cause = "client_certificate_required"
	CauseClientCertificateRejected      Cause = "client_certificate_rejected"
	CausePeerAlert                      Cause = "peer_alert"
	CauseNotTLS                         Cause = "not_tls"
	CauseConnectionReset                Cause = "connection_reset"
	CauseConnectionClosed               Cause = "connection_closed"
	CauseConnectionRefused              Cause = "connection_refused"
	CauseTimeout                        Cause = "timeout"
	CauseKeysMismatch                   Cause = "keys_mismatch"
	CauseUnknown                        Cause = "unknown"
)

// Diagnosis is the explanation of one failed handshake.
type Diagnosis struct {
	Cause Cause `json:"cause"`
	// Summary is one line.
	Summary string `json:"summary"`
	// Explanation says why, naming the evidence: what each side offered,
	// which certificate, which issuer is missing, dates against the local
	// clock, the CA names the server asked for.
	Explanation string `json:"explanation"`
	// Fix says what to change, and on which side.
	Fix string `json:"fix"`
	// Evidence holds the facts used, under stable snake_case keys.
	Evidence map[string]any `json:"evidence,omitempty"`

	// lang is the catalogue language the texts were made in, so that
	// Text's headings speak it too ("" is English).
	lang string
}

// Text renders the "why" and "what to change" block printed after the
// one-line reason, wrapped for a terminal.
func (d *Diagnosis) Text() string {
	if d == nil {
		return ""
	}
	t := Language(d.lang)
	var b strings.Builder
	b.WriteString(t.T("heading.why") + "\n")
	b.WriteString(wrap(d.Explanation, "  ", 78))
	if d.Fix != "" {
		b.WriteString(t.T("heading.fix") + "\n")
		b.WriteString(wrap(d.Fix, "  ", 78))
	}
	return b.String()
}

// Explain builds the diagnosis of a failed handshake (or of the first Read
// or Write after it, which is where a TLS 1.3 client meets the server's
// verdict on its certificate or Finished) from the error and what rec
// recorded on this side. side is "client" or "server"; now is the local
// clock that certificate dates are compared with. rec may be nil; err may
// be nil when rec recorded the failure. It returns nil when there is no
// failure at all.
func Explain(err error, rec *Recorder, side string, now time.Time) *Diagnosis {
	return ExplainWithConfig(err, rec, side, now, nil)
}

// ExplainWithConfig is Explain with this side's Config, which adds what the
// wire does not show: the trust store the peer's chain was checked against,
// the client certificates that could have answered a CertificateRequest,
// the suites, groups and versions this side was willing to use. cfg may be
// nil.
func ExplainWithConfig(err error, rec *Recorder, side string, now time.Time, cfg *clasp.Config) *Diagnosis {
	return ExplainIn(DefaultLanguage, err, rec, side, now, cfg)
}

// ExplainIn is ExplainWithConfig with its texts in lang (see Languages).
func ExplainIn(lang string, err error, rec *Recorder, side string, now time.Time, cfg *clasp.Config) *Diagnosis {
	var f *facts
	if rec != nil {
		f = gather(rec, side)
	} else {
		f = &facts{side: side}
	}
	return explainFacts(lang, err, f, side, now, cfg)
}

// explainFacts is ExplainIn on facts already gathered.
func explainFacts(lang string, err error, f *facts, side string, now time.Time, cfg *clasp.Config) *Diagnosis {
	if err == nil && f.failed != nil {
		err = f.failed.Err
	}
	if err == nil {
		return nil
	}
	x := &explainer{err: err, f: f, cfg: cfg, now: now, side: side, t: Language(lang)}
	var he *clasp.HandshakeError
	if errors.As(err, &he) {
		x.he = he
		x.step = he.Step
		if x.side == "" {
			x.side = he.Side
			f.side = he.Side
		}
	}
	var ae *clasp.AlertReceivedError
	if errors.As(err, &ae) && x.step == "" {
		x.step = ae.Step
	}
	d := x.explain()
	d.lang = x.t.Lang()
	if d.Evidence == nil {
		d.Evidence = map[string]any{}
	}
	d.Evidence["side"] = x.side
	if x.step != "" {
		d.Evidence["step"] = x.step
	}
	d.Evidence["error"] = err.Error()
	if x.he != nil && x.he.AlertSent {
		d.Evidence["alert_sent"] = wire.AlertDescription(x.he.Alert).String()
	}
	return d
}

// explainer carries the inputs of one Explain call.
type explainer struct {
	err  error
	f    *facts
	cfg  *clasp.Config
	now  time.Time
	side string
	step string
	he   *clasp.HandshakeError
	t    *Texts // the catalogue of the newer texts
}

func (x *explainer) peer() string {
	if x.side == "server" {
		return "client"
	}
	return "server"
}

// explain tries each recogniser in order, most specific evidence first.
func (x *explainer) explain() *Diagnosis {
	err := x.err
	var notTLS *record.NotTLSError
	if errors.As(err, &notTLS) {
		d := x.notTLS(notTLS)
		x.namedProtocol(d, notTLS)
		return d
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return x.dns(dnsErr)
	}
	if d := x.psk(); d != nil {
		return d
	}
	if d := x.weakKey(); d != nil {
		return d
	}
	var ve *clasp.CertificateVerificationError
	if errors.As(err, &ve) {
		return x.certificate(ve)
	}
	if d := x.echRejected(); d != nil {
		return d
	}
	var ne *clasp.NegotiationError
	if errors.As(err, &ne) {
		return x.negotiation(ne)
	}
	var oe *clasp.OfferRejectedError
	if errors.As(err, &oe) {
		if d := x.offerRejected(oe); d != nil {
			return d
		}
	}
	var ae *clasp.AlertReceivedError
	if errors.As(err, &ae) {
		return x.alert(ae)
	}
	var we *wire.Error
	if errors.As(err, &we) {
		if d := x.localProtocolError(we); d != nil {
			return d
		}
	}
	if d := x.transport(); d != nil {
		return d
	}
	return x.unknown()
}

func (x *explainer) unknown() *Diagnosis {
	d := &Diagnosis{Cause: CauseUnknown, Summary: x.t.T("unknown.summary", "error", x.err.Error()),
		Explanation: x.t.T("unknown.explain", "error", x.err.Error()),
		Fix:         x.t.T("unknown.fix"),
		Evidence:    map[string]any{}}
	x.addTraffic(d)
	return d
}

// addTraffic adds what crossed the connection last, which places any
// failure in the exchange.
func (x *explainer) addTraffic(d *Diagnosis) {
	if m := x.f.lastSent; m != nil {
		d.Evidence["last_sent"] = m.Name
	}
	if m := x.f.lastReceived; m != nil {
		d.Evidence["last_received"] = m.Name
	}
}

// transport recognises the failures of the connection underneath TLS:
// timeouts, resets, refusals and closes.
func (x *explainer) transport() *Diagnosis {
	err := x.err
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.As(err, &netErr) && netErr.Timeout():
		return x.timeout()
	case errors.Is(err, syscall.ECONNRESET):
		return x.closed(true)
	case errors.Is(err, syscall.ECONNREFUSED):
		return x.refused()
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.EPIPE):
		return x.closed(false)
	}
	return nil
}
