package main

// This file tells a recorded handshake as a story for people learning TLS.
// It only reads trace events and connection states, so that a richer
// renderer in package trace can replace it without touching the demo.

import (
	"crypto/x509"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/trace"
)

// eventLog records the events of both sides of a connection in the order
// they happened. The two sides run on different goroutines, so appends are
// serialised; a message's "sent" event always precedes its "received" one
// because the sender emits it before the bytes leave.
type eventLog struct {
	mu     sync.Mutex
	events []trace.Event
}

func (l *eventLog) tracer() trace.Tracer {
	return trace.TracerFunc(func(e trace.Event) {
		if m, ok := e.(*trace.Message); ok {
			// Raw aliases connection buffers only during the call.
			copied := *m
			copied.Raw = append([]byte(nil), m.Raw...)
			e = &copied
		}
		l.mu.Lock()
		l.events = append(l.events, e)
		l.mu.Unlock()
	})
}

// applicationData is an event the demo adds itself: clasp traces the
// handshake, not application records, but the story should show where the
// first encrypted data travels.
type applicationData struct {
	trace.Header
	Direction trace.Direction
	Data      string
}

// noteApplicationData records application data sent or received by side.
func (l *eventLog) noteApplicationData(side trace.Side, dir trace.Direction, data string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, &applicationData{Header: trace.Header{Side: side, Time: time.Now()}, Direction: dir, Data: data})
}

func (l *eventLog) snapshot() []trace.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]trace.Event(nil), l.events...)
}

// handshakeStory is everything the narrator needs: the events, and what each
// side knew at the end (the states hold the certificates, which the events
// do not carry in a form this package may decode).
type handshakeStory struct {
	events      []trace.Event
	client      clasp.ConnectionState
	server      clasp.ConnectionState
	clientHello clientOffer // what the client was configured to offer
}

// clientOffer is the client's configured offer, used to describe the
// ClientHello when the server failed before reporting what it read.
type clientOffer struct {
	suites, groups, schemes, alpn []string
	serverName                    string
	ems                           bool
}

// decisions indexes the Decision events by side and subject.
type decisions map[trace.Side]map[string]*trace.Decision

func indexDecisions(events []trace.Event) decisions {
	d := decisions{trace.Client: {}, trace.Server: {}}
	for _, e := range events {
		if dec, ok := e.(*trace.Decision); ok {
			if _, seen := d[dec.Side][dec.What]; !seen {
				d[dec.Side][dec.What] = dec
			}
		}
	}
	return d
}

// offered returns what the client offered for a subject as the server read
// it off the wire, or else the client's own record of it, or else its config.
func (d decisions) offered(what string, fallback []string) []string {
	if dec := d[trace.Server][what]; dec != nil && len(dec.Offered) > 0 {
		return dec.Offered
	}
	if dec := d[trace.Client][what]; dec != nil && len(dec.Offered) > 0 {
		return dec.Offered
	}
	return fallback
}

// chosen returns the value decided for a subject: the server decides, the
// client learns it; either record will do.
func (d decisions) chosen(what string) string {
	for _, side := range []trace.Side{trace.Server, trace.Client} {
		if dec := d[side][what]; dec != nil && dec.Chosen != "" {
			return dec.Chosen
		}
	}
	return ""
}

// narrator writes the story, keeping the indentation consistent.
type narrator struct {
	w     io.Writer
	story *handshakeStory
	dec   decisions
}

func (n *narrator) printf(format string, args ...any) { fmt.Fprintf(n.w, format, args...) }

// detail prints an indented line under the event it explains.
func (n *narrator) detail(format string, args ...any) {
	n.printf("      "+format+"\n", args...)
}

