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
}

func (e RecordHeaderError) Error() string { return "clasp: " + e.Msg }

// Unwrap returns the record layer's *record.NotTLSError.
func (e RecordHeaderError) Unwrap() error {
	if e.notTLS == nil {
		return nil
	}
	return e.notTLS
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
	}
	copy(e.RecordHeader[:], notTLS.Prefix)
	if !c.isClient {
		e.Conn = c.conn
	}
	return e
}
