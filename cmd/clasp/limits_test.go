package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
)

// closedWithin waits for the server to close conn and returns how long
// that took from start and what, if anything, it sent first.
func closedWithin(t *testing.T, conn net.Conn, start time.Time) (time.Duration, []byte) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server did not close the connection within 10s")
	}
	// EOF, or a reset when the server closes with our bytes unread.
	return time.Since(start), got
}

// A client that stalls or trickles its handshake is disconnected at
// --handshake-timeout, however much progress it makes; clasp sends no
// alert (TLS has none for a timeout) and logs why.
func TestServeHandshakeTimeoutClosesSlowClients(t *testing.T) {
	s := startServe(t, "--handshake-timeout", "1s")
	trickle := func(conn net.Conn, first []byte, every time.Duration) {
		if _, err := conn.Write(first); err != nil || every == 0 {
			return
		}
		for {
			time.Sleep(every)
			if _, err := conn.Write([]byte{0}); err != nil {
				return
			}
		}
	}
	for _, tc := range []struct {
		name  string
		first []byte
		every time.Duration
	}{
		{"one byte then silence", []byte{22}, 0},
		// A handshake record announcing 4000 bytes, then a byte every
		// 100 ms: a slow-loris that a per-read timeout would never catch.
		{"a byte every 100ms", []byte{22, 3, 1, 0x0f, 0xa0}, 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			conn, err := net.Dial("tcp", s.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			go trickle(conn, tc.first, tc.every)
			elapsed, got := closedWithin(t, conn, start)
			if elapsed < 900*time.Millisecond || elapsed > 4*time.Second {
				t.Errorf("closed after %s, want about 1s", elapsed)
			}
			if len(got) != 0 {
				t.Errorf("the server sent %x before closing, want nothing", got)
			}
		})
	}
	// A client that sends its ClientHello and nothing after: the server's
	// flight goes out, then it waits for the client's Finished.
	t.Run("ClientHello then silence", func(t *testing.T) {
		start := time.Now()
		raw, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		conn := tls.Client(&stallingConn{Conn: raw, writes: 1}, pinnedConfig(s.fingerprint))
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		err = conn.Handshake()
		elapsed := time.Since(start)
		if err == nil {
			elapsed, _ = closedWithin(t, conn, start)
		}
		// On a machine busy enough to hold the server's flight back for a
		// second, the timeout ends the client's handshake instead.
		if elapsed < 900*time.Millisecond || elapsed > 4*time.Second {
			t.Errorf("closed after %s, want about 1s (client handshake: %v)", elapsed, err)
		}
	})
	if !waitLog(s, "handshake failed: ", 3) || strings.Count(s.stderr.String(), "did not complete within the handshake timeout (1s)") < 3 {
		t.Errorf("serve does not log three handshake timeouts:\n%s", s.stderr)
	}
}

// stallingConn lets the first writes through and then swallows every
// write: a peer that stops answering in the middle of a handshake.
type stallingConn struct {
	net.Conn
	mu     sync.Mutex
	writes int // writes still let through
}

func (c *stallingConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	pass := c.writes > 0
	c.writes--
	c.mu.Unlock()
	if !pass {
		return len(b), nil
	}
	return c.Conn.Write(b)
}

func (c *stallingConn) allow(n int) {
	c.mu.Lock()
	c.writes = n
	c.mu.Unlock()
}

// A renegotiation the client starts happens inside the server's Read, where
// only the idle timeout would bound it; --handshake-timeout bounds it too.
func TestServeHandshakeTimeoutBoundsAClientRenegotiation(t *testing.T) {
	s := startServe(t, "--max-version", "1.2", "--renegotiation", "freely", "--handshake-timeout", "1s")
	raw, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	stall := &stallingConn{Conn: raw, writes: 1 << 30}
	conn := clasp.Client(stall, &clasp.Config{InsecureSkipVerify: true, MaxVersion: clasp.VersionTLS12})
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "ping"); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(conn, make([]byte, 4)); err != nil {
		t.Fatalf("echo before the renegotiation: %v", err)
	}
	// The renegotiating ClientHello reaches the server; the client's
	// second flight does not.
	stall.allow(1)
	start := time.Now()
	err = conn.Renegotiate(context.Background(), nil)
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("the renegotiation completed without the client's second flight")
	}
	if elapsed < 900*time.Millisecond || elapsed > 4*time.Second {
		t.Errorf("the server gave up after %s, want about 1s (%v)", elapsed, err)
	}
	if !waitLog(s, "renegotiation failed: the handshake did not complete within the handshake timeout (1s)", 1) {
		t.Errorf("serve does not log the renegotiation's timeout:\n%s", s.stderr)
	}
}

// An established connection on which nothing happens for --idle-timeout is
// closed with close_notify; traffic keeps it open.
func TestServeIdleTimeoutClosesQuietConnections(t *testing.T) {
	s := startServe(t, "--idle-timeout", "2s")
	if !strings.Contains(s.stderr.String(), "timeouts: handshake 10s, idle 2s") {
		t.Errorf("serve does not announce its timeouts:\n%s", s.stderr)
	}
	conn, err := tls.Dial("tcp", s.addr, pinnedConfig(s.fingerprint))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	// Traffic every 300 ms for 1.5 s: never idle for 2s, with a margin for
	// a loaded machine's scheduling delays.
	for range 5 {
		if _, err := io.WriteString(conn, "ping"); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(conn, make([]byte, 4)); err != nil {
			t.Fatalf("echo while active: %v", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	start := time.Now()
	_, err = conn.Read(make([]byte, 1))
	elapsed := time.Since(start)
	if err != io.EOF {
		t.Errorf("read on the idle connection: %v, want EOF (the server's close_notify)", err)
	}
	// 300 ms of the two seconds passed during the last sleep.
	if elapsed < time.Second || elapsed > 6*time.Second {
		t.Errorf("closed %s after the last sleep, want about 1.7s", elapsed)
	}
	if !waitLog(s, "idle for 2s (--idle-timeout): closing", 1) {
		t.Errorf("serve does not log the idle close:\n%s", s.stderr)
	}
	if s.stop(t) != 0 {
		t.Error("serve did not exit cleanly")
	}
}

func TestServeLimitFlagsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--handshake-timeout", "0"}, "--handshake-timeout 0s: want a positive duration"},
		{[]string{"serve", "--idle-timeout", "-1s"}, "--idle-timeout -1s: want a positive duration, or 0 for none"},
		{[]string{"serve", "--stats-addr", "0.0.0.0:9090"}, "want a loopback address"},
		{[]string{"serve", "--stats-addr", "nonsense"}, `--stats-addr "nonsense"`},
	} {
		r := runClasp(t, nil, tc.args...)
		if r.exitCode != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("clasp %v: exit %d, stderr %q; want exit %d and %q", tc.args, r.exitCode, r.stderr, exitUsage, tc.want)
		}
	}
}
