package trace

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/clasp-tls/clasp/internal/wire"
)

// messageTracer prints every message with its record header, its decoded
// fields and a hex dump of its bytes.
type messageTracer struct {
	mu    sync.Mutex
	w     io.Writer
	clock clock
	vers  versions
}

// NewMessageTracer returns a Tracer that writes every message to w in the
// spirit of `openssl s_client -msg` and Java's javax.net.debug: a header
// line (side, direction, record content type, record version, length), the
// handshake header, every decoded field (all extensions by name and code
// point; unknown ones as code point and hex), and a hex dump of the bytes
// with offsets and ASCII. Alerts, key changes, decisions and the outcome get
// one line each. It may be called from both sides at once; each line names
// the side it comes from.
func NewMessageTracer(w io.Writer) Tracer {
	return &messageTracer{w: w}
}

func arrow(dir Direction) string {
	if dir == Sent {
		return ">>>"
	}
	return "<<<"
}

func (t *messageTracer) Trace(e Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := e.Common()
	at := milliseconds(t.clock.offset(h.Time))
	switch e := e.(type) {
	case *Message:
		t.message(at, e)
	case *Alert:
		fmt.Fprintf(t.w, "%s %s %s %s [record alert (21), length 2] %s %s (%d/%d)\n",
			at, h.Side, arrow(e.Direction), e.Direction, alertLevelName(e.Level), e.Name, e.Level, e.Description)
	case *Keys:
		what := "writes"
		if e.Direction == Received {
			what = "reads"
		}
		fmt.Fprintf(t.w, "%s %s --- now %s under epoch %d (%s)\n", at, h.Side, what, e.Epoch, e.Suite)
	case *Decision:
		chosen := e.Chosen
		if chosen == "" {
			chosen = "(nothing)"
		}
		code := ""
		if e.ReasonCode != "" {
			code = " [" + e.ReasonCode + "]"
		}
		fmt.Fprintf(t.w, "%s %s --- decision %s = %s%s: %s\n", at, h.Side, e.What, chosen, code, e.Reason)
		if e.Warning != "" {
			fmt.Fprintf(t.w, "    warning: %s\n", e.Warning)
		}
	case *Done:
		fmt.Fprintf(t.w, "%s %s --- handshake done: %s %s group=%s scheme=%s alpn=%s resumed=%v",
			at, h.Side, e.Version, e.CipherSuite, orDash(e.Group), orDash(e.SignatureScheme), orDash(e.ALPN), e.Resumed)
		if e.Version == "TLS 1.3" {
			fmt.Fprintf(t.w, " hello_retry_request=%v\n", e.HelloRetryRequest)
		} else {
			fmt.Fprintf(t.w, " extended_master_secret=%v\n", e.ExtendedMasterSecret)
		}
	case *Failed:
		fmt.Fprintf(t.w, "%s %s --- handshake failed: %v\n", at, h.Side, e.Err)
	}
}

func (t *messageTracer) message(at string, m *Message) {
	t.vers.observe(m)
	ct := wire.ContentType(m.ContentType)
	name := messageName(m)
	switch {
	case isHRR(m.Parsed):
		name += " (HelloRetryRequest)"
	case t.vers.isCompatCCS(m):
		name += " (middlebox compatibility, changes nothing)"
	}
	fmt.Fprintf(t.w, "%s %s %s %s %s [record %s (%d), version %s (0x%04x), length %d]",
		at, m.Side, arrow(m.Direction), m.Direction, name, ct, m.ContentType,
		versionName(m.RecordVersion), m.RecordVersion, m.Length)
	if epoch := t.vers.epoch(m); epoch > 0 {
		fmt.Fprintf(t.w, " [enc, epoch %d]", epoch)
	}
	fmt.Fprintln(t.w)
	if m.RecordVersion == RecordVersionSSL2 {
		fmt.Fprintf(t.w, "    SSL 2.0-format CLIENT-HELLO (RFC 5246 Appendix E.2): 2-byte record header, msg_type 1, %d bytes\n", m.Length)
	} else if m.ContentType == uint8(wire.ContentHandshake) {
		// The record length above is the plaintext of this one message;
		// its 4-byte header says the same, minus itself.
		fmt.Fprintf(t.w, "    handshake %s (%d), body length %d\n",
			wire.HandshakeType(m.HandshakeType), m.HandshakeType, max(m.Length-4, 0))
	}
	if m.Parsed != nil {
		writeFields(t.w, "    ", decodeMessage(m.Parsed))
	}
	if m.Raw == nil {
		if m.ContentType == uint8(wire.ContentApplicationData) {
			fmt.Fprintf(t.w, "    (%d bytes of application data, not shown)\n", m.Length)
		}
		return
	}
	writeHexDump(t.w, "    ", m.Raw)
}

