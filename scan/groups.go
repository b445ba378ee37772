package scan

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"slices"
	"sync"

	"github.com/clasp-tls/clasp/internal/suites"
)

// tls13Groups asks for each TLS 1.3 group on its own: supported_groups
// naming only that group and a key_share for it (a real share where this
// package can build one, else an empty key_share, which leaves the server a
// HelloRetryRequest as its only way to agree). The group is supported when
// the server's ServerHello key_share or HelloRetryRequest names it.
// Finite-field groups are asked with an empty key_share too: a share would
// make the server compute a modular exponentiation of up to 8192 bits
// just to say yes, which GnuTLS takes seconds over (and gnutls-serv,
// serving one connection at a time, makes every other probe wait for).
func (s *scanner) tls13Groups(ctx context.Context) (*GroupList, error) {
	candidates := tls13Groups()
	ok := make([]bool, len(candidates))
	errs := make([]error, len(candidates))
	var wg sync.WaitGroup
	for i, g := range candidates {
		wg.Go(func() {
			p := helloFor(suites.VersionTLS13, suitesFor(suites.VersionTLS13), s.serverName)
			p.Groups, p.KeyShares, p.KeyShare = []suites.Group{g}, nil, true
			if CanShare(g) && !isFiniteField(g) {
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

// isFiniteField reports an RFC 7919 group.
func isFiniteField(g suites.Group) bool {
	info := suites.GroupByID(g)
	return info != nil && info.Kind == suites.GroupFFDHE
}

// costlyShare reports the groups whose key share costs a server seconds:
// ffdhe6144 and ffdhe8192 (gnutls-serv took 1.4 and 2.7 s for a handshake
// with each here, against 0.3 to 0.6 s up to ffdhe4096). The order search
// offers them without a share, so a server that prefers one answers with
// a HelloRetryRequest instead of computing it; a server that picks among
// the shares it was sent ranks them last, as it would for a real client,
// none of which sends such a share.
func costlyShare(g suites.Group) bool {
	info := suites.GroupByID(g)
	return info != nil && info.Kind == suites.GroupFFDHE && info.Bits > 4096
}

// tls13GroupOrder finds the order in which the server picks among the
// accepted TLS 1.3 groups when the client offers them all, each with a key
// share where one can be built (as a client that sends several shares
// does) except the costly ones, by elimination; two more probes tell the
// server's order from the client's. A search that does not give back every
// accepted group (a server that picks differently when offered several)
// leaves them in registry order with the order unknown.
func (s *scanner) tls13GroupOrder(ctx context.Context, accepted []suites.Group) (*GroupList, error) {
	e := &elimination[suites.Group]{
		what: "TLS 1.3 group",
		offer: func(remaining []suites.Group) *Probe {
			p := helloFor(suites.VersionTLS13, suitesFor(suites.VersionTLS13), s.serverName)
			p.Groups, p.KeyShares, p.KeyShare = remaining, nil, true
			for _, g := range remaining {
				if CanShare(g) && !costlyShare(g) {
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
//
// In TLS 1.2 supported_groups also binds the server's ECDSA certificate
// (RFC 8422 §5.1: the server must not pick an ECC suite it cannot complete
// within the client's curves), so a search over ECDHE_ECDSA suites alone
// that dropped the certificate's curve would end at the first refusal and
// report only that curve. ECDHE_RSA suites are searched when accepted;
// otherwise the certificate's curve (the anchor) stays at the end of every
// list offered.
func (s *scanner) ecdheGroups(ctx context.Context, vs *VersionSuites) (*GroupList, error) {
	offer := ecdheSuites(vs, true)
	var anchor suites.Group
	if len(offer) == 0 {
		offer = ecdheSuites(vs, false)
		if len(offer) == 0 {
			return nil, nil
		}
		var err error
		if anchor, err = s.certificateCurve(ctx, vs.Version, offer); err != nil {
			return nil, err
		}
	}
	search := ecdheSearch(s, vs.Version, offer, anchor)
	candidates := slices.DeleteFunc(ecdheGroups(), func(g suites.Group) bool { return g == anchor })
	var anchorPicked bool
	found, _, err := search.stoppingAt(anchor, &anchorPicked).run(ctx, s, candidates)
	if err != nil {
		return nil, err
	}
	list := &GroupList{Version: vs.Version, Name: vs.Version.String()}
	if anchorPicked {
		found = append(found, anchor)
	}
	if list.Order, err = search.order(ctx, s, found); err != nil {
		return nil, err
	}
	if anchor != 0 && list.Order == OrderClient {
		// Listed as offered: the anchor goes back to its place in the
		// registry order the other curves were offered in.
		all := ecdheGroups()
		slices.SortFunc(found, func(a, b suites.Group) int { return slices.Index(all, a) - slices.Index(all, b) })
	}
	for _, g := range found {
		list.Groups = append(list.Groups, groupEntry(g))
	}
	if anchorPicked && list.Order != OrderClient && len(found) < len(candidates)+1 {
		s.note("%v ECDHE: the server's only ECDHE suites are ECDSA ones, so every probe named its certificate's curve %v (RFC 8422 §5.1); curves it ranks after %v cannot be told from curves it refuses", vs.Version, anchor, anchor)
	}
	return list, nil
}

// ecdheSuites returns the accepted ECDHE suites of vs, only the RSA-signed
// ones when onlyRSA is set.
func ecdheSuites(vs *VersionSuites, onlyRSA bool) []suites.ID {
	var out []suites.ID
	for _, e := range vs.Suites {
		info := suites.SuiteByID(e.ID)
		if info != nil && info.KeyExchange == suites.KexECDHE && (!onlyRSA || info.Auth == suites.AuthRSA) {
			out = append(out, e.ID)
		}
	}
	return out
}

// ecdheSearch is the elimination over TLS 1.2 ECDHE curves: each offer
// carries the anchor (when not 0) last unless it is already listed.
func ecdheSearch(s *scanner, v suites.Version, offer []suites.ID, anchor suites.Group) *elimination[suites.Group] {
	return &elimination[suites.Group]{
		what: v.String() + " ECDHE group",
		offer: func(remaining []suites.Group) *Probe {
			p := helloFor(v, offer, s.serverName)
			p.Groups, p.ReadFlight = remaining, true
			if anchor != 0 && !slices.Contains(remaining, anchor) {
				p.Groups = append(slices.Clone(remaining), anchor)
			}
			return p
		},
		pick: func(res *Result) (suites.Group, bool) {
			ske := res.ServerKeyExchange
			if res.Outcome != OutcomeAccepted || res.Version != v || ske == nil || ske.ECDHE == nil {
				return 0, false
			}
			return ske.ECDHE.Group, true
		},
	}
}

// stoppingAt returns the same search ending when the server picks stop,
// the anchor it was never asked to drop (the zero value: never), and
// setting *stopped when it does.
func (e *elimination[T]) stoppingAt(stop T, stopped *bool) *elimination[T] {
	var zero T
	out := *e
	out.pick = func(res *Result) (T, bool) {
		got, ok := e.pick(res)
		if ok && stop != zero && got == stop {
			*stopped = true
			return zero, false
		}
		return got, ok
	}
	return &out
}

// certificateCurve returns the named curve of the ECDSA certificate the
// server presents for the offered suites in version v (with every curve
// offered), or 0 when the leaf is not an ECDSA key on a registered curve.
func (s *scanner) certificateCurve(ctx context.Context, v suites.Version, offer []suites.ID) (suites.Group, error) {
	p := helloFor(v, offer, s.serverName)
	p.Groups, p.ReadFlight = ecdheGroups(), true
	res, err := s.run(ctx, p)
	if err != nil || len(res.Certificates) == 0 {
		return 0, err
	}
	leaf, err := x509.ParseCertificate(res.Certificates[0])
	if err != nil {
		s.note("%v: the server's certificate does not parse (%v)", v, err)
		return 0, nil
	}
	key, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return 0, nil
	}
	switch key.Curve {
	case elliptic.P256():
		return suites.Secp256r1, nil
	case elliptic.P384():
		return suites.Secp384r1, nil
	case elliptic.P521():
		return suites.Secp521r1, nil
	}
	return 0, nil
}
