package interop

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// Issue 12: `clasp connect` names the cause of a failure in its first line,
// with a fix that works. Each case is a real server with one fault; the
// test applies the fix clasp names (a flag on the client, or the server
// change, by starting the server again with it) and connects again.

// The clasp command the diagnosis tests run, built once for all of them
// (each build costs seconds); TestMain removes its directory.
var (
	sharedClaspOnce sync.Once
	sharedClaspDir  string
	sharedClaspBin  string
	sharedClaspErr  error
)

func sharedClasp(t *testing.T) string {
	t.Helper()
	sharedClaspOnce.Do(func() {
		if sharedClaspDir, sharedClaspErr = os.MkdirTemp("", "clasp-diag-bin"); sharedClaspErr != nil {
			return
		}
		sharedClaspBin = filepath.Join(sharedClaspDir, "clasp")
		out, err := exec.Command("go", "build", "-o", sharedClaspBin, "../cmd/clasp").CombinedOutput()
		if err != nil {
			sharedClaspErr = fmt.Errorf("building clasp: %v\n%s", err, out)
		}
	})
	if sharedClaspErr != nil {
		t.Fatal(sharedClaspErr)
	}
	return sharedClaspBin
}

// claspRun is one run of the clasp command.
type claspRun struct {
	stdout, stderr string
	exit           int
}

// firstLine is the first line of standard error: the cause.
func (r claspRun) firstLine() string {
	line, _, _ := strings.Cut(r.stderr, "\n")
	return line
}

func runClaspCommand(t *testing.T, bin string, args ...string) claspRun {
	t.Helper()
	return runClaspCommandEnv(t, bin, nil, args...)
}

// runClaspCommandEnv is runClaspCommand with env added to the environment.
func runClaspCommandEnv(t *testing.T, bin string, env []string, args ...string) claspRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errorsAs(err, &exitErr) {
		t.Fatalf("clasp %v: %v", args, err)
	}
	t.Logf("clasp %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), out.String(), errOut.String())
	return claspRun{stdout: out.String(), stderr: errOut.String(), exit: cmd.ProcessState.ExitCode()}
}

func errorsAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}

// connectFlags reads the flags after "to connect: " in a first line.
func connectFlags(t *testing.T, line string) []string {
	t.Helper()
	_, after, ok := strings.Cut(line, "to connect: ")
	if !ok {
		t.Fatalf("the first line names no flags to connect: %q", line)
	}
	flags, _, _ := strings.Cut(after, ";")
	return strings.Fields(flags)
}

