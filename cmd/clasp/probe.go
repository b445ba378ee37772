package main

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/diagnose"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/scan"
)

// probeBudget bounds the whole of connect's extra probes: a diagnosis that
// takes longer than the handshake it explains would not be read.
const probeBudget = 20 * time.Second

// probeAcceptance runs, after a refused ClientHello, the few checks of the
// scan engine that find what the server does accept: its versions, then the
// suites of the version both sides would use (or the server's highest), then
// that version's groups. The checks offer everything the registries hold, so
// they find suites and groups clasp itself cannot run.
func probeAcceptance(addr, startTLS string, cfg *clasp.Config, rec *diagnose.Recorder, timeout time.Duration) (*diagnose.Acceptance, error) {
	ctx, cancel := context.WithTimeout(context.Background(), probeBudget)
	defer cancel()
	perProbe := min(timeout, 5*time.Second)
	sni := cfg.ServerName
	if net.ParseIP(sni) != nil {
		sni = "" // clasp sends no SNI for an address either
	}
	c := scan.NewChecker(addr, scan.Options{MaxConnections: 4, Timeout: perProbe, ServerName: sni, StartTLS: startTLS})
	a := &diagnose.Acceptance{}
	step := func(check string, found []string, before int) {
		a.Probes = append(a.Probes, diagnose.ProbeStep{Check: check, Found: found, Connections: c.Connections() - before})
	}

	versions, err := c.Versions(ctx)
	if err != nil {
		return nil, err
	}
	var supported []scan.VersionSupport
	var names []string
	for _, v := range versions {
		if v.Supported {
			supported = append(supported, v)
			a.Versions = append(a.Versions, v.Version)
			names = append(names, v.Name)
		}
	}
	step("versions", names, 0)
	a.Version = diagnose.ProbeVersion(a.Versions, cfg)
	if a.Version == 0 {
		return a, nil
	}
	var target scan.VersionSupport
	for _, v := range supported {
		if v.Version == a.Version {
			target = v
		}
	}
	before := c.Connections()
	vs, err := c.Suites(ctx, target)
	if err != nil {
		return a, err
	}
	names = nil
	for _, s := range vs.Suites {
		a.Suites = append(a.Suites, s.ID)
		names = append(names, s.IANA)
	}
	step(a.Version.String()+" cipher suites", names, before)
	probeDHPrime(ctx, c, vs, a)

	before = c.Connections()
	var groups *scan.GroupList
	if a.Version == suites.VersionTLS13 {
		groups, err = c.TLS13Groups(ctx)
	} else {
		groups, err = c.ECDHEGroups(ctx, vs)
	}
	if err != nil {
		return a, err
	}
	if groups != nil {
		a.GroupsProbed = true
		names = nil
		for _, g := range groups.Groups {
			a.Groups = append(a.Groups, g.ID)
			names = append(names, g.IANA)
		}
		step(a.Version.String()+" groups", names, before)
	}
	if notes := c.Notes(); len(notes) > 0 {
		a.Probes[len(a.Probes)-1].Notes = notes
	}
	probeSchemes(ctx, addr, sni, a, rec, cfg, &scan.Runner{MaxConnections: 4, Timeout: perProbe, StartTLS: startTLS, StartTLSName: sni})
	return a, nil
}

// probeDHPrime reads the prime of the server's DHE key exchange when DHE
// is all it offers for forward secrecy (no ECDHE suite accepted): the suite
// to connect with is then a DHE one, and a prime below this client's
// minimum would fail it.
func probeDHPrime(ctx context.Context, c *scan.Checker, vs *scan.VersionSuites, a *diagnose.Acceptance) {
	hasDHE := false
	for _, s := range vs.Suites {
		switch info := suites.SuiteByID(s.ID); {
		case info == nil:
		case info.KeyExchange == suites.KexECDHE:
			return
		case info.KeyExchange == suites.KexDHE:
			hasDHE = true
		}
	}
	if !hasDHE {
		return
	}
	before := c.Connections()
	p, err := c.DHEParams(ctx, vs)
	if err != nil || p == nil {
		return
	}
	a.DHBits = p.Bits
	a.Probes = append(a.Probes, diagnose.ProbeStep{Check: a.Version.String() + " DHE prime", Found: []string{fmt.Sprintf("%d bits (%s)", p.Bits, p.Group)},
		Connections: c.Connections() - before})
}

