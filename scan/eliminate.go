package scan

import (
	"context"
	"slices"
)

// Elimination finds everything a server accepts out of a list, and the
// order it prefers, in one connection per accepted entry plus one: offer
// the list, remove what the server picked, offer the rest, until the server
// refuses. Suites and groups are both found this way.

// elimination describes one such search: how to offer a list and how to
// read the server's pick out of a Result.
type elimination[T comparable] struct {
	// offer builds the probe for the entries still in the running.
	offer func(remaining []T) *Probe
	// pick returns the entry the server chose, or false when the answer
	// is a refusal (or not a hello of the version searched).
	pick func(res *Result) (T, bool)
	// what names the entries in notes ("TLS 1.2 cipher suite").
	what string
}

// run eliminates from candidates. found is in the order the server picked.
// first is the answer to the whole list: a caller that gets nothing found
// looks at it to tell a refusal from a server that choked.
func (e *elimination[T]) run(ctx context.Context, s *scanner, candidates []T) (found []T, first *Result, err error) {
	remaining := slices.Clone(candidates)
	for len(remaining) > 0 {
		res, err := s.run(ctx, e.offer(remaining))
		if err != nil {
			return nil, nil, err
		}
		if first == nil {
			first = res
		}
		got, ok := e.pick(res)
		if !ok {
			if res.Outcome == OutcomeTimeout && first != res {
				// A refusal is an answer; silence after answers is more
				// likely a server that paused than one that is done.
				s.note("%s search: no answer before the timeout after %d found; there may be more", e.what, len(found))
			}
			break
		}
		i := slices.Index(remaining, got)
		if i < 0 {
			s.note("%s search: the server chose %v, which was not offered (%d were)", e.what, got, len(remaining))
			break
		}
		found = append(found, got)
		remaining = slices.Delete(remaining, i, i+1)
	}
	return found, first, nil
}

// order tells whose preference decides, from two accepted entries a and b
// (a found first): offering [a b] and [b a], a server with its own order
// picks a both times, one that follows the client picks the first offered.
func (e *elimination[T]) order(ctx context.Context, s *scanner, found []T) (Order, error) {
	if len(found) < 2 {
		return OrderSingle, nil
	}
	a, b := found[0], found[1]
	var picks [2]T
	for i, offer := range [][]T{{a, b}, {b, a}} {
		res, err := s.run(ctx, e.offer(offer))
		if err != nil {
			return "", err
		}
		got, ok := e.pick(res)
		if !ok {
			return OrderUnknown, nil
		}
		picks[i] = got
	}
	switch {
	case picks[0] == a && picks[1] == a:
		return OrderServer, nil
	case picks[0] == a && picks[1] == b:
		return OrderClient, nil
	}
	return OrderInconsistent, nil
}
