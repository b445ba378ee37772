package wire

import "golang.org/x/crypto/cryptobyte"

// Certificate compression (RFC 8879): the compress_certificate extension
// and the CompressedCertificate message that replaces a TLS 1.3
// Certificate.

// TypeCompressedCertificate is the CompressedCertificate handshake type
// (RFC 8879 §4).
const TypeCompressedCertificate HandshakeType = 25

// Certificate compression algorithms (RFC 8879 §3, IANA).
const (
	CertCompressionZlib   uint16 = 1
	CertCompressionBrotli uint16 = 2
	CertCompressionZstd   uint16 = 3
)

// CompressCertificateExt is the compress_certificate extension: the
// algorithms the sender can decompress, in its order of preference, in a
// ClientHello or a TLS 1.3 CertificateRequest.
type CompressCertificateExt struct {
	Algorithms []uint16
}

// ExtType returns ExtCompressCertificate.
func (*CompressCertificateExt) ExtType() ExtensionType { return ExtCompressCertificate }

func (e *CompressCertificateExt) marshalBody(b *builder, _ HandshakeType) {
	if len(e.Algorithms) == 0 {
		b.SetError(errMarshal("compress_certificate with no algorithm"))
		return
	}
	b.AddUint8LengthPrefixed(func(b *builder) {
		for _, a := range e.Algorithms {
			b.AddUint16(a)
		}
	})
}

// parseCompressCertificate reads CertificateCompressionAlgorithm
// algorithms<2..2^8-2> (RFC 8879 §3): a non-empty list of 16-bit values.
func parseCompressCertificate(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	var list cryptobyte.String
	if !body.ReadUint8LengthPrefixed(&list) || !body.Empty() || list.Empty() || len(list)%2 != 0 {
		return nil, decodeError("compress_certificate")
	}
	e := &CompressCertificateExt{}
	for !list.Empty() {
		var a uint16
		list.ReadUint16(&a)
		e.Algorithms = append(e.Algorithms, a)
	}
	return e, nil
}

// CompressedCertificate carries a TLS 1.3 Certificate message's body
// compressed (RFC 8879 §4); the driver decompresses it, checks that the
// result is exactly UncompressedLength bytes, and parses that as the
// Certificate.
type CompressedCertificate struct {
	Algorithm          uint16
	UncompressedLength uint32 // uint24 on the wire
	Compressed         []byte // opaque compressed_certificate_message<1..2^24-1>
}

// Type returns TypeCompressedCertificate.
func (*CompressedCertificate) Type() HandshakeType { return TypeCompressedCertificate }

// Marshal returns the complete handshake message.
func (m *CompressedCertificate) Marshal() ([]byte, error) {
	return marshalHandshake(TypeCompressedCertificate, func(b *builder) {
		if len(m.Compressed) == 0 || m.UncompressedLength >= 1<<24 {
			b.SetError(errMarshal("CompressedCertificate with no data or a length over 2^24"))
			return
		}
		b.AddUint16(m.Algorithm)
		b.AddUint24(m.UncompressedLength)
		b.AddUint24LengthPrefixed(func(b *builder) { b.AddBytes(m.Compressed) })
	})
}

// ParseCompressedCertificate parses the body: algorithm, uint24
// uncompressed_length and the non-empty compressed bytes.
func ParseCompressedCertificate(body []byte) (*CompressedCertificate, error) {
	s := cryptobyte.String(body)
	m := &CompressedCertificate{}
	var data cryptobyte.String
	if !s.ReadUint16(&m.Algorithm) || !s.ReadUint24(&m.UncompressedLength) || !s.ReadUint24LengthPrefixed(&data) ||
		!s.Empty() || data.Empty() {
		return nil, decodeError("CompressedCertificate")
	}
	m.Compressed = cloneBytes(data)
	return m, nil
}
