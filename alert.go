package clasp

import (
	"errors"
	"fmt"
	"io"

	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// maxSkippedRecords bounds how many records in a row clasp reads and drops
// without progress: warning alerts it ignores and empty application-data
// records. An endless stream of them would otherwise keep a connection,
// and a server's CPU, busy. OpenSSL 3 ignores four warning alerts in a row
// and answers the fifth with unexpected_message ("too many warn alerts");
// clasp does the same and counts empty records against the same budget.
const maxSkippedRecords = 4

// errConnectionEnded is what sendAlert returns once a fatal alert has been
// sent or received: nothing more may go out on the connection.
var errConnectionEnded = errors.New("clasp: the connection ended with a fatal alert; nothing more is sent")

// receiveAlert acts on the body of an alert record. It returns nil when
// the alert is one to ignore, io.EOF for close_notify, and otherwise the
// error that ends the connection: the peer's alert as an *AlertReceivedError, or a
// *wire.Error when the alert itself is malformed.
func (c *Conn) receiveAlert(body []byte) error {
	alert, err := wire.ParseAlert(body)
	if err != nil {
		return err
	}
	if c.tracer != nil {
		c.emit(&trace.Alert{Header: c.header(trace.KindAlert), Direction: trace.Received,
			Level: uint8(alert.Level), Description: uint8(alert.Description), Name: alert.Description.String(),
			Epoch: c.layer.ReadEpoch()})
	}
	if c.tls13 {
		return c.receiveAlert13(alert)
	}
	return c.receiveAlert12(alert)
}

// receiveAlert13 applies RFC 8446 §6, where the level carries no meaning.
func (c *Conn) receiveAlert13(alert wire.Alert) error {
	switch alert.Description {
	case wire.AlertCloseNotify:
		return io.EOF
	case wire.AlertUserCanceled:
		// §6.1: user_canceled "should be followed by a close_notify",
		// which is what ends the connection (OpenSSL 3 ignores it too).
		return nil
	}
	// §6: "All the alerts listed in Section 6.2 MUST be sent with
	// AlertLevel=fatal and MUST be treated as error alerts when received
	// regardless of the AlertLevel in the message. Unknown Alert types
	// MUST be treated as error alerts."
	return c.endedByPeer(alert)
}

// receiveAlert12 applies RFC 5246 §7.2 (and is used before the version is
// known). Like OpenSSL 3, clasp goes on after a warning, except for
// close_notify and no_renegotiation.
func (c *Conn) receiveAlert12(alert wire.Alert) error {
	switch alert.Level {
	case wire.AlertLevelFatal:
		return c.endedByPeer(alert)
	case wire.AlertLevelWarning:
	default:
		// RFC 5246 §7.2 defines levels 1 and 2 only and names no alert
		// for another; OpenSSL 3 answers illegal_parameter ("unknown
		// alert type").
		return wire.Errorf(wire.AlertIllegalParameter, "%s alert with unknown level %d", alert.Description, uint8(alert.Level))
	}
	switch {
	case alert.Description == wire.AlertCloseNotify:
		return io.EOF
	case alert.Description == wire.AlertNoRenegotiation && c.awaitingRenegotiation:
		// The peer refused the renegotiation this side asked for; the
		// connection goes on (see Renegotiate).
		return &AlertReceivedError{Level: uint8(alert.Level), Description: uint8(alert.Description), Step: c.alertStep()}
	case alert.Description == wire.AlertNoRenegotiation && !c.handshakeComplete.Load():
		// Nothing was asked that could be refused. OpenSSL 3 ends the
		// handshake with handshake_failure ("no renegotiation").
		return wire.Errorf(wire.AlertHandshakeFailure, "no_renegotiation warning during the initial handshake, which is no renegotiation")
	}
	// RFC 5246 §7.2.2 leaves the receiver free to go on after a warning
	// (unrecognized_name from a server that has no certificate for the
	// name, say). During a handshake ConnectionState.Warnings keeps it.
	if !c.handshakeComplete.Load() {
		c.warn(fmt.Sprintf("the %s sent a %s warning alert during the handshake", c.peerName(), alert.Description))
	}
	return nil
}

// endedByPeer records that the peer ended the connection with an error
// alert: from now on nothing is sent, not even close_notify (RFC 5246
// §7.2.2, RFC 8446 §6.2).
func (c *Conn) endedByPeer(alert wire.Alert) error {
	c.fatalAlert.Store(true)
	return &AlertReceivedError{Level: uint8(alert.Level), Description: uint8(alert.Description), Step: c.alertStep()}
}

// alertStep is the step an alert arrived at: "" after the handshake.
func (c *Conn) alertStep() string {
	if c.handshakeComplete.Load() {
		return ""
	}
	return c.step
}

func (c *Conn) peerName() string {
	if c.isClient {
		return "server"
	}
	return "client"
}
