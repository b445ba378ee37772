package scan

import (
	"context"
	"sync"

	"github.com/clasp-tls/clasp/internal/suites"
)

// tls13Groups asks for each TLS 1.3 group on its own: supported_groups
// naming only that group and a key_share for it (a real share where this
// package can build one, else an empty key_share, which leaves the server a
// HelloRetryRequest as its only way to agree). The group is supported when
// the server's ServerHello key_share or HelloRetryRequest names it.
func (s *scanner) tls13Groups(ctx context.Context) (*GroupList, error) {
	candidates := tls13Groups()
	ok := make([]bool, len(candidates))
	errs := make([]error, len(candidates))
	var wg sync.WaitGroup
	for i, g := range candidates {
		wg.Go(func() {
			p := helloFor(suites.VersionTLS13, suitesFor(suites.VersionTLS13), s.serverName)
			p.Groups, p.KeyShares, p.KeyShare = []suites.Group{g}, nil, true
			if CanShare(g) {
				p.KeyShares = []suites.Group{g}
			}
			res, err := s.run(ctx, p)
			if err != nil {
				errs[i] = err
				return
			}
			if res.Outcome == OutcomeTimeout {
				s.note("TLS 1.3 group %v: no answer before the timeout; counted as not accepted", g)
			}
			if !res.Agreed() || res.Version != suites.VersionTLS13 {
				return
			}
			if res.Group != g {
				s.note("TLS 1.3: offered only group %v, the server answered with %v", g, res.Group)
				return
			}
			ok[i] = true
		})
	}
	wg.Wait()
	var accepted []suites.Group
	for i, g := range candidates {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if ok[i] {
			accepted = append(accepted, g)
		}
	}
	return s.tls13GroupOrder(ctx, accepted)
}

// tls13GroupOrder finds the order in which the server picks among the
// accepted TLS 1.3 groups when the client offers them all, each with a key
// share where one can be built (as a client that sends several shares
// does), by elimination; two more probes tell the server's order from the
// client's. A search that does not give back every accepted group (a
// server that picks differently when offered several) leaves them in
// registry order with the order unknown.
func (s *scanner) tls13GroupOrder(ctx context.Context, accepted []suites.Group) (*GroupList, error) {
	e := &elimination[suites.Group]{
		what: "TLS 1.3 group",
		offer: func(remaining []suites.Group) *Probe {
			p := helloFor(suites.VersionTLS13, suitesFor(suites.VersionTLS13), s.serverName)
			p.Groups, p.KeyShares, p.KeyShare = remaining, nil, true
			for _, g := range remaining {
				if CanShare(g) {
					p.KeyShares = append(p.KeyShares, g)
				}
			}
			return p
		},
		pick: func(res *Result) (suites.Group, bool) {
			return res.Group, res.Agreed() && res.Version == suites.VersionTLS13
		},
	}
	list := &GroupList{Version: suites.VersionTLS13, Name: suites.VersionTLS13.String()}
	found, _, err := e.run(ctx, s, accepted)
	if err != nil {
		return nil, err
	}
	if len(found) != len(accepted) {
		s.note("TLS 1.3: offered all %d groups it accepts one at a time, the server picked only %v before refusing", len(accepted), found)
		found, list.Order = accepted, OrderUnknown
	} else if list.Order, err = e.order(ctx, s, found); err != nil {
		return nil, err
	}
	for _, g := range found {
		list.Groups = append(list.Groups, groupEntry(g))
	}
	return list, nil
}

// ecdheGroups finds the curves the server uses for ECDHE in the version of
// vs, by elimination over supported_groups while offering only the ECDHE
// suites it accepted there; each pick is read from the ServerKeyExchange.
// It returns nil when the server accepts no ECDHE suite in that version.
func (s *scanner) ecdheGroups(ctx context.Context, vs *VersionSuites) (*GroupList, error) {
	var offer []suites.ID
	for _, e := range vs.Suites {
		if info := suites.SuiteByID(e.ID); info != nil && info.KeyExchange == suites.KexECDHE {
			offer = append(offer, e.ID)
		}
	}
	if len(offer) == 0 {
		return nil, nil
	}
	e := &elimination[suites.Group]{
		what: vs.Version.String() + " ECDHE group",
		offer: func(remaining []suites.Group) *Probe {
			p := helloFor(vs.Version, offer, s.serverName)
			p.Groups, p.ReadFlight = remaining, true
			return p
		},
		pick: func(res *Result) (suites.Group, bool) {
			ske := res.ServerKeyExchange
			if res.Outcome != OutcomeAccepted || res.Version != vs.Version || ske == nil || ske.ECDHE == nil {
				return 0, false
			}
			return ske.ECDHE.Group, true
		},
	}
	found, _, err := e.run(ctx, s, ecdheGroups())
	if err != nil {
		return nil, err
	}
	list := &GroupList{Version: vs.Version, Name: vs.Version.String()}
	for _, g := range found {
		list.Groups = append(list.Groups, groupEntry(g))
	}
	if list.Order, err = e.order(ctx, s, found); err != nil {
		return nil, err
	}
	return list, nil
}
