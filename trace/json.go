package trace

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/clasp-tls/clasp/internal/wire"
)

// JSONSchema is the version every object the JSON tracer writes carries in
// its "schema" field. docs/trace-schema.md describes it and
// trace/schema/v1.json defines it; removing or renaming a field, or
// changing its type, needs a new version.
const JSONSchema = "clasp.trace/v1"

// jsonTracer writes one JSON object per event.
type jsonTracer struct {
	mu      sync.Mutex
	enc     *json.Encoder
	seq     int
	clock   clock
	pairs   pairing
	sides   [3]*sideTally
	lastErr error
	vers    versions
}

// sideTally accumulates what a side did, for its summary object.
type sideTally struct {
	start                       time.Time
	messagesSent, messagesRecvd int
	bytesSent, bytesRecvd       int
	decisions                   []any
}

// NewJSONTracer returns a Tracer that writes each event to w as one JSON
// object on its own line (JSON Lines), in the schema named by JSONSchema:
// every field of every parsed message, time offsets from the first event,
// decisions, and, after each side's Done or Failed event, a summary object
// for that side. Given both sides' events in one stream it writes a received
// message that repeats one already written as sent with "same_as" (the
// sender's "seq") instead of the decoded fields again. It may be called
// from both sides at once.
func NewJSONTracer(w io.Writer) Tracer {
	return &jsonTracer{enc: json.NewEncoder(w)}
}

func (t *jsonTracer) tally(side Side, at time.Time) *sideTally {
	if t.sides[side] == nil {
		t.sides[side] = &sideTally{start: at}
	}
	return t.sides[side]
}

func (t *jsonTracer) Trace(e Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := e.Common()
	t.seq++
	o := object{{"schema", JSONSchema}, {"seq", t.seq}, {"t_us", t.clock.offset(h.Time).Microseconds()},
		{"side", h.Side.String()}}
	tally := t.tally(h.Side, h.Time)
	switch e := e.(type) {
	case *Message:
		o.add("kind", "message")
		t.message(&o, e, tally)
	case *State:
		o.add("kind", "state")
		o.add("name", e.Name)
		o.add("openssl", OpenSSLStateName(h.Side, e.Name))
	case *Decision:
		o.add("kind", "decision")
		o.add("what", e.What)
		o.add("chosen", e.Chosen)
		o.add("offered", stringList(e.Offered))
		o.add("accepted", stringList(e.Accepted))
		o.add("reason", e.Reason)
		o.add("reason_code", e.ReasonCode)
		o.add("warning", e.Warning)
		tally.decisions = append(tally.decisions, object{{"what", e.What}, {"chosen", e.Chosen}})
	case *Keys:
		o.add("kind", "keys")
		o.add("direction", e.Direction.String())
		o.add("epoch", e.Epoch)
		o.add("suite", e.Suite)
	case *Alert:
		o.add("kind", "alert")
		o.add("direction", e.Direction.String())
		o.add("sender", sender(h.Side, e.Direction).String())
		o.add("level", codePoint(uint16(e.Level), alertLevelName(e.Level)))
		o.add("description", codePoint(uint16(e.Description), e.Name))
		o.add("epoch", e.Epoch)
		t.countWire(tally, e.Direction, 2)
		if sameAs, dup := t.pair(alertItem(e, t.seq), e.Direction); dup {
			o.add("same_as", sameAs)
		}
	case *Done:
		o.add("kind", "done")
		o = append(o, doneFields(e)...)
	case *Failed:
		o.add("kind", "failed")
		o.add("error", errorText(e.Err))
	default:
		o.add("kind", "unknown")
	}
	t.write(o)
	switch e := e.(type) {
	case *Done:
		t.summary(h, tally, "done", e, "")
	case *Failed:
		t.summary(h, tally, "failed", &Done{}, errorText(e.Err))
	}
}

// doneFields are the outcome's fields, shared by "done" and "summary".
func doneFields(e *Done) object {
	return object{{"version", e.Version}, {"cipher_suite", e.CipherSuite}, {"group", e.Group},
		{"signature_scheme", e.SignatureScheme}, {"alpn", e.ALPN},
		{"extended_master_secret", e.ExtendedMasterSecret}, {"resumed", e.Resumed},
		{"hello_retry_request", e.HelloRetryRequest}}
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (t *jsonTracer) countWire(tally *sideTally, dir Direction, n int) {
	if dir == Sent {
		tally.messagesSent++
		tally.bytesSent += n
	} else {
		tally.messagesRecvd++
		tally.bytesRecvd += n
	}
}

// pair records a sent item, or reports the earlier sent event a received
// one repeats.
func (t *jsonTracer) pair(it wireItem, dir Direction) (int, bool) {
	if dir == Sent {
		t.pairs.sent(it)
		return 0, false
	}
	return t.pairs.received(it)
}

func (t *jsonTracer) message(o *object, m *Message, tally *sideTally) {
	t.vers.observe(m)
	o.add("direction", m.Direction.String())
	o.add("sender", sender(m.Side, m.Direction).String())
	o.add("name", messageName(m))
	o.add("content_type", codePoint(uint16(m.ContentType), wire.ContentType(m.ContentType).String()))
	o.add("record_version", codePoint(m.RecordVersion, versionName(m.RecordVersion)))
	o.add("length", m.Length)
	epoch := t.vers.epoch(m)
	o.add("epoch", epoch)
	o.add("protected", epoch > 0)
	t.countWire(tally, m.Direction, m.Length)
	if sameAs, dup := t.pair(messageItem(m, t.seq), m.Direction); dup {
		o.add("same_as", sameAs)
		return
	}
	if m.ContentType == uint8(wire.ContentHandshake) {
		o.add("handshake_type", codePoint(uint16(m.HandshakeType), wire.HandshakeType(m.HandshakeType).String()))
	}
	if c, ok := m.Parsed.(*wire.Certificate13); ok && t.vers.rawKeyFrom(m.Side, sender(m.Side, m.Direction)) {
		o.add("message", append(object{{"type", handshakeTypeName(m.Parsed)}}, decodeRawKeyCertificate13(c)...))
	} else if m.Parsed != nil {
		o.add("message", append(object{{"type", handshakeTypeName(m.Parsed)}}, decodeMessage(m.Parsed)...))
	}
	if m.Raw != nil {
		o.add("raw_hex", hexString(m.Raw))
	}
}

func (t *jsonTracer) summary(h Header, tally *sideTally, outcome string, done *Done, errText string) {
	t.seq++
	decisions := tally.decisions
	if decisions == nil {
		decisions = []any{}
	}
	o := object{{"schema", JSONSchema}, {"seq", t.seq}, {"t_us", t.clock.offset(h.Time).Microseconds()},
		{"side", h.Side.String()}, {"kind", "summary"},
		{"outcome", outcome}, {"duration_us", h.Time.Sub(tally.start).Microseconds()},
		{"messages_sent", tally.messagesSent}, {"messages_received", tally.messagesRecvd},
		{"bytes_sent", tally.bytesSent}, {"bytes_received", tally.bytesRecvd}}
	o = append(o, doneFields(done)...)
	o = append(o, member{"error", errText}, member{"decisions", decisions})
	t.write(o)
}

// write encodes one object. A failed write (a closed pipe) is kept and the
// handshake is not disturbed: tracing must never break a connection.
func (t *jsonTracer) write(o object) {
	if t.lastErr != nil {
		return
	}
	t.lastErr = t.enc.Encode(o)
}
