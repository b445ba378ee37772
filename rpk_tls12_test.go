package clasp

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// RFC 7250 in TLS 1.2: a client that pins the server's key gets it alone
// in the Certificate, checked by VerifyRawPublicKey, and the
// ServerKeyExchange signature verifies under it; a key not pinned is
// refused with bad_certificate.
func TestRawPublicKeyServerTLS12(t *testing.T) {
	p := testCerts(t)
	want := spkiOf(t, p.ecdsaLeaf)
	client, server := testClientConfig(t), testServerConfig(t, p.ecdsaLeaf)
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
	if !bytes.Equal(res.clientState.PeerRawPublicKey, want) || len(res.clientState.PeerCertificates) != 0 || res.clientState.Version != VersionTLS12 {
		t.Errorf("raw key %x, %d certificates, %s", res.clientState.PeerRawPublicKey, len(res.clientState.PeerCertificates), VersionName(res.clientState.Version))
	}
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

// The TLS 1.2 Certificate of the raw type is RFC 7250 §3's
// ASN.1_subjectPublicKeyInfo<1..2^24-1> alone, byte for byte: type 11, a
// 3-byte message length, a 3-byte key length, the DER SubjectPublicKeyInfo
// (no certificate_list around it), and the ServerHello answered
// server_certificate_type with the single raw type (2).
func TestRawPublicKeyTLS12Encoding(t *testing.T) {
	p := testCerts(t)
	spki := spkiOf(t, p.ecdsaLeaf)
	client, server := testClientConfig(t), testServerConfig(t, p.ecdsaLeaf)
	client.VerifyRawPublicKey = func([]byte) error { return nil }
	server.RawPublicKey = true
	// The server writes through a recorder (fuzz_test.go's).
	cRaw, sRaw := net.Pipe()
	defer cRaw.Close()
	rec := &recordingConn{Conn: sRaw}
	srv := Server(rec, server)
	done := make(chan error, 1)
	go func() { done <- srv.Handshake() }()
	if err := Client(cRaw, client).Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	n := len(spki)
	want := append([]byte{11, byte((n + 3) >> 16), byte((n + 3) >> 8), byte(n + 3), byte(n >> 16), byte(n >> 8), byte(n)}, spki...)
	if !bytes.Contains(rec.written.Bytes(), want) {
		t.Errorf("the server's flight lacks the RFC 7250 §3 Certificate %x", want)
	}
	// server_certificate_type (20) answering raw public key (2): type,
	// length 1, value 2.
	if !bytes.Contains(rec.written.Bytes(), []byte{0, 20, 0, 1, 2}) {
		t.Error("the ServerHello lacks server_certificate_type = raw public key")
	}
}

// RFC 7250 client authentication in TLS 1.2: the client's key alone, its
// CertificateVerify checked under it; an unknown key is refused.
func TestRawPublicKeyClientTLS12(t *testing.T) {
	p := testCerts(t)
	want := spkiOf(t, p.clientECDSA)
	client, server := testClientConfig(t), testServerConfig(t)
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
	res = testHandshake(t, client, server)
	wantSentAlert(t, "server", res.serverErr, wire.AlertBadCertificate)
}

// The story shows a TLS 1.2 raw key Certificate as what it is.
func TestRawPublicKeyTLS12Story(t *testing.T) {
	p := testCerts(t)
	var out bytes.Buffer
	tr, err := trace.NewStoryTracer(&out, "en")
	if err != nil {
		t.Fatal(err)
	}
	client, server := testClientConfig(t), testServerConfig(t, p.ecdsaLeaf)
	client.VerifyRawPublicKey = func([]byte) error { return nil }
	client.Tracer = tr
	server.RawPublicKey = true
	testHandshake(t, client, server).mustSucceed(t)
	if !strings.Contains(out.String(), "raw public key alone (RFC 7250)") {
		t.Errorf("story:\n%s", out.String())
	}
}
