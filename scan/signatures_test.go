package scan

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// scanWith scans addr with opts (and the generous timeout scanOK uses).
func scanWith(t *testing.T, addr string, opts Options) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	rep, err := Scan(ctx, addr, opts)
	if err != nil {
		t.Fatalf("scan %s: %v", addr, err)
	}
	out, _ := json.Marshal(rep)
	t.Logf("scan of %s: %d connections in %d ms; notes: %q\n%s", addr, rep.Connections, rep.DurationMS, rep.Notes, out)
	return rep
}

// schemesOf returns the schemes reported for v and the key beside each.
func schemesOf(rep *Report, v suites.Version) ([]suites.SignatureScheme, map[suites.SignatureScheme]string) {
	var l *SchemeList
	if rep.Signatures != nil {
		l = map[suites.Version]*SchemeList{suites.VersionTLS12: rep.Signatures.TLS12, suites.VersionTLS13: rep.Signatures.TLS13}[v]
	}
	if l == nil {
		return nil, nil
	}
	var ids []suites.SignatureScheme
	keys := map[suites.SignatureScheme]string{}
	for _, e := range l.Schemes {
		ids = append(ids, e.ID)
		keys[e.ID] = e.Key
	}
	return ids, keys
}

func parseSchemes(t *testing.T, list string) []suites.SignatureScheme {
	t.Helper()
	out, err := suites.ParseSchemeList(list)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantSchemes compares the schemes of v as sets and the key of each.
func wantSchemes(t *testing.T, rep *Report, v suites.Version, want map[string]string) {
	t.Helper()
	got, keys := schemesOf(rep, v)
	var ids []suites.SignatureScheme
	for name, key := range want {
		id := parseSchemes(t, name)[0]
		ids = append(ids, id)
		if keys[id] != key {
			t.Errorf("%v %v: key %q, want %q", v, id, keys[id], key)
		}
	}
	if !sameSet(got, ids) {
		t.Errorf("%v signature schemes: got %v, want %v", v, got, ids)
	}
}

// TestScanSignaturesOpenSSLDualCertificate: an RSA and an ECDSA P-256
// certificate behind one OpenSSL, signing with four schemes. TLS 1.2 uses
// all four; TLS 1.3 only the two a P-256 and an RSA key may use there
// (RFC 8446 §4.2.3: ecdsa_secp384r1_sha384 needs a P-384 key, rsa_pkcs1_*
// is not for CertificateVerify).
func TestScanSignaturesOpenSSLDualCertificate(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-dcert", pki.ECDSA.CertFile, "-dkey", pki.ECDSA.KeyFile,
		"-sigalgs", "rsa_pss_rsae_sha256:ECDSA+SHA256:RSA+SHA256:ECDSA+SHA384",
		"-cipher", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256", "-quiet")
	rep := scanWith(t, srv.Addr, Options{ServerName: "localhost", Roots: pki.CAPool})
	wantVersions(t, rep, suites.VersionTLS12, suites.VersionTLS13)
	wantSchemes(t, rep, suites.VersionTLS12, map[string]string{
		"rsa_pss_rsae_sha256": "RSA 2048", "RSA+SHA256": "RSA 2048",
		"ECDSA+SHA256": "ECDSA P-256", "ECDSA+SHA384": "ECDSA P-256"})
	wantSchemes(t, rep, suites.VersionTLS13, map[string]string{"rsa_pss_rsae_sha256": "RSA 2048", "ecdsa_secp256r1_sha256": "ECDSA P-256"})
	for _, l := range []*SchemeList{rep.Signatures.TLS12, rep.Signatures.TLS13} {
		for _, e := range l.Schemes {
			if e.Finding != "" {
				t.Errorf("%s %s: finding %q", l.Name, e.IANA, e.Finding)
			}
		}
	}
	if len(rep.Certificates.Chains) != 2 {
		t.Fatalf("%d chains, want the RSA and the ECDSA one", len(rep.Certificates.Chains))
	}
	for _, ch := range rep.Certificates.Chains {
		if len(ch.SeenWith) != 2 || !ch.Trusted || !ch.HostnameMatch || !ch.Complete || !ch.InOrder {
			t.Errorf("chain %s: %+v", ch.Certificates[0].Key, ch)
		}
	}
}

// TestScanSignaturesGnuTLS: GnuTLS's priority string names the schemes
// (SIGN-*) with one RSA certificate.
func TestScanSignaturesGnuTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartGnuTLSServer(t, pki.RSA,
		"NONE:+VERS-TLS1.3:+VERS-TLS1.2:+ECDHE-RSA:+AES-128-GCM:+AEAD:+SIGN-RSA-PSS-RSAE-SHA384:+SIGN-RSA-SHA512:+GROUP-X25519:+COMP-NULL",
		"--disable-client-cert", "--echo")
	rep := scanWith(t, srv.Addr, Options{ServerName: "localhost", Roots: pki.CAPool})
	wantSchemes(t, rep, suites.VersionTLS12, map[string]string{"rsa_pss_rsae_sha384": "RSA 2048", "rsa_pkcs1_sha512": "RSA 2048"})
	wantSchemes(t, rep, suites.VersionTLS13, map[string]string{"rsa_pss_rsae_sha384": "RSA 2048"})
}

func TestSchemeFindings(t *testing.T) {
	for _, tc := range []struct {
		scheme suites.SignatureScheme
		v      suites.Version
		want   string
	}{
		{suites.PKCS1WithSHA256, suites.VersionTLS13, "PKCS#1 v1.5"},
		{suites.PKCS1WithSHA1, suites.VersionTLS13, "SHA-1"},
		{suites.ECDSAWithSHA1, suites.VersionTLS13, "SHA-1"},
		{suites.PKCS1WithSHA256, suites.VersionTLS12, ""},
		{suites.PKCS1WithSHA1, suites.VersionTLS12, "SHA-1"},
		{suites.PSSWithSHA256, suites.VersionTLS13, ""},
		{0x0101, suites.VersionTLS12, "MD5"},
	} {
		got := schemeFinding(tc.scheme, tc.v)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%v in %v: finding %q, want one naming %q", tc.scheme, tc.v, got, tc.want)
		}
	}
	if !slices.Contains(allSchemes(), suites.PKCS1WithSHA1) {
		t.Error("the TLS 1.3 search does not offer rsa_pkcs1_sha1, so it could never find it")
	}
}
