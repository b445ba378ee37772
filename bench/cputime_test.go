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

// report adds cpu-ns/op to b's results. Call it after the timed loop, when
// b.N is the number of iterations that ran.
func (m cpuMeter) report(b *testing.B) {
	end, ok := processCPUTime()
	if !m.ok || !ok || b.N == 0 {
		return
	}
	b.ReportMetric(float64(int64(end)-m.start)/float64(b.N), "cpu-ns/op")
}
