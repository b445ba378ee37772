package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestConnectTraceKinds(t *testing.T) {
	pki := newTestPKI(t)
	srv := startGoTLSServer(t, pki.server)
	for _, tc := range []struct {
		kind string
		args []string
		want []string
	}{
		{"state", []string{"--tls1.2"}, []string{"SSL_connect:before SSL initialization", "SSL_connect:SSLv3/TLS write client hello",
			"SSL_connect:SSLv3/TLS read server done", "SSL_connect:SSLv3/TLS read finished",
			"SSL_connect:SSL negotiation finished successfully"}},
		// TLS 1.3 in OpenSSL 3's words, as `openssl s_client -tls1_3 -state` prints them.
		{"state", nil, []string{"SSL_connect:SSLv3/TLS write client hello", "SSL_connect:SSLv3/TLS read server hello",
			"SSL_connect:TLSv1.3 read encrypted extensions", "SSL_connect:SSLv3/TLS read server certificate",
			"SSL_connect:TLSv1.3 read server certificate verify", "SSL_connect:SSLv3/TLS read finished",
			"SSL_connect:SSLv3/TLS write change cipher spec", "SSL_connect:SSLv3/TLS write finished"}},
		{"msg", []string{"--tls1.2"}, []string{">>> sent ClientHello [record handshake (22), version TLS 1.0 (0x0301)",
			"- supported_groups (0x000a)", "<<< received Finished", "[enc, epoch 1]", "0000  01 00 "}},
		{"msg", nil, []string{"- key_share (0x0033)", "X25519MLKEM768 (0x11ec)", "- supported_versions (0x002b)",
			"<<< received EncryptedExtensions", "[enc, epoch 1]", "certificate_request_context_hex"}},
		{"story", []string{"--tls1.2"}, []string{"[client → server] ClientHello", "[server → client] ServerHello", "server random", "verify_data = PRF"}},
		{"story", nil, []string{"[server → client] EncryptedExtensions", "post-quantum hybrid X25519MLKEM768",
			"handshake secret = HKDF-Extract", "verify_data = HMAC"}},
		{"diagram", []string{"--tls1.2"}, []string{"Client", "Server", "─ ClientHello (", "◀", "ServerHelloDone", "flight 2", "[enc]"}},
		{"diagram", nil, []string{"EncryptedExtensions (", "ChangeCipherSpec (compat)", "handshake keys (epoch 1)", "[enc]"}},
	} {
		r := runClasp(t, nil, append(append([]string{"connect", "--trace", tc.kind}, tc.args...), "--cafile", pki.caFile, srv.addr)...)
		if r.exitCode != 0 {
			t.Fatalf("--trace %s exited %d\nstderr: %s", tc.kind, r.exitCode, r.stderr)
		}
		for _, want := range tc.want {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("--trace %s output lacks %q:\n%s", tc.kind, want, r.stdout)
			}
		}
		// The summary still follows the trace.
		if !strings.Contains(r.stdout, "cipher suite:") {
			t.Errorf("--trace %s: no summary after the trace", tc.kind)
		}
	}
}

func TestConnectTraceJSONIsOneObjectPerLine(t *testing.T) {
	pki := newTestPKI(t)
	srv := startGoTLSServer(t, pki.server)
	r := runClasp(t, nil, "connect", "--trace", "json", "--json", "--cafile", pki.caFile, srv.addr)
	if r.exitCode != 0 {
		t.Fatalf("exited %d\nstderr: %s", r.exitCode, r.stderr)
	}
	kinds := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("line is not JSON: %v\n%s", err, sc.Text())
		}
		if schema, ok := obj["schema"]; ok {
			if schema != "clasp.trace/v1" {
				t.Errorf("schema %v", schema)
			}
			kinds[obj["kind"].(string)]++
		}
	}
	for _, k := range []string{"message", "state", "decision", "keys", "done", "summary"} {
		if kinds[k] == 0 {
			t.Errorf("no %s object in --trace json output", k)
		}
	}
}

func TestDemoTraceKindsAndLanguages(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"demo", "--lang", "ru"}, "[клиент → сервер] ClientHello"},
		{[]string{"demo", "--lang", "zh"}, "[客户端 → 服务器] ClientHello"},
		{[]string{"demo", "--lang", "vi"}, "[máy khách → máy chủ] ClientHello"},
		{[]string{"demo", "--trace", "state"}, "SSL_accept:SSLv3/TLS write server done"},
		{[]string{"demo", "--tls1.3", "--trace", "state"}, "SSL_accept:TLSv1.3 write encrypted extensions"},
		{[]string{"demo", "--tls1.3", "--lang", "ru"}, "общий секрет, постквантовый гибрид X25519MLKEM768"},
		{[]string{"demo", "--trace", "none"}, "round trip:"},
	} {
		r := runClasp(t, nil, tc.args...)
		if r.exitCode != 0 {
			t.Fatalf("%v exited %d\nstderr: %s", tc.args, r.exitCode, r.stderr)
		}
		if !strings.Contains(r.stdout, tc.want) {
			t.Errorf("%v output lacks %q:\n%s", tc.args, tc.want, r.stdout)
		}
	}
}

