package trace

import (
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"strings"
	"sync"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// storyTracer tells the handshake as the dialogue it is, in one language of
// the catalogue, with the values that really crossed the wire.
type storyTracer struct {
	mu    sync.Mutex
	w     io.Writer
	cat   *catalogue
	pairs pairing

	// What the story has learnt so far, to explain later messages.
	clientRandom, serverRandom []byte
	serverName                 string
	suite                      string
	group                      string
	ems                        bool
	decided                    map[string]string // server decisions, to skip the client's echo of them
}

// NewStoryTracer returns a Tracer that writes the story of the handshake to
// w in language lang (see Languages): what the client offers and in which
// order, what the server chooses and why, the certificate chains, the key
// exchange and the randoms the secrets come from, what Finished proves, and
// the error when the handshake fails. Given both sides' events it tells each
// message once, from its sender. It may be called from both sides at once.
func NewStoryTracer(w io.Writer, lang string) (Tracer, error) {
	cat, err := loadCatalogue(lang)
	if err != nil {
		return nil, err
	}
	return &storyTracer{w: w, cat: cat, decided: map[string]string{}}, nil
}

// line writes one catalogue message at an indentation level.
func (t *storyTracer) line(indent int, key string, args ...any) {
	fmt.Fprintf(t.w, "%s%s\n", strings.Repeat("    ", indent), t.cat.text(key, args...))
}

func (t *storyTracer) side(s Side) string { return t.cat.text("side." + s.String()) }

func (t *storyTracer) Trace(e Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := e.Common()
	switch e := e.(type) {
	case *Message:
		dir := e.Direction
		if dir == Received {
			if _, dup := t.pairs.received(messageItem(e, 0)); dup {
				return
			}
		} else {
			t.pairs.sent(messageItem(e, 0))
		}
		t.message(e)
	case *Decision:
		t.decision(e)
	case *Keys:
		key := "keys.write"
		if e.Direction == Received {
			key = "keys.read"
		}
		t.line(1, key, "side", t.side(h.Side), "epoch", e.Epoch, "suite", e.Suite)
	case *Alert:
		if e.Direction == Received {
			if _, dup := t.pairs.received(alertItem(e, 0)); dup {
				return
			}
		} else {
			t.pairs.sent(alertItem(e, 0))
		}
		from := sender(h.Side, e.Direction)
		fmt.Fprintln(t.w)
		t.line(0, "alert", "from", t.side(from), "to", t.side(from.Peer()),
			"level", alertLevelName(e.Level), "name", e.Name, "code", e.Description)
	case *Done:
		fmt.Fprintln(t.w)
		t.line(0, "done", "side", t.side(h.Side), "version", e.Version, "suite", e.CipherSuite, "group", orDash(e.Group))
		if e.Resumed {
			t.line(1, "done.resumed")
		}
	case *Failed:
		fmt.Fprintln(t.w)
		t.line(0, "failed", "side", t.side(h.Side), "error", errorText(e.Err))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (t *storyTracer) message(m *Message) {
	from := sender(m.Side, m.Direction)
	args := []any{"from", t.side(from), "to", t.side(from.Peer()), "name", messageName(m), "bytes", m.Length}
	if m.ContentType == uint8(wire.ContentApplicationData) {
		fmt.Fprintln(t.w)
		t.line(0, "appdata", args...)
		return
	}
	protection := t.cat.text("prot.clear")
	if m.protected() {
		protection = t.cat.text("prot.enc", "epoch", m.Epoch)
	}
	fmt.Fprintln(t.w)
	t.line(0, "msg.header", append(args, "protection", protection)...)
	if m.ContentType == uint8(wire.ContentChangeCipherSpec) {
		t.line(1, "ccs", "side", t.side(from), "suite", orDash(t.suite))
		return
	}
	switch p := m.Parsed.(type) {
	case *wire.ClientHello:
		t.clientHello(p)
	case *wire.ServerHello:
		t.serverHello(p)
	case *wire.Certificate:
		t.certificate(from, p)
	case *wire.ServerKeyExchange:
		t.serverKeyExchange(p)
	case *wire.CertificateRequest:
		t.certificateRequest(p)
	case *wire.ServerHelloDone:
		t.line(1, "shd")
	case *wire.ClientKeyExchange:
		t.clientKeyExchange(p)
	case *wire.CertificateVerify:
		t.line(1, "cv", "scheme", schemeText(p.Signature), "bytes", len(p.Signature.Signature))
	case *wire.Finished:
		label := "client finished"
		if from == Server {
			label = "server finished"
		}
		t.line(1, "fin.data", "label", label, "hex", hexString(p.VerifyData))
		t.line(1, "fin.proves", "peer", t.side(from.Peer()))
	default:
		// A message this story does not know yet (TLS 1.3's, until they
		// get their own lines): say what it is rather than skip it.
		t.line(1, "msg.other", "type", handshakeTypeName(m.Parsed))
	}
}

func (t *storyTracer) clientHello(ch *wire.ClientHello) {
	t.clientRandom = ch.Random[:]
	if sni, ok := wire.FindExtension[*wire.ServerNameExt](ch.Extensions); ok {
		t.serverName = sni.HostName
	}
	t.line(1, "ch.intro")
	t.line(1, "ch.version", "version", ch.Version.String())
	t.line(1, "ch.random", "hex", hexString(ch.Random[:]))
	t.sessionID(ch.SessionID)
	t.line(1, "ch.suites", "count", len(ch.CipherSuites))
	for i, id := range ch.CipherSuites {
		t.line(2, "list.item", "n", i+1, "name", id.String(), "code", fmt.Sprintf("0x%04x", uint16(id)))
	}
	t.extensions(ch.Extensions)
}

func (t *storyTracer) sessionID(id []byte) {
	if len(id) == 0 {
		t.line(1, "session.none")
		return
	}
	t.line(1, "session.id", "hex", hexString(id))
}

func (t *storyTracer) serverHello(sh *wire.ServerHello) {
	t.serverRandom = sh.Random[:]
	t.suite = sh.CipherSuite.String()
	_, t.ems = wire.FindExtension[*wire.ExtendedMasterSecretExt](sh.Extensions)
	t.line(1, "sh.intro")
	t.line(1, "sh.version", "version", sh.Version.String())
	t.line(1, "sh.suite", "name", t.suite, "code", fmt.Sprintf("0x%04x", uint16(sh.CipherSuite)))
	t.line(1, "sh.random", "hex", hexString(sh.Random[:]))
	t.sessionID(sh.SessionID)
	t.extensions(sh.Extensions)
}

// extensions tells each extension by name and code point, with what it
// says; one clasp has no type for is shown as its bytes.
func (t *storyTracer) extensions(exts []wire.Extension) {
	t.line(1, "ext.intro", "count", len(exts))
	for _, e := range exts {
		name, code := e.ExtType().String(), fmt.Sprintf("0x%04x", uint16(e.ExtType()))
		key, args := "", []any{}
		switch e := e.(type) {
		case *wire.ServerNameExt:
			if e.HostName != "" {
				key, args = "ext.sni", []any{"name", e.HostName}
			} else {
				key = "ext.sni_ack"
			}
		case *wire.SupportedGroupsExt:
			key, args = "ext.groups", []any{"list", joinNames(e.Groups)}
		case *wire.SignatureAlgorithmsExt:
			key, args = "ext.schemes", []any{"list", joinNames(e.Schemes)}
		case *wire.ECPointFormatsExt:
			key, args = "ext.point_formats", []any{"list", fmt.Sprint(e.Formats)}
		case *wire.ALPNExt:
			key, args = "ext.alpn", []any{"list", strings.Join(e.Protocols, ", ")}
		case *wire.ExtendedMasterSecretExt:
			key = "ext.ems"
		case *wire.RenegotiationInfoExt:
			key = "ext.reneg"
		case *wire.SessionTicketExt:
			key, args = "ext.ticket", []any{"bytes", len(e.Ticket)}
		case *wire.StatusRequestExt:
			key = "ext.status"
		case *wire.UnknownExt:
			key, args = "ext.unknown", []any{"hex", orDash(hexString(e.Data))}
		default:
			key = "ext.other"
		}
		t.line(2, "ext.item", "name", name, "code", code, "detail", t.cat.text(key, args...))
	}
}

func joinNames[T fmt.Stringer](items []T) string {
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = it.String()
	}
	return strings.Join(names, ", ")
}

func (t *storyTracer) certificate(from Side, c *wire.Certificate) {
	if len(c.Certificates) == 0 {
		t.line(1, "cert.empty", "side", t.side(from))
		return
	}
	t.line(1, "cert.intro", "side", t.side(from), "count", len(c.Certificates))
	for i, der := range c.Certificates {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.line(2, "cert.unparsed", "n", i+1, "bytes", len(der), "error", err.Error())
			continue
		}
		names := append([]string{}, cert.DNSNames...)
		for _, ip := range cert.IPAddresses {
			names = append(names, ip.String())
		}
		t.line(2, "cert.item", "n", i+1, "subject", cert.Subject.String(), "issuer", cert.Issuer.String())
		t.line(3, "cert.detail", "key", cert.PublicKeyAlgorithm.String(),
			"from", cert.NotBefore.UTC().Format("2006-01-02"), "to", cert.NotAfter.UTC().Format("2006-01-02"),
			"names", orDash(strings.Join(names, ", ")))
	}
	if from == Server {
		t.line(1, "cert.checks_server", "name", orDash(t.serverName))
	} else {
		t.line(1, "cert.checks_client")
	}
}

func (t *storyTracer) serverKeyExchange(ske *wire.ServerKeyExchange) {
	switch {
	case ske.ECDHE != nil:
		t.group = ske.ECDHE.Group.String()
		t.line(1, "ske.ecdhe", "group", t.group, "hex", hexString(ske.ECDHE.Public))
	case ske.DHE != nil:
		// A DHE prime carries no code point; the group Decision names it.
		t.line(1, "ske.dhe", "bits", new(big.Int).SetBytes(ske.DHE.P).BitLen(), "hex", hexString(ske.DHE.Public))
	}
	if ske.Signature != nil {
		t.line(1, "ske.signed", "scheme", schemeText(*ske.Signature), "bytes", len(ske.Signature.Signature))
	}
}

func schemeText(s wire.DigitallySigned) string {
	if !s.HasScheme {
		return "-"
	}
	return s.Scheme.String()
}

func (t *storyTracer) certificateRequest(cr *wire.CertificateRequest) {
	t.line(1, "cr.intro")
	t.line(1, "cr.types", "list", fmt.Sprint(cr.CertificateTypes))
	if cr.HasSignatureSchemes {
		t.line(1, "cr.schemes", "list", joinNames(cr.SignatureSchemes))
	}
	if len(cr.CertificateAuthorities) == 0 {
		t.line(1, "cr.cas_any")
		return
	}
	names := make([]string, len(cr.CertificateAuthorities))
	for i, dn := range cr.CertificateAuthorities {
		names[i] = orDash(distinguishedName(dn))
	}
	t.line(1, "cr.cas", "list", strings.Join(names, "; "))
}

func (t *storyTracer) clientKeyExchange(cke *wire.ClientKeyExchange) {
	switch cke.KeyExchange {
	case suites.KexECDHE, suites.KexDHE:
		t.line(1, "cke.share", "group", orDash(t.group), "hex", hexString(cke.Data))
		t.line(1, "cke.premaster", "kex", cke.KeyExchange.String())
	case suites.KexRSA:
		t.line(1, "cke.rsa", "bytes", len(cke.Data))
	default:
		t.line(1, "cke.other", "kex", cke.KeyExchange.String(), "bytes", len(cke.Data))
	}
	if t.ems {
		t.line(1, "ms.ems")
	} else {
		t.line(1, "ms.classic")
	}
	t.line(2, "ms.client_random", "hex", orDash(hexString(t.clientRandom)))
	t.line(2, "ms.server_random", "hex", orDash(hexString(t.serverRandom)))
	t.line(1, "ms.keys")
}

// decision tells a choice and its reason. In a stream with both sides the
// client's record of a choice the server already told is left out.
func (t *storyTracer) decision(d *Decision) {
	what := strings.ReplaceAll(d.What, "_", " ")
	if t.cat.has("what." + d.What) {
		what = t.cat.text("what." + d.What)
	}
	if d.Side == Server {
		t.decided[d.What] = d.Chosen
	} else if chosen, told := t.decided[d.What]; told && chosen == d.Chosen {
		return
	}
	if d.Chosen == "" {
		t.line(1, "decision.none", "side", t.side(d.Side), "what", what, "reason", d.Reason)
	} else {
		if d.What == "group" {
			t.group = d.Chosen
		}
		t.line(1, "decision.chosen", "side", t.side(d.Side), "what", what, "chosen", d.Chosen, "reason", d.Reason)
	}
	if d.Warning != "" {
		t.line(2, "decision.warning", "warning", d.Warning)
	}
}
