package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/loadgen"
)

// loadConns is how many connections the load test holds at once: enough
// that a leak of one goroutine or one buffer per connection stands out,
// few enough for CI's two cores in well under a minute. bench/load.sh runs
// the same load with 10,000.
const loadConns = 2000

// Once the clients close, the server's goroutines are back within
// goroutineMargin of what they were before (the runtime and net/http start
// and stop a few of their own). Its live heap does not come back exactly:
// the Go runtime keeps the descriptors of exited goroutines for reuse
// (about 400 bytes each) and a map keeps the buckets it grew to, so what
// stays grows with the peak number of connections, not with the number of
// connections ever served: 1.2 MiB after 2,000, 5.6 MiB after 10,000, and
// no more after a second load. The test checks both: within heapMargin of
// the start after the first load, and within leakMargin of that after a
// second, smaller one.
const (
	goroutineMargin = 5
	heapMargin      = 4 << 20
	leakMargin      = 256 << 10
)

// statsURL is where a `clasp serve --stats-addr` said its stats are.
func statsURL(t *testing.T, s *servedClasp) string {
	t.Helper()
	for line := range strings.Lines(s.stderr.String()) {
		if url, ok := strings.CutPrefix(strings.TrimSpace(line), "stats on "); ok {
			return url
		}
	}
	t.Fatalf("clasp serve --stats-addr did not say where its stats are:\n%s", s.stderr)
	return ""
}

// loadRound is one load's stats: at rest before, at the peak (as is and
// after a GC), and at rest after the close (after a GC).
type loadRound struct {
	res                         loadgen.Result
	before, peak, peakGC, after loadgen.Stats
}

// runLoad holds n connections to s at once and closes them, checking that
// none failed, that the server ran one goroutine per connection and that it
// came back to rest.
func runLoad(ctx context.Context, t *testing.T, s *servedClasp, stats *loadgen.StatsClient, n int) loadRound {
	t.Helper()
	var r loadRound
	var err error
	if r.before, err = stats.Read(ctx, true); err != nil {
		t.Fatal(err)
	}
	held, res := loadgen.Open(ctx, loadgen.Options{Addr: s.addr, Conns: n})
	defer held.Close()
	r.res = res
	if res.Errors != 0 || res.Held != n {
		t.Fatalf("held %d of %d connections, %d errors: %v", res.Held, n, res.Errors, res.Err)
	}
	if r.peak, err = stats.Read(ctx, false); err != nil {
		t.Fatal(err)
	}
	if r.peakGC, err = stats.Read(ctx, true); err != nil {
		t.Fatal(err)
	}
	done := r.before.HandshakesDone + int64(n)
	if r.peak.ConnectionsOpen != n || r.peak.HandshakesDone != done || r.peak.HandshakesFailed != 0 {
		t.Errorf("at the peak the server counts %d connections open, %d handshakes done, %d failed; want %d, %d, 0",
			r.peak.ConnectionsOpen, r.peak.HandshakesDone, r.peak.HandshakesFailed, n, done)
	}
	if r.peak.Goroutines < r.before.Goroutines+n {
		t.Errorf("at the peak the server runs %d goroutines, fewer than one per connection over its %d at rest", r.peak.Goroutines, r.before.Goroutines)
	}
	held.Close()
	after, err := stats.WaitFor(ctx, func(st loadgen.Stats) bool {
		return st.ConnectionsOpen == 0 && st.Goroutines <= r.before.Goroutines+goroutineMargin
	})
	if err != nil {
		t.Fatalf("after the clients closed: %d connections open, %d goroutines (%d before): %v",
			after.ConnectionsOpen, after.Goroutines, r.before.Goroutines, err)
	}
	if r.after, err = stats.Read(ctx, true); err != nil {
		t.Fatal(err)
	}
	return r
}

// clasp serve holds loadConns connections at once, each with a completed
// handshake and an echo, without an error; once the clients close them its
// goroutines return to where they started and its live heap as close as
// the Go runtime allows (see heapMargin).
func TestServeHoldsThousandsOfConnectionsWithoutLeaking(t *testing.T) {
	// This process holds the clients' sockets; clasp serve, a Go program
	// too, raises its own limit to the hard limit at start.
	if err := loadgen.RaiseOpenFileLimit(loadConns + 256); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--stats-addr", "127.0.0.1:0")
	stats := loadgen.NewStatsClient(statsURL(t, s))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	r := runLoad(ctx, t, s, stats, loadConns)
	if r.after.HeapLiveBytes > r.before.HeapLiveBytes+heapMargin {
		t.Errorf("live heap after the close %d bytes, before %d: more than %d bytes stayed", r.after.HeapLiveBytes, r.before.HeapLiveBytes, heapMargin)
	}
	again := runLoad(ctx, t, s, stats, loadConns/4)
	if again.after.HeapLiveBytes > r.after.HeapLiveBytes+leakMargin {
		t.Errorf("live heap grew from %d to %d bytes over a second load of %d connections: a leak per connection",
			r.after.HeapLiveBytes, again.after.HeapLiveBytes, loadConns/4)
	}
	t.Logf("%d connections held, %.0f handshakes/s, %d errors", r.res.Held, r.res.HandshakesPerSecond(), r.res.Errors)
	t.Logf("server goroutines: %d before, %d at peak, %d after", r.before.Goroutines, r.peak.Goroutines, r.after.Goroutines)
	t.Logf("server RSS: %d KiB before, %d KiB at peak (%d KiB after a GC), %d KiB after",
		r.before.RSSBytes>>10, r.peak.RSSBytes>>10, r.peakGC.RSSBytes>>10, r.after.RSSBytes>>10)
	t.Logf("server live heap: %d KiB before, %d KiB at peak, %d KiB after, %d KiB after %d more; %d bytes per connection",
		r.before.HeapLiveBytes>>10, r.peakGC.HeapLiveBytes>>10, r.after.HeapLiveBytes>>10, again.after.HeapLiveBytes>>10, loadConns/4,
		(int64(r.peakGC.HeapLiveBytes)-int64(r.before.HeapLiveBytes))/loadConns)
}
