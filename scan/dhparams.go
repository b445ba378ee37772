package scan

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"math/big"
	"strings"
	"sync"

	"github.com/clasp-tls/clasp/internal/kex"
	"github.com/clasp-tls/clasp/internal/suites"
)

// DHParams is the finite-field group a server's DHE ServerKeyExchange
// carries when the client names no RFC 7919 group.
type DHParams struct {
	Version string `json:"version"`
	// Bits is the size of the prime; Generator the generator g.
	Bits      int    `json:"bits"`
	Generator string `json:"generator"`
	// Group names a well-known prime: "ffdhe2048" … "ffdhe8192" (RFC
	// 7919), "RFC 3526 group 14 (2048-bit MODP)", the RFC 2409 and RFC
	// 5114 groups; "other" for a prime of the server's own.
	Group string `json:"group"`
	// Suite is the DHE suite of the probe that read it.
	Suite string `json:"suite"`
}

//go:embed data/dh_groups.txt
var dhGroupsFile string

// wellKnownPrimes maps a prime (as a hex string) to its group's name.
var wellKnownPrimes = loadDHGroups(dhGroupsFile)

// loadDHGroups reads data/dh_groups.txt and adds the RFC 7919 groups from
// internal/kex.
func loadDHGroups(text string) map[string]string {
	out := map[string]string{}
	var name string
	var hex strings.Builder
	flush := func() {
		if name == "" {
			return
		}
		p, ok := new(big.Int).SetString(hex.String(), 16)
		if !ok {
			panic("scan: bad prime for " + name + " in data/dh_groups.txt")
		}
		out[p.Text(16)] = name
		hex.Reset()
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			flush()
			name = line[1 : len(line)-1]
		default:
			hex.WriteString(line)
		}
	}
	flush()
	for _, g := range []suites.Group{suites.FFDHE2048, suites.FFDHE3072, suites.FFDHE4096, suites.FFDHE6144, suites.FFDHE8192} {
		if dh, ok := kex.FFDHEGroup(g); ok {
			out[dh.P.Text(16)] = dh.Name
		}
	}
	return out
}

// dhGroupName names a prime: a well-known group's name, or "other".
func dhGroupName(p []byte) string {
	if name, ok := wellKnownPrimes[new(big.Int).SetBytes(p).Text(16)]; ok {
		return name
	}
	return "other"
}

// acceptedDHESuites lists the accepted suites of vs with ephemeral finite-field DH.
func acceptedDHESuites(vs *VersionSuites) []suites.ID {
	var out []suites.ID
	for _, e := range vs.Suites {
		if info := suites.SuiteByID(e.ID); info != nil && info.KeyExchange == suites.KexDHE {
			out = append(out, e.ID)
		}
	}
	return out
}

// dheParams reads the group of a DHE ServerKeyExchange when the hello
// names no finite-field group (its supported_groups holds only curves, so
// RFC 7919 §4 leaves the server its own choice); nil without DHE suites.
func (s *scanner) dheParams(ctx context.Context, vs *VersionSuites) (*DHParams, error) {
	offer := acceptedDHESuites(vs)
	if len(offer) == 0 {
		return nil, nil
	}
	p := helloFor(vs.Version, offer, s.serverName)
	p.ReadFlight = true
	res, err := s.run(ctx, p)
	if err != nil {
		return nil, err
	}
	ske := res.ServerKeyExchange
	if res.Outcome != OutcomeAccepted || ske == nil || ske.DHE == nil {
		s.note("%v DHE: the server accepted DHE suites but did not show DH parameters when offered them (%s)", vs.Version, res.Summary())
		return nil, nil
	}
	return &DHParams{
		Version:   vs.Version.String(),
		Bits:      new(big.Int).SetBytes(ske.DHE.P).BitLen(),
		Generator: new(big.Int).SetBytes(ske.DHE.G).String(),
		Group:     dhGroupName(ske.DHE.P),
		Suite:     res.Suite.String(),
	}, nil
}

