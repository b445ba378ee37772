package clasp

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/clasp-tls/clasp/internal/wire"
)

func spkiOf(t *testing.T, cert Certificate) []byte {
	t.Helper()
	spki, err := x509.MarshalPKIXPublicKey(cert.PrivateKey.(crypto.Signer).Public())
	if err != nil {
		t.Fatal(err)
	}
	return spki
}

// RFC 7250 in TLS 1.3: a client that pins the server's key asks for it
// alone and gets it, checked by VerifyRawPublicKey, with no chain.
func TestRawPublicKeyServer(t *testing.T) {
	p := testCerts(t)
	want := spkiOf(t, p.ecdsaLeaf)
	client, server := testClientConfig13(t), testServerConfig13(t, p.ecdsaLeaf)
	client.VerifyRawPublicKey = func(spki []byte) error {
		if !bytes.Equal(spki, want) {
			return errors.New("not the pinned key")
		}
		return nil
	}
	server.RawPublicKey = true
	res := testHandshake(t, client, server)
	res.mustSucceed(t)
	res.exchange(t)
	if !bytes.Equal(res.clientState.PeerRawPublicKey, want) || len(res.clientState.PeerCertificates) != 0 {
		t.Errorf("raw key %x, %d certificates", res.clientState.PeerRawPublicKey, len(res.clientState.PeerCertificates))
	}

	// A client pinning another key refuses with bad_certificate.
	other := spkiOf(t, p.rsaLeaf)
	client.VerifyRawPublicKey = func(spki []byte) error {
		if !bytes.Equal(spki, other) {
			return errors.New("not the pinned key")
		}
		return nil
	}
	res = testHandshake(t, client, server)
	wantSentAlert(t, "client", res.clientErr, wire.AlertBadCertificate)
}

// The raw key is only for clients that ask: one that does not gets the
// chain; a server without RawPublicKey answers X.509 to one that asks.
func TestRawPublicKeyOnlyWhenBothWant(t *testing.T) {
	p := testCerts(t)
	server := testServerConfig13(t, p.ecdsaLeaf)
	server.RawPublicKey = true
	res := testHandshake(t, testClientConfig13(t), server)
	res.mustSucceed(t)
	if len(res.clientState.PeerCertificates) == 0 || res.clientState.PeerRawPublicKey != nil {
		t.Errorf("a client that did not ask got a raw key")
	}
	client := testClientConfig13(t)
	client.VerifyRawPublicKey = func([]byte) error { return errors.New("must not be called") }
	res = testHandshake(t, client, testServerConfig13(t, p.ecdsaLeaf))
	res.mustSucceed(t)
	if len(res.clientState.VerifiedChains) == 0 {
		t.Errorf("X.509 from a server without raw keys was not verified")
	}
}

// RFC 7250 client authentication in TLS 1.3: a client with RawPublicKey
// sends its key alone to a server that checks keys (VerifyRawPublicKey).
func TestRawPublicKeyClient(t *testing.T) {
	p := testCerts(t)
	want := spkiOf(t, p.clientECDSA)
	client, server := testClientConfig13(t), testServerConfig13(t)
	client.Certificates, client.RawPublicKey = []Certificate{p.clientECDSA}, true
	server.ClientAuth = RequireAnyClientCert
	server.VerifyRawPublicKey = func(spki []byte) error {
		if !bytes.Equal(spki, want) {
			return errors.New("unknown device key")
		}
		return nil
	}
	res := testHandshake(t, client, server)
	res.mustSucceed(t)
	res.exchange(t)
	if !bytes.Equal(res.serverState.PeerRawPublicKey, want) || len(res.serverState.PeerCertificates) != 0 {
		t.Errorf("server saw raw key %x and %d certificates", res.serverState.PeerRawPublicKey, len(res.serverState.PeerCertificates))
	}
	server.VerifyRawPublicKey = func([]byte) error { return errors.New("unknown device key") }
	serverErr, clientErr := refusedByServer(t, client, server)
	wantSentAlert(t, "server", serverErr, wire.AlertBadCertificate)
	wantReceivedAlert(t, "client", clientErr, wire.AlertBadCertificate)
}
