package explain

import (
	"regexp/syntax"
	"strings"
)

// A pasted log is mostly lines no entry matches, and running every
// pattern over every line costs microseconds each. requiredLiterals reads
// a pattern's syntax tree for the literal text any match must contain (one
// of a set, for alternations): a line that contains none of them cannot
// match, which strings.Contains tells far faster than the regexp.

// requiredLiterals returns lower-cased strings of which every match of
// pattern contains at least one, or nil when no such set was found (then
// the pattern is always run).
func requiredLiterals(pattern string) []string {
	re, err := syntax.Parse(pattern, syntax.Perl|syntax.FoldCase)
	if err != nil {
		return nil
	}
	return literalsOf(re.Simplify())
}

// minUseful is the shortest literal worth checking for.
const minUseful = 3

func literalsOf(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) < minUseful {
			return nil
		}
		return []string{strings.ToLower(string(re.Rune))}
	case syntax.OpCapture, syntax.OpPlus:
		return literalsOf(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return literalsOf(re.Sub[0])
		}
	case syntax.OpConcat:
		return bestOfConcat(re.Sub)
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			lits := literalsOf(sub)
			if lits == nil {
				return nil
			}
			all = append(all, lits...)
		}
		return all
	}
	return nil
}

// bestOfConcat picks, among the parts of a concatenation, the one whose
// required literals are the most selective (the longest shortest one).
func bestOfConcat(subs []*syntax.Regexp) []string {
	var best []string
	bestLen := 0
	for _, sub := range subs {
		lits := literalsOf(sub)
		if lits == nil {
			continue
		}
		shortest := len(lits[0])
		for _, l := range lits {
			shortest = min(shortest, len(l))
		}
		if shortest > bestLen {
			best, bestLen = lits, shortest
		}
	}
	return best
}

// mayMatch reports whether lower (a normalised line, lower-cased) contains
// one of the entry's required literals.
func (e *Entry) mayMatch(lower string) bool {
	if e.literals == nil {
		return true
	}
	for _, l := range e.literals {
		if strings.Contains(lower, l) {
			return true
		}
	}
	return false
}
