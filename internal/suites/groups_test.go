package suites

import (
	"crypto"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestGroupTableHasNoDuplicatesAndIsOrdered(t *testing.T) {
	names := make(map[string]Group)
	for i, g := range AllGroups() {
		if i > 0 && groupTable[i-1].ID >= g.ID {
			t.Errorf("group table out of order at 0x%04X", uint16(g.ID))
		}
		for _, n := range []string{g.Name, g.OpenSSLName} {
			if n == "" {
				continue
			}
			if other, dup := names[strings.ToUpper(n)]; dup && other != g.ID {
				t.Errorf("name %q used by 0x%04X and 0x%04X", n, uint16(other), uint16(g.ID))
			}
			names[strings.ToUpper(n)] = g.ID
		}
		if g.Kind == GroupUnknownKind {
			t.Errorf("%s has no kind", g.Name)
		}
		if g.Bits == 0 && g.Kind != GroupOther {
			t.Errorf("%s has no size", g.Name)
		}
	}
	for alias, id := range groupAliases {
		if GroupByID(id) == nil {
			t.Errorf("alias %s points at unregistered 0x%04X", alias, uint16(id))
		}
		if other, dup := names[strings.ToUpper(alias)]; dup && other != id {
			t.Errorf("alias %s shadows the name of 0x%04X", alias, uint16(other))
		}
	}
	if n := len(groupTable); n != 59 {
		t.Errorf("group table has %d entries; the IANA registry has 59 assigned", n)
	}
}

// TestGroupPropertiesMatchNames derives kind and size from each IANA name.
func TestGroupPropertiesMatchNames(t *testing.T) {
	for _, g := range AllGroups() {
		var kind GroupKind
		switch n := g.Name; {
		case strings.HasPrefix(n, "ffdhe"):
			kind = GroupFFDHE
		case strings.HasPrefix(n, "MLKEM") && !strings.HasSuffix(n, "X25519"):
			kind = GroupPQ
		case strings.Contains(n, "MLKEM") || strings.Contains(n, "Kyber"):
			kind = GroupHybridPQ
		case strings.HasPrefix(n, "arbitrary_"):
			kind = GroupOther
		default:
			kind = GroupEC
		}
		if g.Kind != kind {
			t.Errorf("%s: kind %v, name says %v", g.Name, g.Kind, kind)
		}
		// Every size is spelled in the name, except x25519's 255 and the
		// 256-bit curveSM2.
		if g.Bits != 0 && g.ID != X25519 && g.Name != "curveSM2" {
			size := itoa(g.Bits)
			if !strings.Contains(g.Name, size) {
				t.Errorf("%s: Bits %d not in the name", g.Name, g.Bits)
			}
		}
	}
}

func itoa(n int) string {
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestGroupConstants(t *testing.T) {
	want := map[Group]string{
		X25519: "x25519", Secp256r1: "secp256r1", Secp384r1: "secp384r1", Secp521r1: "secp521r1", X448: "x448",
		FFDHE2048: "ffdhe2048", FFDHE3072: "ffdhe3072", FFDHE4096: "ffdhe4096", FFDHE6144: "ffdhe6144", FFDHE8192: "ffdhe8192",
		X25519MLKEM768: "X25519MLKEM768", SecP256r1MLKEM768: "SecP256r1MLKEM768", SecP384r1MLKEM1024: "SecP384r1MLKEM1024",
	}
	for g, name := range want {
		if g.String() != name {
			t.Errorf("0x%04X is %s, constant says %s", uint16(g), g, name)
		}
	}
}

func TestImplementedGroups(t *testing.T) {
	want := map[Group]bool{X25519MLKEM768: true, SecP256r1MLKEM768: true, SecP384r1MLKEM1024: true, X25519: true, Secp256r1: true, Secp384r1: true, Secp521r1: true,
		FFDHE2048: true, FFDHE3072: true, FFDHE4096: true, FFDHE6144: true, FFDHE8192: true}
	for _, g := range AllGroups() {
		if g.Implemented != want[g.ID] {
			t.Errorf("%s: Implemented = %v", g.Name, g.Implemented)
		}
	}
	for _, g := range DefaultGroups() {
		info := GroupByID(g)
		if info == nil || !info.Implemented || info.Kind != GroupEC && info.Kind != GroupHybridPQ {
			t.Errorf("default group %v is not an implemented EC or hybrid group", g)
		}
	}
	// Go 1.26's crypto/tls order (defaults.go): the hybrid post-quantum
	// groups lead for TLS 1.3 (TLS 1.2 skips them: they are not ECDHE
	// curves), then X25519 and the NIST curves.
	want13 := []Group{X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024, X25519, Secp256r1, Secp384r1, Secp521r1}
	if d := DefaultGroups(); !slices.Equal(d, want13) {
		t.Errorf("defaults %v, want %v", d, want13)
	}
}

func TestGroupLookupSpellings(t *testing.T) {
	for _, name := range []string{"secp256r1", "SECP256R1", "P-256", "p-256", "P256", "prime256v1"} {
		if g, ok := GroupByName(name); !ok || g.ID != Secp256r1 {
			t.Errorf("GroupByName(%q) = %v, %v", name, g, ok)
		}
	}
	for name, id := range map[string]Group{"x25519": X25519, "X25519": X25519, "ffdhe2048": FFDHE2048,
		"X25519MLKEM768": X25519MLKEM768, "x25519mlkem768": X25519MLKEM768, "K-163": 0x0001, "B-163": 0x0003} {
		if g, ok := GroupByName(name); !ok || g.ID != id {
			t.Errorf("GroupByName(%q) = %v, %v", name, g, ok)
		}
	}
	if _, ok := GroupByName("P-255"); ok {
		t.Error("P-255 found")
	}
}

func TestParseGroupList(t *testing.T) {
	got, err := ParseGroupList("X25519MLKEM768:x25519, P-256 ,0x0018")
	if err != nil {
		t.Fatal(err)
	}
	want := []Group{X25519MLKEM768, X25519, Secp256r1, Secp384r1}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: %v, want %v", i, got[i], want[i])
		}
	}
	_, err = ParseGroupList("x25519,secp265r1")
	var une *UnknownNameError
	if !errors.As(err, &une) || une.Name != "secp265r1" || une.Suggestion != "secp256r1" {
		t.Errorf("got %v", err)
	}
	if _, err := ParseGroupList("P-256,prime256v1"); err == nil {
		t.Error("same group twice accepted")
	}
}

