package wire

import "golang.org/x/crypto/cryptobyte"

// post_handshake_auth (RFC 8446 §4.2.6).

// PostHandshakeAuthExt is the post_handshake_auth extension: the client is
// willing to answer a CertificateRequest13 after the handshake. Its presence
// is the whole message.
type PostHandshakeAuthExt struct{}

// ExtType returns ExtPostHandshakeAuth.
func (*PostHandshakeAuthExt) ExtType() ExtensionType { return ExtPostHandshakeAuth }

func (*PostHandshakeAuthExt) marshalBody(*builder, HandshakeType) {}

func parsePostHandshakeAuth(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	// RFC 8446 §4.2.6: "The "extension_data" field of the
	// "post_handshake_auth" extension is zero length."
	if !body.Empty() {
		return nil, decodeError("post_handshake_auth (body must be empty)")
	}
	return &PostHandshakeAuthExt{}, nil
}
