package diagnose

import (
	"sync"

	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// maxRecorded bounds how many events a Recorder keeps, so that a long-lived
// connection (tickets, KeyUpdates, renegotiation refusals) cannot grow it
// without limit. Alerts and the failure are kept even past the bound: they
// are what a diagnosis needs most.
const maxRecorded = 512

// Recorder is a trace.Tracer that keeps what a diagnosis needs: the parsed
// handshake messages of both directions (hellos, certificates, certificate
// requests, Finished), decisions, key changes, states, alerts and the
// outcome. It drops application data events and the raw bytes of messages
// (which alias connection buffers), so it is cheap enough to leave on for
// every connection the command makes.
//
// Set it as Config.Tracer (or call its Trace from a tracer that fans out),
// then pass it to Explain after a failure. It is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []trace.Event
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// Trace implements trace.Tracer.
func (r *Recorder) Trace(e trace.Event) {
	var keep trace.Event
	switch ev := e.(type) {
	case *trace.Message:
		if ev.ContentType == uint8(wire.ContentApplicationData) {
			return
		}
		m := *ev
		m.Raw = nil // aliases connection buffers; Parsed holds copies
		keep = &m
	case *trace.Decision:
		d := *ev
		keep = &d
	case *trace.Alert:
		a := *ev
		keep = &a
	case *trace.Failed:
		f := *ev
		keep = &f
	case *trace.Done:
		d := *ev
		keep = &d
	case *trace.State:
		s := *ev
		keep = &s
	case *trace.Keys:
		k := *ev
		keep = &k
	default:
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) >= maxRecorded {
		switch keep.(type) {
		case *trace.Alert, *trace.Failed:
			if len(r.events) >= 2*maxRecorded {
				return
			}
		default:
			return
		}
	}
	r.events = append(r.events, keep)
}

// Events returns a copy of the recorded events, in order.
func (r *Recorder) Events() []trace.Event {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]trace.Event(nil), r.events...)
}

// Reset forgets everything recorded, for reuse on another connection.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}

var _ trace.Tracer = (*Recorder)(nil)

// CertificateRequested reports whether the recorded client received a
// CertificateRequest.
func CertificateRequested(rec *Recorder) bool {
	if rec == nil {
		return false
	}
	return gather(rec, "client").certRequest
}