func TestSchemeTableHasNoDuplicatesAndIsOrdered(t *testing.T) {
	names := make(map[string]SignatureScheme)
	for i, s := range AllSchemes() {
		if i > 0 && schemeTable[i-1].ID >= s.ID {
			t.Errorf("scheme table out of order at 0x%04X", uint16(s.ID))
		}
		for _, n := range []string{s.Name, s.OpenSSLName} {
			if n == "" {
				continue
			}
			if other, dup := names[strings.ToUpper(n)]; dup && other != s.ID {
				t.Errorf("name %q used by 0x%04X and 0x%04X", n, uint16(other), uint16(s.ID))
			}
			names[strings.ToUpper(n)] = s.ID
		}
	}
	for alias := range schemeAliases {
		if _, dup := names[strings.ToUpper(alias)]; dup {
			t.Errorf("alias %s shadows a table name", alias)
		}
	}
}

// TestSchemePropertiesMatchNames derives algorithm, hash and curve from each
// name, and for the TLS 1.2 pairs checks the (hash, signature) bytes too.
func TestSchemePropertiesMatchNames(t *testing.T) {
	hashes := map[string]crypto.Hash{"md5": crypto.MD5, "sha1": crypto.SHA1, "sha224": crypto.SHA224,
		"sha256": crypto.SHA256, "sha384": crypto.SHA384, "sha512": crypto.SHA512}
	for _, s := range AllSchemes() {
		n := strings.TrimSuffix(s.Name, "_legacy")
		var alg SignatureAlgorithm
		switch {
		case strings.HasPrefix(n, "rsa_pkcs1_"):
			alg = SigRSAPKCS1
		case strings.HasPrefix(n, "rsa_pss_rsae_"):
			alg = SigRSAPSSRSAE
		case strings.HasPrefix(n, "rsa_pss_pss_"):
			alg = SigRSAPSSPSS
		case strings.HasPrefix(n, "ecdsa_"):
			alg = SigECDSA
		case strings.HasPrefix(n, "dsa_"):
			alg = SigDSA
		case n == "ed25519":
			alg = SigEd25519
		case n == "ed448":
			alg = SigEd448
		case strings.HasPrefix(n, "sm2sig_"):
			alg = SigSM2
		case strings.HasPrefix(n, "gostr"):
			alg = SigGOST
		case strings.HasPrefix(n, "mldsa"):
			alg = SigMLDSA
		case strings.HasPrefix(n, "slhdsa_"):
			alg = SigSLHDSA
		case strings.HasPrefix(n, "eccsi_"):
			alg = SigECCSI
		case strings.HasPrefix(n, "iso_"):
			alg = SigIBS
		}
		if s.Algorithm != alg {
			t.Errorf("%s: algorithm %v, name says %v", s.Name, s.Algorithm, alg)
		}
		var hash crypto.Hash
		if alg != SigSLHDSA { // slhdsa_sha2_* hash internally
			hash = hashes[n[strings.LastIndex(n, "_")+1:]]
		}
		if s.Hash != hash {
			t.Errorf("%s: hash %v, name says %v", s.Name, s.Hash, hash)
		}
		var curve Group
		switch {
		case strings.HasPrefix(n, "ecdsa_secp") || strings.HasPrefix(n, "ecdsa_brainpool"):
			name := strings.TrimPrefix(n, "ecdsa_")
			name = name[:strings.LastIndex(name, "_")]
			g, ok := GroupByName(name)
			if !ok {
				t.Errorf("%s: curve %s not registered", s.Name, name)
				continue
			}
			curve = g.ID
		case alg == SigSM2:
			curve = 0x0029 // curveSM2
		}
		if s.Curve != curve {
			t.Errorf("%s: curve %v, name says %v", s.Name, s.Curve, curve)
		}
		// TLS 1.2 pairs: low byte 1/2/3 = rsa/dsa/ecdsa, high byte 1..6 = hash.
		if hi, lo := s.ID>>8, s.ID&0xFF; hi >= 1 && hi <= 6 && lo >= 1 && lo <= 3 && !strings.HasSuffix(s.Name, "_legacy") {
			wantAlg := [...]SignatureAlgorithm{1: SigRSAPKCS1, 2: SigDSA, 3: SigECDSA}[lo]
			wantHash := [...]crypto.Hash{1: crypto.MD5, 2: crypto.SHA1, 3: crypto.SHA224, 4: crypto.SHA256, 5: crypto.SHA384, 6: crypto.SHA512}[hi]
			if s.Algorithm != wantAlg || s.Hash != wantHash {
				t.Errorf("%s (0x%04X): bytes say %v with %v", s.Name, uint16(s.ID), wantAlg, wantHash)
			}
		}
		// RFC 8446 §4.2.3: no PKCS#1 v1.5 (except the _legacy draft
		// schemes) and no SHA-1 in a TLS 1.3 CertificateVerify.
		tls13 := !(alg == SigDSA || s.Hash == crypto.SHA1 || s.Hash == crypto.MD5 || s.Hash == crypto.SHA224 ||
			(alg == SigRSAPKCS1 && !strings.HasSuffix(s.Name, "_legacy")) || s.ID == 0x0840 || s.ID == 0x0841)
		if s.TLS13 != tls13 {
			t.Errorf("%s: TLS13 = %v, want %v", s.Name, s.TLS13, tls13)
		}
	}
	if n := len(schemeTable); n != 61 {
		t.Errorf("scheme table has %d entries, want 49 IANA + 12 legacy pairs", n)
	}
}