// TestDemoDrawsEachMessageOnce checks the merged stream of both ends: the
// ladder has one arrow per message, not one per event.
func TestDemoDrawsEachMessageOnce(t *testing.T) {
	r := runClasp(t, nil, "demo", "--trace", "diagram")
	if r.exitCode != 0 {
		t.Fatalf("exited %d\nstderr: %s", r.exitCode, r.stderr)
	}
	if n := strings.Count(r.stdout, "ClientHello ("); n != 1 {
		t.Errorf("ClientHello drawn %d times:\n%s", n, r.stdout)
	}
	if n := strings.Count(r.stdout, "Finished ("); n != 2 {
		t.Errorf("Finished drawn %d times, want one per side:\n%s", n, r.stdout)
	}
}

func TestDiagramOutWritesMermaidAndSVG(t *testing.T) {
	dir := t.TempDir()
	mmd, svg := filepath.Join(dir, "hs.mmd"), filepath.Join(dir, "hs.svg")
	for _, file := range []string{mmd, svg} {
		r := runClasp(t, nil, "demo", "--trace", "none", "--diagram-out", file)
		if r.exitCode != 0 {
			t.Fatalf("--diagram-out %s exited %d\nstderr: %s", file, r.exitCode, r.stderr)
		}
	}
	data, err := os.ReadFile(mmd)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "sequenceDiagram\n") || !strings.Contains(string(data), "Client->>Server: ClientHello") {
		t.Errorf("%s is not the expected Mermaid diagram:\n%s", mmd, data)
	}
	f, err := os.Open(svg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	for {
		if _, err := dec.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Errorf("%s is not well-formed XML: %v", svg, err)
			}
			break
		}
	}
	r := runClasp(t, nil, "demo", "--diagram-out", filepath.Join(dir, "hs.png"))
	if r.exitCode != exitUsage {
		t.Errorf("--diagram-out hs.png exited %d, want %d (usage)", r.exitCode, exitUsage)
	}
}

// keyLogLine is one NSS key log line: CLIENT_RANDOM and the master secret
// for TLS 1.2, the traffic secrets (32 or 48 bytes, by the suite's hash) for
// TLS 1.3.
var keyLogLine = regexp.MustCompile(`^(CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}|` +
	`(CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_[0-9]+|SERVER_TRAFFIC_SECRET_[0-9]+|EXPORTER_SECRET) [0-9a-f]{64} ([0-9a-f]{64}|[0-9a-f]{96}))$`)

func checkKeyLog(t *testing.T, path string, wantLines int) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("%s has mode %o, want 600: it decrypts the connections it lists", path, perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != wantLines {
		t.Errorf("%s has %d lines, want %d:\n%s", path, len(lines), wantLines, data)
	}
	for _, l := range lines {
		if !keyLogLine.MatchString(l) {
			t.Errorf("not an NSS key log line: %q", l)
		}
	}
}

func TestKeyLogFlagAppendsAndWarns(t *testing.T) {
	pki := newTestPKI(t)
	srv := startGoTLSServer(t, pki.server)
	path := filepath.Join(t.TempDir(), "keys.log")
	for range 2 {
		r := runClasp(t, nil, "connect", "--keylog", path, "--cafile", pki.caFile, srv.addr)
		if r.exitCode != 0 {
			t.Fatalf("exited %d\nstderr: %s", r.exitCode, r.stderr)
		}
		if !strings.Contains(r.stderr, "clasp: warning: writing TLS session keys to "+path) {
			t.Errorf("no warning about the key log on stderr:\n%s", r.stderr)
		}
	}
	// TLS 1.3 logs five secrets per connection (two handshake, two
	// application traffic secrets and the exporter secret).
	checkKeyLog(t, path, 2*5) // appended, not truncated
}

func TestSSLKEYLOGFILEIsHonoured(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sslkeys.log")
	t.Setenv("SSLKEYLOGFILE", path)
	r := runClasp(t, nil, "demo", "--trace", "none")
	if r.exitCode != 0 {
		t.Fatalf("exited %d\nstderr: %s", r.exitCode, r.stderr)
	}
	if !strings.Contains(r.stderr, "(SSLKEYLOGFILE)") {
		t.Errorf("no warning naming SSLKEYLOGFILE on stderr:\n%s", r.stderr)
	}
	checkKeyLog(t, path, 1) // the demo's default TLS 1.2: one CLIENT_RANDOM line
}

func TestTraceFlagRejectsUnknownKind(t *testing.T) {
	r := runClasp(t, nil, "connect", "--trace", "verbose", "127.0.0.1:1")
	if r.exitCode != exitUsage || !strings.Contains(r.stderr, "state, msg, story, json, diagram") {
		t.Errorf("--trace verbose: exit %d, stderr %q", r.exitCode, r.stderr)
	}
}
