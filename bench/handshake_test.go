package bench

import (
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// BenchmarkHandshake measures one complete TLS 1.2 full handshake per
// iteration: client and server in their own goroutines over net.Pipe, so
// ns/op covers both sides' work (the handshake is a ping-pong, so the two
// rarely run at once) and allocs/op both sides' allocations; cpu-ns/op is
// the process CPU time per handshake, the steadier number on a loaded
// machine. The client verifies the server's chain as a real client would.
func BenchmarkHandshake(b *testing.B) {
	pki := peertest.NewPKI(b)
	for _, sc := range handshakeScenarios {
		b.Run(sc.name, func(b *testing.B) {
			for _, st := range sc.stacks(pki) {
				b.Run(st.name, func(b *testing.B) { benchmarkHandshakes(b, st) })
			}
		})
	}
}

// benchmarkHandshakes times one handshake over net.Pipe per iteration.
func benchmarkHandshakes(b *testing.B, st stack) {
	b.ReportAllocs()
	cpu := startCPUMeter()
	for b.Loop() {
		if _, _, err := handshakeOverPipe(st); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}
