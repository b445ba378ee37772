package wire

import (
	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// CertificateRequest asks the client for a certificate (RFC 5246 §7.4.4;
// RFC 4346 §7.4.4 for TLS 1.0/1.1, which lack the signature algorithms).
// TLS 1.3's extension-based shape is CertificateRequest13.
type CertificateRequest struct {
	// CertificateTypes (ClientCertificateType) is non-empty.
	CertificateTypes []uint8
	// SignatureSchemes is non-empty when HasSignatureSchemes is set.
	SignatureSchemes []suites.SignatureScheme
	// HasSignatureSchemes is true for TLS 1.2, whose CertificateRequest
	// carries supported_signature_algorithms; parsing sets it from the
	// Context version.
	HasSignatureSchemes bool
	// CertificateAuthorities are DER DistinguishedNames; nil when the
	// server names none (any CA will do).
	CertificateAuthorities [][]byte
}

// Type returns TypeCertificateRequest.
func (*CertificateRequest) Type() HandshakeType { return TypeCertificateRequest }

// Marshal returns the complete handshake message.
func (m *CertificateRequest) Marshal() ([]byte, error) {
	return marshalHandshake(TypeCertificateRequest, func(b *builder) {
		if len(m.CertificateTypes) == 0 {
			b.SetError(errMarshal("CertificateRequest with no certificate types"))
			return
		}
		b.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes(m.CertificateTypes) })
		if m.HasSignatureSchemes {
			addSchemes(b, m.SignatureSchemes)
		} else if len(m.SignatureSchemes) != 0 {
			b.SetError(errMarshal("CertificateRequest schemes set without HasSignatureSchemes"))
			return
		}
		b.AddUint16LengthPrefixed(func(b *builder) {
			for _, dn := range m.CertificateAuthorities {
				if len(dn) == 0 {
					b.SetError(errMarshal("empty DistinguishedName"))
					return
				}
				b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(dn) })
			}
		})
	})
}

// ParseCertificateRequest parses a TLS 1.0-1.2 CertificateRequest body; ctx
// says whether supported_signature_algorithms is present. Empty certificate
// types or signature algorithms, an odd-length algorithm list, an empty
// DistinguishedName and trailing bytes are decode_error.
func ParseCertificateRequest(body []byte, ctx Context) (*CertificateRequest, error) {
	s := cryptobyte.String(body)
	m := &CertificateRequest{HasSignatureSchemes: ctx.hasSignatureAlgorithms()}
	var types, cas cryptobyte.String
	// ClientCertificateType certificate_types<1..2^8-1>.
	if !s.ReadUint8LengthPrefixed(&types) || types.Empty() {
		return nil, decodeError("CertificateRequest certificate_types")
	}
	m.CertificateTypes = cloneBytes(types)
	if m.HasSignatureSchemes {
		schemes, ok := readSchemes(&s)
		if !ok {
			return nil, decodeError("CertificateRequest supported_signature_algorithms")
		}
		m.SignatureSchemes = schemes
	}
	// DistinguishedName certificate_authorities<0..2^16-1>.
	if !s.ReadUint16LengthPrefixed(&cas) || !s.Empty() {
		return nil, decodeError("CertificateRequest certificate_authorities")
	}
	for !cas.Empty() {
		var dn cryptobyte.String
		// opaque DistinguishedName<1..2^16-1>.
		if !cas.ReadUint16LengthPrefixed(&dn) || dn.Empty() {
			return nil, decodeError("CertificateRequest DistinguishedName")
		}
		m.CertificateAuthorities = append(m.CertificateAuthorities, cloneBytes(dn))
	}
	return m, nil
}
