package clasp

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/clasp-tls/clasp/internal/dsakey"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

var (
	testDSAOnce sync.Once
	testDSA     Certificate
	testDSAErr  error
)

// testDSALeaf is a "localhost" certificate for a 2048-bit DSA key (made by
// OpenSSL, internal/dsakey/testdata) issued by the test CA, whose Ed25519
// key testEd25519Key derives again.
func testDSALeaf(t testing.TB) Certificate {
	t.Helper()
	testDSAOnce.Do(func() {
		raw, err := os.ReadFile(filepath.Join("internal", "dsakey", "testdata", "dsa2048-pkcs8.pem"))
		if err != nil {
			testDSAErr = err
			return
		}
		block, _ := pem.Decode(raw)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(99), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
			NotBefore: testNotBefore, NotAfter: testNotAfter, KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		parent := &x509.Certificate{Subject: pkix.Name{CommonName: "clasp test CA"}}
		key, err := dsakey.ParsePrivateKey(block.Bytes)
		if err != nil {
			testDSAErr = err
			return
		}
		der, err := dsakey.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, testEd25519Key("clasp test CA"))
		if err != nil {
			testDSAErr = err
			return
		}
		testDSA, testDSAErr = X509KeyPair(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), raw)
	})
	if testDSAErr != nil {
		t.Fatal(testDSAErr)
	}
	return testDSA
}

// legacySuiteConfigs fits both sides to a legacy suite: a DHE_DSS suite
// needs the DSA certificate and, in TLS 1.2, a dsa_* scheme named on both
// sides; an anonymous suite needs nothing but the suite.
func legacySuiteConfigs(t testing.TB, s *suites.Suite, v uint16, client, server *Config) {
	if s.Auth == suites.AuthDSS {
		server.Certificates = []Certificate{testDSALeaf(t)}
		if v == VersionTLS12 {
			client.SignatureSchemes = []SignatureScheme{DSAWithSHA256}
			server.SignatureSchemes = []SignatureScheme{DSAWithSHA256}
		}
	}
}

// DHE_DSS in every version it exists in, with the signature TLS 1.2 names
// (dsa_sha256) and the SHA-1 one of TLS 1.0/1.1 and SSL 3.0; the client
// verifies the DSA leaf's chain (signed by the test CA) and the
// ServerKeyExchange signature.
func TestHandshakeDHEDSSWhenNamed(t *testing.T) {
	for _, id := range []suites.ID{suites.TLS_DHE_DSS_WITH_AES_128_GCM_SHA256, suites.TLS_DHE_DSS_WITH_AES_128_CBC_SHA} {
		s := suites.SuiteByID(id)
		for _, v := range []uint16{VersionSSL30, VersionTLS10, VersionTLS11, VersionTLS12} {
			if !s.SupportsVersion(suites.Version(v)) {
				continue
			}
			t.Run(s.Name+"/"+VersionName(v), func(t *testing.T) {
				client, server := testClientConfig(t), testServerConfig(t)
				client.MinVersion, client.MaxVersion, client.CipherSuites = v, v, []uint16{uint16(id)}
				server.MinVersion, server.CipherSuites = v, []uint16{uint16(id)}
				legacySuiteConfigs(t, s, v, client, server)
				r := testHandshake(t, client, server)
				r.mustSucceed(t)
				r.exchange(t)
				if r.clientState.CipherSuite != uint16(id) || r.clientState.PeerCertificates[0].PublicKeyAlgorithm != x509.DSA {
					t.Fatalf("negotiated %s with a %v certificate", r.clientState.CipherSuiteName, r.clientState.PeerCertificates[0].PublicKeyAlgorithm)
				}
				if v == VersionTLS12 && r.clientState.SignatureScheme != DSAWithSHA256 {
					t.Errorf("signature scheme %v, want dsa_sha256", r.clientState.SignatureScheme)
				}
			})
		}
	}
}

