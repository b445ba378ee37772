package clasp

import (
	"errors"
	"fmt"
	"strings"

	"github.com/clasp-tls/clasp/internal/wire"
)

// AlertError is a TLS alert's description code, as in crypto/tls (where it
// is the same uint8 type with a value Error method). Every error that ends
// a connection because of an alert wraps one, whichever side sent it: an
// AlertReceivedError for an alert from the peer, a HandshakeError (or a
// failed Read or Write after the handshake) for one clasp sent. So
//
//	var ae clasp.AlertError
//	if errors.As(err, &ae) && ae == clasp.AlertError(42) { ... }
//
// and errors.Is(err, clasp.AlertError(42)) work as in a program written for
// crypto/tls. (crypto/tls itself wraps AlertError only in QUIC errors; over
// a net.Conn it reports a received alert as a *net.OpError "remote error"
// and wraps no alert it sent.)
type AlertError uint8

// Error names the alert by its RFC name, e.g. "tls: bad_certificate".
func (e AlertError) Error() string { return "tls: " + e.Name() }

// Name returns the alert's RFC name, e.g. "handshake_failure".
func (e AlertError) Name() string { return wire.AlertDescription(e).String() }

// AlertReceivedError is an alert received from the peer, with what clasp
// knows about it beyond its code. A fatal alert ends the connection;
// Description says what the peer objected to. It wraps the AlertError of
// the same code.
type AlertReceivedError struct {
	// Level is 1 (warning) or 2 (fatal).
	Level uint8
	// Description is the alert's code point, e.g. 40 for handshake_failure.
	Description uint8
	// Step is the handshake step this side was at when the alert arrived,
	// or "" after the handshake.
	Step string
}

// Error names the alert; a HandshakeError around it names the step.
func (e *AlertReceivedError) Error() string {
	return "peer sent alert " + wire.AlertDescription(e.Description).String()
}

// Name returns the alert's RFC name, e.g. "handshake_failure".
func (e *AlertReceivedError) Name() string { return wire.AlertDescription(e.Description).String() }

// Unwrap returns the alert's code as an AlertError.
func (e *AlertReceivedError) Unwrap() error { return AlertError(e.Description) }

// HandshakeError wraps the first failure of a handshake with the step it
// happened at and the alert clasp sent for it (0 with AlertSent false when
// none was sent, e.g. because the peer closed the connection).
type HandshakeError struct {
	Side      string // "client" or "server"
	Step      string // e.g. "read ServerHello"
	Alert     uint8
	AlertSent bool
	Err       error
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("clasp %s handshake: %s: %v", e.Side, e.Step, e.Err)
}

// Unwrap returns the failure and, when clasp sent an alert for it, that
// alert as an AlertError, so errors.As finds either.
func (e *HandshakeError) Unwrap() []error {
	if e.AlertSent {
		return []error{e.Err, AlertError(e.Alert)}
	}
	return []error{e.Err}
}

// alertSentError is a failure after the handshake for which clasp sent the
// peer a fatal alert: its text is the failure's, and it wraps both.
type alertSentError struct {
	err   error
	alert AlertError
}

func (e *alertSentError) Error() string   { return e.err.Error() }
func (e *alertSentError) Unwrap() []error { return []error{e.err, e.alert} }

// NegotiationError says that the two sides had nothing in common for one
// parameter, and lists what each side had, so a person can see which side
// to change.
type NegotiationError struct {
	// What is the parameter: "cipher suite", "protocol version", "group",
	// "signature scheme", "application protocol", "certificate".
	What string
	// ClientOffered and ServerAccepts are human-readable names, in
	// preference order.
	ClientOffered []string
	ServerAccepts []string
	// Detail adds a sentence when the lists alone do not explain it.
	Detail string
}

func (e *NegotiationError) Error() string {
	msg := fmt.Sprintf("no %s in common: client offered [%s]; server accepts [%s]",
		e.What, strings.Join(e.ClientOffered, ", "), strings.Join(e.ServerAccepts, ", "))
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// OfferRejectedError is a server's fatal alert in answer to the
// ClientHello: the server found nothing acceptable in the offer. It lists
// what the client offered, since the server's side is not visible from here.
type OfferRejectedError struct {
	Alert                *AlertReceivedError
	Versions             []string
	CipherSuites         []string
	Groups               []string
	Signatures           []string
	ApplicationProtocols []string
	// Hint names a setting that is off by default and may be what the
	// server needs (TLS 1.0/1.1, legacy suites); "" when none applies.
	Hint string
}

func (e *OfferRejectedError) Error() string {
	msg := fmt.Sprintf("server rejected the ClientHello with %s: client offered [%s] for versions [%s]",
		e.Alert.Name(), strings.Join(e.CipherSuites, ", "), strings.Join(e.Versions, ", "))
	if len(e.Groups) > 0 {
		msg += fmt.Sprintf(", groups [%s]", strings.Join(e.Groups, ", "))
	}
	if len(e.ApplicationProtocols) > 0 {
		msg += fmt.Sprintf(", ALPN [%s]", strings.Join(e.ApplicationProtocols, ", "))
	}
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

func (e *OfferRejectedError) Unwrap() error { return e.Alert }

// configError is a problem with this side's own Config, found before
// anything was sent: there is no peer to alert.
type configError struct{ msg string }

func (e *configError) Error() string { return "clasp: " + e.msg }

// alertFor chooses the alert to send for a local failure. It is the only
// place that makes this choice: parsers and checks return *wire.Error with
// the alert the RFC names, negotiation failures are handshake_failure (or
// protocol_version / no_application_protocol where RFCs say so), and
// anything unexpected is internal_error.
func alertFor(err error) wire.AlertDescription {
	var we *wire.Error
	if errors.As(err, &we) {
		return we.Alert
	}
	var ne *NegotiationError
	if errors.As(err, &ne) {
		switch ne.What {
		case "protocol version":
			return wire.AlertProtocolVersion
		case "application protocol":
			return wire.AlertNoApplicationProtocol
		}
		return wire.AlertHandshakeFailure
	}
	var ve *CertificateVerificationError
	if errors.As(err, &ve) {
		return ve.alert()
	}
	var ech *ECHRejectionError
	if errors.As(err, &ech) {
		return wire.AlertECHRequired // RFC 9849 §6.1.6
	}
	return wire.AlertInternalError
}

// errUnexpected builds the unexpected_message error for a step that wanted
// one message and got another.
func errUnexpected(want string, got wire.Message) error {
	return wire.Errorf(wire.AlertUnexpectedMessage, "expected %s, received %s", want, got.Type())
}

var (
	errClosed          = errors.New("clasp: use of closed connection")
	errShutdown        = errors.New("clasp: CloseWrite called: cannot write")
	errNoServerName    = &configError{"either ServerName or InsecureSkipVerify must be set in the Config"}
	errNoCertificates  = errors.New("clasp: server has no certificate: set Config.Certificates or Config.GetCertificate")
	errHandshakeNeeded = errors.New("clasp: handshake has not completed")
)

func joinSemicolon(parts []string) string { return strings.Join(parts, "; ") }
