package diagnose

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// A resumption verdict concludes a series of reconnections with one
// session cache: how many resumed, and when not all did, why, from what
// each connection's hellos show. A server that answers a session it was
// offered with a fresh one has not found it (session ID) or could not open
// it (ticket); a next connection that shows another certificate or another
// ServerHello shape was answered by another server, which is what a
// balancer over servers that share no session cache or ticket keys does.

// Attempt is what one connection of the series showed about resumption.
type Attempt struct {
	// Offered is what the ClientHello offered to resume: "session ID",
	// "session ticket" (TLS 1.2, RFC 5077), "TLS 1.3 ticket", or "".
	Offered string `json:"offered"`
	Resumed bool   `json:"resumed"`
	// Mechanism names how it resumed, when it did.
	Mechanism string `json:"mechanism,omitempty"`
	// Certificate is the leaf's SHA-256 on a full handshake.
	Certificate string `json:"certificate,omitempty"`
	// Shape is the ServerHello's version, suite and extension types, which
	// differ between server builds and configurations.
	Shape string `json:"shape,omitempty"`
	// AcceptedThenFailed: the server took the session (echoed its ID, or
	// selected the PSK) and the handshake then failed.
	AcceptedThenFailed bool   `json:"accepted_then_failed,omitempty"`
	Error              string `json:"error,omitempty"`
	// TicketIssued: the server sent a NewSessionTicket on this connection.
	TicketIssued bool `json:"ticket_issued"`
	// SessionLeft: the connection left something to resume in the cache.
	SessionLeft bool `json:"session_left"`
}

// ObserveAttempt reads one connection's resumption facts from its recorder,
// its state (nil when it failed) and its error.
func ObserveAttempt(rec *Recorder, st *clasp.ConnectionState, err error, ticketIssued, sessionLeft bool) Attempt {
	f := gather(rec, "client")
	a := Attempt{TicketIssued: ticketIssued, SessionLeft: sessionLeft}
	ch, sh := f.clientHello, f.serverHello
	if ch != nil {
		t, hasTicket := wire.FindExtension[*wire.SessionTicketExt](ch.Extensions)
		_, hasPSK := wire.FindExtension[*wire.PreSharedKeyExt](ch.Extensions)
		switch {
		case hasPSK:
			a.Offered = "TLS 1.3 ticket"
		case hasTicket && len(t.Ticket) > 0:
			a.Offered = "session ticket"
		case len(ch.SessionID) > 0 && (!slices.Contains(supportedVersionsOf(ch), 0x0304) || sh != nil && helloVersion(sh) < 0x0304):
			// A TLS 1.3 offer carries a random legacy session ID; only a
			// TLS 1.2 answer makes it a session to resume.
			a.Offered = "session ID"
		}
	}
	if st != nil {
		a.Resumed = st.DidResume
		a.Mechanism = st.ResumedBy
		if !st.DidResume && len(st.PeerCertificates) > 0 {
			sum := sha256.Sum256(st.PeerCertificates[0].Raw)
			a.Certificate = hex.EncodeToString(sum[:])
		}
	}
	if sh != nil {
		a.Shape = helloShape(sh)
	}
	if err != nil {
		a.Error = err.Error()
		a.AcceptedThenFailed = sh != nil && ch != nil && acceptedSession(ch, sh)
	}
	return a
}

func supportedVersionsOf(ch *wire.ClientHello) []uint16 {
	sv, ok := wire.FindExtension[*wire.SupportedVersionsExt](ch.Extensions)
	if !ok {
		return nil
	}
	var out []uint16
	for _, v := range sv.Versions {
		out = append(out, uint16(v))
	}
	return out
}

// acceptedSession reports whether the ServerHello takes up the session the
// ClientHello offered: the same TLS 1.2 session ID echoed, or a selected
// TLS 1.3 PSK.
func acceptedSession(ch *wire.ClientHello, sh *wire.ServerHello) bool {
	if _, ok := wire.FindExtension[*wire.PreSharedKeyExt](sh.Extensions); ok {
		return true
	}
	return len(ch.SessionID) > 0 && string(ch.SessionID) == string(sh.SessionID) &&
		!slices.Contains(supportedVersionsOf(ch), 0x0304)
}

// helloShape is the ServerHello's version, suite and extension types in
// order: "TLS 1.2 TLS_ECDHE_... [65281 11 23]". Session-dependent
// extensions (pre_shared_key, session_ticket) are left out, so a resumed
// and a full handshake of one server have the same shape.
func helloShape(sh *wire.ServerHello) string {
	var types []string
	for _, e := range sh.Extensions {
		switch e.ExtType() {
		case wire.ExtPreSharedKey, wire.ExtSessionTicket, wire.ExtKeyShare:
			continue
		}
		types = append(types, fmt.Sprint(uint16(e.ExtType())))
	}
	return fmt.Sprintf("%v %v [%s]", helloVersion(sh), sh.CipherSuite, strings.Join(types, " "))
}

// helloVersion is the version a ServerHello chose.
func helloVersion(sh *wire.ServerHello) suites.Version {
	if sv, ok := wire.FindExtension[*wire.SupportedVersionsExt](sh.Extensions); ok && len(sv.Versions) == 1 {
		return sv.Versions[0]
	}
	return sh.Version
}

