package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestScanProfileExitStatus scans a clasp serve that is TLS 1.3 only with
// an ECDSA certificate: it fails the old profile (no TLS 1.0 to 1.2) and
// the exit status says so, while the client simulation and compliance
// sections appear in the text and in the JSON.
func TestScanProfileExitStatus(t *testing.T) {
	s := startServe(t, "--min-version", "1.3", "--groups", "x25519,secp256r1")
	r := runClasp(t, nil, "scan", "--profile", "old", s.addr)
	if r.exitCode != exitFinding || !strings.Contains(r.stderr, "fails the Mozilla old profile") {
		t.Errorf("--profile old: exit %d, stderr %q", r.exitCode, r.stderr)
	}
	for _, want := range []string{"Client simulation (", "*Java 17 (OpenJDK JSSE)", "FAILS: offers TLS 1.2 at most; the server speaks TLS 1.3",
		"Compliance: Mozilla Server Side TLS 5.7", "TLS 1.0 is not enabled; old enables"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := runClasp(t, nil, "scan", "--profile", "modern", "--no-clients", s.addr); r.exitCode != 0 || strings.Contains(r.stdout, "Client simulation") {
		t.Errorf("--profile modern --no-clients: exit %d, stderr %q, stdout:\n%s", r.exitCode, r.stderr, r.stdout)
	}
	if r := runClasp(t, nil, "scan", "--profile", "strict", s.addr); r.exitCode != exitUsage {
		t.Errorf("--profile strict: exit %d", r.exitCode)
	}

	r = runClasp(t, nil, "scan", "--json", s.addr)
	var line struct {
		Clients []struct {
			ID, Client, Source, Version, Suite, Reason string
			Connects                                   bool
		}
		Compliance []struct {
			Profile    string
			Pass       bool
			Deviations []struct{ Kind, Text string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &line); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	seen := map[string]bool{}
	for _, c := range line.Clients {
		seen[c.ID] = true
		if c.Connects == (c.Reason != "") || c.Connects && (c.Version != "TLS 1.3" || c.Suite == "") {
			t.Errorf("client verdict %+v", c)
		}
	}
	if !seen["go-crypto-tls-captured"] || !seen["schannel-win7"] || len(line.Compliance) != 3 {
		t.Errorf("JSON: %d clients, %d compliance results", len(line.Clients), len(line.Compliance))
	}
}
