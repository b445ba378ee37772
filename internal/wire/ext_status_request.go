package wire

import "golang.org/x/crypto/cryptobyte"

// status_request (RFC 6066 §8).

// StatusRequestExt is the status_request extension (OCSP stapling). In a
// ClientHello it is a CertificateStatusRequest; in a ServerHello its body is
// empty and all fields are zero.
type StatusRequestExt struct {
	// StatusType is 1 (ocsp), the only type RFC 6066 defines. The OCSP
	// shape below is read whatever the type: no other shape exists.
	StatusType uint8
	// ResponderIDList is the content of the uint16 responder_id_list
	// vector, kept raw (a list of uint16-length DER ResponderIDs).
	ResponderIDList []byte
	// RequestExtensions is the content of the uint16 request_extensions
	// vector (DER Extensions), kept raw.
	RequestExtensions []byte
}

// StatusTypeOCSP is the ocsp CertificateStatusType (RFC 6066 §8).
const StatusTypeOCSP = 1

// ExtType returns ExtStatusRequest.
func (*StatusRequestExt) ExtType() ExtensionType { return ExtStatusRequest }

func (e *StatusRequestExt) marshalBody(b *cryptobyte.Builder, msg HandshakeType) {
	if e == nil {
		b.SetError(errMarshal("nil status_request"))
		return
	}
	if msg != TypeClientHello {
		if e.StatusType != 0 || len(e.ResponderIDList) != 0 || len(e.RequestExtensions) != 0 {
			b.SetError(errMarshal("status_request in %v must be empty", msg))
		}
		return
	}
	b.AddUint8(e.StatusType)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.ResponderIDList) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.RequestExtensions) })
}

func parseStatusRequest(body cryptobyte.String, msg HandshakeType) (Extension, error) {
	e := &StatusRequestExt{}
	if msg != TypeClientHello {
		// RFC 6066 §8: the server's "extension_data" field is empty.
		if !body.Empty() {
			return nil, decodeError("status_request in " + msg.String())
		}
		return e, nil
	}
	var ids, exts cryptobyte.String
	if !body.ReadUint8(&e.StatusType) || !body.ReadUint16LengthPrefixed(&ids) ||
		!body.ReadUint16LengthPrefixed(&exts) || !body.Empty() {
		return nil, decodeError("status_request")
	}
	e.ResponderIDList = cloneBytes(ids)
	e.RequestExtensions = cloneBytes(exts)
	return e, nil
}
