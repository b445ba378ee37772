package clasp

import (
	"bytes"
	"runtime"
	"slices"
	"sync"
	"weak"

	"github.com/clasp-tls/clasp/internal/certcompress"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Certificate compression (RFC 8879), TLS 1.3, both directions: a client
// lists the algorithms it can decompress in its ClientHello, a server in
// its CertificateRequest (both from Config.CertificateCompression); the
// peer that shares one sends its Certificate as a CompressedCertificate,
// which the transcript keeps as sent. The receiver decompresses at most
// the length the message announces, itself bounded by MaxHandshakeSize.

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

// certificateRequestCompression is a server's compress_certificate for
// its CertificateRequest (RFC 8879 §3): only when CertificateCompression
// is set, so that a default server's request stays as crypto/tls's.
func certificateRequestCompression(cfg *Config) []wire.Extension {
	if len(cfg.CertificateCompression) == 0 {
		return nil
	}
	return []wire.Extension{&wire.CompressCertificateExt{Algorithms: cfg.CertificateCompression}}
}

// chooseCompression is the algorithm to compress this side's Certificate
// with, given the peer's message that may carry compress_certificate (a
// ClientHello for a server, a CertificateRequest for a client): the first
// of this side's own (CertificateCompression, or brotli, zstd and zlib)
// that the peer listed; 0 for none.
func chooseCompression(cfg *Config, peerExtensions []wire.Extension) uint16 {
	ext, ok := wire.FindExtension[*wire.CompressCertificateExt](peerExtensions)
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

// maybeCompress is msg, or its CompressedCertificate when the peer asked
// for an algorithm this side has. An empty Certificate (a client without
// one) is sent as it is.
func maybeCompress(cfg *Config, msg *wire.Certificate13, cert *Certificate, peerExtensions []wire.Extension) (wire.Message, error) {
	if len(msg.Entries) == 0 {
		return msg, nil
	}
	alg := chooseCompression(cfg, peerExtensions)
	if alg == 0 {
		return msg, nil
	}
	return compressCertificate(msg, alg, cert)
}

// compressCertificate turns a Certificate into the CompressedCertificate
// that replaces it. cert is the Certificate the message was built from;
// when it is not nil the compressed form is cached for it (see
// compressedCertificates), since compressing costs more than the rest of
// a TLS 1.3 handshake (brotli: about 2 ms for a 3 KB chain).
func compressCertificate(msg *wire.Certificate13, alg uint16, cert *Certificate) (*wire.CompressedCertificate, error) {
	raw, err := msg.Marshal()
	if err != nil {
		return nil, err
	}
	body := raw[4:]
	if cached := cachedCompression(cert, alg, body); cached != nil {
		return &wire.CompressedCertificate{Algorithm: alg, UncompressedLength: uint32(len(body)), Compressed: cached}, nil
	}
	compressed, err := certcompress.Compress(alg, body)
	if err != nil {
		return nil, err
	}
	storeCompression(cert, alg, body, compressed)
	return &wire.CompressedCertificate{Algorithm: alg, UncompressedLength: uint32(len(body)), Compressed: compressed}, nil
}

// compressedCertificates maps a weak.Pointer to a server's *Certificate to
// its *compressionCache. The key is weak and a cleanup deletes the entry,
// so a certificate that GetCertificate made for one connection does not
// stay in memory because it was once compressed.
var compressedCertificates sync.Map

// maxCompressedVariants bounds the forms kept per certificate. The body
// compressed depends on the algorithm and on what the client asked for in
// the leaf's entry (an OCSP staple, SCTs): three algorithms times a few
// such variants.
const maxCompressedVariants = 8

// compressionCache holds a certificate's compressed forms. Each is kept
// with the exact body it was compressed from and is used only for the same
// body, so a Certificate changed in place (a new staple, a new chain) is
// compressed again rather than served stale.
type compressionCache struct {
	mu       sync.Mutex
	variants []compressedVariant // oldest first
}

type compressedVariant struct {
	alg        uint16
	body       []byte
	compressed []byte // shared by every connection; never modified
}

func cachedCompression(cert *Certificate, alg uint16, body []byte) []byte {
	if cert == nil {
		return nil
	}
	v, ok := compressedCertificates.Load(weak.Make(cert))
	if !ok {
		return nil
	}
	cache := v.(*compressionCache)
	cache.mu.Lock()
	defer cache.mu.Unlock()
	for _, cv := range cache.variants {
		if cv.alg == alg && bytes.Equal(cv.body, body) {
			return cv.compressed
		}
	}
	return nil
}

func storeCompression(cert *Certificate, alg uint16, body, compressed []byte) {
	if cert == nil {
		return
	}
	key := weak.Make(cert)
	v, loaded := compressedCertificates.LoadOrStore(key, &compressionCache{})
	if !loaded {
		runtime.AddCleanup(cert, func(k weak.Pointer[Certificate]) { compressedCertificates.Delete(k) }, key)
	}
	cache := v.(*compressionCache)
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if len(cache.variants) == maxCompressedVariants {
		cache.variants = slices.Delete(cache.variants, 0, 1)
	}
	cache.variants = append(cache.variants, compressedVariant{alg: alg, body: slices.Clone(body), compressed: compressed})
}

// decompressCertificate undoes a CompressedCertificate (RFC 8879 §4);
// offered is this side's message that listed the algorithms (its
// ClientHello, or its CertificateRequest). A CompressedCertificate when
// this side offered no compression is unexpected_message, as for any
// message that was not negotiated; an algorithm it did not offer is
// illegal_parameter (§4: "MUST be one of the algorithms listed"); a length
// over the handshake limit, a stream that does not decompress, or one of
// another length than announced is bad_certificate.
func (c *Conn) decompressCertificate(m *wire.CompressedCertificate, offered []wire.Extension) (*wire.Certificate13, error) {
	ext, ok := wire.FindExtension[*wire.CompressCertificateExt](offered)
	if !ok {
		return nil, wire.Errorf(wire.AlertUnexpectedMessage, "CompressedCertificate, but this side offered no certificate compression")
	}
	if !slices.Contains(ext.Algorithms, m.Algorithm) {
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
