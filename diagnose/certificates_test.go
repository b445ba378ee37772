package diagnose_test

import (
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/diagnose"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// certScenario serves leaf (with chain as the extra certificates the server
// sends) from openssl s_server and connects a clasp client that trusts
// roots, at both protocol versions.
func certScenario(t *testing.T, leaf *x509.Certificate, key any, chain []*x509.Certificate, roots *x509.CertPool, serverName string,
	check func(t *testing.T, d *diagnose.Diagnosis)) {
	t.Helper()
	for _, v := range []string{"-tls1_2", "-tls1_3"} {
		t.Run(strings.TrimPrefix(v, "-"), func(t *testing.T) {
			pl := &peertest.Leaf{Name: "test", CertFile: writePEM(t, "leaf.pem", leaf), KeyFile: writeKeyAny(t, key), Cert: leaf}
			args := []string{"-www", v}
			if len(chain) > 0 {
				args = append(args, "-cert_chain", writePEM(t, "chain.pem", chain...))
			}
			srv := peertest.StartOpenSSLServer(t, pl, args...)
			cfg := &clasp.Config{RootCAs: roots, ServerName: serverName}
			err, rec := dialClasp(t, srv.Addr, cfg)
			if err == nil {
				t.Fatal("handshake succeeded")
			}
			check(t, diagnose.ExplainWithConfig(err, rec, "client", time.Now(), cfg))
		})
	}
}

func TestCertificateUntrustedRoot(t *testing.T) {
	trusted := newRoot(t, "Trusted Root")
	other := newRoot(t, "Unknown Root CA")
	inter := other.intermediate(t, "Unknown Intermediate CA")
	now := time.Now()
	leaf, key := inter.leaf(t, "localhost", []string{"localhost"}, now.Add(-time.Hour), now.Add(time.Hour), x509.ExtKeyUsageServerAuth)
	// The server sends leaf + intermediate, as servers do; the root is
	// not trusted by the client.
	certScenario(t, leaf, key, []*x509.Certificate{inter.cert}, trusted.pool(), "localhost", func(t *testing.T, d *diagnose.Diagnosis) {
		expect(t, d, diagnose.CauseCertificateUntrusted, "CN=Unknown Intermediate CA", "CN=Unknown Root CA", "--cafile", "Trusted Root")
		if d.Evidence["missing_issuer"] != "CN=Unknown Root CA,O=clasp diagnose test" {
			t.Errorf("missing_issuer = %v", d.Evidence["missing_issuer"])
		}
	})
	// The server sends the whole chain up to its self-signed root.
	t.Run("root sent", func(t *testing.T) {
		certScenario(t, leaf, key, []*x509.Certificate{inter.cert, other.cert}, trusted.pool(), "localhost", func(t *testing.T, d *diagnose.Diagnosis) {
			expect(t, d, diagnose.CauseCertificateUntrusted, "self-signed root CN=Unknown Root CA", "--cafile")
		})
	})
}

func TestCertificateIntermediateMissing(t *testing.T) {
	root := newRoot(t, "Test Root CA")
	inter := root.intermediate(t, "Test Issuing CA 2")
	now := time.Now()
	leaf, key := inter.leaf(t, "localhost", []string{"localhost"}, now.Add(-time.Hour), now.Add(time.Hour), x509.ExtKeyUsageServerAuth)
	// The client trusts the root, but the server sends only its leaf.
	certScenario(t, leaf, key, nil, root.pool(), "localhost", func(t *testing.T, d *diagnose.Diagnosis) {
		expect(t, d, diagnose.CauseCertificateIntermediateMissing, "CN=Test Issuing CA 2", "sent 1 certificate", "full chain", "CN=Test Root CA")
	})
}

func TestCertificateHostnameMismatch(t *testing.T) {
	root := newRoot(t, "Test Root CA")
	now := time.Now()
	leaf, key := root.leaf(t, "other.example", []string{"other.example", "www.other.example"}, now.Add(-time.Hour), now.Add(time.Hour), x509.ExtKeyUsageServerAuth)
	certScenario(t, leaf, key, nil, root.pool(), "localhost", func(t *testing.T, d *diagnose.Diagnosis) {
		expect(t, d, diagnose.CauseCertificateHostnameMismatch, `"localhost"`, "other.example", "www.other.example", "--servername other.example")
	})
}

func TestCertificateExpired(t *testing.T) {
	root := newRoot(t, "Test Root CA")
	now := time.Now()
	notBefore, notAfter := now.Add(-30*24*time.Hour), now.Add(-72*time.Hour)
	leaf, key := root.leaf(t, "localhost", []string{"localhost"}, notBefore, notAfter, x509.ExtKeyUsageServerAuth)
	certScenario(t, leaf, key, nil, root.pool(), "localhost", func(t *testing.T, d *diagnose.Diagnosis) {
		expect(t, d, diagnose.CauseCertificateExpired, "leaf certificate CN=localhost",
			leaf.NotAfter.UTC().Format(time.RFC3339), "3 days after it expired", "renew")
	})
}

func TestCertificateNotYetValid(t *testing.T) {
	root := newRoot(t, "Test Root CA")
	now := time.Now()
	leaf, key := root.leaf(t, "localhost", []string{"localhost"}, now.Add(5*24*time.Hour), now.Add(60*24*time.Hour), x509.ExtKeyUsageServerAuth)
	certScenario(t, leaf, key, nil, root.pool(), "localhost", func(t *testing.T, d *diagnose.Diagnosis) {
		expect(t, d, diagnose.CauseCertificateNotYetValid, leaf.NotBefore.UTC().Format(time.RFC3339), "5 days before it becomes valid", "clock")
	})
}

// A clasp server whose certificate the OpenSSL client does not trust: the
// server sees the client's unknown_ca alert and names the chain it sent.
func TestPeerAlertUnknownCAServerSide(t *testing.T) {
	other := newRoot(t, "Private Root CA")
	now := time.Now()
	leaf, key := other.leaf(t, "localhost", []string{"localhost"}, now.Add(-time.Hour), now.Add(time.Hour), x509.ExtKeyUsageServerAuth)
	cfg := &clasp.Config{Certificates: []clasp.Certificate{{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}}}
	for _, v := range []string{"-tls1_2", "-tls1_3"} {
		t.Run(strings.TrimPrefix(v, "-"), func(t *testing.T) {
			addr, out := serveClaspOnce(t, cfg)
			if o, err := peertest.RunOpenSSLClient(t, addr, "", v); err == nil {
				t.Fatalf("s_client accepted an untrusted certificate:\n%s", o)
			}
			o := waitServer(t, out)
			var ae *clasp.AlertReceivedError
			if v == "-tls1_3" && !errors.As(o.err, &ae) && strings.Contains(o.err.Error(), "unprotected alert record") {
				// OpenSSL's client has not installed its handshake write
				// keys when it rejects the server's Certificate, so its
				// alert is in plaintext (RFC 8446 §5 allows it); clasp's
				// record layer refuses it and the alert is lost.
				t.Skipf("known clasp limitation: the record layer rejects the peer's plaintext TLS 1.3 alert (%v)", o.err)
			}
			d := diagnose.ExplainWithConfig(o.err, o.rec, "server", time.Now(), cfg)
			expect(t, d, diagnose.CausePeerAlert, "unknown_ca", "client does not trust", "CN=localhost, issued by CN=Private Root CA")
		})
	}
}

func writeKeyAny(t *testing.T, key any) string {
	t.Helper()
	return writeKey(t, key.(*ecdsa.PrivateKey))
}
