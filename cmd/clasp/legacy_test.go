package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeRSASelfSigned writes an RSA certificate for 127.0.0.1 and its key:
// SSL 3.0 has no ECDSA suites, and clasp serve generates an ECDSA key.
func writeRSASelfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ssl3 test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	return certFile, keyFile
}

// Issue 13 in the command: a legacy suite or TLS 1.0 runs only when named
// (--ciphers, --min-version), is announced with "warning:" lines, and
// without the flag the failure names the flag that would allow it.

// Each legacy cipher family (3DES, RC4, NULL) runs between clasp serve and
// clasp connect only when --ciphers names it on both sides: a default
// connect fails naming --ciphers, and a connect that names the suites warns
// with the family's weakness.
func TestLegacySuiteNeedsCiphersFlag(t *testing.T) {
	for _, c := range []struct{ family, suites, warning string }{
		{"3DES", "ECDHE-ECDSA-DES-CBC3-SHA,ECDHE-RSA-DES-CBC3-SHA", "Sweet32"},
		{"RC4", "ECDHE-ECDSA-RC4-SHA,ECDHE-RSA-RC4-SHA", "prohibited by RFC 7465"},
		{"NULL", "ECDHE-ECDSA-NULL-SHA,ECDHE-RSA-NULL-SHA", "records are sent in the clear"},
	} {
		t.Run(c.family, func(t *testing.T) {
			srv := startServe(t, "--max-version", "1.2", "--ciphers", c.suites)
			r := runClasp(t, nil, "connect", "--insecure", srv.addr)
			if r.exitCode == 0 || !strings.Contains(r.stdout+r.stderr, "--ciphers") {
				t.Fatalf("a default connect to a %s-only server: exit %d, output does not name --ciphers:\n%s\n%s", c.family, r.exitCode, r.stdout, r.stderr)
			}
			r = runClasp(t, nil, "connect", "--insecure", "--tls1.2", "--ciphers", c.suites, srv.addr)
			if r.exitCode != 0 {
				t.Fatalf("connect naming the suite: exit %d:\n%s", r.exitCode, r.stderr)
			}
			if !strings.Contains(r.stderr, "warning:") || !strings.Contains(r.stderr+r.stdout, c.warning) {
				t.Errorf("connect over %s does not warn %q:\n%s\n%s", c.family, c.warning, r.stdout, r.stderr)
			}
		})
	}
}

