package main

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/diagnose"
	"github.com/clasp-tls/clasp/internal/suites"
)

// connectionSummary is what a completed handshake negotiated, in the form
// both the text and the JSON output are made from. The JSON field names are
// part of the command's interface: scripts read them, so they only grow.
type connectionSummary struct {
	Protocol            string               `json:"protocol"`
	CipherSuite         string               `json:"cipher_suite"`
	CipherSuiteID       string               `json:"cipher_suite_id"`
	Group               string               `json:"group"`
	PostQuantum         bool                 `json:"post_quantum"`
	SignatureScheme     string               `json:"signature_scheme"`
	ServerName          string               `json:"server_name"`
	ALPN                string               `json:"alpn"`
	ExtendedMasterSec   bool                 `json:"extended_master_secret"`
	SecureRenegotiation bool                 `json:"secure_renegotiation"`
	EncryptThenMAC      bool                 `json:"encrypt_then_mac"` // RFC 7366, for CBC suites
	Resumed             bool                 `json:"resumed"`
	Resumption          string               `json:"resumption"`
	ResumedBy           string               `json:"resumed_by"`
	HelloRetryRequest   bool                 `json:"hello_retry_request"`
	Verification        string               `json:"verification"`
	Verified            bool                 `json:"verified"`
	ChainLength         int                  `json:"chain_length"`
	PeerCertificate     *certificateSummary  `json:"peer_certificate"`
	Chain               []certificateSummary `json:"chain"`
	Warnings            []string             `json:"warnings"`
	// WarningCodes are the stable codes of the diagnose package's warnings
	// (weak_rsa_key, expiring_soon, ...), each also one of Warnings.
	WarningCodes []string `json:"warning_codes"`
	// OCSP is the response the server stapled, parsed; absent when none.
	OCSP *ocspSummary `json:"ocsp,omitempty"`
	// Exported is --export's keying material.
	Exported *exportRequest `json:"exported,omitempty"`
	// PSKIdentity names the pre-shared key the handshake used (TLS 1.3
	// external PSK or TLS 1.2 PSK suite); absent for a certificate one.
	PSKIdentity string `json:"psk_identity,omitempty"`
	// RawPublicKey is the SHA-256 of the peer's SubjectPublicKeyInfo when
	// it authenticated with a raw public key (RFC 7250).
	RawPublicKey string `json:"raw_public_key_sha256,omitempty"`
	// ECH is "accepted" when Encrypted Client Hello was offered and the
	// server used the inner hello; absent when not offered (a rejected
	// offer fails the connection).
	ECH string `json:"ech,omitempty"`
}

