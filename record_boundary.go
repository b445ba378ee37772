package clasp

import (
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Some handshake messages must be the last bytes of their record. RFC 8446
// §5.1: "Handshake messages MUST NOT span key changes. Implementations MUST
// verify that all messages immediately preceding a key change align with a
// record boundary; if not, then they MUST terminate the connection with an
// "unexpected_message" alert. Because the ClientHello, EndOfEarlyData,
// ServerHello, Finished, and KeyUpdate messages can immediately precede a
// key change, implementations MUST send these messages in alignment with a
// record boundary." In TLS 1.2 the messages before a ChangeCipherSpec must
// end their record for the same reason (readChangeCipherSpec), and so must
// those after which the sender waits for the other side: ServerHelloDone
// and the first Finished of a handshake (the drivers check that one).

// mustEndRecord reports whether msg, just read by readHandshake, must end
// its record. A server checks the first TLS 1.3 ClientHello once it has
// chosen TLS 1.3 (serverHandshakeTLS13.handshake): in TLS 1.2 nothing
// requires it, and OpenSSL 3 does not check it there.
func (c *Conn) mustEndRecord(msg wire.Message) bool {
	switch m := msg.(type) {
	case *wire.ServerHelloDone:
		// RFC 5246 §7.4.5: "After sending this message, the server will
		// wait for a client response."
		return true
	case *wire.ServerHello:
		// A TLS 1.3 ServerHello precedes the handshake keys; a
		// HelloRetryRequest (which names TLS 1.3 too) the second
		// ClientHello, which the server must wait for.
		sv, ok := wire.FindExtension[*wire.SupportedVersionsExt](m.Extensions)
		return ok && len(sv.Versions) == 1 && sv.Versions[0] == suites.VersionTLS13
	case *wire.ClientHello, *wire.EndOfEarlyData, *wire.Finished, *wire.KeyUpdate:
		return c.tls13
	}
	return false
}

// checkRecordBoundary fails with unexpected_message when handshake bytes
// follow the message just read (named by after) in its record.
func (c *Conn) checkRecordBoundary(after string) error {
	if c.hsIn.Pending() {
		return wire.Errorf(wire.AlertUnexpectedMessage, "handshake data follows %s in the same record", after)
	}
	return nil
}
