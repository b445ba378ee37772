package scan

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
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
	got13, _ := schemesOf(rep, suites.VersionTLS13)
	confirmTLS13Schemes(t, srv.Addr, pki.CAPool, got13)
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
	got13, _ := schemesOf(rep, suites.VersionTLS13)
	confirmTLS13Schemes(t, srv.Addr, pki.CAPool, got13)
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

// TestScanSignaturesCryptoTLS: crypto/tls with three certificates. Its
// schemes per key come from its source (auth.go,
// signatureSchemesForPublicKey, Go 1.26): an RSA key restricted by
// Certificate.SupportedSignatureAlgorithms; a P-256 key signs
// ecdsa_secp256r1_sha256 in TLS 1.3 and the three SHA-2 ECDSA schemes in
// TLS 1.2 (SHA-1 is off since Go 1.25); Ed25519 signs ed25519.
func TestScanSignaturesCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	rsaCert := pki.RSA.TLS
	rsaCert.SupportedSignatureAlgorithms = []tls.SignatureScheme{tls.PSSWithSHA512, tls.PKCS1WithSHA384}
	addr := startGoServer(t, &tls.Config{
		Certificates: []tls.Certificate{rsaCert, pki.ECDSA.TLS, pki.Ed25519.TLS},
		CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
	})
	rep := scanWith(t, addr, Options{ServerName: "localhost", Roots: pki.CAPool})
	wantSchemes(t, rep, suites.VersionTLS13, map[string]string{
		"rsa_pss_rsae_sha512": "RSA 2048", "ecdsa_secp256r1_sha256": "ECDSA P-256", "ed25519": "Ed25519"})
	wantSchemes(t, rep, suites.VersionTLS12, map[string]string{
		"rsa_pss_rsae_sha512": "RSA 2048", "rsa_pkcs1_sha384": "RSA 2048", "ed25519": "Ed25519",
		"ecdsa_secp256r1_sha256": "ECDSA P-256", "ecdsa_secp384r1_sha384": "ECDSA P-256", "ecdsa_secp521r1_sha512": "ECDSA P-256"})
	got13, _ := schemesOf(rep, suites.VersionTLS13)
	confirmTLS13Schemes(t, addr, pki.CAPool, got13)
	if n := len(rep.Certificates.Chains); n != 3 {
		t.Errorf("%d chains, want RSA, ECDSA and Ed25519", n)
	}
}

// TestScanSignaturesClasp: clasp's own server with an RSA and an ECDSA
// certificate and Config.SignatureSchemes naming three schemes.
func TestScanSignaturesClasp(t *testing.T) {
	pki := peertest.NewPKI(t)
	cfg := &clasp.Config{
		Certificates:     []clasp.Certificate{claspLeaf(pki.RSA), claspLeaf(pki.ECDSA)},
		SignatureSchemes: []clasp.SignatureScheme{clasp.PSSWithSHA384, clasp.ECDSAWithP256AndSHA256, clasp.PKCS1WithSHA256},
	}
	addr := startClaspHandshakeServer(t, cfg)
	rep := scanWith(t, addr, Options{ServerName: "localhost", Roots: pki.CAPool})
	wantSchemes(t, rep, suites.VersionTLS13, map[string]string{"rsa_pss_rsae_sha384": "RSA 2048", "ecdsa_secp256r1_sha256": "ECDSA P-256"})
	wantSchemes(t, rep, suites.VersionTLS12, map[string]string{
		"rsa_pss_rsae_sha384": "RSA 2048", "rsa_pkcs1_sha256": "RSA 2048", "ecdsa_secp256r1_sha256": "ECDSA P-256"})
}

func claspLeaf(l *peertest.Leaf) clasp.Certificate {
	return clasp.Certificate{Certificate: l.TLS.Certificate, PrivateKey: l.Key, Leaf: l.Cert}
}

// startClaspHandshakeServer runs clasp's server (what `clasp serve` runs) on
// loopback: each connection completes its handshake and closes.
func startClaspHandshakeServer(t *testing.T, cfg *clasp.Config) string {
	t.Helper()
	return startListener(t, func(c net.Conn) {
		conn := clasp.Server(c, cfg)
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		conn.Handshake()
		conn.Close()
	})
}

