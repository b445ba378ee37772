package loadgen

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clasp-tls/clasp"
)

// Resumption is what a rate run resumes with, if anything.
type Resumption int

const (
	// ResumeNone makes every connection a full handshake.
	ResumeNone Resumption = iota
	// ResumeSessionID resumes TLS 1.2 sessions by session ID (no tickets
	// offered).
	ResumeSessionID
	// ResumeTicket resumes TLS 1.2 sessions by RFC 5077 ticket.
	ResumeTicket
	// ResumePSK resumes TLS 1.3 sessions with a ticket as a PSK.
	ResumePSK
)

// String is the name --resume takes.
func (r Resumption) String() string {
	switch r {
	case ResumeSessionID:
		return "id"
	case ResumeTicket:
		return "ticket"
	case ResumePSK:
		return "psk"
	}
	return "none"
}

// resumedAs reports whether a connection's ConnectionState.ResumedBy is
// the mechanism r asks for.
func (r Resumption) resumedAs(resumedBy string) bool {
	switch r {
	case ResumeSessionID:
		return resumedBy == "session ID"
	case ResumeTicket:
		return resumedBy == "session ticket"
	case ResumePSK:
		return resumedBy == "psk_dhe_ke" || resumedBy == "psk_ke"
	}
	return false
}

// RateOptions describe a handshake-rate run: Connections clients, each
// making one connection after another to Addr, for Duration or until
// Attempts connections have been tried.
type RateOptions struct {
	Addr string
	// Config is the clients' configuration; each client works on a clone
	// with a session cache of its own.
	Config *clasp.Config
	// Connections is how many clients run at once (at least 1).
	Connections int
	// Duration bounds the run when Attempts is 0: no connection starts
	// after it, and those under way finish.
	Duration time.Duration
	// Attempts, when positive, is the exact number of connections tried.
	Attempts int
	// Resume chooses full handshakes or resumptions. Each client first
	// makes one full handshake, outside the measurement, to have a
	// session; each connection then offers the session the previous one
	// left.
	Resume Resumption
	// Bytes of application data each connection writes after the
	// handshake and reads back (an echo server); 0 sends none.
	Bytes int
	// HTTPGet, when not empty, is the path each connection asks for with
	// one HTTP/1.1 GET; the response is read until the server closes.
	HTTPGet string
	// Timeout bounds each connection, from the dial to the server's
	// close.
	Timeout time.Duration
	// Progress, when set, is called about once a second from one
	// goroutine while the run lasts.
	Progress func(Progress)
}

// Progress is the state of a run under way.
type Progress struct {
	Elapsed    time.Duration
	Handshakes int64
	Errors     int64
}

// Cause is one kind of failure and how often it happened.
type Cause struct {
	Cause   string // e.g. "connect: refused", "handshake: alert protocol_version"
	Count   int
	Example string // one error of this kind, as the stack reported it
}

// RateResult is what a rate run measured. Attempts = Handshakes + Errors
// always: a connection either completed (handshake, data and close) or
// failed for one Cause.
type RateResult struct {
	Attempts   int
	Handshakes int
	Errors     int
	Causes     []Cause // most frequent first
	// Elapsed is the measured phase's wall time, from the first dial to
	// the end of the last connection.
	Elapsed time.Duration
	// Latencies of the completed handshakes, sorted: from the start of
	// the TCP connect to the end of the TLS handshake.
	Latencies []time.Duration
	// Negotiated counts the completed connections by "version suite
	// group".
	Negotiated map[string]int
	// With Resume: how the completed connections went. Resumed used the
	// mechanism asked for, ResumedOtherwise another one (a session ID
	// when a ticket was asked for), NotResumed made a full handshake.
	Resumed, ResumedOtherwise, NotResumed int
	// Priming counts the clients' first full handshakes that obtained a
	// session, outside the measurement; PrimingCauses their failures.
	Priming       int
	PrimingCauses []Cause
	// BytesRead is the application data read by completed connections
	// (the echo, or the HTTP responses).
	BytesRead int64
	// CPU is this process's user + system CPU time during the measured
	// phase; CPUKnown is false where the platform does not say.
	CPU      time.Duration
	CPUKnown bool
}

// HandshakesPerSecond is the rate of completed connections.
func (r *RateResult) HandshakesPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Handshakes) / r.Elapsed.Seconds()
}

// Percentile returns the latency below which p percent of the completed
// handshakes fall (nearest rank), 0 when there were none.
func (r *RateResult) Percentile(p float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	rank := int(float64(n)*p/100+0.999999) - 1
	return r.Latencies[min(max(rank, 0), n-1)]
}

// CPUPerHandshake is this process's CPU time per completed connection.
func (r *RateResult) CPUPerHandshake() time.Duration {
	if !r.CPUKnown || r.Handshakes == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Handshakes)
}

