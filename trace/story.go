package trace

import (
	"crypto/x509"
	"fmt"
	"github.com/clasp-tls/clasp/internal/textcat"
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
	cat   *textcat.Texts
	pairs pairing

	// What the story has learnt so far, to explain later messages.
	clientRandom, serverRandom []byte
	serverName                 string
	suite                      string
	ssl3                       bool // the ServerHello chose SSL 3.0
	group                      string
	ems                        bool
	decided                    map[string]string // server decisions, to skip the client's echo of them

	// TLS 1.3: what shaped the key schedule, and what came before.
	vers      versions
	hrrGroup  string // the group a HelloRetryRequest asked for
	pskMode   string // the resumption mode the server accepted, "" for none
	resumed13 bool
	echGREASE bool // the client said its encrypted_client_hello is GREASE
	// inServerHello is set while a ServerHello's or HelloRetryRequest's
	// extensions are told: their supported_versions and key_share hold the
	// one value chosen, not the client's list.
	inServerHello bool
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
	fmt.Fprintf(t.w, "%s%s\n", strings.Repeat("    ", indent), t.cat.T(key, args...))
}

func (t *storyTracer) side(s Side) string { return t.cat.T("side." + s.String()) }

func (t *storyTracer) Trace(e Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := e.Common()
	switch e := e.(type) {
	case *Message:
		// Before the duplicate check: each side learns the version from
		// its own copy of the ServerHello, the sent one or the received.
		t.vers.observe(e)
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
		if t.vers.is13(h.Side) {
			t.line(1, key+"13", "side", t.side(h.Side), "epoch", e.Epoch, "suite", e.Suite, "keys", t.stage(e.Epoch))
			return
		}
		if s, ok := suites.SuiteByName(e.Suite); ok && s.Cipher == suites.CipherNULL {
			key += ".null" // a NULL suite authenticates but encrypts nothing
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
		if e.HelloRetryRequest {
			t.line(1, "done.hrr")
		}
		switch {
		case e.Resumed && t.vers.is13(h.Side):
			t.line(1, "done.resumed13")
		case e.Resumed:
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

// stage names the keys of a TLS 1.3 epoch.
func (t *storyTracer) stage(epoch int) string {
	switch epoch {
	case 1:
		return t.cat.T("stage.handshake")
	case 2:
		return t.cat.T("stage.application")
	}
	return t.cat.T("stage.updated", "n", epoch-2)
}

// shortHex shows a long public value by its first 32 bytes: a hybrid
// post-quantum key share is over a thousand bytes, and the msg and json
// traces have every one of them.
func (t *storyTracer) shortHex(b []byte) string {
	if len(b) <= 64 {
		return orDash(hexString(b))
	}
	return t.cat.T("hex.cut", "hex", hexString(b[:32]), "bytes", len(b))
}

// messageHeader tells the line that opens every message: who sends what,
// how long and under which protection; application data and
// ChangeCipherSpec end there (done).
func (t *storyTracer) messageHeader(m *Message) (done bool) {
	tls13 := t.vers.is13(m.Side)
	from := sender(m.Side, m.Direction)
	args := []any{"from", t.side(from), "to", t.side(from.Peer()), "name", messageName(m), "bytes", m.Length}
	if m.ContentType == uint8(wire.ContentApplicationData) {
		fmt.Fprintln(t.w)
		if t.nullSuite() {
			t.line(0, "appdata.null", args...)
			return true
		}
		t.line(0, "appdata", args...)
		return true
	}
	protection := t.cat.T("prot.clear")
	if epoch := t.vers.epoch(m); epoch > 0 && t.nullSuite() && !tls13 {
		protection = t.cat.T("prot.mac", "epoch", epoch)
	} else if epoch > 0 {
		protection = t.cat.T("prot.enc", "epoch", epoch)
	}
	if isHRR(m.Parsed) {
		args[5] = "HelloRetryRequest"
	}
	fmt.Fprintln(t.w)
	t.line(0, "msg.header", append(args, "protection", protection)...)
	if m.ContentType == uint8(wire.ContentChangeCipherSpec) {
		if t.vers.isCompatCCS(m) {
			t.line(1, "ccs13")
			return true
		}
		if t.nullSuite() {
			t.line(1, "ccs.null", "side", t.side(from), "suite", t.suite)
			return true
		}
		t.line(1, "ccs", "side", t.side(from), "suite", orDash(t.suite))
		return true
	}
	return false
}

// message tells one message: its header line, then what it carries.
func (t *storyTracer) message(m *Message) {
	if t.messageHeader(m) {
		return
	}
	tls13 := t.vers.is13(m.Side)
	from := sender(m.Side, m.Direction)
	switch p := m.Parsed.(type) {
	case *wire.ClientHello:
		if m.RecordVersion == RecordVersionSSL2 {
			t.line(1, "ch.sslv2", "bytes", v2ChallengeLen(m.Raw))
		}
		t.clientHello(p)
	case *wire.ServerHello:
		t.anyServerHello(p, tls13)
	case *wire.Certificate:
		t.certificate(from, p.Certificates, nil)
	case *wire.Certificate13:
		ders := make([][]byte, len(p.Entries))
		for i, e := range p.Entries {
			ders[i] = e.Data
		}
		var leafExts []wire.Extension
		if len(p.Entries) > 0 {
			leafExts = p.Entries[0].Extensions
		}
		t.certificate(from, ders, leafExts)
	case *wire.CertificateStatus:
		t.line(1, "cert.status", "side", t.side(from), "bytes", len(p.Response))
	case *wire.EncryptedExtensions:
		t.line(1, "ee")
		t.extensions(p.Extensions)
	case *wire.CertificateRequest13:
		t.line(1, "cr.intro")
		t.extensions(p.Extensions)
	case *wire.NewSessionTicket13:
		t.line(1, "nst13", "lifetime", p.Lifetime, "bytes", len(p.Ticket))
		t.line(1, "nst13.psk", "nonce", orDash(hexString(p.Nonce)))
		t.line(1, "nst13.age", "n", p.AgeAdd)
	case *wire.NewSessionTicket:
		t.line(1, "nst12", "lifetime", p.LifetimeHint, "bytes", len(p.Ticket))
	case *wire.KeyUpdate:
		t.keyUpdate(from, p)
	case *wire.EndOfEarlyData:
		t.line(1, "eoed")
	case *wire.RawPublicKeyCertificate:
		t.line(1, "cert.raw_key", "side", t.side(from), "bytes", len(p.SPKI), "hex", hexString(p.SPKI))
	case *wire.ServerKeyExchange:
		t.serverKeyExchange(p)
	case *wire.CertificateRequest:
		t.certificateRequest(p)
	case *wire.ServerHelloDone:
		t.line(1, "shd")
	case *wire.ClientKeyExchange:
		t.clientKeyExchange(p)
	case *wire.CertificateVerify:
		if tls13 {
			t.line(1, "cv13", "side", t.side(from), "scheme", t.schemeText(p.Signature), "bytes", len(p.Signature.Signature))
			break
		}
		t.line(1, "cv", "scheme", t.schemeText(p.Signature), "bytes", len(p.Signature.Signature))
	case *wire.Finished:
		if tls13 {
			t.finished13(from, p)
			break
		}
		t.finished12(from, p)
	case *wire.CompressedCertificate:
		t.line(1, "cert.compressed", "side", t.side(from), "alg", int(p.Algorithm), "from", int(p.UncompressedLength), "to", len(p.Compressed))
	default:
		// A message this story does not know yet (TLS 1.3's, until they
		// get their own lines): say what it is rather than skip it.
		t.line(1, "msg.other", "type", handshakeTypeName(m.Parsed))
	}
}

// anyServerHello tells a HelloRetryRequest, a TLS 1.3 ServerHello or an
// earlier version's.
func (t *storyTracer) anyServerHello(p *wire.ServerHello, tls13 bool) {
	switch {
	case p.IsHelloRetryRequest():
		t.helloRetryRequest(p)
	case tls13:
		t.serverHello13(p)
	default:
		t.serverHello(p)
	}
}

// finished12 tells a TLS 1.2 (or SSL 3.0) Finished: what verify_data is
// made of, and what checking it proves.
func (t *storyTracer) finished12(from Side, p *wire.Finished) {
	label, sender := "client finished", "CLNT"
	if from == Server {
		label, sender = "server finished", "SRVR"
	}
	if t.ssl3 {
		t.line(1, "fin.ssl3", "sender", sender, "hex", hexString(p.VerifyData))
	} else {
		t.line(1, "fin.data", "label", label, "hex", hexString(p.VerifyData))
	}
	t.line(1, "fin.proves", "peer", t.side(from.Peer()))
}

func (t *storyTracer) keyUpdate(from Side, p *wire.KeyUpdate) {
	t.line(1, "ku", "side", t.side(from))
	if p.RequestUpdate {
		t.line(1, "ku.request", "peer", t.side(from.Peer()))
	} else {
		t.line(1, "ku.no_request")
	}
}

func (t *storyTracer) clientHello(ch *wire.ClientHello) {
	t.clientRandom = ch.Random[:]
	if sni, ok := wire.FindExtension[*wire.ServerNameExt](ch.Extensions); ok {
		t.serverName = sni.HostName
	}
	_, offers13 := wire.FindExtension[*wire.SupportedVersionsExt](ch.Extensions)
	if t.hrrGroup != "" {
		t.line(1, "ch.retry", "group", t.hrrGroup)
	} else {
		t.line(1, "ch.intro")
	}
	if offers13 {
		t.line(1, "ch.legacy_version", "version", ch.Version.String())
	} else {
		t.line(1, "ch.version", "version", ch.Version.String())
	}
	t.line(1, "ch.random", "hex", hexString(ch.Random[:]))
	if offers13 && len(ch.SessionID) > 0 {
		t.line(1, "session.compat", "hex", hexString(ch.SessionID))
	} else {
		t.sessionID(ch.SessionID)
	}
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
	t.ssl3 = sh.Version == suites.VersionSSL30 // its own key derivation and Finished
	_, t.ems = wire.FindExtension[*wire.ExtendedMasterSecretExt](sh.Extensions)
	t.line(1, "sh.intro")
	t.line(1, "sh.version", "version", sh.Version.String())
	t.line(1, "sh.suite", "name", t.suite, "code", fmt.Sprintf("0x%04x", uint16(sh.CipherSuite)))
	t.line(1, "sh.random", "hex", hexString(sh.Random[:]))
	t.sessionID(sh.SessionID)
	t.serverExtensions(sh.Extensions)
}

func (t *storyTracer) serverExtensions(exts []wire.Extension) {
	t.inServerHello = true
	t.extensions(exts)
	t.inServerHello = false
}

// helloRetryRequest tells RFC 8446 §4.1.4: the server needs another
// ClientHello, most often for a key share on a group it accepts.
func (t *storyTracer) helloRetryRequest(hrr *wire.ServerHello) {
	t.suite = hrr.CipherSuite.String()
	if ks, ok := wire.FindExtension[*wire.KeyShareExt](hrr.Extensions); ok && ks.SelectedGroup != 0 {
		t.hrrGroup = ks.SelectedGroup.String()
	}
	t.line(1, "hrr.intro")
	t.line(1, "sh.suite", "name", t.suite, "code", fmt.Sprintf("0x%04x", uint16(hrr.CipherSuite)))
	t.line(1, "hrr.random", "hex", hexString(hrr.Random[:]))
	t.serverExtensions(hrr.Extensions)
	t.line(1, "hrr.transcript")
}

// serverHello13 tells a TLS 1.3 ServerHello and the key schedule it starts
// (RFC 8446 §7.1): the early secret (from a resumed session's PSK, or
// zeros), the shared secret of the key exchange, and the handshake traffic
// keys that protect everything after this message.
func (t *storyTracer) serverHello13(sh *wire.ServerHello) {
	t.serverRandom = sh.Random[:]
	t.suite = sh.CipherSuite.String()
	t.line(1, "sh.intro")
	t.line(1, "sh.legacy_version", "version", sh.Version.String())
	t.line(1, "sh.suite", "name", t.suite, "code", fmt.Sprintf("0x%04x", uint16(sh.CipherSuite)))
	t.line(1, "sh.random", "hex", hexString(sh.Random[:]))
	if len(sh.SessionID) > 0 {
		t.line(1, "session.echo13", "hex", hexString(sh.SessionID))
	} else {
		t.sessionID(sh.SessionID)
	}
	t.serverExtensions(sh.Extensions)

	ks, hasShare := wire.FindExtension[*wire.KeyShareExt](sh.Extensions)
	_, hasPSK := wire.FindExtension[*wire.PreSharedKeyExt](sh.Extensions)
	t.resumed13 = hasPSK
	if hasPSK {
		t.line(1, "k13.early_psk")
	} else {
		t.line(1, "k13.early")
	}
	if hasShare && len(ks.Entries) == 1 {
		g := ks.Entries[0].Group
		t.group = g.String()
		if info := suites.GroupByID(g); info != nil && info.Kind == suites.GroupHybridPQ {
			t.line(1, "k13.shared_hybrid", "group", t.group)
		} else {
			t.line(1, "k13.shared", "group", t.group)
		}
	} else {
		t.line(1, "k13.no_dhe")
	}
	t.line(1, "k13.handshake")
	t.line(2, "ms.client_random", "hex", orDash(hexString(t.clientRandom)))
	t.line(2, "ms.server_random", "hex", orDash(hexString(t.serverRandom)))
}

// finished13 tells RFC 8446 §4.4.4 and what the key schedule does next.
func (t *storyTracer) finished13(from Side, f *wire.Finished) {
	t.line(1, "fin13.data", "side", t.side(from), "hex", hexString(f.VerifyData))
	t.line(1, "fin13.proves", "peer", t.side(from.Peer()))
	if from == Server {
		t.line(1, "k13.application")
		if t.resumed13 {
			t.line(1, "k13.skipped")
		}
	} else {
		t.line(1, "k13.resumption")
	}
}

// extensions tells each extension by name and code point, with what it
// says; one clasp has no type for is shown as its bytes.
func (t *storyTracer) extensions(exts []wire.Extension) {
	t.line(1, "ext.intro", "count", len(exts))
	for _, e := range exts {
		name, code := e.ExtType().String(), fmt.Sprintf("0x%04x", uint16(e.ExtType()))
		key, args, sub := t.describeExtension(e)
		t.line(2, "ext.item", "name", name, "code", code, "detail", t.cat.T(key, args...))
		for _, l := range sub {
			t.line(3, l[0].(string), l[1:]...)
		}
	}
}

// describeExtension picks the catalogue key and arguments that tell
// extension e, and the lines under it (each a key, then name/value pairs).
func (t *storyTracer) describeExtension(e wire.Extension) (key string, args []any, sub [][]any) {
	args = []any{}
	switch e := e.(type) {
	case *wire.SupportedVersionsExt:
		if len(e.Versions) == 1 && t.serverSpeaks(e) {
			key, args = "ext.versions_chosen", []any{"version", e.Versions[0].String()}
		} else {
			key, args = "ext.versions", []any{"list", joinNames(e.Versions)}
		}
	case *wire.KeyShareExt:
		return t.keyShareStory(e)
	case *wire.EncryptedClientHelloExt, *wire.ECHOuterExtensionsExt:
		return t.echStory(e)
	case *wire.PSKKeyExchangeModesExt:
		names := make([]string, len(e.Modes))
		for i, m := range e.Modes {
			names[i] = t.pskModeText(m)
		}
		key, args = "ext.psk_modes", []any{"list", strings.Join(names, "; ")}
	case *wire.PreSharedKeyExt:
		return t.preSharedKeyStory(e)
	case *wire.EarlyDataExt:
		key = "ext.early_data"
	case *wire.CookieExt:
		key, args = "ext.cookie", []any{"bytes", len(e.Cookie)}
	case *wire.RecordSizeLimitExt:
		key, args = "ext.record_size_limit", []any{"bytes", int(e.Limit)}
	case *wire.ServerCertificateTypeExt:
		key, args = "ext.server_cert_type", []any{"list", fmt.Sprint(e.Types)}
	case *wire.ClientCertificateTypeExt:
		key, args = "ext.client_cert_type", []any{"list", fmt.Sprint(e.Types)}
	case *wire.CompressCertificateExt:
		key, args = "ext.compress_certificate", []any{"list", fmt.Sprint(e.Algorithms)}
	case *wire.MaxFragmentLengthExt:
		key, args = "ext.max_fragment_length", []any{"bytes", e.Bytes()}
	case *wire.CertificateAuthoritiesExt:
		names := make([]string, len(e.Authorities))
		for i, dn := range e.Authorities {
			names[i] = orDash(distinguishedName(dn))
		}
		key, args = "ext.cas", []any{"list", strings.Join(names, "; ")}
	case *wire.SignatureAlgorithmsCertExt:
		key, args = "ext.schemes_cert", []any{"list", joinNames(e.Schemes)}
	case *wire.PaddingExt:
		key, args = "ext.padding", []any{"bytes", e.Length}
	case *wire.PostHandshakeAuthExt:
		key = "ext.post_handshake_auth"
	case *wire.SignedCertificateTimestampExt:
		key, args = "ext.sct", []any{"count", len(e.SCTs)}
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
	case *wire.EncryptThenMACExt:
		key = "ext.etm"
	case *wire.RenegotiationInfoExt:
		key = "ext.reneg"
	case *wire.SessionTicketExt:
		if len(e.Ticket) == 0 {
			key = "ext.ticket_empty"
		} else {
			key, args = "ext.ticket", []any{"bytes", len(e.Ticket)}
		}
	case *wire.StatusRequestExt:
		key = "ext.status"
	case *wire.UnknownExt:
		key, args = "ext.unknown", []any{"hex", orDash(hexString(e.Data))}
	default:
		key = "ext.other"
	}
	return key, args, sub
}

func (t *storyTracer) keyShareStory(e *wire.KeyShareExt) (key string, args []any, sub [][]any) {
	switch {
	case e.SelectedGroup != 0:
		key, args = "ext.key_share_hrr", []any{"group", e.SelectedGroup.String()}
	case len(e.Entries) == 0:
		key = "ext.key_share_empty"
	case t.serverSpeaks(e):
		ks := e.Entries[0]
		key, args = "ext.key_share_server", []any{"group", ks.Group.String(), "hex", t.shortHex(ks.KeyExchange)}
	default:
		key, args = "ext.key_share", []any{"count", len(e.Entries)}
		for _, ks := range e.Entries {
			sub = append(sub, []any{"ext.share", "group", ks.Group.String(), "bytes", len(ks.KeyExchange), "hex", t.shortHex(ks.KeyExchange)})
		}
	}
	return key, args, sub
}

func (t *storyTracer) preSharedKeyStory(e *wire.PreSharedKeyExt) (key string, args []any, sub [][]any) {
	if len(e.Identities) == 0 {
		key, args = "ext.psk_selected", []any{"n", int(e.SelectedIdentity) + 1}
		return key, args, sub
	}
	key, args = "ext.psk_offered", []any{"count", len(e.Identities)}
	for i, id := range e.Identities {
		binder := []byte(nil)
		if i < len(e.Binders) {
			binder = e.Binders[i]
		}
		sub = append(sub, []any{"ext.psk_identity", "n", i + 1, "bytes", len(id.Identity),
			"age", id.ObfuscatedTicketAge, "binder", t.shortHex(binder)})
	}
	return key, args, sub
}

// serverSpeaks tells a ServerHello's single-valued extensions from a
// ClientHello's lists: extensions() is called for one message at a time,
// and only the server's hellos carry exactly one chosen value.
func (t *storyTracer) serverSpeaks(wire.Extension) bool {
	return t.inServerHello
}

func (t *storyTracer) pskModeText(m uint8) string {
	switch m {
	case wire.PSKModeDHEKE:
		return t.cat.T("psk.dhe_ke")
	case wire.PSKModeKE:
		return t.cat.T("psk.ke")
	}
	return fmt.Sprintf("unknown(%d)", m)
}

func joinNames[T fmt.Stringer](items []T) string {
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = it.String()
	}
	return strings.Join(names, ", ")
}

func (t *storyTracer) certificate(from Side, chain [][]byte, leafExts []wire.Extension) {
	if len(chain) == 0 {
		t.line(1, "cert.empty", "side", t.side(from))
		return
	}
	t.line(1, "cert.intro", "side", t.side(from), "count", len(chain))
	for i, der := range chain {
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
	t.leafEntryExtensions(leafExts)
	if from == Server {
		t.line(1, "cert.checks_server", "name", orDash(t.serverName))
	} else {
		t.line(1, "cert.checks_client")
	}
}

// leafEntryExtensions tells what TLS 1.3 carries with the leaf in its
// CertificateEntry: a stapled OCSP response and SCTs (RFC 8446 §4.4.2.1).
func (t *storyTracer) leafEntryExtensions(exts []wire.Extension) {
	for _, ext := range exts {
		switch e := ext.(type) {
		case *wire.StatusRequestExt:
			t.line(1, "cert.entry_status", "bytes", len(e.Response))
		case *wire.SignedCertificateTimestampExt:
			t.line(1, "cert.entry_scts", "count", len(e.SCTs))
		}
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
		t.line(1, "ske.signed", "scheme", t.schemeText(*ske.Signature), "bytes", len(ske.Signature.Signature))
	} else {
		t.line(1, "ske.anonymous", "suite", orDash(t.suite))
	}
	if isPSKExchange(ske.KeyExchange) {
		if len(ske.PSKIdentityHint) > 0 {
			t.line(1, "ske.psk_hint", "hint", fmt.Sprintf("%q", ske.PSKIdentityHint))
		}
		if ske.ECDHE != nil || ske.DHE != nil {
			t.line(1, "ske.psk_unsigned")
		}
	}
}

// isPSKExchange reports whether a TLS 1.2 key exchange uses a pre-shared
// key (RFC 4279, RFC 5489).
func isPSKExchange(kx suites.KeyExchange) bool {
	switch kx {
	case suites.KexPSK, suites.KexDHEPSK, suites.KexECDHEPSK, suites.KexRSAPSK:
		return true
	}
	return false
}

// pskClientKeyExchange tells a PSK ClientKeyExchange: the identity, the
// other key exchange's value, and how the premaster joins them.
func (t *storyTracer) pskClientKeyExchange(cke *wire.ClientKeyExchange) {
	t.line(1, "cke.psk_identity", "identity", fmt.Sprintf("%q", cke.PSKIdentity))
	switch cke.KeyExchange {
	case suites.KexPSK:
		t.line(1, "cke.psk_alone")
		return
	case suites.KexRSAPSK:
		t.line(1, "cke.rsa", "bytes", len(cke.Data))
	default:
		t.line(1, "cke.share", "group", orDash(t.group), "hex", hexString(cke.Data))
	}
	t.line(1, "cke.psk_premaster", "kex", cke.KeyExchange.String())
}

// v2ChallengeLen reads challenge_length from an SSL 2.0-format ClientHello
// (msg_type, version, cipher_spec_length, session_id_length, then it).
func v2ChallengeLen(raw []byte) int {
	if len(raw) < 9 {
		return 0
	}
	return int(raw[7])<<8 | int(raw[8])
}

// schemeText names a signature's scheme; TLS 1.0 and 1.1 signatures carry
// none, their hash being fixed by the key type (RFC 4346 §7.4.3).
func (t *storyTracer) schemeText(s wire.DigitallySigned) string {
	if !s.HasScheme {
		return t.cat.T("scheme.legacy")
	}
	return s.Scheme.String()
}

// nullSuite reports whether the negotiated suite encrypts nothing (a NULL
// suite: records are authenticated only).
func (t *storyTracer) nullSuite() bool {
	s, ok := suites.SuiteByName(t.suite)
	return ok && s.Cipher == suites.CipherNULL
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
	case suites.KexPSK, suites.KexDHEPSK, suites.KexECDHEPSK, suites.KexRSAPSK:
		t.pskClientKeyExchange(cke)
	default:
		t.line(1, "cke.other", "kex", cke.KeyExchange.String(), "bytes", len(cke.Data))
	}
	switch {
	case t.ssl3:
		t.line(1, "ms.ssl3")
	case t.ems:
		t.line(1, "ms.ems")
	default:
		t.line(1, "ms.classic")
	}
	t.line(2, "ms.client_random", "hex", orDash(hexString(t.clientRandom)))
	t.line(2, "ms.server_random", "hex", orDash(hexString(t.serverRandom)))
	if t.ssl3 {
		t.line(1, "ms.keys.ssl3")
		return
	}
	t.line(1, "ms.keys")
}

// reason says why a decision went the way it did. English tells the
// driver's own sentence, which carries the particulars (which CA, which
// name); another language tells its translation of the decision's
// ReasonCode, and the English sentence only when it has none for the code.
func (t *storyTracer) reason(d *Decision) string {
	if t.cat.Lang() == fallbackLanguage || d.ReasonCode == "" {
		return d.Reason
	}
	if text, ok := t.cat.Own("reason." + d.ReasonCode); ok {
		return text
	}
	return d.Reason
}

// decision tells a choice and its reason. In a stream with both sides the
// client's record of a choice the server already told is left out.
func (t *storyTracer) decision(d *Decision) {
	if d.ReasonCode == "ech_grease" {
		t.echGREASE = true
	}
	what := strings.ReplaceAll(d.What, "_", " ")
	if t.cat.Has("what." + d.What) {
		what = t.cat.T("what." + d.What)
	}
	if d.Side == Server {
		t.decided[d.What] = d.Chosen
	} else if chosen, told := t.decided[d.What]; told && chosen == d.Chosen {
		return
	}
	reason := t.reason(d)
	if d.Chosen == "" {
		t.line(1, "decision.none", "side", t.side(d.Side), "what", what, "reason", reason)
	} else {
		if d.What == "group" {
			t.group = d.Chosen
		}
		t.line(1, "decision.chosen", "side", t.side(d.Side), "what", what, "chosen", d.Chosen, "reason", reason)
	}
	if d.Warning != "" {
		t.line(2, "decision.warning", "warning", d.Warning)
	}
}
