package suites

import (
	"fmt"
	"strings"
)

// GroupKind says what mathematics a named group uses, which decides the
// key_share format and which package in internal/kex handles it.
type GroupKind uint8

// Kinds of named group.
const (
	GroupUnknownKind GroupKind = iota
	GroupEC                    // elliptic curve (ECDHE), including X25519 and X448
	GroupFFDHE                 // finite-field DH groups of RFC 7919
	GroupHybridPQ              // ECDH combined with ML-KEM in one key share
	GroupPQ                    // ML-KEM alone
	GroupOther                 // placeholders such as arbitrary_explicit_*_curves
)

var groupKindNames = map[GroupKind]string{
	GroupEC:       "EC",
	GroupFFDHE:    "FFDHE",
	GroupHybridPQ: "hybrid PQ",
	GroupPQ:       "PQ",
	GroupOther:    "other",
}

// String names the kind, e.g. "EC" or "hybrid PQ".
func (k GroupKind) String() string {
	if name, ok := groupKindNames[k]; ok {
		return name
	}
	return fmt.Sprintf("GroupKind(%d)", uint8(k))
}

// GroupInfo describes one entry of the IANA "TLS Supported Groups"
// registry.
type GroupInfo struct {
	// ID is the code point in supported_groups, key_share and the TLS 1.2
	// ServerKeyExchange.
	ID Group
	// Name is the IANA name: "secp256r1", "x25519", "ffdhe2048",
	// "X25519MLKEM768".
	Name string
	// OpenSSLName is the spelling OpenSSL's -groups option and its
	// handshake output use ("P-256", "X25519"), or "" when OpenSSL has none.
	OpenSSLName string
	// Kind is the family of the group.
	Kind GroupKind
	// Bits is the size that names the group: the field size of a curve
	// (255 for x25519), the modulus of an FFDHE group, or the ML-KEM
	// parameter set (512, 768, 1024) for post-quantum and hybrid groups.
	Bits int
	// Implemented is true when clasp can run a key exchange over the group.
	Implemented bool
	// Deprecated is true for groups the registry marks deprecated (small
	// binary and prime curves, RFC 8422's explicit-curve placeholders) and
	// for the pre-standard Kyber drafts.
	Deprecated bool
}

// Named groups clasp code refers to directly, named after their IANA names
// (Go's crypto/tls says CurveP256 where IANA says secp256r1).
const (
	Secp256r1          Group = 0x0017
	Secp384r1          Group = 0x0018
	Secp521r1          Group = 0x0019
	X25519             Group = 0x001D
	X448               Group = 0x001E
	FFDHE2048          Group = 0x0100
	FFDHE3072          Group = 0x0101
	FFDHE4096          Group = 0x0102
	FFDHE6144          Group = 0x0103
	FFDHE8192          Group = 0x0104
	SecP256r1MLKEM768  Group = 0x11EB
	X25519MLKEM768     Group = 0x11EC
	SecP384r1MLKEM1024 Group = 0x11ED
)

