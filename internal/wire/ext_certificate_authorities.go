package wire

import "golang.org/x/crypto/cryptobyte"

// certificate_authorities (RFC 8446 §4.2.4).

// CertificateAuthoritiesExt is the certificate_authorities extension: the
// DER distinguished names of the CAs the sender trusts, so the peer can pick
// a certificate chain. TLS 1.3 moved TLS 1.2's CertificateRequest field
// here.
type CertificateAuthoritiesExt struct {
	// Authorities is non-empty, and no name is empty
	// (DistinguishedName authorities<3..2^16-1>, each <1..2^16-1>).
	Authorities [][]byte
}

// ExtType returns ExtCertificateAuthorities.
func (*CertificateAuthoritiesExt) ExtType() ExtensionType { return ExtCertificateAuthorities }

func (e *CertificateAuthoritiesExt) marshalBody(b *builder, _ HandshakeType) {
	if e == nil || len(e.Authorities) == 0 {
		b.SetError(errMarshal("certificate_authorities with no names"))
		return
	}
	b.AddUint16LengthPrefixed(func(b *builder) {
		for _, dn := range e.Authorities {
			if len(dn) == 0 {
				b.SetError(errMarshal("empty DistinguishedName"))
				return
			}
			b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(dn) })
		}
	})
}

func parseCertificateAuthorities(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	var list cryptobyte.String
	if !body.ReadUint16LengthPrefixed(&list) || !body.Empty() || list.Empty() {
		return nil, decodeError("certificate_authorities")
	}
	e := &CertificateAuthoritiesExt{}
	for !list.Empty() {
		var dn cryptobyte.String
		if !list.ReadUint16LengthPrefixed(&dn) || dn.Empty() {
			return nil, decodeError("certificate_authorities DistinguishedName")
		}
		e.Authorities = append(e.Authorities, cloneBytes(dn))
	}
	return e, nil
}