func TestSchemeConstantsAndImplemented(t *testing.T) {
	want := map[SignatureScheme]string{
		PKCS1WithSHA1: "rsa_pkcs1_sha1", PKCS1WithSHA256: "rsa_pkcs1_sha256", PKCS1WithSHA384: "rsa_pkcs1_sha384",
		PKCS1WithSHA512: "rsa_pkcs1_sha512", PSSWithSHA256: "rsa_pss_rsae_sha256", PSSWithSHA384: "rsa_pss_rsae_sha384",
		PSSWithSHA512: "rsa_pss_rsae_sha512", PSSPSSWithSHA256: "rsa_pss_pss_sha256", PSSPSSWithSHA384: "rsa_pss_pss_sha384",
		PSSPSSWithSHA512: "rsa_pss_pss_sha512", ECDSAWithP256AndSHA256: "ecdsa_secp256r1_sha256",
		ECDSAWithP384AndSHA384: "ecdsa_secp384r1_sha384", ECDSAWithP521AndSHA512: "ecdsa_secp521r1_sha512",
		ECDSAWithSHA1: "ecdsa_sha1", Ed25519: "ed25519", Ed448: "ed448",
		DSAWithSHA1: "dsa_sha1", DSAWithSHA224: "dsa_sha224", DSAWithSHA256: "dsa_sha256",
		DSAWithSHA384: "dsa_sha384", DSAWithSHA512: "dsa_sha512",
	}
	for s, name := range want {
		if s.String() != name {
			t.Errorf("0x%04X is %s, constant says %s", uint16(s), s, name)
		}
	}
	impl := map[SignatureScheme]bool{PKCS1WithSHA1: true, PKCS1WithSHA256: true, PKCS1WithSHA384: true, PKCS1WithSHA512: true,
		PSSWithSHA256: true, PSSWithSHA384: true, PSSWithSHA512: true, ECDSAWithP256AndSHA256: true,
		ECDSAWithP384AndSHA384: true, ECDSAWithP521AndSHA512: true, ECDSAWithSHA1: true, Ed25519: true,
		DSAWithSHA1: true, DSAWithSHA224: true, DSAWithSHA256: true, DSAWithSHA384: true, DSAWithSHA512: true}
	for _, s := range AllSchemes() {
		if s.Implemented != impl[s.ID] {
			t.Errorf("%s: Implemented = %v", s.Name, s.Implemented)
		}
	}
	for _, s := range DefaultSignatureSchemes() {
		info := SchemeByID(s)
		if info == nil || !info.Implemented || info.Hash == crypto.SHA1 {
			t.Errorf("default scheme %v is unimplemented or SHA-1", s)
		}
	}
	if n := len(DefaultSignatureSchemes()); n != 10 {
		t.Errorf("%d default schemes, want 10", n)
	}
}