// groupTable is every assigned entry of the IANA "TLS Supported Groups"
// registry in code-point order. GREASE values and the private-use ranges
// are not listed.
var groupTable = [...]GroupInfo{
	{ID: 0x0001, Name: "sect163k1", OpenSSLName: "sect163k1", Kind: GroupEC, Bits: 163, Deprecated: true},
	{ID: 0x0002, Name: "sect163r1", OpenSSLName: "sect163r1", Kind: GroupEC, Bits: 163, Deprecated: true},
	{ID: 0x0003, Name: "sect163r2", OpenSSLName: "sect163r2", Kind: GroupEC, Bits: 163, Deprecated: true},
	{ID: 0x0004, Name: "sect193r1", OpenSSLName: "sect193r1", Kind: GroupEC, Bits: 193, Deprecated: true},
	{ID: 0x0005, Name: "sect193r2", OpenSSLName: "sect193r2", Kind: GroupEC, Bits: 193, Deprecated: true},
	{ID: 0x0006, Name: "sect233k1", OpenSSLName: "sect233k1", Kind: GroupEC, Bits: 233, Deprecated: true},
	{ID: 0x0007, Name: "sect233r1", OpenSSLName: "sect233r1", Kind: GroupEC, Bits: 233, Deprecated: true},
	{ID: 0x0008, Name: "sect239k1", OpenSSLName: "sect239k1", Kind: GroupEC, Bits: 239, Deprecated: true},
	{ID: 0x0009, Name: "sect283k1", OpenSSLName: "sect283k1", Kind: GroupEC, Bits: 283},
	{ID: 0x000A, Name: "sect283r1", OpenSSLName: "sect283r1", Kind: GroupEC, Bits: 283},
	{ID: 0x000B, Name: "sect409k1", OpenSSLName: "sect409k1", Kind: GroupEC, Bits: 409},
	{ID: 0x000C, Name: "sect409r1", OpenSSLName: "sect409r1", Kind: GroupEC, Bits: 409},
	{ID: 0x000D, Name: "sect571k1", OpenSSLName: "sect571k1", Kind: GroupEC, Bits: 571},
	{ID: 0x000E, Name: "sect571r1", OpenSSLName: "sect571r1", Kind: GroupEC, Bits: 571},
	{ID: 0x000F, Name: "secp160k1", OpenSSLName: "secp160k1", Kind: GroupEC, Bits: 160, Deprecated: true},
	{ID: 0x0010, Name: "secp160r1", OpenSSLName: "secp160r1", Kind: GroupEC, Bits: 160, Deprecated: true},
	{ID: 0x0011, Name: "secp160r2", OpenSSLName: "secp160r2", Kind: GroupEC, Bits: 160, Deprecated: true},
	{ID: 0x0012, Name: "secp192k1", OpenSSLName: "secp192k1", Kind: GroupEC, Bits: 192, Deprecated: true},
	{ID: 0x0013, Name: "secp192r1", OpenSSLName: "P-192", Kind: GroupEC, Bits: 192, Deprecated: true},
	{ID: 0x0014, Name: "secp224k1", OpenSSLName: "secp224k1", Kind: GroupEC, Bits: 224, Deprecated: true},
	{ID: 0x0015, Name: "secp224r1", OpenSSLName: "P-224", Kind: GroupEC, Bits: 224, Deprecated: true},
	{ID: 0x0016, Name: "secp256k1", OpenSSLName: "secp256k1", Kind: GroupEC, Bits: 256},
	{ID: 0x0017, Name: "secp256r1", OpenSSLName: "P-256", Kind: GroupEC, Bits: 256, Implemented: true},
	{ID: 0x0018, Name: "secp384r1", OpenSSLName: "P-384", Kind: GroupEC, Bits: 384, Implemented: true},
	{ID: 0x0019, Name: "secp521r1", OpenSSLName: "P-521", Kind: GroupEC, Bits: 521, Implemented: true},
	{ID: 0x001A, Name: "brainpoolP256r1", OpenSSLName: "brainpoolP256r1", Kind: GroupEC, Bits: 256},
	{ID: 0x001B, Name: "brainpoolP384r1", OpenSSLName: "brainpoolP384r1", Kind: GroupEC, Bits: 384},
	{ID: 0x001C, Name: "brainpoolP512r1", OpenSSLName: "brainpoolP512r1", Kind: GroupEC, Bits: 512},
	{ID: 0x001D, Name: "x25519", OpenSSLName: "X25519", Kind: GroupEC, Bits: 255, Implemented: true},
	{ID: 0x001E, Name: "x448", OpenSSLName: "X448", Kind: GroupEC, Bits: 448},
	{ID: 0x001F, Name: "brainpoolP256r1tls13", OpenSSLName: "brainpoolP256r1tls13", Kind: GroupEC, Bits: 256},
	{ID: 0x0020, Name: "brainpoolP384r1tls13", OpenSSLName: "brainpoolP384r1tls13", Kind: GroupEC, Bits: 384},
	{ID: 0x0021, Name: "brainpoolP512r1tls13", OpenSSLName: "brainpoolP512r1tls13", Kind: GroupEC, Bits: 512},
	{ID: 0x0022, Name: "GC256A", Kind: GroupEC, Bits: 256},
	{ID: 0x0023, Name: "GC256B", Kind: GroupEC, Bits: 256},
	{ID: 0x0024, Name: "GC256C", Kind: GroupEC, Bits: 256},
	{ID: 0x0025, Name: "GC256D", Kind: GroupEC, Bits: 256},
	{ID: 0x0026, Name: "GC512A", Kind: GroupEC, Bits: 512},
	{ID: 0x0027, Name: "GC512B", Kind: GroupEC, Bits: 512},
	{ID: 0x0028, Name: "GC512C", Kind: GroupEC, Bits: 512},
	{ID: 0x0029, Name: "curveSM2", OpenSSLName: "curveSM2", Kind: GroupEC, Bits: 256},
	{ID: 0x0100, Name: "ffdhe2048", OpenSSLName: "ffdhe2048", Kind: GroupFFDHE, Bits: 2048, Implemented: true},
	{ID: 0x0101, Name: "ffdhe3072", OpenSSLName: "ffdhe3072", Kind: GroupFFDHE, Bits: 3072, Implemented: true},
	{ID: 0x0102, Name: "ffdhe4096", OpenSSLName: "ffdhe4096", Kind: GroupFFDHE, Bits: 4096, Implemented: true},
	{ID: 0x0103, Name: "ffdhe6144", OpenSSLName: "ffdhe6144", Kind: GroupFFDHE, Bits: 6144, Implemented: true},
	{ID: 0x0104, Name: "ffdhe8192", OpenSSLName: "ffdhe8192", Kind: GroupFFDHE, Bits: 8192, Implemented: true},
	{ID: 0x0200, Name: "MLKEM512", OpenSSLName: "MLKEM512", Kind: GroupPQ, Bits: 512},
	{ID: 0x0201, Name: "MLKEM768", OpenSSLName: "MLKEM768", Kind: GroupPQ, Bits: 768},
	{ID: 0x0202, Name: "MLKEM1024", OpenSSLName: "MLKEM1024", Kind: GroupPQ, Bits: 1024},
	{ID: 0x11E9, Name: "SecP256r1MLKEM512", Kind: GroupHybridPQ, Bits: 512},
	{ID: 0x11EA, Name: "MLKEM512X25519", Kind: GroupHybridPQ, Bits: 512},
	{ID: 0x11EB, Name: "SecP256r1MLKEM768", OpenSSLName: "SecP256r1MLKEM768", Kind: GroupHybridPQ, Bits: 768, Implemented: true},
	{ID: 0x11EC, Name: "X25519MLKEM768", OpenSSLName: "X25519MLKEM768", Kind: GroupHybridPQ, Bits: 768, Implemented: true},
	{ID: 0x11ED, Name: "SecP384r1MLKEM1024", OpenSSLName: "SecP384r1MLKEM1024", Kind: GroupHybridPQ, Bits: 1024, Implemented: true},
	{ID: 0x11EE, Name: "curveSM2MLKEM768", OpenSSLName: "curveSM2MLKEM768", Kind: GroupHybridPQ, Bits: 768},
	// IANA lists these two as "(OBSOLETE)": pre-standard Kyber, replaced by
	// X25519MLKEM768 and SecP256r1MLKEM768. Browsers sent them in 2023-24,
	// so traces still show them.
	{ID: 0x6399, Name: "X25519Kyber768Draft00", Kind: GroupHybridPQ, Bits: 768, Deprecated: true},
	{ID: 0x639A, Name: "SecP256r1Kyber768Draft00", Kind: GroupHybridPQ, Bits: 768, Deprecated: true},
	// RFC 8422 §5.1.1 deprecates explicit curves; these values only ever
	// said "I accept an explicit curve".
	{ID: 0xFF01, Name: "arbitrary_explicit_prime_curves", Kind: GroupOther, Deprecated: true},
	{ID: 0xFF02, Name: "arbitrary_explicit_char2_curves", Kind: GroupOther, Deprecated: true},
}

