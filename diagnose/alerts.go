package diagnose

import (
	"slices"
	"strings"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/wire"
)

// alertMeaning holds the catalogue keys of what an alert means coming from
// each side, and what to do about it. Every alert of the IANA TLS Alerts
// registry has a row (TestAlertTableComplete checks it against
// internal/wire).
type alertMeaning struct {
	// fromServer is what a server means when it sends the alert; fromClient
	// what a client means.
	fromServer, fromClient string
	// fix is the usual remedy, in words that fit either side.
	fix string
}

var alertTable = map[wire.AlertDescription]alertMeaning{
	wire.AlertCloseNotify:                  {"alert.close_notify.server", "alert.close_notify.client", "alert.close_notify.fix"},
	wire.AlertUnexpectedMessage:            {"alert.unexpected_message.server", "alert.unexpected_message.client", "alert.unexpected_message.fix"},
	wire.AlertBadRecordMAC:                 {"alert.bad_record_mac.server", "alert.bad_record_mac.client", "alert.bad_record_mac.fix"},
	wire.AlertDecryptionFailed:             {"alert.decryption_failed.server", "alert.decryption_failed.client", "alert.decryption_failed.fix"},
	wire.AlertRecordOverflow:               {"alert.record_overflow.server", "alert.record_overflow.client", "alert.record_overflow.fix"},
	wire.AlertDecompressionFailure:         {"alert.decompression_failure.server", "alert.decompression_failure.client", "alert.decompression_failure.fix"},
	wire.AlertHandshakeFailure:             {"alert.handshake_failure.server", "alert.handshake_failure.client", "alert.handshake_failure.fix"},
	wire.AlertNoCertificate:                {"alert.no_certificate.server", "alert.no_certificate.client", "alert.no_certificate.fix"},
	wire.AlertBadCertificate:               {"alert.bad_certificate.server", "alert.bad_certificate.client", "alert.bad_certificate.fix"},
	wire.AlertUnsupportedCertificate:       {"alert.unsupported_certificate.server", "alert.unsupported_certificate.client", "alert.unsupported_certificate.fix"},
	wire.AlertCertificateRevoked:           {"alert.certificate_revoked.server", "alert.certificate_revoked.client", "alert.certificate_revoked.fix"},
	wire.AlertCertificateExpired:           {"alert.certificate_expired.server", "alert.certificate_expired.client", "alert.certificate_expired.fix"},
	wire.AlertCertificateUnknown:           {"alert.certificate_unknown.server", "alert.certificate_unknown.client", "alert.certificate_unknown.fix"},
	wire.AlertIllegalParameter:             {"alert.illegal_parameter.server", "alert.illegal_parameter.client", "alert.illegal_parameter.fix"},
	wire.AlertUnknownCA:                    {"alert.unknown_ca.server", "alert.unknown_ca.client", "alert.unknown_ca.fix"},
	wire.AlertAccessDenied:                 {"alert.access_denied.server", "alert.access_denied.client", "alert.access_denied.fix"},
	wire.AlertDecodeError:                  {"alert.decode_error.server", "alert.decode_error.client", "alert.decode_error.fix"},
	wire.AlertDecryptError:                 {"alert.decrypt_error.server", "alert.decrypt_error.client", "alert.decrypt_error.fix"},
	wire.AlertExportRestriction:            {"alert.export_restriction.server", "alert.export_restriction.client", "alert.export_restriction.fix"},
	wire.AlertProtocolVersion:              {"alert.protocol_version.server", "alert.protocol_version.client", "alert.protocol_version.fix"},
	wire.AlertInsufficientSecurity:         {"alert.insufficient_security.server", "alert.insufficient_security.client", "alert.insufficient_security.fix"},
	wire.AlertInternalError:                {"alert.internal_error.server", "alert.internal_error.client", "alert.internal_error.fix"},
	wire.AlertInappropriateFallback:        {"alert.inappropriate_fallback.server", "alert.inappropriate_fallback.client", "alert.inappropriate_fallback.fix"},
	wire.AlertUserCanceled:                 {"alert.user_canceled.server", "alert.user_canceled.client", "alert.user_canceled.fix"},
	wire.AlertNoRenegotiation:              {"alert.no_renegotiation.server", "alert.no_renegotiation.client", "alert.no_renegotiation.fix"},
	wire.AlertMissingExtension:             {"alert.missing_extension.server", "alert.missing_extension.client", "alert.missing_extension.fix"},
	wire.AlertUnsupportedExtension:         {"alert.unsupported_extension.server", "alert.unsupported_extension.client", "alert.unsupported_extension.fix"},
	wire.AlertCertificateUnobtainable:      {"alert.certificate_unobtainable.server", "alert.certificate_unobtainable.client", "alert.certificate_unobtainable.fix"},
	wire.AlertUnrecognizedName:             {"alert.unrecognized_name.server", "alert.unrecognized_name.client", "alert.unrecognized_name.fix"},
	wire.AlertBadCertificateStatusResponse: {"alert.bad_certificate_status_response.server", "alert.bad_certificate_status_response.client", "alert.bad_certificate_status_response.fix"},
	wire.AlertBadCertificateHashValue:      {"alert.bad_certificate_hash_value.server", "alert.bad_certificate_hash_value.client", "alert.bad_certificate_hash_value.fix"},
	wire.AlertUnknownPSKIdentity:           {"alert.unknown_psk_identity.server", "alert.unknown_psk_identity.client", "alert.unknown_psk_identity.fix"},
	wire.AlertCertificateRequired:          {"alert.certificate_required.server", "alert.certificate_required.client", "alert.certificate_required.fix"},
	wire.AlertNoApplicationProtocol:        {"alert.no_application_protocol.server", "alert.no_application_protocol.client", "alert.no_application_protocol.fix"},
	wire.AlertECHRequired:                  {"alert.ech_required.server", "alert.ech_required.client", "alert.ech_required.fix"},
}