// The server refuses the ClientHello; the probes name what it accepts.
func TestConnectProbesWhatARefusingServerAccepts(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	bin := sharedClasp(t)
	base := []string{"connect", "--servername", "localhost", "--cafile", pki.CACertFile}
	dh1024 := rfc5114Group(t)
	cases := []struct {
		name      string
		server    []string // s_server arguments with the fault
		fixed     []string // the server change clasp names
		wantFirst []string
		wantCause string
	}{
		{"only-AES128-SHA", []string{"-tls1_2", "-cipher", "AES128-SHA"}, []string{"-tls1_2", "-cipher", "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256"},
			[]string{"the server accepts only TLS_RSA_WITH_AES_128_CBC_SHA (AES128-SHA) on TLS 1.2; this client offered [", "to connect: --ciphers AES128-SHA;", "to fix the server: enable an ECDHE suite", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
			"no_common_cipher_suite"},
		{"only-TLS1.0", []string{"-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"}, []string{"-cipher", "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"},
			[]string{"the server speaks only TLS 1.0; this client offered TLS 1.2, TLS 1.3 (obsolete", "to connect: --min-version 1.0 --ciphers ECDHE-RSA-AES128-SHA;", "to fix the server: enable TLS 1.2 and TLS 1.3"},
			"no_common_version"},
		{"only-DHE", []string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"}, []string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"},
			[]string{"the server accepts only TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 (DHE-RSA-AES128-GCM-SHA256) on TLS 1.2", "to connect: --ciphers DHE-RSA-AES128-GCM-SHA256;"},
			"no_common_cipher_suite"},
		// The DHE suite alone would be refused at the ServerKeyExchange
		// for its 1024-bit prime: the flags must lower the minimum too.
		{"only-DHE-1024-bit-prime", []string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", "-dhparam", dh1024},
			[]string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", "-dhparam", dh1024},
			[]string{"the server accepts only TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 (DHE-RSA-AES128-GCM-SHA256) on TLS 1.2",
				"to connect: --ciphers DHE-RSA-AES128-GCM-SHA256 --min-dh-bits 1024;"},
			"no_common_cipher_suite"},
		{"only-ffdhe-groups", []string{"-tls1_3", "-groups", "ffdhe2048:ffdhe3072"}, []string{"-tls1_3", "-groups", "ffdhe2048:X25519"},
			[]string{"the server accepts only finite-field (FFDHE) groups on TLS 1.3: ffdhe2048, ffdhe3072", "to connect: --groups ffdhe2048;", "to fix the server: enable X25519 and P-256"},
			"no_common_group"},
		{"only-SHA1-signatures", []string{"-tls1_2", "-sigalgs", "RSA+SHA1", "-cipher", "DEFAULT:@SECLEVEL=0"}, []string{"-tls1_2", "-sigalgs", "RSA+SHA1:RSA+SHA256"},
			[]string{"the server signs only with SHA-1 on TLS 1.2 (rsa_pkcs1_sha1); this client offered [", "to connect: --sigalgs rsa_pkcs1_sha1;", "to fix the server: enable SHA-256 signature schemes"},
			"no_common_signature_scheme"},
		{"no-common-group", []string{"-tls1_3", "-groups", "X448"}, []string{"-tls1_3", "-groups", "X448:X25519"},
			[]string{"the server accepts only the groups x448 on TLS 1.3", "no setting of clasp connect can meet it", "to fix the server: enable X25519"},
			"no_common_group"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := peertest.StartOpenSSLServer(t, pki.RSA, append([]string{"-www"}, tc.server...)...)
			r := runClaspCommand(t, bin, append(base, srv.Addr)...)
			if r.exit != 1 {
				t.Fatalf("exit %d, want 1", r.exit)
			}
			first := r.firstLine()
			for _, want := range tc.wantFirst {
				if !strings.Contains(first, want) {
					t.Errorf("first line lacks %q:\n%s", want, first)
				}
			}
			if strings.Contains(first, "to connect: ") {
				// The client-side fix connects.
				r = runClaspCommand(t, bin, append(append(base, connectFlags(t, first)...), srv.Addr)...)
				if r.exit != 0 {
					t.Errorf("the suggested flags do not connect: exit %d", r.exit)
				}
			}
			// The server-side fix: the server with the change, the
			// default client.
			srv.Stop()
			fixed := peertest.StartOpenSSLServer(t, pki.RSA, append([]string{"-www"}, tc.fixed...)...)
			if r = runClaspCommand(t, bin, append(base, fixed.Addr)...); r.exit != 0 {
				t.Errorf("after the server change the default client does not connect: exit %d", r.exit)
			}
		})
	}
	t.Run("json-lists-the-probes", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_2", "-cipher", "AES128-SHA")
		r := runClaspCommand(t, bin, append(base, "--json", srv.Addr)...)
		var out struct {
			OK        bool `json:"ok"`
			Diagnosis struct {
				Cause string `json:"cause"`
			} `json:"diagnosis"`
			Probes []struct {
				Check       string   `json:"check"`
				Found       []string `json:"found"`
				Connections int      `json:"connections"`
			} `json:"probes"`
		}
		if strings.Count(strings.TrimSpace(r.stdout), "\n") != 0 {
			t.Errorf("--json printed more than one line")
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("--json: %v", err)
		}
		if out.OK || out.Diagnosis.Cause != "no_common_cipher_suite" || len(out.Probes) < 2 ||
			out.Probes[1].Check != "TLS 1.2 cipher suites" || len(out.Probes[1].Found) != 1 || out.Probes[1].Connections == 0 {
			t.Errorf("--json = %+v", out)
		}
		// --no-probe runs none.
		r = runClaspCommand(t, bin, append(base, "--json", "--no-probe", srv.Addr)...)
		if strings.Contains(r.stdout, `"probes"`) || !strings.Contains(r.stdout, `"ok":false`) {
			t.Errorf("--no-probe --json: %s", r.stdout)
		}
	})
}