type certificateSummary struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	DNSNames  []string  `json:"dns_names,omitempty"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	SHA256    string    `json:"sha256"`
}

func summarizeCertificate(c *x509.Certificate) certificateSummary {
	return certificateSummary{Subject: c.Subject.String(), Issuer: c.Issuer.String(), DNSNames: c.DNSNames,
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), SHA256: fingerprint(c.Raw)}
}

// summarize describes st. verification says how the peer's chain was
// checked, since the state alone cannot tell "verified against system
// roots" from "verified against --cafile".
func summarize(st clasp.ConnectionState, verification string, verified bool) connectionSummary {
	s := connectionSummary{
		Protocol:            clasp.VersionName(st.Version),
		CipherSuite:         st.CipherSuiteName,
		CipherSuiteID:       fmt.Sprintf("0x%04X", st.CipherSuite),
		ServerName:          st.ServerName,
		ALPN:                st.NegotiatedProtocol,
		ExtendedMasterSec:   st.ExtendedMasterSecret,
		SecureRenegotiation: st.SecureRenegotiation,
		EncryptThenMAC:      st.EncryptThenMAC,
		Resumed:             st.DidResume,
		Resumption:          resumptionMechanism(st),
		ResumedBy:           st.ResumedBy,
		HelloRetryRequest:   st.DidHelloRetryRequest,
		Verification:        verification,
		Verified:            verified,
		ChainLength:         len(st.PeerCertificates),
		Chain:               []certificateSummary{},
		Warnings:            st.Warnings,
	}
	if st.ECHAccepted {
		s.ECH = "accepted"
	}
	if st.CurveID != 0 {
		s.Group = st.CurveID.String()
		s.PostQuantum = isHybridPQ(st.CurveID)
	}
	s.SignatureScheme = signatureDescription(st)
	for _, c := range st.PeerCertificates {
		s.Chain = append(s.Chain, summarizeCertificate(c))
	}
	if len(s.Chain) > 0 {
		s.PeerCertificate = &s.Chain[0]
	}
	if s.Warnings == nil {
		s.Warnings = []string{}
	}
	s.describeKeys(st)
	var ocspWarnings []string
	s.OCSP, ocspWarnings = summarizeOCSP(st, time.Now())
	s.Warnings = append(s.Warnings, ocspWarnings...)
	return s
}

// groupDescription names the key exchange group and, for a hybrid
// post-quantum group, what it combines: that is the interesting fact about
// a connection that uses one.
func (s connectionSummary) groupDescription() string {
	if s.PostQuantum {
		return s.Group + " (hybrid post-quantum: ML-KEM + ECDH)"
	}
	return s.Group
}

func isHybridPQ(g clasp.CurveID) bool {
	info := suites.GroupByID(g)
	return info != nil && info.Kind == suites.GroupHybridPQ
}

// resumptionMechanism says how a resumed session was resumed, from
// ConnectionState.ResumedBy: TLS 1.2 by session ID (the server's cache) or
// by RFC 5077 ticket, TLS 1.3 by a ticket used as a pre-shared key, with or
// without a fresh (EC)DHE exchange. "" when not resumed.
func resumptionMechanism(st clasp.ConnectionState) string {
	if !st.DidResume {
		return ""
	}
	v := clasp.VersionName(st.Version)
	switch st.ResumedBy {
	case "session ID":
		return v + " session ID"
	case "session ticket":
		return v + " session ticket (RFC 5077)"
	case "psk_dhe_ke":
		return v + " ticket (PSK with (EC)DHE, psk_dhe_ke)"
	case "psk_ke":
		return v + " ticket (PSK only, psk_ke: no forward secrecy)"
	case "":
		return v + " abbreviated handshake"
	}
	return v + " " + st.ResumedBy
}

// signatureDescription names how the server signed its key exchange.
// Before TLS 1.2 a signature has no scheme (RFC 4346 §7.4.3: RSA signs an
// MD5+SHA-1 digest, ECDSA a SHA-1 one), so the state reports 0 even though
// something was signed; saying "none" there would be wrong.
func signatureDescription(st clasp.ConnectionState) string {
	if st.SignatureScheme != 0 {
		return st.SignatureScheme.String()
	}
	suite := suites.SuiteByID(suites.ID(st.CipherSuite))
	signed := suite != nil && (suite.KeyExchange == suites.KexECDHE || suite.KeyExchange == suites.KexDHE)
	if signed && st.Version < clasp.VersionTLS12 {
		return "legacy " + clasp.VersionName(st.Version) + " signature (MD5+SHA-1 for RSA, SHA-1 for ECDSA)"
	}
	return ""
}

// orNone shows an empty value as a word, so that a missing line cannot be
// mistaken for a printing bug.
func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// writeText prints the summary for people, one "name: value" per line.
func (s connectionSummary) writeText(w io.Writer) {
	var b strings.Builder
	line := func(name, value string) { fmt.Fprintf(&b, "%-24s %s\n", name+":", value) }
	line("protocol", s.Protocol)
	line("cipher suite", s.CipherSuite+" ("+s.CipherSuiteID+")")
	line("group", orNone(s.groupDescription(), "none (no ephemeral key exchange)"))
	noSignature := "none (nothing signed)"
	if s.Resumed {
		noSignature = "none (resumed: the session's earlier authentication stands)"
	}
	line("signature scheme", orNone(s.SignatureScheme, noSignature))
	if s.PeerCertificate != nil {
		line("certificate subject", s.PeerCertificate.Subject)
		line("certificate issuer", s.PeerCertificate.Issuer)
		line("certificate expires", s.PeerCertificate.NotAfter.Format(time.RFC3339))
	}
	if s.PSKIdentity != "" {
		line("pre-shared key", fmt.Sprintf("%q", s.PSKIdentity))
	}
	if s.RawPublicKey != "" {
		line("raw public key", "SHA-256 "+s.RawPublicKey)
	}
	line("chain length", fmt.Sprint(s.ChainLength))
	line("verification", s.Verification)
	line("ALPN", orNone(s.ALPN, "none"))
	if s.OCSP != nil {
		line("OCSP (stapled)", s.OCSP.text())
	} else if s.PeerCertificate != nil {
		line("OCSP (stapled)", "none")
	}
	if s.Exported != nil {
		b.WriteString(s.Exported.text() + "\n")
	}
	if s.Protocol == "TLS 1.3" {
		line("hello retry request", yesNo(s.HelloRetryRequest))
		if s.ECH != "" {
			line("encrypted client hello", s.ECH)
		}
		line("resumed", orNone(s.Resumption, "no (full handshake)"))
	} else {
		line("extended master secret", yesNo(s.ExtendedMasterSec))
		line("secure renegotiation", yesNo(s.SecureRenegotiation))
		if suite, ok := suites.SuiteByName(s.CipherSuite); ok && !suite.IsAEAD() {
			line("encrypt-then-MAC", yesNo(s.EncryptThenMAC))
		}
		line("resumed", orNone(s.Resumption, "no (full handshake)"))
	}
	for _, warning := range s.Warnings {
		b.WriteString("warning: " + warning + "\n")
	}
	io.WriteString(w, b.String())
}

func (s connectionSummary) writeJSON(w io.Writer) error {
	return json.NewEncoder(w).Encode(s)
}

// connectionReport is the one --json object of one connection: ok, the
// summary of what was negotiated (when the handshake completed), and on a
// failure — during the handshake or after it — the error and its
// diagnosis, never a success object followed by a failure.
type connectionReport struct {
	OK bool `json:"ok"`
	// Reconnect numbers the connections of --reconnect; 0 is the first.
	Reconnect int `json:"reconnect,omitempty"`
	*connectionSummary
	Error     string              `json:"error,omitempty"`
	Diagnosis *diagnose.Diagnosis `json:"diagnosis,omitempty"`
	// Probes are the extra handshakes run after a refused ClientHello.
	Probes        []diagnose.ProbeStep        `json:"probes,omitempty"`
	Renegotiation *renegotiationReport        `json:"renegotiation,omitempty"`
	HelloRequests []map[string]any            `json:"hello_requests,omitempty"`
	Session       *sessionReport              `json:"session,omitempty"`
	Verdict       *diagnose.ResumptionVerdict `json:"resumption_verdict,omitempty"`
}

func (r *connectionReport) succeed(s *connectionSummary) {
	r.OK, r.connectionSummary = true, s
}

// fail marks the connection failed; a summary already set stays, as the
// record of the handshake that completed before the failure.
func (r *connectionReport) fail(err error, d *diagnose.Diagnosis) {
	r.OK, r.Error, r.Diagnosis = false, oneLine(err.Error()), d
	if d != nil {
		if p, ok := d.Evidence["probes"].([]diagnose.ProbeStep); ok {
			r.Probes = p
		}
	}
}

// addDiagnoseWarnings adds the diagnose package's warnings about a client
// connection to the stack's own, each weakness once.
func addDiagnoseWarnings(s *connectionSummary, st clasp.ConnectionState, rec *diagnose.Recorder, lang string) {
	s.WarningCodes = []string{}
	for _, w := range diagnose.ConnectionWarnings(lang, st, rec, time.Now()) {
		s.WarningCodes = append(s.WarningCodes, w.Code)
		if !w.Covered(s.Warnings) {
			s.Warnings = append(s.Warnings, w.Text)
		}
	}
}
