package diagnose

import (
	"fmt"
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
	client, server := "the client", "the server"
	if x.side == "client" {
		client = "this client"
	} else {
		server = "this server"
	}
	d.Summary = fmt.Sprintf("no %s in common: %s offered %s; %s accepts %s", ne.What, client,
		quoteList(ne.ClientOffered), server, quoteList(ne.ServerAccepts))
	d.Explanation = fmt.Sprintf("%s offered the %ss [%s]; %s accepts [%s]. The intersection is empty",
		capitalize(client), ne.What, quoteList(ne.ClientOffered), server, quoteList(ne.ServerAccepts))
	if len(common) > 0 {
		d.Explanation = fmt.Sprintf("%s offered the %ss [%s]; %s accepts [%s]. They share [%s], but none of those could be used",
			capitalize(client), ne.What, quoteList(ne.ClientOffered), server, quoteList(ne.ServerAccepts), quoteList(common))
	}
	if ne.Detail != "" {
		d.Explanation += " (" + ne.Detail + ")"
	}
	d.Explanation += "."

	switch ne.What {
	case "cipher suite":
		d.Cause = CauseNoCommonCipherSuite
		x.suiteAdvice(d, ne, common)
	case "protocol version":
		d.Cause = CauseNoCommonVersion
		x.versionAdvice(d, ne)
	case "group":
		d.Cause = CauseNoCommonGroup
		d.Explanation += " The key exchange needs one group (elliptic curve, finite field or hybrid post-quantum group) that both sides implement and allow."
		d.Fix = x.bothSides(
			fmt.Sprintf("allow one of the groups the client offers (%s) in the server's group list", quoteList(ne.ClientOffered)),
			fmt.Sprintf("offer one of the server's groups (%s)%s", quoteList(ne.ServerAccepts), x.flag("--groups")))
	case "signature scheme":
		d.Cause = CauseNoCommonSignatureScheme
		d.Explanation += " The server signs the handshake with its certificate's key, so it needs a scheme the client accepts and that key can produce."
		if keys := x.serverKeys(); x.side == "server" && len(keys) > 0 {
			d.Explanation += " This server's certificate keys: " + strings.Join(keys, "; ") + "."
			d.Evidence["server_certificate_keys"] = keys
		}
		needed := schemeKeyTypes(ne.ClientOffered)
		if len(needed) > 0 {
			d.Explanation += " The client's schemes need a certificate key of type " + strings.Join(needed, " or ") + "."
			d.Evidence["client_schemes_need_key"] = needed
		}
		d.Fix = x.bothSides(
			fmt.Sprintf("add a certificate whose key can sign with one of the client's schemes (%s, which needs a key of type %s)", quoteList(ne.ClientOffered), strings.Join(needed, " or ")),
			fmt.Sprintf("accept one of the server's schemes (%s)%s", quoteList(ne.ServerAccepts), x.flag("--sigalgs")))
	case "application protocol":
		d.Cause = CauseNoCommonALPN
		d.Fix = x.bothSides(
			fmt.Sprintf("serve one of the protocols the client asks for (%s)", quoteList(ne.ClientOffered)),
			fmt.Sprintf("ask for one the server serves (%s)%s, or send no ALPN", quoteList(ne.ServerAccepts), x.flag("--alpn")))
	default:
		d.Cause = CauseUnknown
		d.Fix = "Make the two lists overlap, on either side."
	}
	return d
}

