package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Stats is the JSON of `clasp serve --stats-addr` (see `clasp serve
// --help`).
type Stats struct {
	ConnectionsOpen     int    `json:"connections_open"`
	ConnectionsAccepted int64  `json:"connections_accepted"`
	HandshakesDone      int64  `json:"handshakes_done"`
	HandshakesFailed    int64  `json:"handshakes_failed"`
	HandshakeTimeouts   int64  `json:"handshake_timeouts"`
	IdleClosed          int64  `json:"idle_closed"`
	Goroutines          int    `json:"goroutines"`
	RSSBytes            int64  `json:"rss_bytes"`
	HeapLiveBytes       uint64 `json:"heap_live_bytes"`
}

// StatsClient reads a server's stats. It keeps one connection to the
// stats server, so that reading does not itself change the server's
// goroutine count from one read to the next.
type StatsClient struct {
	URL    string // http://127.0.0.1:PORT/stats
	client http.Client
}

// NewStatsClient reads the stats at url.
func NewStatsClient(url string) *StatsClient {
	return &StatsClient{URL: url, client: http.Client{Timeout: 10 * time.Second}}
}

// Read fetches the stats. With collect, the server first collects garbage
// and returns free memory to the OS, so that heap and RSS are comparable
// from one read to the next.
func (s *StatsClient) Read(ctx context.Context, collect bool) (Stats, error) {
	url := s.URL
	if collect {
		url += "?gc=1"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Stats{}, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return Stats{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Stats{}, fmt.Errorf("%s: %s", url, resp.Status)
	}
	var st Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return Stats{}, fmt.Errorf("%s: %w", url, err)
	}
	return st, nil
}

// WaitFor reads the stats every 50 ms until done holds or ctx ends, and
// returns the last read.
func (s *StatsClient) WaitFor(ctx context.Context, done func(Stats) bool) (Stats, error) {
	for {
		st, err := s.Read(ctx, false)
		if err != nil || done(st) {
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("waiting for the server's stats: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
