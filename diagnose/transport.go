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
	peer := x.peer()
	what := e.Protocol
	if what == "" {
		what = "something that is not TLS"
	}
	d := &Diagnosis{Cause: CauseNotTLS,
		Summary: fmt.Sprintf("the %s is not speaking TLS: it answered with %s", peer, what),
		Evidence: map[string]any{
			"first_bytes":     strconv.Quote(string(e.Prefix)),
			"first_bytes_hex": fmt.Sprintf("%x", e.Prefix),
			"protocol":        e.Protocol,
		}}
	d.Explanation = fmt.Sprintf("A TLS peer's first bytes are a record header (0x16 0x03 ...), but the %s's first bytes were %s", peer, strconv.Quote(string(e.Prefix)))
	if e.Protocol != "" {
		d.Explanation += ", which is " + e.Protocol + "."
	} else {
		d.Explanation += " (hex " + fmt.Sprintf("%x", e.Prefix) + "), which is no protocol clasp recognises."
	}
	if x.side == "server" && strings.HasPrefix(e.Protocol, "an SSL 2.0") {
		d.Explanation += " The client sent a hello in the SSL 2.0 record format: SSL 2.0 itself, or a TLS hello wrapped in it (RFC 5246 Appendix E.2), as very old clients and scanners probing for SSL 2.0 (clasp scan among them) do."
		d.Fix = "Nothing on this server: SSL 2.0 is prohibited (RFC 6176). A client that needs it must be upgraded to send a TLS ClientHello; a scanner's probe is expected to be refused."
		return d
	}
	if x.side == "server" {
		d.Explanation += " The client connected to this TLS port and spoke plaintext."
		d.Fix = "On the client: use the TLS form of the URL or protocol (https:// rather than http://), or point plaintext clients at the plaintext port."
		return d
	}
	d.Explanation += " The port answers, but with a service that does not speak TLS from the first byte."
	switch {
	case strings.Contains(e.Protocol, "HTTP"):
		d.Fix = "On the client: this port serves plain HTTP; use http:// for it, or connect to the HTTPS port (usually 443). If TLS is expected here, the server's TLS listener is not configured on this port."
	case strings.Contains(e.Protocol, "STARTTLS") || strings.Contains(e.Protocol, "STLS") || strings.Contains(e.Protocol, "SMTP"):
		d.Fix = "On the client: this service starts in plaintext and upgrades with STARTTLS; use its implicit-TLS port (465 for SMTP, 993 for IMAP, 995 for POP3) or a STARTTLS-capable client."
	case strings.Contains(e.Protocol, "SSH"):
		d.Fix = "On the client: this is an SSH server; the TLS service is on another port."
	default:
		d.Fix = "On the client: check the host and port; the TLS service is elsewhere, or the server's TLS listener is not configured on this port."
	}
	return d
}

