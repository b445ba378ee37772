package bench

import (
	"crypto/tls"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// TestScenariosNegotiateTheirSuite runs every benchmark scenario once on
// both stacks, so that `go test ./bench/` exercises the benchmarked code
// paths in CI and a benchmark cannot silently measure a different suite,
// group or version than its name says.
func TestScenariosNegotiateTheirSuite(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, sc := range handshakeScenarios {
		for _, st := range sc.stacks(pki) {
			t.Run(sc.name+"/"+st.name, func(t *testing.T) {
				client, server, err := handshakeOverPipe(st)
				if err != nil {
					t.Fatal(err)
				}
				checkNegotiated(t, sc, "client", client)
				checkNegotiated(t, sc, "server", server)
			})
		}
	}
}

// TestBulkScenariosTransfer runs every bulk scenario's connection setup and
// a few writes on both stacks: record-sized ones for BenchmarkBulk's
// scenarios, 1 KiB ones for BenchmarkBulkSmall's.
func TestBulkScenariosTransfer(t *testing.T) {
	pki := peertest.NewPKI(t)
	sizes := []struct {
		name      string
		scenarios []scenario
		size      int
	}{
		{"16KiB", bulkScenarios, bulkWriteSize},
		{"1KiB", smallBulkScenarios, smallWriteSize},
	}
	for _, sz := range sizes {
		for _, sc := range sz.scenarios {
			for _, st := range sc.stacks(pki) {
				t.Run(sz.name+"/"+sc.name+"/"+st.name, func(t *testing.T) {
					client, server := tcpPair(t, st)
					checkNegotiated(t, sc, "client", st.negotiated(client))
					checkNegotiated(t, sc, "server", st.negotiated(server))
					if err := transfer(client, server, 4, sz.size); err != nil {
						t.Fatal(err)
					}
				})
			}
		}
	}
}

// TestBulkInMemoryTransfers runs BenchmarkBulkInMemory's and
// BenchmarkBulkPaired's in-memory connections once on both stacks: the
// handshake over a memPipe, and a few writes of each size read back on one
// goroutine.
func TestBulkInMemoryTransfers(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, sc := range smallBulkScenarios {
		for _, st := range sc.stacks(pki) {
			t.Run(sc.name+"/"+st.name, func(t *testing.T) {
				client, server := memPair(t, st)
				checkNegotiated(t, sc, "client", st.negotiated(client))
				checkNegotiated(t, sc, "server", st.negotiated(server))
				buf := make([]byte, readBufferSize)
				for _, size := range []int{bulkWriteSize, smallWriteSize} {
					for range 4 {
						if err := writeAndReadBack(client, server, make([]byte, size), buf); err != nil {
							t.Fatal(err)
						}
					}
				}
			})
		}
	}
}

// checkNegotiated checks a full handshake: the scenario's version, suite
// and group, and no resumption.
func checkNegotiated(t *testing.T, sc scenario, side string, got negotiated) {
	t.Helper()
	checkNegotiatedAs(t, sc, side, got, false, sc.group)
}

// checkNegotiatedAs checks the scenario's version and suite, the group
// wantGroup and whether the handshake resumed a session.
func checkNegotiatedAs(t *testing.T, sc scenario, side string, got negotiated, wantResumed bool, wantGroup tls.CurveID) {
	t.Helper()
	if got.version != sc.tlsVersion() {
		t.Errorf("%s negotiated version %s, want %s", side, tls.VersionName(got.version), tls.VersionName(sc.tlsVersion()))
	}
	if got.suite != sc.suite {
		t.Errorf("%s negotiated %s, want %s", side, tls.CipherSuiteName(got.suite), tls.CipherSuiteName(sc.suite))
	}
	if got.group != uint16(wantGroup) {
		t.Errorf("%s negotiated group %v, want %v", side, tls.CurveID(got.group), wantGroup)
	}
	if got.resumed != wantResumed {
		t.Errorf("%s DidResume = %v, want %v", side, got.resumed, wantResumed)
	}
}
