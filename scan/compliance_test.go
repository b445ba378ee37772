package scan

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

func TestMozillaGuidelinesLoad(t *testing.T) {
	g, err := LoadMozillaGuidelines()
	if err != nil {
		t.Fatal(err)
	}
	if g.Version != "5.7" || !strings.Contains(g.Source.Reference, "https://ssl-config.mozilla.org/guidelines/5.7.json") {
		t.Errorf("guidelines %s from %q", g.Version, g.Source.Reference)
	}
	// Spot checks against the published file.
	if p := g.Profiles["intermediate"]; len(p.tls12) != 9 || len(p.tls13) != 3 || p.DHParamSize != 2048 || len(p.versions) != 2 {
		t.Errorf("intermediate: %d TLS 1.2 suites, %d TLS 1.3, DH %d, versions %v", len(p.tls12), len(p.tls13), p.DHParamSize, p.versions)
	}
	if p := g.Profiles["old"]; len(p.tls12) != 26 || !p.ServerPreferredOrder || len(p.versions) != 4 {
		t.Errorf("old: %d TLS 1.2 suites, server order %v, versions %v", len(p.tls12), p.ServerPreferredOrder, p.versions)
	}
}

// complianceOf scans addr and returns its result for each profile.
func complianceOf(t *testing.T, addr string) map[string]ComplianceResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Scan(ctx, addr, Options{Timeout: 10 * time.Second, ServerName: "localhost", Compliance: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]ComplianceResult{}
	for _, c := range rep.Compliance {
		out[c.Profile] = c
	}
	return out
}

func wantPass(t *testing.T, got map[string]ComplianceResult, profile string) {
	t.Helper()
	if c := got[profile]; !c.Pass {
		t.Errorf("%s: fails with %+v", profile, c.Deviations)
	}
}

// wantDeviation checks that profile fails with a deviation of kind whose
// text contains each of words.
func wantDeviation(t *testing.T, got map[string]ComplianceResult, profile, kind string, words ...string) {
	t.Helper()
	c := got[profile]
	for _, d := range c.Deviations {
		if d.Kind != kind {
			continue
		}
		all := true
		for _, w := range words {
			all = all && strings.Contains(d.Text, w)
		}
		if all {
			if c.Pass {
				t.Errorf("%s: passes despite %q", profile, d.Text)
			}
			return
		}
	}
	t.Errorf("%s: no %s deviation naming %q; got %+v", profile, kind, words, c.Deviations)
}

const intermediateCiphers = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"

func TestComplianceModernServer(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_3", "-groups", "X25519:P-256:P-384", "-quiet")
	got := complianceOf(t, srv.Addr)
	wantPass(t, got, "modern")
	// The old profile wants TLS 1.0 to 1.2 too, and an RSA certificate.
	wantDeviation(t, got, "old", DeviationVersion, "TLS 1.0 is not enabled")
	wantDeviation(t, got, "old", DeviationCertificate, "ECDSA key")
}

func TestComplianceIntermediateServer(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-no_ssl3", "-no_tls1", "-no_tls1_1",
		"-cipher", intermediateCiphers, "-groups", "X25519:P-256:P-384", "-quiet")
	got := complianceOf(t, srv.Addr)
	wantPass(t, got, "intermediate")
	wantDeviation(t, got, "modern", DeviationVersion, "TLS 1.2 is enabled", "allows only TLS 1.3")
	wantDeviation(t, got, "modern", DeviationCertificate, "RSA key")
}

func TestComplianceIntermediateDeviations(t *testing.T) {
	pki := peertest.NewPKI(t)
	dh := dhParams1024(t)
	// A static-RSA CBC suite, a 1024-bit DH group and secp521r1 are each
	// outside the intermediate profile; @SECLEVEL=0 lets OpenSSL serve the
	// small DH group at all.
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-no_ssl3", "-no_tls1", "-no_tls1_1",
		"-cipher", intermediateCiphers+":AES128-SHA:DHE-RSA-AES128-GCM-SHA256@SECLEVEL=0", "-dhparam", dh,
		"-groups", "X25519:P-256:P-521", "-quiet")
	got := complianceOf(t, srv.Addr)
	wantDeviation(t, got, "intermediate", DeviationSuite, "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS 1.2")
	wantDeviation(t, got, "intermediate", DeviationKeySize, "DH group has 1024 bits", "at least 2048")
	wantDeviation(t, got, "intermediate", DeviationGroup, "secp521r1")
}

func TestComplianceOldServerAndItsOrder(t *testing.T) {
	leaf := rsaSHA256Leaf(t)
	args := []string{"-cipher", "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA@SECLEVEL=0", "-groups", "X25519:P-256:P-384", "-quiet"}
	srv := peertest.StartOpenSSLServer(t, leaf, append(args, "-serverpref")...)
	got := complianceOf(t, srv.Addr)
	wantPass(t, got, "old")
	wantDeviation(t, got, "intermediate", DeviationVersion, "TLS 1.0 is enabled")
	wantDeviation(t, got, "intermediate", DeviationSuite, "TLS_RSA_WITH_AES_128_CBC_SHA")

	// Without -serverpref OpenSSL follows the client's order, which the old
	// profile does not want (server_preferred_order: true).
	srv = peertest.StartOpenSSLServer(t, leaf, args...)
	got = complianceOf(t, srv.Addr)
	wantDeviation(t, got, "old", DeviationOrder, "client's suite order")
}

// rsaSHA256Leaf writes a self-signed RSA 2048 certificate signed with
// SHA-256, valid 30 days: what the old profile asks for (the peertest CA
// signs with ECDSA).
func rsaSHA256Leaf(t *testing.T) *peertest.Leaf {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(30 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		SignatureAlgorithm: x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	leaf := &peertest.Leaf{Name: "rsa-sha256", CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem")}
	writePEM(t, leaf.CertFile, "CERTIFICATE", der)
	writePEM(t, leaf.KeyFile, "PRIVATE KEY", keyDER)
	return leaf
}

func writePEM(t *testing.T, file, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// dhParams1024 writes 1024-bit DH parameters (PKCS #3: s_server cannot
// load the X9.42 parameters -dsaparam writes; a 1024-bit safe prime takes
// well under a second of CPU).
func dhParams1024(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "dh1024.pem")
	if out, err := exec.Command("openssl", "dhparam", "-out", file, "1024").CombinedOutput(); err != nil {
		t.Fatalf("openssl dhparam: %v\n%s", err, out)
	}
	return file
}