// meaning says what desc means coming from the given sender ("client" or
// "server").
func (x *explainer) meaning(desc wire.AlertDescription, sender string) (string, string) {
	m, ok := alertTable[desc]
	if !ok {
		return x.t.T("alert.unknown.meaning", append(sideArgs(x.t, sender), "code", uint8(desc))...),
			x.t.T("alert.unknown.fix")
	}
	if sender == "server" {
		return x.t.T(m.fromServer), x.t.T(m.fix)
	}
	return x.t.T(m.fromClient), x.t.T(m.fix)
}

// alert explains an alert the peer sent, using what this side sent
// before it: a CertificateRequest answered or not, a Finished sent.
func (x *explainer) alert(ae *clasp.AlertReceivedError) *Diagnosis {
	desc := wire.AlertDescription(ae.Description)
	peer := x.peer()
	f, t := x.f, x.t
	at := t.T("alert.at.after_handshake")
	if ae.Step != "" {
		at = t.T("alert.at.step", "step", quote(ae.Step))
	}
	if f.lastSent != nil {
		at += t.T("alert.at.right_after", "message", f.lastSent.Name)
	}

	// A client certificate the server wanted, missing or refused.
	if x.side == "client" && (desc == wire.AlertCertificateRequired ||
		f.certRequest && f.ownCertSent && isCertificateVerdict(desc)) {
		if d := x.clientCertificate(desc, at); d != nil {
			return d
		}
	}
	// Keys: the peer could not authenticate this side's protected records
	// or its Finished.
	finishedStep := strings.Contains(ae.Step, "Finished") || ae.Step == ""
	if (desc == wire.AlertBadRecordMAC || desc == wire.AlertDecryptionFailed) && (f.finishedSent || finishedStep) ||
		desc == wire.AlertDecryptError && f.finishedSent && finishedStep {
		return x.keysMismatch(t.T("keys.observed.peer_sent", x.peerArgs("alert", desc, "at", at)...), true)
	}
	if desc == wire.AlertProtocolVersion {
		d := &Diagnosis{Cause: CauseNoCommonVersion,
			Summary:  t.T("alert.version.summary", x.peerArgs("alert", desc, "at", at)...),
			Evidence: map[string]any{"peer_alert": desc.String(), "offered_versions": offeredVersions(f.clientHello)}}
		m, fix := x.meaning(desc, peer)
		d.Explanation = capitalize(t.T("alert.version.explain", "meaning", m, "versions", x.list(offeredVersions(f.clientHello))))
		d.Fix = fix
		return d
	}

	m, fix := x.meaning(desc, peer)
	d := &Diagnosis{Cause: CausePeerAlert,
		Summary:  t.T("alert.summary", x.peerArgs("alert", desc, "at", at)...),
		Evidence: map[string]any{"peer_alert": desc.String(), "peer_alert_code": int(desc), "peer_alert_level": int(ae.Level)}}
	x.addTraffic(d)
	d.Explanation = capitalize(t.T("alert.explain", x.peerArgs("alert", desc, "code", int(desc), "at", at, "meaning", m)...))
	x.alertEvidence(d, desc)
	d.Fix = fix
	return d
}

