package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Some checks go past the server's first answer: a heartbeat after the
// server's flight, an early ChangeCipherSpec, an RSA ClientKeyExchange, an
// SSL 2.0 hello. They speak raw records on a connection the Runner opens
// (under the same connection limit and deadline as every probe) and read
// records of any content type, heartbeat included, which record.Layer
// refuses by design.

// errDial wraps a failure to open the connection, so a check can tell "the
// server said no" from "the server is not there".
type errDial struct{ err error }

func (e *errDial) Error() string { return "cannot connect: " + e.err.Error() }
func (e *errDial) Unwrap() error { return e.err }

// converse opens a connection to addr under the Runner's limits, hands it to
// fn and closes it. The connection's deadline is the Runner's timeout.
func (r *Runner) converse(ctx context.Context, addr string, fn func(net.Conn) error) error {
	r.init()
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-r.slots }()
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	r.connections.Add(1)
	conn, err := r.dial(ctx, addr)
	if err != nil {
		return &errDial{err}
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	return fn(conn)
}

// maxRawRecord bounds a record read raw: the largest TLS 1.0–1.2
// ciphertext (RFC 5246 §6.2.3).
const maxRawRecord = 1<<14 + 2048

// rawRecord is one record as it came: type, header version, payload.
type rawRecord struct {
	typ     wire.ContentType
	version suites.Version
	payload []byte
}

// writeRaw writes one unprotected record.
func writeRaw(w io.Writer, typ wire.ContentType, version suites.Version, payload []byte) error {
	out := make([]byte, 0, 5+len(payload))
	out = append(out, byte(typ), byte(version>>8), byte(version), byte(len(payload)>>8), byte(len(payload)))
	_, err := w.Write(append(out, payload...))
	return err
}

// readRaw reads one record of any content type. A header that is not TLS
// is a *record.NotTLSError; a record over the limit a wire.Error.
func readRaw(r io.Reader) (*rawRecord, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) && !record.LooksLikeTLS(hdr[:1]) {
			return nil, &record.NotTLSError{Prefix: hdr[:1]}
		}
		return nil, err
	}
	if !record.LooksLikeTLS(hdr[:]) {
		return nil, &record.NotTLSError{Prefix: bytes.Clone(hdr[:])}
	}
	n := int(hdr[3])<<8 | int(hdr[4])
	if n > maxRawRecord {
		return nil, wire.Errorf(wire.AlertRecordOverflow, "a record of %d bytes", n)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, err
	}
	return &rawRecord{typ: wire.ContentType(hdr[0]), version: suites.Version(hdr[1])<<8 | suites.Version(hdr[2]), payload: payload}, nil
}

// flight is the server's first flight as read raw: its ServerHello and, up
// to ServerHelloDone, its Certificate and ServerKeyExchange.
type flight struct {
	hello        *wire.ServerHello
	version      suites.Version
	certificates [][]byte
	kex          *wire.ServerKeyExchange
	// done is set when ServerHelloDone arrived.
	done bool
}

// handshakeReader reads handshake messages from raw records; an alert
// record becomes an *alertError, any other record an error naming it.
type handshakeReader struct {
	conn net.Conn
	asm  record.Assembler
}

func (h *handshakeReader) next() ([]byte, error) {
	for {
		if raw, ok := h.asm.Next(); ok {
			return bytes.Clone(raw), nil
		}
		rec, err := readRaw(h.conn)
		if err != nil {
			return nil, err
		}
		switch rec.typ {
		case wire.ContentHandshake:
			if err := h.asm.Add(rec.payload); err != nil {
				return nil, err
			}
		case wire.ContentAlert:
			a, err := wire.ParseAlert(rec.payload)
			if err != nil {
				return nil, err
			}
			return nil, &alertError{a}
		default:
			return nil, fmt.Errorf("a %v record where a handshake message was expected", rec.typ)
		}
	}
}

// sendHello writes the ClientHello in a record of recordVersion (0: TLS 1.0)
// and reads the server's flight up to ServerHelloDone (TLS 1.2 and below).
// An error before the ServerHello is what failed() classifies.
func sendHello(conn net.Conn, hello *wire.ClientHello, recordVersion suites.Version) (*flight, error) {
	raw, err := hello.Marshal()
	if err != nil {
		return nil, err
	}
	if recordVersion == 0 {
		recordVersion = suites.VersionTLS10
	}
	if err := writeRaw(conn, wire.ContentHandshake, recordVersion, raw); err != nil {
		return nil, err
	}
	in := &handshakeReader{conn: conn}
	msg, err := in.next()
	if err != nil {
		return nil, err
	}
	if wire.HandshakeType(msg[0]) != wire.TypeServerHello {
		return nil, wire.Errorf(wire.AlertUnexpectedMessage, "the server answered with %v, not a ServerHello", wire.HandshakeType(msg[0]))
	}
	sh, err := wire.ParseServerHello(msg[4:])
	if err != nil {
		return nil, err
	}
	res := helloResult(sh)
	f := &flight{hello: sh, version: res.Version}
	if res.Outcome != OutcomeAccepted || res.Version >= suites.VersionTLS13 {
		return f, nil
	}
	return f, f.readRest(in, res.Suite)
}

// readRest reads the messages after the ServerHello up to ServerHelloDone.
func (f *flight) readRest(in *handshakeReader, suite suites.ID) error {
	ctx := wire.Context{Version: f.version}
	if s := suites.SuiteByID(suite); s != nil {
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
			f.certificates = m.Certificates
		case *wire.ServerKeyExchange:
			f.kex = m
		case *wire.ServerHelloDone:
			f.done = true
			return nil
		}
	}
	return fmt.Errorf("no ServerHelloDone within %d messages", maxFlightMessages)
}

// answer is what the server did after a record the check sent: it sent
// an alert, a record of another type, closed, or stayed silent.
type answer struct {
	// kind is "alert", "record", "closed" or "silent".
	kind   string
	alert  wire.Alert
	record *rawRecord
}

func (a answer) String() string {
	switch a.kind {
	case "alert":
		return fmt.Sprintf("alert %v", a.alert.Description)
	case "record":
		return fmt.Sprintf("a %v record of %d bytes", a.record.typ, len(a.record.payload))
	case "closed":
		return "closed the connection"
	}
	return "no answer"
}

// awaitAnswer reads the first record the server sends within wait (or the
// connection's deadline, if sooner) and classifies it. A timeout is
// "silent", a close or reset "closed".
func awaitAnswer(conn net.Conn, wait time.Duration) answer {
	conn.SetReadDeadline(time.Now().Add(wait))
	rec, err := readRaw(conn)
	switch {
	case err != nil && isTimeout(err):
		return answer{kind: "silent"}
	case err != nil:
		return answer{kind: "closed"}
	case rec.typ == wire.ContentAlert:
		if a, err := wire.ParseAlert(rec.payload); err == nil {
			return answer{kind: "alert", alert: a}
		}
	}
	return answer{kind: "record", record: rec}
}
