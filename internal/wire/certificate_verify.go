package wire

import (
	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// DigitallySigned is a signature as it appears in ServerKeyExchange and
// CertificateVerify (RFC 5246 §4.7).
type DigitallySigned struct {
	// HasScheme is true for TLS 1.2 and later, where the signature is
	// preceded by its SignatureAndHashAlgorithm; TLS 1.0/1.1 signatures
	// have no such field (the algorithm follows from the key).
	HasScheme bool
	Scheme    suites.SignatureScheme
	// Signature is opaque signature<0..2^16-1>; nil when empty. An empty
	// signature is well formed and fails verification (decrypt_error).
	Signature []byte
}

// readDigitallySigned reads a DigitallySigned; hasScheme comes from the
// negotiated version because the bytes cannot tell.
func readDigitallySigned(s *cryptobyte.String, hasScheme bool) (DigitallySigned, bool) {
	d := DigitallySigned{HasScheme: hasScheme}
	if hasScheme {
		var scheme uint16
		if !s.ReadUint16(&scheme) {
			return d, false
		}
		d.Scheme = suites.SignatureScheme(scheme)
	}
	var sig cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&sig) {
		return d, false
	}
	d.Signature = cloneBytes(sig)
	return d, true
}

// add appends the DigitallySigned.
func (d *DigitallySigned) add(b *builder) {
	if d.HasScheme {
		b.AddUint16(uint16(d.Scheme))
	} else if d.Scheme != 0 {
		b.SetError(errMarshal("signature scheme set without HasScheme"))
		return
	}
	b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(d.Signature) })
}

// CertificateVerify proves that the client holds its certificate's key
// (RFC 5246 §7.4.8). TLS 1.3 (RFC 8446 §4.4.3) uses the same shape.
type CertificateVerify struct {
	Signature DigitallySigned
}

// Type returns TypeCertificateVerify.
func (*CertificateVerify) Type() HandshakeType { return TypeCertificateVerify }

// Marshal returns the complete handshake message.
func (m *CertificateVerify) Marshal() ([]byte, error) {
	return marshalHandshake(TypeCertificateVerify, m.Signature.add)
}

// ParseCertificateVerify parses a CertificateVerify body; ctx.Version says
// whether the signature scheme field is present.
func ParseCertificateVerify(body []byte, ctx Context) (*CertificateVerify, error) {
	s := cryptobyte.String(body)
	sig, ok := readDigitallySigned(&s, ctx.hasSignatureAlgorithms())
	if !ok || !s.Empty() {
		return nil, decodeError("CertificateVerify")
	}
	return &CertificateVerify{Signature: sig}, nil
}
