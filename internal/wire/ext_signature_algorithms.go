package wire

import (
	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// signature_algorithms (RFC 5246 §7.4.1.4.1, RFC 8446 §4.2.3).

// SignatureAlgorithmsExt is the signature_algorithms extension: the schemes
// the sender accepts, in preference order. Unknown schemes are kept.
type SignatureAlgorithmsExt struct {
	Schemes []suites.SignatureScheme
}

// ExtType returns ExtSignatureAlgorithms.
func (*SignatureAlgorithmsExt) ExtType() ExtensionType { return ExtSignatureAlgorithms }

func (e *SignatureAlgorithmsExt) marshalBody(b *builder, _ HandshakeType) {
	if e == nil {
		b.SetError(errMarshal("nil signature_algorithms"))
		return
	}
	addSchemes(b, e.Schemes)
}

func parseSignatureAlgorithms(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	schemes, ok := readSchemes(&body)
	if !ok || !body.Empty() {
		return nil, decodeError("signature_algorithms")
	}
	return &SignatureAlgorithmsExt{Schemes: schemes}, nil
}

// readSchemes reads a SignatureScheme list<2..2^16-2>, the shape shared by
// signature_algorithms and CertificateRequest.
func readSchemes(s *cryptobyte.String) ([]suites.SignatureScheme, bool) {
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || list.Empty() {
		return nil, false
	}
	var out []suites.SignatureScheme
	for !list.Empty() {
		var v uint16
		if !list.ReadUint16(&v) {
			return nil, false
		}
		out = append(out, suites.SignatureScheme(v))
	}
	return out, true
}

// addSchemes writes a SignatureScheme list<2..2^16-2>.
func addSchemes(b *builder, schemes []suites.SignatureScheme) {
	if len(schemes) == 0 {
		b.SetError(errMarshal("empty signature scheme list"))
		return
	}
	b.AddUint16LengthPrefixed(func(b *builder) {
		for _, s := range schemes {
			b.AddUint16(uint16(s))
		}
	})
}
