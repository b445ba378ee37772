package loadgen

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
)

// Percentile is the nearest rank: the smallest latency with at least p
// percent of the handshakes at or below it.
func TestPercentileIsNearestRank(t *testing.T) {
	r := &RateResult{}
	for i := 1; i <= 100; i++ {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 90: 90 * time.Millisecond,
		99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 0.5: time.Millisecond} {
		if got := r.Percentile(p); got != want {
			t.Errorf("p%v of 1..100 ms = %v, want %v", p, got, want)
		}
	}
	one := &RateResult{Latencies: []time.Duration{7}}
	if one.Percentile(50) != 7 || one.Percentile(99) != 7 {
		t.Errorf("one latency: p50 %v, p99 %v, want it for both", one.Percentile(50), one.Percentile(99))
	}
	if (&RateResult{}).Percentile(50) != 0 {
		t.Error("no latencies: want 0")
	}
}

// Causes name the phase and a kind from a small set, whatever the
// wrapping.
func TestCauseOfNamesPhaseAndKind(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&phaseError{phaseConnect, fmt.Errorf("dial: %w", syscall.ECONNREFUSED)}, "connect: refused"},
		{&phaseError{phaseHandshake, &clasp.HandshakeError{Side: "client", Err: &clasp.AlertReceivedError{Level: 2, Description: 70}}}, "handshake: alert protocol_version"},
		{&phaseError{phaseHandshake, &clasp.HandshakeError{Side: "client", Err: &clasp.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}}, "handshake: verification: unknown authority"},
		{&phaseError{phaseHandshake, &clasp.HandshakeError{Side: "client", Alert: 50, AlertSent: true, Err: errors.New("bad")}}, "handshake: sent alert decode_error"},
		{&phaseError{phaseHandshake, &clasp.HandshakeError{Side: "client", Err: context.DeadlineExceeded}}, "handshake: timeout"},
		{&phaseError{phaseData, io.ErrUnexpectedEOF}, "data: closed by the server"},
		{&phaseError{phaseClose, syscall.ECONNRESET}, "close: reset"},
		{&phaseError{phaseHandshake, context.Canceled}, "handshake: interrupted"},
		{&phaseError{phaseData, errors.New("the echo differs from what was sent")}, "data: other"},
	} {
		if got := CauseOf(tc.err); got != tc.want {
			t.Errorf("CauseOf(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestRateRefusesEmptyRuns(t *testing.T) {
	for _, o := range []RateOptions{{Connections: 0, Attempts: 1}, {Connections: 1}} {
		if _, err := Rate(context.Background(), o); err == nil {
			t.Errorf("Rate(%+v) ran", o)
		}
	}
}
