package scan

import (
	"context"
	"sync"
)

// weaknesses runs the SSL 2.0, intolerance and post-flight probes
// concurrently, then reads every finding and the grade into rep. It needs
// what the other checks put in rep first: versions, suites, DHE
// parameters, certificates, extensions and renegotiation.
func (s *scanner) weaknesses(ctx context.Context, rep *Report) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	keep := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil && first == nil {
			first = err
		}
	}
	before := s.runner.Connections()
	defer func() { rep.weaknessConnections = s.runner.Connections() - before }()
	wg.Go(func() {
		v2, err := s.sslv2(ctx)
		rep.SSLv2 = v2
		keep(err)
	})
	wg.Go(func() {
		in, err := s.intolerance(ctx, rep)
		rep.Intolerance = in
		keep(err)
	})
	probes := []func(context.Context, *Report) (Finding, error){s.heartbleed, s.ccsInjection, s.robot, s.ticketbleed}
	probed := make([]Finding, len(probes))
	for i, probe := range probes {
		wg.Go(func() {
			var err error
			probed[i], err = probe(ctx, rep)
			keep(err)
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	rep.Findings = append(probed,
		drown(rep), poodle(rep), freak(rep), logjam(rep), sweet32(rep), rc4(rep), beast(rep),
		anonymousSuites(rep), nullEncryption(rep), shortKeys(rep),
		crimeFinding(rep), renegFinding(rep), emsFinding(rep), intoleranceFinding(rep.Intolerance), fallbackFinding(rep.Intolerance))
	g := GradeOf(rep.Findings)
	rep.Grade = &g
	return nil
}
