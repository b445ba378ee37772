package clasp

import (
	"runtime"
	"sync"
	"testing"
	"time"
	"weak"

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

// RFC 8879 §4 against a scripted server: a CompressedCertificate to a
// client that offered no compression is unexpected_message (see the
// server's test for why); an algorithm the client did not offer is
// illegal_parameter; data that does not decompress to the
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
		"none offered":   {&wire.CompressedCertificate{Algorithm: certcompress.Zlib, UncompressedLength: uint32(len(body)), Compressed: zlibbed}, wire.AlertUnexpectedMessage},
		"not offered":    {&wire.CompressedCertificate{Algorithm: certcompress.Brotli, UncompressedLength: uint32(len(body)), Compressed: zlibbed}, wire.AlertIllegalParameter},
		"length too big": {&wire.CompressedCertificate{Algorithm: certcompress.Zlib, UncompressedLength: uint32(len(body) + 1), Compressed: zlibbed}, wire.AlertBadCertificate},
		"length small":   {&wire.CompressedCertificate{Algorithm: certcompress.Zlib, UncompressedLength: uint32(len(body) - 1), Compressed: zlibbed}, wire.AlertBadCertificate},
		"bomb":           {&wire.CompressedCertificate{Algorithm: certcompress.Zlib, UncompressedLength: 4 << 20, Compressed: bomb}, wire.AlertBadCertificate},
		"not zlib":       {&wire.CompressedCertificate{Algorithm: certcompress.Zlib, UncompressedLength: 100, Compressed: []byte("plain")}, wire.AlertBadCertificate},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testClientConfig13(t)
			if name != "none offered" {
				cfg.CertificateCompression = []uint16{certcompress.Zlib}
			}
			run, p, _ := clientAfterHello13(t, cfg)
			p.send(&wire.EncryptedExtensions{}, tc.msg)
			p.flush()
			p.expectAlert(tc.alert)
			wantClaspFailure(t, run.wait(), "read server Certificate", tc.alert)
		})
	}
}

// compressedSpy is a server Tracer that keeps every CompressedCertificate
// the server sends.
func compressedSpy(sent *[]*wire.CompressedCertificate) trace.Tracer {
	var mu sync.Mutex
	return messageSpy(func(m wire.Message) {
		if cc, ok := m.(*wire.CompressedCertificate); ok {
			mu.Lock()
			*sent = append(*sent, cc)
			mu.Unlock()
		}
	})
}

// The server compresses a certificate once per algorithm and body and then
// sends the cached form; a Certificate changed in place (a fresh OCSP
// staple) is compressed again, never served stale.
func TestCertificateCompressionIsCached(t *testing.T) {
	p := testCerts(t)
	cert := p.ecdsaLeaf
	cert.OCSPStaple = []byte("first staple")
	var sent []*wire.CompressedCertificate
	server := testServerConfig13(t, cert)
	server.Tracer = compressedSpy(&sent)
	client := testClientConfig13(t)
	client.CertificateCompression = []uint16{CertCompressionBrotli}
	for range 3 {
		testHandshake(t, client, server).mustSucceed(t)
	}
	if len(sent) != 3 {
		t.Fatalf("%d CompressedCertificates, want 3", len(sent))
	}
	if &sent[1].Compressed[0] != &sent[0].Compressed[0] || &sent[2].Compressed[0] != &sent[0].Compressed[0] {
		t.Errorf("the second and third handshakes compressed the certificate again instead of using the cached form")
	}
	server.Certificates[0].OCSPStaple = []byte("second staple")
	res := testHandshake(t, client, server)
	res.mustSucceed(t)
	if string(res.clientState.OCSPResponse) != "second staple" {
		t.Errorf("after the staple changed the client got %q, want the new one", res.clientState.OCSPResponse)
	}
	if &sent[3].Compressed[0] == &sent[0].Compressed[0] {
		t.Errorf("the changed certificate was sent in its old compressed form")
	}
	// Another algorithm is a separate entry, not the brotli bytes.
	client.CertificateCompression = []uint16{CertCompressionZstd}
	testHandshake(t, client, server).mustSucceed(t)
	if last := sent[len(sent)-1]; last.Algorithm != CertCompressionZstd || &last.Compressed[0] == &sent[3].Compressed[0] {
		t.Errorf("zstd handshake sent %s bytes shared with brotli's", certcompress.Name(last.Algorithm))
	}
}

// Concurrent handshakes share the cache safely (run with -race).
func TestCertificateCompressionCacheConcurrent(t *testing.T) {
	server := testServerConfig13(t)
	var sent []*wire.CompressedCertificate
	server.Tracer = compressedSpy(&sent)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			client := testClientConfig13(t)
			client.CertificateCompression = []uint16{certcompress.Supported[i%len(certcompress.Supported)]}
			res := testHandshake(t, client, server)
			if res.clientErr != nil || res.serverErr != nil || len(res.clientState.VerifiedChains) == 0 {
				t.Errorf("handshake %d: client %v, server %v", i, res.clientErr, res.serverErr)
			}
		})
	}
	wg.Wait()
}

// A certificate that GetCertificate made for one connection leaves the
// cache when it is collected: the cache holds it weakly.
func TestCertificateCompressionCacheForgetsCollectedCertificates(t *testing.T) {
	p := testCerts(t)
	var keys []weak.Pointer[Certificate]
	// Held until the first check: a garbage collection between a
	// handshake and that check would rightly empty the cache already.
	var held []*Certificate
	server := testServerConfig13(t)
	server.GetCertificate = func(*ClientHelloInfo) (*Certificate, error) {
		cert := p.ecdsaLeaf // a fresh copy for every handshake
		keys = append(keys, weak.Make(&cert))
		held = append(held, &cert)
		return &cert, nil
	}
	client := testClientConfig13(t)
	client.CertificateCompression = []uint16{CertCompressionZlib}
	for range 3 {
		testHandshake(t, client, server).mustSucceed(t)
	}
	for _, k := range keys {
		if _, ok := compressedCertificates.Load(k); !ok {
			t.Fatal("a compressed certificate was not cached")
		}
	}
	held = nil
	deadline := time.Now().Add(10 * time.Second)
	for remaining := len(keys); remaining > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d collected certificates still in the cache", remaining, len(keys))
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		remaining = 0
		for _, k := range keys {
			if _, ok := compressedCertificates.Load(k); ok {
				remaining++
			}
		}
	}
}
