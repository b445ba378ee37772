package scan

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/ocsp"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// chainPKI is a three-level PKI made for the certificate tests: a root, an
// intermediate, and leaves signed by the intermediate.
type chainPKI struct {
	root, inter       *x509.Certificate
	rootKey, interKey crypto.Signer
	roots             *x509.CertPool
	leafKey           *ecdsa.PrivateKey
	serial            int64
	t                 *testing.T
}

func newChainPKI(t *testing.T) *chainPKI {
	p := &chainPKI{t: t, serial: 100}
	now := time.Now()
	p.rootKey, p.interKey, p.leafKey = newKey(t), newKey(t), newKey(t)
	p.root = p.sign(&x509.Certificate{Subject: pkix.Name{CommonName: "scan test root"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour)}, p.rootKey.Public(), nil, p.rootKey)
	p.inter = p.sign(&x509.Certificate{Subject: pkix.Name{CommonName: "scan test intermediate"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour)}, p.interKey.Public(), p.root, p.rootKey)
	p.roots = x509.NewCertPool()
	p.roots.AddCert(p.root)
	return p
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sign makes tmpl into a certificate for pub signed by parent (itself when
// nil).
func (p *chainPKI) sign(tmpl *x509.Certificate, pub crypto.PublicKey, parent *x509.Certificate, key crypto.Signer) *x509.Certificate {
	p.serial++
	tmpl.SerialNumber = big.NewInt(p.serial)
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		p.t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		p.t.Fatal(err)
	}
	return c
}

// leaf issues a server leaf for names, valid from notBefore for 30 days,
// with extra extensions.
func (p *chainPKI) leaf(names []string, notBefore time.Time, extra ...pkix.Extension) *x509.Certificate {
	return p.sign(&x509.Certificate{Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: notBefore, NotAfter: notBefore.Add(30 * 24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, ExtraExtensions: extra}, p.leafKey.Public(), p.inter, p.interKey)
}

// tlsCert is a crypto/tls certificate sending exactly chain.
func (p *chainPKI) tlsCert(chain ...*x509.Certificate) tls.Certificate {
	c := tls.Certificate{PrivateKey: p.leafKey, Leaf: chain[0]}
	for _, x := range chain {
		c.Certificate = append(c.Certificate, x.Raw)
	}
	return c
}

// scanChains scans a crypto/tls server sending cert for SNI name and
// returns the report's chains.
func scanChains(t *testing.T, p *chainPKI, cfg *tls.Config, name string) []*Chain {
	t.Helper()
	rep := scanWith(t, startGoServer(t, cfg), Options{ServerName: name, Roots: p.roots, RootsLabel: "test root"})
	if rep.Certificates == nil || rep.Certificates.Roots != "test root" {
		t.Fatalf("certificates: %+v", rep.Certificates)
	}
	return rep.Certificates.Chains
}

func oneChain(t *testing.T, chains []*Chain) *Chain {
	t.Helper()
	if len(chains) != 1 {
		t.Fatalf("%d chains, want 1", len(chains))
	}
	return chains[0]
}

func hasProblem(ch *Chain, text string) bool {
	return slices.ContainsFunc(ch.Problems, func(p string) bool { return strings.Contains(p, text) })
}

// TestScanChainShapes serves chains of each shape from crypto/tls, which
// sends Certificate.Certificate exactly as given, and checks what the scan
// says about each against how the test built it.
func TestScanChainShapes(t *testing.T) {
	p := newChainPKI(t)
	now := time.Now()
	good := p.leaf([]string{"good.example"}, now.Add(-time.Hour))
	expired := p.leaf([]string{"good.example"}, now.Add(-40*24*time.Hour))
	cases := []struct {
		name    string
		chain   []*x509.Certificate
		check   func(*Chain) bool
		problem string
	}{
		{"complete", []*x509.Certificate{good, p.inter}, func(ch *Chain) bool {
			return ch.Trusted && ch.Complete && ch.InOrder && !ch.RootSent && ch.Unused == 0 && ch.HostnameMatch && len(ch.Problems) == 0
		}, ""},
		{"missing intermediate", []*x509.Certificate{good}, func(ch *Chain) bool {
			return !ch.Trusted && !ch.Complete && ch.MissingIssuer == p.inter.Subject.String() && ch.InOrder
		}, "incomplete chain"},
		{"extra root", []*x509.Certificate{good, p.inter, p.root}, func(ch *Chain) bool {
			return ch.Trusted && ch.Complete && ch.InOrder && ch.RootSent && len(ch.Certificates) == 3 && ch.Certificates[2].SelfSigned
		}, "root certificate is sent"},
		{"wrong order", []*x509.Certificate{good, p.root, p.inter}, func(ch *Chain) bool {
			return ch.Trusted && ch.Complete && !ch.InOrder && ch.RootSent && ch.Unused == 0
		}, "wrong order"},
		{"unrelated extra", []*x509.Certificate{good, p.inter, expired}, func(ch *Chain) bool {
			return ch.Trusted && ch.InOrder && ch.Unused == 1
		}, "not on the leaf's path"},
		{"expired", []*x509.Certificate{expired, p.inter}, func(ch *Chain) bool {
			return !ch.Trusted && ch.Certificates[0].DaysLeft == -11 && strings.HasPrefix(ch.TrustError, "expired")
		}, "the leaf expired"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ch := oneChain(t, scanChains(t, p, &tls.Config{Certificates: []tls.Certificate{p.tlsCert(tc.chain...)}}, "good.example"))
			if !tc.check(ch) {
				t.Errorf("chain: %+v", ch)
			}
			if tc.problem != "" && !hasProblem(ch, tc.problem) {
				t.Errorf("problems %q do not say %q", ch.Problems, tc.problem)
			}
			for i, c := range ch.Certificates {
				if c.SHA256 == "" || c.Subject != tc.chain[i].Subject.String() || c.Issuer != tc.chain[i].Issuer.String() ||
					!c.NotAfter.Equal(tc.chain[i].NotAfter.UTC().Truncate(time.Second)) || c.Key != "ECDSA P-256" || c.SignatureAlgorithm != "ECDSA-SHA256" {
					t.Errorf("certificate %d: %+v", i, c)
				}
			}
		})
	}
}

// TestScanChainWrongHostAndSNI: a server that answers SNI good.example
// with one leaf and anything else with a leaf for other.example shows two
// chains; the second does not cover the name asked for.
func TestScanChainWrongHostAndSNI(t *testing.T) {
	p := newChainPKI(t)
	good := p.tlsCert(p.leaf([]string{"good.example", "www.good.example"}, time.Now().Add(-time.Hour)), p.inter)
	other := p.tlsCert(p.leaf([]string{"other.example"}, time.Now().Add(-time.Hour)), p.inter)
	cfg := &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if hello.ServerName == "good.example" {
			return &good, nil
		}
		return &other, nil
	}}
	chains := scanChains(t, p, cfg, "good.example")
	if len(chains) != 2 {
		t.Fatalf("%d chains, want one per SNI", len(chains))
	}
	for _, ch := range chains {
		withSNI := strings.Contains(ch.SeenWith[0], "SNI good.example")
		if ch.HostnameMatch != withSNI || ch.Hostname != "good.example" || !ch.Trusted {
			t.Errorf("chain seen with %v: %+v", ch.SeenWith, ch)
		}
		if !withSNI && (!hasProblem(ch, `does not cover "good.example"`) || !slices.Equal(ch.Certificates[0].SANs, []string{"other.example"})) {
			t.Errorf("the no-SNI chain: problems %q, SANs %v", ch.Problems, ch.Certificates[0].SANs)
		}
	}
}

