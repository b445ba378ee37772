package bench

import (
	"slices"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// BenchmarkBulkPaired measures clasp's bulk throughput as a multiple of
// crypto/tls's in a way a shared, loaded machine can resolve. Run one after
// the other, the two stacks' sub-benchmarks of BenchmarkBulk meet different
// moments of the machine's load, and on the 2-core machine this project is
// measured on, both their wall time and their CPU time per record swing by
// tens of percent between samples (see README.md). Here both stacks run in
// one benchmark, in alternating rounds of a few milliseconds each (a
// megabyte of 16 KiB writes, or 512 KiB of 1 KiB writes): each iteration
// is one round of each, in alternating order, and the figure reported is
// the median over the iterations of the per-pair ratio crypto/tls time /
// clasp time. Load that changes slower than a round hits both rounds of a
// pair alike and cancels in the ratio; a round that another process
// interrupted gives an outlier that the median ignores.
//
// Metrics: wall-x and cpu-x are clasp's throughput as a multiple of
// crypto/tls's (above 1: clasp is faster), from wall time and from process
// CPU time; ns/op is the time of one pair of rounds. transport=tcp is
// BenchmarkBulk's loopback connection; transport=mem the in-memory pipe
// of BenchmarkBulkInMemory, the stacks' own work alone.
func BenchmarkBulkPaired(b *testing.B) {
	pki := peertest.NewPKI(b)
	sizes := []struct {
		name            string
		size, perRounds int
	}{{"16KiB", bulkWriteSize, 64}, {"1KiB", smallWriteSize, 512}}
	for _, transport := range []string{"tcp", "mem"} {
		for _, sz := range sizes {
			for _, sc := range smallBulkScenarios {
				b.Run("transport="+transport+"/"+sz.name+"/"+sc.name, func(b *testing.B) {
					stacks := sc.stacks(pki)
					rounds := make([]func() error, len(stacks))
					for i, st := range stacks {
						rounds[i] = bulkRound(b, st, transport, sz.size, sz.perRounds)
					}
					b.SetBytes(int64(2 * sz.size * sz.perRounds))
					b.ReportAllocs()
					runPairedRounds(b, rounds[0], rounds[1])
				})
			}
		}
	}
}

// bulkRound connects a pair of st over the transport and returns a round:
// writes writes of size bytes from client to server, read back completely.
func bulkRound(b *testing.B, st stack, transport string, size, writes int) func() error {
	if transport == "tcp" {
		client, server := tcpPair(b, st)
		return func() error { return transfer(client, server, writes, size) }
	}
	client, server := memPair(b, st)
	payload, buf := make([]byte, size), make([]byte, readBufferSize)
	return func() error {
		for range writes {
			if err := writeAndReadBack(client, server, payload, buf); err != nil {
				return err
			}
		}
		return nil
	}
}

// runPairedRounds runs b.N pairs of rounds, base and other in alternating
// order after one untimed pair of warm-up, and reports the medians of
// base's time / other's time per pair as wall-x and cpu-x.
func runPairedRounds(b *testing.B, base, other func() error) {
	timed := func(round func() error) (wall, cpu time.Duration) {
		cpu0, _ := processCPUTime()
		start := time.Now()
		if err := round(); err != nil {
			b.Fatal(err)
		}
		wall = time.Since(start)
		cpu1, _ := processCPUTime()
		return wall, cpu1 - cpu0
	}
	timed(base)
	timed(other)
	wallX := make([]float64, 0, b.N)
	cpuX := make([]float64, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		var baseWall, baseCPU, otherWall, otherCPU time.Duration
		if i%2 == 0 {
			baseWall, baseCPU = timed(base)
			otherWall, otherCPU = timed(other)
		} else {
			otherWall, otherCPU = timed(other)
			baseWall, baseCPU = timed(base)
		}
		wallX = append(wallX, float64(baseWall)/float64(otherWall))
		if otherCPU > 0 {
			cpuX = append(cpuX, float64(baseCPU)/float64(otherCPU))
		}
	}
	b.StopTimer()
	b.ReportMetric(median(wallX), "wall-x")
	if len(cpuX) > 0 {
		b.ReportMetric(median(cpuX), "cpu-x")
	}
}

// median returns the middle value of xs (the mean of the two middle ones
// for an even count), reordering xs.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
