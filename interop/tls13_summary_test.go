package interop

import (
	"runtime"
	"sort"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// TestTLS13Summary logs how many TLS 1.3 interop cases ran and passed
// against each peer, and the peers' versions, for the closing note:
//
//	go test -v -run TLS13 ./interop/ | grep -A12 'RUN   TestTLS13Summary'
//
// It must run after the other TLS 1.3 tests: go test runs top-level tests
// in source order, files sorted by name, and this file sorts last among
// tls13_*_test.go. Every other TLS 1.3 test's subtests finish before their
// parent returns, so the counts are complete. With -run selecting only
// some tests, the counts cover those.
func TestTLS13Summary(t *testing.T) {
	counts, passed, run := caseCounts()
	t.Logf("TLS 1.3 interop cases passed/run, per peer (%d/%d in all):\n%s", passed, run, counts)
	versions := peertest.PeerVersions()
	versions["crypto/tls"] = runtime.Version()
	var names []string
	for name := range versions {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Logf("peer %-12s %s", name, versions[name])
	}
}
