package trace_test

import (
	"io"
	"testing"

	"github.com/clasp-tls/clasp/trace"
)

// BenchmarkHandshake measures one full TLS 1.2 handshake plus a 5-byte echo
// over net.Pipe without a tracer and with the JSON tracer writing to
// io.Discard on both sides, so the cost of tracing is the difference
// between the two in one run.
func BenchmarkHandshake(b *testing.B) {
	for _, bc := range []struct {
		name   string
		tracer func() trace.Tracer
	}{
		{"untraced", nil},
		{"json", func() trace.Tracer { return trace.NewJSONTracer(io.Discard) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			clientCfg, serverCfg := baseConfigs(b)
			// Real randomness and clock: a deterministic one would only add
			// its own cost.
			clientCfg.Rand, serverCfg.Rand, clientCfg.Time, serverCfg.Time = nil, nil, nil, nil
			b.ReportAllocs()
			for b.Loop() {
				if bc.tracer != nil {
					clientCfg.Tracer, serverCfg.Tracer = bc.tracer(), bc.tracer()
				}
				if err := runExchange(clientCfg, serverCfg, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
