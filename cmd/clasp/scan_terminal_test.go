package main

import (
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// scanOnATerminal runs clasp scan under script(1), so that its stdout and
// stderr are a pseudo-terminal, with env added to the environment.
func scanOnATerminal(t *testing.T, addr string, env ...string) string {
	t.Helper()
	scriptPath, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script (util-linux) is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, scriptPath, "-qec", claspBinary+" scan --no-clients --timeout 8s "+addr, "/dev/null")
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("script: %v\n%s", err, out)
	}
	return string(out)
}

// TestScanProgressAndColoursOnATerminal: on a terminal clasp scan shows a
// progress line naming the check running as "check N of M" with the
// connections opened, clears it before the report, and colours the
// severities and the grade; NO_COLOR turns the colours off (not the
// progress line); through a pipe there is neither.
func TestScanProgressAndColoursOnATerminal(t *testing.T) {
	s := startServe(t, "--min-version", "1.0", "--max-version", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-SHA,ECDHE-ECDSA-AES128-GCM-SHA256")
	text := scanOnATerminal(t, s.addr)
	progress := regexp.MustCompile(`\r\033\[Kscanning ` + regexp.QuoteMeta(s.addr) + `: check (\d+) of (\d+), ([^;]+); (\d+) connections`)
	lines := progress.FindAllStringSubmatch(text, -1)
	if len(lines) < 2 {
		t.Fatalf("no progress lines on the terminal:\n%q", text)
	}
	first, last := lines[0], lines[len(lines)-1]
	if first[1] != "1" || first[3] != "protocol versions" || last[1] != last[2] || last[2] != "8" {
		t.Errorf("progress from %q to %q, want check 1 of 8 (protocol versions) to check 8 of 8", first[0], last[0])
	}
	if !strings.Contains(text, "\r\033[K"+s.addr+": ") {
		t.Errorf("the progress line is not cleared before the target's summary:\n%q", text)
	}
	// BEAST is low (cyan), the grade B in the same colour.
	for _, want := range []string{"\033[36mlow     \033[0m BEAST (TLS 1.0 CBC)", "\033[32mok      \033[0m Heartbleed", "\033[36mGrade B\033[0m (worst finding low"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report on a terminal lacks %q:\n%q", want, text)
		}
	}
	plain := scanOnATerminal(t, s.addr, "NO_COLOR=1")
	if strings.Contains(plain, "\033[3") || strings.Contains(plain, "\033[0m") || !strings.Contains(plain, "low      BEAST (TLS 1.0 CBC)") {
		t.Errorf("NO_COLOR=1: colours in the report, or no plain severity:\n%q", plain)
	}
	if !progress.MatchString(plain) {
		t.Errorf("NO_COLOR=1 also removed the progress line:\n%q", plain)
	}
	piped := runClasp(t, nil, "scan", "--no-clients", "--timeout", "8s", s.addr)
	if strings.Contains(piped.stdout+piped.stderr, "\033") {
		t.Errorf("escape sequences through a pipe:\n%q\n%q", piped.stdout, piped.stderr)
	}
}
