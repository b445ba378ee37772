package scan

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clasp-tls/clasp/internal/starttls"
)

// Defaults of a Runner.
const (
	DefaultMaxConnections = 8
	DefaultTimeout        = 5 * time.Second
)

// Runner sends probes. It bounds how many connections are open at once,
// gives each probe a deadline and counts the connections it opens. It is
// safe for concurrent use; checks run their probes through one Runner so
// that the bound holds for the whole scan.
type Runner struct {
	// MaxConnections is the most probes in flight at once; 0 means
	// DefaultMaxConnections.
	MaxConnections int
	// Timeout bounds each probe, from dialling to the end of the answer;
	// 0 means DefaultTimeout.
	Timeout time.Duration
	// Dial opens the TCP connection; nil means a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Delay is the least time between two connections the Runner opens
	// (Options.Delay), for servers that rate-limit or log every probe.
	Delay time.Duration
	// OnDial, when set, is called with the connection count before each
	// connection is opened (Options.Progress).
	OnDial func(connections int)
	// StartTLS, when set, names the protocol (internal/starttls) whose
	// plain-text upgrade runs on every connection before the probe's
	// first TLS byte (Options.StartTLS).
	StartTLS string
	// StartTLSName is the server's name for protocols whose upgrade
	// names it (XMPP's stream header); empty means the host of the
	// address dialled.
	StartTLSName string

	lastDial sync.Mutex // held while a delayed dial waits its turn
	lastAt   time.Time

	once        sync.Once
	slots       chan struct{}
	connections atomic.Int64
}

// Connections returns the number of connections the Runner has opened (or
// tried to open) so far.
func (r *Runner) Connections() int { return int(r.connections.Load()) }

func (r *Runner) init() {
	r.once.Do(func() {
		n := r.MaxConnections
		if n <= 0 {
			n = DefaultMaxConnections
		}
		r.slots = make(chan struct{}, n)
	})
}

func (r *Runner) timeout() time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return DefaultTimeout
}

// Run sends p to addr on a fresh connection and classifies the answer. The
// error is for a probe that cannot be built and for ctx ending while the
// probe waits for a connection slot; everything the network or the server
// does is a Result.
func (r *Runner) Run(ctx context.Context, addr string, p *Probe) (*Result, error) {
	hello, err := p.marshal()
	if err != nil {
		return nil, err
	}
	r.init()
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-r.slots }()

	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	r.connections.Add(1)
	conn, err := r.dial(ctx, addr)
	if err != nil {
		res := &Result{Outcome: OutcomeUnreachable, Err: err}
		if ctx.Err() != nil {
			res.Outcome, res.Err = OutcomeTimeout, fmt.Errorf("connecting to %s: %w", addr, err)
		}
		res.Elapsed = time.Since(start)
		return res, nil
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	// A cancelled scan ends the probe now rather than at its deadline.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	res := exchange(conn, hello, p)
	res.Elapsed = time.Since(start)
	return res, nil
}

func (r *Runner) dial(ctx context.Context, addr string) (net.Conn, error) {
	if err := r.pace(ctx); err != nil {
		return nil, err
	}
	if r.OnDial != nil {
		r.OnDial(r.Connections())
	}
	var conn net.Conn
	var err error
	if r.Dial != nil {
		conn, err = r.Dial(ctx, "tcp", addr)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil || r.StartTLS == "" {
		return conn, err
	}
	if err := r.startTLS(ctx, conn, addr); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// startTLS runs the plain-text upgrade within the probe's time; a server
// that does not offer it fails the dial, so every check reports it as a
// connection it could not make.
func (r *Runner) startTLS(ctx context.Context, conn net.Conn, addr string) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(r.timeout())
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	name := r.StartTLSName
	if name == "" {
		name, _, _ = net.SplitHostPort(addr)
	}
	if err := starttls.NegotiateFor(conn, r.StartTLS, name); err != nil {
		return err
	}
	return conn.SetDeadline(time.Time{})
}

// isTimeout reports whether err is a deadline passing.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// pace waits until Delay has passed since the Runner's previous dial.
func (r *Runner) pace(ctx context.Context) error {
	if r.Delay <= 0 {
		return nil
	}
	r.lastDial.Lock()
	defer r.lastDial.Unlock()
	wait := time.Until(r.lastAt.Add(r.Delay))
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.lastAt = time.Now()
	return nil
}
