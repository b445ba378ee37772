package scan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// maxFlightMessages bounds the TLS 1.2 flight read after a ServerHello
// (Certificate, CertificateStatus, ServerKeyExchange, CertificateRequest,
// ServerHelloDone, and room for a server that sends something odd).
const maxFlightMessages = 8

// exchange writes the ClientHello and reads the server's answer.
func exchange(conn net.Conn, hello []byte, p *Probe) *Result {
	l := record.NewLayer(conn)
	if p.RecordVersion != 0 {
		l.SetVersion(p.RecordVersion)
	}
	err := l.WriteRecord(wire.ContentHandshake, hello)
	if err == nil {
		err = l.Flush()
	}
	if err != nil {
		// A server that resets the connection as soon as it accepts it
		// fails the write; that is a close, not a local fault.
		return failed(err)
	}
	// Accept any 0x03XX record version in the answer: a server may
	// answer an SSL 3.0 hello with TLS 1.2 records, and that is an answer.
	l.SetVersion(0)
	in := &reader{layer: l}
	raw, err := in.next()
	if err != nil {
		return failed(err)
	}
	if wire.HandshakeType(raw[0]) != wire.TypeServerHello {
		return &Result{Outcome: OutcomeMalformed, Err: fmt.Errorf("the server answered with %v, not a ServerHello", wire.HandshakeType(raw[0]))}
	}
	sh, err := wire.ParseServerHello(raw[4:])
	if err != nil {
		return &Result{Outcome: OutcomeMalformed, Err: fmt.Errorf("ServerHello: %w", err)}
	}
	res := helloResult(sh)
	if p.ReadFlight && res.Outcome == OutcomeAccepted && res.Version < suites.VersionTLS13 {
		res.Err = readFlight(in, res)
	}
	return res
}

// helloResult reads the choices out of a ServerHello or HelloRetryRequest.
func helloResult(sh *wire.ServerHello) *Result {
	res := &Result{Outcome: OutcomeAccepted, ServerHello: sh, Version: sh.Version, Suite: sh.CipherSuite}
	if sh.IsHelloRetryRequest() {
		res.Outcome = OutcomeRetry
	}
	if sv, ok := wire.FindExtension[*wire.SupportedVersionsExt](sh.Extensions); ok && len(sv.Versions) == 1 {
		res.Version = sv.Versions[0]
	}
	if ks, ok := wire.FindExtension[*wire.KeyShareExt](sh.Extensions); ok {
		res.Group = ks.SelectedGroup
		if len(ks.Entries) == 1 {
			res.Group = ks.Entries[0].Group
		}
	}
	return res
}

// readFlight reads a TLS 1.2 (or earlier) server's messages after the
// ServerHello up to ServerHelloDone (RFC 5246 §7.3), keeping the
// certificates and the ServerKeyExchange. Its error says where the flight
// broke off; what was read before stays in res.
func readFlight(in *reader, res *Result) error {
	ctx := wire.Context{Version: res.Version}
	if s := suites.SuiteByID(res.Suite); s != nil {
		ctx.KeyExchange = s.KeyExchange
	}
	for range maxFlightMessages {
		raw, err := in.next()
		if err != nil {
			return fmt.Errorf("after the ServerHello: %w", describe(err))
		}
		msg, err := wire.ParseHandshake(raw, ctx)
		if err != nil {
			return fmt.Errorf("after the ServerHello: %w", err)
		}
		switch m := msg.(type) {
		case *wire.Certificate:
			res.Certificates = m.Certificates
		case *wire.ServerKeyExchange:
			res.ServerKeyExchange = m
			if m.ECDHE != nil {
				res.Group = m.ECDHE.Group
			}
		case *wire.CertificateStatus:
			res.OCSPResponse = m.Response
		case *wire.ServerHelloDone:
			return nil
		}
	}
	return fmt.Errorf("no ServerHelloDone within %d messages", maxFlightMessages)
}

// reader hands out the server's handshake messages one at a time, whole,
// and turns an alert record into an *alertError.
type reader struct {
	layer *record.Layer
	asm   record.Assembler
}

// alertError is an alert the server sent.
type alertError struct{ alert wire.Alert }

func (e *alertError) Error() string {
	return fmt.Sprintf("the server sent a %v %v alert", e.alert.Level, e.alert.Description)
}

func (in *reader) next() ([]byte, error) {
	for {
		if raw, ok := in.asm.Next(); ok {
			return bytes.Clone(raw), nil
		}
		typ, payload, err := in.layer.ReadRecord()
		if err != nil {
			return nil, err
		}
		switch typ {
		case wire.ContentHandshake:
			if err := in.asm.Add(payload); err != nil {
				return nil, err
			}
		case wire.ContentAlert:
			a, err := wire.ParseAlert(payload)
			if err != nil {
				return nil, err
			}
			return nil, &alertError{a}
		default:
			return nil, wire.Errorf(wire.AlertUnexpectedMessage, "a %v record where a handshake message was expected", typ)
		}
	}
}

// failed classifies an error met before any ServerHello.
func failed(err error) *Result {
	var ae *alertError
	var nt *record.NotTLSError
	var we *wire.Error
	switch {
	case errors.As(err, &ae):
		return &Result{Outcome: OutcomeAlert, Alert: ae.alert}
	case errors.As(err, &nt):
		return &Result{Outcome: OutcomeNotTLS, Err: err}
	case isTimeout(err):
		return &Result{Outcome: OutcomeTimeout, Err: err}
	case errors.As(err, &we):
		return &Result{Outcome: OutcomeMalformed, Err: err}
	}
	return &Result{Outcome: OutcomeClosed, Err: describe(err)}
}

// describe gives io.EOF, which says nothing on its own, a sentence.
func describe(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the server closed the connection")
	}
	return err
}
