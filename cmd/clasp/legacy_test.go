package main

import (
	"strings"
	"testing"
)

// Issue 13 in the command: a legacy suite or TLS 1.0 runs only when named
// (--ciphers, --min-version), is announced with "warning:" lines, and
// without the flag the failure names the flag that would allow it.

func TestLegacySuiteNeedsCiphersFlag(t *testing.T) {
	legacy := "ECDHE-ECDSA-DES-CBC3-SHA,ECDHE-RSA-DES-CBC3-SHA"
	srv := startServe(t, "--max-version", "1.2", "--ciphers", legacy)
	r := runClasp(t, nil, "connect", "--insecure", srv.addr)
	if r.exitCode == 0 || !strings.Contains(r.stdout+r.stderr, "--ciphers") {
		t.Fatalf("a default connect to a 3DES-only server: exit %d, output does not name --ciphers:\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
	r = runClasp(t, nil, "connect", "--insecure", "--tls1.2", "--ciphers", legacy, srv.addr)
	if r.exitCode != 0 {
		t.Fatalf("connect naming the suite: exit %d:\n%s", r.exitCode, r.stderr)
	}
	if !strings.Contains(r.stderr, "warning:") || !strings.Contains(r.stderr+r.stdout, "Sweet32") {
		t.Errorf("connect over 3DES does not warn about it:\n%s\n%s", r.stdout, r.stderr)
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

// SSL 3.0 is not implemented: the command says so instead of quietly
// running TLS 1.0.
func TestMinVersionSSL3IsRefused(t *testing.T) {
	r := runClasp(t, nil, "connect", "--min-version", "ssl3", "127.0.0.1:1")
	if r.exitCode != exitUsage || !strings.Contains(r.stderr, "SSL 3.0 is not implemented") {
		t.Fatalf("exit %d, stderr %q", r.exitCode, r.stderr)
	}
}
