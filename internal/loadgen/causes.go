package loadgen

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"slices"
	"syscall"

	"github.com/clasp-tls/clasp"
)

// CauseOf names the kind of a rate run's failure: the phase it ended
// ("connect", "handshake", "data", "close") and what ended it, from a
// small set, so that ten thousand failures add up to a few lines:
//
//	refused, reset, timeout, unreachable, closed by the server, interrupted,
//	alert NAME (received from the server), sent alert NAME,
//	verification: unknown authority | name mismatch | expired | invalid | failed,
//	no common PARAMETER (protocol version, cipher suite, group, ...), other
func CauseOf(err error) string {
	phase := ""
	var pe *phaseError
	if errors.As(err, &pe) {
		phase = pe.phase + ": "
	}
	return phase + kindOf(err)
}

func kindOf(err error) string {
	var verr *clasp.CertificateVerificationError
	var alert *clasp.AlertReceivedError
	var negotiation *clasp.NegotiationError
	var hs *clasp.HandshakeError
	var ne net.Error
	var dns *net.DNSError
	switch {
	case errors.As(err, &verr):
		return "verification: " + verificationKind(verr.Err)
	case errors.As(err, &alert):
		return "alert " + alert.Name()
	case errors.As(err, &negotiation):
		return "no common " + negotiation.What
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), errors.As(err, &dns):
		return "unreachable"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "closed by the server"
	case errors.As(err, &hs) && hs.AlertSent:
		return "sent alert " + clasp.AlertError(hs.Alert).Name()
	}
	return "other"
}

// verificationKind names why the server's certificate was not accepted.
func verificationKind(err error) string {
	var authority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &authority):
		return "unknown authority"
	case errors.As(err, &hostname):
		return "name mismatch"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "expired"
	case errors.As(err, &invalid):
		return "invalid"
	}
	return "failed"
}

// causeCounter counts failures by cause, keeping the first of each.
type causeCounter map[string]*Cause

func (c causeCounter) add(err error) {
	name := CauseOf(err)
	if k, ok := c[name]; ok {
		k.Count++
		return
	}
	c[name] = &Cause{Cause: name, Count: 1, Example: err.Error()}
}

// sorted lists the causes, most frequent first.
func (c causeCounter) sorted() []Cause {
	out := make([]Cause, 0, len(c))
	for _, k := range c {
		out = append(out, *k)
	}
	slices.SortFunc(out, func(a, b Cause) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Cause, b.Cause))
	})
	return out
}
