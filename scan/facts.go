package scan

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"strings"

	"github.com/clasp-tls/clasp/internal/wire"
)

// withConversation runs fn on a raw connection, turning a failed dial into
// an unreachable Result and passing any other error (a cancelled scan) up.
func (s *scanner) withConversation(ctx context.Context, fn func(net.Conn) *Result) (*Result, error) {
	var res *Result
	err := s.runner.converse(ctx, s.addr, func(conn net.Conn) error {
		res = fn(conn)
		return nil
	})
	var de *errDial
	if errors.As(err, &de) {
		return &Result{Outcome: OutcomeUnreachable, Err: de.err}, nil
	}
	return res, err
}

// rawHello sends p's hello, changed by edit, and reads the server's flight
// raw. The Result says how the server answered when no ServerHello came.
func (s *scanner) rawHello(ctx context.Context, p *Probe, edit func(*wire.ClientHello)) (*flight, *Result, error) {
	h, err := p.Hello(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	if edit != nil {
		edit(h)
	}
	var f *flight
	res, err := s.withConversation(ctx, func(conn net.Conn) *Result {
		var ferr error
		f, ferr = sendHello(conn, h, p.RecordVersion)
		if f == nil {
			return failed(ferr)
		}
		return helloResult(f.hello)
	})
	return f, res, err
}

// Findings read from the other checks' facts: the extension probes
// (extensions.go) for CRIME and extended master secret, the renegotiation
// check (renegotiation.go) for RFC 5746, the DHE parameters (dhparams.go)
// for Logjam's small and shared primes.

// renegFinding reads the renegotiation check. Insecure is a ServerHello
// without renegotiation_info, or a legacy (pre-RFC 5746) renegotiation the
// server ran.
func renegFinding(rep *Report) Finding {
	r := rep.Renegotiation
	switch {
	case r == nil:
		return weakFinding(weakReneg, StatusNotApplicable, "no TLS 1.0–1.2: TLS 1.3 has no renegotiation")
	case r.Insecure && r.Legacy == "accepted":
		return weakFinding(weakReneg, StatusVulnerable, "%s: the server ran a renegotiation that nothing bound to the handshake before (%s)", r.Version, r.LegacyAnswer)
	case r.Insecure:
		return weakFinding(weakReneg, StatusVulnerable, "%s: %s", r.Version, r.SecureAnswer)
	case !r.Secure:
		return weakFinding(weakReneg, StatusUnknown, "%s: %s", r.Version, r.SecureAnswer)
	}
	return weakFinding(weakReneg, StatusNotVulnerable, "%s: %s", r.Version, r.SecureAnswer)
}

// emsFinding reads the extension probes' extended_master_secret answer.
func emsFinding(rep *Report) Finding {
	e := rep.Extensions
	switch {
	case e == nil || e.ExtendedMasterSecret == nil:
		return weakFinding(weakEMS, StatusNotApplicable, "no TLS 1.0–1.2: TLS 1.3's key schedule binds the transcript")
	case e.ExtendedMasterSecret.Supported:
		return weakFinding(weakEMS, StatusNotVulnerable, "%s: %s", e.Version, e.ExtendedMasterSecret.Answer)
	case strings.HasPrefix(e.ExtendedMasterSecret.Answer, "no ServerHello"):
		return weakFinding(weakEMS, StatusUnknown, "%s: %s", e.Version, e.ExtendedMasterSecret.Answer)
	}
	return weakFinding(weakEMS, StatusVulnerable, "%s: offered, not in the ServerHello (%s)", e.Version, e.ExtendedMasterSecret.Answer)
}

// crimeFinding reads the compression probe: DEFLATE (RFC 3749) offered
// before null. A server that picks it compresses secrets together with
// attacker-chosen data (CRIME, Rizzo and Duong 2012); RFC 7457 §2.6 and
// RFC 8446 (which allows only null) retire compression.
func crimeFinding(rep *Report) Finding {
	e := rep.Extensions
	switch {
	case e == nil || e.Compression == nil:
		return weakFinding(weakCRIME, StatusNotApplicable, "no TLS 1.0–1.2: TLS 1.3 has no compression")
	case e.Compression.Supported:
		return weakFinding(weakCRIME, StatusVulnerable, "%s: offered DEFLATE and null, the server %s", e.Version, e.Compression.Answer)
	case e.Compression.Value == "":
		return weakFinding(weakCRIME, StatusUnknown, "%s: %s", e.Version, e.Compression.Answer)
	}
	return weakFinding(weakCRIME, StatusNotVulnerable, "%s: offered DEFLATE and null, the server %s", e.Version, e.Compression.Answer)
}

// firstLeafSHA256 returns the SHA-256 fingerprints of the leaves the
// certificate check saw.
func firstLeafSHA256(rep *Report) []string {
	var out []string
	if rep.Certificates == nil {
		return nil
	}
	for _, c := range rep.Certificates.Chains {
		if len(c.Certificates) > 0 {
			out = append(out, c.Certificates[0].SHA256)
		}
	}
	return out
}
