package scan

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// TestScanKeysNginx: nginx (Debian's, on OpenSSL 3.0) with its signature
// schemes set through ssl_conf_command, an RFC 3526 DH group, and the
// chain file that ends with the CA.
func TestScanKeysNginx(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	dh := filepath.Join(t.TempDir(), "modp2048.pem")
	if out, err := exec.Command("openssl", "genpkey", "-genparam", "-algorithm", "DH",
		"-pkeyopt", "group:modp_2048", "-out", dh).CombinedOutput(); err != nil {
		t.Fatalf("openssl genpkey: %v\n%s", err, out)
	}
	leaf := *pki.RSA
	leaf.CertFile = pki.RSA.ChainFile
	srv := peertest.StartNginx(t, &leaf, `ssl_protocols TLSv1.2 TLSv1.3;
ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256;
ssl_conf_command SignatureAlgorithms rsa_pss_rsae_sha384:RSA+SHA256;
ssl_dhparam `+dh+`;`)
	rep := scanWith(t, srv.Addr, Options{ServerName: "localhost", Roots: pki.CAPool})
	wantSchemes(t, rep, suites.VersionTLS13, map[string]string{"rsa_pss_rsae_sha384": "RSA 2048"})
	wantSchemes(t, rep, suites.VersionTLS12, map[string]string{"rsa_pss_rsae_sha384": "RSA 2048", "rsa_pkcs1_sha256": "RSA 2048"})
	got13, _ := schemesOf(rep, suites.VersionTLS13)
	confirmTLS13Schemes(t, srv.Addr, pki.CAPool, got13)
	if dh := rep.Groups.DHE; dh == nil || dh.Bits != 2048 || dh.Group != "RFC 3526 group 14 (2048-bit MODP)" {
		t.Errorf("DHE parameters: %+v", dh)
	}
	if l := rep.Groups.FFDHE; l == nil || len(l.Groups) != 0 {
		t.Errorf("FFDHE groups of an OpenSSL 3.0 server: %+v", l)
	}
	ch := oneChain(t, rep.Certificates.Chains)
	if !ch.Trusted || !ch.RootSent || !ch.InOrder || !ch.Complete || len(ch.Certificates) != 2 || !ch.HostnameMatch {
		t.Errorf("chain: %+v", ch)
	}
}

// TestScanKeysNSS: NSS selfserv with an RSA certificate signs TLS 1.3
// with the three RSA-PSS schemes and TLS 1.2 also with PKCS#1, SHA-1
// included, which the scan flags (RFC 9155); an openssl s_client offering
// only RSA+SHA1 confirms it.
func TestScanKeysNSS(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartNSSServer(t, pki.RSA, "-V", "tls1.2:tls1.3")
	rep := scanWith(t, srv.Addr, Options{ServerName: "localhost", Roots: pki.CAPool})
	rsa := map[string]string{"rsa_pss_rsae_sha256": "RSA 2048", "rsa_pss_rsae_sha384": "RSA 2048", "rsa_pss_rsae_sha512": "RSA 2048"}
	wantSchemes(t, rep, suites.VersionTLS13, rsa)
	for _, s := range []string{"rsa_pkcs1_sha1", "rsa_pkcs1_sha256", "rsa_pkcs1_sha384", "rsa_pkcs1_sha512"} {
		rsa[s] = "RSA 2048"
	}
	wantSchemes(t, rep, suites.VersionTLS12, rsa)
	for _, e := range rep.Signatures.TLS12.Schemes {
		if (e.ID == suites.PKCS1WithSHA1) != strings.Contains(e.Finding, "SHA-1") {
			t.Errorf("%s: finding %q", e.IANA, e.Finding)
		}
	}
	out, err := peertest.RunOpenSSLClient(t, srv.Addr, "", "-tls1_2", "-sigalgs", "RSA+SHA1", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0")
	if err != nil || !strings.Contains(out, "Peer signing digest: SHA1") {
		t.Errorf("openssl s_client offering only RSA+SHA1: %v\n%s", err, out)
	}
	got13, _ := schemesOf(rep, suites.VersionTLS13)
	confirmTLS13Schemes(t, srv.Addr, pki.CAPool, got13)
	if ch := oneChain(t, rep.Certificates.Chains); !ch.Trusted || !ch.RootSent || !ch.HostnameMatch {
		t.Errorf("chain: %+v", ch)
	}
}
