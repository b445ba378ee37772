package clasp

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Peer certificate keyUsage (RFC 5280 §4.2.1.3): "The key usage extension
// defines the purpose ... of the key contained in the certificate"; when it
// is present, a key whose usage lacks digitalSignature must not sign a
// ServerKeyExchange or CertificateVerify (RFC 8446 §4.4.2.2, RFC 5246
// §7.4.2, §7.4.8), and an RSA key without keyEncipherment must not receive
// an RSA-encrypted premaster (RFC 5246 §7.4.2: "the keyEncipherment bit
// MUST be set if the key usage extension is present"). No RFC names the
// alert. OpenSSL 3 sends unsupported_certificate when a peer's keyUsage
// rules out TLS (X509_V_ERR_INVALID_PURPOSE; checked with openssl s_server
// and s_client and a nonRepudiation-only leaf, both directions, TLS 1.2 and
// 1.3), and so does clasp for every case above.

// keyUsageLeaf issues a "localhost" leaf for key, good for server and
// client authentication, whose keyUsage extension holds exactly ku (no
// extension when ku is 0), from a CA of its own; pool trusts that CA.
func keyUsageLeaf(t testing.TB, key crypto.Signer, ku x509.KeyUsage) (cert Certificate, pool *x509.CertPool) {
	t.Helper()
	caKey := testEd25519Key("key usage test CA")
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "key usage test CA"},
		NotBefore: testNotBefore, NotAfter: testNotAfter, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: testNotBefore, NotAfter: testNotAfter, KeyUsage: ku,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if present := slices.ContainsFunc(leaf.Extensions, func(e pkix.Extension) bool { return e.Id.Equal(oidKeyUsage) }); present != (ku != 0) {
		t.Fatalf("keyUsage extension present: %v, want %v", present, ku != 0)
	}
	pool = x509.NewCertPool()
	pool.AddCert(ca)
	return Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// keyUsageCase is a leaf's key type and keyUsage, and the suite of the
// handshake (0 for TLS 1.3).
type keyUsageCase struct {
	name  string
	suite suites.ID
	rsa   bool
	ku    x509.KeyUsage
}

// keyUsageCases are leaves whose keyUsage forbids what the suite needs.
var keyUsageCases = []keyUsageCase{
	{"ECDHE-ECDSA signing without digitalSignature", suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, false, x509.KeyUsageKeyAgreement},
	{"ECDHE-RSA signing without digitalSignature", suites.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, true, x509.KeyUsageKeyEncipherment},
	{"RSA key exchange without keyEncipherment", suites.TLS_RSA_WITH_AES_128_GCM_SHA256, true, x509.KeyUsageDigitalSignature},
}

func TestClientRejectsServerCertificateKeyUsage12(t *testing.T) {
	for _, c := range keyUsageCases {
		t.Run(c.name, func(t *testing.T) {
			leaf, pool := keyUsageLeaf(t, keyUsageKey(c), c.ku)
			cfg := testClientConfig(t)
			cfg.RootCAs = pool
			cfg.CipherSuites = []uint16{uint16(c.suite)}
			run, _ := clientVersusScript(t, cfg)
			run.peer.sendMessages(scriptedServerHello(c.suite), &wire.Certificate{Certificates: leaf.Certificate})
			run.peer.expectAlert(wire.AlertUnsupportedCertificate)
			wantClaspFailure(t, run.wait(), "read server Certificate", wire.AlertUnsupportedCertificate)
		})
	}
}

func keyUsageKey(c keyUsageCase) crypto.Signer {
	if c.rsa {
		return testRSAKey()
	}
	return testECDSAKey("key usage leaf")
}

// RFC 8446 §4.4.2.2: the server's certificate "MUST allow the key to be
// used for signing (i.e., the digitalSignature bit MUST be set if the Key
// Usage extension is present)".
func TestClientRejectsServerCertificateKeyUsage13(t *testing.T) {
	for name, c := range map[string]keyUsageCase{
		"ECDSA keyAgreement only":  {ku: x509.KeyUsageKeyAgreement},
		"RSA keyEncipherment only": {rsa: true, ku: x509.KeyUsageKeyEncipherment},
	} {
		t.Run(name, func(t *testing.T) {
			leaf, pool := keyUsageLeaf(t, keyUsageKey(c), c.ku)
			cfg := testClientConfig13(t)
			cfg.RootCAs = pool
			run, p, _ := clientAfterHello13(t, cfg)
			p.send(&wire.EncryptedExtensions{}, certificate13(leaf))
			p.flush()
			p.expectAlert(wire.AlertUnsupportedCertificate)
			wantClaspFailure(t, run.wait(), "read server Certificate", wire.AlertUnsupportedCertificate)
		})
	}
}

