package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The program starts clasp serve, loads it with a few connections and
// prints every figure bench/README.md promises; the 2,000-connection run
// with assertions is cmd/clasp's TestServeHoldsThousandsOfConnectionsWithoutLeaking.
func TestLoadPrintsItsFigures(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "clasp")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/clasp").CombinedOutput(); err != nil {
		t.Fatalf("building clasp: %v\n%s", err, out)
	}
	var out strings.Builder
	o := options{clasp: bin, conns: 50, concurrency: 10, settle: 10 * time.Second}
	if err := run(o, []string{"--handshake-timeout", "5s"}, &out); err != nil {
		t.Fatalf("load: %v\n%s", err, &out)
	}
	for _, want := range []string{
		"connections held:   50 of 50",
		"errors:             0",
		"handshakes/s:",
		"  goroutines ",
		"  RSS ",
		"  live heap ",
		"per connection:     RSS",
		"back at rest:",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, &out)
		}
	}
}