// probeSchemes runs when the server shares a version, suites and groups
// with the refused offer: one probe of exactly that shared offer with this
// client's signature schemes tells whether the schemes are what the server
// refused, and then one probe per registered scheme finds those it does
// accept. The probes are shaped here with scan.Probe and sent through a
// scan.Runner, the engine's own parts.
func probeSchemes(ctx context.Context, addr, sni string, a *diagnose.Acceptance, rec *diagnose.Recorder, cfg *clasp.Config, runner *scan.Runner) {
	ids, groups, schemes, ok := a.SharedOffer(rec, cfg)
	if !ok {
		return
	}
	probe := func(offer []suites.SignatureScheme) *scan.Probe {
		p := &scan.Probe{Version: a.Version, CipherSuites: ids, Groups: groups, SignatureSchemes: offer, ServerName: sni}
		if a.Version >= suites.VersionTLS13 {
			p.Version, p.SupportedVersions, p.KeyShare = suites.VersionTLS12, []suites.Version{a.Version}, true
			for _, g := range groups {
				if scan.CanShare(g) {
					p.KeyShares = []suites.Group{g}
					break
				}
			}
		} else {
			p.CipherSuites = append(slices.Clone(ids), suites.TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
		}
		return p
	}
	res, err := runner.Run(ctx, addr, probe(schemes))
	if err != nil || res.Agreed() {
		a.Probes = append(a.Probes, diagnose.ProbeStep{Check: a.Version.String() + " this client's signature schemes", Found: []string{"accepted"}, Connections: runner.Connections()})
		return
	}
	all := suites.AllSchemes()
	accepted := make([]bool, len(all))
	var wg sync.WaitGroup
	for i, info := range all {
		if a.Version >= suites.VersionTLS13 && !info.TLS13 {
			continue
		}
		wg.Go(func() {
			res, err := runner.Run(ctx, addr, probe([]suites.SignatureScheme{info.ID}))
			accepted[i] = err == nil && res.Agreed() && res.Version == a.Version
		})
	}
	wg.Wait()
	var names []string
	for i, info := range all {
		if accepted[i] {
			a.Schemes = append(a.Schemes, info.ID)
			names = append(names, info.Name)
		}
	}
	a.SchemesProbed = true
	a.Probes = append(a.Probes, diagnose.ProbeStep{Check: a.Version.String() + " signature schemes", Found: names, Connections: runner.Connections()})
}

// explainRefusal adds to d what the probes found, when the failure is a
// refused ClientHello and probing is on. A probe run that fails leaves d as
// it was, with a note of why.
func explainRefusal(d *diagnose.Diagnosis, err error, rec *diagnose.Recorder, addr string, cfg *clasp.Config, opts *connectOptions) {
	if opts.noProbe || d == nil || !diagnose.ShouldProbe(err, rec) {
		return
	}
	a, perr := probeAcceptance(addr, opts.startTLS, cfg, rec, opts.timeout)
	if perr != nil {
		if d.Evidence == nil {
			d.Evidence = map[string]any{}
		}
		d.Evidence["probe_error"] = perr.Error()
	}
	if a == nil {
		return
	}
	diagnose.ApplyAcceptance(d, a, rec, cfg, opts.lang)
	if v := diagnose.RetryVersion(d, a, cfg); v != 0 {
		diagnose.ApplyRetry(d, v, retryAt(v, addr, cfg, opts), cfg, opts.lang)
	}
}

// retryAt runs one handshake like the refused one but limited to version,
// traced only for its own diagnosis: nil when it connects.
func retryAt(version suites.Version, addr string, cfg *clasp.Config, opts *connectOptions) *diagnose.Diagnosis {
	rcfg := cfg.Clone()
	rcfg.MaxVersion = uint16(version)
	rec := diagnose.NewRecorder()
	rcfg.Tracer = rec
	conn, err := dialClasp(addr, rcfg, opts)
	if err == nil {
		conn.Close()
		return nil
	}
	return diagnose.ExplainIn(opts.lang, err, rec, "client", time.Now(), rcfg)
}