// selfSignedClient writes a self-signed ECDSA client certificate (its own
// CA, unknown to the test PKI) and returns the certificate and key files.
func selfSignedClient(t *testing.T, cn string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	writeFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	return certFile, keyFile
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Mutual TLS, in TLS 1.2 and in TLS 1.3 (where the server's verdict comes
// after the client's Finished): the same diagnosis, first line first.
func TestConnectDiagnosesClientCertificateFaults(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	bin := sharedClasp(t)
	otherCert, otherKey := selfSignedClient(t, "other client")
	bothCAs := filepath.Join(t.TempDir(), "both.pem")
	caPEM, err := os.ReadFile(pki.CACertFile)
	if err != nil {
		t.Fatal(err)
	}
	otherPEM, err := os.ReadFile(otherCert)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, bothCAs, append(caPEM, otherPEM...))
	for _, version := range []string{"--tls1.2", "--tls1.3"} {
		t.Run(version, func(t *testing.T) {
			srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-Verify", "1", "-verify_return_error", "-CAfile", pki.CACertFile)
			base := []string{"connect", version, "--servername", "localhost", "--cafile", pki.CACertFile}
			// No certificate: required; --cert with the PKI's client connects.
			r := runClaspCommand(t, bin, append(base, srv.Addr)...)
			if r.exit != 1 || !strings.HasPrefix(r.firstLine(), "the server requires a client certificate and this client sent none") {
				t.Errorf("no certificate: exit %d, first line %q", r.exit, r.firstLine())
			}
			if r = runClaspCommand(t, bin, append(base, "--cert", pki.Client.ChainFile, "--key", pki.Client.KeyFile, srv.Addr)...); r.exit != 0 {
				t.Errorf("with the PKI's client certificate: exit %d", r.exit)
			}
			// A certificate from another CA: kept back, said loudly.
			other := append(base, "--cert", otherCert, "--key", otherKey)
			r = runClaspCommand(t, bin, append(other, srv.Addr)...)
			if r.exit != 1 || !strings.HasPrefix(r.firstLine(), "NOT SENT: the server asked for a client certificate issued by CN=peertest CA") ||
				!strings.Contains(r.stderr, "--send-cert-anyway") {
				t.Errorf("other CA: exit %d, first line %q", r.exit, r.firstLine())
			}
			// --send-cert-anyway sends it, and the server refuses it: the
			// cause is the first line, the flag's warning comes after.
			r = runClaspCommand(t, bin, append(other, "--send-cert-anyway", srv.Addr)...)
			if r.exit != 1 || !strings.HasPrefix(r.firstLine(), "the server rejected this client's certificate CN=other client (unknown_ca alert") ||
				!strings.Contains(r.stderr, "\nclasp: warning: --send-cert-anyway") {
				t.Errorf("--send-cert-anyway: exit %d\n%s", r.exit, r.stderr)
			}
			// The server change: accept the other CA too.
			srv.Stop()
			fixed := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-Verify", "1", "-verify_return_error", "-CAfile", bothCAs)
			if r = runClaspCommand(t, bin, append(other, fixed.Addr)...); r.exit != 0 {
				t.Errorf("after the server accepts the other CA: exit %d", r.exit)
			}
			// --json: one object, ok false, with the diagnosis, also for
			// TLS 1.3's verdict after the handshake.
			r = runClaspCommand(t, bin, append(base, "--json", fixed.Addr)...)
			var out struct {
				OK        bool `json:"ok"`
				Diagnosis struct {
					Cause string `json:"cause"`
				} `json:"diagnosis"`
			}
			if strings.Count(strings.TrimSpace(r.stdout), "\n") != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil ||
				out.OK || out.Diagnosis.Cause != "client_certificate_required" {
				t.Errorf("--json: %q", r.stdout)
			}
		})
	}
}

// connectJSON runs clasp connect --json and decodes its one object.
func connectJSON(t *testing.T, bin string, args ...string) (map[string]any, claspRun) {
	t.Helper()
	r := runClaspCommand(t, bin, append([]string{"connect", "--json"}, args...)...)
	var out map[string]any
	if strings.Count(strings.TrimSpace(r.stdout), "\n") != 0 {
		t.Errorf("--json printed more than one line:\n%s", r.stdout)
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	return out, r
}

func warningCodes(out map[string]any) []string {
	var codes []string
	list, _ := out["warning_codes"].([]any)
	for _, c := range list {
		codes = append(codes, c.(string))
	}
	return codes
}

// A connection that works but is weak says so, one warning each, in text
// and in --json; --strict makes it a failure.
func TestConnectWarnsAboutWeakSuccesses(t *testing.T) {
	peertest.Require(t, "openssl", "gnutls-serv")
	pki := peertest.NewPKI(t)
	bin := sharedClasp(t)
	trusted := []string{"--servername", "localhost", "--cafile", pki.CACertFile}

	// A 1024-bit RSA key, a SHA-1 signature, ten days left.
	dir := t.TempDir()
	weakCert, weakKey := filepath.Join(dir, "weak.pem"), filepath.Join(dir, "weak.key")
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:1024", "-sha1", "-nodes", "-keyout", weakKey,
		"-out", weakCert, "-days", "10", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost").CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	weakLeaf := &peertest.Leaf{CertFile: weakCert, KeyFile: weakKey}
	gnutlsWeak := "NORMAL:-VERS-TLS1.3:%NO_SESSION_HASH:%DISABLE_SAFE_RENEGOTIATION"
	cases := []struct {
		name   string
		start  func(t *testing.T) string
		client []string
		want   []string
	}{
		{"weak-certificate", func(t *testing.T) string {
			return peertest.StartOpenSSLServer(t, weakLeaf, "-www", "-cipher", "DEFAULT:@SECLEVEL=0").Addr
		}, []string{"--servername", "localhost", "--cafile", weakCert}, []string{"weak_rsa_key", "weak_signature_in_chain", "expiring_soon"}},
		{"no-ems-no-secure-renegotiation", func(t *testing.T) string {
			return peertest.StartGnuTLSServer(t, pki.RSA, gnutlsWeak, "--http", "--disable-client-cert").Addr
		}, trusted, []string{"no_extended_master_secret", "no_secure_renegotiation"}},
		// -no_etm: OpenSSL agrees on encrypt-then-MAC by default, and
		// only without it is CBC MAC-then-encrypt (RFC 7366).
		{"tls1.0-cbc-without-etm", func(t *testing.T) string {
			return peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1", "-no_etm", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0").Addr
		}, append([]string{"--min-version", "1.0", "--ciphers", "ECDHE-RSA-AES128-SHA"}, trusted...), []string{"old_version", "cbc_without_etm"}},
		// 3DES runs only when --ciphers names it (OpenSSL 3 here has no
		// 3DES suite left; GnuTLS still offers one when asked).
		{"3des", func(t *testing.T) string {
			return peertest.StartGnuTLSServer(t, pki.RSA, "NORMAL:+3DES-CBC:-VERS-TLS1.3", "--http", "--disable-client-cert").Addr
		}, append([]string{"--ciphers", "ECDHE-RSA-DES-CBC3-SHA"}, trusted...), []string{"weak_cipher"}},
		{"sha1-handshake-signature", func(t *testing.T) string {
			return peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_2", "-sigalgs", "RSA+SHA1", "-cipher", "DEFAULT:@SECLEVEL=0").Addr
		}, append([]string{"--sigalgs", "rsa_pkcs1_sha1"}, trusted...), []string{"weak_handshake_signature"}},
		{"no-forward-secrecy", func(t *testing.T) string {
			return peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_2").Addr
		}, append([]string{"--ciphers", "AES128-GCM-SHA256"}, trusted...), []string{"no_forward_secrecy"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.start(t)
			out, r := connectJSON(t, bin, append(tc.client, addr)...)
			if r.exit != 0 || out["ok"] != true {
				t.Fatalf("exit %d, ok %v", r.exit, out["ok"])
			}
			codes := warningCodes(out)
			if slices.Contains(tc.want, "cbc_without_etm") && out["encrypt_then_mac"] != false {
				t.Errorf("encrypt_then_mac %v with warnings %v", out["encrypt_then_mac"], codes)
			}
			for _, want := range tc.want {
				if !slices.Contains(codes, want) {
					t.Errorf("warning_codes %v lack %s", codes, want)
				}
			}
			if n := len(out["warnings"].([]any)); n < len(tc.want) {
				t.Errorf("%d warnings for %d weaknesses", n, len(tc.want))
			}
			// Text: one "warning:" line each, at least.
			r = runClaspCommand(t, bin, append(append([]string{"connect"}, tc.client...), addr)...)
			if got := strings.Count(r.stdout, "\nwarning: "); got < len(tc.want) {
				t.Errorf("%d warning lines for %d weaknesses", got, len(tc.want))
			}
			// --strict: a failure.
			r = runClaspCommand(t, bin, append(append([]string{"connect", "--strict"}, tc.client...), addr)...)
			if r.exit != 1 || !strings.Contains(r.stderr, "--strict") {
				t.Errorf("--strict: exit %d, stderr %q", r.exit, r.stderr)
			}
		})
	}
	// The same CBC suite with encrypt-then-MAC agreed (OpenSSL's default):
	// no MAC-then-encrypt warning, at TLS 1.0 (still old) and at TLS 1.2,
	// where nothing is left to warn about and --strict passes (with a
	// certificate that is not about to expire, unlike the test PKI's).
	t.Run("cbc-with-etm", func(t *testing.T) {
		goodCert, goodKey := filepath.Join(dir, "good.pem"), filepath.Join(dir, "good.key")
		if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-sha256", "-nodes", "-keyout", goodKey,
			"-out", goodCert, "-days", "90", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost").CombinedOutput(); err != nil {
			t.Fatalf("openssl req: %v\n%s", err, out)
		}
		for _, v := range []struct{ version, serverFlag string }{{"1.0", "-tls1"}, {"1.2", "-tls1_2"}} {
			version := v.version
			addr := peertest.StartOpenSSLServer(t, &peertest.Leaf{CertFile: goodCert, KeyFile: goodKey}, "-www", v.serverFlag,
				"-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0").Addr
			client := []string{"--min-version", version, "--ciphers", "ECDHE-RSA-AES128-SHA", "--servername", "localhost", "--cafile", goodCert}
			out, r := connectJSON(t, bin, append(client, addr)...)
			if r.exit != 0 || out["ok"] != true || out["encrypt_then_mac"] != true {
				t.Fatalf("TLS %s: exit %d, ok %v, encrypt_then_mac %v", version, r.exit, out["ok"], out["encrypt_then_mac"])
			}
			if codes := warningCodes(out); slices.Contains(codes, "cbc_without_etm") {
				t.Errorf("TLS %s: warning_codes %v with encrypt-then-MAC agreed", version, codes)
			}
			if text := fmt.Sprint(out["warnings"]); strings.Contains(text, "MAC-then-encrypt") {
				t.Errorf("TLS %s: warnings %s", version, text)
			}
			r = runClaspCommand(t, bin, append(append([]string{"connect", "--strict"}, client...), addr)...)
			if want := map[string]int{"1.0": 1, "1.2": 0}[version]; r.exit != want {
				t.Errorf("TLS %s --strict: exit %d, want %d; stderr %q", version, r.exit, want, r.stderr)
			}
			if version == "1.2" && !strings.Contains(r.stdout, "encrypt-then-MAC:        yes") {
				t.Errorf("text output lacks the encrypt-then-MAC line:\n%s", r.stdout)
			}
		}
	})
	// The server change for the second case: GnuTLS with its defaults.
	srv := peertest.StartGnuTLSServer(t, pki.RSA, "NORMAL:-VERS-TLS1.3", "--http", "--disable-client-cert")
	out, _ := connectJSON(t, bin, append(trusted, srv.Addr)...)
	if codes := warningCodes(out); slices.Contains(codes, "no_extended_master_secret") || slices.Contains(codes, "no_secure_renegotiation") {
		t.Errorf("GnuTLS with its defaults still warns: %v", codes)
	}
}