func TestSchemeLookupSpellings(t *testing.T) {
	for name, id := range map[string]SignatureScheme{
		"ecdsa_secp256r1_sha256": ECDSAWithP256AndSHA256, "ECDSA+SHA256": ECDSAWithP256AndSHA256,
		"ecdsa+sha256": ECDSAWithP256AndSHA256, "RSA+SHA256": PKCS1WithSHA256, "rsa_pkcs1_sha256": PKCS1WithSHA256,
		"RSA-PSS+SHA256": PSSWithSHA256, "PSS+SHA384": PSSWithSHA384, "rsa_pss_rsae_sha512": PSSWithSHA512,
		"ED25519": Ed25519, "ECDSA+SHA1": ECDSAWithSHA1, "DSA+SHA256": 0x0402,
	} {
		if s, ok := SchemeByName(name); !ok || s.ID != id {
			t.Errorf("SchemeByName(%q) = %v, %v", name, s, ok)
		}
	}
}

func TestParseSchemeList(t *testing.T) {
	got, err := ParseSchemeList("ECDSA+SHA256:RSA-PSS+SHA256, rsa_pkcs1_sha256,ed25519")
	if err != nil {
		t.Fatal(err)
	}
	want := []SignatureScheme{ECDSAWithP256AndSHA256, PSSWithSHA256, PKCS1WithSHA256, Ed25519}
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	_, err = ParseSchemeList("rsa_pss_rsae_sha265")
	var une *UnknownNameError
	if !errors.As(err, &une) || une.Suggestion != "rsa_pss_rsae_sha256" {
		t.Errorf("got %v", err)
	}
}