// ffdheGroups finds the RFC 7919 groups the server agrees to in a TLS 1.2
// (or earlier) DHE key exchange when the client names them in
// supported_groups. All five are offered first: a refusal means none (RFC
// 7919 §4: a server that knows none of the groups named must not pick a
// DHE suite), and a prime that is none of them means the server ignores
// the extension (OpenSSL 3.0 does: it sends its own group whatever the
// client names); the list is then empty, with a note. Otherwise each group
// is offered alone, and is accepted when the ServerKeyExchange carries its
// prime; an answer with another prime again means the extension is
// ignored. The accepted groups are then searched once more for the
// server's order. nil without DHE suites.
func (s *scanner) ffdheGroups(ctx context.Context, vs *VersionSuites) (*GroupList, error) {
	offer := acceptedDHESuites(vs)
	if len(offer) == 0 {
		return nil, nil
	}
	probe := func(groups []suites.Group) *Probe {
		p := helloFor(vs.Version, offer, s.serverName)
		p.Groups, p.ReadFlight = groups, true
		return p
	}
	candidates := []suites.Group{suites.FFDHE2048, suites.FFDHE3072, suites.FFDHE4096, suites.FFDHE6144, suites.FFDHE8192}
	none := &GroupList{Version: vs.Version, Name: vs.Version.String(), Order: OrderSingle, Groups: []GroupEntry{}}
	ignores := func(offered, got string) (*GroupList, error) {
		s.note("%v DHE: offered only %s in supported_groups, the server answered with %s instead of refusing (RFC 7919 §4): it does not negotiate RFC 7919 groups",
			vs.Version, offered, got)
		none.Order = OrderUnknown
		return none, nil
	}
	res, err := s.run(ctx, probe(candidates))
	if err != nil {
		return nil, err
	}
	switch g, other := ffdheAnswer(res); {
	case other != "":
		return ignores("the RFC 7919 groups", other)
	case g == 0:
		return none, nil
	}
	answers := make([]suites.Group, len(candidates))
	others := make([]string, len(candidates))
	errs := make([]error, len(candidates))
	var wg sync.WaitGroup
	for i, g := range candidates {
		wg.Go(func() {
			var res *Result
			if res, errs[i] = s.run(ctx, probe([]suites.Group{g})); errs[i] == nil {
				answers[i], others[i] = ffdheAnswer(res)
			}
		})
	}
	wg.Wait()
	var accepted []suites.Group
	for i, g := range candidates {
		if errs[i] != nil {
			return nil, errs[i]
		}
		switch {
		case others[i] != "":
			return ignores(g.String(), others[i])
		case answers[i] != 0 && answers[i] != g:
			return ignores(g.String(), answers[i].String())
		case answers[i] == g:
			accepted = append(accepted, g)
		}
	}
	e := &elimination[suites.Group]{
		what:  vs.Version.String() + " FFDHE group",
		offer: probe,
		pick: func(res *Result) (suites.Group, bool) {
			g, _ := ffdheAnswer(res)
			return g, g != 0
		},
	}
	found, _, err := e.run(ctx, s, accepted)
	if err != nil {
		return nil, err
	}
	list := &GroupList{Version: vs.Version, Name: vs.Version.String(), Groups: []GroupEntry{}}
	if len(found) != len(accepted) {
		found, list.Order = accepted, OrderUnknown
	} else if list.Order, err = e.order(ctx, s, found); err != nil {
		return nil, err
	}
	for _, g := range found {
		list.Groups = append(list.Groups, groupEntry(g))
	}
	return list, nil
}

// ffdheAnswer reads the group of a DHE ServerKeyExchange: the RFC 7919
// group whose prime it carries, or (0, a description) for another prime;
// (0, "") when there is no such message.
func ffdheAnswer(res *Result) (suites.Group, string) {
	ske := res.ServerKeyExchange
	if res.Outcome != OutcomeAccepted || ske == nil || ske.DHE == nil {
		return 0, ""
	}
	name := dhGroupName(ske.DHE.P)
	if info, ok := suites.GroupByName(name); ok && info.Kind == suites.GroupFFDHE {
		return info.ID, ""
	}
	return 0, fmt.Sprintf("a %d-bit prime (%s)", new(big.Int).SetBytes(ske.DHE.P).BitLen(), name)
}
