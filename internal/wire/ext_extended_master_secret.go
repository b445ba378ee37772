package wire

import "golang.org/x/crypto/cryptobyte"

// extended_master_secret (RFC 7627 §5.1).

// ExtendedMasterSecretExt is the extended_master_secret extension; its
// presence is the whole message.
type ExtendedMasterSecretExt struct{}

// ExtType returns ExtExtendedMasterSecret.
func (*ExtendedMasterSecretExt) ExtType() ExtensionType { return ExtExtendedMasterSecret }

func (*ExtendedMasterSecretExt) marshalBody(*builder, HandshakeType) {}

func parseExtendedMasterSecret(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	// RFC 7627 §5.1: "The "extension_data" field of this extension is
	// empty."
	if !body.Empty() {
		return nil, decodeError("extended_master_secret (body must be empty)")
	}
	return &ExtendedMasterSecretExt{}, nil
}
