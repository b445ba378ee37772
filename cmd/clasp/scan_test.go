package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/scan"
)

// scanLine is the part of a --json line the tests check.
type scanLine struct {
	SchemaVersion int    `json:"schema_version"`
	Target        string `json:"target"`
	OK            bool   `json:"ok"`
	Error         string `json:"error"`
	Versions      []struct {
		Version   string `json:"version"`
		Supported bool   `json:"supported"`
	} `json:"versions"`
	CipherSuites []struct {
		Version string `json:"version"`
		Order   string `json:"order"`
		Suites  []struct {
			Code, IANA, OpenSSL string
		} `json:"suites"`
	} `json:"cipher_suites"`
	Groups struct {
		TLS13, ECDHE *struct {
			Version string `json:"version"`
			Order   string `json:"order"`
			Groups  []struct{ IANA string }
		}
	} `json:"groups"`
	Connections int `json:"connections"`
}

func scanJSONLines(t *testing.T, args ...string) ([]scanLine, result) {
	t.Helper()
	r := runClasp(t, nil, append([]string{"scan", "--json", "--timeout", "8s"}, args...)...)
	var out []scanLine
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var l scanLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("stdout line %q is not JSON: %v; stderr: %s", line, err, r.stderr)
		}
		out = append(out, l)
	}
	return out, r
}

func (l *scanLine) supported() []string {
	var out []string
	for _, v := range l.Versions {
		if v.Supported {
			out = append(out, v.Version)
		}
	}
	return out
}

func TestScanFindsClaspServeConfiguration(t *testing.T) {
	tls12 := startServe(t, "--max-version", "1.2", "--groups", "secp384r1,x25519",
		"--ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384,ECDHE-ECDSA-CHACHA20-POLY1305,ECDHE-ECDSA-AES128-SHA")
	tls13 := startServe(t, "--min-version", "1.3", "--groups", "X25519MLKEM768,secp256r1")
	lines, r := scanJSONLines(t, tls12.addr, tls13.addr)
	if r.exitCode != 0 || len(lines) != 2 {
		t.Fatalf("exit %d, %d lines; stderr: %s", r.exitCode, len(lines), r.stderr)
	}
	a, b := lines[0], lines[1]
	if !a.OK || a.SchemaVersion != 1 || a.Target != tls12.addr || !slices.Equal(a.supported(), []string{"TLS 1.2"}) {
		t.Errorf("TLS 1.2 server: %+v", a)
	}
	var got []string
	for _, s := range a.CipherSuites[0].Suites {
		got = append(got, s.OpenSSL)
	}
	if want := []string{"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-SHA"}; !slices.Equal(got, want) || a.CipherSuites[0].Order != "server" {
		t.Errorf("TLS 1.2 suites: got %v (%s), want %v in server order", got, a.CipherSuites[0].Order, want)
	}
	if g := a.Groups.ECDHE; g == nil || g.Order != "server" || len(g.Groups) != 2 || g.Groups[0].IANA != "secp384r1" || g.Groups[1].IANA != "x25519" {
		t.Errorf("TLS 1.2 groups: %+v", g)
	}
	if !b.OK || !slices.Equal(b.supported(), []string{"TLS 1.3"}) || len(b.CipherSuites) != 1 || len(b.CipherSuites[0].Suites) == 0 {
		t.Fatalf("TLS 1.3 server: %+v", b)
	}
	// clasp serve picks by its --groups order among the client's shares.
	if g := b.Groups.TLS13; g == nil || g.Order != "server" || len(g.Groups) != 2 || g.Groups[0].IANA != "X25519MLKEM768" || g.Groups[1].IANA != "secp256r1" {
		t.Errorf("TLS 1.3 groups: %+v", g)
	}
}

