package clasp

import (
	"fmt"

	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// sslv2HelloWarning is the warning of every connection whose ClientHello
// came in the SSL 2.0 format.
const sslv2HelloWarning = "the ClientHello came in the SSL 2.0 format (RFC 5246 Appendix E.2), accepted because Config.AcceptSSLv2ClientHello allows it: it carries no extensions, so no extended master secret, server name or signature_algorithms"

// readFirstClientHello reads the connection's first ClientHello. With
// Config.AcceptSSLv2ClientHello a hello in the SSL 2.0 format is taken too
// and turned into the ClientHello it stands for; raw is then the SSL 2.0
// message without its 2-byte record header, which is what the handshake
// hash covers (RFC 5246 Appendix E.2, RFC 6101 Appendix E.1: the 2-byte
// msg_length header is not part of the hashed message; OpenSSL and Java
// hash the same bytes, which the Java interop test proves).
func (c *Conn) readFirstClientHello() (*wire.ClientHello, []byte, error) {
	if c.config.AcceptSSLv2ClientHello {
		hello, raw, ok, err := c.readV2ClientHello()
		if err != nil || ok {
			return hello, raw, err
		}
	}
	msg, err := c.readHandshake()
	if err != nil {
		return nil, nil, err
	}
	hello, ok := msg.(*wire.ClientHello)
	if !ok {
		return nil, nil, errUnexpected("ClientHello", msg)
	}
	return hello, c.lastHandshakeRaw, nil
}

// readV2ClientHello reads the first record if it is an SSL 2.0-format
// ClientHello; ok is false, with nothing consumed, when it is a TLS record.
func (c *Conn) readV2ClientHello() (hello *wire.ClientHello, raw []byte, ok bool, err error) {
	raw, ok, err = c.layer.ReadV2ClientHello()
	if err != nil {
		return nil, nil, false, c.recordHeaderError(err)
	}
	if !ok {
		return nil, nil, false, nil
	}
	v2, err := wire.ParseV2ClientHello(raw)
	if err != nil {
		return nil, nil, false, err
	}
	hello = v2.ClientHello()
	c.lastHandshakeRaw = raw
	if c.tracer != nil {
		c.emitV2ClientHello(raw, hello)
	}
	c.warn(sslv2HelloWarning)
	return hello, raw, true, nil
}

// emitV2ClientHello traces the SSL 2.0-format hello: Raw holds the SSL 2.0
// message as it travelled (msg_type 1 first, not a 4-byte handshake
// header), RecordVersion is 0x0002, the SSL 2.0 record it came in, and
// Parsed the ClientHello it stands for.
func (c *Conn) emitV2ClientHello(raw []byte, hello *wire.ClientHello) {
	c.traceStep()
	c.emit(&trace.Message{Header: c.header(trace.KindMessage), Direction: trace.Received,
		ContentType: uint8(wire.ContentHandshake), HandshakeType: uint8(wire.TypeClientHello),
		Name: "ClientHello", Raw: raw, Parsed: hello, Length: len(raw),
		RecordVersion: trace.RecordVersionSSL2})
	c.decide(&trace.Decision{What: "client_hello_format", Chosen: "SSL 2.0",
		ReasonCode: "sslv2_hello_accepted",
		Reason:     fmt.Sprintf("the first record has a 2-byte SSL 2.0 header and CLIENT-HELLO version %v; Config.AcceptSSLv2ClientHello allows it", hello.Version),
		Warning:    sslv2HelloWarning})
}
