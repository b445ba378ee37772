package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
)

// Tests of issue 5's flags: clasp cert, mutual TLS, sessions and
// renegotiation through clasp serve and clasp connect.

// certPKI is a PKI made by `clasp cert`.
type certPKI struct {
	dir                                      string
	ca, server, serverKey, client, clientKey string
}

func makeCertPKI(t *testing.T, args ...string) certPKI {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pki")
	r := runClasp(t, nil, append([]string{"cert", "--out", dir}, args...)...)
	if r.exitCode != 0 {
		t.Fatalf("clasp cert exited %d: %s", r.exitCode, r.stderr)
	}
	return certPKI{dir: dir, ca: filepath.Join(dir, "ca.pem"),
		server: filepath.Join(dir, "server.pem"), serverKey: filepath.Join(dir, "server-key.pem"),
		client: filepath.Join(dir, "client.pem"), clientKey: filepath.Join(dir, "client-key.pem")}
}

func readPEM(t *testing.T, path, wantType string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, rest := pem.Decode(data)
	if block == nil || block.Type != wantType {
		t.Fatalf("%s: want one %s PEM block, got %v", path, wantType, block)
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		t.Errorf("%s: more than one PEM block", path)
	}
	return block.Bytes
}

func TestCertMakesAPKIThatVerifies(t *testing.T) {
	for _, tc := range []struct {
		keyType string
		check   func(any) bool
	}{
		{"ecdsa", func(k any) bool { _, ok := k.(*ecdsa.PrivateKey); return ok }},
		{"rsa", func(k any) bool { _, ok := k.(*rsa.PrivateKey); return ok }},
		{"ed25519", func(k any) bool { _, ok := k.(ed25519.PrivateKey); return ok }},
	} {
		t.Run(tc.keyType, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pki")
			r := runClasp(t, nil, "cert", "--out", dir, "--names", "localhost,127.0.0.1,api.internal", "--key-type", tc.keyType)
			if r.exitCode != 0 {
				t.Fatalf("clasp cert exited %d: %s", r.exitCode, r.stderr)
			}
			for _, f := range []string{"ca.pem", "server.pem", "server-key.pem", "client.pem", "client-key.pem"} {
				if !strings.Contains(r.stdout, "wrote "+filepath.Join(dir, f)) {
					t.Errorf("output does not name %s:\n%s", f, r.stdout)
				}
			}
			for _, want := range []string{"clasp serve --cert ", "--client-auth require-and-verify --client-ca " + filepath.Join(dir, "ca.pem"),
				"clasp connect --cafile ", "openssl s_client ", "curl --cacert "} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("output lacks the command %q:\n%s", want, r.stdout)
				}
			}
			ca, err := x509.ParseCertificate(readPEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE"))
			if err != nil {
				t.Fatal(err)
			}
			roots := x509.NewCertPool()
			roots.AddCert(ca)
			server, err := x509.ParseCertificate(readPEM(t, filepath.Join(dir, "server.pem"), "CERTIFICATE"))
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"localhost", "127.0.0.1", "api.internal"} {
				if _, err := server.Verify(x509.VerifyOptions{Roots: roots, DNSName: name}); err != nil {
					t.Errorf("server certificate for %s: %v", name, err)
				}
			}
			client, err := x509.ParseCertificate(readPEM(t, filepath.Join(dir, "client.pem"), "CERTIFICATE"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Errorf("client certificate: %v", err)
			}
			for _, f := range []string{"server-key.pem", "client-key.pem"} {
				path := filepath.Join(dir, f)
				key, err := x509.ParsePKCS8PrivateKey(readPEM(t, path, "PRIVATE KEY"))
				if err != nil {
					t.Fatalf("%s is not PKCS#8: %v", f, err)
				}
				if !tc.check(key) {
					t.Errorf("%s holds a %T, want a %s key", f, key, tc.keyType)
				}
				if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
					t.Errorf("%s: mode %v, want 0600 (err %v)", f, st.Mode().Perm(), err)
				}
			}
			// The files load as a clasp certificate.
			if _, err := clasp.LoadX509KeyPair(filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")); err != nil {
				t.Errorf("clasp.LoadX509KeyPair: %v", err)
			}
		})
	}
}

