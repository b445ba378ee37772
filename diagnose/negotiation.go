package diagnose

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// negotiation explains a NegotiationError: the side that found nothing in
// common lists both sides, so the intersection is shown to be empty.
func (x *explainer) negotiation(ne *clasp.NegotiationError) *Diagnosis {
	if ne.What == "cipher suite" {
		// The lists carry signalling values (SCSVs, GREASE) that are not
		// suites; they would only blur the intersection.
		clean := *ne
		clean.ClientOffered, clean.ServerAccepts = realSuites(ne.ClientOffered), realSuites(ne.ServerAccepts)
		ne = &clean
	}
	common := intersect(ne.ClientOffered, ne.ServerAccepts)
	d := &Diagnosis{Evidence: map[string]any{
		"parameter":      ne.What,
		"client_offered": ne.ClientOffered,
		"server_accepts": ne.ServerAccepts,
		"common":         common,
	}}
	if ne.Detail != "" {
		d.Evidence["detail"] = ne.Detail
	}
	t := x.t
	client, server := t.T("who.the_client"), t.T("who.the_server")
	if x.side == "client" {
		client = t.T("who.this_client")
	} else {
		server = t.T("who.this_server")
	}
	what, whats := ne.What, ne.What+"s"
	if k, ok := paramKeys[ne.What]; ok {
		what, whats = t.T(k[0]), t.T(k[1])
	}
	lists := []any{"client", client, "server", server, "what", what, "whats", whats,
		"offered", x.list(ne.ClientOffered), "accepts", x.list(ne.ServerAccepts), "common", x.list(common)}
	d.Summary = t.T("negotiation.summary", lists...)
	d.Explanation = capitalize(t.T("negotiation.explain.empty", lists...))
	if len(common) > 0 {
		d.Explanation = capitalize(t.T("negotiation.explain.unusable", lists...))
	}
	if ne.Detail != "" {
		d.Explanation += " (" + ne.Detail + ")"
	}
	d.Explanation += t.T("negotiation.explain.end")

	switch ne.What {
	case "cipher suite":
		d.Cause = CauseNoCommonCipherSuite
		x.suiteAdvice(d, ne, common)
	case "protocol version":
		d.Cause = CauseNoCommonVersion
		x.versionAdvice(d, ne)
	case "group":
		d.Cause = CauseNoCommonGroup
		d.Explanation = also(d.Explanation, t.T("negotiation.group.explain"))
		d.Fix = x.bothSides(
			t.T("negotiation.group.fix_server", "groups", x.list(ne.ClientOffered)),
			t.T("negotiation.group.fix_client", "groups", x.list(ne.ServerAccepts), "flag", x.flag("--groups")))
	case "signature scheme":
		d.Cause = CauseNoCommonSignatureScheme
		x.schemeAdvice(d, ne)
	case "application protocol":
		d.Cause = CauseNoCommonALPN
		d.Fix = x.bothSides(
			t.T("negotiation.alpn.fix_server", "protocols", x.list(ne.ClientOffered)),
			t.T("negotiation.alpn.fix_client", "protocols", x.list(ne.ServerAccepts), "flag", x.flag("--alpn")))
	default:
		d.Cause = CauseUnknown
		d.Fix = t.T("negotiation.fix.overlap")
	}
	return d
}

// paramKeys are the catalogue keys of each negotiated parameter's name, as
// one ("no cipher suite in common") and as many ("offered the cipher
// suites").
var paramKeys = map[string][2]string{
	"cipher suite":         {"param.cipher_suite.one", "param.cipher_suite.many"},
	"protocol version":     {"param.protocol_version.one", "param.protocol_version.many"},
	"group":                {"param.group.one", "param.group.many"},
	"signature scheme":     {"param.signature_scheme.one", "param.signature_scheme.many"},
	"application protocol": {"param.application_protocol.one", "param.application_protocol.many"},
}

