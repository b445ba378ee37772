package bench

import (
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/trace"
)

// tracerScenario is the handshake BenchmarkTracer traces: the same as
// BenchmarkHandshake/ECDHE-ECDSA-P256-AES128GCM.
var tracerScenario = handshakeScenarios[0]

// tracerVariant is one Config.Tracer setting for both clasp sides.
type tracerVariant struct {
	name string
	// tracer returns the Tracer for one side's Config, writing any output
	// to w; nil for no tracer at all.
	tracer func(w io.Writer) trace.Tracer
	// withCryptoTLS adds crypto/tls as a reference: only for no tracer,
	// since crypto/tls has none.
	withCryptoTLS bool
}

var tracerVariants = []tracerVariant{
	// No Tracer: the handshake must do no tracing work at all.
	{name: "tracer=none", tracer: func(io.Writer) trace.Tracer { return nil }, withCryptoTLS: true},
	// A Tracer that drops every event: what building the events costs,
	// without any encoding.
	{name: "tracer=nop", tracer: func(io.Writer) trace.Tracer { return trace.TracerFunc(func(trace.Event) {}) }},
	// trace.NewJSONTracer on each side, a fresh one per connection as a
	// server tracing its connections would use it, writing to w.
	{name: "tracer=json", tracer: func(w io.Writer) trace.Tracer {
		return &perConnection{newTracer: func() trace.Tracer { return trace.NewJSONTracer(w) }}
	}},
}

// stacks returns the scenario's stacks with v's tracer on both clasp
// sides, crypto/tls first when v has it as a reference.
func (v tracerVariant) stacks(sc scenario, pki *peertest.PKI, w io.Writer) []stack {
	var out []stack
	if v.withCryptoTLS {
		out = append(out, sc.cryptoTLS(pki))
	}
	client, server := sc.claspConfigs(pki)
	client.Tracer, server.Tracer = v.tracer(w), v.tracer(w)
	return append(out, sc.claspStack(client, server))
}

// perConnection is a Tracer that sends each connection's events to a
// tracer of its own: the JSON tracer keeps per-stream state (sequence
// numbers, per-side tallies, messages waiting to be paired), so one shared
// by every connection would grow with the run. A connection's tracer is
// made at its first event and dropped after its Done or Failed. It assumes
// one connection at a time, as the benchmarks run them.
type perConnection struct {
	newTracer func() trace.Tracer
	mu        sync.Mutex
	current   trace.Tracer
}

func (p *perConnection) Trace(e trace.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.current == nil {
		p.current = p.newTracer()
	}
	p.current.Trace(e)
	switch e.(type) {
	case *trace.Done, *trace.Failed:
		p.current = nil
	}
}

// BenchmarkTracer measures the TLS 1.2 ECDHE-ECDSA full handshake of
// BenchmarkHandshake with no tracer, with a tracer that drops every event,
// and with trace.NewJSONTracer(io.Discard), on both clasp sides; crypto/tls
// runs alongside the no-tracer case as the usual reference.
func BenchmarkTracer(b *testing.B) {
	pki := peertest.NewPKI(b)
	sc := tracerScenario
	b.Run(sc.name, func(b *testing.B) {
		for _, v := range tracerVariants {
			b.Run(v.name, func(b *testing.B) {
				for _, st := range v.stacks(sc, pki, io.Discard) {
					b.Run(st.name, func(b *testing.B) { benchmarkHandshakes(b, st) })
				}
			})
		}
	})
}

// TestTracerScenarios runs the traced handshake once per variant and
// checks that it negotiated what the scenario says and that the JSON
// tracer really wrote.
func TestTracerScenarios(t *testing.T) {
	pki := peertest.NewPKI(t)
	sc := tracerScenario
	for _, v := range tracerVariants {
		var written countingWriter
		for _, st := range v.stacks(sc, pki, &written) {
			t.Run(sc.name+"/"+v.name+"/"+st.name, func(t *testing.T) {
				client, server, err := handshakeOverPipe(st)
				if err != nil {
					t.Fatal(err)
				}
				checkNegotiated(t, sc, "client", client)
				checkNegotiated(t, sc, "server", server)
			})
		}
		if n := written.n.Load(); v.name == "tracer=json" && n == 0 {
			t.Errorf("%s: the JSON tracers wrote nothing", v.name)
		} else if v.name != "tracer=json" && n != 0 {
			t.Errorf("%s: %d bytes of trace written", v.name, n)
		}
	}
}

// countingWriter counts what is written to it; both sides' tracers write
// at once.
type countingWriter struct{ n atomic.Int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return len(p), nil
}
