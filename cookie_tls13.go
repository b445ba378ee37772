package clasp

import (
	"crypto/subtle"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"golang.org/x/crypto/cryptobyte"
)

// HelloRetryRequest cookies (RFC 8446 §4.2.2, Config.HelloRetryCookie).
// The cookie seals what the server must know to continue after the second
// ClientHello: the hash of the first (the message_hash that replaces it in
// the transcript) and the group it asked for. It is sealed like a ticket,
// under a format tag no ticket plaintext uses, so that neither can be
// passed off as the other.
const cookieFormatTag = 0xc0

// sealCookie builds the cookie of a HelloRetryRequest.
func (c *Config) sealCookie(firstHelloHash []byte, group suites.Group) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddUint8(cookieFormatTag)
	b.AddUint16(uint16(group))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(firstHelloHash) })
	plain, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	return c.sealTicketBytes(plain)
}

// checkCookie requires the second ClientHello to echo a cookie that opens
// to this connection's first hello and group.
func (c *Config) checkCookie(hello *wire.ClientHello, firstHelloHash []byte, group suites.Group) error {
	ext, ok := wire.FindExtension[*wire.CookieExt](hello.Extensions)
	if !ok {
		return wire.Errorf(wire.AlertMissingExtension, "the second ClientHello does not echo the HelloRetryRequest's cookie")
	}
	plain, ok := c.openTicketBytes(ext.Cookie)
	if !ok {
		return wire.Errorf(wire.AlertIllegalParameter, "the second ClientHello's cookie is not one this server sealed")
	}
	s := cryptobyte.String(plain)
	var tag uint8
	var g uint16
	var hash cryptobyte.String
	if !s.ReadUint8(&tag) || tag != cookieFormatTag || !s.ReadUint16(&g) || !s.ReadUint8LengthPrefixed(&hash) || !s.Empty() ||
		suites.Group(g) != group || subtle.ConstantTimeCompare(hash, firstHelloHash) != 1 {
		return wire.Errorf(wire.AlertIllegalParameter, "the second ClientHello's cookie belongs to another handshake")
	}
	return nil
}