// alertEvidence adds to an alert's explanation what this side recorded
// that bears on it: the chain it sent, the name it asked for, its offer.
func (x *explainer) alertEvidence(d *Diagnosis, desc wire.AlertDescription) {
	f, t := x.f, x.t
	switch desc {
	case wire.AlertUnknownCA, wire.AlertBadCertificate, wire.AlertCertificateUnknown, wire.AlertCertificateExpired,
		wire.AlertUnsupportedCertificate, wire.AlertCertificateRevoked:
		if len(f.ownChain) == 0 {
			return
		}
		d.Explanation = also(d.Explanation, t.T("alert.explain.own_chain", "chain", x.describeChain(f.ownChain)))
		d.Evidence["own_chain"] = chainFacts(f.ownChain)
		if desc == wire.AlertCertificateExpired {
			for _, c := range f.ownChain {
				if x.now.After(c.NotAfter) || x.now.Before(c.NotBefore) {
					d.Explanation = also(d.Explanation, t.T("alert.explain.own_expired", "subject", certName(c),
						"from", c.NotBefore.UTC().Format("2006-01-02"), "until", c.NotAfter.UTC().Format("2006-01-02")))
				}
			}
		}
		if desc == wire.AlertUnknownCA && len(f.ownChain) == 1 && !selfSigned(f.ownChain[0]) {
			d.Explanation = also(d.Explanation, t.T("alert.explain.leaf_only", "issuer", f.ownChain[0].Issuer.String()))
		}
	case wire.AlertUnrecognizedName:
		if sni := serverNameOf(f.clientHello); sni != "" {
			d.Explanation = also(d.Explanation, t.T("alert.explain.sni", "name", quote(sni)))
			d.Evidence["server_name"] = sni
		}
	case wire.AlertHandshakeFailure:
		if f.clientHello != nil && x.side == "client" {
			d.Explanation = also(d.Explanation, t.T("alert.explain.offer", "suites", x.list(offeredSuites(f.clientHello)),
				"groups", x.list(offeredGroups(f.clientHello)), "schemes", x.list(offeredSchemes(f.clientHello))))
		}
	}
}

// isCertificateVerdict reports whether a server's alert after a client
// Certificate can be its verdict on that certificate.
func isCertificateVerdict(desc wire.AlertDescription) bool {
	switch desc {
	case wire.AlertHandshakeFailure, wire.AlertBadCertificate, wire.AlertUnsupportedCertificate, wire.AlertCertificateRevoked,
		wire.AlertCertificateExpired, wire.AlertCertificateUnknown, wire.AlertUnknownCA, wire.AlertAccessDenied,
		wire.AlertCertificateRequired:
		return true
	}
	return false
}

