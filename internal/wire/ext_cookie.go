package wire

import "golang.org/x/crypto/cryptobyte"

// cookie (RFC 8446 §4.2.2).

// CookieExt is the cookie extension: opaque state a server puts in its
// HelloRetryRequest, which the client echoes in its second ClientHello.
type CookieExt struct {
	// Cookie is non-empty (cookie<1..2^16-1>).
	Cookie []byte
}

// ExtType returns ExtCookie.
func (*CookieExt) ExtType() ExtensionType { return ExtCookie }

func (e *CookieExt) marshalBody(b *builder, _ HandshakeType) {
	if e == nil || len(e.Cookie) == 0 {
		b.SetError(errMarshal("empty cookie"))
		return
	}
	b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(e.Cookie) })
}

func parseCookie(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	var cookie cryptobyte.String
	if !body.ReadUint16LengthPrefixed(&cookie) || !body.Empty() || cookie.Empty() {
		return nil, decodeError("cookie")
	}
	return &CookieExt{Cookie: cloneBytes(cookie)}, nil
}
