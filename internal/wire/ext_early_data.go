package wire

import "golang.org/x/crypto/cryptobyte"

// early_data (RFC 8446 §4.2.10).

// EarlyDataExt is the early_data extension. In a ClientHello (the client is
// sending 0-RTT data) and in EncryptedExtensions (the server accepted it) its
// body is empty and MaxEarlyDataSize is 0. In a NewSessionTicket13 it carries
// max_early_data_size, the most 0-RTT bytes the server will accept with the
// ticket; only there is the size parsed or written, so the message, not the
// value, tells the two shapes apart.
type EarlyDataExt struct {
	MaxEarlyDataSize uint32
}

// ExtType returns ExtEarlyData.
func (*EarlyDataExt) ExtType() ExtensionType { return ExtEarlyData }

func (e *EarlyDataExt) marshalBody(b *builder, msg HandshakeType) {
	if e == nil {
		b.SetError(errMarshal("nil early_data"))
		return
	}
	if msg == TypeNewSessionTicket {
		b.AddUint32(e.MaxEarlyDataSize)
		return
	}
	if e.MaxEarlyDataSize != 0 {
		b.SetError(errMarshal("early_data in %v has no size", msg))
	}
}

func parseEarlyData(body cryptobyte.String, msg HandshakeType) (Extension, error) {
	e := &EarlyDataExt{}
	if msg == TypeNewSessionTicket {
		if !body.ReadUint32(&e.MaxEarlyDataSize) || !body.Empty() {
			return nil, decodeError("early_data in NewSessionTicket (uint32 max_early_data_size)")
		}
		return e, nil
	}
	// struct {} Empty.
	if !body.Empty() {
		return nil, decodeError("early_data in " + msg.String() + " (body must be empty)")
	}
	return e, nil
}