// groupAliases are further spellings people use for the same curves:
// ANSI X9.62 names (OpenSSL prints "prime256v1" in "Server Temp Key"), NIST
// names with and without the dash, and the NIST K-/B- names of the binary
// curves.
var groupAliases = map[string]Group{
	"prime192v1": 0x0013, "P192": 0x0013,
	"P224":       0x0015,
	"prime256v1": Secp256r1, "P256": Secp256r1,
	"P384":  Secp384r1,
	"P521":  Secp521r1,
	"K-163": 0x0001, "B-163": 0x0003,
	"K-233": 0x0006, "B-233": 0x0007,
	"K-283": 0x0009, "B-283": 0x000A,
	"K-409": 0x000B, "B-409": 0x000C,
	"K-571": 0x000D, "B-571": 0x000E,
}

var (
	groupIndex = make(map[Group]*GroupInfo, len(groupTable))
	groupNames = make(map[string]*GroupInfo, 3*len(groupTable))
)

func init() {
	for i := range groupTable {
		g := &groupTable[i]
		groupIndex[g.ID] = g
		groupNames[strings.ToUpper(g.Name)] = g
		if g.OpenSSLName != "" {
			groupNames[strings.ToUpper(g.OpenSSLName)] = g
		}
	}
	for alias, id := range groupAliases {
		groupNames[strings.ToUpper(alias)] = groupIndex[id]
	}
}

