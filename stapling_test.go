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
