package suites

import (
	"fmt"
	"strconv"
	"strings"
)

// UnknownNameError is returned when a name given by a person (a flag, a
// configuration file) matches no registry entry.
type UnknownNameError struct {
	// Kind says which registry was searched: "cipher suite", "group",
	// "signature scheme" or "protocol version".
	Kind string
	// Name is the entry exactly as given.
	Name string
	// Suggestion is the closest registered spelling, or "" when nothing is
	// close enough to be a plausible typo.
	Suggestion string
}

// Error names the entry and, when there is one, the likely intended name.
func (e *UnknownNameError) Error() string {
	if e.Suggestion != "" {
		return fmt.Sprintf("unknown %s %q (did you mean %q?)", e.Kind, e.Name, e.Suggestion)
	}
	return fmt.Sprintf("unknown %s %q", e.Kind, e.Name)
}

// IsGREASE reports whether v is one of the sixteen RFC 8701 GREASE values
// (0x0A0A, 0x1A1A, ... 0xFAFA) that clients send in cipher_suites,
// supported_groups, signature_algorithms and supported_versions to keep
// servers tolerant of unknown values.
func IsGREASE(v uint16) bool {
	return v&0x0F0F == 0x0A0A && v>>8 == v&0xFF
}

// unknownString is how every code-point type prints a value the registry
// does not hold; the number is always kept.
func unknownString(v uint16) string {
	if IsGREASE(v) {
		return fmt.Sprintf("GREASE(0x%04X)", v)
	}
	return fmt.Sprintf("unknown(0x%04X)", v)
}

// splitList splits a list written by a person on commas and colons (OpenSSL
// uses colons, most other tools commas), trims spaces and drops empty
// entries so that a trailing separator is harmless.
func splitList(list string) []string {
	fields := strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ':' })
	out := fields[:0]
	for _, f := range fields {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseHex16 accepts "0x" followed by one to four hex digits.
func parseHex16(s string) (uint16, bool) {
	digits, ok := strings.CutPrefix(strings.ToLower(s), "0x")
	if !ok || digits == "" || len(digits) > 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(digits, 16, 16)
	return uint16(v), err == nil
}

// nearest returns the key of names closest to name by edit distance, if it
// is close enough to be a typo: at most a third of the name's length, so
// "ECDHE-RSA-AES128-GCM-SHA265" finds its suite but "foo" finds nothing.
// Keys are upper-case; the suggestion is returned in the registry's own
// spelling when one is known.
func nearest[T any](name string, names map[string]T) string {
	target := strings.ToUpper(strings.TrimSpace(name))
	best, bestDist := "", len(target)/3+1
	for key := range names {
		d := editDistance(target, key)
		if d < bestDist || (d == bestDist && best != "" && key < best) {
			best, bestDist = key, d
		}
	}
	if best == "" {
		return ""
	}
	return displayName(best, names)
}

// displayName turns an upper-cased lookup key back into the spelling the
// registry uses, so suggestions read "TLS_DH_anon_..." or "x25519" rather
// than an upper-cased form nobody writes.
func displayName[T any](key string, names map[string]T) string {
	var v any = names[key]
	var candidates []string
	switch e := v.(type) {
	case *Suite:
		candidates = []string{e.Name, e.OpenSSLName}
	case *GroupInfo:
		candidates = []string{e.Name, e.OpenSSLName}
	case *SchemeInfo:
		candidates = []string{e.Name, e.OpenSSLName}
	}
	for _, c := range candidates {
		if strings.EqualFold(c, key) {
			return c
		}
	}
	// An alias ("PRIME256V1"): suggest the IANA name, which is always
	// accepted, rather than the alias upper-cased.
	if len(candidates) > 0 {
		return candidates[0]
	}
	return key
}

// editDistance is the optimal-string-alignment distance between a and b:
// Levenshtein plus adjacent transpositions, the commonest typo
// ("secp265r1"). Bytes, since all registry names are ASCII.
func editDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j].
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
