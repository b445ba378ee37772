package scan

import (
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// dhPrimeOfPEM reads the prime of a PKCS #3 or X9.42 DH parameters PEM:
// both are a SEQUENCE that starts with p and g.
func dhPrimeOfPEM(t *testing.T, data []byte) *big.Int {
	t.Helper()
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("no PEM block in %q", data)
	}
	var params struct {
		P, G *big.Int
		Rest asn1.RawValue `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(block.Bytes, &params); err != nil {
		t.Fatalf("DH parameters: %v", err)
	}
	return params.P
}

// TestWellKnownDHPrimesMatchOpenSSL checks data/dh_groups.txt digit for
// digit against the groups OpenSSL 3 builds in, and the two RFC 2409
// groups it does not name for being safe primes (a mistyped digit would
// make them composite).
func TestWellKnownDHPrimesMatchOpenSSL(t *testing.T) {
	peertest.Require(t, "openssl")
	byName := map[string]string{}
	for hex, name := range wellKnownPrimes {
		byName[name] = hex
	}
	if len(byName) != 16 {
		t.Errorf("%d well-known groups loaded, want 11 from the data file and 5 from RFC 7919", len(byName))
	}
	openssl := map[string]string{
		"modp_1536": "RFC 3526 group 5 (1536-bit MODP)", "modp_2048": "RFC 3526 group 14 (2048-bit MODP)",
		"modp_3072": "RFC 3526 group 15 (3072-bit MODP)", "modp_4096": "RFC 3526 group 16 (4096-bit MODP)",
		"modp_6144": "RFC 3526 group 17 (6144-bit MODP)", "modp_8192": "RFC 3526 group 18 (8192-bit MODP)",
		"dh_1024_160": "RFC 5114 §2.1 (1024-bit MODP, 160-bit subgroup)",
		"dh_2048_224": "RFC 5114 §2.2 (2048-bit MODP, 224-bit subgroup)",
		"dh_2048_256": "RFC 5114 §2.3 (2048-bit MODP, 256-bit subgroup)",
		"ffdhe2048":   "ffdhe2048", "ffdhe8192": "ffdhe8192",
	}
	for group, name := range openssl {
		out, err := exec.Command("openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:"+group).Output()
		if err != nil {
			t.Fatalf("openssl genpkey group:%s: %v", group, err)
		}
		if p := dhPrimeOfPEM(t, out); p.Text(16) != byName[name] {
			t.Errorf("%s: OpenSSL's prime is not the one listed as %q", group, name)
		}
	}
	for _, name := range []string{"RFC 2409 group 1 (768-bit MODP)", "RFC 2409 group 2 (1024-bit MODP)"} {
		p, _ := new(big.Int).SetString(byName[name], 16)
		q := new(big.Int).Rsh(p, 1)
		if !p.ProbablyPrime(20) || !q.ProbablyPrime(20) {
			t.Errorf("%s is not a safe prime", name)
		}
	}
	if dhGroupName([]byte{0xFF, 0xFB}) != "other" {
		t.Error("a prime of the server's own is not called other")
	}
}

// TestScanDHE1024OpenSSL: OpenSSL with a fixed 1024-bit DH group (RFC 2409
// group 2, testdata) at security level 0. The scan names the group and its
// size, and sees that OpenSSL 3.0 does not negotiate RFC 7919 groups in
// TLS 1.2: offered only ffdhe3072, it sends its 1024-bit prime rather than
// refusing.
func TestScanDHE1024OpenSSL(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-tls1_2", "-dhparam", "testdata/dh1024_rfc2409_group2.pem",
		"-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", "-quiet")
	rep := scanWith(t, srv.Addr, Options{})
	dh := rep.Groups.DHE
	if dh == nil || dh.Bits != 1024 || dh.Group != "RFC 2409 group 2 (1024-bit MODP)" || dh.Generator != "2" {
		t.Fatalf("DHE parameters: %+v", dh)
	}
	if l := rep.Groups.FFDHE; l == nil || len(l.Groups) != 0 || !strings.Contains(strings.Join(rep.Notes, " "), "does not negotiate RFC 7919 groups") {
		t.Errorf("FFDHE: %+v; notes %q", l, rep.Notes)
	}
	got, _ := suitesOf(t, rep, suites.VersionTLS12)
	if !slices.Equal(got, []suites.ID{suites.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256}) {
		t.Fatalf("suites %v", got)
	}
	st := rep.CipherSuites[0].Suites[0].Strength
	if st == nil || st.KeyExchange != "DHE" || st.DHBits != 1024 || st.DHGroup != dh.Group || !st.ForwardSecrecy || !st.AEAD ||
		st.SymmetricBits != 128 || st.ServerKey != "RSA 2048" || st.Authentication != "RSA" {
		t.Errorf("strength: %+v", st)
	}
}

// TestScanDHEOwnPrimeOpenSSL: a prime OpenSSL generated for the test is
// no well-known group. (DSA-style parameters: a safe prime of 1024 bits,
// the least OpenSSL will load, takes seconds to find.)
func TestScanDHEOwnPrimeOpenSSL(t *testing.T) {
	peertest.Require(t, "openssl")
	file := filepath.Join(t.TempDir(), "dh.pem")
	if out, err := exec.Command("openssl", "dhparam", "-dsaparam", "-out", file, "1024").CombinedOutput(); err != nil {
		t.Fatalf("openssl dhparam: %v: %s", err, out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// s_server's -dhparam reads PKCS #3 "DH PARAMETERS" only; given the
	// X9.42 file dhparam -dsaparam writes, it silently keeps its
	// automatic group (seen here: RFC 3526 group 14).
	var x942 struct{ P, G *big.Int }
	block, _ := pem.Decode(data)
	if _, err := asn1.Unmarshal(block.Bytes, &x942); err != nil {
		t.Fatal(err)
	}
	pkcs3, err := asn1.Marshal(x942)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "DH PARAMETERS", Bytes: pkcs3}), 0o600); err != nil {
		t.Fatal(err)
	}
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-tls1_2", "-dhparam", file, "-cipher", "DHE-RSA-AES256-SHA:@SECLEVEL=0", "-quiet")
	rep := scanWith(t, srv.Addr, Options{})
	if dh := rep.Groups.DHE; dh == nil || dh.Bits != 1024 || dh.Bits != dhPrimeOfPEM(t, data).BitLen() || dh.Group != "other" {
		t.Errorf("DHE parameters: %+v", dh)
	}
}

// TestScanFFDHEGnuTLS: GnuTLS negotiates RFC 7919 groups in TLS 1.2; its
// priority string allows two. Without %SERVER_PRECEDENCE it takes the
// client's first; offered none, it uses the first of its own.
func TestScanFFDHEGnuTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartGnuTLSServer(t, pki.RSA,
		"NONE:+VERS-TLS1.2:+DHE-RSA:+AES-128-GCM:+AEAD:+SIGN-ALL:+GROUP-FFDHE3072:+GROUP-FFDHE2048:+COMP-NULL",
		"--disable-client-cert", "--echo")
	rep := scanWith(t, srv.Addr, Options{})
	if g := groupIDs(rep.Groups.FFDHE); !slices.Equal(g, []suites.Group{suites.FFDHE2048, suites.FFDHE3072}) || rep.Groups.FFDHE.Order != OrderClient {
		t.Errorf("FFDHE groups: %v, order %v", g, rep.Groups.FFDHE)
	}
	if dh := rep.Groups.DHE; dh == nil || dh.Group != "ffdhe3072" || dh.Bits != 3072 {
		t.Errorf("DHE parameters without FFDHE offered: %+v", dh)
	}
}

// TestScanFFDHEClasp: clasp's server takes the RFC 7919 groups of
// Config.Groups in its order.
func TestScanFFDHEClasp(t *testing.T) {
	pki := peertest.NewPKI(t)
	addr := startClaspHandshakeServer(t, &clasp.Config{
		Certificates: []clasp.Certificate{claspLeaf(pki.RSA)},
		MaxVersion:   clasp.VersionTLS12,
		CipherSuites: []uint16{uint16(suites.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256)},
		Groups:       []clasp.CurveID{suites.FFDHE4096, suites.FFDHE2048},
	})
	rep := scanWith(t, addr, Options{})
	if g := groupIDs(rep.Groups.FFDHE); !slices.Equal(g, []suites.Group{suites.FFDHE4096, suites.FFDHE2048}) || rep.Groups.FFDHE.Order != OrderServer {
		t.Errorf("FFDHE groups: %v (%s order), want ffdhe4096, ffdhe2048 in server order", g, rep.Groups.FFDHE.Order)
	}
	if dh := rep.Groups.DHE; dh == nil || dh.Bits != 4096 || dh.Group != "ffdhe4096" {
		t.Errorf("DHE parameters without FFDHE offered: %+v", dh)
	}
}