// TLS 1.2 DHE_DSS needs a dsa_* scheme on both sides: a server that names
// none finds no scheme for its DSA key, and says so.
func TestDHEDSSNeedsDSASchemeInTLS12(t *testing.T) {
	id := uint16(suites.TLS_DHE_DSS_WITH_AES_128_GCM_SHA256)
	client, server := testClientConfig(t), testServerConfig(t, testDSALeaf(t))
	client.CipherSuites, server.CipherSuites = []uint16{id}, []uint16{id}
	client.SignatureSchemes = []SignatureScheme{DSAWithSHA256}
	r := testHandshake(t, client, server)
	if r.serverErr == nil || !strings.Contains(r.serverErr.Error(), "no signature scheme in common") {
		t.Fatalf("server error %v, want no signature scheme in common for the DSA certificate", r.serverErr)
	}
	server.SignatureSchemes = []SignatureScheme{DSAWithSHA1}
	client.SignatureSchemes = []SignatureScheme{DSAWithSHA1}
	r = testHandshake(t, client, server)
	r.mustSucceed(t)
	if r.clientState.SignatureScheme != DSAWithSHA1 {
		t.Errorf("scheme %v, want dsa_sha1", r.clientState.SignatureScheme)
	}
}

// Anonymous suites: no Certificate, an unsigned ServerKeyExchange, no
// peer certificates, and both sides warn that the peer is not
// authenticated. A server with no certificate at all can still run them.
func TestHandshakeAnonymousWhenNamed(t *testing.T) {
	for _, id := range suites.AnonSuites() {
		s := suites.SuiteByID(id)
		for _, v := range []uint16{VersionSSL30, VersionTLS10, VersionTLS12} {
			if !s.SupportsVersion(suites.Version(v)) {
				continue
			}
			t.Run(s.Name+"/"+VersionName(v), func(t *testing.T) {
				client, server := testClientConfig(t), &Config{MaxVersion: VersionTLS12}
				client.MinVersion, client.MaxVersion, client.CipherSuites = v, v, []uint16{uint16(id)}
				server.MinVersion, server.CipherSuites = v, []uint16{uint16(id)}
				r := testHandshake(t, client, server)
				r.mustSucceed(t)
				r.exchange(t)
				if r.clientState.CipherSuite != uint16(id) || len(r.clientState.PeerCertificates) != 0 {
					t.Fatalf("negotiated %s with %d certificates", r.clientState.CipherSuiteName, len(r.clientState.PeerCertificates))
				}
				for side, st := range map[string]ConnectionState{"client": r.clientState, "server": r.serverState} {
					if !strings.Contains(strings.Join(st.Warnings, "\n"), "the peer is not authenticated") {
						t.Errorf("%s warnings %q", side, st.Warnings)
					}
				}
			})
		}
	}
}

// RFC 5246 §7.4.4: "It is a fatal handshake_failure alert for an anonymous
// server to request client authentication." A server that requires a
// client certificate cannot choose an anonymous suite; one that merely
// requests one does not ask.
func TestAnonymousServerAndClientCertificates(t *testing.T) {
	id := uint16(suites.TLS_ECDH_anon_WITH_AES_128_CBC_SHA)
	client, server := testClientConfig(t), testServerConfig(t)
	client.CipherSuites, server.CipherSuites = []uint16{id}, []uint16{id}
	server.ClientAuth, server.ClientCAs = RequireAndVerifyClientCert, testCerts(t).caPool
	r := testHandshake(t, client, server)
	if r.serverErr == nil || !strings.Contains(r.serverErr.Error(), "anonymous server may not ask") {
		t.Fatalf("server error %v", r.serverErr)
	}
	server.ClientAuth = RequestClientCert
	r = testHandshake(t, client, server)
	r.mustSucceed(t)
}

