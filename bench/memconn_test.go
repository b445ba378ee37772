package bench

import (
	"net"
	"sync"
	"time"
)

// memPipe returns the two ends of an in-memory connection whose writes
// never block: each direction is an unbounded byte queue. Unlike net.Pipe,
// a Write returns at once, so one goroutine can write a record on one end
// and read it on the other. BenchmarkBulkInMemory uses it to time what the
// stacks themselves do per record (seal, open, copies, buffer handling)
// without the kernel's TCP work and the goroutine wake-ups of a loopback
// connection, which are the same for both stacks and dominate the
// loopback figures' noise on a shared machine.
func memPipe() (a, b net.Conn) {
	ab, ba := newMemQueue(), newMemQueue()
	return &memConn{in: ba, out: ab}, &memConn{in: ab, out: ba}
}

// memQueue is one direction of a memPipe. Read blocks only while it is
// empty, which happens during the handshake (run on two goroutines), never
// in the benchmark's write-then-read loop.
type memQueue struct {
	mu     sync.Mutex
	ready  sync.Cond
	buf    []byte
	r      int
	closed bool
}

func newMemQueue() *memQueue {
	q := &memQueue{}
	q.ready.L = &q.mu
	return q
}

func (q *memQueue) write(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return 0, net.ErrClosed
	}
	if q.r == len(q.buf) {
		// Everything was read: reuse the buffer from its start, so that
		// the steady state allocates nothing.
		q.buf, q.r = q.buf[:0], 0
	}
	q.buf = append(q.buf, p...)
	q.ready.Broadcast()
	return len(p), nil
}

func (q *memQueue) read(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.r == len(q.buf) && !q.closed {
		q.ready.Wait()
	}
	if q.r == len(q.buf) {
		return 0, net.ErrClosed
	}
	n := copy(p, q.buf[q.r:])
	q.r += n
	return n, nil
}

func (q *memQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.ready.Broadcast()
	q.mu.Unlock()
}

// memConn is one end of a memPipe. Deadlines are accepted and ignored.
type memConn struct {
	in, out *memQueue
}

func (c *memConn) Read(p []byte) (int, error)         { return c.in.read(p) }
func (c *memConn) Write(p []byte) (int, error)        { return c.out.write(p) }
func (c *memConn) Close() error                       { c.in.close(); c.out.close(); return nil }
func (c *memConn) LocalAddr() net.Addr                { return memAddr{} }
func (c *memConn) RemoteAddr() net.Addr               { return memAddr{} }
func (c *memConn) SetDeadline(t time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(t time.Time) error { return nil }

type memAddr struct{}

func (memAddr) Network() string { return "mem" }
func (memAddr) String() string  { return "mem" }
