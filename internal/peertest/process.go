package peertest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// startTimeout bounds how long a server may take to listen.
	startTimeout = 10 * time.Second
	// clientTimeout bounds one client run, so that a peer waiting for input
	// that never comes fails the test instead of hanging it.
	clientTimeout = 20 * time.Second
	// startAttempts is how often a server start is retried on a fresh port
	// when the port FreePort chose was taken in the meantime.
	startAttempts = 3
)

// Process is a started peer: a server from one of the Start functions.
type Process struct {
	// Cmd is the running command. Its Stdout, Stderr and Stdin belong to the
	// Process; use Output and Send.
	Cmd *exec.Cmd
	// Addr is "127.0.0.1:PORT", the address the server listens on.
	Addr string
	// Port is the port of Addr.
	Port int

	out     *syncBuffer
	stdin   io.WriteCloser
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done is closed
	stop    sync.Once
}

// Output returns everything the process wrote to stdout and stderr so far,
// interleaved as written. Use it in failure messages and to check what a
// server reported (for example s_server's "Reused session-id").
func (p *Process) Output() string { return p.out.String() }

// WaitOutput polls Output until it contains substr or timeout passes, and
// reports whether it appeared. Peers print asynchronously to the TLS
// exchange, so a test checking server-side output right after its client
// finished must wait for it this way.
func (p *Process) WaitOutput(substr string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if strings.Contains(p.Output(), substr) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Send writes s to the process's standard input, which stays open for the
// life of the process. openssl s_server (without -www/-rev) reads commands
// there: "r\n" renegotiates (a HelloRequest in TLS 1.2; it prints
// "SSL_do_handshake -> 1"), "R\n" renegotiates and requests a client
// certificate, "Q\n" quits; any other line is sent to the client as
// application data.
//
// s_server handles each read from stdin as a whole: a command and data sent
// in one go may arrive in one read, and then everything after the command is
// dropped. Wait for a command's effect (WaitOutput) before sending more.
func (p *Process) Send(s string) error {
	_, err := io.WriteString(p.stdin, s)
	return err
}

// Exited reports whether the process has already ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop kills the process and waits for it to end. It is safe to call more
// than once and is registered with t.Cleanup by every Start function.
func (p *Process) Stop() {
	p.stop.Do(func() {
		p.stdin.Close()
		if p.Cmd.Process != nil {
			// SIGKILL straight away: the peers keep no state worth a graceful
			// shutdown, and some (selfserv) ignore SIGTERM while serving.
			p.Cmd.Process.Kill()
		}
		<-p.done
	})
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
//
// It binds port 0, reads the port the kernel chose and closes the socket, so
// another process may take the port before the peer binds it. The Start
// functions therefore retry on a fresh port when a server exits at start-up
// with an "address in use" error, and check that the listening socket on the
// port belongs to their own process.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("peertest: finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// pickPort chooses a server's port; tests replace it to make a start lose
// the race for its port.
var pickPort = FreePort

// startServer starts a server built by args(port) and waits until it listens
// on the port. The command line is logged so that a failing test shows how to
// reproduce the peer by hand.
func startServer(t testing.TB, bin string, env []string, args func(port int) []string) *Process {
	t.Helper()
	path, err := lookPath(bin)
	if err != nil {
		t.Fatalf("peertest: %s: %v", bin, err)
	}
	var lastOut string
	for attempt := 1; attempt <= startAttempts; attempt++ {
		port := pickPort(t)
		argv := args(port)
		p := &Process{
			Cmd:  exec.Command(path, argv...),
			Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			Port: port,
			out:  &syncBuffer{},
			done: make(chan struct{}),
		}
		p.Cmd.Env = append(os.Environ(), env...)
		p.Cmd.Stdout = p.out
		p.Cmd.Stderr = p.out
		// Never let the peer see end-of-file on stdin: s_server treats it as
		// "quit" once a client has connected.
		if p.stdin, err = p.Cmd.StdinPipe(); err != nil {
			t.Fatalf("peertest: %s: %v", bin, err)
		}
		p.Cmd.WaitDelay = 2 * time.Second
		t.Logf("peertest: starting server: %s", commandLine(env, bin, argv))
		if err := p.Cmd.Start(); err != nil {
			t.Fatalf("peertest: starting %s: %v", bin, err)
		}
		go func() {
			p.waitErr = p.Cmd.Wait()
			close(p.done)
		}()
		t.Cleanup(p.Stop)

		err := p.waitListening(startTimeout)
		// A peer that lost the port may still be running: gnutls-serv
		// reports the failed IPv4 bind, then listens on IPv6 only.
		inUse := errors.Is(err, errPortTaken) || addrInUse(p.Output())
		if err == nil && !inUse {
			return p
		}
		if inUse && attempt < startAttempts {
			p.Stop()
			t.Logf("peertest: %s lost the race for port %d, retrying", bin, port)
			lastOut = p.Output()
			continue
		}
		p.Stop()
		if err == nil {
			err = errors.New("port already in use")
		}
		t.Fatalf("peertest: %s did not start listening on %s: %v\n--- %s output ---\n%s", bin, p.Addr, err, bin, p.Output())
	}
	t.Fatalf("peertest: %s: no free port after %d attempts; last output:\n%s", bin, startAttempts, lastOut)
	return nil
}

// waitListening polls until the process has a listening TCP socket on p.Port.
//
// It looks the socket up in /proc instead of connecting to it: a probe
// connection would count against s_server -naccept, show up as a failed
// handshake in the peer's output and could be answered by another process
// that owns the port. Where /proc is not readable it falls back to dialing.
func (p *Process) waitListening(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	useProc := procAvailable()
	for {
		if p.Exited() {
			return fmt.Errorf("exited early (%v)", p.waitErr)
		}
		if useProc {
			switch listeningInProc(p.Cmd.Process.Pid, p.Port) {
			case listenReady:
				return nil
			case listenPortTaken:
				return errPortTaken
			}
		} else if c, err := net.DialTimeout("tcp", p.Addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening after %v", timeout)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func procAvailable() bool {
	_, err := os.Stat("/proc/net/tcp")
	return err == nil
}

// errPortTaken: the process listens only on IPv6 because another process
// holds the IPv4 port (gnutls-serv does that), so 127.0.0.1 is not ours.
var errPortTaken = errors.New("port already in use on IPv4")

type listenState int

const (
	listenNotYet listenState = iota
	listenReady
	listenPortTaken
)

// listeningInProc reports whether process pid listens on port where tests
// connect (127.0.0.1): an IPv4 socket of its own, or an IPv6 one when no
// other process holds the IPv4 port (a dual-stack socket). An IPv6 socket
// of its own next to someone else's IPv4 one means the port was taken.
func listeningInProc(pid, port int) listenState {
	v4 := listeningInodes("/proc/net/tcp", port)
	v6 := listeningInodes("/proc/net/tcp6", port)
	owned := socketsOf(pid)
	ownsV4, ownsV6 := false, false
	for inode := range v4 {
		ownsV4 = ownsV4 || owned[inode]
	}
	for inode := range v6 {
		ownsV6 = ownsV6 || owned[inode]
	}
	switch {
	case ownsV4:
		return listenReady
	case ownsV6 && len(v4) > 0:
		return listenPortTaken
	case ownsV6:
		return listenReady
	}
	return listenNotYet
}

// listeningInodes lists the socket inodes in LISTEN state on port in one
// /proc/net table.
func listeningInodes(table string, port int) map[string]bool {
	inodes := map[string]bool{}
	data, err := os.ReadFile(table)
	if err != nil {
		return inodes
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Scan() // header line
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != "0A" { // 0A is TCP_LISTEN
			continue
		}
		i := strings.LastIndexByte(fields[1], ':')
		lp, err := strconv.ParseUint(fields[1][i+1:], 16, 16)
		if err != nil || int(lp) != port {
			continue
		}
		inodes["socket:["+fields[9]+"]"] = true
	}
	return inodes
}

// socketsOf lists the socket links among a process's file descriptors.
func socketsOf(pid int) map[string]bool {
	out := map[string]bool{}
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(fdDir)
	if err != nil {
		return out
	}
	for _, e := range ents {
		if link, err := os.Readlink(fdDir + "/" + e.Name()); err == nil {
			out[link] = true
		}
	}
	return out
}

// addrInUse recognises each peer's report of a taken port: OpenSSL and
// GnuTLS print strerror's "Address already in use", selfserv prints NSPR's
// "Local Network address is in use".
func addrInUse(out string) bool {
	out = strings.ToLower(out)
	return strings.Contains(out, "address already in use") ||
		strings.Contains(out, "address is in use") ||
		strings.Contains(out, "addr_in_use") ||
		strings.Contains(out, "eaddrinuse")
}

// runClient runs a client peer to completion with stdin as its standard
// input (closed after the data), bounded by clientTimeout.
func runClient(t testing.TB, bin string, env []string, stdin string, argv []string) (string, error) {
	t.Helper()
	path, err := lookPath(bin)
	if err != nil {
		t.Fatalf("peertest: %s: %v", bin, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, argv...)
	cmd.Env = append(os.Environ(), env...)
	var out syncBuffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.Stdin = strings.NewReader(stdin)
	cmd.WaitDelay = 2 * time.Second
	t.Logf("peertest: running client: %s", commandLine(env, bin, argv))
	err = cmd.Run()
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		err = fmt.Errorf("%s timed out after %v (waiting for the server to close? see the Run function's doc): %w", bin, clientTimeout, err)
	case err != nil:
		err = fmt.Errorf("%s: %w", bin, err)
	}
	return out.String(), err
}

// commandLine renders a command as a shell line that can be pasted to
// reproduce a peer run by hand.
func commandLine(env []string, bin string, argv []string) string {
	parts := append(append([]string{}, env...), bin)
	for _, a := range argv {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,+@%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// maxOutput caps what is kept of one process's output. A peer stuck in a
// verbose loop (tstclnt -v polling a closed stdin prints megabytes a second)
// must not exhaust memory or flood the test log.
const maxOutput = 4 << 20

// syncBuffer is a bytes.Buffer safe for a writing process and a reading
// test, keeping at most maxOutput bytes.
type syncBuffer struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	truncated bool
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := maxOutput - b.buf.Len(); len(p) > room {
		if room > 0 {
			b.buf.Write(p[:room])
		}
		if !b.truncated {
			b.truncated = true
			b.buf.WriteString("\n[peertest: output truncated]\n")
		}
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