func TestCertDoesNotOverwriteWithoutForce(t *testing.T) {
	p := makeCertPKI(t)
	before, _ := os.ReadFile(p.ca)
	r := runClasp(t, nil, "cert", "--out", p.dir)
	if r.exitCode != exitFailure || !strings.Contains(r.stderr, "not overwriting it without --force") {
		t.Fatalf("second clasp cert: exit %d, stderr %q", r.exitCode, r.stderr)
	}
	if after, _ := os.ReadFile(p.ca); string(after) != string(before) {
		t.Error("ca.pem changed although clasp cert refused")
	}
	if r := runClasp(t, nil, "cert", "--out", p.dir, "--force"); r.exitCode != 0 {
		t.Fatalf("clasp cert --force exited %d: %s", r.exitCode, r.stderr)
	}
	if after, _ := os.ReadFile(p.ca); string(after) == string(before) {
		t.Error("ca.pem unchanged after --force")
	}
}

func TestIssue5UsageErrors(t *testing.T) {
	p := makeCertPKI(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"cert"}, "--out DIR is required"},
		{[]string{"cert", "--out", t.TempDir(), "--key-type", "dsa512"}, `--key-type "dsa512"`},
		{[]string{"cert", "--out", t.TempDir(), "--names", "local host"}, `"local host" is neither a DNS name nor an IP address`},
		{[]string{"cert", "--out", t.TempDir(), "--names", ","}, "--names: the list is empty"},
		{[]string{"cert", "--out", t.TempDir(), "--valid-for", "0s"}, "--valid-for 0s"},
		{[]string{"serve", "--client-auth", "always"}, `--client-auth "always": want one of none, request, require, verify-if-given, require-and-verify`},
		{[]string{"serve", "--client-auth", "require-and-verify"}, "give --client-ca FILE"},
		{[]string{"serve", "--client-auth", "verify-if-given"}, "give --client-ca FILE"},
		{[]string{"serve", "--client-ca", p.ca}, "--client-ca has no use with --client-auth none"},
		{[]string{"serve", "--client-auth", "require", "--client-ca", p.server + ".missing"}, "--client-ca: open"},
		{[]string{"serve", "--client-auth", "require", "--client-ca", p.serverKey}, "no PEM certificate in the file"},
		{[]string{"serve", "--session-store", "memcached://x"}, `--session-store "memcached://x": want memory or redis://HOST:PORT/DB`},
		{[]string{"serve", "--session-store", "redis://127.0.0.1:6379/notanumber"}, "--session-store: redisstore"},
		{[]string{"serve", "--fleet-key", p.ca}, "--fleet-key seals the ticket key kept in a shared store"},
		{[]string{"serve", "--ticket-rotation", "-1s"}, "--ticket-rotation -1s"},
		{[]string{"serve", "--no-tickets", "--no-session-ids"}, "leave nothing to resume"},
		{[]string{"serve", "--no-tickets", "--ticket-rotation", "1h"}, "--ticket-rotation has no use with --no-tickets"},
		{[]string{"serve", "--renegotiation", "sometimes"}, `--renegotiation "sometimes": want never, once or freely`},
		{[]string{"serve", "--renegotiation", "once", "--max-renegotiations", "2"}, "--max-renegotiations applies to --renegotiation freely"},
		{[]string{"serve", "--renegotiation", "freely", "--max-renegotiations", "-1"}, "--max-renegotiations -1"},
		{[]string{"serve", "--hello-request-after", "-5"}, "--hello-request-after -5"},
		{[]string{"serve", "--mode", "http", "--hello-request-after", "2"}, "only 1 means something"},
		{[]string{"serve", "--renegotiate-client-auth", "require"}, "give --hello-request-after too"},
		{[]string{"serve", "--hello-request-after", "1", "--renegotiate-client-auth", "bogus"}, `--renegotiate-client-auth "bogus"`},
		{[]string{"serve", "--hello-request-after", "1", "--renegotiate-client-auth", "require-and-verify"}, "require-and-verify (--renegotiate-client-auth)"},
		{[]string{"serve", "--min-version", "1.3", "--renegotiation", "once"}, "renegotiation exists in TLS 1.2 only"},
		{[]string{"connect", "--renegotiation", "maybe", "127.0.0.1:1"}, `--renegotiation "maybe"`},
		{[]string{"connect", "--renegotiate", "--tls1.3", "127.0.0.1:1"}, "--renegotiate: renegotiation exists in TLS 1.2 only"},
		{[]string{"connect", "--renegotiation", "once", "--min-version", "1.3", "127.0.0.1:1"}, "--renegotiation once: renegotiation exists in TLS 1.2 only"},
		{[]string{"connect", "--cert", p.client, "127.0.0.1:1"}, "--cert and --key go together"},
	} {
		r := runClasp(t, nil, tc.args...)
		if r.exitCode != exitUsage {
			t.Errorf("clasp %v: exit code %d, want %d; stderr: %s", tc.args, r.exitCode, exitUsage, r.stderr)
			continue
		}
		if !strings.Contains(r.stderr, tc.want) {
			t.Errorf("clasp %v: stderr %q lacks %q", tc.args, r.stderr, tc.want)
		}
		if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
			t.Errorf("clasp %v: usage error spans %d lines: %q", tc.args, n+1, r.stderr)
		}
	}
}

