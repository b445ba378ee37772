package wire

import "golang.org/x/crypto/cryptobyte"

// client_certificate_type and server_certificate_type (RFC 7250 §4).

// Certificate types (RFC 7250 §3, IANA "TLS Certificate Types").
const (
	CertTypeX509         uint8 = 0
	CertTypeRawPublicKey uint8 = 2
)

// ClientCertificateTypeExt is client_certificate_type: in a ClientHello the
// types the client can send, in a TLS 1.2 ServerHello or TLS 1.3
// EncryptedExtensions the one type the server chose.
type ClientCertificateTypeExt struct{ Types []uint8 }

// ServerCertificateTypeExt is server_certificate_type: in a ClientHello the
// types the client can process, in the server's answer the one it sends.
type ServerCertificateTypeExt struct{ Types []uint8 }

// ExtType returns ExtClientCertificateType.
func (*ClientCertificateTypeExt) ExtType() ExtensionType { return ExtClientCertificateType }

// ExtType returns ExtServerCertificateType.
func (*ServerCertificateTypeExt) ExtType() ExtensionType { return ExtServerCertificateType }

func (e *ClientCertificateTypeExt) marshalBody(b *builder, msg HandshakeType) {
	marshalCertificateTypes(b, msg, e.Types)
}

func (e *ServerCertificateTypeExt) marshalBody(b *builder, msg HandshakeType) {
	marshalCertificateTypes(b, msg, e.Types)
}

// marshalCertificateTypes writes a list in a ClientHello and the single
// chosen type elsewhere (RFC 7250 §4).
func marshalCertificateTypes(b *builder, msg HandshakeType, types []uint8) {
	if msg == TypeClientHello {
		if len(types) == 0 {
			b.SetError(errMarshal("certificate type list is empty"))
			return
		}
		b.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes(types) })
		return
	}
	if len(types) != 1 {
		b.SetError(errMarshal("a certificate type answer carries one type, not %d", len(types)))
		return
	}
	b.AddUint8(types[0])
}

func parseCertificateTypes(body cryptobyte.String, msg HandshakeType) ([]uint8, error) {
	if msg == TypeClientHello {
		var list cryptobyte.String
		if !body.ReadUint8LengthPrefixed(&list) || !body.Empty() || list.Empty() {
			return nil, decodeError("certificate type list")
		}
		return cloneBytes(list), nil
	}
	var t uint8
	if !body.ReadUint8(&t) || !body.Empty() {
		return nil, decodeError("certificate type")
	}
	return []uint8{t}, nil
}

func parseClientCertificateType(body cryptobyte.String, msg HandshakeType) (Extension, error) {
	types, err := parseCertificateTypes(body, msg)
	if err != nil {
		return nil, err
	}
	return &ClientCertificateTypeExt{Types: types}, nil
}

func parseServerCertificateType(body cryptobyte.String, msg HandshakeType) (Extension, error) {
	types, err := parseCertificateTypes(body, msg)
	if err != nil {
		return nil, err
	}
	return &ServerCertificateTypeExt{Types: types}, nil
}
