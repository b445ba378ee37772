package diagnose

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/wire"
)

// notTLS: the first bytes from the peer are not a TLS record header.
func (x *explainer) notTLS(e *record.NotTLSError) *Diagnosis {
	t := x.t
	what := e.Protocol
	if what == "" {
		what = t.T("not_tls.something_else")
	}
	d := &Diagnosis{Cause: CauseNotTLS,
		Summary: t.T("not_tls.summary", x.peerArgs("what", what)...),
		Evidence: map[string]any{
			"first_bytes":     strconv.Quote(string(e.Prefix)),
			"first_bytes_hex": fmt.Sprintf("%x", e.Prefix),
			"protocol":        e.Protocol,
		}}
	if e.Protocol != "" {
		d.Explanation = t.T("not_tls.explain.known", x.peerArgs("bytes", strconv.Quote(string(e.Prefix)), "protocol", e.Protocol)...)
	} else {
		d.Explanation = t.T("not_tls.explain.unknown", x.peerArgs("bytes", strconv.Quote(string(e.Prefix)), "hex", fmt.Sprintf("%x", e.Prefix))...)
	}
	if x.side == "server" && strings.HasPrefix(e.Protocol, "an SSL 2.0") {
		d.Explanation += " The client sent a hello in the SSL 2.0 record format: SSL 2.0 itself, or a TLS hello wrapped in it (RFC 5246 Appendix E.2), as very old clients and scanners probing for SSL 2.0 (clasp scan among them) do."
		d.Fix = "Nothing on this server: SSL 2.0 is prohibited (RFC 6176). A client that needs it must be upgraded to send a TLS ClientHello; a scanner's probe is expected to be refused."
		return d
	}
	if x.side == "server" {
		d.Explanation = also(d.Explanation, t.T("not_tls.explain.plaintext_client"))
		d.Fix = t.T("not_tls.fix.plaintext_client")
		return d
	}
	d.Explanation = also(d.Explanation, t.T("not_tls.explain.not_from_first_byte"))
	switch {
	case strings.Contains(e.Protocol, "HTTP"):
		d.Fix = t.T("not_tls.fix.http")
	case strings.Contains(e.Protocol, "STARTTLS") || strings.Contains(e.Protocol, "STLS") || strings.Contains(e.Protocol, "SMTP"):
		d.Fix = t.T("not_tls.fix.starttls")
	case strings.Contains(e.Protocol, "SSH"):
		d.Fix = t.T("not_tls.fix.ssh")
	default:
		d.Fix = t.T("not_tls.fix.other")
	}
	return d
}

func (x *explainer) timeout() *Diagnosis {
	t := x.t
	d := &Diagnosis{Cause: CauseTimeout, Evidence: map[string]any{}}
	x.addTraffic(d)
	if x.he == nil && x.f.lastSent == nil {
		d.Summary = t.T("timeout.before_start.summary")
		d.Explanation = t.T("timeout.before_start.explain", "error", x.err.Error())
		d.Fix = t.T("timeout.before_start.fix")
		return d
	}
	d.Summary = t.T("timeout.summary", x.peerArgs("where", x.where())...)
	defer x.stalled(d)
	d.Explanation = t.T("timeout.explain", x.peerArgs("where", x.where())...)
	if x.side == "client" && x.f.lastReceived == nil {
		d.Explanation = also(d.Explanation, t.T("timeout.explain.no_answer"))
		d.Fix = t.T("timeout.fix.no_answer")
	} else {
		d.Fix = t.T("timeout.fix", x.peerArgs()...)
	}
	return d
}

func (x *explainer) refused() *Diagnosis {
	d := &Diagnosis{Cause: CauseConnectionRefused, Summary: x.t.T("refused.summary"),
		Explanation: x.t.T("refused.explain", "error", x.err.Error()),
		Fix:         x.t.T("refused.fix"),
		Evidence:    map[string]any{}}
	return d
}

// closed: the transport ended without an alert that says why.
func (x *explainer) closed(reset bool) *Diagnosis {
	t := x.t
	d := &Diagnosis{Cause: CauseConnectionClosed, Evidence: map[string]any{}}
	x.addTraffic(d)
	how := t.T("closed.how.closed")
	if reset {
		d.Cause = CauseConnectionReset
		how = t.T("closed.how.reset")
	}
	closeNotify := false
	for _, a := range x.f.alertsReceived {
		if a.Description == uint8(wire.AlertCloseNotify) {
			closeNotify = true
		}
	}
	if closeNotify {
		how = t.T("closed.how.close_notify")
		d.Evidence["close_notify_received"] = true
	}
	d.Summary = t.T("closed.summary", x.peerArgs("how", how, "where", x.where())...)
	d.Explanation = capitalize(t.T("closed.explain", x.peerArgs("how", how, "where", x.where())...))
	switch {
	case x.side == "client" && x.f.lastReceived == nil && x.f.lastSent != nil:
		d.Explanation = also(d.Explanation, t.T("closed.explain.after_hello"))
		d.Fix = t.T("closed.fix.after_hello")
	case x.side == "client" && x.f.certRequest && x.f.ownCertSent && x.f.finishedSent:
		d.Explanation = also(d.Explanation, t.T("closed.explain.client_certificate", "sent", x.sentCertPhrase()))
		d.Fix = t.T("closed.fix.client_certificate")
	case x.f.lastSent == nil && x.f.lastReceived == nil:
		d.Explanation = also(d.Explanation, t.T("closed.explain.nothing_exchanged"))
		d.Fix = t.T("closed.fix.nothing_exchanged", x.peerArgs()...)
	default:
		d.Fix = t.T("closed.fix", x.peerArgs()...)
	}
	return d
}

func (x *explainer) sentCertPhrase() string {
	if len(x.f.ownChain) == 0 {
		return x.t.T("closed.sent.empty")
	}
	return x.t.T("closed.sent.certificate", "name", certName(x.f.ownChain[0]))
}