// A client refuses a CertificateRequest after an anonymous ServerHello
// with handshake_failure (RFC 5246 §7.4.4).
func TestClientRefusesCertificateRequestFromAnonymousServer(t *testing.T) {
	id := suites.TLS_ECDH_anon_WITH_AES_128_CBC_SHA
	cfg := testClientConfig(t)
	cfg.CipherSuites = []uint16{uint16(id)}
	run, _ := clientVersusScript(t, cfg)
	sh := scriptedServerHello(id)
	sh.SessionID = []byte{}
	ske := &wire.ServerKeyExchange{KeyExchange: suites.KexECDHAnon,
		ECDHE: &wire.ECDHEParams{CurveType: wire.CurveTypeNamedCurve, Group: suites.X25519, Public: make([]byte, 32)}}
	ske.ECDHE.Public[0] = 9 // the X25519 base point, a valid public value
	run.peer.sendMessages(sh, ske, &wire.CertificateRequest{CertificateTypes: []uint8{1}, HasSignatureSchemes: true,
		SignatureSchemes: []suites.SignatureScheme{suites.PKCS1WithSHA256}}, &wire.ServerHelloDone{})
	run.peer.expectAlert(wire.AlertHandshakeFailure)
	wantSentAlert(t, "client", run.wait(), wire.AlertHandshakeFailure)
}

// A default Config never offers or accepts the DSS or anonymous suites;
// a server offered only those says which setting would allow them.
func TestDefaultConfigRefusesDSSAndAnonymous(t *testing.T) {
	for _, id := range []suites.ID{suites.TLS_DHE_DSS_WITH_AES_128_GCM_SHA256, suites.TLS_DH_anon_WITH_AES_128_GCM_SHA256} {
		client := testClientConfig(t)
		client.CipherSuites = []uint16{uint16(id)}
		client.SignatureSchemes = []SignatureScheme{DSAWithSHA256}
		r := testHandshake(t, client, testServerConfig(t, testCerts(t).rsaLeaf, testDSALeaf(t)))
		if r.serverErr == nil || !strings.Contains(r.serverErr.Error(), "Config.CipherSuites") {
			t.Errorf("%v: server error %v, want one naming Config.CipherSuites", id, r.serverErr)
		}
	}
}

// A default client offers no DHE_DSS or anonymous suite, so a server that
// runs only one of them rejects its hello; the client's error names the
// setting that enables them.
func TestDefaultClientRefusesDSSAndAnonymousServer(t *testing.T) {
	for _, c := range []struct {
		id   suites.ID
		cert func(t testing.TB) Certificate
		kind string // how the hint names the family
	}{
		{suites.TLS_DHE_DSS_WITH_AES_128_GCM_SHA256, testDSALeaf, "DHE_DSS"},
		{suites.TLS_DHE_DSS_WITH_AES_128_CBC_SHA, testDSALeaf, "DHE_DSS"},
		{suites.TLS_DH_anon_WITH_AES_128_GCM_SHA256, nil, "anonymous"},
		{suites.TLS_ECDH_anon_WITH_AES_128_CBC_SHA, nil, "anonymous"},
	} {
		t.Run(c.id.String(), func(t *testing.T) {
			server := &Config{MaxVersion: VersionTLS12, CipherSuites: []uint16{uint16(c.id)}, SignatureSchemes: []SignatureScheme{DSAWithSHA256}}
			if c.cert != nil {
				server.Certificates = []Certificate{c.cert(t)}
			}
			r := testHandshake(t, testClientConfig(t), server)
			var oe *OfferRejectedError
			if !errors.As(r.clientErr, &oe) {
				t.Fatalf("client error %v, want an OfferRejectedError", r.clientErr)
			}
			for _, want := range []string{"Config.CipherSuites", "--ciphers", c.kind} {
				if !strings.Contains(oe.Hint, want) {
					t.Errorf("client hint %q lacks %q", oe.Hint, want)
				}
			}
			if slices.Contains(oe.CipherSuites, c.id.String()) {
				t.Errorf("a default client offered %s", c.id)
			}
		})
	}
}

