package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/clasp-tls/clasp/scan"
)

// clasp scan's list of targets (arguments and -f FILE), scanned several
// at once (--parallel), with progress on a terminal.

// scanTarget is one target, or a line of the targets file that is not one.
type scanTarget struct {
	addr string
	bad  error // the line's problem; the target is reported, not scanned
}

type scanResult struct {
	report *scan.Report
	err    error
}

// scanTargetList is the arguments followed by the file's targets. A file
// line that is not HOST:PORT becomes a target with its error, so it is a
// clear line in the report and a failure in the exit status, never a stop.
func scanTargetList(args []string, file string) ([]scanTarget, error) {
	var list []scanTarget
	for _, a := range args {
		list = append(list, scanTarget{addr: a})
	}
	if file == "" {
		return list, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, usageErrorf("-f: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		t := scanTarget{addr: line}
		if _, _, err := net.SplitHostPort(line); err != nil {
			t.bad = fmt.Errorf("%s line %d: %q is not HOST:PORT", file, n, line)
		}
		list = append(list, t)
	}
	if err := sc.Err(); err != nil {
		return nil, usageErrorf("-f %s: %v", file, err)
	}
	if len(list) == 0 {
		return nil, usageErrorf("-f %s: no targets", file)
	}
	return list, nil
}

// runScans scans the list, --parallel targets at once; results are in
// list order whatever order the scans end in.
func runScans(ctx context.Context, list []scanTarget, opts *scanOptions, base scan.Options, stderr io.Writer) []scanResult {
	results := make([]scanResult, len(list))
	parallel := max(opts.parallel, 1)
	progress := newScanProgress(stderr, len(list))
	slots := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, t := range list {
		if t.bad != nil {
			results[i] = scanResult{err: t.bad}
			continue
		}
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			o := base
			o.ServerName = opts.serverName
			if host, _, _ := net.SplitHostPort(t.addr); o.ServerName == "" && net.ParseIP(host) == nil {
				o.ServerName = host
			}
			o.Progress = progress.tracker(t.addr)
			rep, err := scan.Scan(ctx, t.addr, o)
			progress.done(t.addr, rep, err)
			results[i] = scanResult{rep, err}
		})
	}
	wg.Wait()
	progress.finish()
	return results
}

// scanProgress writes what is being probed to a terminal: a status line
// rewritten in place, and one line per finished target. On anything that
// is not a terminal it writes nothing.
type scanProgress struct {
	mu        sync.Mutex
	w         io.Writer
	total     int
	finished  int
	last      time.Time
	lastCheck string
}

func newScanProgress(stderr io.Writer, total int) *scanProgress {
	f, ok := stderr.(*os.File)
	if !ok {
		return &scanProgress{}
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return &scanProgress{}
	}
	return &scanProgress{w: stderr, total: total}
}

// tracker is a target's scan.Options.Progress: the line names the target,
// the check running as "check N of M", the connections opened, and with
// several targets how many are done. It is rewritten at most every 100 ms,
// and at once when a check starts.
func (p *scanProgress) tracker(target string) func(scan.Progress) {
	if p.w == nil {
		return nil
	}
	return func(now scan.Progress) {
		p.mu.Lock()
		defer p.mu.Unlock()
		check := target + " " + now.Check
		if time.Since(p.last) < 100*time.Millisecond && check == p.lastCheck {
			return
		}
		p.last, p.lastCheck = time.Now(), check
		line := fmt.Sprintf("scanning %s: check %d of %d, %s; %d connections", target, now.CheckNumber, now.Checks, now.Check, now.Connections)
		if p.total > 1 {
			line += fmt.Sprintf(" (target %d of %d done)", p.finished, p.total)
		}
		fmt.Fprint(p.w, "\r\033[K"+line)
	}
}

func (p *scanProgress) done(target string, rep *scan.Report, err error) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finished++
	if err != nil {
		fmt.Fprintf(p.w, "\r\033[K%s: could not be scanned (%d of %d)\n", target, p.finished, p.total)
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%s: %d connections in %.2f s (%d of %d)\n", target, rep.Connections, float64(rep.DurationMS)/1000, p.finished, p.total)
}

func (p *scanProgress) finish() {
	if p.w != nil {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
