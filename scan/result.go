package scan

import (
	"fmt"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Outcome classifies how a server answered one probe.
type Outcome uint8

// Outcomes of a probe. Only OutcomeAccepted and OutcomeRetry are answers
// that agree to something; the others say no, or say nothing.
const (
	// OutcomeAccepted: a ServerHello; Result.Version and Result.Suite say
	// what the server chose, Result.Group the key_share group (TLS 1.3)
	// or, when the flight was read, the ServerKeyExchange curve.
	OutcomeAccepted Outcome = iota + 1
	// OutcomeRetry: a TLS 1.3 HelloRetryRequest; Result.Group is the group
	// the server asks for, Result.Suite the suite it chose.
	OutcomeRetry
	// OutcomeAlert: an alert record before any ServerHello; Result.Alert.
	OutcomeAlert
	// OutcomeClosed: the server closed (or reset) the connection without
	// a ServerHello or an alert.
	OutcomeClosed
	// OutcomeTimeout: nothing decisive arrived before the probe's deadline.
	OutcomeTimeout
	// OutcomeNotTLS: the first bytes were not a TLS record (an HTTP, SSH or
	// SMTP server, say); Result.Err is a *record.NotTLSError.
	OutcomeNotTLS
	// OutcomeMalformed: TLS records, but not a ServerHello or an alert the
	// parser accepts (or another message first); Result.Err says what.
	OutcomeMalformed
	// OutcomeUnreachable: the TCP connection could not be opened.
	OutcomeUnreachable
)

var outcomeNames = map[Outcome]string{
	OutcomeAccepted:    "accepted",
	OutcomeRetry:       "hello_retry_request",
	OutcomeAlert:       "alert",
	OutcomeClosed:      "closed",
	OutcomeTimeout:     "timeout",
	OutcomeNotTLS:      "not_tls",
	OutcomeMalformed:   "malformed",
	OutcomeUnreachable: "unreachable",
}

// String returns the outcome's name as it appears in JSON.
func (o Outcome) String() string {
	if name, ok := outcomeNames[o]; ok {
		return name
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// MarshalText makes an Outcome a JSON string.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// Result is what one probe found.
type Result struct {
	Outcome Outcome
	// Version is the version the server chose: supported_versions in its
	// ServerHello or HelloRetryRequest when present, else legacy_version.
	Version suites.Version
	// Suite is the cipher suite of the ServerHello or HelloRetryRequest.
	Suite suites.ID
	// Group is the key_share group of a TLS 1.3 ServerHello, the group a
	// HelloRetryRequest asks for, or the named curve of a TLS 1.2
	// ServerKeyExchange; 0 when none of those was seen.
	Group suites.Group
	// ServerHello is the parsed ServerHello or HelloRetryRequest.
	ServerHello *wire.ServerHello
	// Certificates is the TLS 1.2 Certificate message's chain, DER, leaf
	// first, when Probe.ReadFlight asked for it.
	Certificates [][]byte
	// ServerKeyExchange is the TLS 1.2 ServerKeyExchange, when
	// Probe.ReadFlight asked for it and the suite has one.
	ServerKeyExchange *wire.ServerKeyExchange
	// OCSPResponse is the TLS 1.2 CertificateStatus message's response
	// (RFC 6066 §8), when Probe.ReadFlight asked for the flight and the
	// server stapled one.
	OCSPResponse []byte
	// Alert is the alert of OutcomeAlert.
	Alert wire.Alert
	// Err explains OutcomeClosed, OutcomeTimeout, OutcomeNotTLS,
	// OutcomeMalformed and OutcomeUnreachable.
	Err error
	// Elapsed is the time from dialling to the answer.
	Elapsed time.Duration
}

// Agreed reports whether the server agreed to go on with the hello: a
// ServerHello or a HelloRetryRequest.
func (r *Result) Agreed() bool {
	return r.Outcome == OutcomeAccepted || r.Outcome == OutcomeRetry
}

// SpokeTLS reports whether the server answered in TLS at all: a hello or
// an alert.
func (r *Result) SpokeTLS() bool {
	return r.Agreed() || r.Outcome == OutcomeAlert
}

// Summary says in a few words what the server answered, for reports:
// "ServerHello TLS 1.2 TLS_RSA_WITH_AES_128_GCM_SHA256", "alert
// protocol_version", "closed the connection".
func (r *Result) Summary() string {
	switch r.Outcome {
	case OutcomeAccepted:
		return fmt.Sprintf("ServerHello %v %v", r.Version, r.Suite)
	case OutcomeRetry:
		return fmt.Sprintf("HelloRetryRequest %v for %v", r.Version, r.Group)
	case OutcomeAlert:
		return fmt.Sprintf("alert %v", r.Alert.Description)
	case OutcomeClosed:
		return "closed the connection"
	case OutcomeTimeout:
		return "no answer before the timeout"
	}
	if r.Err != nil {
		return fmt.Sprintf("%v: %v", r.Outcome, r.Err)
	}
	return r.Outcome.String()
}
