package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Encrypted Client Hello through the command: clasp cert --ech writes the
// key, clasp serve --ech-key accepts with it, clasp connect --ech offers
// it and reports the outcome; Go's crypto/tls client meets the same
// server; a stale config is rejected with the server's retry configs
// printed for --ech.
func TestECHThroughTheCommand(t *testing.T) {
	dir := t.TempDir()
	res := runClasp(t, nil, "cert", "--out", dir, "--names", "secret.test,public.test", "--ech", "public.test")
	if res.exitCode != 0 || !strings.Contains(res.stdout, "ECH config list (clasp connect --ech): ") {
		t.Fatalf("clasp cert --ech: exit %d\n%s%s", res.exitCode, res.stdout, res.stderr)
	}
	echFile, caFile := filepath.Join(dir, "ech.pem"), filepath.Join(dir, "ca.pem")
	srv := startServe(t, "--cert", filepath.Join(dir, "server.pem"), "--key", filepath.Join(dir, "server-key.pem"), "--ech-key", echFile)
	defer srv.stop(t)

	res = runClasp(t, nil, "connect", "--json", "--ech", echFile, "--servername", "secret.test", "--cafile", caFile, srv.addr)
	var summary map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &summary); err != nil || summary["ech"] != "accepted" || summary["server_name"] != "secret.test" {
		t.Fatalf("clasp connect --ech: exit %d, %v\n%s%s", res.exitCode, err, res.stdout, res.stderr)
	}

	list, err := readECHConfigList(echFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	pemCA, _ := os.ReadFile(caFile)
	roots.AppendCertsFromPEM(pemCA)
	conn, err := tls.Dial("tcp", srv.addr, &tls.Config{RootCAs: roots, ServerName: "secret.test", EncryptedClientHelloConfigList: list})
	if err != nil {
		t.Fatalf("crypto/tls against clasp serve --ech-key: %v", err)
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if !conn.ConnectionState().ECHAccepted {
		t.Fatal("crypto/tls: ECH not accepted")
	}
	io.WriteString(conn, "hello\n")
	if line, err := bufio.NewReader(conn).ReadString('\n'); err != nil || line != "hello\n" {
		t.Fatalf("echo: %q, %v", line, err)
	}
	conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(srv.stderr.String(), "sni=secret.test (encrypted client hello)") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(srv.stderr.String(), "sni=secret.test (encrypted client hello)") {
		t.Errorf("clasp serve's log does not say the name came through ECH:\n%s", srv.stderr)
	}

	// A server with a fresh key rejects the old config and says which to
	// use; the command prints it for --ech.
	fresh := startServe(t, "--cert", filepath.Join(dir, "server.pem"), "--key", filepath.Join(dir, "server-key.pem"), "--ech-public-name", "public.test")
	defer fresh.stop(t)
	var printed string
	for _, line := range strings.Split(fresh.stderr.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "ECH config list (clasp connect --ech): "); ok {
			printed = v
		}
	}
	if _, err := base64.StdEncoding.DecodeString(printed); err != nil || printed == "" {
		t.Fatalf("clasp serve --ech-public-name printed no ECH config list:\n%s", fresh.stderr)
	}
	res = runClasp(t, nil, "connect", "--ech", echFile, "--servername", "secret.test", "--cafile", caFile, fresh.addr)
	if res.exitCode == 0 || !strings.Contains(res.stderr, "retry with --ech "+printed) {
		t.Fatalf("stale --ech: exit %d, want the retry list %s\n%s%s", res.exitCode, printed, res.stdout, res.stderr)
	}
	res = runClasp(t, nil, "connect", "--ech", printed, "--servername", "secret.test", "--cafile", caFile, fresh.addr)
	if res.exitCode != 0 || !strings.Contains(res.stdout, "encrypted client hello:  accepted") {
		t.Fatalf("retry with the printed list: exit %d\n%s%s", res.exitCode, res.stdout, res.stderr)
	}
	// --ech-config, issue 10's name for the flag, is the same flag.
	res = runClasp(t, nil, "connect", "--ech-config", printed, "--servername", "secret.test", "--cafile", caFile, fresh.addr)
	if res.exitCode != 0 || !strings.Contains(res.stdout, "encrypted client hello:  accepted") {
		t.Fatalf("--ech-config with the printed list: exit %d\n%s%s", res.exitCode, res.stdout, res.stderr)
	}
}
