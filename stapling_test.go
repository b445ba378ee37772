package clasp

import (
	"bytes"
	"crypto"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// A server staples its OCSP response and sends its SCTs to a client that
// asks (every clasp client does), in both versions; one that does not ask
// gets neither (RFC 6066 §8: the server answers a request; RFC 8446
// §4.4.2: certificate entry extensions answer the ClientHello).
func TestStaplingBetweenClaspPeers(t *testing.T) {
	p := testCerts(t)
	staple, scts := []byte("an OCSP response, opaque to TLS"), [][]byte{[]byte("sct")}
	for _, version := range []uint16{VersionTLS12, VersionTLS13} {
		t.Run(VersionName(version), func(t *testing.T) {
			cert := p.ecdsaLeaf
			cert.OCSPStaple, cert.SignedCertificateTimestamps = staple, scts
			client, server := testClientConfig(t), testServerConfig(t, cert)
			client.MaxVersion, server.MaxVersion = version, version
			res := testHandshake(t, client, server)
			res.mustSucceed(t)
			if !bytes.Equal(res.clientState.OCSPResponse, staple) || !bytes.Equal(res.client.OCSPResponse(), staple) {
				t.Errorf("OCSP response %q, want %q", res.clientState.OCSPResponse, staple)
			}
			if len(res.clientState.SignedCertificateTimestamps) != 1 || !bytes.Equal(res.clientState.SignedCertificateTimestamps[0], scts[0]) {
				t.Errorf("SCTs %q, want %q", res.clientState.SignedCertificateTimestamps, scts)
			}
			res = testHandshake(t, notAskingForStatus(client), server)
			res.mustSucceed(t)
			if res.clientState.OCSPResponse != nil || res.clientState.SignedCertificateTimestamps != nil {
				t.Errorf("a client that did not ask got %q and %q", res.clientState.OCSPResponse, res.clientState.SignedCertificateTimestamps)
			}
		})
	}
}

// RFC 6066 §8: "a server MAY also choose not to send a CertificateStatus
// message, even if has received a status_request extension in the client
// hello message and has sent a status_request extension in the server
// hello message". The client goes on to the ServerKeyExchange.
func TestClientAcceptsAPromisedCertificateStatusLeftOut(t *testing.T) {
	run, ch := clientVersusScript(t, nil)
	p := testCerts(t)
	sh := scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	sh.Extensions = append(sh.Extensions, &wire.StatusRequestExt{})
	ske := signedECDHE(t, ch, sh, suites.X25519, p.ecdsaLeaf.PrivateKey.(crypto.Signer), suites.ECDSAWithP256AndSHA256)
	run.peer.sendMessages(sh, &wire.Certificate{Certificates: p.ecdsaLeaf.Certificate}, ske, &wire.ServerHelloDone{})
	run.peer.ctx = wire.Context{Version: suites.VersionTLS12, KeyExchange: suites.KexECDHE}
	if msg := run.peer.readMessage(); msg.Type() != wire.TypeClientKeyExchange {
		t.Fatalf("client sent %v after a flight without CertificateStatus, want ClientKeyExchange", msg.Type())
	}
}

// RFC 6066 §8 defines only the ocsp status type. A request of another type
// (here 2, which RFC 6961 gave ocsp_multi in its own extension) is no
// request for an OCSP response: the server neither staples nor refuses
// the hello, as OpenSSL and crypto/tls ignore it. clasp answered
// decode_error when the body was not OCSP-shaped.
func TestServerIgnoresUnknownStatusType(t *testing.T) {
	cert := testCerts(t).ecdsaLeaf
	cert.OCSPStaple = []byte("an OCSP response, opaque to TLS")
	for _, body := range [][]byte{{9}, {0, 0, 0, 0}} {
		run := serverVersusScript(t, testServerConfig(t, cert))
		ch := scriptedClientHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
		ch.Extensions = append(ch.Extensions, &wire.StatusRequestExt{StatusType: 2, OtherRequest: body})
		run.peer.sendMessages(ch)
		run.peer.ctx = wire.Context{Version: suites.VersionTLS12, KeyExchange: suites.KexECDHE}
		for {
			msg := run.peer.readMessage()
			if sh, ok := msg.(*wire.ServerHello); ok && requested(sh.Extensions, wire.ExtStatusRequest) {
				t.Fatal("the server promised a CertificateStatus for status type 2")
			}
			if msg.Type() == wire.TypeCertificateStatus {
				t.Fatal("the server stapled for status type 2")
			}
			if msg.Type() == wire.TypeServerHelloDone {
				break
			}
		}
	}
}
