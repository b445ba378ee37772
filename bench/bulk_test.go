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
// included, and B/cpu-s the bytes carried per second of that CPU time.
func BenchmarkBulk(b *testing.B) {
	benchmarkBulk(b, bulkScenarios, bulkWriteSize)
}

// BenchmarkBulkSmall is BenchmarkBulk with 1 KiB writes (one small record
// each) over the AEAD suites, where the per-record work rather than the
// cipher decides the throughput. It is a separate benchmark, not more
// scenarios of BenchmarkBulk, so that BenchmarkBulk's names and figures
// stay comparable with runs made before it existed.
func BenchmarkBulkSmall(b *testing.B) {
	benchmarkBulk(b, smallBulkScenarios, smallWriteSize)
}

// benchmarkBulk runs each scenario on both stacks, one write of size bytes
// per iteration.
func benchmarkBulk(b *testing.B, scenarios []scenario, size int) {
	pki := peertest.NewPKI(b)
	for _, sc := range scenarios {
		b.Run(sc.name, func(b *testing.B) {
			for _, st := range sc.stacks(pki) {
				b.Run(st.name, func(b *testing.B) {
					client, server := tcpPair(b, st)
					b.SetBytes(int64(size))
					b.ReportAllocs()
					b.ResetTimer()
					cpu := startCPUMeter()
					if err := transfer(client, server, b.N, size); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					cpu.reportThroughput(b, size)
				})
			}
		})
	}
}

// BenchmarkBulkInMemory is the per-record work of BenchmarkBulk and
// BenchmarkBulkSmall without TCP: over a memPipe, one goroutine writes
// size bytes on the client and reads them back on the server, so an
// iteration is one Write (seal, copy into the queue) and the Reads that
// return it (copy out of the queue, open, copy out). No kernel work, no
// goroutine switches: cpu-ns/op is the stacks' own cost per record, which
// stays within a few percent between runs on a loaded machine, where the
// loopback benchmarks swing by tens of percent.
func BenchmarkBulkInMemory(b *testing.B) {
	pki := peertest.NewPKI(b)
	for _, size := range []struct {
		name  string
		bytes int
	}{{"16KiB", bulkWriteSize}, {"1KiB", smallWriteSize}} {
		for _, sc := range smallBulkScenarios {
			b.Run(size.name+"/"+sc.name, func(b *testing.B) {
				for _, st := range sc.stacks(pki) {
					b.Run(st.name, func(b *testing.B) {
						client, server := memPair(b, st)
						payload := make([]byte, size.bytes)
						buf := make([]byte, readBufferSize)
						b.SetBytes(int64(size.bytes))
						b.ReportAllocs()
						b.ResetTimer()
						cpu := startCPUMeter()
						for range b.N {
							if err := writeAndReadBack(client, server, payload, buf); err != nil {
								b.Fatal(err)
							}
						}
						b.StopTimer()
						cpu.reportThroughput(b, size.bytes)
					})
				}
			})
		}
	}
}
