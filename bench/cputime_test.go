package bench

import "testing"

// cpuMeter reports the process CPU time per iteration as the cpu-ns/op
// metric. On a shared or loaded machine wall time (ns/op) also counts the
// time other processes held the cores, so it can swing by tens of percent
// between runs; CPU time counts only this process's work (both TLS sides,
// the garbage collector, the scheduler) and stays much steadier, which is
// what a clasp/crypto_tls ratio needs.
type cpuMeter struct {
	start int64
	ok    bool
}

func startCPUMeter() cpuMeter {
	t, ok := processCPUTime()
	return cpuMeter{start: int64(t), ok: ok}
}

// report adds cpu-ns/op to b's results and returns it (0 when the
// platform has no CPU time). Call it after the timed loop, when b.N is the
// number of iterations that ran.
func (m cpuMeter) report(b *testing.B) float64 {
	end, ok := processCPUTime()
	if !m.ok || !ok || b.N == 0 {
		return 0
	}
	perOp := float64(int64(end)-m.start) / float64(b.N)
	b.ReportMetric(perOp, "cpu-ns/op")
	return perOp
}

// reportThroughput adds cpu-ns/op and B/cpu-s, the bytes carried per second
// of process CPU time when each iteration carries bytesPerOp: throughput
// per core, which other processes on a shared machine do not change (they
// change wall-time B/s by taking the cores away).
func (m cpuMeter) reportThroughput(b *testing.B, bytesPerOp int) {
	if perOp := m.report(b); perOp > 0 {
		b.ReportMetric(float64(bytesPerOp)/perOp*1e9, "B/cpu-s")
	}
}