// sctList encodes n fake SCTs as a SignedCertificateTimestampList (RFC
// 6962 §3.3); the scan counts them, checking them is CT's business.
func sctList(n int) []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for i := range n {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte{0, byte(i), 1, 2, 3}) })
		}
	})
	return b.BytesOrPanic()
}

// staplingLeaf is a must-staple leaf (RFC 7633: TLS feature
// status_request) with two embedded SCTs, and a good OCSP response for it.
func staplingLeaf(t *testing.T, p *chainPKI) (tls.Certificate, []byte) {
	mustStapleExt, _ := asn1.Marshal([]int{featureStatusRequest})
	embedded, _ := asn1.Marshal(sctList(2))
	leaf := p.leaf([]string{"good.example"}, time.Now().Add(-time.Hour),
		pkix.Extension{Id: oidTLSFeature, Value: mustStapleExt}, pkix.Extension{Id: oidEmbeddedSCT, Value: embedded})
	resp, err := ocsp.CreateResponse(p.inter, p.inter, ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber,
		ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(24 * time.Hour)}, p.interKey)
	if err != nil {
		t.Fatal(err)
	}
	return p.tlsCert(leaf, p.inter), resp
}

// TestScanOCSPAndSCTs: crypto/tls staples an OCSP response and sends
// three SCTs in the TLS extension when asked; the leaf is must-staple and
// embeds two SCTs. Over TLS 1.2 the scan sees all of it; a TLS 1.3-only
// server is read through clasp's client, which does not ask for stapling,
// so only what the certificate says is reported.
func TestScanOCSPAndSCTs(t *testing.T) {
	p := newChainPKI(t)
	cert, resp := staplingLeaf(t, p)
	cert.OCSPStaple = resp
	cert.SignedCertificateTimestamps = [][]byte{{1}, {2}, {3}}
	ch := oneChain(t, scanChains(t, p, &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS12}, "good.example"))
	if !ch.OCSPStapled || ch.OCSP == nil || ch.OCSP.Status != "good" || !ch.OCSP.SignatureValid || !ch.MustStaple ||
		ch.SCTs != (SCTCount{Embedded: 2, TLSExtension: 3}) || !ch.StaplingAsked || len(ch.Problems) != 0 {
		t.Errorf("TLS 1.2 chain: %+v, OCSP %+v", ch, ch.OCSP)
	}

	ch = oneChain(t, scanChains(t, p, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}, "good.example"))
	// The chain comes from clasp's client, which asks for stapling and
	// SCTs; TLS 1.3 carries both in the leaf's CertificateEntry.
	if !ch.StaplingAsked || !ch.OCSPStapled || !ch.MustStaple || ch.SCTs != (SCTCount{Embedded: 2, TLSExtension: 3}) || !ch.Trusted || !strings.Contains(ch.SeenWith[0], "TLS 1.3") {
		t.Errorf("TLS 1.3 chain: %+v", ch)
	}

	// Must-staple without a staple is a problem (RFC 7633 §4.2.3.1).
	cert.OCSPStaple = nil
	ch = oneChain(t, scanChains(t, p, &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS12}, "good.example"))
	if ch.OCSPStapled || !hasProblem(ch, "must-staple") {
		t.Errorf("must-staple without a staple: %+v", ch)
	}
}

