package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// -f FILE: targets from a file, comments and blank lines skipped, a line
// that is not HOST:PORT reported as such (and counted as a failure, exit
// 1) without stopping the others; JSON lines in the file's order.
func TestScanTargetsFile(t *testing.T) {
	pki := peertest.NewPKI(t)
	a := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_3", "-quiet")
	b := peertest.StartOpenSSLServer(t, pki.RSA, "-tls1_2", "-quiet")
	file := filepath.Join(t.TempDir(), "targets")
	content := "# servers to check\n" + a.Addr + "\n\nnot a target at all\n" + b.Addr + "  # the TLS 1.2 one\n"
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	lines, r := scanJSONLines(t, "--no-clients", "-f", file)
	if r.exitCode != 1 || len(lines) != 3 {
		t.Fatalf("exit %d, %d JSON lines; want 1 and 3\nstdout: %s\nstderr: %s", r.exitCode, len(lines), r.stdout, r.stderr)
	}
	if lines[0].Target != a.Addr || !lines[0].OK || strings.Join(lines[0].supported(), ",") != "TLS 1.3" {
		t.Errorf("first: %+v", lines[0])
	}
	if lines[1].OK || !strings.Contains(lines[1].Error, "line 4") || !strings.Contains(lines[1].Error, "not HOST:PORT") {
		t.Errorf("garbage line: %+v", lines[1])
	}
	if lines[2].Target != b.Addr || !lines[2].OK || strings.Join(lines[2].supported(), ",") != "TLS 1.2" {
		t.Errorf("third: %+v", lines[2])
	}
}

// --delay spaces the connections to a target.
func TestScanDelay(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_3", "-quiet")
	start := time.Now()
	lines, r := scanJSONLines(t, "--no-clients", "--delay", "20ms", srv.Addr)
	if r.exitCode != 0 || len(lines) != 1 {
		t.Fatalf("exit %d\n%s", r.exitCode, r.stderr)
	}
	if min := time.Duration(lines[0].Connections-1) * 20 * time.Millisecond; time.Since(start) < min {
		t.Errorf("%d connections in %v with --delay 20ms; want at least %v", lines[0].Connections, time.Since(start), min)
	}
}
