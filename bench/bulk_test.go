package bench

import (
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// BenchmarkBulk measures application-data throughput over loopback TCP:
// each iteration the client writes 16 KiB (one full record) and a goroutine
// on the server side reads and discards it. The handshake happens before
// the timer starts, and the timer stops only after the reader has consumed
// every byte, so MB/s is end-to-end: seal, TCP, open, copy out. cpu-ns/op
// is the process CPU time per 16 KiB, both sides and the kernel's TCP work
// included.
func BenchmarkBulk(b *testing.B) {
	pki := peertest.NewPKI(b)
	for _, sc := range bulkScenarios {
		b.Run(sc.name, func(b *testing.B) {
			for _, st := range sc.stacks(pki) {
				b.Run(st.name, func(b *testing.B) {
					client, server := tcpPair(b, st)
					b.SetBytes(bulkWriteSize)
					b.ReportAllocs()
					b.ResetTimer()
					cpu := startCPUMeter()
					if err := transfer(client, server, b.N); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					cpu.report(b)
				})
			}
		})
	}
}
