package main

import (
	"strings"
	"testing"
)

// `clasp scan --fleet N` against one `clasp serve`: the sessions sections
// and a consistent fleet, every reconnect resumed; --fleet 1 is a usage
// error (one connection resumes nothing).
func TestScanFleetReport(t *testing.T) {
	s := startServe(t)
	r := runClasp(t, nil, "scan", "--fleet", "3", s.addr)
	if r.exitCode != 0 {
		t.Fatalf("exit %d; stderr: %s", r.exitCode, r.stderr)
	}
	for _, want := range []string{
		"Session resumption\n  session ID       TLS 1.2  resumed by session ID",
		"PSK modes        psk_dhe_ke\n",
		"Extensions\n  extended master secret   yes",
		"Renegotiation (TLS 1.2)",
		"Fleet (3 connections per mechanism, each resuming the previous one's session)",
		"TLS 1.3 ticket           2 of 2 resumed (100 %)",
		"1 distinct backend(s)",
		"one consistent fleet: every reconnect resumed",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, bad := range []string{"1", "-2"} {
		if r := runClasp(t, nil, "scan", "--fleet", bad, s.addr); r.exitCode != 2 {
			t.Errorf("--fleet %s: exit %d, want 2; stderr %q", bad, r.exitCode, r.stderr)
		}
	}
	help := runClasp(t, nil, "scan", "--help").stdout
	for _, want := range []string{"--fleet", "resumption", "renegotiation", "fleet"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}