// ResumptionVerdict is the conclusion of a series.
type ResumptionVerdict struct {
	Resumed   int      `json:"resumed"`
	Of        int      `json:"of"`
	Mechanism string   `json:"mechanism,omitempty"`
	Summary   string   `json:"summary"`
	Reasons   []string `json:"reasons,omitempty"`
	Fixes     []string `json:"fixes,omitempty"`
	// Causes are stable codes for the reasons: tickets_declined,
	// session_id_not_found, different_backend, no_tickets_issued,
	// no_session_left, inconsistent_shared_cache, reconnect_failed.
	Causes []string `json:"causes,omitempty"`

	lang string // the language of the texts, for Text's headings
}

// Text renders the verdict as clasp connect prints it: the count, then
// each reason and each fix on a line of its own.
func (v ResumptionVerdict) Text() string {
	t := Language(v.lang)
	var b strings.Builder
	b.WriteString(v.Summary + "\n")
	for _, r := range v.Reasons {
		b.WriteString("  " + also(t.T("heading.why"), r) + "\n")
	}
	for _, f := range v.Fixes {
		b.WriteString("  " + also(t.T("heading.verdict_fix"), f) + "\n")
	}
	return b.String()
}

// ConcludeResumption judges first (the first connection) and the
// reconnections after it.
func ConcludeResumption(lang string, first Attempt, reconnects []Attempt) ResumptionVerdict {
	t := Language(lang)
	v := ResumptionVerdict{Of: len(reconnects), lang: t.Lang()}
	var mechanisms []string
	for _, a := range reconnects {
		if a.Resumed {
			v.Resumed++
			if !slices.Contains(mechanisms, a.Mechanism) {
				mechanisms = append(mechanisms, a.Mechanism)
			}
		}
	}
	v.Mechanism = strings.Join(mechanisms, ", ")
	var words []string
	for _, m := range mechanisms {
		words = append(words, mechanismWord(t, m))
	}
	mech := strings.Join(words, ", ")
	if mech == "" {
		mech = t.T("resume.no_mechanism")
	}
	v.Summary = t.T("resume.summary", "resumed", v.Resumed, "of", v.Of, "mechanism", mech)
	if v.Resumed == v.Of {
		return v
	}
	// Each cause is told once, naming every reconnect it was seen on.
	type told struct {
		key  string
		args []any
		ns   []string
	}
	byCode := map[string]*told{}
	reason := func(code, key string, n int, args ...any) {
		r, ok := byCode[code]
		if !ok {
			r = &told{key: key, args: args}
			byCode[code] = r
			v.Causes = append(v.Causes, code)
		}
		if n > 0 {
			r.ns = append(r.ns, fmt.Sprint(n))
		}
	}
	all := append([]Attempt{first}, reconnects...)
	prev := first
	for i, a := range reconnects {
		switch {
		case a.AcceptedThenFailed:
			reason("inconsistent_shared_cache", "resume.reason.inconsistent_cache", i+1)
		case a.Error != "":
			reason("reconnect_failed", "resume.reason.failed", i+1, "error", a.Error)
		case a.Resumed:
		case a.Offered == "":
			reason("no_session_left", "resume.reason.nothing_offered", i+1)
		case a.Offered == "session ID":
			reason("session_id_not_found", "resume.reason.id_not_found", i+1)
		default:
			reason("tickets_declined", "resume.reason.ticket_declined", i+1, "offered", mechanismWord(t, a.Offered))
		}
		if !a.Resumed && a.Error == "" && differentServer(prev, a) {
			reason("different_backend", "resume.reason.different_backend", i+1)
		}
		if a.Certificate != "" || a.Shape != "" {
			prev = a
		}
	}
	if !slices.ContainsFunc(all, func(a Attempt) bool { return a.TicketIssued }) && !slices.ContainsFunc(all, func(a Attempt) bool { return a.Offered == "session ID" }) {
		reason("no_tickets_issued", "resume.reason.no_tickets", 0)
	}
	for _, code := range v.Causes {
		r := byCode[code]
		v.Reasons = append(v.Reasons, t.T(r.key, append(r.args, "n", strings.Join(r.ns, ", "))...))
	}
	v.Fixes = resumptionFixes(t, v.Causes)
	return v
}

// mechanismKeys are the catalogue keys of the ways to resume that have
// words (the TLS 1.3 modes psk_ke and psk_dhe_ke are names).
var mechanismKeys = map[string]string{
	"session ID": "mech.session_id", "session ticket": "mech.session_ticket", "TLS 1.3 ticket": "mech.tls13_ticket",
}

// mechanismWord is a way to resume (an Attempt's Offered or Mechanism) in
// the catalogue's words.
func mechanismWord(t *Texts, m string) string {
	if key, ok := mechanismKeys[m]; ok {
		return t.T(key)
	}
	return m
}

// differentServer reports whether two full handshakes look like two
// different servers: another certificate, or another ServerHello shape.
func differentServer(a, b Attempt) bool {
	if a.Certificate != "" && b.Certificate != "" && a.Certificate != b.Certificate {
		return true
	}
	return a.Shape != "" && b.Shape != "" && a.Shape != b.Shape
}

func resumptionFixes(t *Texts, causes []string) []string {
	var fixes []string
	add := func(key string) {
		if s := t.T(key); !slices.Contains(fixes, s) {
			fixes = append(fixes, s)
		}
	}
	for _, c := range causes {
		switch c {
		case "different_backend", "session_id_not_found", "tickets_declined":
			add("resume.fix.shared_store")
			add("resume.fix.affinity")
			add("resume.fix.client_reuse_off")
		case "inconsistent_shared_cache":
			add("resume.fix.inconsistent_cache")
			add("resume.fix.client_reuse_off")
		case "no_tickets_issued":
			add("resume.fix.issue_tickets")
		}
	}
	return fixes
}
