package wire

import (
	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// ServerHello is the server's answer to a ClientHello (RFC 5246 §7.4.1.3).
// Whether the values are acceptable (a suite the client offered, compression
// method 0, only extensions the client offered) is the driver's to check:
// only it knows what was offered, and those failures take other alerts than
// decode_error. TLS 1.3's ServerHello and HelloRetryRequest share this shape
// (RFC 8446 §4.1.3, §4.1.4); see IsHelloRetryRequest.
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

// HelloRetryRequestRandom is the Random of a ServerHello that is a
// HelloRetryRequest (RFC 8446 §4.1.3): SHA-256 of "HelloRetryRequest". A
// HelloRetryRequest has no type of its own on the wire, so this value is
// the only way to tell it from a ServerHello.
var HelloRetryRequestRandom = [32]byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

// Downgrade sentinels (RFC 8446 §4.1.3): a TLS 1.3 server that negotiates
// TLS 1.2 or below writes one of these as the last 8 bytes of
// ServerHello.Random ("DOWNGRD" and 01 for TLS 1.2, 00 for TLS 1.1 or
// below), and a TLS 1.3 client that sees one must abort with
// illegal_parameter. Checking them is the client driver's job, since only it
// knows which versions it offered.
var (
	DowngradeTLS12 = [8]byte{0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01}
	DowngradeTLS11 = [8]byte{0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x00}
)

// Type returns TypeServerHello, for a HelloRetryRequest too: that is the type
// on the wire.
func (*ServerHello) Type() HandshakeType { return TypeServerHello }

// IsHelloRetryRequest reports whether the message is a HelloRetryRequest
// (RFC 8446 §4.1.3): a ServerHello whose Random is HelloRetryRequestRandom.
func (m *ServerHello) IsHelloRetryRequest() bool {
	return m.Random == HelloRetryRequestRandom
}

// extensionContext is the column of RFC 8446 §4.2's table the extensions
// are read and written in: HRR's shapes differ (key_share names only a
// group; cookie is allowed).
func (m *ServerHello) extensionContext() HandshakeType {
	if m.IsHelloRetryRequest() {
		return TypeHelloRetryRequest
	}
	return TypeServerHello
}

// Marshal returns the complete handshake message.
func (m *ServerHello) Marshal() ([]byte, error) {
	return marshalHandshake(TypeServerHello, func(b *builder) {
		if len(m.SessionID) > maxSessionIDLen {
			b.SetError(errMarshal("ServerHello session ID over 32 bytes"))
			return
		}
		b.AddUint16(uint16(m.Version))
		b.AddBytes(m.Random[:])
		b.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes(m.SessionID) })
		b.AddUint16(uint16(m.CipherSuite))
		b.AddUint8(m.CompressionMethod)
		marshalExtensions(b, m.Extensions, m.extensionContext())
	})
}

// ParseServerHello parses a ServerHello body, TLS 1.2 or 1.3 alike: the
// client cannot know the version before reading supported_versions in it. A
// HelloRetryRequest (HelloRetryRequestRandom) has its extensions read in
// their HRR shapes. A session ID over 32 bytes, an unparsable extension and
// trailing bytes are decode_error; a duplicated extension is
// illegal_parameter.
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
	exts, err := parseExtensions(&s, m.extensionContext())
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
