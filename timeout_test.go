package clasp

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// A client that trickles its ClientHello a byte at a time makes progress
// all along, so a per-read deadline would never fire; HandshakeTimeout
// bounds the handshake as a whole. The server gives up silently: TLS has no
// alert for a timeout.
func TestHandshakeTimeoutBoundsATricklingClient(t *testing.T) {
	a, b := loopbackPair(t)
	cfg := testServerConfig(t)
	cfg.HandshakeTimeout = 300 * time.Millisecond
	server := Server(a, cfg)
	go func() {
		// A handshake record that announces 512 bytes, then one byte
		// every 20 ms until the server hangs up.
		if _, err := b.Write([]byte{22, 3, 1, 2, 0}); err != nil {
			return
		}
		for {
			time.Sleep(20 * time.Millisecond)
			if _, err := b.Write([]byte{0}); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	err := server.Handshake()
	elapsed := time.Since(start)
	var timeout *HandshakeTimeoutError
	if !errors.As(err, &timeout) || !errors.Is(err, context.DeadlineExceeded) || timeout.Limit != cfg.HandshakeTimeout {
		t.Fatalf("Handshake: %v, want a HandshakeTimeoutError of %s", err, cfg.HandshakeTimeout)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("the error is not a net.Error timeout: %v", err)
	}
	if elapsed < cfg.HandshakeTimeout || elapsed > 3*time.Second {
		t.Errorf("the handshake ended after %s, want about %s", elapsed, cfg.HandshakeTimeout)
	}
	if _, err := server.Read(make([]byte, 1)); !errors.As(err, &timeout) {
		t.Errorf("Read after the timeout: %v, want the handshake's error again", err)
	}
	server.Close()
	b.SetReadDeadline(time.Now().Add(5 * time.Second))
	if got, _ := io.ReadAll(b); len(got) != 0 {
		t.Errorf("the server sent %d bytes before closing (%x), want none: no alert for a timeout", len(got), got)
	}
}

// A Listener gives its connections a handshake timeout unless the Config
// chooses one (negative: none), since http.Server runs the handshake
// inside Read where nothing else bounds it.
func TestListenerDefaultHandshakeTimeout(t *testing.T) {
	for _, tc := range []struct {
		configured, want time.Duration
	}{
		{0, listenerHandshakeTimeout},
		{2 * time.Second, 2 * time.Second},
		{-1, -1},
	} {
		cfg := testServerConfig(t)
		cfg.HandshakeTimeout = tc.configured
		ln, err := Listen("tcp", "127.0.0.1:0", cfg)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		if got := c.(*Conn).handshakeTimeout; got != tc.want {
			t.Errorf("Config.HandshakeTimeout %s: the accepted connection has %s, want %s", tc.configured, got, tc.want)
		}
		c.Close()
		raw.Close()
		ln.Close()
	}
	if c := Server(nil, testServerConfig(t)); c.handshakeTimeout != 0 {
		t.Errorf("Server without HandshakeTimeout: %s, want none (as crypto/tls)", c.handshakeTimeout)
	}
}

// stallingConn passes the first writes and then swallows every write: a
// peer that stops answering in the middle of a handshake.
type stallingConn struct {
	net.Conn
	mu     sync.Mutex
	writes int // writes still passed
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

// A renegotiation the client starts runs inside the server's Read, where
// no caller's context reaches it; HandshakeTimeout bounds it all the same,
// and the connection is then unusable.
func TestHandshakeTimeoutBoundsAPeerRenegotiation(t *testing.T) {
	a, b := loopbackPair(t)
	serverCfg := testServerConfig(t)
	serverCfg.Renegotiation = RenegotiateFreelyAsClient
	server := Server(a, serverCfg)
	stall := &stallingConn{Conn: b, writes: 1 << 30}
	client := Client(stall, testClientConfig(t))
	handshakeBoth(t, client, server)
	// Only the renegotiation is timed: the first handshake ran without a
	// limit, so that a busy machine cannot fail it.
	server.handshakeTimeout = 300 * time.Millisecond
	serverErr := make(chan error, 1)
	go func() {
		_, err := server.Read(make([]byte, 1))
		serverErr <- err
	}()
	// The client's new ClientHello goes through, its second flight not.
	stall.mu.Lock()
	stall.writes = 1
	stall.mu.Unlock()
	start := time.Now()
	go client.Renegotiate(context.Background(), nil)
	var err error
	select {
	case err = <-serverErr:
	case <-time.After(5 * time.Second):
		t.Fatal("the server's Read still waits for the client's renegotiation after 5s")
	}
	var timeout *HandshakeTimeoutError
	if !errors.As(err, &timeout) || timeout.Limit != 300*time.Millisecond {
		t.Fatalf("server Read: %v, want a HandshakeTimeoutError of 300ms", err)
	}
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond || elapsed > 3*time.Second {
		t.Errorf("the renegotiation ended after %s, want about 300ms", elapsed)
	}
	if _, err := server.Write([]byte("x")); err == nil {
		t.Error("Write succeeded after the renegotiation timed out")
	}
}

// Renegotiate, on a server, waits for the client's answer to HelloRequest
// no longer than HandshakeTimeout, even with a context that never ends.
func TestHandshakeTimeoutBoundsRenegotiate(t *testing.T) {
	a, b := loopbackPair(t)
	server := Server(a, testServerConfig(t))
	client := Client(b, testClientConfig(t))
	handshakeBoth(t, client, server)
	server.handshakeTimeout = 300 * time.Millisecond
	// The client never reads, so it never sees the HelloRequest.
	start := time.Now()
	err := server.Renegotiate(context.Background(), nil)
	var timeout *HandshakeTimeoutError
	if !errors.As(err, &timeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Renegotiate: %v, want a HandshakeTimeoutError", err)
	}
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond || elapsed > 3*time.Second {
		t.Errorf("Renegotiate returned after %s, want about 300ms", elapsed)
	}
}
