package clasp

import (
	"testing"

	"github.com/clasp-tls/clasp/internal/certcompress"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// RFC 8879 between clasp peers with each algorithm: the server sends a
// CompressedCertificate the client decompresses and verifies.
func TestCertificateCompressionEachAlgorithm(t *testing.T) {
	for _, alg := range certcompress.Supported {
		t.Run(certcompress.Name(alg), func(t *testing.T) {
			var sent wire.Message
			client, server := testClientConfig13(t), testServerConfig13(t)
			client.CertificateCompression = []uint16{alg}
			server.Tracer = messageSpy(func(m wire.Message) {
				if _, ok := m.(*wire.CompressedCertificate); ok {
					sent = m
				}
			})
			res := testHandshake(t, client, server)
			res.mustSucceed(t)
			res.exchange(t)
			cc, ok := sent.(*wire.CompressedCertificate)
			if !ok || cc.Algorithm != alg {
				t.Fatalf("server sent %#v, want a CompressedCertificate with %s", sent, certcompress.Name(alg))
			}
			if len(res.clientState.PeerCertificates) == 0 || len(res.clientState.VerifiedChains) == 0 {
				t.Errorf("the client has no verified chain from the compressed certificate")
			}
		})
	}
}

// A client that offers nothing gets a plain Certificate.
func TestCertificateCompressionOnlyWhenOffered(t *testing.T) {
	var compressed bool
	server := testServerConfig13(t)
	server.Tracer = messageSpy(func(m wire.Message) { _, compressed = m.(*wire.CompressedCertificate) })
	res := testHandshake(t, testClientConfig13(t), server)
	res.mustSucceed(t)
	if compressed {
		t.Error("a CompressedCertificate to a client that offered no algorithm")
	}
}

// messageSpy is a Tracer that hands every message the side sends or
// receives to f.
func messageSpy(f func(wire.Message)) trace.Tracer {
	return trace.TracerFunc(func(e trace.Event) {
		if m, ok := e.(*trace.Message); ok && m.Parsed != nil {
			if msg, ok := m.Parsed.(wire.Message); ok {
				f(msg)
			}
		}
	})
}

// RFC 8879 §4 against a scripted server: an algorithm the client did not
// offer is illegal_parameter; data that does not decompress to the
// announced length, or announces more than the handshake message limit (a
// decompression bomb), is bad_certificate.
func TestClientRejectsBadCompressedCertificates(t *testing.T) {
	leaf := testCerts(t).ecdsaLeaf
	body, err := certificate13(leaf).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	body = body[4:]
	zlibbed, _ := certcompress.Compress(certcompress.Zlib, body)
	bomb, _ := certcompress.Compress(certcompress.Zlib, make([]byte, 4<<20))
	for name, tc := range map[string]struct {
		msg   *wire.CompressedCertificate
		alert wire.AlertDescription
	}{
		"not offered":    {&wire.CompressedCertificate{Algorithm: certcompress.Brotli, UncompressedLength: uint32(len(body)), Compressed: zlibbed}, wire.AlertIllegalParameter},
		"length too big": {&wire.CompressedCertificate{Algorithm: certcompress.Zlib, UncompressedLength: uint32(len(body) + 1), Compressed: zlibbed}, wire.AlertBadCertificate},
		"length small":   {&wire.CompressedCertificate{Algorithm: certcompress.Zlib, UncompressedLength: uint32(len(body) - 1), Compressed: zlibbed}, wire.AlertBadCertificate},
		"bomb":           {&wire.CompressedCertificate{Algorithm: certcompress.Zlib, UncompressedLength: 4 << 20, Compressed: bomb}, wire.AlertBadCertificate},
		"not zlib":       {&wire.CompressedCertificate{Algorithm: certcompress.Zlib, UncompressedLength: 100, Compressed: []byte("plain")}, wire.AlertBadCertificate},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testClientConfig13(t)
			cfg.CertificateCompression = []uint16{certcompress.Zlib}
			run, p, _ := clientAfterHello13(t, cfg)
			p.send(&wire.EncryptedExtensions{}, tc.msg)
			p.flush()
			p.expectAlert(tc.alert)
			wantClaspFailure(t, run.wait(), "read server Certificate", tc.alert)
		})
	}
}