// TestScanFindsPKCS1AndSHA1InTLS13 runs a deliberately flawed TLS 1.3
// server (test code only): it answers a ServerHello to any TLS 1.3 hello
// whose signature_algorithms names rsa_pkcs1_sha1, rsa_pkcs1_sha256 or
// rsa_pss_rsae_sha512, and handshake_failure to the others, as a server
// willing to sign a CertificateVerify with PKCS#1 v1.5 or SHA-1 would. The
// scan must find exactly those three, scattered over the registry, and
// call the first two findings (RFC 8446 §4.2.3).
func TestScanFindsPKCS1AndSHA1InTLS13(t *testing.T) {
	signsWith := []suites.SignatureScheme{suites.PKCS1WithSHA1, suites.PKCS1WithSHA256, suites.PSSWithSHA512}
	addr := startListener(t, func(c net.Conn) {
		defer c.Close()
		h := readHelloRecord(c)
		if h == nil {
			return
		}
		sv, _ := wire.FindExtension[*wire.SupportedVersionsExt](h.Extensions)
		sa, _ := wire.FindExtension[*wire.SignatureAlgorithmsExt](h.Extensions)
		ks, _ := wire.FindExtension[*wire.KeyShareExt](h.Extensions)
		if sv == nil || !slices.Contains(sv.Versions, suites.VersionTLS13) || ks == nil || len(ks.Entries) == 0 {
			c.Write([]byte{21, 3, 3, 0, 2, 2, byte(wire.AlertProtocolVersion)})
			return
		}
		if sa == nil || !slices.ContainsFunc(sa.Schemes, func(s suites.SignatureScheme) bool { return slices.Contains(signsWith, s) }) {
			c.Write([]byte{21, 3, 3, 0, 2, 2, byte(wire.AlertHandshakeFailure)})
			return
		}
		sh := &wire.ServerHello{Version: suites.VersionTLS12, SessionID: h.SessionID, CipherSuite: h.CipherSuites[0],
			Extensions: []wire.Extension{&wire.SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS13}},
				&wire.KeyShareExt{Entries: []wire.KeyShareEntry{ks.Entries[0]}}}}
		raw, err := sh.Marshal()
		if err != nil {
			t.Error(err)
			return
		}
		c.Write(append([]byte{22, 3, 3, byte(len(raw) >> 8), byte(len(raw))}, raw...))
	})
	rep := scanWith(t, addr, Options{Timeout: 2 * time.Second})
	wantVersions(t, rep, suites.VersionTLS13)
	got, _ := schemesOf(rep, suites.VersionTLS13)
	if !slices.Equal(got, signsWith) {
		t.Fatalf("TLS 1.3 schemes: got %v, want %v", got, signsWith)
	}
	for _, e := range rep.Signatures.TLS13.Schemes {
		if want := e.ID != suites.PSSWithSHA512; (e.Finding != "") != want {
			t.Errorf("%s: finding %q", e.IANA, e.Finding)
		}
	}
}

// readHelloRecord reads one ClientHello record from c; nil when it cannot.
func readHelloRecord(c net.Conn) *wire.ClientHello {
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return nil
	}
	body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	// An SSL 2.0 hello (the scan sends one) has no TLS header.
	if _, err := io.ReadFull(c, body); err != nil || hdr[0] != byte(wire.ContentHandshake) || len(body) < 4 {
		return nil
	}
	h, err := wire.ParseClientHello(body[4:])
	if err != nil {
		return nil
	}
	return h
}

// confirmTLS13Schemes checks the TLS 1.3 result with complete handshakes
// of clasp's client, one per scheme clasp can verify, offering that scheme
// alone: the scheme the scan found must be the one the server signs its
// CertificateVerify with, and one it did not find must fail.
func confirmTLS13Schemes(t *testing.T, addr string, roots *x509.CertPool, found []suites.SignatureScheme) {
	t.Helper()
	for _, info := range suites.AllSchemes() {
		if !info.TLS13 || !info.Implemented {
			continue
		}
		conn, err := clasp.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &clasp.Config{
			ServerName: "localhost", RootCAs: roots, MinVersion: clasp.VersionTLS13,
			SignatureSchemes: []clasp.SignatureScheme{info.ID}})
		want := slices.Contains(found, info.ID)
		if err != nil {
			if want {
				t.Errorf("%v was found, but a handshake offering it alone failed: %v", info.ID, err)
			}
			continue
		}
		got := conn.ConnectionState().SignatureScheme
		conn.Close()
		if !want || got != info.ID {
			t.Errorf("offered only %v (found: %v), the server signed with %v", info.ID, want, got)
		}
	}
}
