package wire

import "golang.org/x/crypto/cryptobyte"

// signed_certificate_timestamp (RFC 6962 §3.3.1; RFC 8446 §4.4.2.1 for the
// CertificateEntry).

// SignedCertificateTimestampExt is the signed_certificate_timestamp
// extension. In a ClientHello or CertificateRequest13 it asks for SCTs and
// its body is empty (SCTs nil). In a TLS 1.2 ServerHello or a TLS 1.3
// CertificateEntry it carries the SignedCertificateTimestampList; each SCT
// is kept raw, since checking them is Certificate Transparency's business.
type SignedCertificateTimestampExt struct {
	// SCTs are SerializedSCT values, each non-empty; the list is non-empty
	// where it is present (SerializedSCT sct_list<1..2^16-1>).
	SCTs [][]byte
}

// ExtType returns ExtSignedCertificateTimestamp.
func (*SignedCertificateTimestampExt) ExtType() ExtensionType { return ExtSignedCertificateTimestamp }

// sctListIn reports whether msg carries an SCT list rather than a request.
func sctListIn(msg HandshakeType) bool {
	return msg == TypeServerHello || msg == TypeCertificate
}

func (e *SignedCertificateTimestampExt) marshalBody(b *builder, msg HandshakeType) {
	if e == nil {
		b.SetError(errMarshal("nil signed_certificate_timestamp"))
		return
	}
	if !sctListIn(msg) {
		if len(e.SCTs) != 0 {
			b.SetError(errMarshal("signed_certificate_timestamp in %v must be empty", msg))
		}
		return
	}
	if len(e.SCTs) == 0 {
		b.SetError(errMarshal("signed_certificate_timestamp with no SCTs"))
		return
	}
	b.AddUint16LengthPrefixed(func(b *builder) {
		for _, sct := range e.SCTs {
			if len(sct) == 0 {
				b.SetError(errMarshal("empty SCT"))
				return
			}
			b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(sct) })
		}
	})
}

func parseSignedCertificateTimestamp(body cryptobyte.String, msg HandshakeType) (Extension, error) {
	e := &SignedCertificateTimestampExt{}
	if !sctListIn(msg) {
		// RFC 6962 §3.3.1: the client's "extension_data" is empty.
		if !body.Empty() {
			return nil, decodeError("signed_certificate_timestamp in " + msg.String() + " (body must be empty)")
		}
		return e, nil
	}
	var list cryptobyte.String
	if !body.ReadUint16LengthPrefixed(&list) || !body.Empty() || list.Empty() {
		return nil, decodeError("signed_certificate_timestamp list")
	}
	for !list.Empty() {
		var sct cryptobyte.String
		if !list.ReadUint16LengthPrefixed(&sct) || sct.Empty() {
			return nil, decodeError("signed_certificate_timestamp entry")
		}
		e.SCTs = append(e.SCTs, cloneBytes(sct))
	}
	return e, nil
}
