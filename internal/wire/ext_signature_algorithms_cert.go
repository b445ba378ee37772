package wire

import (
	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// signature_algorithms_cert (RFC 8446 §4.2.3).

// SignatureAlgorithmsCertExt is the signature_algorithms_cert extension: the
// schemes the sender accepts in certificate signatures, when they differ
// from those it accepts in CertificateVerify (signature_algorithms). Unknown
// schemes are kept.
type SignatureAlgorithmsCertExt struct {
	Schemes []suites.SignatureScheme
}

// ExtType returns ExtSignatureAlgorithmsCert.
func (*SignatureAlgorithmsCertExt) ExtType() ExtensionType { return ExtSignatureAlgorithmsCert }

func (e *SignatureAlgorithmsCertExt) marshalBody(b *builder, _ HandshakeType) {
	if e == nil {
		b.SetError(errMarshal("nil signature_algorithms_cert"))
		return
	}
	addSchemes(b, e.Schemes)
}

func parseSignatureAlgorithmsCert(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	// Same shape as signature_algorithms: SignatureScheme
	// supported_signature_algorithms<2..2^16-2>.
	schemes, ok := readSchemes(&body)
	if !ok || !body.Empty() {
		return nil, decodeError("signature_algorithms_cert")
	}
	return &SignatureAlgorithmsCertExt{Schemes: schemes}, nil
}
