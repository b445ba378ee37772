package clasp

import (
	"errors"
	"net"

	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/wire"
)

// RecordHeaderError is returned when the peer's first bytes are not a TLS
// record header (crypto/tls's type and fields): a plain HTTP client on an
// HTTPS port, an SMTP or SSH banner. errors.As finds it in a handshake
// error; it wraps the *record.NotTLSError whose Protocol names what the
// bytes look like, which the diagnosis reads.
type RecordHeaderError struct {
	// Msg says what is wrong with the record header.
	Msg string
	// RecordHeader is the first five bytes (zero-padded when fewer came).
	RecordHeader [5]byte
	// Conn is the underlying connection when a server may still answer on
	// it in plain text (as net/http does for HTTP on an HTTPS port), nil
	// once the connection is unusable.
	Conn net.Conn

	notTLS *record.NotTLSError
	// refusal is the alert a server sends before closing, when it has one
	// to send (an SSL 2.0-format ClientHello it does not accept).
	refusal *wire.Error
}

func (e RecordHeaderError) Error() string { return "clasp: " + e.Msg }

// Unwrap returns the record layer's *record.NotTLSError and, for an SSL
// 2.0-format ClientHello a server refused, the *wire.Error of the alert it
// sent.
func (e RecordHeaderError) Unwrap() []error {
	var errs []error
	if e.notTLS != nil {
		errs = append(errs, e.notTLS)
	}
	if e.refusal != nil {
		errs = append(errs, e.refusal)
	}
	return errs
}

// recordHeaderError turns the record layer's "not TLS" into a
// RecordHeaderError, leaving other errors alone.
func (c *Conn) recordHeaderError(err error) error {
	var notTLS *record.NotTLSError
	if !errors.As(err, &notTLS) {
		return err
	}
	e := RecordHeaderError{Msg: notTLS.Error(), notTLS: notTLS}
	if !c.isClient && !c.config.AcceptSSLv2ClientHello && wire.IsV2ClientHelloHeader(notTLS.Prefix) {
		e.Msg += "; a clasp server accepts that format only with Config.AcceptSSLv2ClientHello (clasp serve --accept-sslv2-hello)"
		// Such a client offers TLS inside the hello and reads TLS records
		// back, so it is told, not left to time out: RFC 5246 Appendix
		// E.2 lets a server refuse the format and RFC 6176 §3 has it
		// abort; OpenSSL and GnuTLS answer these hellos in TLS records,
		// and tlsfuzzer's test-sslv2hello-protocol (--no-ssl2) expects an
		// alert. protocol_version: the SSL 2.0 format is the version
		// refused.
		e.refusal = wire.Errorf(wire.AlertProtocolVersion, "SSL 2.0-format ClientHello refused")
	}
	copy(e.RecordHeader[:], notTLS.Prefix)
	if !c.isClient {
		e.Conn = c.conn
	}
	return e
}