// schemeAdvice explains a signature scheme mismatch from the key types
// each side's schemes need.
func (x *explainer) schemeAdvice(d *Diagnosis, ne *clasp.NegotiationError) {
	t := x.t
	d.Explanation = also(d.Explanation, t.T("negotiation.scheme.explain"))
	if keys := x.serverKeys(); x.side == "server" && len(keys) > 0 {
		d.Explanation = also(d.Explanation, t.T("negotiation.scheme.server_keys", "keys", strings.Join(keys, "; ")))
		d.Evidence["server_certificate_keys"] = keys
	}
	needed := schemeKeyTypes(ne.ClientOffered)
	types := strings.Join(needed, t.T("negotiation.or"))
	if len(needed) > 0 {
		d.Explanation = also(d.Explanation, t.T("negotiation.scheme.client_needs", "types", types))
		d.Evidence["client_schemes_need_key"] = needed
	}
	d.Fix = x.bothSides(
		t.T("negotiation.scheme.fix_server", "schemes", x.list(ne.ClientOffered), "types", types),
		t.T("negotiation.scheme.fix_client", "schemes", x.list(ne.ServerAccepts), "flag", x.flag("--sigalgs")))
}

// bothSides words a fix that either side can make, naming this side.
func (x *explainer) bothSides(serverFix, clientFix string) string {
	key := "both.client_here"
	if x.side == "server" {
		key = "both.server_here"
	}
	return x.t.T(key, "server_fix", serverFix, "client_fix", clientFix)
}

// flag names a command-line flag of `clasp connect` when the client is
// this side.
func (x *explainer) flag(name string) string {
	if x.side == "client" {
		return " (" + name + ")"
	}
	return ""
}

// suiteAdvice says which suites would work and which side should change.
func (x *explainer) suiteAdvice(d *Diagnosis, ne *clasp.NegotiationError, common []string) {
	t := x.t
	// Suites the server could enable: offered by the client and runnable
	// by clasp.
	var serverCould, weakOffered []string
	allWeak := len(ne.ClientOffered) > 0
	for _, name := range ne.ClientOffered {
		s, ok := suites.SuiteByName(name)
		if !ok {
			allWeak = false
			continue
		}
		weak, why := s.IsWeak()
		if weak {
			weakOffered = append(weakOffered, name+" ("+weakReason(x.t, why)+")")
		} else {
			allWeak = false
		}
		if s.Implemented && !s.SCSV {
			serverCould = append(serverCould, name)
		}
	}
	// Suites the client could enable: accepted by the server, in a
	// version the client offered.
	maxV := suites.VersionTLS13
	if ch := x.f.clientHello; ch != nil {
		if _, ok := wire.FindExtension[*wire.SupportedVersionsExt](ch.Extensions); !ok {
			maxV = ch.Version
		}
	}
	var clientCould []string
	for _, name := range ne.ServerAccepts {
		if s, ok := suites.SuiteByName(name); ok && s.MinVersion != 0 && s.MinVersion <= maxV {
			clientCould = append(clientCould, name)
		}
	}
	d.Evidence["server_could_enable"] = serverCould
	d.Evidence["client_could_enable"] = clientCould
	if len(common) > 0 {
		switch {
		case strings.Contains(ne.Detail, "certificate"):
			d.Fix = t.T("suites.fix.certificate_type")
		case strings.Contains(ne.Detail, "group"):
			d.Fix = t.T("suites.fix.groups_overlap", "flag", x.flag("--groups"))
		default:
			d.Fix = t.T("suites.fix.detail", "detail", ne.Detail)
		}
		return
	}
	if len(weakOffered) > 0 && allWeak {
		d.Explanation = also(d.Explanation, t.T("suites.explain.all_weak", "suites", strings.Join(weakOffered, "; ")))
	}
	if len(clientCould) > 0 {
		d.Explanation = also(d.Explanation, t.T("suites.explain.client_could", "suites", x.list(clientCould)))
	}
	clientFix := t.T("suites.fix.client_enable", "suites", x.list(clientCould), "flag", x.flag("--ciphers"))
	if len(clientCould) == 0 {
		clientFix = t.T("suites.fix.client_offer")
	}
	serverFix := t.T("suites.fix.server_none")
	if len(serverCould) > 0 {
		serverFix = t.T("suites.fix.server_enable", "suites", x.list(serverCould))
		if allWeak {
			serverFix += t.T("suites.fix.weakens")
		}
	}
	if allWeak || x.side == "server" {
		d.Fix = t.T("both.client_preferred", "client_fix", clientFix, "server_fix", serverFix)
	} else {
		d.Fix = x.bothSides(serverFix, clientFix)
	}
}

func firstReason(why string) string {
	r, _, _ := strings.Cut(why, ";")
	r, _, _ = strings.Cut(r, ":")
	return r
}

