package wire

import "golang.org/x/crypto/cryptobyte"

// EncryptedExtensions carries the server's answers to ClientHello extensions
// that do not shape the key exchange (RFC 8446 §4.3.1): ALPN, server_name,
// early_data and so on. It is the first message under the handshake keys.
type EncryptedExtensions struct {
	// Extensions is nil when the block is empty.
	Extensions []Extension
}

// Type returns TypeEncryptedExtensions.
func (*EncryptedExtensions) Type() HandshakeType { return TypeEncryptedExtensions }

// Marshal returns the complete handshake message.
func (m *EncryptedExtensions) Marshal() ([]byte, error) {
	return marshalHandshake(TypeEncryptedExtensions, func(b *builder) {
		addExtensionBlock(b, m.Extensions, TypeEncryptedExtensions)
	})
}

// ParseEncryptedExtensions parses an EncryptedExtensions body: Extension
// extensions<0..2^16-1> and nothing else. Whether each extension answers
// one the client offered is the driver's check (unsupported_extension).
func ParseEncryptedExtensions(body []byte) (*EncryptedExtensions, error) {
	s := cryptobyte.String(body)
	exts, err := readExtensionBlock(&s, TypeEncryptedExtensions)
	if err != nil {
		return nil, err
	}
	if !s.Empty() {
		return nil, decodeError("EncryptedExtensions (trailing bytes)")
	}
	return &EncryptedExtensions{Extensions: exts}, nil
}
