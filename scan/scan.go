package scan

import (
	"context"
	"crypto/x509"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
)

// Options choose how a scan connects.
type Options struct {
	// MaxConnections bounds the probes in flight at once (default 8).
	MaxConnections int
	// Timeout bounds each probe (default 5 s).
	Timeout time.Duration
	// Delay is the least time between two connections (default none).
	Delay time.Duration
	// Progress, when set, is called when each check starts and before
	// each connection, with the check running and the connections opened
	// so far. It may be called from several goroutines at once.
	Progress func(Progress)
	// ServerName is sent in SNI; empty sends none.
	ServerName string
	// Clients are simulated after the scan (ClientProfiles gives them
	// all); nil simulates none.
	Clients []*ClientProfile
	// Compliance checks the server against Mozilla's server-side TLS
	// profiles (modern, intermediate, old).
	Compliance bool
	// Roots are the CAs the certificates are judged against; nil means
	// the system's. RootsLabel names them in the report ("system" when
	// empty).
	Roots      *x509.CertPool
	RootsLabel string
	// Fleet, when above 0, makes that many connections per resumption
	// mechanism, each resuming the previous one's session, to judge the
	// servers behind the address (Report.Fleet).
	Fleet int
	// StartTLS names the protocol whose plain-text upgrade runs before
	// every probe (smtp, imap, pop3, ... as internal/starttls lists);
	// empty for a port that starts with TLS.
	StartTLS string
}

// Progress is where a scan is. The number of connections a check needs is
// known only once it has run (a suite search takes one per accepted suite),
// so "how many of how many" counts checks; connections are counted as
// opened.
type Progress struct {
	// Check names the check running ("cipher suites and groups").
	Check string
	// CheckNumber is the running check's place, from 1, among Checks.
	CheckNumber, Checks int
	// Connections is the number opened so far.
	Connections int
}

// scanStep is one check of a scan, run in order.
type scanStep struct {
	name string
	run  func(context.Context, *Report) error
}

// steps are the checks after the versions, as opts asks for them.
func (s *scanner) steps(opts Options) []scanStep {
	steps := []scanStep{
		{"cipher suites and groups", s.suitesAndGroups},
		{"certificates, signature schemes and DH parameters", s.keysAndStrength},
		{"session resumption", s.resumption},
	}
	if opts.Fleet > 0 {
		steps = append(steps, scanStep{"fleet", func(ctx context.Context, rep *Report) error { return s.fleet(ctx, rep, opts.Fleet) }})
	}
	steps = append(steps, scanStep{"extensions", s.extensions}, scanStep{"renegotiation", s.renegotiation},
		scanStep{"SSL 2.0, intolerance and weaknesses", s.weaknesses})
	if len(opts.Clients) > 0 || opts.Compliance {
		steps = append(steps, scanStep{"client simulation and compliance", func(ctx context.Context, rep *Report) error {
			return s.clientsAndCompliance(ctx, rep, opts)
		}})
	}
	return steps
}

// progressTracker tells Options.Progress where the scan is.
type progressTracker struct {
	report func(Progress)
	mu     sync.Mutex
	now    Progress
}

// start records that check number n of total, name, is running.
func (p *progressTracker) start(name string, n, total, connections int) {
	if p.report == nil {
		return
	}
	p.mu.Lock()
	p.now = Progress{Check: name, CheckNumber: n, Checks: total, Connections: connections}
	now := p.now
	p.mu.Unlock()
	p.report(now)
}

// dialing is the Runner's OnDial.
func (p *progressTracker) dialing(connections int) {
	p.mu.Lock()
	now := p.now
	p.mu.Unlock()
	now.Connections = connections
	p.report(now)
}

// scanner is one scan of one target: the Runner, the target, and the notes
// the checks collect.
type scanner struct {
	runner     *Runner
	addr       string
	serverName string
	roots      *x509.CertPool
	rootsLabel string

	mu    sync.Mutex
	notes []string
	// handshakesStalled is set once a full handshake timed out; the
	// whole-handshake checks then skip theirs (handshake.go).
	handshakesStalled atomic.Bool
}

func (s *scanner) note(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}

func (s *scanner) run(ctx context.Context, p *Probe) (*Result, error) {
	return s.runner.Run(ctx, s.addr, p)
}

// Scan probes the server at addr (HOST:PORT) for its protocol versions,
// its cipher suites per version with their order, and its groups. It
// returns an *Error when the scan cannot run (the server is unreachable,
// does not speak TLS, or never answers a ClientHello), and ctx's error when
// ctx ends first.
func Scan(ctx context.Context, addr string, opts Options) (*Report, error) {
	start := time.Now()
	progress := &progressTracker{report: opts.Progress}
	s := &scanner{
		runner: &Runner{MaxConnections: opts.MaxConnections, Timeout: opts.Timeout, Delay: opts.Delay,
			StartTLS: opts.StartTLS, StartTLSName: opts.ServerName},
		addr:       addr,
		serverName: opts.ServerName,
		roots:      opts.Roots,
		rootsLabel: opts.RootsLabel,
	}
	if opts.Progress != nil {
		s.runner.OnDial = progress.dialing
	}
	steps := s.steps(opts)
	progress.start("protocol versions", 1, len(steps)+1, 0)
	versions, err := s.versions(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{SchemaVersion: SchemaVersion, Target: addr, ServerName: opts.ServerName, StartTLS: opts.StartTLS, Versions: versions}
	for i, step := range steps {
		progress.start(step.name, i+2, len(steps)+1, s.runner.Connections())
		if err := step.run(ctx, rep); err != nil {
			return nil, err
		}
	}
	rep.Notes = s.notes
	rep.Connections = s.runner.Connections()
	rep.DurationMS = time.Since(start).Milliseconds()
	return rep, nil
}

// suitesAndGroups runs the suite enumeration of every supported version and
// the TLS 1.3 group check concurrently; the ECDHE group check follows the
// enumeration whose ECDHE suites it offers.
func (s *scanner) suitesAndGroups(ctx context.Context, rep *Report) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	perVersion := make([]*VersionSuites, len(rep.Versions))
	ecdheVersion := highestBelowTLS13(rep.Versions)
	for i, v := range rep.Versions {
		if !v.Supported {
			continue
		}
		wg.Go(func() {
			vs, err := s.suites(ctx, v)
			if err != nil {
				fail(err)
				return
			}
			perVersion[i] = vs
			if v.Version != ecdheVersion {
				return
			}
			list, err := s.ecdheGroups(ctx, vs)
			if err != nil {
				fail(err)
				return
			}
			rep.Groups.ECDHE = list
		})
		if v.Version == suites.VersionTLS13 {
			wg.Go(func() {
				list, err := s.tls13Groups(ctx)
				if err != nil {
					fail(err)
					return
				}
				rep.Groups.TLS13 = list
			})
		}
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	// Highest version first, as people read a server's suites.
	for i := len(perVersion) - 1; i >= 0; i-- {
		if perVersion[i] != nil {
			rep.CipherSuites = append(rep.CipherSuites, *perVersion[i])
		}
	}
	return nil
}

// highestBelowTLS13 is the version whose ECDHE curves are checked: the
// highest one before TLS 1.3 that the server speaks, or 0.
func highestBelowTLS13(vs []VersionSupport) suites.Version {
	var best suites.Version
	for _, v := range vs {
		if v.Supported && v.Version < suites.VersionTLS13 && v.Version > best {
			best = v.Version
		}
	}
	return best
}
