package clasp

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// GetConfigForClient's Config is the one the handshake then uses, and a
// callback error is an internal_error, as in crypto/tls.
func TestGetConfigForClientReplacesTheConfig(t *testing.T) {
	p := testCerts(t)
	var seen *ClientHelloInfo
	server := testServerConfig(t, p.rsaLeaf)
	server.GetConfigForClient = func(info *ClientHelloInfo) (*Config, error) {
		seen = info
		return &Config{Certificates: []Certificate{p.ecdsaLeaf}, MaxVersion: VersionTLS12,
			CipherSuites: []uint16{TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}}, nil
	}
	client := testClientConfig(t)
	client.CipherSuites = []uint16{TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}
	res := testHandshake(t, client, server)
	res.mustSucceed(t)
	if res.clientState.CipherSuite != TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 {
		t.Errorf("negotiated %s; the per-client Config allows only ECDHE-ECDSA-CHACHA20", res.clientState.CipherSuiteName)
	}
	if seen == nil || seen.ServerName != "localhost" || len(seen.Extensions) == 0 || len(seen.SupportedPoints) == 0 ||
		seen.Context() == nil || seen.HelloRetryRequest {
		t.Errorf("ClientHelloInfo: %+v", seen)
	}

	server.GetConfigForClient = func(*ClientHelloInfo) (*Config, error) { return nil, errors.New("tenant unknown") }
	res = testHandshake(t, testClientConfig(t), server)
	wantSentAlert(t, "server", res.serverErr, 80) // internal_error
}

// The handshake's context reaches the callbacks.
func TestClientHelloInfoContextIsTheHandshakes(t *testing.T) {
	type key struct{}
	server := testServerConfig(t)
	got := make(chan any, 1)
	server.GetCertificate = func(info *ClientHelloInfo) (*Certificate, error) {
		got <- info.Context().Value(key{})
		return nil, nil
	}
	cRaw, sRaw := net.Pipe()
	defer cRaw.Close()
	defer sRaw.Close()
	_ = cRaw.SetDeadline(time.Now().Add(10 * time.Second))
	_ = sRaw.SetDeadline(time.Now().Add(10 * time.Second))
	done := make(chan error, 1)
	go func() {
		done <- Server(sRaw, server).HandshakeContext(context.WithValue(context.Background(), key{}, "tenant-7"))
	}()
	if err := Client(cRaw, testClientConfig(t)).Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != "tenant-7" {
		t.Errorf("Context().Value = %v, want the handshake context's", v)
	}
}

func TestClientHelloInfoSupportsCertificate(t *testing.T) {
	p := testCerts(t)
	info := &ClientHelloInfo{
		SupportedVersions: []uint16{VersionTLS12},
		CipherSuites:      []uint16{TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
		SignatureSchemes:  []SignatureScheme{PSSWithSHA256, PKCS1WithSHA256},
		SupportedCurves:   []CurveID{X25519},
	}
	if err := info.SupportsCertificate(&p.rsaLeaf); err != nil {
		t.Errorf("RSA leaf for an ECDHE-RSA client: %v", err)
	}
	err := info.SupportsCertificate(&p.ecdsaLeaf)
	if err == nil || !strings.Contains(err.Error(), "signature scheme") {
		t.Errorf("ECDSA leaf for a client without ECDSA schemes: %v", err)
	}
	info.SignatureSchemes = append(info.SignatureSchemes, ECDSAWithP256AndSHA256)
	info.CipherSuites = append(info.CipherSuites, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	// RFC 8422 §5.1: in TLS 1.2 the client's groups bind the ECDSA key's curve.
	if err := info.SupportsCertificate(&p.ecdsaLeaf); err == nil || !strings.Contains(err.Error(), "curve") {
		t.Errorf("P-256 leaf for a client listing only X25519: %v", err)
	}
	info.SupportedVersions = []uint16{VersionTLS13, VersionTLS12}
	if err := info.SupportsCertificate(&p.ecdsaLeaf); err != nil {
		t.Errorf("P-256 leaf for a TLS 1.3 client with ECDSA-P256: %v", err)
	}
}

func TestCertificateRequestInfoSupportsCertificate(t *testing.T) {
	p := testCerts(t)
	info := &CertificateRequestInfo{Version: VersionTLS13, SignatureSchemes: []SignatureScheme{ECDSAWithP256AndSHA256}}
	if err := info.SupportsCertificate(&p.ecdsaLeaf); err != nil {
		t.Errorf("ECDSA leaf: %v", err)
	}
	if err := info.SupportsCertificate(&p.rsaLeaf); err == nil {
		t.Errorf("RSA leaf accepted for a server that takes only ECDSA-P256")
	}
	info.AcceptableCAs = [][]byte{[]byte("0\x00")}
	if err := info.SupportsCertificate(&p.ecdsaLeaf); err == nil || !strings.Contains(err.Error(), "CA") {
		t.Errorf("leaf from a CA the server did not name: %v", err)
	}
}

func TestClientAuthTypeString(t *testing.T) {
	got := []string{NoClientCert.String(), RequireAndVerifyClientCert.String(), ClientAuthType(9).String()}
	if !slices.Equal(got, []string{"NoClientCert", "RequireAndVerifyClientCert", "ClientAuthType(9)"}) {
		t.Errorf("names: %q", got)
	}
}

// Certificate.SupportedSignatureAlgorithms narrows what the key signs
// with; a peer that accepts none of the rest gets a negotiation failure.
func TestCertificateSupportedSignatureAlgorithms(t *testing.T) {
	p := testCerts(t)
	for _, version := range []uint16{VersionTLS12, VersionTLS13} {
		t.Run(VersionName(version), func(t *testing.T) {
			cert := p.rsaLeaf
			cert.SupportedSignatureAlgorithms = []SignatureScheme{PSSWithSHA384}
			client, server := testClientConfig(t), testServerConfig(t, cert)
			client.MaxVersion, server.MaxVersion = version, version
			res := testHandshake(t, client, server)
			res.mustSucceed(t)
			if res.clientState.SignatureScheme != PSSWithSHA384 {
				t.Errorf("signed with %v, want the one scheme the certificate allows", res.clientState.SignatureScheme)
			}
			client.SignatureSchemes = []SignatureScheme{PSSWithSHA256}
			if res := testHandshake(t, client, server); res.clientErr == nil {
				t.Errorf("a client accepting only PSS-SHA256 connected to a certificate limited to PSS-SHA384")
			}
		})
	}
}