// startBalancer is HAProxy in TCP mode in front of backends with the given
// balance algorithm ("roundrobin", "source").
func startBalancer(t *testing.T, balance string, backends ...string) string {
	t.Helper()
	peertest.Require(t, "haproxy")
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		bin = "/usr/sbin/haproxy"
	}
	addr := fmt.Sprintf("127.0.0.1:%d", peertest.FreePort(t))
	cfg := fmt.Sprintf("global\n    maxconn 64\ndefaults\n    mode tcp\n    timeout connect 2s\n    timeout client 20s\n    timeout server 20s\n"+
		"frontend tls\n    bind %s\n    default_backend servers\nbackend servers\n    balance %s\n", addr, balance)
	for i, be := range backends {
		cfg += fmt.Sprintf("    server backend%d %s\n", i+1, be)
	}
	cfgFile := filepath.Join(t.TempDir(), "haproxy.cfg")
	writeFile(t, cfgFile, []byte(cfg))
	out := &lockedBuf{}
	cmd := exec.Command(bin, "-db", "-f", cfgFile)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	if err := waitPort(addr, done, 10*time.Second); err != nil {
		t.Fatalf("haproxy: %v\n%s", err, out.String())
	}
	return addr
}

// --reconnect through a balancer over two clasp serve backends that share
// nothing: the verdict says none resumed and why (another server
// answered), and names the fixes; source affinity, one of them, resumes
// every time.
func TestConnectReconnectVerdictThroughABalancer(t *testing.T) {
	pki := peertest.NewPKI(t)
	bin := sharedClasp(t)
	a := startServeProc(t, bin, "127.0.0.1:0", "--cert", pki.RSA.ChainFile, "--key", pki.RSA.KeyFile)
	b := startServeProc(t, bin, "127.0.0.1:0", "--cert", pki.ECDSA.ChainFile, "--key", pki.ECDSA.KeyFile)
	split := startBalancer(t, "roundrobin", a.addr, b.addr)
	sticky := startBalancer(t, "source", a.addr, b.addr)
	modes := []struct {
		name    string
		flags   []string
		offered string
		mech    string
	}{
		{"tls12-session-id", []string{"--tls1.2", "--no-tickets"}, "did not find the offered session ID", "session ID"},
		{"tls12-ticket", []string{"--tls1.2"}, "declined the offered session ticket", "session ticket"},
		{"tls13-ticket", []string{"--tls1.3"}, "declined the offered TLS 1.3 ticket", "psk_dhe_ke"},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			args := append(append([]string{"connect", "--servername", "localhost", "--cafile", pki.CACertFile, "--reconnect", "4", "--ticket-wait", "1s"}, m.flags...), split)
			r := runClaspCommand(t, bin, args...)
			for _, want := range []string{"\nresumed 0 of 4 (no resumption)\n", m.offered,
				"a different server answered — a balancer spreads connections over servers that do not share a session cache or ticket keys",
				"reconnect 1, 2, 3, 4:",
				"share the session store and the ticket keys", "balance source", "proxy_ssl_session_reuse off"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("the verdict lacks %q", want)
				}
			}
			// The fix: source affinity.
			args[len(args)-1] = sticky
			r = runClaspCommand(t, bin, args...)
			if !strings.Contains(r.stdout, "\nresumed 4 of 4 ("+m.mech+")\n") {
				t.Errorf("with balance source: %s", r.stdout)
			}
			// --json: one object per connection, the verdict in the last.
			jargs := append([]string{"--json"}, args[1:]...)
			jargs[len(jargs)-1] = split
			r = runClaspCommand(t, bin, append([]string{"connect"}, jargs...)...)
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			if len(lines) != 5 {
				t.Fatalf("--json printed %d lines for 5 connections", len(lines))
			}
			var last struct {
				OK      bool `json:"ok"`
				Verdict struct {
					Resumed int      `json:"resumed"`
					Of      int      `json:"of"`
					Causes  []string `json:"causes"`
				} `json:"resumption_verdict"`
			}
			if err := json.Unmarshal([]byte(lines[4]), &last); err != nil || !last.OK || last.Verdict.Of != 4 ||
				last.Verdict.Resumed != 0 || !slices.Contains(last.Verdict.Causes, "different_backend") {
				t.Errorf("last --json object: %s (%v)", lines[4], err)
			}
		})
	}
}

