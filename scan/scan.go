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
	// Progress, when set, is called before each connection with the
	// number opened so far.
	Progress func(connections int)
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
	s := &scanner{
		runner: &Runner{MaxConnections: opts.MaxConnections, Timeout: opts.Timeout, Delay: opts.Delay,
			OnDial: opts.Progress, StartTLS: opts.StartTLS, StartTLSName: opts.ServerName},
		addr:       addr,
		serverName: opts.ServerName,
		roots:      opts.Roots,
		rootsLabel: opts.RootsLabel,
	}
	versions, err := s.versions(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{SchemaVersion: SchemaVersion, Target: addr, ServerName: opts.ServerName, StartTLS: opts.StartTLS, Versions: versions}
	if err := s.suitesAndGroups(ctx, rep); err != nil {
		return nil, err
	}
	if err := s.keysAndStrength(ctx, rep); err != nil {
		return nil, err
	}
	if err := s.resumption(ctx, rep); err != nil {
		return nil, err
	}
	if opts.Fleet > 0 {
		if err := s.fleet(ctx, rep, opts.Fleet); err != nil {
			return nil, err
		}
	}
	if err := s.extensions(ctx, rep); err != nil {
		return nil, err
	}
	if err := s.renegotiation(ctx, rep); err != nil {
		return nil, err
	}
	if err := s.weaknesses(ctx, rep); err != nil {
		return nil, err
	}
	if err := s.clientsAndCompliance(ctx, rep, opts); err != nil {
		return nil, err
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
