package bench

import (
	"crypto/tls"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// resumptionScenarios are the abbreviated handshakes BenchmarkResumption
// measures. Each benchmark first runs one full handshake to fill the
// client's session cache; every timed iteration then resumes.
var resumptionScenarios = []scenario{
	// psk_dhe_ke (RFC 8446 §4.2.9): the PSK from the ticket plus a fresh
	// X25519 exchange, no certificate. Both servers send a new ticket
	// after each resumption too, which the one-byte exchange delivers
	// (scenario.firstByte).
	{name: "TLS13-PSK-DHE-X25519-AES128GCM", version: tls.VersionTLS13, suite: tls.TLS_AES_128_GCM_SHA256, leaf: ecdsaLeaf, group: tls.X25519, resume: resumeTicket},
	// RFC 5077 tickets. crypto/tls also sends a fresh ticket on every
	// resumption (so that connections cannot be linked by their ticket);
	// clasp does not, and the client offers the same ticket again.
	{name: "TLS12-Ticket-ECDHE-ECDSA-P256-AES128GCM", suite: tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, leaf: ecdsaLeaf, group: tls.CurveP256, resume: resumeTicket},
	sessionIDScenario,
}

// sessionIDScenario resumes by TLS 1.2 session ID from a store on clasp's
// server: a sessions.MemoryStore of its own in BenchmarkResumption, each
// store of sessionStores in BenchmarkSessionStore. clasp only, since
// crypto/tls servers keep no session cache; its crypto/tls reference is
// the TLS 1.2 ticket scenario.
var sessionIDScenario = scenario{name: "TLS12-SessionID-ECDHE-ECDSA-P256-AES128GCM", suite: tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, leaf: ecdsaLeaf, group: tls.CurveP256, resume: resumeSessionID}

// BenchmarkResumption measures one resumed handshake per iteration, over
// net.Pipe like BenchmarkHandshake; for TLS 1.3 that includes the server's
// first byte, which carries its new ticket. A benchmark in which any
// iteration did not resume fails.
func BenchmarkResumption(b *testing.B) {
	pki := peertest.NewPKI(b)
	for _, sc := range resumptionScenarios {
		b.Run(sc.name, func(b *testing.B) {
			for i, st := range sc.stacks(pki) {
				b.Run(st.name, func(b *testing.B) {
					// A leaf benchmark runs once per -count with this
					// closure: a fresh stack gives each run an empty
					// client cache, so that its warm-up is a full handshake.
					benchmarkResumption(b, sc.stacks(pki)[i])
				})
			}
		})
	}
}

// benchmarkResumption fills st's client session cache with one full
// handshake, untimed, then times one resumed handshake per iteration. st
// must be new: a client cache already warm fails the benchmark.
func benchmarkResumption(b *testing.B, st stack) {
	client, _, err := handshakeOverPipe(st)
	if err != nil {
		b.Fatalf("warm-up handshake: %v", err)
	}
	if client.resumed {
		b.Fatal("the warm-up handshake resumed: the client session cache was not empty")
	}
	b.ReportAllocs()
	full := 0
	cpu := startCPUMeter()
	for b.Loop() {
		client, _, err := handshakeOverPipe(st)
		if err != nil {
			b.Fatal(err)
		}
		if !client.resumed {
			full++
		}
	}
	cpu.report(b)
	if full > 0 {
		b.Fatalf("%d of %d handshakes did not resume", full, b.N)
	}
}

// resumedGroup is the group a resumed handshake reports. A TLS 1.3
// psk_dhe_ke resumption does a fresh key exchange in the scenario's group.
// A TLS 1.2 resumption does none: crypto/tls reports the group of the
// session's original handshake, clasp reports none (0).
func resumedGroup(sc scenario, st stack) tls.CurveID {
	if sc.tlsVersion() == tls.VersionTLS12 && st.name == "impl=clasp" {
		return 0
	}
	return sc.group
}

// TestResumptionScenarios runs each resumption scenario once on each
// stack that has it: a full handshake, then one that resumes, checking
// version, suite, group and DidResume on both sides of both.
func TestResumptionScenarios(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, sc := range resumptionScenarios {
		for _, st := range sc.stacks(pki) {
			t.Run(sc.name+"/"+st.name, func(t *testing.T) {
				testResumption(t, sc, st)
			})
		}
	}
}

// testResumption runs a full handshake and then a resumed one on st.
func testResumption(t *testing.T, sc scenario, st stack) {
	t.Helper()
	client, server, err := handshakeOverPipe(st)
	if err != nil {
		t.Fatalf("full handshake: %v", err)
	}
	checkNegotiatedAs(t, sc, "full handshake: client", client, false, sc.group)
	checkNegotiatedAs(t, sc, "full handshake: server", server, false, sc.group)
	client, server, err = handshakeOverPipe(st)
	if err != nil {
		t.Fatalf("resumed handshake: %v", err)
	}
	checkNegotiatedAs(t, sc, "resumption: client", client, true, resumedGroup(sc, st))
	checkNegotiatedAs(t, sc, "resumption: server", server, true, resumedGroup(sc, st))
}
