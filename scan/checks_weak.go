package scan

import (
	"context"
	"sync"
)

// weaknesses runs the SSL 2.0, intolerance and weakness probes
// concurrently, then reads every finding and the grade into rep. It needs
// the versions and suites already in rep.
func (s *scanner) weaknesses(ctx context.Context, rep *Report) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		facts *helloFacts
		dh    *dhFact
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
	probed := make([]Finding, 5)
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
	wg.Go(func() { var err error; facts, err = s.tlsFacts(ctx, rep); keep(err) })
	wg.Go(func() { var err error; dh, err = s.dhPrime(ctx, rep); keep(err) })
	for i, probe := range []func(context.Context, *Report) (Finding, error){s.heartbleed, s.ccsInjection, s.robot, s.ticketbleed, s.crime} {
		wg.Go(func() { var err error; probed[i], err = probe(ctx, rep); keep(err) })
	}
	wg.Wait()
	if first != nil {
		return first
	}
	var tlsCert []byte
	if facts != nil && len(facts.certificates) > 0 {
		tlsCert = facts.certificates[0]
	}
	rep.Findings = append(probed[:4:4],
		drown(rep, tlsCert), poodle(rep), freak(rep), logjam(rep, dh), sweet32(rep), rc4(rep), beast(rep),
		probed[4], renegFinding(facts), emsFinding(facts), intoleranceFinding(rep.Intolerance), fallbackFinding(rep.Intolerance))
	g := GradeOf(rep.Findings)
	rep.Grade = &g
	return nil
}
