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

// After the clients close, the server's goroutines are back to within
// goroutineMargin of what they were before (the runtime and net/http keep
// a few of their own coming and going) and its live heap within
// heapMargin (the session ticket keys, sync.Pools and the like that the
// first connections create and later ones reuse).
const (
	goroutineMargin = 5
	heapMargin      = 4 << 20
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

// clasp serve holds loadConns connections at once, each with a completed
// handshake and an echo, without an error; once the clients close them its
// goroutines and live heap return to where they started.
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
	base, err := stats.Read(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	held, res := loadgen.Open(ctx, loadgen.Options{Addr: s.addr, Conns: loadConns})
	defer held.Close()
	if res.Errors != 0 || res.Held != loadConns {
		t.Fatalf("held %d of %d connections, %d errors: %v", res.Held, loadConns, res.Errors, res.Err)
	}
	peak, err := stats.Read(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if peak.ConnectionsOpen != loadConns || peak.HandshakesDone != loadConns || peak.HandshakesFailed != 0 {
		t.Errorf("at the peak the server counts %d connections open, %d handshakes done, %d failed; want %d, %d, 0",
			peak.ConnectionsOpen, peak.HandshakesDone, peak.HandshakesFailed, loadConns, loadConns)
	}
	if peak.Goroutines < base.Goroutines+loadConns {
		t.Errorf("at the peak the server runs %d goroutines, fewer than one per connection over its %d at rest", peak.Goroutines, base.Goroutines)
	}
	peakGC, err := stats.Read(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	held.Close()
	after, err := stats.WaitFor(ctx, func(st loadgen.Stats) bool {
		return st.ConnectionsOpen == 0 && st.Goroutines <= base.Goroutines+goroutineMargin
	})
	if err != nil {
		t.Fatalf("after the clients closed: %d connections open, %d goroutines (%d before): %v",
			after.ConnectionsOpen, after.Goroutines, base.Goroutines, err)
	}
	afterGC, err := stats.Read(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if afterGC.HeapLiveBytes > base.HeapLiveBytes+heapMargin {
		t.Errorf("live heap after close %d bytes, before %d: more than %d bytes were not freed", afterGC.HeapLiveBytes, base.HeapLiveBytes, heapMargin)
	}
	t.Logf("%d connections held, %.0f handshakes/s, %d errors", res.Held, res.HandshakesPerSecond(), res.Errors)
	t.Logf("server goroutines: %d before, %d at peak, %d after", base.Goroutines, peak.Goroutines, after.Goroutines)
	t.Logf("server RSS: %d KiB before, %d KiB at peak (%d KiB after a GC), %d KiB after",
		base.RSSBytes>>10, peak.RSSBytes>>10, peakGC.RSSBytes>>10, afterGC.RSSBytes>>10)
	t.Logf("server live heap: %d KiB before, %d KiB at peak, %d KiB after; %d bytes per connection",
		base.HeapLiveBytes>>10, peakGC.HeapLiveBytes>>10, afterGC.HeapLiveBytes>>10,
		(int64(peakGC.HeapLiveBytes)-int64(base.HeapLiveBytes))/loadConns)
}