// startNginxRequiringSNI runs nginx with a default server that refuses
// every handshake (ssl_reject_handshake: an unrecognized_name alert for a
// hello without a name it serves) and a server for "localhost".
func startNginxRequiringSNI(t *testing.T, leaf *peertest.Leaf) string {
	t.Helper()
	peertest.Require(t, "nginx")
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", peertest.FreePort(t))
	conf := fmt.Sprintf(`daemon off;
pid nginx.pid;
error_log stderr;
events {}
http {
  access_log off;
  client_body_temp_path tmp; proxy_temp_path tmp; fastcgi_temp_path tmp; uwsgi_temp_path tmp; scgi_temp_path tmp;
  server { listen %[1]s ssl default_server; ssl_reject_handshake on; }
  server { listen %[1]s ssl; server_name localhost; ssl_certificate %[2]s; ssl_certificate_key %[3]s; return 200 "ok"; }
}
`, addr, leaf.ChainFile, leaf.KeyFile)
	writeFile(t, filepath.Join(dir, "nginx.conf"), []byte(conf))
	out := &lockedBuf{}
	cmd := exec.Command(bin, "-p", dir, "-c", "nginx.conf", "-e", "stderr")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	if err := waitPort(addr, done, 10*time.Second); err != nil {
		t.Fatalf("nginx: %v\n%s", err, out.String())
	}
	return addr
}

