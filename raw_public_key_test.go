package clasp

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
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

// The TLS 1.3 encoding of a raw public key, byte by byte (RFC 7250 §3
// with RFC 8446 §4.4.2): the Certificate has an empty request context and
// one CertificateEntry whose cert_data is the SubjectPublicKeyInfo alone,
// with no extensions; EncryptedExtensions answers server_certificate_type
// (20) with raw public key (2). Read from the plaintext messages the
// server's tracer sees, since TLS 1.3 encrypts both.
func TestRawPublicKeyEncodingTLS13(t *testing.T) {
	p := testCerts(t)
	spki := spkiOf(t, p.ecdsaLeaf)
	client, server := testClientConfig13(t), testServerConfig13(t, p.ecdsaLeaf)
	client.VerifyRawPublicKey = func([]byte) error { return nil }
	server.RawPublicKey = true
	sent := map[wire.HandshakeType][]byte{}
	server.Tracer = trace.TracerFunc(func(e trace.Event) {
		if m, ok := e.(*trace.Message); ok && m.Direction == trace.Sent && m.ContentType == uint8(wire.ContentHandshake) {
			sent[wire.HandshakeType(m.HandshakeType)] = bytes.Clone(m.Raw)
		}
	})
	testHandshake(t, client, server).mustSucceed(t)
	n := len(spki)
	u24 := func(v int) []byte { return []byte{byte(v >> 16), byte(v >> 8), byte(v)} }
	want := []byte{11}
	want = append(want, u24(1+3+3+n+2)...) // context, list length, entry
	want = append(want, 0)                 // certificate_request_context<0..2^8-1>: empty
	want = append(want, u24(3+n+2)...)     // certificate_list<0..2^24-1>
	want = append(want, u24(n)...)         // cert_data<1..2^24-1>: the SPKI
	want = append(want, spki...)
	want = append(want, 0, 0) // extensions<0..2^16-1>: none
	if got := sent[wire.TypeCertificate]; !bytes.Equal(got, want) {
		t.Errorf("Certificate\n got %x\nwant %x", got, want)
	}
	if !bytes.Contains(sent[wire.TypeEncryptedExtensions], []byte{0, 20, 0, 1, 2}) {
		t.Errorf("EncryptedExtensions %x lacks server_certificate_type = raw public key", sent[wire.TypeEncryptedExtensions])
	}
}
