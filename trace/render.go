package trace

// Shared plumbing of the renderers: naming what the events carry, hex
// dumps, and telling apart the two views a renderer may be given.
//
// A renderer sees either one side's events (a Tracer set on one Config) or
// both sides' events merged into one stream (the same Tracer set on a
// client's and a server's Config, as `clasp demo` does). In the merged
// stream every message appears twice, once as sent and once as received;
// the sender always emits its event before the bytes leave, so the received
// copy can be recognised by matching it against the sender's earlier event.

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Peer returns the other side.
func (s Side) Peer() Side {
	if s == Client {
		return Server
	}
	return Client
}

// sender returns the side that put a message on the wire.
func sender(side Side, dir Direction) Side {
	if dir == Sent {
		return side
	}
	return side.Peer()
}

// wireItem is what a renderer needs to recognise the second copy of a
// message or alert in a merged stream.
type wireItem struct {
	from        Side
	contentType uint8
	name        string
	length      int
	raw         []byte
	seq         int // the renderer's number for the sender's event
}

// pairing matches received events against the sender's earlier events.
// It keeps, per direction of travel, the sent items not yet matched, in
// order: TLS delivers in order, so only the oldest can match.
type pairing struct {
	pending [3][]wireItem // indexed by the sending Side
}

// sent remembers an item that left side from.
func (p *pairing) sent(it wireItem) {
	p.pending[it.from] = append(p.pending[it.from], it)
}

// received reports whether it is the receiving copy of an item already
// seen as sent, and if so the sender's sequence number. A single-side
// stream never has pending items from the peer, so every received item is
// new there.
func (p *pairing) received(it wireItem) (int, bool) {
	q := p.pending[it.from]
	if len(q) == 0 {
		return 0, false
	}
	head := q[0]
	if head.contentType != it.contentType || head.name != it.name || head.length != it.length ||
		(head.raw != nil && it.raw != nil && !bytes.Equal(head.raw, it.raw)) {
		return 0, false
	}
	p.pending[it.from] = q[1:]
	return head.seq, true
}

// messageItem describes a Message event for pairing. Raw is copied: the
// event's buffer is only valid during the Trace call.
func messageItem(m *Message, seq int) wireItem {
	return wireItem{from: sender(m.Side, m.Direction), contentType: m.ContentType, name: m.Name,
		length: m.Length, raw: bytes.Clone(m.Raw), seq: seq}
}

func alertItem(a *Alert, seq int) wireItem {
	return wireItem{from: sender(a.Side, a.Direction), contentType: uint8(wire.ContentAlert),
		name: a.Name, length: 2, raw: []byte{a.Level, a.Description}, seq: seq}
}

// messageName is the name a message goes by in every renderer.
func messageName(m *Message) string {
	if m.Name != "" {
		return m.Name
	}
	if m.ContentType == uint8(wire.ContentHandshake) {
		return wire.HandshakeType(m.HandshakeType).String()
	}
	return wire.ContentType(m.ContentType).String()
}

// versions follows which sides negotiated TLS 1.3, from the ServerHello
// each side sends or receives, for the renderers that tell the versions
// apart.
type versions struct {
	tls13 [3]bool // indexed by Side
	// rawKey says, by Side and then by the sender of a Certificate
	// (Client or Server), that TLS 1.3's EncryptedExtensions agreed on
	// raw public keys (RFC 7250 §4.2): that sender's Certificate entry is
	// a SubjectPublicKeyInfo, not an X.509 certificate.
	rawKey [3][3]bool
}

// observe notes the version a ServerHello (or HelloRetryRequest) selects,
// and the certificate types that EncryptedExtensions agree on.
func (v *versions) observe(m *Message) {
	switch p := m.Parsed.(type) {
	case *wire.ServerHello:
		if sv, ok := wire.FindExtension[*wire.SupportedVersionsExt](p.Extensions); ok &&
			len(sv.Versions) == 1 && sv.Versions[0] == suites.VersionTLS13 {
			v.tls13[m.Side] = true
		}
	case *wire.EncryptedExtensions:
		if e, ok := wire.FindExtension[*wire.ServerCertificateTypeExt](p.Extensions); ok && len(e.Types) == 1 {
			v.rawKey[m.Side][Server] = e.Types[0] == wire.CertTypeRawPublicKey
		}
		if e, ok := wire.FindExtension[*wire.ClientCertificateTypeExt](p.Extensions); ok && len(e.Types) == 1 {
			v.rawKey[m.Side][Client] = e.Types[0] == wire.CertTypeRawPublicKey
		}
	}
}