// clientCertificate explains a server's refusal of this client's answer to
// its CertificateRequest: the CA names it asked for, what was sent, and
// which configured certificate, if any, matches.
func (x *explainer) clientCertificate(desc wire.AlertDescription, at string) *Diagnosis {
	f, t := x.f, x.t
	cas := dnStrings(f.certRequestCAs)
	d := &Diagnosis{Evidence: map[string]any{"peer_alert": desc.String(), "requested_cas": cas,
		"certificate_requested": f.certRequest}}
	local, matching := x.localCertificates(f.certRequestCAs)
	if local != nil {
		d.Evidence["local_certificates"] = local
		d.Evidence["matching_local_certificates"] = matching
	}
	casText := t.T("mtls.cas.any")
	if len(cas) > 0 {
		casText = t.T("mtls.cas.list", "cas", strings.Join(cas, "; "))
	}
	if !f.certRequest {
		casText = t.T("mtls.cas.unknown")
	}
	sentNone := !f.ownCertSent || len(f.ownChain) == 0
	if sentNone {
		d.Cause = CauseClientCertificateRequired
		d.Summary = t.T("mtls.required.summary", "alert", desc, "at", at)
		d.Explanation = t.T("mtls.required.explain", "cas", casText, "alert", desc)
	} else {
		d.Cause = CauseClientCertificateRejected
		sent := f.ownChain[0]
		d.Evidence["sent_certificate"] = certFacts(sent)
		d.Summary = t.T("mtls.rejected.summary", "subject", certName(sent), "alert", desc, "at", at)
		m, _ := x.meaning(desc, "server")
		d.Explanation = t.T("mtls.rejected.explain", "cas", casText, "subject", certName(sent), "issuer", sent.Issuer.String(),
			"alert", desc, "meaning", m)
		if len(cas) > 0 && !slices.Contains(cas, sent.Issuer.String()) {
			d.Explanation = also(d.Explanation, t.T("mtls.rejected.issuer_not_listed"))
		}
	}
	d.Explanation = also(d.Explanation, x.localNote(local, matching, cas))
	if sentNone && len(cas) > 0 && len(local) > 0 && len(matching) == 0 && x.cfg.GetClientCertificate == nil {
		// The person gave a certificate and clasp kept it back: say it
		// first, loudly, with the way to send it anyway.
		given := x.cfg.Certificates[0]
		chain := parseChain(given.Certificate)
		if len(chain) > 0 {
			d.Evidence["given_certificate_issuer"] = chain[0].Issuer.String()
			d.Summary = x.t.T("mtls.summary.not_requested_ca", "cas", strings.Join(cas, "; "),
				"subject", certName(chain[0]), "issuer", chain[0].Issuer.String(), "alert", desc.String())
			d.Fix = x.t.T("mtls.fix.not_requested_ca", "cas", strings.Join(cas, " or "), "issuer", chain[0].Issuer.String())
			return d
		}
	}
	switch {
	case sentNone && len(matching) > 0:
		d.Fix = t.T("mtls.fix.not_sent")
	case sentNone && len(cas) > 0:
		d.Fix = t.T("mtls.fix.pass_from", "cas", strings.Join(cas, t.T("negotiation.or")))
	case sentNone:
		d.Fix = t.T("mtls.fix.pass")
	default:
		d.Fix = t.T("mtls.fix.other_ca", "cas", ifList(cas))
	}
	return d
}

// localNote says which configured client certificates could have
// answered the CA names the server asked for.
func (x *explainer) localNote(local []map[string]any, matching, cas []string) string {
	t := x.t
	switch {
	case local == nil && x.cfg == nil:
		return t.T("mtls.local.no_config")
	case x.cfg != nil && x.cfg.GetClientCertificate != nil:
		return t.T("mtls.local.callback")
	case len(local) == 0:
		return t.T("mtls.local.none")
	case len(cas) == 0:
		return t.T("mtls.local.any", "n", len(local))
	case len(matching) == 0:
		return t.T("mtls.local.no_match", "n", len(local), "certificates", x.describeLocal(local))
	}
	return t.T("mtls.local.match", "certificates", strings.Join(matching, "; "))
}

func ifList(cas []string) string {
	if len(cas) == 0 {
		return ""
	}
	return " (" + strings.Join(cas, "; ") + ")"
}

func (x *explainer) describeLocal(local []map[string]any) string {
	var parts []string
	for _, l := range local {
		parts = append(parts, x.t.T("mtls.local.entry", "subject", l["subject"], "issuer", l["issuer"]))
	}
	return strings.Join(parts, "; ")
}

