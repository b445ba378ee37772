package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/clasp-tls/clasp/internal/loadgen"
)

// report is one load's figures.
type report struct {
	result loadgen.Result
	// The server's stats: at rest before (after a GC), at the peak as they
	// are, at the peak after a GC, and at rest after the close (after a
	// GC), once its connections are gone and its goroutines back.
	before, peak, peakGC, after loadgen.Stats
	settled                     time.Duration // from the close to the server at rest
}

// measure opens the connections, holds them and closes them, reading the
// server's stats at each stage.
func measure(ctx context.Context, o options) (report, error) {
	var rep report
	stats := loadgen.NewStatsClient(o.stats)
	var err error
	if rep.before, err = stats.Read(ctx, true); err != nil {
		return rep, err
	}
	held, res := loadgen.Open(ctx, loadgen.Options{Addr: o.addr, Conns: o.conns, Concurrency: o.concurrency})
	rep.result = res
	defer held.Close()
	if rep.peak, err = stats.Read(ctx, false); err != nil {
		return rep, err
	}
	if rep.peakGC, err = stats.Read(ctx, true); err != nil {
		return rep, err
	}
	select {
	case <-time.After(o.hold):
	case <-ctx.Done():
	}
	held.Close()
	closed := time.Now()
	settle, cancel := context.WithTimeout(ctx, o.settle)
	defer cancel()
	// "At rest" is the goroutines of before plus a few the runtime and
	// net/http start and stop on their own.
	_, err = stats.WaitFor(settle, func(st loadgen.Stats) bool {
		return st.ConnectionsOpen == 0 && st.Goroutines <= rep.before.Goroutines+5
	})
	rep.settled = time.Since(closed)
	if rep.after, _ = stats.Read(ctx, true); err != nil {
		return rep, fmt.Errorf("the server did not come back to rest within %s: %w", o.settle, err)
	}
	return rep, nil
}

func (r report) print(w io.Writer, o options) {
	res := r.result
	fmt.Fprintf(w, "connections held:   %d of %d (%d opened at a time)\n", res.Held, o.conns, o.concurrency)
	fmt.Fprintf(w, "errors:             %d\n", res.Errors)
	if res.Err != nil {
		fmt.Fprintf(w, "first errors:       %v\n", res.Err)
	}
	fmt.Fprintf(w, "handshakes/s:       %.0f (%d in %s, each with one echo)\n", res.HandshakesPerSecond(), res.Held, res.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "server              %12s %12s %12s %12s\n", "before", "peak", "peak (GC)", "after (GC)")
	fmt.Fprintf(w, "  goroutines        %12d %12d %12d %12d\n", r.before.Goroutines, r.peak.Goroutines, r.peakGC.Goroutines, r.after.Goroutines)
	fmt.Fprintf(w, "  connections open  %12d %12d %12d %12d\n", r.before.ConnectionsOpen, r.peak.ConnectionsOpen, r.peakGC.ConnectionsOpen, r.after.ConnectionsOpen)
	fmt.Fprintf(w, "  RSS               %12s %12s %12s %12s\n", mib(r.before.RSSBytes), mib(r.peak.RSSBytes), mib(r.peakGC.RSSBytes), mib(r.after.RSSBytes))
	fmt.Fprintf(w, "  live heap         %12s %12s %12s %12s\n", mib(int64(r.before.HeapLiveBytes)), "", mib(int64(r.peakGC.HeapLiveBytes)), mib(int64(r.after.HeapLiveBytes)))
	fmt.Fprintf(w, "  handshakes done   %12d %12d %12d %12d  (failed: %d)\n", r.before.HandshakesDone, r.peak.HandshakesDone, r.peakGC.HandshakesDone, r.after.HandshakesDone, r.after.HandshakesFailed)
	if res.Held > 0 {
		fmt.Fprintf(w, "per connection:     RSS %.1f KiB at peak, %.1f KiB after a GC; live heap %.1f KiB\n",
			perConn(r.peak.RSSBytes-r.before.RSSBytes, res.Held), perConn(r.peakGC.RSSBytes-r.before.RSSBytes, res.Held),
			perConn(int64(r.peakGC.HeapLiveBytes)-int64(r.before.HeapLiveBytes), res.Held))
	}
	fmt.Fprintf(w, "back at rest:       %s after the close (goroutines %d, before %d)\n", r.settled.Round(time.Millisecond), r.after.Goroutines, r.before.Goroutines)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func perConn(b int64, n int) float64 { return float64(b) / 1024 / float64(n) }
