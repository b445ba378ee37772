package interop

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/dsakey"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// dsaLeaf is a "localhost" certificate for the 2048-bit DSA key OpenSSL
// made (internal/dsakey/testdata; q is 224 bits), issued by the PKI's CA
// through internal/dsakey, as PEM files for the peers and as a clasp
// Certificate loaded from them.
func dsaLeaf(t *testing.T, pki *peertest.PKI) (*peertest.Leaf, clasp.Certificate) {
	t.Helper()
	keyPEM, err := os.ReadFile(filepath.Join("..", "internal", "dsakey", "testdata", "dsa2048-pkcs8.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return dsaLeafFromPEM(t, pki, keyPEM)
}

// dsaLeafQ160 is dsaLeaf for a fresh 1024-bit key with a 160-bit q
// (crypto/dsa's L1024N160): Java 17 signs and verifies a bare SHA-1 hash
// with DSA, as TLS 1.0/1.1 and SSL 3.0 need, only when q is no longer than
// SHA-1 (see javaServerCases). OpenSSL 3's 1024-bit key in
// internal/dsakey/testdata has a 224-bit q.
func dsaLeafQ160(t *testing.T, pki *peertest.PKI) (*peertest.Leaf, clasp.Certificate) {
	t.Helper()
	key, err := dsakey.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := dsakey.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return dsaLeafFromPEM(t, pki, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// dsaLeafFromPEM issues the certificate for a PKCS #8 DSA key.
func dsaLeafFromPEM(t *testing.T, pki *peertest.PKI, keyPEM []byte) (*peertest.Leaf, clasp.Certificate) {
	t.Helper()
	block, _ := pem.Decode(keyPEM)
	key, err := dsakey.ParsePrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(4242), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := dsakey.CreateCertificate(rand.Reader, tmpl, pki.CACert, &key.PublicKey, pki.CAKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	leaf := &peertest.Leaf{Name: "dsa", CertFile: filepath.Join(dir, "dsa.pem"), KeyFile: filepath.Join(dir, "dsa.key")}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(leaf.CertFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(leaf.KeyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := clasp.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return leaf, cert
}

// dssCase is one DHE_DSS or anonymous suite in one version, as each peer
// names it.
type dssCase struct {
	v       uint16
	iana    string
	openssl string // s_server/s_client -cipher; "" when OpenSSL lacks the suite
	gnutls  string // priority string
	scheme  clasp.SignatureScheme
	// noGnuTLS marks dsa_sha256: GnuTLS 3.7.9 never offers or accepts it
	// in TLS (a clasp server naming only dsa_sha256 finds none in its
	// signature_algorithms, and its priority parser calls SIGN-DSA-SHA256
	// alone "insufficient"); OpenSSL runs it.
	noGnuTLS bool
}

func (c dssCase) name() string { return clasp.VersionName(c.v) + "/" + c.iana }

func (c dssCase) opensslVersion() string {
	return map[uint16]string{clasp.VersionTLS10: "-tls1", clasp.VersionTLS11: "-tls1_1", clasp.VersionTLS12: "-tls1_2"}[c.v]
}

func (c dssCase) id() uint16 {
	s, _ := suites.SuiteByName(c.iana)
	return uint16(s.ID)
}

// dssCases: DHE_DSS signs with DSA over SHA-1 in TLS 1.0 (RFC 2246
// §7.4.3) and with the dsa_* scheme clasp names in TLS 1.2. GnuTLS's
// TLS 1.2 anonymous suites need some SIGN-* in the priority string too.
var dssCases = []dssCase{
	{clasp.VersionTLS10, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", "DHE-DSS-AES128-SHA", "NONE:+VERS-TLS1.0:+DHE-DSS:+AES-128-CBC:+SHA1:+SIGN-ALL:+COMP-NULL:+GROUP-ALL", 0, false},
	{clasp.VersionTLS11, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", "DHE-DSS-AES256-SHA", "NONE:+VERS-TLS1.1:+DHE-DSS:+AES-256-CBC:+SHA1:+SIGN-ALL:+COMP-NULL:+GROUP-ALL", 0, false},
	// 3DES: Debian's OpenSSL 3.0 has no DES-CBC3 suite at all (see
	// legacySuites), so only GnuTLS runs these.
	{clasp.VersionTLS10, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "", "NONE:+VERS-TLS1.0:+DHE-DSS:+3DES-CBC:+SHA1:+SIGN-ALL:+COMP-NULL:+GROUP-ALL", 0, false},
	{clasp.VersionTLS11, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "", "NONE:+VERS-TLS1.1:+DHE-DSS:+3DES-CBC:+SHA1:+SIGN-ALL:+COMP-NULL:+GROUP-ALL", 0, false},
	{clasp.VersionTLS12, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "", "NONE:+VERS-TLS1.2:+DHE-DSS:+3DES-CBC:+SHA1:+SIGN-DSA-SHA1:+COMP-NULL:+GROUP-ALL", clasp.DSAWithSHA1, false},
	{clasp.VersionTLS12, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", "DHE-DSS-AES128-GCM-SHA256", "", clasp.DSAWithSHA256, true},
	{clasp.VersionTLS12, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", "DHE-DSS-AES256-GCM-SHA384", "NONE:+VERS-TLS1.2:+DHE-DSS:+AES-256-GCM:+AEAD:+SIGN-DSA-SHA1:+COMP-NULL:+GROUP-ALL", clasp.DSAWithSHA1, false},
	{clasp.VersionTLS12, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", "DHE-DSS-AES256-SHA256", "NONE:+VERS-TLS1.2:+DHE-DSS:+AES-256-CBC:+SHA256:+SIGN-DSA-SHA1:+COMP-NULL:+GROUP-ALL", clasp.DSAWithSHA1, false},
}

// anonCases: no certificate, no signature.
var anonCases = []dssCase{
	{clasp.VersionTLS10, "TLS_DH_anon_WITH_AES_128_CBC_SHA", "ADH-AES128-SHA", "NONE:+VERS-TLS1.0:+ANON-DH:+AES-128-CBC:+SHA1:+COMP-NULL:+GROUP-ALL", 0, false},
	{clasp.VersionTLS11, "TLS_DH_anon_WITH_AES_256_CBC_SHA", "ADH-AES256-SHA", "NONE:+VERS-TLS1.1:+ANON-DH:+AES-256-CBC:+SHA1:+COMP-NULL:+GROUP-ALL", 0, false},
	{clasp.VersionTLS12, "TLS_DH_anon_WITH_AES_128_GCM_SHA256", "ADH-AES128-GCM-SHA256", "NONE:+VERS-TLS1.2:+ANON-DH:+AES-128-GCM:+AEAD:+COMP-NULL:+GROUP-ALL:+SIGN-ALL", 0, false},
	{clasp.VersionTLS10, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", "AECDH-AES128-SHA", "NONE:+VERS-TLS1.0:+ANON-ECDH:+AES-128-CBC:+SHA1:+COMP-NULL:+GROUP-ALL", 0, false},
	{clasp.VersionTLS11, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", "AECDH-AES128-SHA", "NONE:+VERS-TLS1.1:+ANON-ECDH:+AES-128-CBC:+SHA1:+COMP-NULL:+GROUP-ALL", 0, false},
	{clasp.VersionTLS12, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", "AECDH-AES256-SHA", "NONE:+VERS-TLS1.2:+ANON-ECDH:+AES-256-CBC:+SHA1:+COMP-NULL:+GROUP-ALL:+SIGN-ALL", 0, false},
}

func dssClientConfig(pki *peertest.PKI, c dssCase) *clasp.Config {
	cfg := oldClientConfig(pki, c.v, c.id())
	if c.scheme != 0 {
		cfg.SignatureSchemes = []clasp.SignatureScheme{c.scheme}
	}
	return cfg
}

func dssServerConfig(cert clasp.Certificate, c dssCase) *clasp.Config {
	cfg := &clasp.Config{MinVersion: c.v, MaxVersion: c.v, CipherSuites: []uint16{c.id()},
		Groups: []clasp.CurveID{clasp.X25519, clasp.CurveP256, clasp.FFDHE2048}}
	if len(cert.Certificate) > 0 {
		cfg.Certificates = []clasp.Certificate{cert}
	}
	if c.scheme != 0 {
		cfg.SignatureSchemes = []clasp.SignatureScheme{c.scheme}
	}
	return cfg
}

// wantWarning checks that the state carries a warning containing text.
func wantWarning(t *testing.T, side string, st clasp.ConnectionState, text string) {
	t.Helper()
	if !strings.Contains(strings.Join(st.Warnings, "\n"), text) {
		t.Errorf("%s warnings %q lack %q", side, st.Warnings, text)
	}
}

func TestDSSAndAnonClaspClientToGnuTLSServer(t *testing.T) {
	peertest.Require(t, "gnutls-serv")
	pki := peertest.NewPKI(t)
	leaf, _ := dsaLeaf(t, pki)
	for _, c := range append(append([]dssCase{}, dssCases...), anonCases...) {
		if c.noGnuTLS {
			continue
		}
		t.Run(c.name(), func(t *testing.T) {
			srv := peertest.StartGnuTLSServer(t, leaf, c.gnutls, "--http", "--disable-client-cert")
			page, state, _ := claspOldGet(t, srv.Addr, dssClientConfig(pki, c))
			if !strings.Contains(page, "200 OK") {
				t.Errorf("gnutls-serv did not answer with a page:\n%s", page)
			}
			checkDSSState(t, "client", state, c)
		})
	}
}

func TestDSSAndAnonGnuTLSClientToClaspServer(t *testing.T) {
	peertest.Require(t, "gnutls-cli")
	pki := peertest.NewPKI(t)
	_, cert := dsaLeaf(t, pki)
	for _, c := range append(append([]dssCase{}, dssCases...), anonCases...) {
		if c.noGnuTLS {
			continue
		}
		t.Run(c.name(), func(t *testing.T) {
			srvCert := cert
			if strings.Contains(c.iana, "_anon_") {
				srvCert = clasp.Certificate{}
			}
			addr, results, _ := startCountingClaspServer(t, dssServerConfig(srvCert, c))
			out, err := peertest.RunGnuTLSClient(t, addr, "hello from gnutls\n", "--priority", c.gnutls)
			if err != nil || !strings.Contains(out, "clasp echo: hello from gnutls") {
				t.Fatalf("gnutls-cli: %v\n%s", err, out)
			}
			res := checkLegacyServer(t, results, c.v, c.iana, "hello from gnutls")
			checkDSSState(t, "server", res.state, c)
		})
	}
}

func TestDSSAndAnonClaspClientToOpenSSLServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	leaf, _ := dsaLeaf(t, pki)
	// At SECLEVEL 0 s_server's automatic DH group for an anonymous suite
	// has 1024 bits, below clasp's 2048; give it RFC 7919's ffdhe2048.
	params := filepath.Join(t.TempDir(), "ffdhe2048.pem")
	if out, err := exec.Command("openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "dh_param:ffdhe2048", "-out", params).CombinedOutput(); err != nil {
		t.Fatalf("openssl genpkey: %v\n%s", err, out)
	}
	for _, c := range append(append([]dssCase{}, dssCases...), anonCases...) {
		if c.openssl == "" {
			continue
		}
		t.Run(c.name(), func(t *testing.T) {
			srv := peertest.StartOpenSSLServer(t, leaf, "-www", c.opensslVersion(), "-cipher", c.openssl+":@SECLEVEL=0", "-dhparam", params)
			page, state, _ := claspOldGet(t, srv.Addr, dssClientConfig(pki, c))
			if !strings.Contains(page, "200 ok") {
				t.Errorf("s_server did not answer with a page:\n%s", page)
			}
			checkDSSState(t, "client", state, c)
		})
	}
}

func TestDSSAndAnonOpenSSLClientToClaspServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	_, cert := dsaLeaf(t, pki)
	for _, c := range append(append([]dssCase{}, dssCases...), anonCases...) {
		if c.openssl == "" {
			continue
		}
		t.Run(c.name(), func(t *testing.T) {
			srvCert := cert
			if strings.Contains(c.iana, "_anon_") {
				srvCert = clasp.Certificate{}
			}
			addr, results, _ := startCountingClaspServer(t, dssServerConfig(srvCert, c))
			args := []string{"-ign_eof", c.opensslVersion(), "-cipher", c.openssl + ":@SECLEVEL=0"}
			out, err := peertest.RunOpenSSLClient(t, addr, "hello from openssl\n", args...)
			if err != nil || !strings.Contains(out, "clasp echo: hello from openssl") {
				t.Fatalf("s_client: %v\n%s", err, out)
			}
			res := checkLegacyServer(t, results, c.v, c.iana, "hello from openssl")
			checkDSSState(t, "server", res.state, c)
		})
	}
}

// checkDSSState checks one side's view: the suite and version, the DSA
// certificate (or none) and the warnings.
func checkDSSState(t *testing.T, side string, st clasp.ConnectionState, c dssCase) {
	t.Helper()
	if st.Version != c.v || suites.ID(st.CipherSuite).String() != c.iana {
		t.Errorf("%s negotiated %s %s", side, clasp.VersionName(st.Version), st.CipherSuiteName)
	}
	wantWarning(t, side, st, c.iana+":")
	if strings.Contains(c.iana, "_anon_") {
		wantWarning(t, side, st, "the peer is not authenticated")
		if len(st.PeerCertificates) != 0 {
			t.Errorf("%s has %d peer certificates from an anonymous handshake", side, len(st.PeerCertificates))
		}
		return
	}
	if side == "client" && (len(st.PeerCertificates) == 0 || st.PeerCertificates[0].PublicKeyAlgorithm != x509.DSA) {
		t.Errorf("client did not get the DSA certificate")
	}
	if c.scheme != 0 && st.SignatureScheme != c.scheme {
		t.Errorf("%s signature scheme %v, want %v", side, st.SignatureScheme, c.scheme)
	}
}

// nssVersionRange is tstclnt/selfserv's -V for one version.
func nssVersionRange(v uint16) string {
	return map[uint16]string{clasp.VersionTLS10: "tls1.0:tls1.0", clasp.VersionTLS11: "tls1.1:tls1.1", clasp.VersionTLS12: "tls1.2:tls1.2"}[v]
}

// NSS 3.87 has DHE_DSS (tstclnt and selfserv -S) but no anonymous suite:
// tstclnt -c :0034 (or :003A, :00A6, :C018, :C019) fails with
// "SSL_CipherPrefSet(): SSL_ERROR_UNKNOWN_CIPHER_SUITE", so only dssCases
// run with NSS.
func TestDSSNSSClientToClaspServer(t *testing.T) {
	peertest.Require(t, "tstclnt")
	pki := peertest.NewPKI(t)
	_, cert := dsaLeaf(t, pki)
	for _, c := range dssCases {
		t.Run(c.name(), func(t *testing.T) {
			addr, results, _ := startCountingClaspServer(t, dssServerConfig(cert, c))
			out, err := peertest.RunNSSClient(t, addr, "hello from nss\n", "-V", nssVersionRange(c.v), "-c", peertest.NSSCipherArg(c.id()))
			if err != nil || !strings.Contains(out, "clasp echo: hello from nss") {
				t.Fatalf("tstclnt: %v\n%s", err, out)
			}
			res := checkLegacyServer(t, results, c.v, c.iana, "hello from nss")
			checkDSSState(t, "server", res.state, c)
		})
	}
}

func TestDSSClaspClientToNSSServer(t *testing.T) {
	peertest.Require(t, "selfserv")
	pki := peertest.NewPKI(t)
	leaf, _ := dsaLeaf(t, pki)
	db := pki.NSSDB(t)
	peertest.ImportNSSLeaf(t, db, leaf)
	for _, c := range dssCases {
		t.Run(c.name(), func(t *testing.T) {
			srv := peertest.StartNSSServerWithDB(t, db, "-S", leaf.Name, "-V", nssVersionRange(c.v), "-c", peertest.NSSCipherArg(c.id()))
			page, state, _ := claspOldGet(t, srv.Addr, dssClientConfig(pki, c))
			if !strings.Contains(page, "GET / HTTP/1.0") {
				t.Errorf("selfserv did not echo the request:\n%s", page)
			}
			checkDSSState(t, "client", state, c)
		})
	}
}
