package explain

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
	"golang.org/x/crypto/ocsp"
)

// The failure classes of issue 12 that TestFailureClassesExplained
// provokes in every client program (suites, versions, self-signed,
// hostname and expired are in the per-program tests).
const (
	classGroup          = "no shared group"
	classSigalg         = "no shared signature scheme"
	classMissingInter   = "missing intermediate"
	classUntrustedRoot  = "untrusted root"
	classWrongEKU       = "wrong extended key usage"
	classSHA1           = "SHA-1 signed certificate"
	classWeakKey        = "weak key (RSA-512)"
	classRevoked        = "revoked certificate"
	classNotYetValid    = "not yet valid"
	classSNIRequired    = "SNI required"
	classCertRequired   = "client certificate required"
	classCertOtherCA    = "client certificate from a CA the server did not name"
	classServerRejected = "client rejected the server's certificate"
)

// classPKI holds the certificates behind the certificate-fault classes,
// each faulty in exactly one way (all name localhost and 127.0.0.1).
type classPKI struct {
	// caFile is the CA that issues the faulty leaves; a client that trusts
	// it sees only the leaf's own fault.
	caFile string
	// rootFile is the root of a two-level chain root → intermediate →
	// viaInter; interAndRoot is the intermediate followed by the root.
	rootFile, interAndRoot string
	viaInter               leafFiles
	// clientOnly has ExtKeyUsage clientAuth only; sha1 is signed with
	// ecdsa-with-SHA1; weakKey has an RSA-512 key; notYetValid starts
	// in five days.
	clientOnly, sha1, weakKey, notYetValid leafFiles
}

var (
	classOnce sync.Once
	classVal  *classPKI
	classErr  error
)

func newClassPKI(t *testing.T) *classPKI {
	t.Helper()
	requireProgram(t, "openssl") // for the RSA-512 key Go refuses to make
	classOnce.Do(func() { classVal, classErr = makeClassPKI() })
	if classErr != nil {
		t.Fatal(classErr)
	}
	return classVal
}

// classCA is a CA certificate with its key, written to a PEM file.
type classCA struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  []byte
}

func makeClassCA(dir, name string, parent *classCA) (*classCA, error) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(48 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	signer, signerKey := tmpl, crypto.Signer(key)
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	return &classCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

func makeClassPKI() (*classPKI, error) {
	dir, err := os.MkdirTemp("", "explain-classes-")
	if err != nil {
		return nil, err
	}
	ca, err := makeClassCA(dir, "explain class CA", nil)
	if err != nil {
		return nil, err
	}
	root, err := makeClassCA(dir, "explain chain root", nil)
	if err != nil {
		return nil, err
	}
	inter, err := makeClassCA(dir, "explain intermediate", root)
	if err != nil {
		return nil, err
	}
	p := &classPKI{caFile: filepath.Join(dir, "ca.pem"), rootFile: filepath.Join(dir, "root.pem"),
		interAndRoot: filepath.Join(dir, "inter-root.pem")}
	for path, data := range map[string][]byte{p.caFile: ca.pem, p.rootFile: root.pem, p.interAndRoot: append(append([]byte{}, inter.pem...), root.pem...)} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return nil, err
		}
	}
	now := time.Now()
	leaf := func(serial int64) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), DNSNames: []string{"localhost"},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	}
	clientOnly := leaf(11)
	clientOnly.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	sha1 := leaf(12)
	sha1.SignatureAlgorithm = x509.ECDSAWithSHA1
	notYet := leaf(13)
	// NSS tolerates a notBefore up to two days ahead (certdb.c's
	// pendingSlop); five days is not yet valid for everyone.
	notYet.NotBefore, notYet.NotAfter = now.Add(5*24*time.Hour), now.Add(6*24*time.Hour)
	weakKey, err := rsa512Key()
	if err != nil {
		return nil, err
	}
	leaves := []struct {
		dst    *leafFiles
		name   string
		tmpl   *x509.Certificate
		key    crypto.Signer
		issuer *classCA
	}{
		{&p.viaInter, "via-inter", leaf(10), nil, inter},
		{&p.clientOnly, "client-only", clientOnly, nil, ca},
		{&p.sha1, "sha1", sha1, nil, ca},
		{&p.notYetValid, "not-yet-valid", notYet, nil, ca},
		{&p.weakKey, "rsa512", leaf(14), weakKey, ca},
	}
	for _, l := range leaves {
		if *l.dst, err = writeClassLeaf(dir, l.name, l.tmpl, l.key, l.issuer); err != nil {
			return nil, fmt.Errorf("leaf %s: %w", l.name, err)
		}
	}
	return p, nil
}

