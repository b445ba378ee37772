// Package loadgen opens many TLS connections to one server at once, holds
// them open, and reads the server's own account of what that cost (the
// JSON of `clasp serve --stats-addr`). The load test of cmd/clasp and the
// bench/cmd/load program share it, so that the 2,000 connections CI opens
// and the 10,000 of a benchmark run are opened and measured the same way.
//
// Rate is the other kind of load, `clasp bench`'s: a few clients making
// connection after connection as fast as the server takes them, full or
// resumed handshakes (each resumption checked), with their latencies,
// failures by cause and this process's CPU.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/clasp-tls/clasp"
)

// Options describe one load.
type Options struct {
	// Addr is the server's address (an echo server: each connection
	// sends one byte and waits for it back).
	Addr string
	// Conns is how many connections to open and hold.
	Conns int
	// Concurrency is how many connections are being opened at once; 100
	// when zero. Opening all at once would only overflow the listen
	// backlog and measure SYN retries.
	Concurrency int
	// Config is the clients' configuration; when nil, clasp's defaults
	// without certificate verification (the load is on the server).
	Config *clasp.Config
	// Timeout bounds each connection's dial, handshake and echo; 30
	// seconds when zero.
	Timeout time.Duration
}

// Result is what opening the connections took.
type Result struct {
	Held    int           // connections open, handshake done and echo back
	Errors  int           // connections that failed
	Err     error         // the first few errors, joined
	Elapsed time.Duration // from the first dial to the last echo
}

// HandshakesPerSecond is the rate at which connections were opened,
// handshake and first echo included.
func (r Result) HandshakesPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Held) / r.Elapsed.Seconds()
}

// Held is a set of open connections.
type Held struct {
	conns []*clasp.Conn
}

// Len is the number of connections held.
func (h *Held) Len() int { return len(h.conns) }

// Close closes every connection (close_notify, then the socket).
func (h *Held) Close() {
	for _, c := range h.conns {
		c.Close()
	}
	h.conns = nil
}

// maxReportedErrors bounds Result.Err: ten thousand copies of one error
// say no more than five.
const maxReportedErrors = 5

// Open opens o.Conns connections, o.Concurrency at a time, and returns
// those that completed a handshake and an echo. It stops early when ctx
// is done.
func Open(ctx context.Context, o Options) (*Held, Result) {
	if o.Concurrency <= 0 {
		o.Concurrency = 100
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	cfg := o.Config
	if cfg == nil {
		cfg = &clasp.Config{InsecureSkipVerify: true}
	}
	var (
		mu   sync.Mutex
		held = &Held{conns: make([]*clasp.Conn, 0, o.Conns)}
		res  Result
		errs []error
		wg   sync.WaitGroup
	)
	jobs := make(chan struct{})
	start := time.Now()
	for range min(o.Concurrency, o.Conns) {
		wg.Go(func() {
			for range jobs {
				c, err := open(ctx, o, cfg)
				mu.Lock()
				if err != nil {
					res.Errors++
					if len(errs) < maxReportedErrors {
						errs = append(errs, err)
					}
				} else {
					held.conns = append(held.conns, c)
				}
				mu.Unlock()
			}
		})
	}
feed:
	for range o.Conns {
		select {
		case jobs <- struct{}{}:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Held = held.Len()
	res.Err = errors.Join(errs...)
	return held, res
}

// open makes one connection: dial, handshake, and one byte echoed, so
// that the server has finished with the handshake when Open returns.
func open(ctx context.Context, o Options, cfg *clasp.Config) (*clasp.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	d := clasp.Dialer{NetDialer: &net.Dialer{}, Config: cfg}
	nc, err := d.DialContext(ctx, "tcp", o.Addr)
	if err != nil {
		return nil, err
	}
	c := nc.(*clasp.Conn)
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	if _, err := c.Write([]byte{'x'}); err != nil {
		c.Close()
		return nil, fmt.Errorf("writing to the server: %w", err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		c.Close()
		return nil, fmt.Errorf("reading the echo: %w", err)
	}
	c.SetDeadline(time.Time{})
	return c, nil
}