// waitLog polls a clasp serve log until it holds want n times.
func waitLog(s *servedClasp, want string, n int) bool {
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(s.stderr.String(), want) < n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// Mutual TLS through both commands, with a PKI from clasp cert, in TLS 1.2
// and TLS 1.3.
func TestServeRequiresAndVerifiesClientCertificates(t *testing.T) {
	p := makeCertPKI(t)
	other := makeCertPKI(t) // a CA the server does not trust
	s := startServe(t, "--cert", p.server, "--key", p.serverKey, "--client-auth", "require-and-verify", "--client-ca", p.ca)
	if !strings.Contains(s.stderr.String(), "client certificates: require-and-verify, CAs from "+p.ca) {
		t.Errorf("the log does not state the policy:\n%s", s.stderr)
	}
	for _, version := range []string{"--tls1.2", "--tls1.3"} {
		r := runClasp(t, strings.NewReader("with a certificate\n"), "connect", version, "--cafile", p.ca, "--cert", p.client, "--key", p.clientKey, "localhost:"+portOf(s.addr))
		if r.exitCode != 0 || r.stdout != "with a certificate\n" {
			t.Fatalf("connect %s with --cert: exit %d, stdout %q, stderr:\n%s\nserve:\n%s", version, r.exitCode, r.stdout, r.stderr, s.stderr)
		}
		r = runClasp(t, strings.NewReader("no certificate\n"), "connect", version, "--cafile", p.ca, "localhost:"+portOf(s.addr))
		if r.exitCode != exitFailure {
			t.Errorf("connect %s without --cert: exit %d, want %d; stderr:\n%s", version, r.exitCode, exitFailure, r.stderr)
		}
		r = runClasp(t, strings.NewReader("rogue certificate\n"), "connect", version, "--cafile", p.ca, "--cert", other.client, "--key", other.clientKey, "localhost:"+portOf(s.addr))
		if r.exitCode != exitFailure {
			t.Errorf("connect %s with a certificate from another CA: exit %d, want %d; stderr:\n%s", version, r.exitCode, exitFailure, r.stderr)
		}
	}
	if !waitLog(s, `client-cert="CN=clasp test client,O=clasp" (verified)`, 2) {
		t.Errorf("the log does not show two verified client certificates:\n%s", s.stderr)
	}
	if !waitLog(s, "handshake failed", 4) {
		t.Errorf("the log does not show the four refused handshakes:\n%s", s.stderr)
	}
	s.stop(t)
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

// --no-tickets on either side leaves TLS 1.2 session IDs; by default TLS
// 1.2 resumes with a ticket.
func TestReconnectReportsTheResumptionMechanism(t *testing.T) {
	p := makeCertPKI(t)
	def := startServe(t, "--cert", p.server, "--key", p.serverKey)
	noTickets := startServe(t, "--cert", p.server, "--key", p.serverKey, "--no-tickets")
	if !strings.Contains(noTickets.stderr.String(), "session tickets: off (--no-tickets)") {
		t.Errorf("serve --no-tickets does not say so:\n%s", noTickets.stderr)
	}
	for _, tc := range []struct {
		name   string
		server *servedClasp
		args   []string
		first  string
		each   string
		log    string
	}{
		{"tls12-tickets", def, []string{"--tls1.2"}, "first connection: TLS 1.2 session ticket (RFC 5077) received and cached",
			"resumed by TLS 1.2 session ticket (RFC 5077)", "resumed by session ticket,"},
		{"tls12-connect-no-tickets", def, []string{"--tls1.2", "--no-tickets"}, "first connection: TLS 1.2 session ID ",
			"resumed by TLS 1.2 session ID", "resumed by session ID,"},
		{"tls12-serve-no-tickets", noTickets, []string{"--tls1.2"}, "first connection: TLS 1.2 session ID ",
			"resumed by TLS 1.2 session ID", "resumed by session ID,"},
		{"tls13", def, nil, "first connection: session ticket received and cached",
			"resumed by TLS 1.3 ticket (PSK with (EC)DHE, psk_dhe_ke)", "resumed by psk_dhe_ke,"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := strings.Count(tc.server.stderr.String(), tc.log)
			args := append([]string{"connect", "--cafile", p.ca, "--reconnect", "3"}, tc.args...)
			r := runClasp(t, strings.NewReader("ping\n"), append(args, "localhost:"+portOf(tc.server.addr))...)
			if r.exitCode != 0 {
				t.Fatalf("clasp connect exited %d: %s", r.exitCode, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.first) {
				t.Errorf("output lacks %q:\n%s", tc.first, r.stderr)
			}
			if n := strings.Count(r.stderr, tc.each); n != 3 {
				t.Errorf("%d of 3 reconnects say %q:\n%s", n, tc.each, r.stderr)
			}
			if !waitLog(tc.server, tc.log, before+3) {
				t.Errorf("the serve log does not say %q three more times:\n%s", tc.log, tc.server.stderr)
			}
		})
	}
	// TLS 1.3 without tickets cannot resume, and says so.
	r := runClasp(t, nil, "connect", "--cafile", p.ca, "--reconnect", "1", "--ticket-wait", "300ms", "localhost:"+portOf(noTickets.addr))
	if r.exitCode != 0 || !strings.Contains(r.stdout, "reconnect 1: full handshake, not resumed") {
		t.Errorf("TLS 1.3 against serve --no-tickets: exit %d:\n%s%s", r.exitCode, r.stdout, r.stderr)
	}
	r = runClasp(t, nil, "connect", "--json", "--tls1.2", "--cafile", p.ca, "--reconnect", "1", "localhost:"+portOf(def.addr))
	if !strings.Contains(r.stdout, `"resumed":true,"resumption":"TLS 1.2 session ticket (RFC 5077)","resumed_by":"session ticket"`) {
		t.Errorf("--json reconnect line lacks resumed_by:\n%s", r.stdout)
	}
}

// --session-ttl bounds how long a TLS 1.2 session resumes; --ticket-rotation
// how long a ticket does (up to two periods).
func TestSessionLifetimes(t *testing.T) {
	p := makeCertPKI(t)
	s := startServe(t, "--cert", p.server, "--key", p.serverKey, "--ticket-rotation", "1s", "--session-ttl", "1s")
	if !strings.Contains(s.stderr.String(), "session tickets: on, keys rotate every 1s") {
		t.Errorf("the log does not state the rotation:\n%s", s.stderr)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(mustRead(t, p.ca))
	for _, noTickets := range []bool{false, true} {
		cfg := &clasp.Config{RootCAs: pool, ServerName: "localhost", MaxVersion: clasp.VersionTLS12,
			ClientSessionCache: clasp.NewLRUClientSessionCache(4), SessionTicketsDisabled: noTickets}
		dial := func() clasp.ConnectionState {
			conn, err := clasp.Dial("tcp", s.addr, cfg)
			if err != nil {
				t.Fatalf("dial: %v\n%s", err, s.stderr)
			}
			defer conn.Close()
			return conn.ConnectionState()
		}
		dial()
		if st := dial(); !st.DidResume {
			t.Errorf("no-tickets=%v: an immediate reconnect did not resume", noTickets)
		}
		time.Sleep(2500 * time.Millisecond)
		if st := dial(); st.DidResume {
			t.Errorf("no-tickets=%v: resumed by %s after more than two 1s rotations and the 1s session lifetime", noTickets, st.ResumedBy)
		}
	}
	s.stop(t)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// clasp connect --renegotiate against clasp serve: refused by default,
// accepted with --renegotiation once; both logged by the server.
func TestConnectRenegotiates(t *testing.T) {
	p := makeCertPKI(t)
	never := startServe(t, "--cert", p.server, "--key", p.serverKey)
	once := startServe(t, "--cert", p.server, "--key", p.serverKey, "--renegotiation", "once")
	r := runClasp(t, strings.NewReader("after\n"), "connect", "--renegotiate", "--cafile", p.ca, "localhost:"+portOf(once.addr))
	if r.exitCode != 0 {
		t.Fatalf("connect --renegotiate exited %d: %s\n%s", r.exitCode, r.stderr, once.stderr)
	}
	if !strings.Contains(r.stderr, "renegotiation: second handshake complete (TLS 1.2, ") || r.stdout != "after\n" {
		t.Errorf("connect --renegotiate: stdout %q, stderr:\n%s", r.stdout, r.stderr)
	}
	if !waitLog(once, "renegotiated (client-initiated, handshake 2): TLS 1.2", 1) {
		t.Errorf("serve does not log the renegotiation:\n%s", once.stderr)
	}
	r = runClasp(t, nil, "connect", "--renegotiate", "--json", "--cafile", p.ca, "localhost:"+portOf(never.addr))
	if r.exitCode != exitFailure || !strings.Contains(r.stdout, `"renegotiated":false`) || !strings.Contains(r.stderr, "no_renegotiation") {
		t.Errorf("connect --renegotiate against --renegotiation never: exit %d\nstdout:\n%s\nstderr:\n%s", r.exitCode, r.stdout, r.stderr)
	}
	if !waitLog(never, "refused the client's renegotiation (no_renegotiation warning): the Renegotiation policy is never", 1) {
		t.Errorf("serve does not log the refusal:\n%s", never.stderr)
	}
	once.stop(t)
	never.stop(t)
}

// --max-renegotiations holds per connection under --renegotiation freely.
func TestServeMaxRenegotiations(t *testing.T) {
	p := makeCertPKI(t)
	s := startServe(t, "--cert", p.server, "--key", p.serverKey, "--renegotiation", "freely", "--max-renegotiations", "2")
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(mustRead(t, p.ca))
	conn, err := clasp.Dial("tcp", s.addr, &clasp.Config{RootCAs: pool, ServerName: "localhost", MaxVersion: clasp.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	for i := 1; i <= 3; i++ {
		err := conn.Renegotiate(context.Background(), nil)
		if i <= 2 && err != nil {
			t.Fatalf("renegotiation %d: %v\n%s", i, err, s.stderr)
		}
		if i == 3 && (err == nil || !strings.Contains(err.Error(), "no_renegotiation")) {
			t.Fatalf("renegotiation 3 beyond --max-renegotiations 2: err %v", err)
		}
		// The connection works after each, the refused one included.
		line := "line " + string(rune('0'+i)) + "\n"
		if _, err := io.WriteString(conn, line); err != nil {
			t.Fatal(err)
		}
		got, err := bufio.NewReader(io.LimitReader(conn, int64(len(line)))).ReadString('\n')
		if err != nil || got != line {
			t.Fatalf("echo after renegotiation %d: %q, %v", i, got, err)
		}
	}
	if !waitLog(s, "this connection already renegotiated 2 time(s), the limit", 1) {
		t.Errorf("serve does not log the refusal at the limit:\n%s", s.stderr)
	}
	s.stop(t)
}

// --hello-request-after N in echo mode drives crypto/tls's client through
// a second handshake, with data before and after; in http mode it asks for
// a client certificate only in the second handshake.
func TestServeHelloRequestAfter(t *testing.T) {
	p := makeCertPKI(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(mustRead(t, p.ca))
	clientCert, err := tls.LoadX509KeyPair(p.client, p.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	goClient := &tls.Config{RootCAs: pool, ServerName: "localhost", MaxVersion: tls.VersionTLS12,
		Renegotiation: tls.RenegotiateOnceAsClient, Certificates: []tls.Certificate{clientCert}}

	t.Run("echo", func(t *testing.T) {
		s := startServe(t, "--cert", p.server, "--key", p.serverKey, "--hello-request-after", "8")
		conn, err := tls.Dial("tcp", s.addr, goClient)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(conn)
		for _, line := range []string{"before\n", "crossing the threshold\n", "after\n"} {
			if _, err := io.WriteString(conn, line); err != nil {
				t.Fatal(err)
			}
			if got, err := r.ReadString('\n'); err != nil || got != line {
				t.Fatalf("echo of %q: %q, %v\n%s", line, got, err, s.stderr)
			}
		}
		if !waitLog(s, "renegotiated (server-initiated, handshake 2): TLS 1.2", 1) {
			t.Errorf("no renegotiation in the log:\n%s", s.stderr)
		}
		if !strings.Contains(s.stderr.String(), "sending HelloRequest (--hello-request-after 8: 30 bytes read)") {
			t.Errorf("the log does not say when the HelloRequest went:\n%s", s.stderr)
		}
		s.stop(t)
	})

	t.Run("http-certificate-in-second-handshake", func(t *testing.T) {
		s := startServe(t, "--cert", p.server, "--key", p.serverKey, "--mode", "http", "--hello-request-after", "1",
			"--renegotiate-client-auth", "require-and-verify", "--client-ca", p.ca)
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: goClient}}
		resp, err := client.Get("https://" + s.addr + "/private")
		if err != nil {
			t.Fatalf("GET: %v\n%s", err, s.stderr)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "CN=clasp test client,O=clasp") {
			t.Errorf("the page does not show the certificate sent in the second handshake:\n%s", body)
		}
		log := s.stderr.String()
		first := log[strings.Index(log, "listening on"):]
		if strings.Contains(strings.SplitN(first, "sending HelloRequest", 2)[0], "client-cert=") {
			t.Errorf("a client certificate was asked for in the first handshake:\n%s", log)
		}
		if !waitLog(s, `renegotiated (server-initiated, handshake 2): TLS 1.2`, 1) || !strings.Contains(s.stderr.String(), `client-cert="CN=clasp test client,O=clasp" (verified)`) {
			t.Errorf("the log does not show the verified certificate of the second handshake:\n%s", s.stderr)
		}
		s.stop(t)
	})

	// A TLS 1.3 connection has no renegotiation: the server says so and
	// echoes on.
	t.Run("tls13", func(t *testing.T) {
		s := startServe(t, "--cert", p.server, "--key", p.serverKey, "--hello-request-after", "1")
		r := runClasp(t, strings.NewReader("still echoed\n"), "connect", "--cafile", p.ca, "localhost:"+portOf(s.addr))
		if r.exitCode != 0 || r.stdout != "still echoed\n" {
			t.Fatalf("exit %d, stdout %q: %s", r.exitCode, r.stdout, r.stderr)
		}
		if !waitLog(s, "TLS 1.3 has no renegotiation", 1) {
			t.Errorf("the log does not say why there was no HelloRequest:\n%s", s.stderr)
		}
		s.stop(t)
	})

	// clasp connect answers per --renegotiation and says what happened.
	t.Run("clasp-connect", func(t *testing.T) {
		s := startServe(t, "--cert", p.server, "--key", p.serverKey, "--hello-request-after", "1")
		for _, tc := range []struct{ policy, want, serverSaw string }{
			{"once", "renegotiation: the server sent HelloRequest; handshake 2 complete (TLS 1.2, ",
				"renegotiated (server-initiated, handshake 2)"},
			{"never", "renegotiation: the server sent HelloRequest; refused with a no_renegotiation warning",
				"the client refused to renegotiate"},
		} {
			in, w := io.Pipe()
			go func() {
				// The second line, and the end of input (close_notify),
				// go only after the server has seen the client's answer
				// to its HelloRequest: with a fixed pause a loaded machine
				// let them overtake it, and the server closed in the
				// middle of the new handshake.
				io.WriteString(w, "first\n")
				waitLog(s, tc.serverSaw, 1)
				io.WriteString(w, "second\n")
				w.Close()
			}()
			r := runClasp(t, in, "connect", "--tls1.2", "--renegotiation", tc.policy, "--cafile", p.ca, "localhost:"+portOf(s.addr))
			if r.exitCode != 0 || r.stdout != "first\nsecond\n" || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("--renegotiation %s: exit %d, stdout %q, stderr:\n%s", tc.policy, r.exitCode, r.stdout, r.stderr)
			}
		}
		if !waitLog(s, "the client refused to renegotiate (no_renegotiation warning); going on with the first handshake", 1) {
			t.Errorf("the log does not show the refusal:\n%s", s.stderr)
		}
		s.stop(t)
	})
}

// A Redis that does not answer costs resumptions, never connections: the
// server starts, says so once, and serves full handshakes; go-redis's own
// logger stays quiet.
func TestServeWithUnreachableRedis(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens there now
	p := makeCertPKI(t)
	s := startServe(t, "--cert", p.server, "--key", p.serverKey, "--session-store", "redis://"+dead+"/0")
	for _, want := range []string{
		"session store: Redis at redis://" + dead + "/0",
		"clasp: warning: the shared ticket base key is kept in Redis in the clear",
		"warning: cannot read the shared ticket base key from the session store",
	} {
		if !strings.Contains(s.stderr.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, s.stderr)
		}
	}
	r := runClasp(t, strings.NewReader("x\n"), "connect", "--tls1.2", "--no-tickets", "--reconnect", "2", "--cafile", p.ca, "localhost:"+portOf(s.addr))
	if r.exitCode != 0 {
		t.Fatalf("clasp connect exited %d: %s\n%s", r.exitCode, r.stderr, s.stderr)
	}
	if n := strings.Count(r.stderr, "full handshake, not resumed"); n != 2 {
		t.Errorf("%d of 2 reconnects made a full handshake:\n%s", n, r.stderr)
	}
	if !waitLog(s, `level=WARN msg="clasp: session store unavailable`, 1) {
		t.Errorf("no store warning in the log:\n%s", s.stderr)
	}
	for _, line := range strings.Split(s.stderr.String(), "\n") {
		if strings.HasPrefix(line, "redis: ") {
			t.Errorf("go-redis logged on its own: %q", line)
		}
	}
	s.stop(t)
}