// A client certificate signs the client's CertificateVerify (RFC 5246
// §7.4.8, RFC 8446 §4.4.3): without digitalSignature it cannot.
func TestServerRejectsClientCertificateKeyUsage12(t *testing.T) {
	leaf, _ := keyUsageLeaf(t, testECDSAKey("key usage leaf"), x509.KeyUsageKeyAgreement)
	cfg := testServerConfig(t)
	cfg.ClientAuth = RequireAnyClientCert
	run := serverAfterHello12(t, cfg)
	run.peer.sendMessages(&wire.Certificate{Certificates: leaf.Certificate})
	run.peer.expectAlert(wire.AlertUnsupportedCertificate)
	wantClaspFailure(t, run.wait(), "read client Certificate", wire.AlertUnsupportedCertificate)
}

func TestServerRejectsClientCertificateKeyUsage13(t *testing.T) {
	leaf, _ := keyUsageLeaf(t, testECDSAKey("key usage leaf"), x509.KeyUsageKeyAgreement)
	run, p := clientToCertificate13(t)
	p.send(certificate13(leaf), p.certificateVerify(leaf, suites.ECDSAWithP256AndSHA256, clientSignatureContext))
	p.flush()
	p.expectAlert(wire.AlertUnsupportedCertificate)
	wantClaspFailure(t, run.wait(), "read client Certificate and CertificateVerify", wire.AlertUnsupportedCertificate)
}

// A leaf without the keyUsage extension may be used for anything (RFC
// 5280 §4.2.1.3 constrains only a key whose certificate has it), and one
// whose keyUsage allows what the handshake does passes: no warning either.
func TestKeyUsageAllowsWhatItSaysOrAbsent(t *testing.T) {
	for name, c := range map[string]keyUsageCase{
		"no extension, RSA key exchange":         {suite: suites.TLS_RSA_WITH_AES_128_GCM_SHA256, rsa: true},
		"no extension, ECDHE-ECDSA":              {suite: suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		"keyEncipherment only, RSA key exchange": {suite: suites.TLS_RSA_WITH_AES_128_GCM_SHA256, rsa: true, ku: x509.KeyUsageKeyEncipherment},
		"digitalSignature only, ECDHE-RSA":       {suite: suites.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, rsa: true, ku: x509.KeyUsageDigitalSignature},
		"digitalSignature only, TLS 1.3 ECDSA":   {ku: x509.KeyUsageDigitalSignature},
	} {
		t.Run(name, func(t *testing.T) {
			leaf, pool := keyUsageLeaf(t, keyUsageKey(c), c.ku)
			client, server := testClientConfig(t), testServerConfig(t, leaf)
			client.RootCAs = pool
			if c.suite == 0 {
				client.MaxVersion, server.MaxVersion = VersionTLS13, VersionTLS13
			} else {
				client.CipherSuites, server.CipherSuites = []uint16{uint16(c.suite)}, []uint16{uint16(c.suite)}
			}
			r := testHandshake(t, client, server)
			r.mustSucceed(t)
			for _, w := range r.clientState.Warnings {
				if strings.Contains(w, "InsecureSkipKeyUsageCheck") {
					t.Errorf("warning %q for a certificate that allows its use", w)
				}
			}
		})
	}
}

// InsecureSkipKeyUsageCheck lets such a leaf through, in each version and
// on each side, and says so in ConnectionState.Warnings and the trace.
func TestInsecureSkipKeyUsageCheckWarns(t *testing.T) {
	for _, v := range []uint16{VersionTLS12, VersionTLS13} {
		t.Run(VersionName(v), func(t *testing.T) {
			serverLeaf, pool := keyUsageLeaf(t, testECDSAKey("key usage leaf"), x509.KeyUsageKeyAgreement)
			clientLeaf, _ := keyUsageLeaf(t, testECDSAKey("key usage client"), x509.KeyUsageKeyAgreement)
			client, server := testClientConfig(t), testServerConfig(t, serverLeaf)
			client.MaxVersion, server.MaxVersion = v, v
			client.RootCAs, client.Certificates = pool, []Certificate{clientLeaf}
			server.ClientAuth = RequireAnyClientCert
			client.InsecureSkipKeyUsageCheck, server.InsecureSkipKeyUsageCheck = true, true
			ct := &recordingTracer{}
			client.Tracer = ct
			r := testHandshake(t, client, server)
			r.mustSucceed(t)
			if d := findDecision(ct, "peer_key_usage"); d == nil || d.ReasonCode != "key_usage_not_checked" || d.Warning == "" {
				t.Errorf("client trace decision %+v, want peer_key_usage accepted with a warning", d)
			}
			for side, st := range map[string]ConnectionState{"client": r.clientState, "server": r.serverState} {
				if !slices.ContainsFunc(st.Warnings, func(w string) bool { return strings.HasPrefix(w, "InsecureSkipKeyUsageCheck") }) {
					t.Errorf("%s warnings %q do not report the skipped keyUsage check", side, st.Warnings)
				}
			}
		})
	}
}