// weakReason is the first reason a suite is weak (from the suites table's
// IsWeak, in English) in the catalogue's words: the English text is looked
// up among the weak_reason keys, and an unknown one stays as it is.
func weakReason(t *Texts, why string) string {
	reason := firstReason(why)
	en := Language(DefaultLanguage)
	for _, key := range weakReasonKeys {
		if text, _ := en.Own(key); text == reason {
			return t.T(key)
		}
	}
	return reason
}

// weakReasonKeys are the catalogue keys of the reasons internal/suites
// gives for a weak suite (TestWeakReasonsAreInTheCatalogue checks that
// every suite's is here).
var weakReasonKeys = []string{
	"weak_reason.signalling", "weak_reason.never_negotiable", "weak_reason.no_encryption", "weak_reason.export",
	"weak_reason.rc4", "weak_reason.des", "weak_reason.64bit_block", "weak_reason.ccm8", "weak_reason.anonymous",
	"weak_reason.dsa", "weak_reason.static_rsa", "weak_reason.static_dh", "weak_reason.psk", "weak_reason.kerberos",
	"weak_reason.md5_mac", "weak_reason.mac_then_encrypt",
}

func (x *explainer) versionAdvice(d *Diagnosis, ne *clasp.NegotiationError) {
	oldOnly := true
	for _, v := range ne.ClientOffered {
		if strings.Contains(v, "1.2") || strings.Contains(v, "1.3") {
			oldOnly = false
		}
	}
	if oldOnly && len(ne.ClientOffered) > 0 {
		d.Explanation = also(d.Explanation, x.t.T("version.explain.old_only"))
		d.Fix = x.t.T("version.fix.old_only")
		return
	}
	d.Fix = x.bothSides(
		x.t.T("version.fix_server", "versions", x.list(ne.ClientOffered)),
		x.t.T("version.fix_client", "versions", x.list(ne.ServerAccepts), "flag", x.flag("--min-version/--max-version")))
}

// offerRejected explains a server's alert in answer to the ClientHello.
// The server did not say which part of the offer it refused, so the
// diagnosis lists the whole offer and what on this side narrowed it.
func (x *explainer) offerRejected(oe *clasp.OfferRejectedError) *Diagnosis {
	alert := wire.AlertDescription(oe.Alert.Description)
	ev := map[string]any{
		"peer_alert":       alert.String(),
		"offered_versions": oe.Versions,
		"offered_suites":   oe.CipherSuites,
		"offered_groups":   oe.Groups,
		"offered_schemes":  oe.Signatures,
	}
	if len(oe.ApplicationProtocols) > 0 {
		ev["offered_alpn"] = oe.ApplicationProtocols
	}
	switch alert {
	case wire.AlertProtocolVersion:
		return x.versionRejected(oe, ev)
	case wire.AlertHandshakeFailure, wire.AlertInsufficientSecurity:
	default:
		return nil
	}
	t := x.t
	d := &Diagnosis{Cause: CauseOfferRejected, Evidence: ev,
		Summary: t.T("rejected.summary", "alert", alert)}
	d.Explanation = t.T("rejected.explain", "alert", alert, "versions", x.list(oe.Versions), "suites", x.list(oe.CipherSuites),
		"groups", x.list(oe.Groups), "schemes", x.list(oe.Signatures))
	narrowed := x.narrowedOffer()
	var weak []string
	allWeak := len(oe.CipherSuites) > 0
	for _, name := range oe.CipherSuites {
		s, ok := suites.SuiteByName(name)
		if !ok {
			allWeak = false
			continue
		}
		if w, why := s.IsWeak(); w {
			weak = append(weak, name+" ("+weakReason(x.t, why)+")")
		} else {
			allWeak = false
		}
	}
	if allWeak {
		d.Explanation = also(d.Explanation, t.T("rejected.explain.all_weak", "suites", strings.Join(weak, "; ")))
		ev["all_offered_suites_weak"] = true
	}
	if len(narrowed) > 0 {
		d.Explanation = also(d.Explanation, t.T("rejected.explain.narrowed", "narrowed", strings.Join(narrowed, "; ")))
		ev["narrowed_by_config"] = narrowed
	}
	d.Explanation = also(d.Explanation, t.T("rejected.explain.server_log"))
	if len(narrowed) > 0 {
		d.Fix = t.T("rejected.fix.narrowed", "narrowed", strings.Join(narrowed, "; "))
	} else {
		d.Fix = t.T("rejected.fix")
	}
	return d
}

