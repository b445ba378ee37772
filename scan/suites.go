package scan

import (
	"context"
	"sync"

	"github.com/clasp-tls/clasp/internal/suites"
)

// suites finds the cipher suites the server accepts in v and their order
// by elimination (see eliminate.go) over every suite the registry has for
// v. A server that gave no usable answer to the whole list is searched a
// chunk at a time; the union is then searched once more for the order.
func (s *scanner) suites(ctx context.Context, v VersionSupport) (*VersionSuites, error) {
	e := &elimination[suites.ID]{
		what:  v.Version.String() + " cipher suite",
		offer: func(remaining []suites.ID) *Probe { return helloFor(v.Version, remaining, s.serverName) },
		pick: func(res *Result) (suites.ID, bool) {
			return res.Suite, res.Agreed() && res.Version == v.Version
		},
	}
	var found []suites.ID
	var first *Result
	var err error
	if !v.chunked {
		found, first, err = e.run(ctx, s, suitesFor(v.Version))
	}
	// Only a server that did not agree to the whole list may have choked
	// on it; one that agreed and picked nothing offered will not do better
	// with less.
	if err == nil && len(found) == 0 && (first == nil || !first.Agreed()) {
		found, err = s.suitesInChunks(ctx, e, v.Version)
	}
	if err != nil {
		return nil, err
	}
	out := &VersionSuites{Version: v.Version, Name: v.Version.String()}
	for _, id := range found {
		out.Suites = append(out.Suites, suiteEntry(id))
	}
	if out.Order, err = e.order(ctx, s, found); err != nil {
		return nil, err
	}
	if len(found) == 0 {
		s.note("%v: the server agreed to the version but to none of its suites when they were offered for enumeration", v.Version)
	}
	return out, nil
}

// suitesInChunks runs the elimination on each chunk of v's suites, the
// chunks concurrently, and then once more on the union, whose order is then
// the server's.
func (s *scanner) suitesInChunks(ctx context.Context, e *elimination[suites.ID], v suites.Version) ([]suites.ID, error) {
	all := suitesFor(v)
	if len(all) <= chunkSize {
		return nil, nil
	}
	parts := chunks(all, chunkSize)
	found := make([][]suites.ID, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, chunk := range parts {
		wg.Go(func() { found[i], _, errs[i] = e.run(ctx, s, chunk) })
	}
	wg.Wait()
	var union []suites.ID
	for i := range parts {
		if errs[i] != nil {
			return nil, errs[i]
		}
		union = append(union, found[i]...)
	}
	if len(union) < 2 {
		return union, nil
	}
	// The union is short; its order is in registry order, so search it
	// again for the server's preference among all of them.
	ordered, _, err := e.run(ctx, s, union)
	return ordered, err
}