// localCertificates lists the configured client certificates and which of
// them chain to one of the CA names (any of them when the list is empty).
func (x *explainer) localCertificates(caDERs [][]byte) (local []map[string]any, matching []string) {
	if x.cfg == nil {
		return nil, nil
	}
	local = []map[string]any{}
	matching = []string{}
	cas := map[string]bool{}
	for _, dn := range caDERs {
		cas[string(dn)] = true
	}
	for _, cert := range x.cfg.Certificates {
		chain := parseChain(cert.Certificate)
		if len(chain) == 0 {
			continue
		}
		leaf := chain[0]
		match := len(cas) == 0
		for _, c := range chain {
			if cas[string(c.RawIssuer)] || cas[string(c.RawSubject)] {
				match = true
			}
		}
		local = append(local, map[string]any{"subject": leaf.Subject.String(), "issuer": leaf.Issuer.String(),
			"sha256": fingerprint(leaf), "matches": match})
		if match {
			matching = append(matching, certName(leaf))
		}
	}
	return local, matching
}

// localProtocolError explains a failure this side detected itself that
// points at a cause: the peer's Finished or records failing authentication,
// or (on a server) a client that sent no certificate.
func (x *explainer) localProtocolError(we *wire.Error) *Diagnosis {
	f := x.f
	if d := x.weakDH(we); d != nil {
		return d
	}
	switch {
	case we.Alert == wire.AlertDecryptError && strings.Contains(x.step, "Finished"):
		return x.keysMismatch(x.t.T("keys.observed.finished", x.peerArgs("step", quote(x.step), "error", we.Message)...), false)
	case we.Alert == wire.AlertBadRecordMAC:
		at := x.t.T("keys.at.after_handshake")
		if x.step != "" {
			at = x.t.T("alert.at.step", "step", quote(x.step))
		}
		return x.keysMismatch(x.t.T("keys.observed.record", x.peerArgs("at", at, "error", we.Message)...), false)
	case x.side == "server" && f.certRequest && f.peerCertReceived && len(f.peerChain) == 0 &&
		(we.Alert == wire.AlertHandshakeFailure || we.Alert == wire.AlertCertificateRequired):
		cas := dnStrings(f.certRequestCAs)
		return &Diagnosis{Cause: CauseClientCertificateRequired,
			Summary:     x.t.T("mtls.server.summary"),
			Explanation: x.t.T("mtls.server.explain", "cas", x.list(cas)),
			Fix:         x.t.T("mtls.server.fix"),
			Evidence:    map[string]any{"requested_cas": cas}}
	}
	return nil
}

// keysMismatch: Finished or record authentication failed, so the two sides
// hold different keys or saw different handshakes.
func (x *explainer) keysMismatch(observed string, byPeer bool) *Diagnosis {
	f := x.f
	d := &Diagnosis{Cause: CauseKeysMismatch, Evidence: map[string]any{"observed": observed,
		"finished_sent": f.finishedSent, "finished_received": f.finishedReceived}}
	x.addTraffic(d)
	t := x.t
	if byPeer {
		d.Summary = t.T("keys.summary.by_peer", x.peerArgs()...)
	} else {
		d.Summary = t.T("keys.summary.here", x.peerArgs()...)
	}
	d.Explanation = capitalize(t.T("keys.explain", "observed", observed))
	resumed := false
	if f.clientHello != nil && f.serverHello != nil && len(f.clientHello.SessionID) > 0 &&
		string(f.clientHello.SessionID) == string(f.serverHello.SessionID) && f.serverHello.Version <= 0x0303 && !f.sawHRR {
		if _, tls13 := wire.FindExtension[*wire.SupportedVersionsExt](f.serverHello.Extensions); !tls13 {
			resumed = true
		}
	}
	if f.done != nil && f.done.Resumed || resumed {
		d.Explanation = also(d.Explanation, t.T("keys.explain.resumed"))
		d.Evidence["resumed"] = true
	}
	if f.certRequest && f.ownCertSent && len(f.ownChain) > 0 && x.side == "client" {
		d.Explanation = also(d.Explanation, t.T("keys.explain.client_certificate"))
	}
	d.Fix = t.T("keys.fix")
	return d
}
