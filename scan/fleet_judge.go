package scan

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// fleetTextsJSON holds the fleet findings' sentences and the fixes: a
// catalogue, kept as data.
//
//go:embed fleet_texts.json
var fleetTextsJSON []byte

var fleetTexts = mustFleetTexts()

type fleetCatalogue struct {
	Texts map[string]string `json:"texts"`
	Fixes map[string]string `json:"fixes"`
}

func mustFleetTexts() fleetCatalogue {
	var c fleetCatalogue
	if err := json.Unmarshal(fleetTextsJSON, &c); err != nil {
		panic("scan: fleet_texts.json: " + err.Error())
	}
	return c
}

// finding is the finding code with its sentence, {name} placeholders
// replaced by the pairs in args.
func finding(code string, args ...string) FleetFinding {
	text := fleetTexts.Texts[code]
	for i := 0; i+1 < len(args); i += 2 {
		text = strings.ReplaceAll(text, "{"+args[i]+"}", args[i+1])
	}
	return FleetFinding{Code: code, Text: text}
}

// backend facets as the clustering builds them.
type backendFacets struct {
	cert    string
	shapes  map[string]string // per mechanism
	keyName string
	conns   int
}

// fits reports whether connection c can be this backend: no facet both
// have differs.
func (b *backendFacets) fits(c *fleetConn) bool {
	return agree(b.cert, c.cert) && agree(b.shapes[c.mech], c.shape) && agree(b.keyName, c.keyName)
}

func agree(a, b string) bool { return a == "" || b == "" || a == b }

func (b *backendFacets) absorb(c *fleetConn) {
	if c.cert != "" {
		b.cert = c.cert
	}
	if c.shape != "" {
		b.shapes[c.mech] = c.shape
	}
	if c.keyName != "" {
		b.keyName = c.keyName
	}
}

// clusterBackends groups connections into the fewest backends whose
// facets agree, first come first served; then counts, for each backend,
// the connections that fit it and no other.
func clusterBackends(conns []*fleetConn) ([]Backend, int) {
	var bs []*backendFacets
	for _, c := range conns {
		if c.hs.Err != nil {
			continue
		}
		i := slices.IndexFunc(bs, func(b *backendFacets) bool { return b.fits(c) })
		if i < 0 {
			bs = append(bs, &backendFacets{shapes: map[string]string{}})
			i = len(bs) - 1
		}
		bs[i].absorb(c)
	}
	unattributed := 0
	for _, c := range conns {
		if c.hs.Err != nil {
			continue
		}
		var fit []*backendFacets
		for _, b := range bs {
			if b.fits(c) {
				fit = append(fit, b)
			}
		}
		if len(fit) == 1 {
			fit[0].conns++
		} else {
			unattributed++
		}
	}
	out := make([]Backend, len(bs))
	for i, b := range bs {
		out[i] = Backend{Certificate: b.cert, TicketKeyName: b.keyName, Connections: b.conns}
		for _, mech := range sortedKeys(b.shapes) {
			out[i].ServerHellos = append(out[i].ServerHellos, b.shapes[mech])
		}
	}
	return out, unattributed
}

func sortedKeys(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// judgeFleet turns the rates and the backends into findings and fixes.
func judgeFleet(f *Fleet) {
	var rates []string
	broken, missed := 0, false
	for _, m := range f.Mechanisms {
		rates = append(rates, fmt.Sprintf("%s: %d of %d resumed", m.Name, m.Resumed, m.Offered))
		broken += m.Broken
		if m.Resumed < m.Offered || m.Offered == 0 {
			missed = true
		}
	}
	fixes := map[string]bool{}
	if broken > 0 {
		f.Findings = append(f.Findings, finding("broken_shared_cache", "broken", fmt.Sprint(broken)))
		fixes["share"], fixes["balance"], fixes["client_off"] = true, true, true
	}
	if missed && broken == 0 {
		code := "not_shared"
		if len(f.Backends) < 2 {
			code = "not_shared_one_seen"
		}
		f.Findings = append(f.Findings, finding(code, "rates", strings.Join(rates, "; ")))
		fixes["share"], fixes["balance"], fixes["client_off"] = true, true, true
	}
	if diffs := backendDifferences(f.Backends); len(diffs) > 0 {
		f.Findings = append(f.Findings, finding("backends_differ", "differences", strings.Join(diffs, "; ")))
		fixes["align"] = true
	}
	for _, k := range []string{"share", "balance", "client_off", "align"} {
		if fixes[k] {
			f.Fixes = append(f.Fixes, fleetTexts.Fixes[k])
		}
	}
	f.Consistent = len(f.Findings) == 0 && len(f.Backends) <= 1
}

// backendDifferences names the certificate and ServerHello differences
// between backends (ticket key names differ whenever keys are not shared,
// which the resumption findings already say).
func backendDifferences(bs []Backend) []string {
	var diffs []string
	if certs := distinctOf(bs, func(b Backend) []string { return []string{b.Certificate} }); len(certs) > 1 {
		diffs = append(diffs, "certificates differ: "+labelled(certs))
	}
	if shapes := distinctOf(bs, func(b Backend) []string { return b.ServerHellos }); len(shapes) > 1 {
		if byMech := shapesThatDiffer(bs); len(byMech) > 0 {
			diffs = append(diffs, "ServerHellos differ for the same ClientHello: "+strings.Join(byMech, "; "))
		}
	}
	return diffs
}

// distinctOf lists the distinct non-empty values facet gives, per
// backend, as "backend N: value".
func distinctOf(bs []Backend, facet func(Backend) []string) []string {
	var seen, out []string
	for i, b := range bs {
		for _, v := range facet(b) {
			if v != "" && !slices.Contains(seen, v) {
				seen = append(seen, v)
				out = append(out, fmt.Sprintf("backend %d: %s", i+1, v))
			}
		}
	}
	return out
}

func labelled(list []string) string { return strings.Join(list, ", ") }

// shapesThatDiffer compares the backends' ServerHellos hello by hello
// (the shape starts with the mechanism whose hello it answers).
func shapesThatDiffer(bs []Backend) []string {
	byHello := map[string][]string{}
	var hellos []string
	for i, b := range bs {
		for _, shape := range b.ServerHellos {
			hello, answer, _ := strings.Cut(shape, ": ")
			if _, ok := byHello[hello]; !ok {
				hellos = append(hellos, hello)
			}
			entry := fmt.Sprintf("backend %d %s", i+1, answer)
			if !slices.ContainsFunc(byHello[hello], func(e string) bool { return strings.HasSuffix(e, " "+answer) }) {
				byHello[hello] = append(byHello[hello], entry)
			}
		}
	}
	var out []string
	for _, h := range hellos {
		if len(byHello[h]) > 1 {
			out = append(out, h+": "+strings.Join(byHello[h], " vs "))
		}
	}
	return out
}
