package clasp

import (
	"slices"

	"github.com/clasp-tls/clasp/internal/certcompress"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Certificate compression (RFC 8879), TLS 1.3: a client lists the
// algorithms it can decompress (Config.CertificateCompression); a server
// that shares one sends its Certificate as a CompressedCertificate, which
// the transcript keeps as sent. The client decompresses at most the
// length the message announces, itself bounded by MaxHandshakeSize.

// Certificate compression algorithms (RFC 8879 §3), for
// Config.CertificateCompression.
const (
	CertCompressionZlib   = certcompress.Zlib
	CertCompressionBrotli = certcompress.Brotli
	CertCompressionZstd   = certcompress.Zstd
)

// offerCertificateCompression is a TLS 1.3 client's compress_certificate.
func offerCertificateCompression(cfg *Config, offers13 bool) []wire.Extension {
	if !offers13 || len(cfg.CertificateCompression) == 0 || !cfg.listsExtension(wire.ExtCompressCertificate) {
		return nil
	}
	return []wire.Extension{&wire.CompressCertificateExt{Algorithms: cfg.CertificateCompression}}
}

// serverCompression is the algorithm a server compresses its certificate
// with for this hello: the first of its own (CertificateCompression, or
// brotli, zstd and zlib) that the client listed; 0 for none.
func serverCompression(cfg *Config, hello *wire.ClientHello) uint16 {
	ext, ok := wire.FindExtension[*wire.CompressCertificateExt](hello.Extensions)
	if !ok {
		return 0
	}
	ours := cfg.CertificateCompression
	if ours == nil {
		ours = certcompress.Supported
	}
	for _, alg := range ours {
		if slices.Contains(ext.Algorithms, alg) && slices.Contains(certcompress.Supported, alg) {
			return alg
		}
	}
	return 0
}

// compressCertificate turns a Certificate into the CompressedCertificate
// that replaces it.
func compressCertificate(msg *wire.Certificate13, alg uint16) (*wire.CompressedCertificate, error) {
	raw, err := msg.Marshal()
	if err != nil {
		return nil, err
	}
	body := raw[4:]
	compressed, err := certcompress.Compress(alg, body)
	if err != nil {
		return nil, err
	}
	return &wire.CompressedCertificate{Algorithm: alg, UncompressedLength: uint32(len(body)), Compressed: compressed}, nil
}

// decompressCertificate undoes a CompressedCertificate (RFC 8879 §4): an
// algorithm the client did not offer is illegal_parameter; a length over
// the handshake limit, a stream that does not decompress, or one of
// another length than announced is bad_certificate.
func (c *Conn) decompressCertificate(m *wire.CompressedCertificate, offered []wire.Extension) (*wire.Certificate13, error) {
	ext, ok := wire.FindExtension[*wire.CompressCertificateExt](offered)
	if !ok || !slices.Contains(ext.Algorithms, m.Algorithm) {
		return nil, wire.Errorf(wire.AlertIllegalParameter, "CompressedCertificate with %s, which was not offered", certcompress.Name(m.Algorithm))
	}
	if limit := c.config.maxHandshakeSize(); int(m.UncompressedLength) > limit {
		return nil, wire.Errorf(wire.AlertBadCertificate, "CompressedCertificate announces %d bytes, over the %d-byte handshake message limit", m.UncompressedLength, limit)
	}
	body, err := certcompress.Decompress(m.Algorithm, m.Compressed, int(m.UncompressedLength))
	if err != nil {
		return nil, wire.Errorf(wire.AlertBadCertificate, "CompressedCertificate (%s) does not decompress to its %d bytes: %v", certcompress.Name(m.Algorithm), m.UncompressedLength, err)
	}
	cert, err := wire.ParseCertificate13(body)
	if err != nil {
		return nil, err
	}
	return cert, nil
}
