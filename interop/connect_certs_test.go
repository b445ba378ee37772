package interop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os/exec"
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
		{name: "not-yet-valid", leaf: issue(t, dir, certSpec{cn: "future", names: []string{"localhost"}, eku: x509.ExtKeyUsageServerAuth,
			notBefore: time.Now().Add(24 * time.Hour), notAfter: time.Now().Add(48 * time.Hour)}, inter), chain: []*issued{inter},
			client: trust(root), wantFirst: []string{"leaf certificate CN=future,O=clasp connect test is not valid yet: it starts"},
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

// opensslCert makes a "localhost" certificate with the openssl command:
// self-signed when caCert is "", else signed by caCert/caKey with digest.
// crypto/x509 signs with neither MD5 nor RSA keys this short, so the
// faults below are made the way an old server's operator made them.
func opensslCert(t *testing.T, dir, name, newkey, digest, caCert, caKey string) *peertest.Leaf {
	t.Helper()
	leaf := &peertest.Leaf{CertFile: filepath.Join(dir, name+".pem"), KeyFile: filepath.Join(dir, name+".key")}
	run := func(args ...string) {
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	if caCert == "" {
		run("req", "-x509", "-newkey", newkey, "-"+digest, "-nodes", "-keyout", leaf.KeyFile, "-out", leaf.CertFile,
			"-days", "30", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost")
		return leaf
	}
	csr := filepath.Join(dir, name+".csr")
	ext := filepath.Join(dir, name+".ext")
	writeFile(t, ext, []byte("subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n"))
	run("req", "-new", "-newkey", newkey, "-nodes", "-keyout", leaf.KeyFile, "-out", csr, "-subj", "/CN=localhost")
	run("x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey, "-CAcreateserial", "-"+digest, "-days", "30",
		"-extfile", ext, "-out", leaf.CertFile)
	return leaf
}

// A server whose RSA key is too short for crypto/rsa (512 bits) fails the
// handshake where the client uses the key: the ServerKeyExchange signature
// (ECDHE) or the premaster secret's encryption (static RSA). The first line
// names the key and its size; the server fix (a 2048-bit key) connects, and
// so does the client's knowing override, GODEBUG=rsa1024min=0.
func TestConnectNamesAWeakRSAServerKey(t *testing.T) {
	peertest.Require(t, "openssl")
	bin := sharedClasp(t)
	dir := t.TempDir()
	weak := opensslCert(t, dir, "rsa512", "rsa:512", "sha256", "", "")
	// TLS 1.2 only: an RSA-512 key cannot make an RSA-PSS signature at all,
	// so a TLS 1.3 server refuses the hello before sending its certificate.
	addr := peertest.StartOpenSSLServer(t, weak, "-www", "-tls1_2", "-cipher", "DEFAULT:@SECLEVEL=0").Addr
	client := []string{"connect", "--servername", "localhost", "--cafile", weak.CertFile}
	want := "the server's leaf certificate CN=localhost has a 512-bit RSA key, too short to be used: it must be re-issued with a key of at least 2048 bits"
	r := runClaspCommand(t, bin, append(client, addr)...)
	if r.exit != 1 || r.firstLine() != want {
		t.Errorf("exit %d, first line %q, want %q", r.exit, r.firstLine(), want)
	}
	for _, suite := range []string{"ECDHE-RSA-AES128-GCM-SHA256", "AES128-GCM-SHA256"} {
		out, r := connectJSON(t, bin, append([]string{"--ciphers", suite, "--servername", "localhost", "--cafile", weak.CertFile}, addr)...)
		d, _ := out["diagnosis"].(map[string]any)
		evidence, _ := d["evidence"].(map[string]any)
		if r.exit != 1 || d["cause"] != "certificate_weak_key" || evidence["key_bits"] != float64(512) {
			t.Errorf("%s: exit %d, diagnosis %v", suite, r.exit, d)
		}
	}
	// The client's override, knowingly: crypto/rsa's own switch.
	if r := runClaspCommandEnv(t, bin, []string{"GODEBUG=rsa1024min=0"}, append(client, addr)...); r.exit != 0 {
		t.Errorf("GODEBUG=rsa1024min=0: exit %d", r.exit)
	}
	// The server's fix: a certificate re-issued with a 2048-bit key.
	good := opensslCert(t, dir, "rsa2048", "rsa:2048", "sha256", "", "")
	addr = peertest.StartOpenSSLServer(t, good, "-www", "-tls1_2").Addr
	if r := runClaspCommand(t, bin, "connect", "--servername", "localhost", "--cafile", good.CertFile, addr); r.exit != 0 {
		t.Errorf("re-issued with 2048 bits: exit %d", r.exit)
	}
}

// A leaf its CA signed with MD5 is refused like a SHA-1 one: the first line
// names the algorithm and the re-issue; the same CA signing with SHA-256
// connects.
func TestConnectNamesAnMD5SignedCertificate(t *testing.T) {
	peertest.Require(t, "openssl")
	bin := sharedClasp(t)
	dir := t.TempDir()
	ca := opensslCert(t, dir, "ca", "rsa:2048", "sha256", "", "")
	md5Leaf := opensslCert(t, dir, "md5", "rsa:2048", "md5", ca.CertFile, ca.KeyFile)
	addr := peertest.StartOpenSSLServer(t, md5Leaf, "-www", "-cipher", "DEFAULT:@SECLEVEL=0").Addr
	client := []string{"connect", "--servername", "localhost", "--cafile", ca.CertFile}
	r := runClaspCommand(t, bin, append(client, addr)...)
	want := "the leaf certificate CN=localhost is signed with MD5-RSA, which is no longer accepted: it must be re-issued with SHA-256"
	if r.exit != 1 || r.firstLine() != want {
		t.Errorf("exit %d, first line %q, want %q", r.exit, r.firstLine(), want)
	}
	fixed := opensslCert(t, dir, "sha256", "rsa:2048", "sha256", ca.CertFile, ca.KeyFile)
	addr = peertest.StartOpenSSLServer(t, fixed, "-www").Addr
	if r := runClaspCommand(t, bin, append(client, addr)...); r.exit != 0 {
		t.Errorf("re-issued with SHA-256: exit %d", r.exit)
	}
}
