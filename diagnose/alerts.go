package diagnose

import (
	"slices"
	"strings"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/wire"
)

// alertMeaning says what an alert means coming from each side, and what to
// do about it. Every alert of the IANA TLS Alerts registry has a row
// (TestAlertTableComplete checks it against internal/wire).
type alertMeaning struct {
	// fromServer is what a server means when it sends the alert; fromClient
	// what a client means.
	fromServer, fromClient string
	// fix is the usual remedy, in words that fit either side.
	fix string
}

var alertTable = map[wire.AlertDescription]alertMeaning{
	wire.AlertCloseNotify: {
		fromServer: "the server closed the connection in an orderly way",
		fromClient: "the client closed the connection in an orderly way",
		fix:        "Nothing is wrong with TLS itself; if it came mid-handshake, the peer's log says why it stopped."},
	wire.AlertUnexpectedMessage: {
		fromServer: "the server received a message it did not expect at this point of the handshake: the two implementations disagree about the message order (a protocol bug on one side, or a middlebox altering the flow)",
		fromClient: "the client received a message it did not expect at this point of the handshake: the two implementations disagree about the message order",
		fix:        "Capture the exchange (--trace=msg) and compare the message order with the RFC; report it to the implementation that deviates."},
	wire.AlertBadRecordMAC: {
		fromServer: "the server could not authenticate (decrypt) a record from this side: the two sides derived different keys, or the bytes were altered in transit",
		fromClient: "the client could not authenticate (decrypt) a record from this side: the two sides derived different keys, or the bytes were altered in transit",
		fix:        "Look for a middlebox that rewrites TLS traffic (proxy, IDS, broken offload), or mismatched session state on a load-balanced server."},
	wire.AlertDecryptionFailed: {
		fromServer: "the server could not decrypt a record (decryption_failed, a TLS 1.0 alert now replaced by bad_record_mac)",
		fromClient: "the client could not decrypt a record (decryption_failed, a TLS 1.0 alert now replaced by bad_record_mac)",
		fix:        "As for bad_record_mac: the keys or the bytes differ between the sides."},
	wire.AlertRecordOverflow: {
		fromServer: "the server received a record longer than TLS allows",
		fromClient: "the client received a record longer than TLS allows",
		fix:        "One side sends oversized records (a bug, or a max_fragment_length disagreement); capture and compare."},
	wire.AlertDecompressionFailure: {
		fromServer: "the server could not decompress a record (TLS compression, long obsolete)",
		fromClient: "the client could not decompress a record (TLS compression, long obsolete)",
		fix:        "Disable TLS compression on both sides."},
	wire.AlertHandshakeFailure: {
		fromServer: "the server could not agree on security parameters with this client: no common cipher suite, group or signature scheme, or a required client certificate is missing",
		fromClient: "the client could not agree on security parameters with this server: it found nothing acceptable in the server's choices",
		fix:        "Compare what each side offers and accepts (--trace=msg shows the ClientHello); the peer's log names the parameter."},
	wire.AlertNoCertificate: {
		fromServer: "no_certificate (an SSL 3.0 alert)",
		fromClient: "the client has no certificate to send (no_certificate, an SSL 3.0 alert)",
		fix:        "Give the client a certificate the server accepts."},
	wire.AlertBadCertificate: {
		fromServer: "the server rejected the client's certificate as malformed or its signature as invalid",
		fromClient: "the client rejected the server's certificate as malformed, badly signed or otherwise unacceptable",
		fix:        "Check the certificate this side sent (and its chain) with openssl x509 -text / openssl verify."},
	wire.AlertUnsupportedCertificate: {
		fromServer: "the server does not support the type of the client's certificate (its key type or usage)",
		fromClient: "the client does not support the type of the server's certificate (its key type or usage)",
		fix:        "Use a certificate with a key type the peer supports (RSA or ECDSA P-256 are the safest)."},
	wire.AlertCertificateRevoked: {
		fromServer: "the server found the client's certificate revoked by its issuer",
		fromClient: "the client found the server's certificate revoked by its issuer",
		fix:        "Replace the revoked certificate with a newly issued one."},
	wire.AlertCertificateExpired: {
		fromServer: "the server found the client's certificate expired (or not yet valid) by its clock",
		fromClient: "the client found the server's certificate expired (or not yet valid) by its clock",
		fix:        "Renew the certificate this side sends; if it is valid, check the peer's clock."},
	wire.AlertCertificateUnknown: {
		fromServer: "the server rejected the client's certificate for an unspecified reason",
		fromClient: "the client rejected the server's certificate for an unspecified reason (often: not trusted)",
		fix:        "The peer's log says which check failed; check the chain this side sends and the peer's trust store."},
	wire.AlertIllegalParameter: {
		fromServer: "the server found a field of this side's message out of range or inconsistent with the rest of the handshake",
		fromClient: "the client found a field of this side's message out of range or inconsistent with what it offered",
		fix:        "A protocol bug or middlebox; capture the exchange (--trace=msg) and report it with the capture."},
	wire.AlertUnknownCA: {
		fromServer: "the server could not build a path from the client's certificate to a CA it trusts",
		fromClient: "the client does not trust the CA that issued this server's certificate (or the chain this server sent is incomplete)",
		fix:        "Make the peer trust the issuing CA, or send a certificate issued by a CA it trusts, with the full chain."},
	wire.AlertAccessDenied: {
		fromServer: "the server accepted the client's certificate but refuses access to this identity",
		fromClient: "the client refuses to continue with this server (access denied by its policy)",
		fix:        "An authorisation decision on the peer, not a TLS problem; ask its operator."},
	wire.AlertDecodeError: {
		fromServer: "the server could not parse a message from this side (a length or field out of range)",
		fromClient: "the client could not parse a message from this side (a length or field out of range)",
		fix:        "A protocol bug or middlebox; capture the exchange (--trace=msg) and report it."},
	wire.AlertDecryptError: {
		fromServer: "the server found a signature or the Finished verify_data from this side wrong: at Finished this means the two sides derived different keys or saw different handshake messages (OpenSSL logs \"digest check failed\")",
		fromClient: "the client found a signature or the Finished verify_data from this side wrong: at Finished this means the two sides derived different keys or saw different handshake messages",
		fix:        "At Finished: look for a middlebox altering the handshake or a resumed session landing on a server with different state. At a signature: the certificate and its private key do not match."},
	wire.AlertExportRestriction: {
		fromServer: "export_restriction (an obsolete SSL 3.0/TLS 1.0 alert)",
		fromClient: "export_restriction (an obsolete SSL 3.0/TLS 1.0 alert)",
		fix:        "Disable export-grade suites."},
	wire.AlertProtocolVersion: {
		fromServer: "the server does not support any protocol version this client offered",
		fromClient: "the client does not support the protocol version this server chose",
		fix:        "Enable a version both sides allow (TLS 1.2 or 1.3)."},
	wire.AlertInsufficientSecurity: {
		fromServer: "the server requires stronger parameters than this client offered (e.g. larger DH groups or stronger suites)",
		fromClient: "the client requires stronger parameters than this server chose (e.g. a larger DH group)",
		fix:        "Offer stronger suites and groups (ECDHE with AES-GCM or ChaCha20)."},
	wire.AlertInternalError: {
		fromServer: "the server hit an internal error unrelated to the protocol (out of memory, a failing key store or HSM, a bug)",
		fromClient: "the client hit an internal error unrelated to the protocol",
		fix:        "Nothing to change on this side; the peer's log has the real error."},
	wire.AlertInappropriateFallback: {
		fromServer: "the server saw TLS_FALLBACK_SCSV: this client retried with a lower version although the server supports a higher one (a downgrade)",
		fromClient: "the client detected a version downgrade",
		fix:        "Find out why the first, higher-version attempt failed (often a middlebox); do not force a lower version."},
	wire.AlertUserCanceled: {
		fromServer: "the server canceled the handshake for a reason of its own",
		fromClient: "the client canceled the handshake for a reason of its own",
		fix:        "The peer's log says why."},
	wire.AlertNoRenegotiation: {
		fromServer: "the server refuses to renegotiate",
		fromClient: "the client refuses to renegotiate",
		fix:        "Do not rely on renegotiation with this peer."},
	wire.AlertMissingExtension: {
		fromServer: "the server needs an extension this client did not send (e.g. key_share or supported_groups for TLS 1.3)",
		fromClient: "the client needs an extension this server did not send",
		fix:        "A protocol bug or a middlebox that strips extensions; capture the ClientHello (--trace=msg)."},
	wire.AlertUnsupportedExtension: {
		fromServer: "the server received an extension it did not offer or that may not appear in that message",
		fromClient: "the client received an extension in the server's answer that it never offered",
		fix:        "A protocol bug on the peer; capture and report."},
	wire.AlertCertificateUnobtainable: {
		fromServer: "the server could not fetch the client's certificate from the URL given (client_certificate_url)",
		fromClient: "the client could not fetch a certificate from a URL",
		fix:        "Send the certificate itself rather than a URL."},
	wire.AlertUnrecognizedName: {
		fromServer: "the server does not serve the name this client sent in SNI",
		fromClient: "the client does not recognise the name",
		fix:        "Connect with a name the server is configured for (--servername), or add that name to the server's configuration."},
	wire.AlertBadCertificateStatusResponse: {
		fromServer: "the server rejected an OCSP response",
		fromClient: "the client rejected the server's stapled OCSP response (invalid, stale or saying revoked)",
		fix:        "Fix OCSP stapling on the server (its cache of responses, or the responder it queries)."},
	wire.AlertBadCertificateHashValue: {
		fromServer: "the server found a certificate hash that does not match",
		fromClient: "the client found a certificate hash that does not match",
		fix:        "Send the certificate itself."},
	wire.AlertUnknownPSKIdentity: {
		fromServer: "the server does not know the pre-shared key identity this client offered",
		fromClient: "the client does not know the PSK identity",
		fix:        "Configure the same PSK identity on both sides."},
	wire.AlertCertificateRequired: {
		fromServer: "the server requires a client certificate and this client sent none",
		fromClient: "certificate_required (only servers send it)",
		fix:        "Give the client a certificate issued by a CA the server accepts."},
	wire.AlertNoApplicationProtocol: {
		fromServer: "the server supports none of the application protocols (ALPN) this client asked for",
		fromClient: "the client accepts none of the application protocols the server can choose",
		fix:        "Ask for a protocol the server serves (--alpn), or send no ALPN."},
	wire.AlertECHRequired: {
		fromServer: "ech_required (only clients send it)",
		fromClient: "the client requires Encrypted Client Hello and the server did not accept it",
		fix:        "Configure ECH on the server, or do not require it on the client."},
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
		return m.fromServer, m.fix
	}
	return m.fromClient, m.fix
}

// alert explains an alert the peer sent, using what this side sent
// before it: a CertificateRequest answered or not, a Finished sent.
func (x *explainer) alert(ae *clasp.AlertError) *Diagnosis {
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
