package interop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// Certificate faults told apart by `clasp connect`, each against openssl
// s_server serving a chain made for it: the first line names the fault,
// and the fix it names (a client flag, or the server's chain or
// certificate changed) connects.

var certSerial atomic.Int64

// issued is a certificate with its key and its PEM file.
type issued struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string
}

type certSpec struct {
	cn        string
	names     []string
	ca        bool
	notAfter  time.Time
	eku       x509.ExtKeyUsage
	sigAlg    x509.SignatureAlgorithm
	aia       []string
	notBefore time.Time
}

// issue makes spec's certificate, signed by parent (self-signed when nil),
// and writes it to dir.
func issue(t *testing.T, dir string, spec certSpec, parent *issued) *issued {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(certSerial.Add(1) + 100), Subject: pkix.Name{CommonName: spec.cn, Organization: []string{"clasp connect test"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour), DNSNames: spec.names,
		SignatureAlgorithm: spec.sigAlg, IssuingCertificateURL: spec.aia}
	if !spec.notAfter.IsZero() {
		tmpl.NotAfter = spec.notAfter
	}
	if !spec.notBefore.IsZero() {
		tmpl.NotBefore = spec.notBefore
	}
	if spec.ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{spec.eku}
	}
	signer, parentCert := key, tmpl
	if parent != nil {
		signer, parentCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, strings.ReplaceAll(spec.cn, " ", "_")+".pem")
	writeFile(t, file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return &issued{cert: c, key: key, file: file}
}

// serveChain starts s_server with leaf and the extra certificates sent
// after it.
func serveChain(t *testing.T, leaf *issued, chain ...*issued) string {
	t.Helper()
	keyDER, err := x509.MarshalPKCS8PrivateKey(leaf.key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := leaf.file + ".key"
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	// SECLEVEL 0: OpenSSL 3 refuses to load a SHA-1 signed certificate at
	// its default level; the client is what is being tested.
	args := []string{"-www", "-cipher", "DEFAULT:@SECLEVEL=0"}
	if len(chain) > 0 {
		var all []byte
		for _, c := range chain {
			all = append(all, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})...)
		}
		chainFile := leaf.file + ".chain"
		writeFile(t, chainFile, all)
		args = append(args, "-cert_chain", chainFile)
	}
	return peertest.StartOpenSSLServer(t, &peertest.Leaf{CertFile: leaf.file, KeyFile: keyFile}, args...).Addr
}

