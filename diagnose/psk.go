package diagnose

import (
	"errors"
	"fmt"
	"strings"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// The failures of handshakes on pre-shared keys (TLS 1.2 PSK suites, RFC
// 4279/5489; TLS 1.3 external PSKs, RFC 8446 §4.2.11): the server does not
// know the identity, the two sides hold different keys under it, or they
// have no PSK suite in common.
const (
	// CausePSKUnknownIdentity: the server answered unknown_psk_identity
	// (RFC 4279 §2): it has no key under the identity the client named.
	CausePSKUnknownIdentity Cause = "psk_unknown_identity"
	// CausePSKWrongKey: both sides used one identity, and the first thing
	// the key protects failed (the TLS 1.2 Finished record, the TLS 1.3
	// binder): they hold different keys under it.
	CausePSKWrongKey Cause = "psk_wrong_key"
	// CausePSKNoCommonSuite: the client offered PSK suites and the server
	// accepted none of them, or the other way round.
	CausePSKNoCommonSuite Cause = "psk_no_common_suite"
)

// psk recognises the PSK failures; nil when the failure is not one.
func (x *explainer) psk() *Diagnosis {
	desc, sent, ok := x.alertDescription()
	identity, usedPSK := x.pskIdentity()
	switch {
	case ok && desc == wire.AlertUnknownPSKIdentity:
		return x.pskDiagnosis(CausePSKUnknownIdentity, sent, identity, desc)
	case ok && usedPSK && (desc == wire.AlertBadRecordMAC || desc == wire.AlertDecryptError):
		return x.pskDiagnosis(CausePSKWrongKey, sent, identity, desc)
	case ok && usedPSK && desc == wire.AlertIllegalParameter && x.f.serverHello == nil && x.f.pskIdentity == nil && !sent:
		// A TLS 1.3 binder that does not verify: RFC 8446 §6.2 calls for
		// decrypt_error, and OpenSSL 3.0 sends illegal_parameter
		// ("binder does not verify") in answer to the ClientHello.
		d := x.pskDiagnosis(CausePSKWrongKey, sent, identity, desc)
		d.Evidence["binder_rejected"] = true
		return d
	case ok && (desc == wire.AlertHandshakeFailure || desc == wire.AlertInsufficientSecurity) && x.f.serverHello == nil:
		if offered := x.offeredPSKSuites(); len(offered) > 0 && x.side == "client" {
			d := x.pskDiagnosis(CausePSKNoCommonSuite, sent, identity, desc)
			d.Evidence["offered_psk_suites"] = offered
			return d
		}
	}
	var ne *clasp.NegotiationError
	if errors.As(x.err, &ne) && ne.What == "cipher suite" && x.side == "server" {
		if offered := x.offeredPSKSuites(); len(offered) > 0 {
			d := x.pskDiagnosis(CausePSKNoCommonSuite, true, identity, wire.AlertHandshakeFailure)
			d.Evidence["offered_psk_suites"] = offered
			return d
		}
	}
	return nil
}

// alertDescription is the alert that ended the handshake and whether this
// side sent it.
func (x *explainer) alertDescription() (desc wire.AlertDescription, sent, ok bool) {
	var ae *clasp.AlertReceivedError
	if errors.As(x.err, &ae) {
		return wire.AlertDescription(ae.Description), false, true
	}
	if x.he != nil && x.he.AlertSent {
		return wire.AlertDescription(x.he.Alert), true, true
	}
	return 0, false, false
}

// pskIdentity names the PSK the handshake used or offered: the identity
// in the TLS 1.2 ClientKeyExchange, or the external PSK of a TLS 1.3
// ClientHello (the Config says which offered identity is external rather
// than a ticket). used says a PSK decided the keys.
func (x *explainer) pskIdentity() (identity string, used bool) {
	if x.f.pskIdentity != nil {
		return string(x.f.pskIdentity), true
	}
	for _, d := range x.f.decisions {
		if d.What == "psk_identity" {
			return d.Chosen, true
		}
	}
	if x.cfg == nil || len(x.cfg.ExternalPSKs) == 0 || x.f.clientHello == nil {
		return "", false
	}
	want := string(x.cfg.ExternalPSKs[0].Identity)
	if ext, ok := wire.FindExtension[*wire.PreSharedKeyExt](x.f.clientHello.Extensions); ok {
		for _, id := range ext.Identities {
			if string(id.Identity) == want {
				return want, true
			}
		}
	}
	return want, false
}

// offeredPSKSuites lists the TLS 1.2 PSK suites the ClientHello offered.
func (x *explainer) offeredPSKSuites() []string {
	if x.f.clientHello == nil {
		return nil
	}
	var out []string
	for _, id := range x.f.clientHello.CipherSuites {
		if s := suites.SuiteByID(id); s != nil && s.IsPSK() {
			out = append(out, s.Name)
		}
	}
	return out
}

// pskTexts are the catalogue keys of one PSK cause: summary and
// explanation in the words of each side, and the fix.
type pskTexts struct {
	summaryClient, summaryServer, explainClient, explainServer, fix string
}

var pskCatalogue = map[Cause]pskTexts{
	CausePSKUnknownIdentity: {"psk.unknown_identity.summary.client", "psk.unknown_identity.summary.server",
		"psk.unknown_identity.explain.client", "psk.unknown_identity.explain.server", "psk.unknown_identity.fix"},
	CausePSKWrongKey: {"psk.wrong_key.summary.client", "psk.wrong_key.summary.server",
		"psk.wrong_key.explain.client", "psk.wrong_key.explain.server", "psk.wrong_key.fix"},
	CausePSKNoCommonSuite: {"psk.no_common_suite.summary.client", "psk.no_common_suite.summary.server",
		"psk.no_common_suite.explain.client", "psk.no_common_suite.explain.server", "psk.no_common_suite.fix"},
}

// pskDiagnosis fills a PSK cause's texts from the catalogue, in the words
// of the side that explains.
func (x *explainer) pskDiagnosis(cause Cause, sent bool, identity string, desc wire.AlertDescription) *Diagnosis {
	keys := pskCatalogue[cause]
	summary, explanation := keys.summaryClient, keys.explainClient
	if x.side == "server" {
		summary, explanation = keys.summaryServer, keys.explainServer
	}
	args := []any{"identity", fmt.Sprintf("%q", identity), "alert", desc.String(), "suites", strings.Join(x.offeredPSKSuites(), ", ")}
	d := &Diagnosis{Cause: cause,
		Summary:     x.t.T(summary, args...),
		Explanation: x.t.T(explanation, args...),
		Fix:         x.t.T(keys.fix, args...),
		Evidence:    map[string]any{"alert": desc.String(), "alert_sent_here": sent}}
	if identity != "" {
		d.Evidence["psk_identity"] = identity
	}
	x.addTraffic(d)
	return d
}