func TestCountSCTsRejectsMalformedLists(t *testing.T) {
	if n := countSCTs(sctList(3)); n != 3 {
		t.Errorf("3 SCTs counted as %d", n)
	}
	for _, bad := range [][]byte{{}, {0, 3, 0, 1}, {0, 2, 0, 0}, append(sctList(1), 0)} {
		if n := countSCTs(bad); n != -1 {
			t.Errorf("%x: counted %d", bad, n)
		}
	}
}

// TestScanChainsOfATLS13OnlyDualCertificateServer: OpenSSL with an RSA and
// an ECDSA certificate and TLS 1.3 alone; the Certificate is encrypted, so
// each chain comes from a handshake of clasp's client offering one kind of
// key's schemes. The rsa_pss_pss_* schemes need an RSASSA-PSS key, not
// this rsaEncryption one (RFC 8446 §4.2.3), and OpenSSL refuses them.
func TestScanChainsOfATLS13OnlyDualCertificateServer(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-dcert", pki.ECDSA.CertFile, "-dkey", pki.ECDSA.KeyFile, "-tls1_3", "-quiet")
	rep := scanWith(t, srv.Addr, Options{ServerName: "localhost", Roots: pki.CAPool})
	var keys []string
	for _, ch := range rep.Certificates.Chains {
		keys = append(keys, ch.Certificates[0].Key)
		if !ch.Trusted || !ch.HostnameMatch || !ch.StaplingAsked || ch.OCSPStapled || len(ch.SeenWith) != 2 || !strings.HasPrefix(ch.SeenWith[0], "TLS 1.3") {
			t.Errorf("chain %+v", ch)
		}
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"ECDSA P-256", "RSA 2048"}) {
		t.Errorf("chains with keys %v, want the ECDSA and the RSA one", keys)
	}
	wantSchemes(t, rep, suites.VersionTLS13, map[string]string{
		"rsa_pss_rsae_sha256": "RSA 2048", "rsa_pss_rsae_sha384": "RSA 2048", "rsa_pss_rsae_sha512": "RSA 2048",
		"ecdsa_secp256r1_sha256": "ECDSA P-256"})
}

