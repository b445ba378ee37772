package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestScanFailOnSetsExitStatus3: a clasp serve with TLS 1.0 and a CBC suite
// has BEAST (low) as its worst finding.
func TestScanFailOnSetsExitStatus3(t *testing.T) {
	s := startServe(t, "--min-version", "1.0", "--max-version", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-SHA,ECDHE-ECDSA-AES128-GCM-SHA256")
	r := runClasp(t, nil, "scan", "--timeout", "8s", "--fail-on", "low", s.addr)
	if r.exitCode != 3 || !strings.Contains(r.stderr, "findings at or above low: "+s.addr+": beast (low)") {
		t.Errorf("--fail-on low: exit %d, stderr %q", r.exitCode, r.stderr)
	}
	for _, want := range []string{"Weaknesses\n", "low      BEAST (TLS 1.0 CBC)", "vulnerable: CBC suites accepted in TLS 1.0",
		"Grade B (worst finding low: BEAST (TLS 1.0 CBC))", "SSL 2.0  no", "TLS_FALLBACK_SCSV (TLS 1.1 with TLS_FALLBACK_SCSV)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := runClasp(t, nil, "scan", "--timeout", "8s", "--fail-on", "medium", s.addr); r.exitCode != 0 {
		t.Errorf("--fail-on medium: exit %d, stderr %q", r.exitCode, r.stderr)
	}
	for _, bad := range []string{"ok", "severe"} {
		if r := runClasp(t, nil, "scan", "--fail-on", bad, s.addr); r.exitCode != 2 {
			t.Errorf("--fail-on %s: exit %d, want 2; stderr %q", bad, r.exitCode, r.stderr)
		}
	}
	r = runClasp(t, nil, "scan", "--json", "--timeout", "8s", "--fail-on", "high", s.addr)
	var line struct {
		Findings []struct{ ID, Status, Severity, Evidence, Reference string }
		Grade    struct{ Grade, Reason string }
		SSLv2    struct{ Supported bool } `json:"sslv2"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &line); err != nil || r.exitCode != 0 {
		t.Fatalf("--json: exit %d, %v: %s", r.exitCode, err, r.stdout)
	}
	beast := false
	for _, f := range line.Findings {
		if f.Reference == "" || f.Evidence == "" {
			t.Errorf("finding without evidence or reference: %+v", f)
		}
		beast = beast || f.ID == "beast" && f.Status == "vulnerable" && f.Severity == "low"
	}
	if !beast || line.Grade.Grade != "B" || line.SSLv2.Supported {
		t.Errorf("JSON findings %+v, grade %+v", line.Findings, line.Grade)
	}
}

// TestScanOfDefaultClaspServeIsClean: clasp serve's defaults (TLS 1.2 and
// 1.3, ECDHE with AEAD) show no weakness: grade A, --fail-on low exits 0.
func TestScanOfDefaultClaspServeIsClean(t *testing.T) {
	s := startServe(t)
	r := runClasp(t, nil, "scan", "--json", "--timeout", "8s", "--fail-on", "low", s.addr)
	var line struct {
		Findings []struct{ ID, Status, Evidence string }
		Grade    struct{ Grade string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &line); err != nil || r.exitCode != 0 {
		t.Fatalf("exit %d, %v; stderr %q", r.exitCode, err, r.stderr)
	}
	for _, f := range line.Findings {
		if f.Status == "vulnerable" {
			t.Errorf("%s on clasp serve: %s", f.ID, f.Evidence)
		}
	}
	if line.Grade.Grade != "A" || len(line.Findings) < 16 {
		t.Errorf("grade %q with %d findings", line.Grade.Grade, len(line.Findings))
	}
}
