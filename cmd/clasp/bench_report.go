package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/clasp-tls/clasp/internal/loadgen"
)

// benchReport is the result of clasp bench, as text or as its JSON object
// (docs/bench-json.md).
type benchReport struct {
	Target      string `json:"target"`
	Connections int    `json:"connections"`
	Resume      string `json:"resume"`
	Bytes       int    `json:"bytes"`
	HTTPGet     string `json:"http_get,omitempty"`

	DurationS           float64             `json:"duration_s"`
	Attempts            int                 `json:"attempts"`
	Handshakes          int                 `json:"handshakes"`
	Errors              int                 `json:"errors"`
	HandshakesPerSecond float64             `json:"handshakes_per_second"`
	LatencyMS           *latencyReport      `json:"latency_ms,omitempty"`
	ClientCPUUS         *float64            `json:"client_cpu_us_per_handshake,omitempty"`
	ClientCPUS          *float64            `json:"client_cpu_s,omitempty"`
	Negotiated          []negotiatedCount   `json:"negotiated"`
	Resumption          *resumptionReport   `json:"resumption,omitempty"`
	Causes              []loadgen.Cause     `json:"causes"`
	BytesRead           int64               `json:"bytes_read"`
	result              *loadgen.RateResult // for the text
}

type latencyReport struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

type negotiatedCount struct {
	Connection string `json:"connection"`
	Count      int    `json:"count"`
}

type resumptionReport struct {
	Asked            string          `json:"asked"`
	Resumed          int             `json:"resumed"`
	ResumedOtherwise int             `json:"resumed_otherwise"`
	NotResumed       int             `json:"not_resumed"`
	Priming          int             `json:"priming"`
	PrimingErrors    []loadgen.Cause `json:"priming_errors"`
}

func newBenchReport(addr string, o *benchOptions, resume loadgen.Resumption, res *loadgen.RateResult) *benchReport {
	r := &benchReport{Target: addr, Connections: o.connections, Resume: resume.String(), Bytes: o.bytes, HTTPGet: o.httpGet,
		DurationS: res.Elapsed.Seconds(), Attempts: res.Attempts, Handshakes: res.Handshakes, Errors: res.Errors,
		HandshakesPerSecond: res.HandshakesPerSecond(), Causes: res.Causes, BytesRead: res.BytesRead, result: res}
	if r.Causes == nil {
		r.Causes = []loadgen.Cause{}
	}
	if len(res.Latencies) > 0 {
		var sum time.Duration
		for _, l := range res.Latencies {
			sum += l
		}
		r.LatencyMS = &latencyReport{P50: ms(res.Percentile(50)), P90: ms(res.Percentile(90)), P99: ms(res.Percentile(99)),
			Max: ms(res.Latencies[len(res.Latencies)-1]), Mean: ms(sum / time.Duration(len(res.Latencies)))}
	}
	if res.CPUKnown {
		total := res.CPU.Seconds()
		r.ClientCPUS = &total
		if res.Handshakes > 0 {
			per := float64(res.CPUPerHandshake().Nanoseconds()) / 1e3
			r.ClientCPUUS = &per
		}
	}
	r.Negotiated = []negotiatedCount{}
	for _, k := range slices.Sorted(maps.Keys(res.Negotiated)) {
		r.Negotiated = append(r.Negotiated, negotiatedCount{k, res.Negotiated[k]})
	}
	slices.SortStableFunc(r.Negotiated, func(a, b negotiatedCount) int { return cmp.Compare(b.Count, a.Count) })
	if resume != loadgen.ResumeNone {
		r.Resumption = &resumptionReport{Asked: resume.String(), Resumed: res.Resumed, ResumedOtherwise: res.ResumedOtherwise,
			NotResumed: res.NotResumed, Priming: res.Priming, PrimingErrors: res.PrimingCauses}
		if r.Resumption.PrimingErrors == nil {
			r.Resumption.PrimingErrors = []loadgen.Cause{}
		}
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// resumeDescriptions say what each --resume measures, for the text.
var resumeDescriptions = map[string]string{
	"none":   "full handshakes",
	"id":     "TLS 1.2 resumption by session ID",
	"ticket": "TLS 1.2 resumption by session ticket (RFC 5077)",
	"psk":    "TLS 1.3 resumption (ticket as PSK)",
}

// writeText prints the report for a person.
func (r *benchReport) writeText(w io.Writer) {
	what := resumeDescriptions[r.Resume]
	switch {
	case r.Bytes > 0:
		what += fmt.Sprintf(", %d bytes echoed", r.Bytes)
	case r.HTTPGet != "":
		what += ", GET " + r.HTTPGet
	}
	fmt.Fprintf(w, "target:       %s (%d connections at once, %s)\n", r.Target, r.Connections, what)
	for _, n := range r.Negotiated {
		fmt.Fprintf(w, "negotiated:   %s (%d)\n", n.Connection, n.Count)
	}
	fmt.Fprintf(w, "attempts:     %d = %d handshakes + %d errors, in %.2f s\n", r.Attempts, r.Handshakes, r.Errors, r.DurationS)
	fmt.Fprintf(w, "rate:         %.1f handshakes/s\n", r.HandshakesPerSecond)
	if l := r.LatencyMS; l != nil {
		fmt.Fprintf(w, "latency:      p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (TCP connect + handshake)\n", l.P50, l.P90, l.P99, l.Max)
	}
	if r.ClientCPUUS != nil {
		fmt.Fprintf(w, "client CPU:   %.0f µs per handshake (this process, user + system; %.2f s in all)\n", *r.ClientCPUUS, *r.ClientCPUS)
	}
	if r.BytesRead > 0 {
		fmt.Fprintf(w, "data read:    %d bytes\n", r.BytesRead)
	}
	if rs := r.Resumption; rs != nil {
		fmt.Fprintf(w, "resumption:   %d of %d resumed by %s, %d resumed otherwise, %d full handshakes (not resumed); %d priming handshakes before the run\n",
			rs.Resumed, r.Handshakes, rs.Asked, rs.ResumedOtherwise, rs.NotResumed, rs.Priming)
		for _, c := range rs.PrimingErrors {
			fmt.Fprintf(w, "  priming failed %d× %s (%s)\n", c.Count, c.Cause, oneLine(c.Example))
		}
	}
	if len(r.Causes) > 0 {
		fmt.Fprintln(w, "errors:")
		for _, c := range r.Causes {
			fmt.Fprintf(w, "  %6d  %s  (e.g. %s)\n", c.Count, c.Cause, oneLine(c.Example))
		}
	}
}
