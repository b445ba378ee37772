package diagnose

import (
	"bytes"
	"errors"
	"net"
	"slices"
	"strings"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/starttls"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Odd targets: a name that does not resolve, an address given where a name
// was meant (so no SNI is sent), a port that speaks another protocol, a
// server that stops answering.

// CauseDNS: the target's name did not resolve.
const CauseDNS Cause = "dns_failure"

// dns explains a name that did not resolve.
func (x *explainer) dns(de *net.DNSError) *Diagnosis {
	d := &Diagnosis{Cause: CauseDNS, Evidence: map[string]any{"name": de.Name, "dns_error": de.Err,
		"not_found": de.IsNotFound, "temporary": de.IsTemporary}}
	d.Summary = x.t.T("odd.dns.summary", "name", de.Name, "error", de.Err)
	key := "odd.dns.explain_failed"
	if de.IsNotFound {
		key = "odd.dns.explain_not_found"
	}
	d.Explanation = x.t.T(key, "name", de.Name)
	d.Fix = x.t.T("odd.dns.fix", "name", de.Name)
	return d
}

// otherProtocol is what a service's first bytes show it to be, and how
// it does TLS if at all.
type otherProtocol struct {
	name     string // "SMTP"
	starttls string // the --starttls (or openssl s_client -starttls) value, "" when none
	tlsPort  string // the implicit-TLS port, "" when none
}

// startTLSCommand is the command that upgrades this protocol's connection
// to TLS: clasp's own where internal/starttls speaks the protocol,
// OpenSSL's otherwise.
func (p *otherProtocol) startTLSCommand() string {
	if slices.Contains(starttls.Protocols(), p.starttls) {
		return "clasp connect --starttls " + p.starttls + " HOST:PORT"
	}
	return "openssl s_client -starttls " + p.starttls + " -connect HOST:PORT"
}

// recogniseProtocol names the protocol of a not-TLS answer more finely
// than the record layer's guess: the greeting's words tell SMTP from FTP,
// and database servers answer a ClientHello in their own framing.
func recogniseProtocol(prefix []byte) *otherProtocol {
	upper := bytes.ToUpper(prefix)
	switch {
	case bytes.HasPrefix(prefix, []byte("HTTP/")) || bytes.Contains(upper, []byte("<HTML")):
		return &otherProtocol{name: "HTTP", tlsPort: "443"}
	case bytes.HasPrefix(prefix, []byte("SSH-")):
		return &otherProtocol{name: "SSH"}
	case bytes.HasPrefix(prefix, []byte("220")) && bytes.Contains(upper, []byte("FTP")):
		return &otherProtocol{name: "FTP", starttls: "ftp", tlsPort: "990"}
	case bytes.HasPrefix(prefix, []byte("220")):
		return &otherProtocol{name: "SMTP", starttls: "smtp", tlsPort: "465"}
	case bytes.HasPrefix(prefix, []byte("* OK")):
		return &otherProtocol{name: "IMAP", starttls: "imap", tlsPort: "993"}
	case bytes.HasPrefix(prefix, []byte("+OK")):
		return &otherProtocol{name: "POP3", starttls: "pop3", tlsPort: "995"}
	case len(prefix) > 5 && prefix[3] == 0 && prefix[4] == 10:
		// MySQL's initial handshake packet: a 3-byte length, sequence 0,
		// protocol version 10 (MySQL Client/Server Protocol,
		// Protocol::HandshakeV10).
		return &otherProtocol{name: "MySQL", starttls: "mysql"}
	}
	return nil
}

// namedProtocol rewrites a not-TLS diagnosis with the protocol's name, and
// how to reach its TLS form.
func (x *explainer) namedProtocol(d *Diagnosis, e *record.NotTLSError) {
	p := recogniseProtocol(e.Prefix)
	if p == nil || x.side != "client" {
		return
	}
	d.Evidence["protocol"] = p.name
	d.Summary = x.t.T("odd.protocol.summary", "protocol", p.name)
	switch {
	case p.name == "HTTP":
		// notTLS's own advice (http://, the HTTPS port) stands.
	case p.starttls != "" && p.tlsPort != "":
		d.Fix = x.t.T("odd.protocol.fix_starttls_port", "protocol", p.name, "port", p.tlsPort, "command", p.startTLSCommand())
	case p.starttls != "":
		d.Fix = x.t.T("odd.protocol.fix_starttls", "protocol", p.name, "command", p.startTLSCommand())
	case p.tlsPort != "":
		d.Fix = x.t.T("odd.protocol.fix_port", "protocol", p.name, "port", p.tlsPort)
	default:
		d.Fix = x.t.T("odd.protocol.fix_none", "protocol", p.name)
	}
}

// NoteAddressTarget adds to a client's diagnosis that no SNI was sent
// because the target is an IP address, when the failure is one a server
// that needs SNI gives: unrecognized_name, handshake_failure, a close or a
// reset right after the ClientHello, or every probe refused.
func NoteAddressTarget(d *Diagnosis, err error, rec *Recorder, cfg *clasp.Config, lang string) {
	if d == nil || cfg == nil || net.ParseIP(cfg.ServerName) == nil {
		return
	}
	f := gather(rec, "client")
	if f.clientHello == nil || serverNameOf(f.clientHello) != "" || f.serverHello != nil {
		return
	}
	var ae *clasp.AlertReceivedError
	refusal := errors.As(err, &ae) && (ae.Description == uint8(wire.AlertUnrecognizedName) || ae.Description == uint8(wire.AlertHandshakeFailure))
	switch d.Cause {
	case CauseConnectionClosed, CauseConnectionReset, CauseOfferRejected:
		refusal = true
	case CauseNoCommonVersion, CauseNoCommonCipherSuite, CauseNoCommonGroup:
		// The probes found what the server accepts; the name is not it.
		refusal = false
	}
	if !refusal {
		return
	}
	t := Language(lang)
	d.Evidence["sni_sent"] = false
	d.Summary = t.T("odd.ip.summary", "address", cfg.ServerName) + t.T("list.clause_sep") + d.Summary
	d.Explanation = t.T("odd.ip.explain", "address", cfg.ServerName) + "\n" + d.Explanation
	d.Fix = also(t.T("odd.ip.fix"), d.Fix)
}

// stalled words a timeout after the handshake began: which message this
// side sent last, and what it last received.
func (x *explainer) stalled(d *Diagnosis) {
	if x.f.lastSent == nil {
		return
	}
	received := x.t.T("odd.stall.nothing")
	if m := x.f.lastReceived; m != nil {
		received = m.Name
	}
	d.Summary = x.t.T("odd.stall.summary", "peer", x.t.T(peerWords[x.peer()]), "sent", x.f.lastSent.Name, "received", received)
	d.Evidence["stalled_after_sent"] = x.f.lastSent.Name
	d.Evidence["last_received"] = strings.TrimSpace(received)
}

// CauseWeakDH: the server's DHE prime is smaller than this client accepts.
const CauseWeakDH Cause = "weak_dh_group"

// weakDH explains a client's refusal of the server's DHE parameters for
// their size (insufficient_security at ServerKeyExchange), from the prime
// it recorded.
func (x *explainer) weakDH(we *wire.Error) *Diagnosis {
	if x.side != "client" || we.Alert != wire.AlertInsufficientSecurity {
		return nil
	}
	bits := x.f.peerDHBits
	if bits == 0 {
		return nil
	}
	d := &Diagnosis{Cause: CauseWeakDH, Evidence: map[string]any{"dh_prime_bits": bits}}
	d.Summary = x.t.T("dh.summary", "bits", bits)
	d.Explanation = x.t.T("dh.explain", "bits", bits)
	d.Fix = x.t.T("dh.fix", "bits", bits)
	return d
}

// peerWords are the catalogue keys of "server" and "client", for texts
// that name the other side.
var peerWords = map[string]string{"server": "word.server", "client": "word.client"}

// wellKnownPorts are services that say nothing recognisable to a
// ClientHello: they wait for more (Redis reads a command line) or close
// without a word (PostgreSQL reads the hello's first bytes as a length it
// refuses). Their port is then the only evidence of what listens.
var wellKnownPorts = map[string]otherProtocol{
	"6379": {name: "Redis"},
	"5432": {name: "PostgreSQL", starttls: "postgres"},
	"3306": {name: "MySQL", starttls: "mysql"},
	"25":   {name: "SMTP", starttls: "smtp", tlsPort: "465"},
	"587":  {name: "SMTP", starttls: "smtp", tlsPort: "465"},
	"143":  {name: "IMAP", starttls: "imap", tlsPort: "993"},
	"110":  {name: "POP3", starttls: "pop3", tlsPort: "995"},
	"21":   {name: "FTP", starttls: "ftp", tlsPort: "990"},
	"80":   {name: "HTTP", tlsPort: "443"},
}

// NoteWellKnownPort adds to a diagnosis of a server that stalled or closed
// right after the ClientHello what usually listens on the port of addr,
// when it is the plaintext port of a known service.
func NoteWellKnownPort(d *Diagnosis, addr string, rec *Recorder, lang string) {
	if d == nil || (d.Cause != CauseTimeout && d.Cause != CauseConnectionClosed && d.Cause != CauseConnectionReset) {
		return
	}
	if f := gather(rec, "client"); f.lastSent == nil || f.lastReceived != nil {
		return
	}
	_, port, err := net.SplitHostPort(addr)
	p, ok := wellKnownPorts[port]
	if err != nil || !ok {
		return
	}
	t := Language(lang)
	d.Evidence["port_usually"] = p.name
	d.Explanation = also(d.Explanation, t.T("odd.port.explain", "port", port, "protocol", p.name))
	switch {
	case p.starttls != "":
		d.Fix = also(t.T("odd.protocol.fix_starttls", "protocol", p.name, "command", p.startTLSCommand()), d.Fix)
	case p.tlsPort != "":
		d.Fix = also(t.T("odd.protocol.fix_port", "protocol", p.name, "port", p.tlsPort), d.Fix)
	default:
		d.Fix = also(t.T("odd.port.fix_tls_port", "protocol", p.name), d.Fix)
	}
}
