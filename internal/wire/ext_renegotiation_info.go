package wire

import "golang.org/x/crypto/cryptobyte"

// renegotiation_info (RFC 5746 §3.2).

// RenegotiationInfoExt is the secure renegotiation extension. Data is empty
// (nil) on an initial handshake, the client's verify_data (client) or both
// verify_data values (server) on a renegotiation; the driver checks which.
type RenegotiationInfoExt struct {
	Data []byte
}

// ExtType returns ExtRenegotiationInfo.
func (*RenegotiationInfoExt) ExtType() ExtensionType { return ExtRenegotiationInfo }

func (e *RenegotiationInfoExt) marshalBody(b *builder, _ HandshakeType) {
	if e == nil {
		b.SetError(errMarshal("nil renegotiation_info"))
		return
	}
	b.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes(e.Data) })
}

func parseRenegotiationInfo(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	var data cryptobyte.String
	// opaque renegotiated_connection<0..255>.
	if !body.ReadUint8LengthPrefixed(&data) || !body.Empty() {
		return nil, decodeError("renegotiation_info")
	}
	return &RenegotiationInfoExt{Data: cloneBytes(data)}, nil
}
