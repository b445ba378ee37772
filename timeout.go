package clasp

import (
	"context"
	"fmt"
	"time"
)

// listenerHandshakeTimeout is the handshake timeout of a connection a
// Listener accepts when its Config sets none. http.Server runs a clasp
// handshake inside its first Read, which only its ReadTimeout or
// ReadHeaderTimeout bound (both zero by default), so without this a client
// that never finishes its handshake would hold a connection and a goroutine
// for as long as it likes. Ten seconds is `clasp serve`'s default too.
const listenerHandshakeTimeout = 10 * time.Second

// HandshakeTimeoutError is the error of a handshake that did not complete
// within Config.HandshakeTimeout (or a Listener's default). It matches
// context.DeadlineExceeded under errors.Is and is a net.Error whose
// Timeout is true.
type HandshakeTimeoutError struct {
	// Limit is the timeout that ran out.
	Limit time.Duration
}

func (e *HandshakeTimeoutError) Error() string {
	return fmt.Sprintf("the handshake did not complete within the handshake timeout (%s)", e.Limit)
}

// Unwrap makes errors.Is(err, context.DeadlineExceeded) hold.
func (e *HandshakeTimeoutError) Unwrap() error { return context.DeadlineExceeded }

// Timeout reports true, as net.Error's Timeout does for deadlines.
func (e *HandshakeTimeoutError) Timeout() bool { return true }

// Temporary reports false: the connection is unusable.
func (e *HandshakeTimeoutError) Temporary() bool { return false }

// withHandshakeTimeout bounds ctx by the connection's handshake timeout,
// if it has one. When that timeout is what ends ctx, context.Cause(ctx) is
// a *HandshakeTimeoutError.
func (c *Conn) withHandshakeTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.handshakeTimeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, c.handshakeTimeout, &HandshakeTimeoutError{Limit: c.handshakeTimeout})
}
