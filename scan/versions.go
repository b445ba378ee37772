package scan

import (
	"context"
	"sync"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// chunkSize is how many suites a probe offers when a server gave no usable
// answer to the whole list: some servers (and middleboxes) drop a hello
// with hundreds of suites.
const chunkSize = 64

// versions probes each of ScannedVersions with a hello that offers it alone
// and every suite the registry has for it. A version is supported when the
// server agrees to that very version; a ServerHello for another version or
// a protocol_version alert says it is not. Any other answer (another alert,
// a close, a timeout) may be the server choking on the long list, so the
// list is offered again in chunks before the version is called
// unsupported. It returns an *Error when no probe got a TLS answer.
func (s *scanner) versions(ctx context.Context) ([]VersionSupport, error) {
	versions := ScannedVersions()
	out := make([]VersionSupport, len(versions))
	first := make([]*Result, len(versions))
	var wg sync.WaitGroup
	errs := make([]error, len(versions))
	for i, v := range versions {
		wg.Go(func() {
			first[i], errs[i] = s.run(ctx, helloFor(v, suitesFor(v), s.serverName))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := s.checkSpokeTLS(first); err != nil {
		return nil, err
	}
	for i, v := range versions {
		out[i] = VersionSupport{Version: v, Name: v.String(), Answer: first[i].Summary()}
		out[i].Supported = first[i].Agreed() && first[i].Version == v
		if out[i].Supported || refusesVersion(first[i], v) || len(suitesFor(v)) <= chunkSize {
			continue
		}
		wg.Go(func() { errs[i] = s.versionInChunks(ctx, &out[i]) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// refusesVersion reports whether res is a clear "not this version".
func refusesVersion(res *Result, v suites.Version) bool {
	return res.Agreed() && res.Version != v ||
		res.Outcome == OutcomeAlert && res.Alert.Description == wire.AlertProtocolVersion
}

// versionInChunks offers v's suites a chunk at a time, all chunks at once
// (so that a server that stalls costs one timeout, not one per chunk);
// the version is supported when some chunk is accepted in v.
func (s *scanner) versionInChunks(ctx context.Context, vs *VersionSupport) error {
	parts := chunks(suitesFor(vs.Version), chunkSize)
	results := make([]*Result, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, chunk := range parts {
		wg.Go(func() { results[i], errs[i] = s.run(ctx, helloFor(vs.Version, chunk, s.serverName)) })
	}
	wg.Wait()
	for i, res := range results {
		if errs[i] != nil {
			return errs[i]
		}
		if res.Agreed() && res.Version == vs.Version {
			s.note("%v: the server answered only when offered at most %d suites at a time (its answer to the whole list: %s)",
				vs.Version, chunkSize, vs.Answer)
			vs.Supported, vs.Answer, vs.chunked = true, res.Summary(), true
			return nil
		}
	}
	return nil
}

// checkSpokeTLS turns a first round in which nothing answered in TLS into
// the *Error that ends the scan: unreachable when no connection opened,
// not TLS when some answer was another protocol, else closed or timeout.
func (s *scanner) checkSpokeTLS(results []*Result) error {
	count := map[Outcome]int{}
	sample := map[Outcome]*Result{}
	for _, r := range results {
		if r.SpokeTLS() {
			return nil
		}
		count[r.Outcome]++
		sample[r.Outcome] = r
	}
	for _, o := range []Outcome{OutcomeNotTLS, OutcomeMalformed, OutcomeTimeout, OutcomeClosed, OutcomeUnreachable} {
		if count[o] > 0 && (o != OutcomeUnreachable || count[o] == len(results)) {
			return &Error{Target: s.addr, Outcome: o, Err: sample[o].Err}
		}
	}
	return &Error{Target: s.addr, Outcome: results[0].Outcome, Err: results[0].Err}
}