// TestScanChainOrderOpenSSL: openssl s_server sends its -cert_chain file
// as written, after the leaf; here the root comes before the
// intermediate, and the leaf is for another name than the one asked.
func TestScanChainOrderOpenSSL(t *testing.T) {
	peertest.Require(t, "openssl")
	p := newChainPKI(t)
	leaf := p.leaf([]string{"other.example"}, time.Now().Add(-time.Hour))
	dir := t.TempDir()
	write := func(name string, blocks ...*pem.Block) string {
		var data []byte
		for _, b := range blocks {
			data = append(data, pem.EncodeToMemory(b)...)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(p.leafKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile := write("leaf.pem", &pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})
	keyFile := write("leaf.key", &pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	chainFile := write("chain.pem", &pem.Block{Type: "CERTIFICATE", Bytes: p.root.Raw}, &pem.Block{Type: "CERTIFICATE", Bytes: p.inter.Raw})
	srv := peertest.StartOpenSSLServer(t, &peertest.Leaf{CertFile: certFile, KeyFile: keyFile}, "-cert_chain", chainFile, "-quiet")
	rep := scanWith(t, srv.Addr, Options{ServerName: "good.example", Roots: p.roots})
	ch := oneChain(t, rep.Certificates.Chains)
	if ch.InOrder || !ch.RootSent || !ch.Complete || !ch.Trusted || ch.HostnameMatch || len(ch.Certificates) != 3 ||
		ch.Certificates[1].Subject != p.root.Subject.String() || !hasProblem(ch, "wrong order") || !hasProblem(ch, `does not cover "good.example"`) {
		t.Errorf("chain: %+v", ch)
	}
}

// TestCertificateFactsFromOddInput: what a hostile or broken server can
// put in a certificate or a staple is reported, never a crash.
func TestCertificateFactsFromOddInput(t *testing.T) {
	p := newChainPKI(t)
	leaf := p.leaf([]string{"good.example"}, time.Now().Add(-time.Hour))
	if info := readOCSP([]byte("not OCSP"), leaf, p.inter); !strings.HasPrefix(info.Status, "unparseable") || info.SignatureValid {
		t.Errorf("garbage staple: %+v", info)
	}
	// A good response signed by the wrong key: readable, not valid.
	other := newKey(t)
	resp, err := ocsp.CreateResponse(p.inter, p.inter, ocsp.Response{Status: ocsp.Revoked, SerialNumber: leaf.SerialNumber,
		ThisUpdate: time.Now(), RevokedAt: time.Now()}, other)
	if err != nil {
		t.Fatal(err)
	}
	if info := readOCSP(resp, leaf, p.inter); info.Status != "revoked" || info.SignatureValid {
		t.Errorf("badly signed staple: %+v", info)
	}
	badFeature := p.leaf([]string{"good.example"}, time.Now(), pkix.Extension{Id: oidTLSFeature, Value: []byte{0x30, 0x03, 0x02}},
		pkix.Extension{Id: oidEmbeddedSCT, Value: []byte{0x04, 0x02, 0x00}})
	if MustStaple(badFeature) || embeddedSCTs(badFeature) != -1 {
		t.Errorf("malformed extensions: must-staple %v, SCTs %d", MustStaple(badFeature), embeddedSCTs(badFeature))
	}
	if _, err := analyseChain(presented{der: [][]byte{leaf.Raw, []byte("junk")}}, "good.example", p.roots, time.Now()); err == nil {
		t.Error("a chain with a certificate that does not parse was analysed")
	}
}
