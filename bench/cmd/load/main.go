// Command load opens thousands of TLS connections to `clasp serve` at
// once, holds them, closes them, and prints what the server says that cost:
// connections held, handshakes per second, errors, and the server's
// goroutines, RSS and live heap before, at the peak and after. See
// bench/README.md; bench/load.sh runs it with 10,000 connections.
//
//	load -clasp ./clasp -n 10000 [-- serve flags]   start `clasp serve` and load it
//	load -addr 127.0.0.1:8443 -stats http://127.0.0.1:9090/stats -n 10000
//	                                                load a server already running
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/clasp-tls/clasp/internal/loadgen"
)

type options struct {
	clasp       string
	addr, stats string
	conns       int
	concurrency int
	hold        time.Duration
	settle      time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.clasp, "clasp", "", "the clasp binary to start as `clasp serve --stats-addr 127.0.0.1:0` (arguments after -- go to serve)")
	flag.StringVar(&o.addr, "addr", "", "instead of -clasp: the address of a running clasp serve (echo mode)")
	flag.StringVar(&o.stats, "stats", "", "with -addr: the URL of its --stats-addr, http://HOST:PORT/stats")
	flag.IntVar(&o.conns, "n", 10000, "connections to open and hold at once")
	flag.IntVar(&o.concurrency, "c", 100, "connections being opened at a time")
	flag.DurationVar(&o.hold, "hold", 0, "how long to hold the connections before closing them")
	flag.DurationVar(&o.settle, "settle", 30*time.Second, "how long the server gets to return to its goroutines at rest after the close")
	flag.Parse()
	if err := run(o, flag.Args(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(o options, serveArgs []string, out io.Writer) error {
	if (o.clasp == "") == (o.addr == "") || (o.addr != "") != (o.stats != "") {
		return errors.New("give -clasp BINARY, or -addr and -stats of a running server")
	}
	if err := loadgen.RaiseOpenFileLimit(uint64(o.conns) + 256); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.clasp != "" {
		server, err := startServe(ctx, o.clasp, serveArgs)
		if err != nil {
			return err
		}
		defer server.stop()
		o.addr, o.stats = server.addr, server.stats
	}
	rep, err := measure(ctx, o)
	rep.print(out, o)
	if err == nil && rep.result.Errors > 0 {
		err = fmt.Errorf("%d connections failed: %w", rep.result.Errors, rep.result.Err)
	}
	return err
}

// served is a `clasp serve` this program started.
type served struct {
	cmd         *exec.Cmd
	addr, stats string
	exited      chan struct{}
}

// startServe starts clasp serve on free loopback ports and waits for it to
// say where it listens. Its log goes to stderr, except the line per
// handshake, which would be ten thousand lines.
func startServe(ctx context.Context, binary string, args []string) (*served, error) {
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--stats-addr", "127.0.0.1:0"}, args...)
	cmd := exec.CommandContext(ctx, binary, args...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &served{cmd: cmd, exited: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			if url, ok := strings.CutPrefix(line, "stats on "); ok {
				s.stats = url
			}
			if rest, ok := strings.CutPrefix(line, "listening on "); ok {
				s.addr, _, _ = strings.Cut(rest, " ")
				close(ready)
			}
			if isStartupOrProblem(line) {
				fmt.Fprintln(os.Stderr, "serve:", line)
			}
		}
		io.Copy(io.Discard, pipe)
		cmd.Wait()
		close(s.exited)
	}()
	select {
	case <-ready:
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("%s serve exited before listening", binary)
	case <-time.After(10 * time.Second):
		s.stop()
		return nil, fmt.Errorf("%s serve did not say where it listens within 10s", binary)
	}
}

// isStartupOrProblem keeps the server's lines worth reading: its start-up
// lines (no timestamp) and anything that failed.
func isStartupOrProblem(line string) bool {
	if len(line) < 4 || line[:2] != "20" || line[4] != '-' {
		return true
	}
	return strings.Contains(line, "failed") || strings.Contains(line, "accept:") || strings.Contains(line, "level=")
}

func (s *served) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}
