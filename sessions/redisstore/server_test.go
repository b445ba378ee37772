package redisstore_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// redisServer is a redis-server started by a test on a free loopback port,
// with persistence off so it writes nothing and a restart starts empty.
type redisServer struct {
	t    *testing.T
	port int
	dir  string

	mu   sync.Mutex
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{}
}

// startRedis starts redis-server and waits until it answers PING. A missing
// binary skips the test, or fails it under CI=true (peertest.Require).
func startRedis(t *testing.T) *redisServer {
	t.Helper()
	peertest.Require(t, "redis-server")
	s := &redisServer{t: t, dir: t.TempDir()}
	t.Cleanup(s.Stop)
	// The port is free when chosen but may be taken before redis binds
	// it; a few fresh ports cover that race.
	var err error
	for range 3 {
		s.port = peertest.FreePort(t)
		if err = s.start(); err == nil {
			return s
		}
	}
	t.Fatal(err)
	return nil
}

// Addr is HOST:PORT.
func (s *redisServer) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is the redis:// URL for database db.
func (s *redisServer) URL(db int) string { return fmt.Sprintf("redis://%s/%d", s.Addr(), db) }

func (s *redisServer) start() error {
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir}
	s.t.Logf("starting: redis-server %q", args)
	cmd := exec.Command("redis-server", args...)
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.out, s.done = cmd, out, done
	s.mu.Unlock()

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("redis-server exited at start-up: %s", out)
		default:
		}
		if ping(s.Addr()) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	return fmt.Errorf("redis-server did not answer PING within 10s: %s", out)
}

// ping reports whether a Redis on addr answers PING.
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

// Stop kills the server (as a crash would) and waits for it to exit.
func (s *redisServer) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-done
}

// Restart starts the server again on the same port.
func (s *redisServer) Restart() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatal(err)
	}
}

// Pause and Resume stop and continue the server process (SIGSTOP,
// SIGCONT): the kernel still accepts connections, but nothing answers, the
// way a Redis stuck in a long command or behind a dead link looks.
func (s *redisServer) Pause()  { s.signal(syscall.SIGSTOP) }
func (s *redisServer) Resume() { s.signal(syscall.SIGCONT) }

func (s *redisServer) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.cmd.Process.Signal(sig)
	}
}