// An IP address as the target sends no SNI; a server that requires it
// refuses, and --servername, the fix clasp names, connects.
func TestConnectSaysAnAddressSendsNoSNI(t *testing.T) {
	pki := peertest.NewPKI(t)
	bin := sharedClasp(t)
	addr := startNginxRequiringSNI(t, pki.RSA)
	r := runClaspCommand(t, bin, "connect", "--cafile", pki.CACertFile, addr)
	if r.exit != 1 || !strings.HasPrefix(r.firstLine(), "no SNI was sent because the target 127.0.0.1 is an IP address; ") ||
		!strings.Contains(r.firstLine(), "unrecognized_name") || !strings.Contains(r.stderr, "--servername NAME") {
		t.Errorf("exit %d, first line %q", r.exit, r.firstLine())
	}
	if r = runClaspCommand(t, bin, "connect", "--cafile", pki.CACertFile, "--servername", "localhost", addr); r.exit != 0 {
		t.Errorf("--servername localhost: exit %d", r.exit)
	}
}

// rfc5114Group writes the 1024-bit MODP group of RFC 5114 §2.1 (160-bit
// subgroup) for s_server's -dhparam.
func rfc5114Group(t *testing.T) string {
	t.Helper()
	params := filepath.Join(t.TempDir(), "dh1024.pem")
	if out, err := exec.Command("openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "dh_rfc5114:1", "-out", params).CombinedOutput(); err != nil {
		t.Fatalf("openssl genpkey: %v\n%s", err, out)
	}
	return params
}