func TestConnectTellsCertificateFaultsApart(t *testing.T) {
	peertest.Require(t, "openssl")
	bin := sharedClasp(t)
	dir := t.TempDir()
	root := issue(t, dir, certSpec{cn: "Test Root", ca: true}, nil)
	otherRoot := issue(t, dir, certSpec{cn: "Other Root", ca: true}, nil)
	inter := issue(t, dir, certSpec{cn: "Test Intermediate", ca: true}, root)
	good := issue(t, dir, certSpec{cn: "good", names: []string{"localhost"}, eku: x509.ExtKeyUsageServerAuth}, inter)
	trust := func(ca *issued) []string {
		return []string{"connect", "--servername", "localhost", "--cafile", ca.file}
	}

	cases := []struct {
		name      string
		leaf      *issued
		chain     []*issued
		client    []string
		wantFirst []string
		fixClient []string  // the client-side fix, nil when the fix is on the server
		fixLeaf   *issued   // the server-side fix: this leaf ...
		fixChain  []*issued // ... with this chain
	}{
		{name: "self-signed", leaf: issue(t, dir, certSpec{cn: "selfsigned", names: []string{"localhost"}, eku: x509.ExtKeyUsageServerAuth}, nil),
			client:    trust(root),
			wantFirst: []string{"the server's certificate CN=selfsigned,O=clasp connect test is self-signed and not trusted"},
			fixClient: []string{"connect", "--servername", "localhost", "--cafile", filepath.Join(dir, "selfsigned.pem")}},
		{name: "missing-intermediate", leaf: issue(t, dir, certSpec{cn: "aia", names: []string{"localhost"}, eku: x509.ExtKeyUsageServerAuth,
			aia: []string{"http://ca.example.test/intermediate.crt"}}, inter),
			client:    trust(root),
			wantFirst: []string{"chain is incomplete: the issuer of CN=aia,O=clasp connect test (CN=Test Intermediate,O=clasp connect test) was not sent", "http://ca.example.test/intermediate.crt"},
			fixChain:  []*issued{inter}},
		{name: "untrusted-root", leaf: good, chain: []*issued{inter}, client: trust(otherRoot),
			wantFirst: []string{"ends at CN=Test Intermediate,O=clasp connect test, whose issuer CN=Test Root,O=clasp connect test is not trusted here"},
			fixClient: trust(root)},
		{name: "expired", leaf: issue(t, dir, certSpec{cn: "expired", names: []string{"localhost"}, eku: x509.ExtKeyUsageServerAuth,
			notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)}, inter), chain: []*issued{inter},
			client: trust(root), wantFirst: []string{"leaf certificate CN=expired,O=clasp connect test expired on"},
			fixLeaf: good, fixChain: []*issued{inter}},
		{name: "hostname-mismatch", leaf: issue(t, dir, certSpec{cn: "other", names: []string{"other.example.test"}, eku: x509.ExtKeyUsageServerAuth}, inter),
			chain: []*issued{inter}, client: trust(root),
			wantFirst: []string{`the certificate is not valid for "localhost": it names other.example.test`},
			fixClient: []string{"connect", "--servername", "other.example.test", "--cafile", root.file}},
		{name: "wrong-eku", leaf: issue(t, dir, certSpec{cn: "clientonly", names: []string{"localhost"}, eku: x509.ExtKeyUsageClientAuth}, inter),
			chain: []*issued{inter}, client: trust(root), wantFirst: []string{"the server's leaf certificate CN=clientonly,O=clasp connect test is not for this use: its extended key usage is clientAuth, and serverAuth is needed"},
			fixLeaf: good, fixChain: []*issued{inter}},
		{name: "sha1-signature", leaf: issue(t, dir, certSpec{cn: "sha1", names: []string{"localhost"}, eku: x509.ExtKeyUsageServerAuth,
			sigAlg: x509.ECDSAWithSHA1}, inter), chain: []*issued{inter}, client: trust(root),
			wantFirst: []string{"the leaf certificate CN=sha1,O=clasp connect test is signed with ECDSA-SHA1, which is no longer accepted: it must be re-issued with SHA-256"},
			fixLeaf:   good, fixChain: []*issued{inter}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := serveChain(t, tc.leaf, tc.chain...)
			r := runClaspCommand(t, bin, append(tc.client, addr)...)
			if r.exit != 1 {
				t.Fatalf("exit %d, want 1", r.exit)
			}
			for _, want := range tc.wantFirst {
				if !strings.Contains(r.firstLine(), want) {
					t.Errorf("first line lacks %q:\n%s", want, r.firstLine())
				}
			}
			switch {
			case tc.fixClient != nil:
				if r = runClaspCommand(t, bin, append(tc.fixClient, addr)...); r.exit != 0 {
					t.Errorf("the client-side fix does not connect: exit %d", r.exit)
				}
			default:
				leaf := tc.leaf
				if tc.fixLeaf != nil {
					leaf = tc.fixLeaf
				}
				fixed := serveChain(t, leaf, tc.fixChain...)
				if r = runClaspCommand(t, bin, append(tc.client, fixed)...); r.exit != 0 {
					t.Errorf("after the server-side fix: exit %d", r.exit)
				}
			}
		})
	}
}

// A server that staples an OCSP response saying its certificate is
// revoked: the first line says so; a fresh "good" response (the server
// fix) connects.
func TestConnectNamesARevokedStapledCertificate(t *testing.T) {
	pki := peertest.NewPKI(t)
	bin := sharedClasp(t)
	for _, version := range []string{"-tls1_2", "-tls1_3"} {
		t.Run(version, func(t *testing.T) {
			revoked := peertest.StartOpenSSLServer(t, pki.ECDSA, version, "-www", "-status_file", pki.OCSPResponseFile(t, pki.ECDSA, ocsp.Revoked))
			args := []string{"connect", "--servername", "localhost", "--cafile", pki.CACertFile}
			r := runClaspCommand(t, bin, append(args, revoked.Addr)...)
			if r.exit != 1 || !strings.HasPrefix(r.firstLine(), "the server's certificate CN=localhost,OU=ecdsa,O=clasp peertest is REVOKED: its own stapled OCSP response says so") ||
				!strings.Contains(r.firstLine(), "reason keyCompromise") {
				t.Errorf("exit %d, first line %q", r.exit, r.firstLine())
			}
			good := peertest.StartOpenSSLServer(t, pki.ECDSA, version, "-www", "-status_file", pki.OCSPResponseFile(t, pki.ECDSA, ocsp.Good))
			if r = runClaspCommand(t, bin, append(args, good.Addr)...); r.exit != 0 {
				t.Errorf("with a good staple: exit %d", r.exit)
			}
		})
	}
}
