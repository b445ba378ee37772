package wire

import (
	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// ServerHello is the server's answer to a ClientHello (RFC 5246 §7.4.1.3).
// Whether the values are acceptable (a suite the client offered, compression
// method 0, only extensions the client offered) is the driver's to check:
// only it knows what was offered, and those failures take other alerts than
// decode_error. TLS 1.3's ServerHello and HelloRetryRequest share this shape.
type ServerHello struct {
	Version suites.Version
	Random  [32]byte
	// SessionID is 0..32 bytes; nil when empty.
	SessionID         []byte
	CipherSuite       suites.ID
	CompressionMethod uint8
	// Extensions is nil when the message has no extensions block at all,
	// and non-nil (possibly empty) when the block is present.
	Extensions []Extension
}

// Type returns TypeServerHello.
func (*ServerHello) Type() HandshakeType { return TypeServerHello }

// Marshal returns the complete handshake message.
func (m *ServerHello) Marshal() ([]byte, error) {
	return marshalHandshake(TypeServerHello, func(b *cryptobyte.Builder) {
		if len(m.SessionID) > maxSessionIDLen {
			b.SetError(errMarshal("ServerHello session ID over 32 bytes"))
			return
		}
		b.AddUint16(uint16(m.Version))
		b.AddBytes(m.Random[:])
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(m.SessionID) })
		b.AddUint16(uint16(m.CipherSuite))
		b.AddUint8(m.CompressionMethod)
		marshalExtensions(b, m.Extensions, TypeServerHello)
	})
}

// ParseServerHello parses a ServerHello body. A session ID over 32 bytes,
// a duplicated or unparsable extension, and trailing bytes are decode_error.
func ParseServerHello(body []byte) (*ServerHello, error) {
	s := cryptobyte.String(body)
	m := &ServerHello{}
	var version, suite uint16
	var sessionID cryptobyte.String
	if !s.ReadUint16(&version) || !s.CopyBytes(m.Random[:]) ||
		!s.ReadUint8LengthPrefixed(&sessionID) ||
		!s.ReadUint16(&suite) || !s.ReadUint8(&m.CompressionMethod) {
		return nil, decodeError("ServerHello")
	}
	if len(sessionID) > maxSessionIDLen {
		return nil, Errorf(AlertDecodeError, "ServerHello session ID of %d bytes, max 32", len(sessionID))
	}
	exts, err := parseExtensions(&s, TypeServerHello)
	if err != nil {
		return nil, err
	}
	if !s.Empty() {
		return nil, decodeError("ServerHello (trailing bytes)")
	}
	m.Version = suites.Version(version)
	m.SessionID = cloneBytes(sessionID)
	m.CipherSuite = suites.ID(suite)
	m.Extensions = exts
	return m, nil
}