// A DHE server with a 1024-bit prime: refused by default with the cause in
// the first line; --min-dh-bits, the client-side way out, connects with a
// warning; a 2048-bit group on the server, the fix, connects by default.
func TestConnectNamesAWeakDHGroup(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	bin := sharedClasp(t)
	params := rfc5114Group(t)
	dhe := []string{"-www", "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"}
	srv := peertest.StartOpenSSLServer(t, pki.RSA, append(dhe, "-dhparam", params)...)
	base := []string{"connect", "--servername", "localhost", "--cafile", pki.CACertFile, "--ciphers", "DHE-RSA-AES128-GCM-SHA256"}
	r := runClaspCommand(t, bin, append(base, srv.Addr)...)
	// The cause first; the warning --ciphers asks for after it.
	if r.exit != 1 || !strings.HasPrefix(r.firstLine(), "the server's DHE group has a 1024-bit prime") || !strings.Contains(r.stderr, "--min-dh-bits 1024") ||
		!strings.Contains(r.stderr, "\nclasp: warning: cipher suite TLS_DHE_RSA_WITH_AES_128_GCM_SHA256") {
		t.Errorf("exit %d, first line %q", r.exit, r.firstLine())
	}
	out, r := connectJSON(t, bin, append(append(base[1:], "--min-dh-bits", "1024"), srv.Addr)...)
	if r.exit != 0 || !slices.Contains(warningCodes(out), "weak_dh_group") {
		t.Errorf("--min-dh-bits 1024: exit %d, warnings %v", r.exit, warningCodes(out))
	}
	fixed := peertest.StartOpenSSLServer(t, pki.RSA, dhe...) // OpenSSL's own 2048-bit choice
	if r = runClaspCommand(t, bin, append(base, fixed.Addr)...); r.exit != 0 {
		t.Errorf("with a 2048-bit group: exit %d", r.exit)
	}
}

// A TLS 1.3 server that issues no tickets: nothing to resume, said so;
// with tickets on (the fix) every reconnect resumes.
func TestConnectReconnectVerdictWithoutTickets(t *testing.T) {
	pki := peertest.NewPKI(t)
	bin := sharedClasp(t)
	args := []string{"connect", "--servername", "localhost", "--cafile", pki.CACertFile, "--tls1.3", "--reconnect", "2", "--ticket-wait", "500ms"}
	none := peertest.StartOpenSSLServer(t, pki.ECDSA, "-www", "-tls1_3", "-num_tickets", "0")
	r := runClaspCommand(t, bin, append(args, none.Addr)...)
	for _, want := range []string{"\nresumed 0 of 2 (no resumption)\n", "the server issued no session tickets", "enable session tickets"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the verdict lacks %q", want)
		}
	}
	tickets := peertest.StartOpenSSLServer(t, pki.ECDSA, "-www", "-tls1_3")
	if r = runClaspCommand(t, bin, append(args, tickets.Addr)...); !strings.Contains(r.stdout, "\nresumed 2 of 2 (psk_dhe_ke)\n") {
		t.Errorf("with tickets: %s", r.stdout)
	}
}

