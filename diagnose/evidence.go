package diagnose

import (
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"math/big"
	"strings"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// facts is what one side recorded of its handshake, taken apart for the
// explainers. Every field comes from a recorded event; nothing is inferred.
type facts struct {
	side string // "client" or "server"

	clientHello *wire.ClientHello // the last one sent or received
	serverHello *wire.ServerHello // the last ServerHello that is not a HelloRetryRequest
	sawHRR      bool

	// peerChain is the certificate chain the peer sent, parsed (nil when
	// none was received or it did not parse).
	peerChain []*x509.Certificate
	// ownChain is the chain this side sent; ownCertSent says a Certificate
	// message was sent at all (it may be empty: a client with nothing that
	// fits the request).
	ownChain    []*x509.Certificate
	ownCertSent bool
	// peerCertReceived says a Certificate message arrived (possibly empty).
	peerCertReceived bool

	// certRequest is set when a CertificateRequest crossed the connection
	// (received by a client, sent by a server), with its CA names.
	certRequest    bool
	certRequestCAs [][]byte

	// peerDHBits is the size of the DHE prime in a received
	// ServerKeyExchange, 0 when none.
	peerDHBits int
	// pskIdentity is the identity of a TLS 1.2 PSK ClientKeyExchange, sent
	// or received (nil when none crossed).
	pskIdentity []byte

	lastSent, lastReceived *trace.Message
	finishedSent           bool
	finishedReceived       bool

	alertsSent, alertsReceived []*trace.Alert
	decisions                  []*trace.Decision
	states                     []string
	done                       *trace.Done
	failed                     *trace.Failed
	events                     int
}

// gather collects the facts of one side from the recorder's events.
func gather(rec *Recorder, side string) *facts {
	f := &facts{side: side}
	for _, e := range rec.Events() {
		if side != "" && e.Common().Side.String() != side {
			continue
		}
		f.events++
		switch ev := e.(type) {
		case *trace.Message:
			f.message(ev)
		case *trace.Alert:
			if ev.Direction == trace.Sent {
				f.alertsSent = append(f.alertsSent, ev)
			} else {
				f.alertsReceived = append(f.alertsReceived, ev)
			}
		case *trace.Decision:
			f.decisions = append(f.decisions, ev)
		case *trace.State:
			f.states = append(f.states, ev.Name)
		case *trace.Done:
			f.done = ev
		case *trace.Failed:
			f.failed = ev
		}
	}
	return f
}

func (f *facts) message(m *trace.Message) {
	if m.Direction == trace.Sent {
		f.lastSent = m
	} else {
		f.lastReceived = m
	}
	switch p := m.Parsed.(type) {
	case *wire.ClientHello:
		f.clientHello = p
	case *wire.ServerHello:
		if p.IsHelloRetryRequest() {
			f.sawHRR = true
		} else {
			f.serverHello = p
		}
	case *wire.Certificate:
		f.chain(m.Direction, p.Certificates)
	case *wire.Certificate13:
		ders := make([][]byte, len(p.Entries))
		for i, e := range p.Entries {
			ders[i] = e.Data
		}
		f.chain(m.Direction, ders)
	case *wire.ServerKeyExchange:
		if p.DHE != nil && m.Direction == trace.Received {
			f.peerDHBits = new(big.Int).SetBytes(p.DHE.P).BitLen()
		}
	case *wire.ClientKeyExchange:
		if p.PSKIdentity != nil {
			f.pskIdentity = p.PSKIdentity
		}
	case *wire.CertificateRequest:
		f.certRequest, f.certRequestCAs = true, p.CertificateAuthorities
	case *wire.CertificateRequest13:
		f.certRequest = true
		if ca, ok := wire.FindExtension[*wire.CertificateAuthoritiesExt](p.Extensions); ok {
			f.certRequestCAs = ca.Authorities
		}
	case *wire.Finished:
		if m.Direction == trace.Sent {
			f.finishedSent = true
		} else {
			f.finishedReceived = true
		}
	}
}

func (f *facts) chain(dir trace.Direction, ders [][]byte) {
	certs := []*x509.Certificate{}
	for _, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			certs = nil
			break
		}
		certs = append(certs, c)
	}
	if dir == trace.Sent {
		f.ownChain, f.ownCertSent = certs, true
	} else {
		f.peerChain, f.peerCertReceived = certs, true
	}
}