// SHA-1 signature schemes sign only when Config.SignatureSchemes names
// them, and then both sides warn (RFC 9155). A default server facing a
// client that offers only SHA-1 finds no scheme.
func TestSHA1SchemesOnlyWhenNamedAndWarned(t *testing.T) {
	for _, c := range []struct {
		scheme SignatureScheme
		cert   func(t testing.TB) Certificate
		suite  suites.ID
	}{
		{PKCS1WithSHA1, func(t testing.TB) Certificate { return testCerts(t).rsaLeaf }, suites.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
		{ECDSAWithSHA1, func(t testing.TB) Certificate { return testCerts(t).ecdsaLeaf }, suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		{DSAWithSHA1, testDSALeaf, suites.TLS_DHE_DSS_WITH_AES_128_GCM_SHA256},
	} {
		t.Run(c.scheme.String(), func(t *testing.T) {
			client, server := testClientConfig(t), testServerConfig(t, c.cert(t))
			client.SignatureSchemes = []SignatureScheme{c.scheme}
			client.CipherSuites, server.CipherSuites = []uint16{uint16(c.suite)}, []uint16{uint16(c.suite)}
			r := testHandshake(t, client, server)
			if r.serverErr == nil {
				t.Fatal("a server that names no SHA-1 scheme signed with one")
			}
			if msg := r.serverErr.Error(); !strings.Contains(msg, "Config.SignatureSchemes") || !strings.Contains(msg, "--sigalgs") {
				t.Errorf("server error %q does not name Config.SignatureSchemes and --sigalgs", msg)
			}
			server.SignatureSchemes = []SignatureScheme{c.scheme}
			r = testHandshake(t, client, server)
			r.mustSucceed(t)
			for side, st := range map[string]ConnectionState{"client": r.clientState, "server": r.serverState} {
				if st.SignatureScheme != c.scheme || !strings.Contains(strings.Join(st.Warnings, "\n"), "RFC 9155") {
					t.Errorf("%s: scheme %v, warnings %q", side, st.SignatureScheme, st.Warnings)
				}
			}
		})
	}
}

// Negative cases of the anonymous ServerKeyExchange, from the client's
// side: a Certificate after an anonymous ServerHello is unexpected (RFC
// 5246 §7.4.2: "The server MUST send a Certificate message whenever the
// agreed-upon key exchange method uses certificates for authentication",
// and anonymous ones do not); bytes after the parameters (a signature
// where none belongs) are decode_error.
func TestClientRefusesMalformedAnonymousServerFlight(t *testing.T) {
	id := suites.TLS_ECDH_anon_WITH_AES_128_CBC_SHA
	ske := func() *wire.ServerKeyExchange {
		s := &wire.ServerKeyExchange{KeyExchange: suites.KexECDHAnon,
			ECDHE: &wire.ECDHEParams{CurveType: wire.CurveTypeNamedCurve, Group: suites.X25519, Public: make([]byte, 32)}}
		s.ECDHE.Public[0] = 9
		return s
	}
	t.Run("Certificate", func(t *testing.T) {
		cfg := testClientConfig(t)
		cfg.CipherSuites = []uint16{uint16(id)}
		run, _ := clientVersusScript(t, cfg)
		sh := scriptedServerHello(id)
		sh.SessionID = []byte{}
		run.peer.sendMessages(sh, &wire.Certificate{Certificates: testCerts(t).ecdsaLeaf.Certificate}, ske(), &wire.ServerHelloDone{})
		run.peer.expectAlert(wire.AlertUnexpectedMessage)
		wantSentAlert(t, "client", run.wait(), wire.AlertUnexpectedMessage)
	})
	t.Run("signature after the parameters", func(t *testing.T) {
		cfg := testClientConfig(t)
		cfg.CipherSuites = []uint16{uint16(id)}
		run, _ := clientVersusScript(t, cfg)
		sh := scriptedServerHello(id)
		sh.SessionID = []byte{}
		raw := mustMarshal(t, ske())
		body := append(append([]byte{}, raw[4:]...), 0x04, 0x03, 0x00, 0x02, 0x30, 0x00)
		n := len(body)
		bad := append([]byte{byte(wire.TypeServerKeyExchange), byte(n >> 16), byte(n >> 8), byte(n)}, body...)
		run.peer.send(rawRecord(wire.ContentHandshake, VersionTLS12, append(mustMarshal(t, sh), bad...)))
		run.peer.expectAlert(wire.AlertDecodeError)
		wantSentAlert(t, "client", run.wait(), wire.AlertDecodeError)
	})
}