// narrate writes the whole story: every event in order, then the outcome.
func narrate(w io.Writer, story *handshakeStory) {
	n := &narrator{w: w, story: story, dec: indexDecisions(story.events)}
	for _, e := range story.events {
		switch e := e.(type) {
		case *trace.Message:
			n.message(e)
		case *trace.Decision:
			n.decision(e)
		case *trace.Keys:
			n.keys(e)
		case *trace.Alert:
			n.alert(e)
		case *trace.Done:
			n.printf("[%s] handshake complete: %s, %s%s\n", e.Side, e.Version, e.CipherSuite, prefixIfSet(", ", e.Group))
		case *trace.Failed:
			n.printf("[%s] handshake FAILED: %s\n", e.Side, oneLine(e.Err.Error()))
		case *applicationData:
			if e.Direction == trace.Sent {
				n.printf("\n[%s → %s] application data %q (encrypted with the new keys)\n", e.Side, peerOf(e.Side), e.Data)
			} else {
				n.printf("[%s] received application data %q\n", e.Side, e.Data)
			}
		case *trace.State:
			// States repeat what the messages already show; the story
			// leaves them out to stay readable.
		}
	}
}

func prefixIfSet(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func peerOf(side trace.Side) trace.Side {
	if side == trace.Client {
		return trace.Server
	}
	return trace.Client
}

func (n *narrator) message(m *trace.Message) {
	if m.Direction == trace.Received {
		// The sending side's event already told what the message carries.
		n.printf("[%s] received %s\n", m.Side, m.Name)
		return
	}
	protection := "in the clear"
	if m.Epoch > 0 {
		protection = "encrypted"
	}
	n.printf("\n[%s → %s] %s  (%s, %s)\n", m.Side, peerOf(m.Side), m.Name, plural(len(m.Raw), "byte"), protection)
	for _, line := range n.describe(m) {
		n.detail("%s", line)
	}
	n.detail("first bytes: %s", hexPrefix(m.Raw, 16))
}

// describe says what a message carries and why it is sent.
func (n *narrator) describe(m *trace.Message) []string {
	d, offer := n.dec, n.story.clientHello
	switch m.Name {
	case "ClientHello":
		lines := []string{
			"the client opens: here is what I can do, pick one of each",
			"cipher suites offered: " + listSome(d.offered("cipher_suite", offer.suites), 3),
			"groups for the key exchange: " + listSome(d.offered("group", offer.groups), 4),
			"signature algorithms it accepts: " + listSome(d.offered("signature_scheme", offer.schemes), 4),
			"server name (SNI): " + orNone(n.story.server.ServerName, orNone(offer.serverName, "none")),
		}
		if alpn := d.offered("alpn", offer.alpn); len(alpn) > 0 {
			lines = append(lines, "application protocols (ALPN): "+strings.Join(alpn, ", "))
		}
		lines = append(lines, "extended master secret offered: "+yesNo(offer.ems),
			"plus 32 random bytes, which make this handshake's keys unique")
		return lines
	case "ServerHello":
		return []string{
			"the server answers with its choices",
			"protocol version: " + orNone(d.chosen("version"), "?"),
			"cipher suite: " + orNone(d.chosen("cipher_suite"), "?"),
			"extended master secret: " + yesNo(n.story.client.ExtendedMasterSecret || n.story.server.ExtendedMasterSecret),
			"plus its own 32 random bytes",
		}
	case "Certificate":
		return n.describeCertificate(m)
	case "ServerKeyExchange":
		return []string{
			"the server's ephemeral public key on group " + orNone(d.chosen("group"), "?"),
			"signed with " + orNone(d.chosen("signature_scheme"), "the certificate's key") +
				" by the certificate's key, over both randoms: proof that this server, now, made this key",
		}
	case "CertificateRequest":
		return []string{"the server asks the client to prove who it is too (mutual TLS):",
			"it lists the signature algorithms and certificate authorities it accepts"}
	case "ServerHelloDone":
		return []string{"the server has said everything it needs to; it is the client's turn"}
	case "ClientKeyExchange":
		group := d.chosen("group")
		if group == "" {
			return []string{"the client's share of the key exchange"}
		}
		return []string{
			"the client's ephemeral public key on " + group,
			"each side combines its own private key with the other's public key:",
			"both get the same pre-master secret, which never crossed the wire",
			"master secret = PRF(pre-master secret, " + n.masterSecretInput() + ")",
		}
	case "CertificateVerify":
		return []string{"the client signs the handshake so far with its certificate's key,",
			"proving it holds the key and not just a copy of the certificate"}
	case "ChangeCipherSpec":
		return []string{fmt.Sprintf("from now on the %s encrypts everything it sends with %s",
			m.Side, orNone(d.chosen("cipher_suite"), "the negotiated suite"))}
	case "Finished":
		return []string{"a MAC over every handshake message, keyed by the master secret, sent under the new keys:",
			"it proves both sides derived the same keys and saw the same messages, untampered"}
	}
	return nil
}

func (n *narrator) masterSecretInput() string {
	if n.story.client.ExtendedMasterSecret {
		return `"extended master secret", hash of the handshake so far` + " (RFC 7627)"
	}
	return `"master secret", client random + server random`
}

func (n *narrator) describeCertificate(m *trace.Message) []string {
	// The sender's chain is what the receiver holds as PeerCertificates.
	var chain []*x509.Certificate
	if m.Side == trace.Server {
		chain = n.story.client.PeerCertificates
	} else {
		chain = n.story.server.PeerCertificates
	}
	// An empty Certificate message is a 4-byte header and a zero 3-byte
	// length: the client had no certificate to give.
	if len(m.Raw) <= 7 {
		return []string{"an empty list: the " + m.Side.String() + " has no certificate to offer"}
	}
	if len(chain) == 0 {
		return []string{fmt.Sprintf("the %s's certificate chain (it was not accepted)", m.Side)}
	}
	leaf := chain[0]
	return []string{
		fmt.Sprintf("the %s's certificate chain: %s", m.Side, plural(len(chain), "certificate")),
		"subject: " + leaf.Subject.String(),
		"issuer:  " + leaf.Issuer.String(),
		fmt.Sprintf("key: %s; the %s checks the chain leads to a CA it trusts", leaf.PublicKeyAlgorithm, peerOf(m.Side)),
	}
}

func (n *narrator) decision(d *trace.Decision) {
	what := strings.ReplaceAll(d.What, "_", " ")
	if d.Chosen == "" {
		n.printf("[%s] could not decide %s: %s\n", d.Side, what, oneLine(d.Reason))
		return
	}
	n.printf("[%s] decides %s = %s", d.Side, what, d.Chosen)
	if d.Reason != "" {
		n.printf(" (%s)", d.Reason)
	}
	n.printf("\n")
	if d.Warning != "" {
		n.detail("warning: %s", d.Warning)
	}
}

func (n *narrator) keys(k *trace.Keys) {
	if k.Direction == trace.Sent {
		n.printf("[%s] keys: now encrypts what it sends with %s (epoch %d)\n", k.Side, k.Suite, k.Epoch)
		return
	}
	n.printf("[%s] keys: now decrypts what it receives with %s (epoch %d)\n", k.Side, k.Suite, k.Epoch)
}

func (n *narrator) alert(a *trace.Alert) {
	level := "warning"
	if a.Level == 2 {
		level = "fatal"
	}
	n.printf("[%s] %s %s alert %s\n", a.Side, a.Direction, level, a.Name)
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// listSome shows a list's length and its first few entries.
func listSome(items []string, max int) string {
	if len(items) == 0 {
		return "none"
	}
	shown := items
	if len(shown) > max {
		shown = shown[:max]
	}
	s := fmt.Sprintf("%d: %s", len(items), strings.Join(shown, ", "))
	if len(items) > max {
		s += fmt.Sprintf(", … (%d more)", len(items)-max)
	}
	return s
}

// hexPrefix shows the first n bytes of b as spaced hex.
func hexPrefix(b []byte, n int) string {
	var parts []string
	for i, c := range b {
		if i == n {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, fmt.Sprintf("%02x", c))
	}
	return strings.Join(parts, " ")
}
