package wire

import (
	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// ClientHello is the client's first message (RFC 5246 §7.4.1.2). Everything
// the client offered is kept in wire order, unknown values and SCSVs
// included, because the server's choices and a trace depend on that order.
type ClientHello struct {
	// Version is legacy_version: the highest version a TLS 1.2 client
	// supports, 0x0303 in a TLS 1.3 ClientHello.
	Version suites.Version
	Random  [32]byte
	// SessionID is 0..32 bytes; nil when empty.
	SessionID []byte
	// CipherSuites is non-empty.
	CipherSuites []suites.ID
	// CompressionMethods is non-empty; the driver checks that null (0) is
	// offered.
	CompressionMethods []uint8
	// Extensions is nil when the message has no extensions block at all,
	// and non-nil (possibly empty) when the block is present.
	Extensions []Extension
}

// maxSessionIDLen is the upper bound of SessionID session_id<0..32>.
const maxSessionIDLen = 32

// MaxClientHelloLen is the longest ClientHello body the syntax allows
// (RFC 5246 §7.4.1.2, RFC 8446 §4.1.2): legacy_version, random, a 32-byte
// session ID, 2^16-2 bytes of cipher suites, 255 compression methods and
// 2^16-1 bytes of extensions, each with its length prefix. A longer one
// cannot be decoded. It is OpenSSL's CLIENT_HELLO_MAX_LENGTH too.
const MaxClientHelloLen = 2 + 32 + (1 + maxSessionIDLen) + (2 + 0xfffe) + (1 + 0xff) + (2 + 0xffff)

// Type returns TypeClientHello.
func (*ClientHello) Type() HandshakeType { return TypeClientHello }

// Marshal returns the complete handshake message.
func (m *ClientHello) Marshal() ([]byte, error) {
	return marshalHandshake(TypeClientHello, func(b *builder) {
		if len(m.SessionID) > maxSessionIDLen || len(m.CipherSuites) == 0 || len(m.CompressionMethods) == 0 {
			b.SetError(errMarshal("session ID over 32 bytes, or no cipher suites or compression methods"))
			return
		}
		if err := checkPreSharedKeyLast(m.Extensions); err != nil {
			b.SetError(err)
			return
		}
		b.AddUint16(uint16(m.Version))
		b.AddBytes(m.Random[:])
		b.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes(m.SessionID) })
		b.AddUint16LengthPrefixed(func(b *builder) {
			for _, id := range m.CipherSuites {
				b.AddUint16(uint16(id))
			}
		})
		b.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes(m.CompressionMethods) })
		marshalExtensions(b, m.Extensions, TypeClientHello)
	})
}

// ParseClientHello parses a ClientHello body.
//
// A session ID longer than 32 bytes is decode_error, not illegal_parameter:
// session_id<0..32> is a vector bound, and RFC 5246 §7.2.2 names decode_error
// for "a field out of the specified range". So are an empty or odd-length
// cipher_suites vector (CipherSuite cipher_suites<2..2^16-2>), an empty
// compression_methods vector (<1..2^8-1>), an extension whose body does not
// parse, and trailing bytes. A duplicated extension is illegal_parameter
// (see readExtensionBlock).
//
// A pre_shared_key that is not the last extension is illegal_parameter, the
// alert RFC 8446 §4.2.11 names: the PSK binders are computed over the hello
// truncated right before them, which only works if nothing follows.
func ParseClientHello(body []byte) (*ClientHello, error) {
	s := cryptobyte.String(body)
	m := &ClientHello{}
	var version uint16
	var sessionID, cipherSuites, compression cryptobyte.String
	if !s.ReadUint16(&version) || !s.CopyBytes(m.Random[:]) ||
		!s.ReadUint8LengthPrefixed(&sessionID) ||
		!s.ReadUint16LengthPrefixed(&cipherSuites) ||
		!s.ReadUint8LengthPrefixed(&compression) {
		return nil, decodeError("ClientHello")
	}
	if len(sessionID) > maxSessionIDLen {
		return nil, Errorf(AlertDecodeError, "ClientHello session ID of %d bytes, max 32", len(sessionID))
	}
	if cipherSuites.Empty() || len(cipherSuites)%2 != 0 {
		return nil, Errorf(AlertDecodeError, "ClientHello cipher_suites of %d bytes", len(cipherSuites))
	}
	if compression.Empty() {
		return nil, Errorf(AlertDecodeError, "ClientHello offers no compression method")
	}
	m.Version = suites.Version(version)
	m.SessionID = cloneBytes(sessionID)
	m.CompressionMethods = cloneBytes(compression)
	m.CipherSuites = make([]suites.ID, 0, len(cipherSuites)/2)
	for !cipherSuites.Empty() {
		var id uint16
		if !cipherSuites.ReadUint16(&id) {
			return nil, decodeError("ClientHello cipher_suites")
		}
		m.CipherSuites = append(m.CipherSuites, suites.ID(id))
	}
	exts, err := parseExtensions(&s, TypeClientHello)
	if err != nil {
		return nil, err
	}
	if !s.Empty() {
		return nil, decodeError("ClientHello (trailing bytes)")
	}
	if err := checkPreSharedKeyLast(exts); err != nil {
		return nil, err
	}
	m.Extensions = exts
	return m, nil
}

// checkPreSharedKeyLast enforces RFC 8446 §4.2.11: "The "pre_shared_key"
// extension MUST be the last extension in the ClientHello ... Servers MUST
// check that it is the last extension and otherwise fail the handshake with
// an "illegal_parameter" alert."
func checkPreSharedKeyLast(exts []Extension) error {
	for i, e := range exts {
		if e != nil && e.ExtType() == ExtPreSharedKey && i != len(exts)-1 {
			return Errorf(AlertIllegalParameter, "ClientHello pre_shared_key is extension %d of %d, must be last", i+1, len(exts))
		}
	}
	return nil
}