// GroupByID returns the registry entry for g, or nil if it is not assigned.
func GroupByID(g Group) *GroupInfo {
	return groupIndex[g]
}

// GroupByName finds a group by its IANA name, OpenSSL name or a common
// alias ("prime256v1", "P256", "P-256", "secp256r1"), ignoring case.
func GroupByName(name string) (*GroupInfo, bool) {
	g, ok := groupNames[strings.ToUpper(strings.TrimSpace(name))]
	return g, ok
}

// AllGroups returns every registered group in code-point order.
func AllGroups() []*GroupInfo {
	out := make([]*GroupInfo, len(groupTable))
	for i := range groupTable {
		out[i] = &groupTable[i]
	}
	return out
}

// String returns the IANA name, "GREASE(0x0A0A)", or "unknown(0xNNNN)".
func (g Group) String() string {
	if info := groupIndex[g]; info != nil {
		return info.Name
	}
	return unknownString(uint16(g))
}

// ParseGroupList parses a comma- or colon-separated list of groups in any
// accepted spelling, or as hex code points ("0x11EC"). It rejects unknown
// names with an *UnknownNameError carrying the nearest name, and a group
// listed twice.
func ParseGroupList(list string) ([]Group, error) {
	var out []Group
	seen := make(map[Group]string)
	for _, entry := range splitList(list) {
		var g Group
		if v, ok := parseHex16(entry); ok {
			g = Group(v)
		} else if info, ok := GroupByName(entry); ok {
			g = info.ID
		} else {
			return nil, &UnknownNameError{Kind: "group", Name: entry, Suggestion: nearest(entry, groupNames)}
		}
		if prev, dup := seen[g]; dup {
			return nil, fmt.Errorf("group %q is listed twice (also as %q)", entry, prev)
		}
		seen[g] = entry
		out = append(out, g)
	}
	return out, nil
}

// DefaultGroups returns the groups clasp offers when the configuration
// names none, best first, in the order of Go 1.26's crypto/tls: the
// post-quantum hybrids (X25519MLKEM768, then the NIST-curve ones), then
// X25519 (fast, hard to misuse) and the NIST curves most servers require.
func DefaultGroups() []Group {
	return []Group{X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024, X25519, Secp256r1, Secp384r1, Secp521r1}
}
