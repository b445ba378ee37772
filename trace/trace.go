// Package trace defines the events a clasp handshake emits while it runs.
//
// The handshake drivers report every message sent or received, every state
// reached, every negotiation decision, every key change and every alert
// through one method on the connection, which does nothing when no Tracer is
// configured. Renderers (state lines, message dumps, the story, JSON,
// sequence diagrams) are built on these events and never reach into the
// drivers.
//
// Events never carry secrets: a key change names the epoch and direction,
// not the keys. Key material goes only to Config.KeyLogWriter.
package trace

import "time"

// Tracer receives the events of one connection, in order, on the goroutine
// that runs the handshake. It must not block for long: the handshake waits.
type Tracer interface {
	Trace(Event)
}

// TracerFunc adapts a function to the Tracer interface.
type TracerFunc func(Event)

// Trace calls f(e).
func (f TracerFunc) Trace(e Event) { f(e) }

// Side says which end of the connection emitted an event.
type Side uint8

// The two sides of a connection.
const (
	Client Side = iota + 1
	Server
)

func (s Side) String() string {
	if s == Client {
		return "client"
	}
	return "server"
}

// Direction says whether something was sent or received by the emitting side.
type Direction uint8

// Directions, from the point of view of the side that emits the event.
const (
	Sent Direction = iota + 1
	Received
)

func (d Direction) String() string {
	if d == Sent {
		return "sent"
	}
	return "received"
}

// Kind names the type of an event.
type Kind uint8

// Event kinds.
const (
	KindMessage Kind = iota + 1
	KindState
	KindDecision
	KindKeys
	KindAlert
	KindDone
	KindFailed
)

// Event is implemented by every event type in this package.
type Event interface {
	// Common returns the fields every event has.
	Common() Header
}

// Header is what every event carries.
type Header struct {
	Kind Kind
	Side Side
	Time time.Time
}

// Common returns the header itself, so embedding Header implements Event.
func (h Header) Common() Header { return h }

// Message reports one handshake message, ChangeCipherSpec or application
// data record crossing the connection.
type Message struct {
	Header
	Direction Direction
	// ContentType is the record content type (22 handshake, 20
	// change_cipher_spec, 21 alert, 23 application_data).
	ContentType uint8
	// HandshakeType is the handshake message type when ContentType is 22.
	HandshakeType uint8
	// Name is the message's name for people, e.g. "ClientHello".
	Name string
	// Raw holds the exact bytes: the whole handshake message with its
	// 4-byte header, or the record body for other content types. It aliases
	// connection buffers only for the duration of the Trace call.
	Raw []byte
	// Parsed is the decoded message (a type from clasp's wire package), or
	// nil when it is not a handshake message.
	Parsed any
	// Epoch is the protection epoch the message travelled under: 0 is
	// plaintext, 1 the first negotiated keys, and so on.
	Epoch int
	// RecordVersion is the version in the record header (0x0301 for a
	// first ClientHello, the negotiated version afterwards), or
	// RecordVersionSSL2 for a ClientHello in the SSL 2.0 format.
	RecordVersion uint16
	// Length is the plaintext length. For application data Raw is nil:
	// the payload belongs to the application, not to the trace.
	Length int
}

// RecordVersionSSL2 is Message.RecordVersion for a ClientHello that came
// in the SSL 2.0 format (RFC 5246 Appendix E.2): a 2-byte record header
// with no version in it, and a Raw that is the SSL 2.0 message (msg_type 1,
// version, the lengths, cipher specs, challenge), not a 4-byte handshake
// header and body. Parsed is the TLS ClientHello it stands for.
const RecordVersionSSL2 = 0x0002

// State reports that a handshake driver reached a named state.
type State struct {
	Header
	// Name is the state in the vocabulary of `openssl s_client -state`,
	// e.g. "SSLv3/TLS write client hello".
	Name string
}

// Decision reports one negotiation choice and the facts behind it.
type Decision struct {
	Header
	// What was decided: "version", "cipher_suite", "group",
	// "signature_scheme", "certificate", "alpn", "extended_master_secret",
	// "secure_renegotiation", "renegotiation", "session", "hello_retry",
	// "peer_certificate", "post_handshake_auth" (docs/trace-schema.md).
	What string
	// Chosen is the chosen value, for people ("" when nothing fitted).
	Chosen string
	// Offered is what the peer (or, on a client, this side) offered, in order.
	Offered []string
	// Accepted is what the deciding side was willing to accept, in order.
	Accepted []string
	// Reason says why, in one English sentence.
	Reason string
	// ReasonCode names the kind of reason, stable across versions, so that
	// renderers can say it in other languages: chosen_by_server,
	// server_preference, client_preference, server_preference_with_key_share,
	// highest_common, both_sides_agree, renegotiation_info,
	// hello_retry_request, key_fits_suite, key_can_sign, nothing_in_common,
	// ticket_accepted, ticket_refused, chain_verified, not_verified,
	// key_usage_not_checked (What "peer_key_usage"), sslv2_hello_accepted
	// (What "client_hello_format"), anonymous_suite (What "certificate").
	ReasonCode string
	// Warning is set when the choice is weaker than clasp's secure defaults.
	Warning string
}

// Keys reports that a direction switched to new protection.
type Keys struct {
	Header
	Direction Direction
	Epoch     int
	// Suite is the cipher suite whose keys are now in use.
	Suite string
}

// Alert reports an alert sent or received.
type Alert struct {
	Header
	Direction   Direction
	Level       uint8
	Description uint8
	Name        string
	// Epoch is the protection epoch the alert travelled under (0 in the
	// clear), as for Message: a close_notify after the handshake is
	// encrypted, a handshake_failure before ChangeCipherSpec is not.
	Epoch int
}

// Done reports a completed handshake.
type Done struct {
	Header
	Version         string
	CipherSuite     string
	Group           string
	SignatureScheme string
	ALPN            string
	// ExtendedMasterSecret is meaningful for TLS 1.2 and below; TLS 1.3
	// always binds its keys to the transcript.
	ExtendedMasterSecret bool
	Resumed              bool
	HelloRetryRequest    bool
}

// Failed reports a handshake that ended with an error.
type Failed struct {
	Header
	Err error
}