// bothSides words a fix that either side can make, naming this side.
func (x *explainer) bothSides(serverFix, clientFix string) string {
	if x.side == "server" {
		return "On this server: " + serverFix + ". Or on the client: " + clientFix + "."
	}
	return "On this client: " + clientFix + ". Or on the server: " + serverFix + "."
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
			weakOffered = append(weakOffered, name+" ("+firstReason(why)+")")
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
			d.Fix = "On the server: add a certificate of the type the common suites need (ECDHE_ECDSA suites need an ECDSA certificate, ECDHE_RSA and RSA suites an RSA one), or enable suites that fit the certificate it has."
		case strings.Contains(ne.Detail, "group"):
			d.Fix = "Make the key exchange groups overlap: the common suites need a group both sides allow (the server's group list, or the client's" + x.flag("--groups") + ")."
		default:
			d.Fix = "Make a suite in common usable: " + ne.Detail + "."
		}
		return
	}
	if len(weakOffered) > 0 && allWeak {
		d.Explanation += fmt.Sprintf(" Every suite the client offers is one that current servers disable on purpose: %s. This is the classic failure of an old TLS library or a client configured with a legacy cipher list meeting a server that dropped those suites.", strings.Join(weakOffered, "; "))
	}
	if len(clientCould) > 0 {
		d.Explanation += fmt.Sprintf(" Suites that would work if the client offered them: %s.", quoteList(clientCould))
	}
	clientFix := fmt.Sprintf("enable one of %s in the client%s — update its TLS library or its cipher list", quoteList(clientCould), x.flag("--ciphers"))
	if len(clientCould) == 0 {
		clientFix = "offer TLS 1.3 or a suite the server accepts"
	}
	serverFix := "the server can run none of the client's suites"
	if len(serverCould) > 0 {
		serverFix = fmt.Sprintf("enable one of the client's suites that the server can run (%s)", quoteList(serverCould))
		if allWeak {
			serverFix += ", which weakens it for every client: prefer fixing the client"
		}
	}
	if allWeak || x.side == "server" {
		d.Fix = "On the client (preferred): " + clientFix + ". Or on the server: " + serverFix + "."
	} else {
		d.Fix = x.bothSides(serverFix, clientFix)
	}
}

func firstReason(why string) string {
	r, _, _ := strings.Cut(why, ";")
	r, _, _ = strings.Cut(r, ":")
	return r
}

