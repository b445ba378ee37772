package scan

import (
	"context"

	"github.com/clasp-tls/clasp/internal/suites"
)

// Checker runs single checks of a scan against one server, for callers that
// need one answer rather than a whole Report: `clasp connect` runs the few
// that name what a server accepts after a handshake it refused. The checks
// are the ones Scan runs, through one Runner, so the connection limit and
// the per-probe timeout hold across them.
type Checker struct {
	s *scanner
}

// NewChecker prepares checks of the server at addr (HOST:PORT).
func NewChecker(addr string, opts Options) *Checker {
	return &Checker{s: &scanner{
		runner:     &Runner{MaxConnections: opts.MaxConnections, Timeout: opts.Timeout, StartTLS: opts.StartTLS, StartTLSName: opts.ServerName},
		addr:       addr,
		serverName: opts.ServerName,
	}}
}

// Versions probes each of ScannedVersions, as Scan does. It returns an
// *Error when no probe got a TLS answer.
func (c *Checker) Versions(ctx context.Context) ([]VersionSupport, error) {
	return c.s.versions(ctx)
}

// Suites finds the suites the server accepts in v (a VersionSupport from
// Versions, which says whether only short lists got an answer) and their
// order.
func (c *Checker) Suites(ctx context.Context, v VersionSupport) (*VersionSuites, error) {
	return c.s.suites(ctx, v)
}

// TLS13Groups finds the groups the server accepts in TLS 1.3.
func (c *Checker) TLS13Groups(ctx context.Context) (*GroupList, error) {
	return c.s.tls13Groups(ctx)
}

// ECDHEGroups finds the curves the server uses with the ECDHE suites of vs
// (from Suites, a version before TLS 1.3); nil when vs has none.
func (c *Checker) ECDHEGroups(ctx context.Context, vs *VersionSuites) (*GroupList, error) {
	if vs == nil || vs.Version >= suites.VersionTLS13 {
		return nil, nil
	}
	return c.s.ecdheGroups(ctx, vs)
}

// Connections is the number of connections the checks opened so far.
// DHEParams reads the DHE group the server sends with the DHE suites it
// accepted in vs (one handshake); nil when it accepted none.
func (c *Checker) DHEParams(ctx context.Context, vs *VersionSuites) (*DHParams, error) {
	if vs == nil || vs.Version >= suites.VersionTLS13 {
		return nil, nil
	}
	return c.s.dheParams(ctx, vs)
}

func (c *Checker) Connections() int { return c.s.runner.Connections() }

// Notes are the unexpected things the checks saw, one sentence each.
func (c *Checker) Notes() []string {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return append([]string(nil), c.s.notes...)
}
