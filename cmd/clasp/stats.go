package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// serverCounters are what `clasp serve` counts for --stats-addr. Open
// connections are not counted here: server.conns holds them.
type serverCounters struct {
	accepted          atomic.Int64
	handshakesDone    atomic.Int64
	handshakesFailed  atomic.Int64 // timed-out handshakes included
	handshakeTimeouts atomic.Int64
	idleClosed        atomic.Int64
}

// statsReport is the JSON document --stats-addr serves. Its names are part
// of the command's interface: bench/cmd/load and the tests read them.
type statsReport struct {
	ConnectionsOpen     int    `json:"connections_open"`
	ConnectionsAccepted int64  `json:"connections_accepted"`
	HandshakesDone      int64  `json:"handshakes_done"`
	HandshakesFailed    int64  `json:"handshakes_failed"`
	HandshakeTimeouts   int64  `json:"handshake_timeouts"`
	IdleClosed          int64  `json:"idle_closed"`
	Goroutines          int    `json:"goroutines"`
	RSSBytes            int64  `json:"rss_bytes,omitempty"` // VmRSS; absent without /proc
	HeapLiveBytes       uint64 `json:"heap_live_bytes"`     // as of the last GC
}

// checkStatsAddr accepts loopback addresses only: the stats have no
// authentication, and a load balancer's health checker or a benchmark
// runs on the same machine anyway.
func checkStatsAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageErrorf("--stats-addr %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usageErrorf("--stats-addr %q: want a loopback address such as 127.0.0.1:9090 (the stats are served without authentication)", addr)
	}
	return nil
}

// serveStats starts the --stats-addr HTTP server. It returns the address
// it listens on and a function that stops it.
func (s *server) serveStats(addr string) (net.Addr, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--stats-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", s.handleStats)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	return ln.Addr(), func() { hs.Close() }, nil
}

// handleStats answers GET /stats. With ?gc=1 it first collects garbage and
// returns freed memory to the OS (debug.FreeOSMemory), so that heap and
// RSS can be compared before and after a load without the collector's
// timing in the way.
func (s *server) handleStats(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("gc") == "1" {
		debug.FreeOSMemory()
	}
	s.mu.Lock()
	open := len(s.conns)
	s.mu.Unlock()
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	report := statsReport{
		ConnectionsOpen:     open,
		ConnectionsAccepted: s.counters.accepted.Load(),
		HandshakesDone:      s.counters.handshakesDone.Load(),
		HandshakesFailed:    s.counters.handshakesFailed.Load(),
		HandshakeTimeouts:   s.counters.handshakeTimeouts.Load(),
		IdleClosed:          s.counters.idleClosed.Load(),
		Goroutines:          runtime.NumGoroutine(),
		RSSBytes:            residentSetSize(),
	}
	if live[0].Value.Kind() == metrics.KindUint64 {
		report.HeapLiveBytes = live[0].Value.Uint64()
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(report)
}

// residentSetSize reads VmRSS from /proc/self/status; 0 where there is none.
func residentSetSize() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "VmRSS:	   12345 kB"
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
