package clasp

import (
	"sync"
	"testing"

	"github.com/clasp-tls/clasp/internal/certcompress"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Client certificate compression (RFC 8879 §3: "This extension MAY be
// included in the CertificateRequest message"): a server with
// CertificateCompression set lists its algorithms in CertificateRequest,
// and the client answers with a CompressedCertificate that the server
// decompresses and verifies, for every algorithm, in the handshake and
// after it (post-handshake authentication).
func TestClientCertificateCompressionEachAlgorithm(t *testing.T) {
	p := testCerts(t)
	for _, alg := range certcompress.Supported {
		for _, after := range []bool{false, true} {
			name := certcompress.Name(alg)
			if after {
				name += "/post-handshake"
			}
			t.Run(name, func(t *testing.T) {
				var sent []*wire.CompressedCertificate
				client, server := testClientConfig13(t), testServerConfig13(t)
				client.Certificates = []Certificate{p.clientECDSA}
				client.Tracer = compressedSpy(&sent)
				server.ClientCAs = p.caPool
				server.CertificateCompression = []uint16{alg}
				var st ConnectionState
				if after {
					st = postHandshakeAuth(t, client, server)
				} else {
					server.ClientAuth = RequireAndVerifyClientCert
					res := testHandshake(t, client, server)
					res.mustSucceed(t)
					res.exchange(t)
					st = res.serverState
				}
				if len(sent) != 1 || sent[0].Algorithm != alg {
					t.Fatalf("the client sent %d CompressedCertificates (%v), want one with %s", len(sent), sent, name)
				}
				if len(st.PeerCertificates) == 0 || len(st.VerifiedChains) == 0 {
					t.Errorf("the server has no verified chain from the compressed client certificate")
				}
			})
		}
	}
}

// A default server does not ask for compression (its CertificateRequest
// stays as crypto/tls's), and a client whose own list shares no algorithm
// with the server's sends a plain Certificate; so does a client without a
// certificate, whose empty Certificate is not worth compressing.
func TestClientCertificateCompressionOnlyWhenShared(t *testing.T) {
	p := testCerts(t)
	for _, tc := range []struct {
		name           string
		server, client []uint16
		cert           bool
	}{
		{"server asks for none", nil, nil, true},
		{"no common algorithm", []uint16{CertCompressionBrotli}, []uint16{CertCompressionZstd}, true},
		{"no client certificate", []uint16{CertCompressionZlib}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sent []*wire.CompressedCertificate
			var request *wire.CertificateRequest13
			var mu sync.Mutex
			client, server := testClientConfig13(t), testServerConfig13(t)
			if tc.cert {
				client.Certificates = []Certificate{p.clientECDSA}
			}
			client.CertificateCompression = tc.client
			client.Tracer = compressedSpy(&sent)
			server.ClientAuth, server.ClientCAs = VerifyClientCertIfGiven, p.caPool
			server.CertificateCompression = tc.server
			server.Tracer = messageSpy(func(m wire.Message) {
				if cr, ok := m.(*wire.CertificateRequest13); ok {
					mu.Lock()
					request = cr
					mu.Unlock()
				}
			})
			res := testHandshake(t, client, server)
			res.mustSucceed(t)
			if len(sent) != 0 {
				t.Errorf("the client sent a CompressedCertificate")
			}
			if _, asked := wire.FindExtension[*wire.CompressCertificateExt](request.Extensions); asked != (tc.server != nil) {
				t.Errorf("CertificateRequest carries compress_certificate: %v, want %v", asked, tc.server != nil)
			}
			if got := len(res.serverState.PeerCertificates) > 0; got != tc.cert {
				t.Errorf("the server has a client certificate: %v, want %v", got, tc.cert)
			}
		})
	}
}

// RFC 8879 §4 on the server, against a scripted client: a
// CompressedCertificate when the server's CertificateRequest offered no
// compression is unexpected_message (a message that was not negotiated;
// the RFC names no alert for it, and this is what the tlsfuzzer
// expectations quoted in GnuTLS issue #1440 ask for);
// an algorithm the server did not list is illegal_parameter ("MUST be one
// of the algorithms listed in the peer's compress_certificate
// extension"); data that does not decompress to the announced length, or
// announces more than the handshake message limit, is bad_certificate
// ("If the received CompressedCertificate message cannot be decompressed,
// the connection MUST be terminated with the bad_certificate alert").
func TestServerRejectsBadCompressedClientCertificates(t *testing.T) {
	body, err := certificate13(testCerts(t).clientECDSA).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	body = body[4:]
	zlibbed, _ := certcompress.Compress(certcompress.Zlib, body)
	bomb, _ := certcompress.Compress(certcompress.Zlib, make([]byte, 4<<20))
	for _, tc := range []struct {
		name   string
		offers []uint16
		msg    *wire.CompressedCertificate
		alert  wire.AlertDescription
	}{
		{"none offered", nil, &wire.CompressedCertificate{Algorithm: certcompress.Zlib, UncompressedLength: uint32(len(body)), Compressed: zlibbed}, wire.AlertUnexpectedMessage},
		{"algorithm not offered", []uint16{certcompress.Brotli}, &wire.CompressedCertificate{Algorithm: certcompress.Zlib, UncompressedLength: uint32(len(body)), Compressed: zlibbed}, wire.AlertIllegalParameter},
		{"length too big", []uint16{certcompress.Zlib}, &wire.CompressedCertificate{Algorithm: certcompress.Zlib, UncompressedLength: uint32(len(body) + 1), Compressed: zlibbed}, wire.AlertBadCertificate},
		{"bomb", []uint16{certcompress.Zlib}, &wire.CompressedCertificate{Algorithm: certcompress.Zlib, UncompressedLength: 4 << 20, Compressed: bomb}, wire.AlertBadCertificate},
		{"not zlib", []uint16{certcompress.Zlib}, &wire.CompressedCertificate{Algorithm: certcompress.Zlib, UncompressedLength: 100, Compressed: []byte("plain")}, wire.AlertBadCertificate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testServerConfig13(t)
			cfg.ClientAuth, cfg.ClientCAs = RequireAnyClientCert, testCerts(t).caPool
			cfg.CertificateCompression = tc.offers
			run, p := startServer13(t, cfg)
			ch, privs := clientHello13(t, []suites.Group{suites.X25519}, suites.X25519)
			p.send(ch)
			p.flush()
			p.readServerFlight(privs[suites.X25519], nil)
			// The server writes under its application keys once its
			// Finished is out; the client's flight goes under handshake keys.
			p.setKeys(p.sAP, p.cHS)
			p.send(tc.msg)
			p.flush()
			p.expectAlert(tc.alert)
			wantClaspFailure(t, run.wait(), "read client Certificate and CertificateVerify", tc.alert)
		})
	}
}