// offeredVersions lists the versions a ClientHello offers: supported_versions
// when present, otherwise everything up to legacy_version.
func offeredVersions(ch *wire.ClientHello) []string {
	if ch == nil {
		return nil
	}
	if sv, ok := wire.FindExtension[*wire.SupportedVersionsExt](ch.Extensions); ok {
		var out []string
		for _, v := range sv.Versions {
			if !suites.IsGREASE(uint16(v)) {
				out = append(out, v.String())
			}
		}
		return out
	}
	return []string{"up to " + ch.Version.String()}
}

func offeredSuites(ch *wire.ClientHello) []string {
	if ch == nil {
		return nil
	}
	var out []string
	for _, id := range ch.CipherSuites {
		if s := suites.SuiteByID(id); (s != nil && s.SCSV) || suites.IsGREASE(uint16(id)) {
			continue
		}
		out = append(out, id.String())
	}
	return out
}

func offeredGroups(ch *wire.ClientHello) []string {
	if ch == nil {
		return nil
	}
	sg, ok := wire.FindExtension[*wire.SupportedGroupsExt](ch.Extensions)
	if !ok {
		return nil
	}
	var out []string
	for _, g := range sg.Groups {
		if !suites.IsGREASE(uint16(g)) {
			out = append(out, g.String())
		}
	}
	return out
}

func offeredSchemes(ch *wire.ClientHello) []string {
	if ch == nil {
		return nil
	}
	sa, ok := wire.FindExtension[*wire.SignatureAlgorithmsExt](ch.Extensions)
	if !ok {
		return nil
	}
	var out []string
	for _, s := range sa.Schemes {
		if !suites.IsGREASE(uint16(s)) {
			out = append(out, s.String())
		}
	}
	return out
}

func serverNameOf(ch *wire.ClientHello) string {
	if ch == nil {
		return ""
	}
	if sn, ok := wire.FindExtension[*wire.ServerNameExt](ch.Extensions); ok {
		return sn.HostName
	}
	return ""
}

// dnString renders a DER distinguished name (as in certificate_authorities)
// the way crypto/x509 renders a certificate's subject.
func dnString(der []byte) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) != 0 {
		return "(unparsable name " + hex.EncodeToString(der) + ")"
	}
	var n pkix.Name
	n.FillFromRDNSequence(&seq)
	return n.String()
}

func dnStrings(ders [][]byte) []string {
	out := make([]string, 0, len(ders))
	for _, d := range ders {
		out = append(out, dnString(d))
	}
	return out
}

// certName is how a certificate is named in explanations: its subject.
func certName(c *x509.Certificate) string {
	if s := c.Subject.String(); s != "" {
		return s
	}
	return "(empty subject, serial " + c.SerialNumber.String() + ")"
}

func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// certFacts is a certificate as evidence, for JSON.
func certFacts(c *x509.Certificate) map[string]any {
	m := map[string]any{
		"subject":         c.Subject.String(),
		"issuer":          c.Issuer.String(),
		"not_before":      c.NotBefore.UTC(),
		"not_after":       c.NotAfter.UTC(),
		"sha256":          fingerprint(c),
		"is_ca":           c.IsCA,
		"self_signed":     selfSigned(c),
		"serial":          c.SerialNumber.String(),
		"dns_names":       c.DNSNames,
		"ip_addresses":    ipStrings(c),
		"issuer_cert_url": c.IssuingCertificateURL,
	}
	return m
}

func chainFacts(chain []*x509.Certificate) []map[string]any {
	out := make([]map[string]any, 0, len(chain))
	for _, c := range chain {
		out = append(out, certFacts(c))
	}
	return out
}

func ipStrings(c *x509.Certificate) []string {
	var out []string
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

// selfSigned reports whether c names itself as issuer and its own key
// verifies its signature.
func selfSigned(c *x509.Certificate) bool {
	// CheckSignature rather than CheckSignatureFrom: a self-signed leaf
	// usually is no CA, which CheckSignatureFrom requires of the signer.
	return string(c.RawIssuer) == string(c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// describeChain lists a chain for people in the catalogue's words:
// "[0] CN=a, issued by CN=b; [1] ...".
func (x *explainer) describeChain(chain []*x509.Certificate) string {
	parts := make([]string, len(chain))
	for i, c := range chain {
		parts[i] = x.t.T("chain.entry", "i", i, "subject", certName(c), "issuer", c.Issuer.String())
	}
	return strings.Join(parts, x.t.T("chain.sep"))
}

func parseChain(ders [][]byte) []*x509.Certificate {
	var out []*x509.Certificate
	for _, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return out
		}
		out = append(out, c)
	}
	return out
}
