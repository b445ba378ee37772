package wire

import "golang.org/x/crypto/cryptobyte"

// CertificateRequest13 is TLS 1.3's CertificateRequest (RFC 8446 §4.3.2):
// everything TLS 1.2 put in fixed fields (signature algorithms, CA names)
// moved into extensions. It is sent under TypeCertificateRequest and
// selected over CertificateRequest by a TLS 1.3 Context.
type CertificateRequest13 struct {
	// Context is certificate_request_context: empty (nil) during the
	// handshake, unique per request after it (post-handshake auth); the
	// client echoes it in Certificate13.
	Context []byte
	// Extensions always include *SignatureAlgorithmsExt; the parser and
	// Marshal refuse a request without it.
	Extensions []Extension
}

// Type returns TypeCertificateRequest.
func (*CertificateRequest13) Type() HandshakeType { return TypeCertificateRequest }

// Marshal returns the complete handshake message.
func (m *CertificateRequest13) Marshal() ([]byte, error) {
	return marshalHandshake(TypeCertificateRequest, func(b *builder) {
		if _, ok := LookupExtension(m.Extensions, ExtSignatureAlgorithms); !ok {
			b.SetError(errMarshal("CertificateRequest without signature_algorithms"))
			return
		}
		b.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes(m.Context) })
		addExtensionBlock(b, m.Extensions, TypeCertificateRequest)
	})
}

// ParseCertificateRequest13 parses a TLS 1.3 CertificateRequest body:
// certificate_request_context<0..2^8-1> and Extension extensions<2..2^16-1>.
// A malformed vector or extension and trailing bytes are decode_error. A
// request without signature_algorithms is missing_extension, the alert RFC
// 8446 §4.2 names for a mandatory extension that is absent (§4.3.2: "The
// "signature_algorithms" extension MUST be specified"); an empty block,
// which the <2..> bound also forbids, is the same mistake and gets the
// same alert.
func ParseCertificateRequest13(body []byte) (*CertificateRequest13, error) {
	s := cryptobyte.String(body)
	var reqContext cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&reqContext) {
		return nil, decodeError("CertificateRequest certificate_request_context")
	}
	exts, err := readExtensionBlock(&s, TypeCertificateRequest)
	if err != nil {
		return nil, err
	}
	if !s.Empty() {
		return nil, decodeError("CertificateRequest (trailing bytes)")
	}
	if _, ok := LookupExtension(exts, ExtSignatureAlgorithms); !ok {
		return nil, Errorf(AlertMissingExtension, "CertificateRequest without signature_algorithms")
	}
	return &CertificateRequest13{Context: cloneBytes(reqContext), Extensions: exts}, nil
}