// rsa512Key asks openssl for an RSA-512 key: crypto/rsa refuses to
// generate keys under 1024 bits, and a weak key is the fault wanted.
func rsa512Key() (crypto.Signer, error) {
	out, err := exec.Command("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:512").Output()
	if err != nil {
		return nil, fmt.Errorf("openssl genpkey: %w", err)
	}
	block, _ := pem.Decode(out)
	if block == nil {
		return nil, fmt.Errorf("openssl genpkey printed no PEM key")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	return key.(crypto.Signer), nil
}

// writeClassLeaf signs tmpl with issuer for key (a new ECDSA key when nil).
func writeClassLeaf(dir, name string, tmpl *x509.Certificate, key crypto.Signer, issuer *classCA) (leafFiles, error) {
	if key == nil {
		key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer.cert, key.Public(), issuer.key)
	if err != nil {
		return leafFiles{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return leafFiles{}, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	f := leafFiles{cert: filepath.Join(dir, name+".pem"), key: filepath.Join(dir, name+".key"), combined: filepath.Join(dir, name+"-combined.pem")}
	for path, data := range map[string][]byte{f.cert: certPEM, f.key: keyPEM, f.combined: append(append([]byte{}, certPEM...), keyPEM...)} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return leafFiles{}, err
		}
	}
	return f, nil
}

// classServers are the real servers, one per failure class, that every
// client program of TestFailureClassesExplained meets. They are
// openssl s_server -www (it closes after its answer, which tstclnt needs)
// except sni, an nginx that rejects handshakes without SNI.
type classServers struct {
	pki   *peertest.PKI
	class *classPKI
	// crlFile revokes pki.RSA; revoked staples an OCSP response that does.
	crlFile string
	group, sigalg, missingInter, untrustedRoot, wrongEKU, sha1, weakKey,
	revoked, notYetValid, certRequired, certOtherCA, sni string
	sniNginx *nginxProc
	// servers holds each s_server by address, for what it printed.
	servers map[string]*peertest.Process
}

func startClassServers(t *testing.T) *classServers {
	t.Helper()
	pki := peertest.NewPKI(t)
	cp := newClassPKI(t)
	s := &classServers{pki: pki, class: cp, crlFile: writeCRL(t, pki), servers: map[string]*peertest.Process{}}
	start := func(leaf *peertest.Leaf, args ...string) string {
		p := peertest.StartOpenSSLServer(t, leaf, append([]string{"-www"}, args...)...)
		s.servers[p.Addr] = p
		return p.Addr
	}
	// Only P-384: clients are made to offer X25519 alone.
	s.group = start(pki.RSA, "-groups", "P-384")
	// Only RSA PKCS#1 with SHA-1 in TLS 1.2 (security level 0 allows it);
	// current clients no longer offer it, or are told not to.
	s.sigalg = start(pki.RSA, "-tls1_2", "-sigalgs", "RSA+SHA1", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0")
	s.missingInter = start(cp.viaInter.asLeaf())
	s.untrustedRoot = start(cp.viaInter.asLeaf(), "-cert_chain", cp.interAndRoot)
	s.wrongEKU = start(cp.clientOnly.asLeaf())
	s.sha1 = start(cp.sha1.asLeaf(), "-cipher", "DEFAULT:@SECLEVEL=0")
	// RSA-512 cannot sign RSA-PSS with SHA-256, so TLS 1.3 is out: TLS 1.2
	// with a PKCS#1 signature.
	s.weakKey = start(cp.weakKey.asLeaf(), "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0")
	s.revoked = start(pki.RSA, "-status_file", pki.OCSPResponseFile(t, pki.RSA, ocsp.Revoked))
	s.notYetValid = start(cp.notYetValid.asLeaf())
	s.certRequired = start(pki.RSA, "-Verify", "1", "-CAfile", pki.CACertFile)
	// Asks for a certificate from the class CA; the clients hold pki.Client.
	// Without -verify_return_error s_server logs the verify error and
	// carries on.
	s.certOtherCA = start(pki.RSA, "-Verify", "1", "-CAfile", cp.caFile, "-verify_return_error")
	if _, err := exec.LookPath("nginx"); err == nil || peertest.InCI() {
		s.sniNginx = startSNINginx(t, pki)
		s.sni = s.sniNginx.addr(0)
	}
	return s
}

// requireSNI skips (or under CI fails) when nginx is not installed.
func (s *classServers) requireSNI(t *testing.T) string {
	t.Helper()
	if s.sni == "" {
		peertest.Require(t, "nginx")
	}
	return s.sni
}

// writeCRL writes a CRL of the PKI's CA that revokes the RSA leaf.
func writeCRL(t *testing.T, pki *peertest.PKI) string {
	t.Helper()
	now := time.Now()
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(24 * time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: pki.RSA.Cert.SerialNumber, RevocationTime: now.Add(-time.Hour)}},
	}, pki.CACert, pki.CAKey)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "crl.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startSNINginx runs nginx whose default server rejects every handshake
// (ssl_reject_handshake) and whose "localhost" server answers: a client
// that sends no SNI, as for an IP address, meets the rejection.
func startSNINginx(t *testing.T, pki *peertest.PKI) *nginxProc {
	t.Helper()
	return startNginx(t, 1, func(ports []int) string {
		return fmt.Sprintf(`
    server {
        listen 127.0.0.1:%d ssl default_server;
        ssl_reject_handshake on;
    }
    server {
        listen 127.0.0.1:%d ssl;
        server_name localhost;
        ssl_certificate %s;
        ssl_certificate_key %s;
        location / { return 200 "ok\n"; }
    }`, ports[0], ports[0], pki.RSA.CertFile, pki.RSA.KeyFile)
	})
}