func TestScanPrintsAReport(t *testing.T) {
	s := startServe(t, "--max-version", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256")
	r := runClasp(t, nil, "scan", s.addr)
	if r.exitCode != 0 {
		t.Fatalf("exit %d; stderr: %s", r.exitCode, r.stderr)
	}
	for _, want := range []string{
		"Scan of " + s.addr + " (no SNI)",
		"Protocol versions", "  TLS 1.2  yes", "  TLS 1.3  no    (alert protocol_version)",
		"Cipher suites, TLS 1.2\n  0xC02B  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256  ECDHE-ECDSA-AES128-GCM-SHA256\n",
		"Groups\n  TLS 1.2 ECDHE",
		" connections in ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestScanExitStatus(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	r := runClasp(t, nil, "scan", closed)
	if r.exitCode != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "cannot connect") {
		t.Errorf("unreachable: exit %d, stdout %q, stderr %q", r.exitCode, r.stdout, r.stderr)
	}
	httpSrv := httptest.NewServer(http.NotFoundHandler())
	defer httpSrv.Close()
	r = runClasp(t, nil, "scan", "--timeout", "2s", strings.TrimPrefix(httpSrv.URL, "http://"))
	if r.exitCode != 1 || !strings.Contains(r.stderr, "not a TLS server") || !strings.Contains(r.stderr, "HTTP response") {
		t.Errorf("HTTP port: exit %d, stderr %q", r.exitCode, r.stderr)
	}
	s := startServe(t)
	lines, r := scanJSONLines(t, closed, s.addr)
	if r.exitCode != 1 || len(lines) != 2 || lines[0].OK || lines[0].Error == "" || !lines[1].OK {
		t.Errorf("one bad target of two: exit %d, lines %+v, stderr %q", r.exitCode, lines, r.stderr)
	}
	if !strings.Contains(r.stderr, "1 of 2 targets could not be scanned") {
		t.Errorf("stderr: %q", r.stderr)
	}
	for _, args := range [][]string{{"scan"}, {"scan", "no-port"}, {"scan", "--max-connections", "0", s.addr}, {"scan", "--timeout", "0s", s.addr}} {
		if r := runClasp(t, nil, args...); r.exitCode != 2 {
			t.Errorf("clasp %v: exit %d, want 2 (usage); stderr %q", args, r.exitCode, r.stderr)
		}
	}
}

func TestScanHelpDocumentsEveryOption(t *testing.T) {
	r := runClasp(t, nil, "scan", "--help")
	for _, want := range []string{"--max-connections", "--timeout", "--json", "--servername", "--cafile", "Exit status",
		"schema_version", "cipher_suites[]", "groups.tls13", "groups.ecdhe", "groups.ffdhe", "groups.dhe", "strength", "signatures.tls13", "certificates", "connections", "docs/scan-json.md",
		"--fail-on", "findings[]", "grade", "sslv2", "intolerance", "docs/scan-grading.md"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("clasp scan --help lacks %q", want)
		}
	}
}

// TestScanReportsKeysOfClaspServe scans `clasp serve` with the test PKI's
// RSA chain: with --cafile the chain is trusted and covers "localhost";
// without it the system roots do not know the test CA. clasp's default
// schemes for an RSA key (suites.DefaultSignatureSchemes) are what the
// scan finds: the three RSA-PSS ones in TLS 1.3, and PKCS#1 beside them in
// TLS 1.2.
func TestScanReportsKeysOfClaspServe(t *testing.T) {
	pki := peertest.NewPKI(t)
	s := startServe(t, "--cert", pki.RSA.ChainFile, "--key", pki.RSA.KeyFile)
	r := runClasp(t, nil, "scan", "--json", "--servername", "localhost", "--cafile", pki.CACertFile, s.addr)
	if r.exitCode != 0 {
		t.Fatalf("exit %d; stderr %s", r.exitCode, r.stderr)
	}
	var rep scan.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	names := func(l *scan.SchemeList) (out []string) {
		for _, e := range l.Schemes {
			out = append(out, e.IANA)
		}
		return out
	}
	if rep.Signatures == nil || !slices.Equal(names(rep.Signatures.TLS13), []string{"rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512"}) ||
		!slices.Equal(names(rep.Signatures.TLS12), []string{"rsa_pkcs1_sha256", "rsa_pkcs1_sha384", "rsa_pkcs1_sha512",
			"rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512"}) {
		t.Errorf("signatures: %+v", rep.Signatures)
	}
	if c := rep.Certificates; c == nil || c.Roots != pki.CACertFile || len(c.Chains) != 1 || !c.Chains[0].Trusted ||
		!c.Chains[0].HostnameMatch || c.Chains[0].Certificates[0].Key != "RSA 2048" || c.Chains[0].Unused != 0 {
		t.Errorf("certificates: %+v", c)
	}
	if st := rep.CipherSuites[0].Suites[0].Strength; st == nil || !st.AEAD || !st.ForwardSecrecy || st.ServerKey != "RSA 2048" {
		t.Errorf("strength of the first suite: %+v", st)
	}

	r = runClasp(t, nil, "scan", s.addr)
	for _, want := range []string{"\nSuite strength, TLS 1.3\n  TLS_AES_128_GCM_SHA256", "forward secrecy, AEAD, AES-128-GCM 128 bits",
		"\nSignature schemes\n  TLS 1.3  0x0804  rsa_pss_rsae_sha256", "\nCertificates (trust judged against the system roots)\n",
		"trusted no;", "not trusted: no path to a trusted root"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := runClasp(t, nil, "scan", "--cafile", "/nonexistent", s.addr); r.exitCode != 2 {
		t.Errorf("--cafile of a missing file: exit %d, want 2", r.exitCode)
	}
}