// textHexLimit is how many bytes of a long hex field the text output
// shows; the hex dump below it has them all.
const textHexLimit = 32

// writeFields prints a decoded message as indented "key: value" lines.
// A code point {code, name} prints as "name (0xNNNN)", and an object that
// starts with one (an extension) as that header with its other fields
// below.
func writeFields(w io.Writer, indent string, o object) {
	for _, m := range o {
		switch v := m.value.(type) {
		case object:
			if header, rest, ok := codePointHeader(v); ok && len(rest) == 0 {
				fmt.Fprintf(w, "%s%s: %s\n", indent, m.key, header)
				continue
			}
			fmt.Fprintf(w, "%s%s:\n", indent, m.key)
			writeFields(w, indent+"  ", v)
		case []any:
			writeList(w, indent, m.key, v)
		default:
			fmt.Fprintf(w, "%s%s: %s\n", indent, m.key, scalarText(m.key, v))
		}
	}
}

func writeList(w io.Writer, indent, key string, items []any) {
	fmt.Fprintf(w, "%s%s (%d):", indent, key, len(items))
	if len(items) == 0 {
		fmt.Fprintln(w, " none")
		return
	}
	if strings.HasSuffix(key, "_hex") {
		// Lists of byte strings (binders, SCTs): one per line, cut short
		// like any other hex field.
		fmt.Fprintln(w)
		for _, it := range items {
			fmt.Fprintf(w, "%s  - %s\n", indent, scalarText(key, it))
		}
		return
	}
	if scalars := scalarItems(items); scalars != nil {
		fmt.Fprintf(w, " %s\n", strings.Join(scalars, ", "))
		return
	}
	fmt.Fprintln(w)
	for _, it := range items {
		o, ok := it.(object)
		if !ok {
			continue
		}
		header, rest, ok := codePointHeader(o)
		if !ok {
			fmt.Fprintf(w, "%s  -\n", indent)
			writeFields(w, indent+"    ", o)
			continue
		}
		fmt.Fprintf(w, "%s  - %s\n", indent, header)
		writeFields(w, indent+"    ", rest)
	}
}

// scalarItems renders a list of plain values on one line, or returns nil
// when the list holds objects.
func scalarItems(items []any) []string {
	var out []string
	for _, it := range items {
		switch v := it.(type) {
		case object, []any:
			return nil
		case string:
			out = append(out, fmt.Sprintf("%q", v))
		default:
			out = append(out, fmt.Sprint(v))
		}
	}
	return out
}

func codePointHeader(o object) (string, object, bool) {
	if len(o) < 2 || o[0].key != "code" || o[1].key != "name" {
		return "", nil, false
	}
	return fmt.Sprintf("%v (0x%04x)", o[1].value, o[0].value), o[2:], true
}

func scalarText(key string, v any) string {
	s, ok := v.(string)
	if !ok {
		return fmt.Sprint(v)
	}
	if strings.HasSuffix(key, "_hex") {
		if s == "" {
			return "(empty)"
		}
		if n := len(s) / 2; n > textHexLimit {
			return fmt.Sprintf("%s… (%d bytes)", s[:2*textHexLimit], n)
		}
	}
	return s
}