func TestTLS10NeedsMinVersionFlag(t *testing.T) {
	cbc := "ECDHE-ECDSA-AES128-SHA,ECDHE-RSA-AES128-SHA"
	srv := startServe(t, "--min-version", "1.0", "--max-version", "1.0", "--ciphers", cbc)
	r := runClasp(t, nil, "connect", "--insecure", "--ciphers", cbc, srv.addr)
	if r.exitCode == 0 || !strings.Contains(r.stdout+r.stderr, "--min-version") {
		t.Fatalf("connect without --min-version to a TLS 1.0 server: exit %d, output does not name --min-version:\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
	r = runClasp(t, nil, "connect", "--insecure", "--min-version", "1.0", "--ciphers", cbc, srv.addr)
	if r.exitCode != 0 {
		t.Fatalf("connect --min-version 1.0: exit %d:\n%s", r.exitCode, r.stderr)
	}
	if !strings.Contains(r.stderr+r.stdout, "TLS 1.0 is deprecated") {
		t.Errorf("connect over TLS 1.0 does not warn about it:\n%s\n%s", r.stdout, r.stderr)
	}
}

// SSL 3.0 runs between clasp serve and clasp connect only when both name it
// with --min-version ssl3, and the warning says POODLE; without the flag
// the error names --min-version.
func TestSSL3NeedsMinVersionFlag(t *testing.T) {
	suite := "AES128-SHA"
	certFile, keyFile := writeRSASelfSigned(t)
	srv := startServe(t, "--min-version", "ssl3", "--max-version", "ssl3", "--ciphers", suite, "--cert", certFile, "--key", keyFile)
	r := runClasp(t, nil, "connect", "--insecure", "--ciphers", suite, srv.addr)
	if r.exitCode == 0 || !strings.Contains(r.stdout+r.stderr, "--min-version") {
		t.Fatalf("connect without --min-version to an SSL 3.0 server: exit %d, output does not name --min-version:\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
	r = runClasp(t, nil, "connect", "--insecure", "--min-version", "ssl3", "--max-version", "ssl3", "--ciphers", suite, srv.addr)
	if r.exitCode != 0 || !strings.Contains(r.stderr+r.stdout, "POODLE") {
		t.Fatalf("connect --min-version ssl3: exit %d, no POODLE warning:\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
}

// v2FormatHello is an SSL 2.0-format ClientHello written from RFC 5246
// Appendix E.2: msg_length 0x8000|31, msg_type 1, version TLS 1.2,
// cipher_spec_length 6 (TLS_RSA_WITH_AES_128_CBC_SHA as 0x00002f and the
// renegotiation SCSV 0x0000ff), no session ID, a 16-byte challenge.
var v2FormatHello = append([]byte{0x80, 31, 0x01, 0x03, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x10,
	0x00, 0x00, 0x2f, 0x00, 0x00, 0xff}, []byte("sixteen byte chl")...)

// sendV2FormatHello sends v2FormatHello and returns the first 6 bytes of
// the answer (fewer when the server closes).
func sendV2FormatHello(t *testing.T, addr string) []byte {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write(v2FormatHello); err != nil {
		t.Fatal(err)
	}
	answer := make([]byte, 7)
	n, _ := io.ReadFull(conn, answer)
	return answer[:n]
}

// clasp serve takes an SSL 2.0-format ClientHello only with
// --accept-sslv2-hello, says so with a warning, and without the flag
// answers protocol_version and its log names the flag.
func TestServeSSLv2FormatHelloNeedsFlag(t *testing.T) {
	certFile, keyFile := writeRSASelfSigned(t)
	common := []string{"--cert", certFile, "--key", keyFile, "--max-version", "1.2", "--ciphers", "AES128-SHA"}
	srv := startServe(t, append(common, "--accept-sslv2-hello")...)
	if !strings.Contains(srv.stderr.String(), "warning: --accept-sslv2-hello") {
		t.Errorf("serve does not warn about --accept-sslv2-hello:\n%s", srv.stderr)
	}
	if got := sendV2FormatHello(t, srv.addr); len(got) != 7 || got[0] != 0x16 || got[1] != 3 || got[2] != 3 || got[5] != 2 {
		t.Fatalf("answer %x, want a TLS 1.2 handshake record starting with ServerHello", got)
	}
	// Without the flag: a fatal protocol_version alert in a TLS record,
	// then the close.
	plain := startServe(t, common...)
	if got := sendV2FormatHello(t, plain.addr); len(got) != 7 || got[0] != 0x15 || got[4] != 2 || got[5] != 2 || got[6] != 70 {
		t.Fatalf("a server without the flag answered %x, want a protocol_version alert", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(plain.stderr.String(), "--accept-sslv2-hello") {
		if time.Now().After(deadline) {
			t.Fatalf("the log of a server without the flag does not name --accept-sslv2-hello:\n%s", plain.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clasp cert --key-type dsa1024 makes a DSA server certificate under an
// ECDSA CA; clasp serve runs DHE_DSS with it when --ciphers and --sigalgs
// name the suite and a dsa_* scheme, and clasp connect verifies the chain
// and says the suite is weak.
func TestCertDSAAndDHEDSS(t *testing.T) {
	dir := t.TempDir()
	if r := runClasp(t, nil, "cert", "--out", dir, "--key-type", "dsa1024"); r.exitCode != 0 || !strings.Contains(r.stdout, "(DSA 1024)") {
		t.Fatalf("clasp cert: exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
	suite := "DHE-DSS-AES128-GCM-SHA256"
	srv := startServe(t, "--cert", filepath.Join(dir, "server.pem"), "--key", filepath.Join(dir, "server-key.pem"),
		"--max-version", "1.2", "--ciphers", suite, "--sigalgs", "dsa_sha256")
	r := runClasp(t, strings.NewReader("hello\n"), "connect", "--cafile", filepath.Join(dir, "ca.pem"), "--servername", "localhost", srv.addr)
	if r.exitCode == 0 || !strings.Contains(r.stdout+r.stderr, "--ciphers") {
		t.Fatalf("a default connect to a DHE_DSS-only server: exit %d, output does not name --ciphers:\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
	r = runClasp(t, strings.NewReader("hello\n"), "connect", "--cafile", filepath.Join(dir, "ca.pem"), "--servername", "localhost",
		"--ciphers", suite, "--sigalgs", "dsa_sha256", srv.addr)
	if r.exitCode != 0 || !strings.Contains(r.stdout+r.stderr, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256") || !strings.Contains(r.stderr, "warning:") {
		t.Fatalf("connect over DHE_DSS: exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
}

// Anonymous suites in the command: served and connected to only when
// --ciphers names them, with the warning that the peer is not
// authenticated; the server needs no certificate for them.
func TestAnonymousSuiteNeedsCiphersFlag(t *testing.T) {
	suite := "ADH-AES128-GCM-SHA256"
	srv := startServe(t, "--max-version", "1.2", "--ciphers", suite)
	r := runClasp(t, strings.NewReader("hello\n"), "connect", "--insecure", srv.addr)
	if r.exitCode == 0 || !strings.Contains(r.stdout+r.stderr, "--ciphers") {
		t.Fatalf("a default connect to an anonymous-only server: exit %d:\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
	r = runClasp(t, strings.NewReader("hello\n"), "connect", "--ciphers", suite, srv.addr)
	if r.exitCode != 0 || !strings.Contains(r.stdout+r.stderr, "the peer is not authenticated") {
		t.Fatalf("connect over DH_anon: exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
}

// --sigalgs takes the SHA-1 schemes (rsa_pkcs1_sha1, ecdsa_sha1, dsa_sha1)
// by name, and a connection that signs with one says so (RFC 9155).
func TestSigalgsSHA1ByName(t *testing.T) {
	// A default serve refuses a client that offers only SHA-1, and its log
	// names the flag that would allow it.
	def := startServe(t, "--max-version", "1.2")
	r := runClasp(t, strings.NewReader("hello\n"), "connect", "--insecure", "--sigalgs", "ecdsa_sha1", def.addr)
	if r.exitCode == 0 {
		t.Fatalf("a default serve signed with ecdsa_sha1:\n%s\n%s", r.stdout, r.stderr)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(def.stderr.String(), "--sigalgs") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if log := def.stderr.String(); !strings.Contains(log, "--sigalgs") || !strings.Contains(log, "SHA-1 signature schemes are off by default") {
		t.Errorf("serve's log does not name --sigalgs for the SHA-1-only client:\n%s", log)
	}
	srv := startServe(t, "--max-version", "1.2", "--sigalgs", "ecdsa_sha1")
	r = runClasp(t, strings.NewReader("hello\n"), "connect", "--insecure", "--sigalgs", "ecdsa_sha1,dsa_sha1,rsa_pkcs1_sha1", srv.addr)
	if r.exitCode != 0 || !strings.Contains(r.stdout+r.stderr, "RFC 9155") {
		t.Fatalf("connect with SHA-1 schemes: exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
}

// The help names every legacy item a flag enables: --ciphers the DHE_DSS
// and anonymous suites beside 3DES, RC4 and NULL, --accept-sslv2-hello
// SSL 3.0 as well as TLS 1.0-1.2.
func TestLegacyFlagsHelp(t *testing.T) {
	for _, c := range []struct {
		command string
		want    []string
	}{
		{"connect", []string{"3DES, RC4, NULL, DHE_DSS", "anonymous DH_anon/ECDH_anon (ADH-*, AECDH-*)"}},
		{"serve", []string{"3DES, RC4, NULL, DHE_DSS", "anonymous DH_anon/ECDH_anon", "for SSL 3.0 when --min-version ssl3 allows it"}},
	} {
		r := runClasp(t, nil, c.command, "--help")
		for _, w := range c.want {
			if !strings.Contains(r.stdout+r.stderr, w) {
				t.Errorf("clasp %s --help lacks %q:\n%s%s", c.command, w, r.stdout, r.stderr)
			}
		}
	}
}