// The probe verdict against GnuTLS and NSS servers restricted to one old
// suite, and to TLS 1.1 at most: the same first lines, and the flags they
// name connect.
func TestConnectProbesGnuTLSAndNSS(t *testing.T) {
	peertest.Require(t, "gnutls-serv", "selfserv")
	pki := peertest.NewPKI(t)
	bin := sharedClasp(t)
	base := []string{"connect", "--servername", "localhost", "--cafile", pki.CACertFile}
	cases := []struct {
		name      string
		start     func(t *testing.T) string
		wantFirst []string
	}{
		{"gnutls-static-RSA", func(t *testing.T) string {
			return peertest.StartGnuTLSServer(t, pki.RSA, "NORMAL:-VERS-TLS1.3:-KX-ALL:+RSA:-CIPHER-ALL:+AES-128-GCM", "--http", "--disable-client-cert").Addr
		}, []string{"the server accepts only TLS_RSA_WITH_AES_128_GCM_SHA256 (AES128-GCM-SHA256) on TLS 1.2", "to connect: --ciphers AES128-GCM-SHA256;"}},
		{"gnutls-TLS1.1", func(t *testing.T) string {
			return peertest.StartGnuTLSServer(t, pki.RSA, "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0", "--http", "--disable-client-cert").Addr
		}, []string{"the server speaks only TLS 1.0, TLS 1.1; this client offered TLS 1.2, TLS 1.3 (obsolete", "to connect: --min-version 1.1 --ciphers ECDHE-RSA-AES128-SHA;"}},
		{"nss-AES128-SHA", func(t *testing.T) string {
			return peertest.StartNSSServer(t, pki.RSA, peertest.NSSCipherArgs("TLS_RSA_WITH_AES_128_CBC_SHA")...).Addr
		}, []string{"the server accepts only TLS_RSA_WITH_AES_128_CBC_SHA (AES128-SHA) on TLS 1.2", "to connect: --ciphers AES128-SHA;"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.start(t)
			r := runClaspCommand(t, bin, append(base, addr)...)
			for _, want := range tc.wantFirst {
				if !strings.Contains(r.firstLine(), want) {
					t.Errorf("first line lacks %q:\n%s", want, r.firstLine())
				}
			}
			if r.exit != 1 || !strings.Contains(r.firstLine(), "to connect: ") {
				t.Fatalf("exit %d", r.exit)
			}
			if r = runClaspCommand(t, bin, append(append(base, connectFlags(t, r.firstLine())...), addr)...); r.exit != 0 {
				t.Errorf("the suggested flags do not connect: exit %d", r.exit)
			}
		})
	}
}

// Redis on its usual port waits for a command line and never answers a
// ClientHello: the stall is named after the message, and the port says
// what listens there. The port is what names Redis, so the test needs 6379
// on some loopback address: when another Redis (or anything) holds
// 127.0.0.1:6379, it takes 6379 on another address of 127.0.0.0/8.
func TestConnectNamesAStallOnRedisPort(t *testing.T) {
	peertest.Require(t, "redis-server")
	bin := sharedClasp(t)
	host := freeLoopbackFor(t, 6379)
	addr := net.JoinHostPort(host, "6379")
	cmd := exec.Command("redis-server", "--port", "6379", "--bind", host, "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	out := &lockedBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	if err := waitPort(addr, done, 10*time.Second); err != nil {
		t.Fatalf("redis-server: %v\n%s", err, out.String())
	}
	r := runClaspCommand(t, bin, "connect", "--timeout", "2s", addr)
	if r.exit != 1 || r.firstLine() != "timed out: the server stalled after this side sent ClientHello (last received: nothing)" ||
		!strings.Contains(strings.Join(strings.Fields(r.stderr), " "), "Port 6379 is where Redis usually listens") {
		t.Errorf("exit %d, stderr:\n%s", r.exit, r.stderr)
	}
}

// freeLoopbackFor finds an address of 127.0.0.0/8 (Linux answers on all of
// it) where port is free to listen on. Finding none is a failure under
// CI=true, as a missing peer is, and a skip elsewhere.
func freeLoopbackFor(t *testing.T, port int) string {
	t.Helper()
	for i := 1; i <= 16; i++ {
		host := fmt.Sprintf("127.0.0.%d", i)
		ln, err := net.Listen("tcp", net.JoinHostPort(host, fmt.Sprint(port)))
		if err == nil {
			ln.Close()
			return host
		}
	}
	msg := fmt.Sprintf("port %d is taken on 127.0.0.1 to 127.0.0.16 (or on every address)", port)
	if peertest.InCI() {
		t.Fatal(msg + " — under CI=true this test must run")
	}
	t.Skip(msg)
	return ""
}
