package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/clasp-tls/clasp"
)

// outcome is one connection of a rate run.
type outcome struct {
	ok        bool
	err       error // a *phaseError
	latency   time.Duration
	state     clasp.ConnectionState
	bytesRead int64
}

// The phases of a connection, which name where it failed.
const (
	phaseConnect   = "connect"
	phaseHandshake = "handshake"
	phaseData      = "data"
	phaseClose     = "close"
)

// phaseError is a failure and the phase of the connection it ended.
type phaseError struct {
	phase string
	err   error
}

func (e *phaseError) Error() string { return e.phase + ": " + e.err.Error() }
func (e *phaseError) Unwrap() error { return e.err }

// connect makes one connection: TCP connect, handshake, the payload,
// then close_notify, reading until the server closes. Waiting for the
// server's close makes sure it has finished with the connection (and, in
// TLS 1.3, that its tickets have been read) before the next one starts.
func (w *rateWorker) connect(ctx context.Context) outcome {
	ctx, cancel := context.WithTimeout(ctx, w.o.Timeout)
	defer cancel()
	start := time.Now()
	raw, err := w.dialer.DialContext(ctx, "tcp", w.o.Addr)
	if err != nil {
		return outcome{err: &phaseError{phaseConnect, err}}
	}
	conn := clasp.Client(raw, w.cfg)
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	if err := conn.HandshakeContext(ctx); err != nil {
		return outcome{err: &phaseError{phaseHandshake, err}}
	}
	out := outcome{latency: time.Since(start), state: conn.ConnectionState()}
	n, err := w.exchange(conn)
	out.bytesRead = n
	if err != nil {
		out.err = &phaseError{phaseData, err}
		return out
	}
	// An HTTP response ends with the server's close; an echo server
	// closes after ours.
	if w.o.HTTPGet != "" {
		out.ok = true
		return out
	}
	if err := closeAndDrain(conn); err != nil {
		out.err = &phaseError{phaseClose, err}
		return out
	}
	out.ok = true
	return out
}

// exchange sends the payload and reads the answer: the echo, or the HTTP
// response until the server closes.
func (w *rateWorker) exchange(conn *clasp.Conn) (int64, error) {
	switch {
	case w.o.HTTPGet != "":
		return httpGet(conn, w.o.HTTPGet, w.cfg.ServerName, w.o.Addr)
	case len(w.payload) > 0:
		if _, err := conn.Write(w.payload); err != nil {
			return 0, err
		}
		echo := make([]byte, len(w.payload))
		n, err := io.ReadFull(conn, echo)
		if err != nil {
			return int64(n), fmt.Errorf("reading the echo: %d of %d bytes: %w", n, len(echo), err)
		}
		if !bytes.Equal(echo, w.payload) {
			return int64(n), errors.New("the echo differs from what was sent")
		}
		return int64(n), nil
	}
	return 0, nil
}

// httpGet asks for path with one HTTP/1.1 request and reads the response
// to its end (the server closes: Connection: close).
func httpGet(conn *clasp.Conn, path, serverName, addr string) (int64, error) {
	host := serverName
	if host == "" {
		host, _, _ = net.SplitHostPort(addr)
	}
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: clasp-bench\r\nConnection: close\r\n\r\n", path, host)
	if _, err := io.WriteString(conn, req); err != nil {
		return 0, err
	}
	counted := &countingReader{r: conn}
	br := bufio.NewReader(counted)
	status, err := br.ReadString('\n')
	if err != nil {
		return counted.n, fmt.Errorf("reading the HTTP status line: %w", err)
	}
	if len(status) < 12 || status[:7] != "HTTP/1." {
		return counted.n, fmt.Errorf("not an HTTP response: %q", trimTo(status, 40))
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return counted.n, fmt.Errorf("reading the HTTP response: %w", err)
	}
	if status[9] != '2' {
		return counted.n, fmt.Errorf("HTTP status %q", trimTo(status[9:], 40))
	}
	return counted.n, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// closeAndDrain sends close_notify and reads until the server closes.
// Data after the close (an HTTP server's unread answer) is discarded;
// a TLS 1.3 server's tickets are processed on the way.
func closeAndDrain(conn *clasp.Conn) error {
	if err := conn.CloseWrite(); err != nil {
		return err
	}
	_, err := io.Copy(io.Discard, conn)
	return err
}

func trimTo(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
