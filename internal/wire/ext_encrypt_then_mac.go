package wire

import "golang.org/x/crypto/cryptobyte"

// encrypt_then_mac (RFC 7366 §2).

// EncryptThenMACExt is the encrypt_then_mac extension: in a ClientHello a
// request to MAC CBC records after encrypting them, in a TLS 1.2
// ServerHello the agreement. Its presence is the whole message.
type EncryptThenMACExt struct{}

// ExtType returns ExtEncryptThenMAC.
func (*EncryptThenMACExt) ExtType() ExtensionType { return ExtEncryptThenMAC }

func (*EncryptThenMACExt) marshalBody(*builder, HandshakeType) {}

func parseEncryptThenMAC(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	// RFC 7366 §2: "The "extension_data" field of this extension SHALL be
	// empty."
	if !body.Empty() {
		return nil, decodeError("encrypt_then_mac (body must be empty)")
	}
	return &EncryptThenMACExt{}, nil
}