func (x *explainer) versionAdvice(d *Diagnosis, ne *clasp.NegotiationError) {
	oldOnly := true
	for _, v := range ne.ClientOffered {
		if strings.Contains(v, "1.2") || strings.Contains(v, "1.3") {
			oldOnly = false
		}
	}
	if oldOnly && len(ne.ClientOffered) > 0 {
		d.Explanation += " The client only speaks versions older than TLS 1.2, which are deprecated (RFC 8996)."
		d.Fix = "On the client (preferred): update its TLS library or enable TLS 1.2. Or on the server: enable the old version for this client only, knowing it is deprecated."
		return
	}
	d.Fix = x.bothSides(
		fmt.Sprintf("enable one of the versions the client offers (%s)", quoteList(ne.ClientOffered)),
		fmt.Sprintf("allow one of the server's versions (%s)%s", quoteList(ne.ServerAccepts), x.flag("--min-version/--max-version")))
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
		d := &Diagnosis{Cause: CauseNoCommonVersion, Evidence: ev,
			Summary: fmt.Sprintf("no protocol version in common: the server refused every version this client offered (%s)", quoteList(oe.Versions))}
		d.Explanation = fmt.Sprintf("This client offered %s; the server answered the ClientHello with the protocol_version alert, which means it supports none of them.", quoteList(oe.Versions))
		only13 := len(oe.Versions) == 1 && strings.Contains(oe.Versions[0], "1.3")
		switch {
		case only13:
			d.Explanation += " Only TLS 1.3 was offered, so the server supports at most TLS 1.2."
			d.Fix = "On this client: allow TLS 1.2 (--min-version 1.2). Or on the server: enable TLS 1.3."
		case !slices.ContainsFunc(oe.Versions, func(v string) bool { return strings.Contains(v, "1.3") }):
			d.Explanation += " TLS 1.3 was not offered, so the server may require it (or an older version this client does not allow)."
			d.Fix = "On this client: allow TLS 1.3 (--max-version 1.3), or the version the server runs. Or on the server: enable one of the offered versions."
		default:
			d.Fix = "On this client: allow the version the server runs (--min-version/--max-version). Or on the server: enable one of the offered versions."
		}
		return d
	case wire.AlertHandshakeFailure, wire.AlertInsufficientSecurity:
	default:
		return nil
	}
	d := &Diagnosis{Cause: CauseOfferRejected, Evidence: ev,
		Summary: fmt.Sprintf("the server found nothing acceptable in this client's offer (it answered the ClientHello with %s)", alert)}
	d.Explanation = fmt.Sprintf("The server answered the ClientHello with the %s alert: it has no cipher suite, key exchange group or signature scheme in common with this client (or, for insufficient_security, only weaker ones than it requires), and the alert does not say which. This client offered versions [%s], cipher suites [%s], groups [%s], signature schemes [%s].",
		alert, quoteList(oe.Versions), quoteList(oe.CipherSuites), quoteList(oe.Groups), quoteList(oe.Signatures))
	// What narrowed the offer on this side, from the Config.
	var narrowed []string
	if c := x.cfg; c != nil {
		if len(c.CipherSuites) > 0 {
			narrowed = append(narrowed, fmt.Sprintf("the cipher suites are restricted to %d (--ciphers)", len(c.CipherSuites)))
		}
		if len(c.Groups) > 0 {
			narrowed = append(narrowed, fmt.Sprintf("the groups are restricted to %d (--groups)", len(c.Groups)))
		}
		if len(c.SignatureSchemes) > 0 {
			narrowed = append(narrowed, fmt.Sprintf("the signature schemes are restricted to %d (--sigalgs)", len(c.SignatureSchemes)))
		}
		if c.MaxVersion != 0 && c.MaxVersion < clasp.VersionTLS13 {
			narrowed = append(narrowed, "TLS 1.3 is disabled (--max-version)")
		}
		if c.MinVersion == clasp.VersionTLS13 {
			narrowed = append(narrowed, "TLS 1.2 is disabled (--min-version)")
		}
	}
	var weak []string
	allWeak := len(oe.CipherSuites) > 0
	for _, name := range oe.CipherSuites {
		s, ok := suites.SuiteByName(name)
		if !ok {
			allWeak = false
			continue
		}
		if w, why := s.IsWeak(); w {
			weak = append(weak, name+" ("+firstReason(why)+")")
		} else {
			allWeak = false
		}
	}
	if allWeak {
		d.Explanation += " Every cipher suite offered is one that current servers disable on purpose: " + strings.Join(weak, "; ") + "."
		ev["all_offered_suites_weak"] = true
	}
	if len(narrowed) > 0 {
		d.Explanation += " This side's configuration narrowed the offer: " + strings.Join(narrowed, "; ") + "."
		ev["narrowed_by_config"] = narrowed
	}
	d.Explanation += " The server's log names the part it refused (OpenSSL: \"no shared cipher\", \"no suitable key share\", \"no suitable signature algorithm\")."
	if len(narrowed) > 0 {
		d.Fix = "On this client: widen what is restricted (" + strings.Join(narrowed, "; ") + "), e.g. back to clasp's defaults. Or on the server: enable one of the offered suites, groups and schemes."
	} else {
		d.Fix = "On the server: enable at least one of the offered cipher suites, groups and signature schemes (its log tells which is missing). On this client: offer what the server runs (--ciphers, --groups, --sigalgs)."
	}
	return d
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
		return []string{fmt.Sprintf("%s (%s key)", certName(c), c.PublicKeyAlgorithm)}
	}
	if x.cfg == nil {
		return nil
	}
	for _, cert := range x.cfg.Certificates {
		if chain := parseChain(cert.Certificate); len(chain) > 0 {
			out = append(out, fmt.Sprintf("%s (%s key)", certName(chain[0]), chain[0].PublicKeyAlgorithm))
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
