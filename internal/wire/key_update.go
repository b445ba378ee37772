package wire

import "golang.org/x/crypto/cryptobyte"

// KeyUpdate tells the peer that the sender now writes with its next
// application traffic secret (RFC 8446 §4.6.3).
type KeyUpdate struct {
	// RequestUpdate is update_requested (1): the peer must answer with a
	// KeyUpdate of its own. false is update_not_requested (0).
	RequestUpdate bool
}

// KeyUpdateRequest values (RFC 8446 §4.6.3).
const (
	keyUpdateNotRequested uint8 = 0
	keyUpdateRequested    uint8 = 1
)

// Type returns TypeKeyUpdate.
func (*KeyUpdate) Type() HandshakeType { return TypeKeyUpdate }

// Marshal returns the complete handshake message.
func (m *KeyUpdate) Marshal() ([]byte, error) {
	return marshalHandshake(TypeKeyUpdate, func(b *builder) {
		if m.RequestUpdate {
			b.AddUint8(keyUpdateRequested)
		} else {
			b.AddUint8(keyUpdateNotRequested)
		}
	})
}

// ParseKeyUpdate parses a KeyUpdate body: one request_update byte. A body of
// another length is decode_error; a value other than 0 or 1 is
// illegal_parameter, as RFC 8446 §4.6.3 requires ("If an implementation
// receives any other value, it MUST terminate the connection with an
// "illegal_parameter" alert").
func ParseKeyUpdate(body []byte) (*KeyUpdate, error) {
	s := cryptobyte.String(body)
	var v uint8
	if !s.ReadUint8(&v) || !s.Empty() {
		return nil, decodeError("KeyUpdate")
	}
	switch v {
	case keyUpdateNotRequested:
		return &KeyUpdate{}, nil
	case keyUpdateRequested:
		return &KeyUpdate{RequestUpdate: true}, nil
	}
	return nil, Errorf(AlertIllegalParameter, "KeyUpdate request_update %d, want 0 or 1", v)
}
