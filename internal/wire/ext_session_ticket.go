package wire

import "golang.org/x/crypto/cryptobyte"

// session_ticket (RFC 5077 §3.2).

// SessionTicketExt is the session_ticket extension. Its body is the ticket
// itself with no length prefix: empty in a ClientHello that asks for a new
// ticket and in the ServerHello that promises one.
type SessionTicketExt struct {
	Ticket []byte
}

// ExtType returns ExtSessionTicket.
func (*SessionTicketExt) ExtType() ExtensionType { return ExtSessionTicket }

func (e *SessionTicketExt) marshalBody(b *builder, _ HandshakeType) {
	if e == nil {
		b.SetError(errMarshal("nil session_ticket"))
		return
	}
	b.AddBytes(e.Ticket)
}

func parseSessionTicket(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	return &SessionTicketExt{Ticket: cloneBytes(body)}, nil
}
