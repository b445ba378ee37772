package wire

import "golang.org/x/crypto/cryptobyte"

// status_request (RFC 6066 §8; RFC 8446 §4.4.2.1 for TLS 1.3).

// StatusRequestExt is the status_request extension (OCSP stapling). Its
// shape depends on the message:
//
//   - ClientHello, and a TLS 1.3 CertificateRequest13 (the server asking for
//     the client's OCSP response): a CertificateStatusRequest, StatusType
//     with ResponderIDList and RequestExtensions.
//   - TLS 1.2 ServerHello: an empty body; all fields are zero.
//   - TLS 1.3 CertificateEntry: a CertificateStatus, StatusType with
//     Response (TLS 1.3 staples the response here instead of in a
//     CertificateStatus message).
type StatusRequestExt struct {
	// StatusType is 1 (ocsp), the only type RFC 6066 defines.
	StatusType uint8
	// OtherRequest is the request body of a ClientHello's status type other
	// than ocsp, kept raw: RFC 6066 §8 gives no other type a shape, so an
	// unknown type is kept and not stapled, as OpenSSL and crypto/tls
	// ignore it, rather than refused as malformed.
	OtherRequest []byte
	// ResponderIDList is the content of the uint16 responder_id_list
	// vector, kept raw (a list of uint16-length DER ResponderIDs).
	ResponderIDList []byte
	// RequestExtensions is the content of the uint16 request_extensions
	// vector (DER Extensions), kept raw.
	RequestExtensions []byte
	// Response is the OCSPResponse of a CertificateEntry's
	// CertificateStatus, non-empty there (opaque OCSPResponse<1..2^24-1>)
	// and nil in every other message.
	Response []byte
}

// StatusTypeOCSP is the ocsp CertificateStatusType (RFC 6066 §8).
const StatusTypeOCSP = 1

// ExtType returns ExtStatusRequest.
func (*StatusRequestExt) ExtType() ExtensionType { return ExtStatusRequest }

func (e *StatusRequestExt) marshalBody(b *builder, msg HandshakeType) {
	if e == nil {
		b.SetError(errMarshal("nil status_request"))
		return
	}
	switch msg {
	case TypeServerHello, TypeCertificateRequest:
		if e.StatusType != 0 || len(e.ResponderIDList) != 0 || len(e.RequestExtensions) != 0 || len(e.Response) != 0 {
			b.SetError(errMarshal("status_request in %v must be empty", msg))
		}
	case TypeCertificate:
		if len(e.ResponderIDList) != 0 || len(e.RequestExtensions) != 0 || len(e.Response) == 0 {
			b.SetError(errMarshal("status_request in a CertificateEntry holds only a non-empty response"))
			return
		}
		b.AddUint8(e.StatusType)
		b.AddUint24LengthPrefixed(func(b *builder) { b.AddBytes(e.Response) })
	default:
		if len(e.Response) != 0 {
			b.SetError(errMarshal("status_request in %v is a request, not a response", msg))
			return
		}
		b.AddUint8(e.StatusType)
		if e.StatusType != StatusTypeOCSP {
			b.AddBytes(e.OtherRequest)
			return
		}
		if len(e.OtherRequest) != 0 {
			b.SetError(errMarshal("status_request of type ocsp with a raw request"))
			return
		}
		b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(e.ResponderIDList) })
		b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(e.RequestExtensions) })
	}
}

func parseStatusRequest(body cryptobyte.String, msg HandshakeType) (Extension, error) {
	e := &StatusRequestExt{}
	switch msg {
	case TypeServerHello, TypeCertificateRequest:
		// RFC 6066 §8: the server's "extension_data" field is empty; so is
		// a TLS 1.3 CertificateRequest's (RFC 8446 §4.4.2.1), which asks
		// the client to staple an OCSP response. crypto/tls servers always
		// send it.
		if !body.Empty() {
			return nil, decodeError("status_request in " + msg.String())
		}
		return e, nil
	case TypeCertificate:
		// RFC 8446 §4.4.2.1: a CertificateStatus structure, the body of
		// TLS 1.2's CertificateStatus message.
		var resp cryptobyte.String
		if !body.ReadUint8(&e.StatusType) || !body.ReadUint24LengthPrefixed(&resp) || !body.Empty() || resp.Empty() {
			return nil, decodeError("status_request in a CertificateEntry")
		}
		e.Response = cloneBytes(resp)
		return e, nil
	}
	if !body.ReadUint8(&e.StatusType) {
		return nil, decodeError("status_request")
	}
	if e.StatusType != StatusTypeOCSP {
		e.OtherRequest = cloneBytes(body)
		return e, nil
	}
	var ids, exts cryptobyte.String
	if !body.ReadUint16LengthPrefixed(&ids) || !body.ReadUint16LengthPrefixed(&exts) || !body.Empty() {
		return nil, decodeError("status_request")
	}
	e.ResponderIDList = cloneBytes(ids)
	e.RequestExtensions = cloneBytes(exts)
	return e, nil
}
