package interop

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// Helpers of the tests that run the clasp command with real parts
// (cmd_sessions_test.go, fleet_test.go): a `clasp serve` whose log can be
// read while it runs and which can be killed and started again on its
// address, redis-server, and HAProxy.

// serveProc is a running `clasp serve`.
type serveProc struct {
	t    *testing.T
	bin  string
	args []string
	addr string

	mu   sync.Mutex
	log  strings.Builder // every run's stderr, in order
	cmd  *exec.Cmd
	done chan struct{}
}

// startServeProc runs `clasp serve --addr ADDR ARGS...` and waits for
// "listening on". addr "127.0.0.1:0" picks a free port; a restart reuses
// the port it got.
func startServeProc(t *testing.T, bin, addr string, args ...string) *serveProc {
	t.Helper()
	p := &serveProc{t: t, bin: bin, args: args}
	p.start(addr)
	t.Cleanup(func() {
		p.stop()
		t.Logf("clasp serve %s log:\n%s", p.addr, p.Log())
	})
	return p
}

func (p *serveProc) start(addr string) {
	t := p.t
	t.Helper()
	cmd := exec.Command(p.bin, append([]string{"serve", "--addr", addr}, p.args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.WaitDelay = 2 * time.Second
	t.Logf("starting: clasp serve --addr %s %s", addr, strings.Join(p.args, " "))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	listening := make(chan string, 1)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log.WriteString(line + "\n")
			p.mu.Unlock()
			if rest, ok := strings.CutPrefix(line, "listening on "); ok {
				listening <- strings.Fields(rest)[0]
			}
		}
		_ = cmd.Wait()
	}()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	select {
	case a := <-listening:
		p.addr = a
	case <-done:
		t.Fatalf("clasp serve exited before listening:\n%s", p.Log())
	case <-time.After(15 * time.Second):
		t.Fatalf("clasp serve did not start listening:\n%s", p.Log())
	}
}

// Log is everything the server wrote to stderr so far, over all its runs.
func (p *serveProc) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// waitLog polls until the log holds substr n times.
func (p *serveProc) waitLog(substr string, n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for strings.Count(p.Log(), substr) < n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// kill ends the server abruptly (SIGKILL), as a crash would.
func (p *serveProc) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	_ = cmd.Process.Kill()
	<-done
}

// stop ends the server with SIGTERM, its normal shutdown.
func (p *serveProc) stop() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd.ProcessState != nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// restart starts the server again on the address it had.
func (p *serveProc) restart() {
	p.t.Helper()
	p.start(p.addr)
}

// handshakeLine matches clasp serve's line for a completed handshake:
// "TIME PEER TLS 1.x SUITE ...".
var handshakeLine = regexp.MustCompile(`(?m)^\S+ \S+ TLS 1\.[0-3] \S+.*$`)

// handshakeLines are the server's handshake lines so far.
func (p *serveProc) handshakeLines() []string {
	return handshakeLine.FindAllString(p.Log(), -1)
}

// redisProc is a redis-server on a loopback port, without persistence.
type redisProc struct {
	port int
	cmd  *exec.Cmd
	out  *lockedBuf
	done chan struct{}
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startRedis runs redis-server on a free port with nothing saved to disk.
func startRedis(t *testing.T) *redisProc {
	t.Helper()
	peertest.Require(t, "redis-server")
	port := peertest.FreePort(t)
	dir := t.TempDir()
	r := &redisProc{port: port, out: &lockedBuf{}, done: make(chan struct{})}
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	r.cmd.WaitDelay = 2 * time.Second
	t.Logf("starting: %s", strings.Join(r.cmd.Args, " "))
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		r.kill()
		t.Logf("redis-server output:\n%s", r.out.String())
	})
	if err := waitPort(fmt.Sprintf("127.0.0.1:%d", port), r.done, 10*time.Second); err != nil {
		t.Fatalf("redis-server: %v\n%s", err, r.out.String())
	}
	return r
}

func (r *redisProc) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

// kill stops redis-server at once.
func (r *redisProc) kill() {
	select {
	case <-r.done:
	default:
		_ = r.cmd.Process.Kill()
		<-r.done
	}
}

// startHAProxy runs HAProxy in the foreground (-db) with a generated
// configuration: TCP mode, round-robin between backends, listening on a
// free loopback port, whose address it returns once it accepts.
func startHAProxy(t *testing.T, backends ...string) string {
	t.Helper()
	peertest.Require(t, "haproxy")
	bin := "haproxy"
	if _, err := exec.LookPath(bin); err != nil {
		for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
			if _, err := os.Stat(filepath.Join(dir, "haproxy")); err == nil {
				bin = filepath.Join(dir, "haproxy")
				break
			}
		}
	}
	addr := fmt.Sprintf("127.0.0.1:%d", peertest.FreePort(t))
	var b strings.Builder
	fmt.Fprintf(&b, `global
    maxconn 256

defaults
    mode tcp
    timeout connect 2s
    timeout client 20s
    timeout server 20s

frontend tls
    bind %s
    default_backend clasp

backend clasp
    balance roundrobin
`, addr)
	for i, be := range backends {
		fmt.Fprintf(&b, "    server backend%d %s\n", i+1, be)
	}
	cfgFile := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(cfgFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := &lockedBuf{}
	cmd := exec.Command(bin, "-db", "-f", cfgFile)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 2 * time.Second
	t.Logf("starting: %s -db -f %s with:\n%s", bin, cfgFile, b.String())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		t.Logf("haproxy output:\n%s", out.String())
	})
	if err := waitPort(addr, done, 10*time.Second); err != nil {
		t.Fatalf("haproxy: %v\n%s", err, out.String())
	}
	return addr
}

// waitPort polls until addr accepts a TCP connection, the process exits
// (done closes) or timeout passes. The probe connection is closed at once;
// neither Redis nor HAProxy minds.
func waitPort(addr string, done <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-done:
			return errors.New("exited before listening on " + addr)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listens on %s after %s: %w", addr, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// echoExchange connects a clasp client to an echo server, sends a line,
// reads it back (which also takes in a TLS 1.3 ticket sent before it) and
// closes, returning the client's view of the handshake.
func echoExchange(addr string, cfg *clasp.Config) (clasp.ConnectionState, error) {
	conn, err := clasp.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return clasp.ConnectionState{}, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	const line = "ping through the fleet\n"
	if _, err := io.WriteString(conn, line); err != nil {
		return conn.ConnectionState(), err
	}
	got, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return conn.ConnectionState(), fmt.Errorf("reading the echo: %w", err)
	}
	if got != line {
		return conn.ConnectionState(), fmt.Errorf("echo %q, want %q", got, line)
	}
	return conn.ConnectionState(), nil
}