// rawKeyFrom says that side sees raw public keys in from's TLS 1.3
// Certificate.
func (v *versions) rawKeyFrom(side, from Side) bool { return v.rawKey[side][from] }

func (v *versions) is13(side Side) bool { return v.tls13[side] }

// epoch is the protection a message travelled under. TLS 1.3's
// ChangeCipherSpec is never protected (RFC 8446 §5: "An implementation may
// receive an unencrypted record of type change_cipher_spec"), whatever
// epoch the receiving side was reading at when it arrived.
func (v *versions) epoch(m *Message) int {
	if m.ContentType == uint8(wire.ContentChangeCipherSpec) && v.tls13[m.Side] {
		return 0
	}
	return m.Epoch
}

// isCompatCCS reports whether m is TLS 1.3's middlebox-compatibility
// ChangeCipherSpec (RFC 8446 Appendix D.4), which changes nothing.
func (v *versions) isCompatCCS(m *Message) bool {
	return m.ContentType == uint8(wire.ContentChangeCipherSpec) && v.tls13[m.Side]
}

// isHRR reports whether a parsed message is a HelloRetryRequest.
func isHRR(parsed any) bool {
	sh, ok := parsed.(*wire.ServerHello)
	return ok && sh.IsHelloRetryRequest()
}

func versionName(v uint16) string { return suites.Version(v).String() }

func alertLevelName(level uint8) string { return wire.AlertLevel(level).String() }

// hexString is lower-case hex without separators, the form used in key
// logs and by most tools that take hex input.
func hexString(b []byte) string { return fmt.Sprintf("%x", b) }

// writeHexDump writes b as lines of 16 bytes: offset, hex, ASCII, the layout
// of `openssl s_client -msg`, `xxd` and javax.net.debug.
func writeHexDump(w io.Writer, indent string, b []byte) {
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		var hexPart, text strings.Builder
		for i := range 16 {
			if i == 8 {
				hexPart.WriteByte(' ')
			}
			if i < len(line) {
				fmt.Fprintf(&hexPart, "%02x ", line[i])
			} else {
				hexPart.WriteString("   ")
			}
		}
		for _, c := range line {
			if c >= 0x20 && c < 0x7f {
				text.WriteByte(c)
			} else {
				text.WriteByte('.')
			}
		}
		fmt.Fprintf(w, "%s%04x  %s |%s|\n", indent, off, hexPart.String(), text.String())
	}
}

// clock turns event times into offsets from the first event a renderer saw,
// the only time that means something when comparing runs.
type clock struct {
	start time.Time
	set   bool
}

func (c *clock) offset(t time.Time) time.Duration {
	if !c.set {
		c.start, c.set = t, true
	}
	return t.Sub(c.start)
}

// milliseconds formats an offset as "+12.345ms".
func milliseconds(d time.Duration) string {
	return fmt.Sprintf("+%.3fms", float64(d.Microseconds())/1000)
}

// Tee returns a Tracer that hands every event to each of tracers in turn,
// for example a terminal renderer and a diagram recorded for a file. Nil
// tracers are skipped; with none left Tee returns nil.
func Tee(tracers ...Tracer) Tracer {
	var live []Tracer
	for _, t := range tracers {
		if t != nil {
			live = append(live, t)
		}
	}
	switch len(live) {
	case 0:
		return nil // no tracer at all keeps an untraced handshake untraced
	case 1:
		return live[0]
	}
	return TracerFunc(func(e Event) {
		for _, t := range live {
			t.Trace(e)
		}
	})
}
