package wire

import "golang.org/x/crypto/cryptobyte"

// NewSessionTicket13 is TLS 1.3's NewSessionTicket (RFC 8446 §4.6.1), sent
// after the handshake. It is sent under TypeNewSessionTicket and selected over
// NewSessionTicket by a TLS 1.3 Context.
type NewSessionTicket13 struct {
	// Lifetime is ticket_lifetime in seconds. RFC 8446 caps it at 604800
	// (7 days) for servers; a client driver discards longer-lived
	// tickets rather than failing, so the parser keeps the value.
	Lifetime uint32
	// AgeAdd is ticket_age_add, which obfuscates the ticket age the
	// client later reports.
	AgeAdd uint32
	// Nonce is ticket_nonce<0..255>, an input of the resumption PSK;
	// nil when empty.
	Nonce []byte
	// Ticket is the PSK identity the client will present; non-empty
	// (ticket<1..2^16-1>).
	Ticket []byte
	// Extensions is nil when the block is empty; early_data is the one
	// RFC 8446 defines here.
	Extensions []Extension
}

// Type returns TypeNewSessionTicket.
func (*NewSessionTicket13) Type() HandshakeType { return TypeNewSessionTicket }

// Marshal returns the complete handshake message.
func (m *NewSessionTicket13) Marshal() ([]byte, error) {
	return marshalHandshake(TypeNewSessionTicket, func(b *builder) {
		if len(m.Ticket) == 0 {
			b.SetError(errMarshal("NewSessionTicket with an empty ticket"))
			return
		}
		b.AddUint32(m.Lifetime)
		b.AddUint32(m.AgeAdd)
		b.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes(m.Nonce) })
		b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(m.Ticket) })
		addExtensionBlock(b, m.Extensions, TypeNewSessionTicket)
	})
}

// ParseNewSessionTicket13 parses a TLS 1.3 NewSessionTicket body. An empty
// ticket, a malformed vector or extension, and trailing bytes are
// decode_error.
func ParseNewSessionTicket13(body []byte) (*NewSessionTicket13, error) {
	s := cryptobyte.String(body)
	m := &NewSessionTicket13{}
	var nonce, ticket cryptobyte.String
	if !s.ReadUint32(&m.Lifetime) || !s.ReadUint32(&m.AgeAdd) ||
		!s.ReadUint8LengthPrefixed(&nonce) || !s.ReadUint16LengthPrefixed(&ticket) || ticket.Empty() {
		return nil, decodeError("NewSessionTicket")
	}
	exts, err := readExtensionBlock(&s, TypeNewSessionTicket)
	if err != nil {
		return nil, err
	}
	if !s.Empty() {
		return nil, decodeError("NewSessionTicket (trailing bytes)")
	}
	m.Nonce = cloneBytes(nonce)
	m.Ticket = cloneBytes(ticket)
	m.Extensions = exts
	return m, nil
}
