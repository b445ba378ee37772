package wire

import "golang.org/x/crypto/cryptobyte"

// max_fragment_length (RFC 6066 §4).

// MaxFragmentLengthExt is the max_fragment_length extension: the client
// asks for records of at most 2^(8+Length) bytes of plaintext (Length 1
// to 4: 512, 1024, 2048 or 4096), and a server that agrees echoes the same
// value, in its ServerHello (TLS 1.2) or EncryptedExtensions (TLS 1.3).
type MaxFragmentLengthExt struct {
	Length uint8
}

// ExtType returns ExtMaxFragmentLength.
func (*MaxFragmentLengthExt) ExtType() ExtensionType { return ExtMaxFragmentLength }

// Bytes is the fragment length the value stands for, 0 for a value RFC
// 6066 §4 does not define.
func (e *MaxFragmentLengthExt) Bytes() int {
	if e.Length < 1 || e.Length > 4 {
		return 0
	}
	return 1 << (8 + int(e.Length))
}

func (e *MaxFragmentLengthExt) marshalBody(b *builder, _ HandshakeType) {
	b.AddUint8(e.Length)
}

func parseMaxFragmentLength(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	e := &MaxFragmentLengthExt{}
	if !body.ReadUint8(&e.Length) || !body.Empty() {
		return nil, decodeError("max_fragment_length")
	}
	// RFC 6066 §4: "If a server receives a maximum fragment length
	// negotiation request for a value other than the allowed values, it
	// MUST abort the handshake with an "illegal_parameter" alert." The
	// same value in a response is as wrong.
	if e.Bytes() == 0 {
		return nil, Errorf(AlertIllegalParameter, "max_fragment_length value %d is not one of RFC 6066's 1 to 4", e.Length)
	}
	return e, nil
}
