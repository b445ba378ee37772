package wire

import "golang.org/x/crypto/cryptobyte"

// RawPublicKeyCertificate is a TLS 1.2 Certificate message that carries a
// raw public key instead of a chain (RFC 7250 §3), once both sides agreed
// on the raw public key type in the hello extensions:
//
//	case RawPublicKey:
//	  opaque ASN.1_subjectPublicKeyInfo<1..2^24-1>;
//
// The parser needs that agreement (Context.RawPublicKey) since the body
// alone cannot tell this form from a certificate_list. TLS 1.3 keeps the
// key in a CertificateEntry of the usual Certificate13 instead.
type RawPublicKeyCertificate struct {
	// SPKI is the DER SubjectPublicKeyInfo.
	SPKI []byte
}

// Type returns TypeCertificate.
func (*RawPublicKeyCertificate) Type() HandshakeType { return TypeCertificate }

// Marshal returns the complete handshake message.
func (m *RawPublicKeyCertificate) Marshal() ([]byte, error) {
	return marshalHandshake(TypeCertificate, func(b *builder) {
		if len(m.SPKI) == 0 {
			b.SetError(errMarshal("raw public key Certificate with an empty SubjectPublicKeyInfo"))
			return
		}
		b.AddUint24LengthPrefixed(func(b *builder) { b.AddBytes(m.SPKI) })
	})
}

// ParseRawPublicKeyCertificate parses the body. An empty key, a truncated
// one or trailing bytes are decode_error; whether the bytes are a
// SubjectPublicKeyInfo is for the caller, which answers bad_certificate.
func ParseRawPublicKeyCertificate(body []byte) (*RawPublicKeyCertificate, error) {
	s := cryptobyte.String(body)
	var spki cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&spki) || spki.Empty() || !s.Empty() {
		return nil, decodeError("raw public key Certificate (RFC 7250 §3)")
	}
	return &RawPublicKeyCertificate{SPKI: cloneBytes(spki)}, nil
}