// where says at which point of the exchange something happened, from the
// step and the last messages recorded.
func (x *explainer) where() string {
	var parts []string
	if x.step != "" {
		parts = append(parts, "at step "+strconv.Quote(x.step))
	}
	if m := x.f.lastSent; m != nil {
		parts = append(parts, "after this side sent "+m.Name)
	}
	if m := x.f.lastReceived; m != nil {
		parts = append(parts, "the last message received being "+m.Name)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func (x *explainer) timeout() *Diagnosis {
	peer := x.peer()
	d := &Diagnosis{Cause: CauseTimeout, Evidence: map[string]any{}}
	x.addTraffic(d)
	if x.he == nil && x.f.lastSent == nil {
		d.Summary = "timed out before the TLS handshake started"
		d.Explanation = "The time allowed ran out before any TLS message was sent: the TCP connection itself did not complete (" + x.err.Error() + "). A firewall that drops packets, a wrong address or a host that is down looks like this."
		d.Fix = "Check that the host is reachable and the port open (a TCP connect with nc or telnet), and any firewall in between."
		return d
	}
	d.Summary = fmt.Sprintf("timed out waiting for the %s%s", peer, x.where())
	defer x.stalled(d)
	d.Explanation = fmt.Sprintf("The connection was open, but the %s sent nothing more before the time allowed ran out%s.", peer, x.where())
	if x.side == "client" && x.f.lastReceived == nil {
		d.Explanation += " Nothing at all came back after the ClientHello: the service on this port accepted the connection but does not answer TLS — it may expect another protocol and wait for more input from the client, be stuck, or sit behind a proxy that holds the connection."
		d.Fix = "Check that this port runs a TLS service (e.g. openssl s_client -connect HOST:PORT), look at the server's logs, or allow more time if the server is just slow."
	} else {
		d.Fix = fmt.Sprintf("Look at the %s's logs for why it stopped answering at this step; allow more time if it is slow (a large client certificate check, an OCSP fetch, a slow key exchange).", peer)
	}
	return d
}

func (x *explainer) refused() *Diagnosis {
	d := &Diagnosis{Cause: CauseConnectionRefused, Summary: "connection refused: nothing listens on that port",
		Explanation: "The TCP connection was refused (" + x.err.Error() + "): the host is up but no service listens on the port, or a firewall rejects it. No TLS message was exchanged.",
		Fix:         "Check the port number and that the server is running and listening on that address.",
		Evidence:    map[string]any{}}
	return d
}

// closed: the transport ended without an alert that says why.
func (x *explainer) closed(reset bool) *Diagnosis {
	peer := x.peer()
	d := &Diagnosis{Cause: CauseConnectionClosed, Evidence: map[string]any{}}
	x.addTraffic(d)
	how := "closed the connection"
	if reset {
		d.Cause = CauseConnectionReset
		how = "reset the connection (TCP RST)"
	}
	closeNotify := false
	for _, a := range x.f.alertsReceived {
		if a.Description == uint8(wire.AlertCloseNotify) {
			closeNotify = true
		}
	}
	if closeNotify {
		how = "ended the connection with close_notify"
		d.Evidence["close_notify_received"] = true
	}
	d.Summary = fmt.Sprintf("the %s %s in the middle of the handshake%s", peer, how, x.where())
	d.Explanation = fmt.Sprintf("The %s %s without sending an alert that says why%s.", peer, how, x.where())
	switch {
	case x.side == "client" && x.f.lastReceived == nil && x.f.lastSent != nil:
		d.Explanation += " It gave up right after the ClientHello, before answering anything: servers that cannot handle something in the offer (a TLS version or extension an old server or middlebox does not know, a server name it does not serve) sometimes drop the connection instead of sending handshake_failure, and some load balancers and firewalls reset connections they do not accept."
		d.Fix = "Compare with another client (openssl s_client -connect HOST:PORT -servername NAME), try --max-version 1.2 or another --servername, and read the server's or load balancer's log for this connection."
	case x.side == "client" && x.f.certRequest && x.f.ownCertSent && x.f.finishedSent:
		d.Explanation += fmt.Sprintf(" The server had asked for a client certificate and this side sent %s; a server that rejects a client certificate sometimes just closes.", x.sentCertPhrase())
		d.Fix = "Read the server's log for this connection; check the client certificate (--cert) against the CA names the server asked for."
	case x.f.lastSent == nil && x.f.lastReceived == nil:
		d.Explanation += " No TLS message was exchanged at all."
		d.Fix = fmt.Sprintf("Check that the %s speaks TLS on this port and read its log: it dropped the connection before the handshake began.", peer)
	default:
		d.Fix = fmt.Sprintf("Read the %s's log for this connection: it knows why it gave up, and did not say so on the wire.", peer)
	}
	return d
}

func (x *explainer) sentCertPhrase() string {
	if len(x.f.ownChain) == 0 {
		return "an empty Certificate (no client certificate)"
	}
	return "the certificate " + certName(x.f.ownChain[0])
}
