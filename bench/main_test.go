package bench

import (
	"os"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	// The PKI's directory outlives the tests otherwise (see peertest.NewPKI).
	peertest.Cleanup()
	os.Exit(code)
}