// versionRejected explains a protocol_version alert in answer to the
// ClientHello from the versions offered.
func (x *explainer) versionRejected(oe *clasp.OfferRejectedError, ev map[string]any) *Diagnosis {
	t := x.t
	d := &Diagnosis{Cause: CauseNoCommonVersion, Evidence: ev,
		Summary: t.T("rejected.version.summary", "versions", x.list(oe.Versions))}
	d.Explanation = t.T("rejected.version.explain", "versions", x.list(oe.Versions))
	only13 := len(oe.Versions) == 1 && strings.Contains(oe.Versions[0], "1.3")
	switch {
	case only13:
		d.Explanation = also(d.Explanation, t.T("rejected.version.explain.only13"))
		d.Fix = t.T("rejected.version.fix.only13")
	case !slices.ContainsFunc(oe.Versions, func(v string) bool { return strings.Contains(v, "1.3") }):
		d.Explanation = also(d.Explanation, t.T("rejected.version.explain.no13"))
		d.Fix = t.T("rejected.version.fix.no13")
	default:
		d.Fix = t.T("rejected.version.fix")
	}
	return d
}

// narrowedOffer lists what this side's Config narrowed in the offer.
func (x *explainer) narrowedOffer() []string {
	var narrowed []string
	c := x.cfg
	if c == nil {
		return nil
	}
	if len(c.CipherSuites) > 0 {
		narrowed = append(narrowed, x.t.T("rejected.narrowed.suites", "n", len(c.CipherSuites)))
	}
	if len(c.Groups) > 0 {
		narrowed = append(narrowed, x.t.T("rejected.narrowed.groups", "n", len(c.Groups)))
	}
	if len(c.SignatureSchemes) > 0 {
		narrowed = append(narrowed, x.t.T("rejected.narrowed.schemes", "n", len(c.SignatureSchemes)))
	}
	if c.MaxVersion != 0 && c.MaxVersion < clasp.VersionTLS13 {
		narrowed = append(narrowed, x.t.T("rejected.narrowed.no13"))
	}
	if c.MinVersion == clasp.VersionTLS13 {
		narrowed = append(narrowed, x.t.T("rejected.narrowed.no12"))
	}
	return narrowed
}

func intersect(a, b []string) []string {
	var out []string
	for _, v := range a {
		if slices.Contains(b, v) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

// serverKeys names the key types of this server's certificates, from what
// it sent or, before that, from its Config.
func (x *explainer) serverKeys() []string {
	var out []string
	if len(x.f.ownChain) > 0 {
		c := x.f.ownChain[0]
		return []string{x.t.T("negotiation.cert_key", "name", certName(c), "algorithm", c.PublicKeyAlgorithm)}
	}
	if x.cfg == nil {
		return nil
	}
	for _, cert := range x.cfg.Certificates {
		if chain := parseChain(cert.Certificate); len(chain) > 0 {
			out = append(out, x.t.T("negotiation.cert_key", "name", certName(chain[0]), "algorithm", chain[0].PublicKeyAlgorithm))
		}
	}
	return out
}

// schemeKeyTypes lists the key types that can make the named schemes.
func schemeKeyTypes(schemes []string) []string {
	var out []string
	for _, name := range schemes {
		info, ok := suites.SchemeByName(name)
		if !ok {
			continue
		}
		var kind string
		switch info.Algorithm {
		case suites.SigRSAPKCS1, suites.SigRSAPSSRSAE:
			kind = "RSA"
		case suites.SigRSAPSSPSS:
			kind = "RSA-PSS"
		case suites.SigECDSA:
			kind = "ECDSA"
			if info.Curve != 0 {
				kind = "ECDSA " + info.Curve.String()
			}
		default:
			kind = info.Algorithm.String()
		}
		if !slices.Contains(out, kind) {
			out = append(out, kind)
		}
	}
	return out
}

// realSuites drops signalling values from a list of suite names.
func realSuites(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if s, ok := suites.SuiteByName(n); ok && s.SCSV {
			continue
		}
		if strings.HasPrefix(n, "GREASE") || strings.Contains(n, "GREASE") {
			continue
		}
		out = append(out, n)
	}
	return out
}
