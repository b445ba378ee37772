package explain

import (
	"os/exec"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// requireProgram skips (or, under CI, fails) a test when a program is
// missing, the way peertest.Require does for peers.
func requireProgram(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		peertest.Require(t, name)
	}
}
