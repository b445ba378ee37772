package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

func TestExplainMessageArgument(t *testing.T) {
	r := runClasp(t, nil, "explain", "error:0A000410:SSL routines::sslv3 alert handshake failure")
	if r.exitCode != exitOK {
		t.Fatalf("exit %d, stderr %q", r.exitCode, r.stderr)
	}
	first, _, _ := strings.Cut(r.stdout, "\n")
	if first != "cause: the peer answered with a handshake_failure alert: it found nothing acceptable in the offer" {
		t.Errorf("first line %q", first)
	}
	for _, want := range []string{"openssl.alert_handshake_failure", "OpenSSL error code 0A000410: 3.x layout, library 20 (SSL routines), reason 1040",
		"confirm: clasp scan HOST:PORT", "fix: "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestExplainPipedLog(t *testing.T) {
	log := "starting\n" +
		"curl: (60) SSL certificate problem: unable to get local issuer certificate\n" +
		"javax.net.ssl.SSLHandshakeException: Received fatal alert: protocol_version\n"
	r := runClasp(t, strings.NewReader(log), "explain", "--json")
	if r.exitCode != exitOK {
		t.Fatalf("exit %d, stderr %q", r.exitCode, r.stderr)
	}
	var got struct {
		OK    bool `json:"ok"`
		Lines []struct {
			Line  int
			Cause string
		}
		Causes []struct{ ID string }
		Unrec  int `json:"unrecognised_lines"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	if !got.OK || len(got.Lines) != 2 || got.Unrec != 1 || len(got.Causes) != 2 {
		t.Fatalf("report %+v", got)
	}
	if got.Lines[0].Line != 2 || got.Lines[0].Cause != "cert_issuer_unknown" || got.Lines[1].Cause != "protocol_version_mismatch" {
		t.Errorf("lines %+v", got.Lines)
	}
}

func TestExplainLanguages(t *testing.T) {
	for lang, prefix := range map[string]string{"ru": "причина: ", "zh": "原因: ", "vi": "nguyên nhân: "} {
		r := runClasp(t, nil, "explain", "--lang", lang, "SSL_ERROR_NO_CYPHER_OVERLAP")
		if r.exitCode != exitOK || !strings.HasPrefix(r.stdout, prefix) {
			t.Errorf("--lang %s: exit %d, output:\n%s", lang, r.exitCode, r.stdout)
		}
	}
	if r := runClasp(t, nil, "explain", "--lang", "xx", "no shared cipher"); r.exitCode != exitUsage {
		t.Errorf("--lang xx: exit %d, want %d", r.exitCode, exitUsage)
	}
}

func TestExplainNotRecognised(t *testing.T) {
	r := runClasp(t, nil, "explain", "the printer is on fire")
	if r.exitCode != exitFailure || !strings.HasPrefix(r.stdout, "not recognised") || !strings.Contains(r.stdout, "hint:") {
		t.Errorf("exit %d, stdout:\n%s", r.exitCode, r.stdout)
	}
	if r := runClasp(t, nil, "explain"); r.exitCode != exitUsage {
		t.Errorf("no message and no piped input: exit %d, want %d", r.exitCode, exitUsage)
	}
}

// probeJSON is the part of explain --json that --probe adds.
type probeJSON struct {
	Primary string `json:"primary_cause"`
	Probe   struct {
		Target    string
		Connected bool
		Confirmed bool
		Versions  []string
		Diagnosis struct{ Cause string }
	}
}

func explainProbe(t *testing.T, args ...string) probeJSON {
	t.Helper()
	r := runClasp(t, nil, append([]string{"explain", "--json", "--timeout", "3s"}, args...)...)
	if r.exitCode != exitOK {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", r.exitCode, r.stderr, r.stdout)
	}
	var got probeJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	return got
}

// TestExplainProbeConfirmsVersionMismatch: a server that speaks only
// TLS 1.1 gives clients "tlsv1 alert protocol version"; --probe confirms it
// with connect's diagnosis and shows the versions the scan finds.
func TestExplainProbeConfirmsVersionMismatch(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
	got := explainProbe(t, "--probe", srv.Addr, "error:0A00042E:SSL routines::tlsv1 alert protocol version")
	if got.Primary != "protocol_version_mismatch" || !got.Probe.Confirmed || got.Probe.Connected {
		t.Fatalf("probe %+v", got)
	}
	if !slices.Equal(got.Probe.Versions, []string{"TLS 1.1"}) {
		t.Errorf("scanned versions %v, want [TLS 1.1]", got.Probe.Versions)
	}
}

// TestExplainProbeFromMessage takes the HOST:PORT the message names.
func TestExplainProbeFromMessage(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www")
	msg := "curl: (60) SSL certificate problem: unable to get local issuer certificate in connection to " + srv.Addr
	got := explainProbe(t, "--probe", msg)
	if got.Probe.Target != srv.Addr || got.Primary != "cert_issuer_unknown" || !got.Probe.Confirmed {
		t.Fatalf("probe %+v", got)
	}
	// Trusting the test CA, the same server connects: not reproduced.
	got = explainProbe(t, "--probe", srv.Addr, "--cafile", pki.CACertFile, "--servername", "localhost", msg)
	if !got.Probe.Connected || got.Probe.Confirmed {
		t.Errorf("with --cafile: probe %+v", got)
	}
}

// TestExplainProbeConfirmsAWeakCertificateSignature: a leaf the CA signed
// with SHA-1 gives OpenSSL's "ca md too weak" and Go's "insecure
// algorithm"; --probe against such a server confirms the cause with the
// diagnosis connect gives (certificate_weak_signature), not "another
// reason".
func TestExplainProbeConfirmsAWeakCertificateSignature(t *testing.T) {
	pki := peertest.NewPKI(t)
	leaf := sha1SignedLeaf(t, pki)
	srv := peertest.StartOpenSSLServer(t, leaf, "-www", "-cipher", "DEFAULT:@SECLEVEL=0")
	for _, msg := range []string{
		"error:0A000086:SSL routines::certificate verify failed: ca md too weak",
		"tls: failed to verify certificate: x509: cannot verify signature: insecure algorithm ECDSA-SHA1",
	} {
		got := explainProbe(t, "--probe", srv.Addr, "--cafile", pki.CACertFile, "--servername", "localhost", msg)
		if got.Primary != "cert_weak_crypto" || got.Probe.Diagnosis.Cause != "certificate_weak_signature" || !got.Probe.Confirmed {
			t.Errorf("%q: probe %+v", msg, got)
		}
	}
}

// sha1SignedLeaf is a "localhost" leaf that the test CA signs with
// ECDSA-SHA1, which crypto/x509 no longer accepts.
func sha1SignedLeaf(t *testing.T, pki *peertest.PKI) *peertest.Leaf {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "sha1 leaf"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		SignatureAlgorithm: x509.ECDSAWithSHA1}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, pki.CACert, &key.PublicKey, pki.CAKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	leaf := &peertest.Leaf{CertFile: filepath.Join(dir, "sha1.pem"), KeyFile: filepath.Join(dir, "sha1.key")}
	for file, block := range map[string]*pem.Block{leaf.CertFile: {Type: "CERTIFICATE", Bytes: der}, leaf.KeyFile: {Type: "PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return leaf
}

// TestExplainProbeConfirmsAWeakServerKey: s_client at its default level
// says "EE certificate key too weak" for a server with an RSA-512 key;
// --probe confirms it with connect's certificate_weak_key diagnosis, with
// TLS 1.3 on the server or not.
func TestExplainProbeConfirmsAWeakServerKey(t *testing.T) {
	dir := t.TempDir()
	leaf := &peertest.Leaf{CertFile: filepath.Join(dir, "rsa512.pem"), KeyFile: filepath.Join(dir, "rsa512.key")}
	// crypto/rsa generates no key this short; the openssl command does.
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:512", "-sha256", "-nodes", "-keyout", leaf.KeyFile,
		"-out", leaf.CertFile, "-days", "30", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost").CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	// With TLS 1.3 on, s_server refuses a TLS 1.3 offer outright (the key
	// cannot make an RSA-PSS signature): --probe runs connect's probes and
	// its handshake at TLS 1.2 and finds the key all the same.
	for _, versions := range [][]string{{"-tls1_2"}, nil} {
		srv := peertest.StartOpenSSLServer(t, leaf, append([]string{"-www", "-cipher", "DEFAULT:@SECLEVEL=0"}, versions...)...)
		got := explainProbe(t, "--probe", srv.Addr, "--cafile", leaf.CertFile, "--servername", "localhost", "verify error:num=66:EE certificate key too weak")
		if got.Primary != "cert_weak_crypto" || got.Probe.Diagnosis.Cause != "certificate_weak_key" || !got.Probe.Confirmed {
			t.Errorf("s_server %v: probe %+v", versions, got)
		}
	}
}