// Rate runs the clients and returns what they measured. It stops early
// when ctx ends (the connections under way are cut short and counted as
// errors).
func Rate(ctx context.Context, o RateOptions) (*RateResult, error) {
	if o.Connections < 1 {
		return nil, fmt.Errorf("loadgen: %d connections: want at least 1", o.Connections)
	}
	if o.Attempts <= 0 && o.Duration <= 0 {
		return nil, fmt.Errorf("loadgen: give a duration or a number of attempts")
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	workers := make([]*rateWorker, o.Connections)
	for i := range workers {
		workers[i] = newRateWorker(&o)
	}
	res := &RateResult{}
	if o.Resume != ResumeNone {
		res.Priming, res.PrimingCauses = prime(ctx, workers)
	}
	var budget atomic.Int64
	budget.Store(int64(o.Attempts))
	var handshakes, failures atomic.Int64
	cpuBefore, cpuKnown := processCPU()
	start := time.Now()
	stopProgress := reportProgress(o.Progress, start, &handshakes, &failures)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			for more(ctx, &o, &budget, start) {
				if w.attempt(ctx).ok {
					handshakes.Add(1)
				} else {
					failures.Add(1)
				}
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	stopProgress()
	if cpuAfter, ok := processCPU(); ok && cpuKnown {
		res.CPU, res.CPUKnown = cpuAfter-cpuBefore, true
	}
	merge(res, workers)
	return res, nil
}

// more reports whether a client should start another connection.
func more(ctx context.Context, o *RateOptions, budget *atomic.Int64, start time.Time) bool {
	if ctx.Err() != nil {
		return false
	}
	if o.Attempts > 0 {
		return budget.Add(-1) >= 0
	}
	return time.Since(start) < o.Duration
}

// prime gives every client a session to resume, all at once.
func prime(ctx context.Context, workers []*rateWorker) (int, []Cause) {
	var wg sync.WaitGroup
	failed := make([]error, len(workers))
	for i, w := range workers {
		wg.Go(func() { failed[i] = w.connect(ctx).err })
	}
	wg.Wait()
	causes := causeCounter{}
	ok := 0
	for _, err := range failed {
		if err == nil {
			ok++
		} else {
			causes.add(err)
		}
	}
	return ok, causes.sorted()
}

// reportProgress calls progress every second until the returned stop.
func reportProgress(progress func(Progress), start time.Time, handshakes, failures *atomic.Int64) (stop func()) {
	if progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				progress(Progress{Elapsed: time.Since(start), Handshakes: handshakes.Load(), Errors: failures.Load()})
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// merge adds up what the clients kept.
func merge(res *RateResult, workers []*rateWorker) {
	causes := causeCounter{}
	res.Negotiated = map[string]int{}
	for _, w := range workers {
		res.Handshakes += len(w.latencies)
		res.Latencies = append(res.Latencies, w.latencies...)
		for _, err := range w.errs {
			causes.add(err)
		}
		res.Errors += len(w.errs)
		for k, n := range w.negotiated {
			res.Negotiated[k] += n
		}
		res.Resumed += w.resumed
		res.ResumedOtherwise += w.resumedOtherwise
		res.NotResumed += w.notResumed
		res.BytesRead += w.bytesRead
	}
	res.Attempts = res.Handshakes + res.Errors
	res.Causes = causes.sorted()
	slices.Sort(res.Latencies)
}

// rateWorker is one client: it makes its connections one after another,
// with a session cache of its own so that each resumes the session the
// previous one left.
type rateWorker struct {
	o      *RateOptions
	cfg    *clasp.Config
	dialer net.Dialer

	latencies        []time.Duration
	errs             []error
	negotiated       map[string]int
	resumed          int
	resumedOtherwise int
	notResumed       int
	bytesRead        int64
	payload          []byte
}

func newRateWorker(o *RateOptions) *rateWorker {
	cfg := o.Config.Clone()
	cfg.ClientSessionCache = nil
	switch o.Resume {
	case ResumeNone:
	case ResumeSessionID:
		cfg.SessionTicketsDisabled = true
		cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(1)
	default:
		cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(1)
	}
	w := &rateWorker{o: o, cfg: cfg, negotiated: map[string]int{}}
	if o.Bytes > 0 {
		w.payload = make([]byte, o.Bytes)
		for i := range w.payload {
			w.payload[i] = byte('a' + i%26)
		}
	}
	return w
}

// attempt makes one measured connection and records its outcome.
func (w *rateWorker) attempt(ctx context.Context) outcome {
	out := w.connect(ctx)
	if out.err != nil {
		w.errs = append(w.errs, out.err)
		return out
	}
	w.latencies = append(w.latencies, out.latency)
	st := out.state
	key := clasp.VersionName(st.Version) + " " + st.CipherSuiteName
	if st.CurveID != 0 {
		key += " " + st.CurveID.String()
	}
	w.negotiated[key]++
	w.bytesRead += out.bytesRead
	switch {
	case w.o.Resume == ResumeNone:
	case w.o.Resume.resumedAs(st.ResumedBy):
		w.resumed++
	case st.DidResume:
		w.resumedOtherwise++
	default:
		w.notResumed++
	}
	return out
}
