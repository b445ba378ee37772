package suites

import (
	"bufio"
	"crypto"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// readIANASuites loads the registry snapshot kept in testdata.
func readIANASuites(t *testing.T) map[ID]string {
	t.Helper()
	f, err := os.Open("testdata/iana-cipher-suites.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := make(map[ID]string)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			t.Fatalf("bad snapshot line %q", line)
		}
		v, err := strconv.ParseUint(strings.TrimPrefix(fields[0], "0x"), 16, 16)
		if err != nil {
			t.Fatalf("bad code point in %q: %v", line, err)
		}
		if _, dup := out[ID(v)]; dup {
			t.Fatalf("snapshot lists 0x%04X twice", v)
		}
		out[ID(v)] = fields[1]
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSuiteTableMatchesIANA(t *testing.T) {
	iana := readIANASuites(t)
	if len(suiteTable) != len(iana) {
		t.Errorf("table has %d suites, IANA snapshot %d", len(suiteTable), len(iana))
	}
	for id, name := range iana {
		s := SuiteByID(id)
		if s == nil {
			t.Errorf("0x%04X %s is registered with IANA but missing from the table", uint16(id), name)
			continue
		}
		if s.Name != name {
			t.Errorf("0x%04X: table name %q, IANA name %q", uint16(id), s.Name, name)
		}
	}
	for i := range suiteTable {
		if _, ok := iana[suiteTable[i].ID]; !ok {
			t.Errorf("table row 0x%04X %s is not in the IANA snapshot", uint16(suiteTable[i].ID), suiteTable[i].Name)
		}
		if i > 0 && suiteTable[i-1].ID >= suiteTable[i].ID {
			t.Errorf("table out of order at 0x%04X", uint16(suiteTable[i].ID))
		}
	}
}

func TestSuiteTableHasNoDuplicates(t *testing.T) {
	ids := make(map[ID]bool)
	names := make(map[string]ID) // every spelling, upper-cased
	for _, s := range AllSuites() {
		if ids[s.ID] {
			t.Errorf("code point 0x%04X appears twice", uint16(s.ID))
		}
		ids[s.ID] = true
		for _, n := range []string{s.Name, s.OpenSSLName} {
			if n == "" {
				continue
			}
			key := strings.ToUpper(n)
			if other, dup := names[key]; dup && other != s.ID {
				t.Errorf("name %q used by both 0x%04X and 0x%04X", n, uint16(other), uint16(s.ID))
			}
			names[key] = s.ID
		}
	}
}

// expectedFromName derives a suite's properties from its IANA name alone,
// independently of the table, so that a typo in any row fails the test.
type expected struct {
	kex      KeyExchange
	auth     Auth
	cipher   Cipher
	mac      MAC
	prf      crypto.Hash
	min, max Version
}

func expectedFromName(t *testing.T, name string) expected {
	t.Helper()
	var e expected
	body := strings.TrimPrefix(name, "TLS_")
	kexPart, cipherPart, hasWith := strings.Cut(body, "_WITH_")
	if !hasWith {
		kexPart, cipherPart = "", body
	}

	// Key exchange and authentication, from the words before _WITH_.
	export := strings.HasSuffix(kexPart, "_EXPORT")
	kexPart = strings.TrimSuffix(kexPart, "_EXPORT")
	type ka struct {
		k KeyExchange
		a Auth
	}
	kexes := map[string]ka{
		"": {KexAny, AuthAny}, "NULL": {KexNULL, AuthNULL},
		"RSA": {KexRSA, AuthRSA}, "DH_DSS": {KexDH, AuthDSS}, "DH_RSA": {KexDH, AuthRSA},
		"DHE_DSS": {KexDHE, AuthDSS}, "DHE_RSA": {KexDHE, AuthRSA}, "DH_anon": {KexDHAnon, AuthAnon},
		"KRB5": {KexKRB5, AuthKRB5}, "PSK": {KexPSK, AuthPSK}, "DHE_PSK": {KexDHEPSK, AuthPSK},
		"PSK_DHE": {KexDHEPSK, AuthPSK}, "RSA_PSK": {KexRSAPSK, AuthRSA}, "ECDHE_PSK": {KexECDHEPSK, AuthPSK},
		"ECDH_ECDSA": {KexECDH, AuthECDSA}, "ECDH_RSA": {KexECDH, AuthRSA}, "ECDH_anon": {KexECDHAnon, AuthAnon},
		"ECDHE_ECDSA": {KexECDHE, AuthECDSA}, "ECDHE_RSA": {KexECDHE, AuthRSA},
		"SRP_SHA": {KexSRP, AuthSRP}, "SRP_SHA_RSA": {KexSRP, AuthRSA}, "SRP_SHA_DSS": {KexSRP, AuthDSS},
		"ECCPWD": {KexECCPWD, AuthECCPWD}, "GOSTR341112_256": {KexGOST, AuthGOST},
	}
	got, ok := kexes[kexPart]
	if !ok {
		t.Fatalf("%s: cannot parse key exchange %q", name, kexPart)
	}
	e.kex, e.auth = got.k, got.a
	if export && e.kex == KexRSA {
		e.kex = KexRSAExport
	}
	// The GOST TLS 1.3 suites keep the GOSTR341112_256_WITH_ form but,
	// like every TLS 1.3 suite, leave key exchange to other extensions.
	mgm := strings.Contains(cipherPart, "_MGM_")
	if mgm {
		e.kex, e.auth = KexAny, AuthAny
	}

	// Cipher: the longest known prefix of what follows _WITH_.
	ciphers := map[string]Cipher{
		"NULL": CipherNULL, "RC4_40": CipherRC4_40, "RC4_128": CipherRC4_128, "RC2_CBC_40": CipherRC2_40,
		"IDEA_CBC": CipherIDEA, "DES40_CBC": CipherDES40, "DES_CBC_40": CipherDES40, "DES_CBC": CipherDES,
		"3DES_EDE_CBC": Cipher3DES, "AES_128_CBC": CipherAES128CBC, "AES_256_CBC": CipherAES256CBC,
		"AES_128_GCM": CipherAES128GCM, "AES_256_GCM": CipherAES256GCM, "AES_128_CCM": CipherAES128CCM,
		"AES_256_CCM": CipherAES256CCM, "AES_128_CCM_8": CipherAES128CCM8, "AES_256_CCM_8": CipherAES256CCM8,
		"CHACHA20_POLY1305": CipherChaCha20Poly1305, "CAMELLIA_128_CBC": CipherCamellia128CBC,
		"CAMELLIA_256_CBC": CipherCamellia256CBC, "CAMELLIA_128_GCM": CipherCamellia128GCM,
		"CAMELLIA_256_GCM": CipherCamellia256GCM, "ARIA_128_CBC": CipherARIA128CBC, "ARIA_256_CBC": CipherARIA256CBC,
		"ARIA_128_GCM": CipherARIA128GCM, "ARIA_256_GCM": CipherARIA256GCM, "SEED_CBC": CipherSEED,
		"SM4_GCM": CipherSM4GCM, "SM4_CCM": CipherSM4CCM, "28147_CNT": CipherGOST,
		"KUZNYECHIK_CTR": CipherKuznyechikCTR, "MAGMA_CTR": CipherMagmaCTR,
		"KUZNYECHIK_MGM": CipherKuznyechikMGM, "MAGMA_MGM": CipherMagmaMGM,
		"AEGIS_128L": CipherAEGIS128L, "AEGIS_256": CipherAEGIS256, "ASCONAEAD128": CipherAsconAEAD128,
		// RFC 9150 integrity-only suites: no cipher at all.
		"SHA256": CipherNULL, "SHA384": CipherNULL,
	}
	best := ""
	for prefix, c := range ciphers {
		if (cipherPart == prefix || strings.HasPrefix(cipherPart, prefix+"_")) && len(prefix) > len(best) {
			best, e.cipher = prefix, c
		}
	}
	if best == "" {
		t.Fatalf("%s: cannot parse cipher from %q", name, cipherPart)
	}
	aead := strings.Contains(best, "GCM") || strings.Contains(best, "CCM") || strings.Contains(best, "POLY1305") ||
		strings.Contains(best, "MGM") || strings.Contains(best, "AEGIS") || strings.Contains(best, "ASCON")

	// MAC: AEADs have none; otherwise the last word names it.
	last := cipherPart[strings.LastIndex(cipherPart, "_")+1:]
	switch {
	case aead:
		e.mac = MACAEAD
	case strings.HasSuffix(cipherPart, "CTR_OMAC") && e.cipher == CipherKuznyechikCTR:
		e.mac = MACKuznyechikOMAC
	case strings.HasSuffix(cipherPart, "CTR_OMAC"):
		e.mac = MACMagmaOMAC
	case strings.HasSuffix(cipherPart, "CNT_IMIT"):
		e.mac = MACGOST
	case last == "MD5":
		e.mac = MACMD5
	case last == "SHA":
		e.mac = MACSHA1
	case last == "SHA256":
		e.mac = MACSHA256
	case last == "SHA384":
		e.mac = MACSHA384
	case name == "TLS_NULL_WITH_NULL_NULL":
		e.mac = MACNULL
	default:
		t.Fatalf("%s: cannot parse MAC", name)
	}

	// PRF / HKDF hash from the final word.
	switch {
	case name == "TLS_NULL_WITH_NULL_NULL", last == "SM3", strings.Contains(name, "ASCONHASH"), kexPart == "GOSTR341112_256":
		e.prf = 0
	case last == "SHA384":
		e.prf = crypto.SHA384
	case last == "SHA512":
		e.prf = crypto.SHA512
	default:
		e.prf = crypto.SHA256
	}

	// Versions.
	tls12Only := aead || last == "SHA256" || last == "SHA384" || e.kex == KexGOST || e.kex == KexECCPWD
	switch {
	case name == "TLS_NULL_WITH_NULL_NULL":
		e.min, e.max = 0, 0
	case e.kex == KexAny:
		e.min, e.max = VersionTLS13, VersionTLS13
	case tls12Only:
		e.min, e.max = VersionTLS12, VersionTLS12
	default:
		e.min, e.max = VersionTLS10, VersionTLS12
		switch e.kex {
		case KexRSA, KexRSAExport, KexDH, KexDHE, KexDHAnon:
			e.min = VersionSSL30
		}
		if strings.Contains(name, "EXPORT") {
			e.max = VersionTLS10
		} else if e.cipher == CipherDES || e.cipher == CipherIDEA {
			e.max = VersionTLS11
		}
	}
	return e
}

func TestSuitePropertiesMatchNames(t *testing.T) {
	for _, s := range AllSuites() {
		if s.SCSV {
			if !strings.HasSuffix(s.Name, "_SCSV") || s.MinVersion != 0 || s.MaxVersion != 0 {
				t.Errorf("%s: SCSV row must end in _SCSV and have no versions", s.Name)
			}
			continue
		}
		if strings.HasSuffix(s.Name, "_SCSV") {
			t.Errorf("%s: not marked SCSV", s.Name)
		}
		e := expectedFromName(t, s.Name)
		check := func(field string, got, want any) {
			if got != want {
				t.Errorf("%s (0x%04X): %s = %v, name says %v", s.Name, uint16(s.ID), field, got, want)
			}
		}
		check("KeyExchange", s.KeyExchange, e.kex)
		check("Auth", s.Auth, e.auth)
		check("Cipher", s.Cipher, e.cipher)
		check("MAC", s.MAC, e.mac)
		check("PRFHash", s.PRFHash, e.prf)
		check("MinVersion", s.MinVersion, e.min)
		check("MaxVersion", s.MaxVersion, e.max)
		check("IsAEAD", s.IsAEAD(), s.Cipher.Info().AEAD)
	}
}

func TestEveryCipherAndMACInTheTableIsDescribed(t *testing.T) {
	for _, s := range AllSuites() {
		if s.SCSV {
			continue
		}
		if _, ok := cipherInfos[s.Cipher]; !ok {
			t.Errorf("%s: cipher %d has no CipherInfo", s.Name, s.Cipher)
		}
		if _, ok := macInfos[s.MAC]; !ok {
			t.Errorf("%s: MAC %d has no description", s.Name, s.MAC)
		}
		if _, ok := kexNames[s.KeyExchange]; !ok {
			t.Errorf("%s: key exchange %d has no name", s.Name, s.KeyExchange)
		}
		if _, ok := authNames[s.Auth]; !ok {
			t.Errorf("%s: auth %d has no name", s.Name, s.Auth)
		}
	}
}

// namedSuites pairs every exported suite constant with its IANA name.
var namedSuites = map[ID]string{
	TLS_RSA_WITH_AES_128_CBC_SHA:                  "TLS_RSA_WITH_AES_128_CBC_SHA",
	TLS_DHE_RSA_WITH_AES_128_CBC_SHA:              "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
	TLS_RSA_WITH_AES_256_CBC_SHA:                  "TLS_RSA_WITH_AES_256_CBC_SHA",
	TLS_DHE_RSA_WITH_AES_256_CBC_SHA:              "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
	TLS_RSA_WITH_AES_128_CBC_SHA256:               "TLS_RSA_WITH_AES_128_CBC_SHA256",
	TLS_RSA_WITH_AES_128_GCM_SHA256:               "TLS_RSA_WITH_AES_128_GCM_SHA256",
	TLS_RSA_WITH_AES_256_GCM_SHA384:               "TLS_RSA_WITH_AES_256_GCM_SHA384",
	TLS_DHE_RSA_WITH_AES_128_GCM_SHA256:           "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
	TLS_DHE_RSA_WITH_AES_256_GCM_SHA384:           "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
	TLS_EMPTY_RENEGOTIATION_INFO_SCSV:             "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
	TLS_AES_128_GCM_SHA256:                        "TLS_AES_128_GCM_SHA256",
	TLS_AES_256_GCM_SHA384:                        "TLS_AES_256_GCM_SHA384",
	TLS_CHACHA20_POLY1305_SHA256:                  "TLS_CHACHA20_POLY1305_SHA256",
	TLS_FALLBACK_SCSV:                             "TLS_FALLBACK_SCSV",
	TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA:          "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
	TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA:          "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
	TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA:            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
	TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA:            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
	TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256:       "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
	TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384:       "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
	TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256:         "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
	TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384:         "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
	TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:       "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:       "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:         "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:         "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:   "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256:     "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}

func TestSuiteConstantsCarryTheirIANANames(t *testing.T) {
	for id, name := range namedSuites {
		if got := id.String(); got != name {
			t.Errorf("constant %s has value 0x%04X, which the registry calls %s", name, uint16(id), got)
		}
	}
}

func TestImplementedSuitesAreExactlyTheImplementedRows(t *testing.T) {
	listed := make(map[ID]bool)
	for _, id := range ImplementedSuites() {
		if listed[id] {
			t.Errorf("%v listed twice in ImplementedSuites", id)
		}
		listed[id] = true
		s := SuiteByID(id)
		if s == nil || !s.Implemented {
			t.Errorf("%v is in ImplementedSuites but not marked Implemented", id)
			continue
		}
		if !s.SupportsVersion(VersionTLS12) {
			t.Errorf("%v: implemented TLS 1.2 suite cannot be negotiated in TLS 1.2", id)
		}
		info := s.Cipher.Info()
		if info.KeyLen == 0 || (info.AEAD && info.TagLen == 0) || (!info.AEAD && (info.BlockSize == 0 || s.MAC.Size() == 0)) {
			t.Errorf("%v: incomplete cipher/MAC description %+v, MAC %v", id, info, s.MAC)
		}
	}
	legacy := make(map[ID]bool)
	for _, id := range LegacySuites() {
		s := SuiteByID(id)
		if s == nil || !s.Implemented || listed[id] || legacy[id] {
			t.Errorf("%v: a legacy suite must be marked Implemented and listed once, outside ImplementedSuites", id)
		}
		legacy[id] = true
		if weak, _ := s.IsWeak(); !weak || !s.IsLegacy() {
			t.Errorf("%v: a legacy suite must be weak and IsLegacy", id)
		}
	}
	tls13 := map[ID]bool{TLS_AES_128_GCM_SHA256: true, TLS_AES_256_GCM_SHA384: true, TLS_CHACHA20_POLY1305_SHA256: true}
	for _, s := range AllSuites() {
		if s.IsTLS13() {
			if s.Implemented != tls13[s.ID] {
				t.Errorf("TLS 1.3 suite %s: Implemented = %v", s.Name, s.Implemented)
			}
			continue
		}
		if s.Implemented && !listed[s.ID] && !legacy[s.ID] && !s.IsPSK() { // PSK suites: psk_test.go
			t.Errorf("%s is marked Implemented but missing from ImplementedSuites and LegacySuites", s.Name)
		}
	}
	if len(listed) != 24 {
		t.Errorf("ImplementedSuites has %d suites, want the 24 clasp implements", len(listed))
	}
}

func TestDefaultSuitesAreECDHEWithAEAD(t *testing.T) {
	impl := ImplementedSuites()
	for i, id := range DefaultSuites() {
		s := SuiteByID(id)
		if s.KeyExchange != KexECDHE || !s.IsAEAD() || !s.Implemented {
			t.Errorf("default suite %v is not an implemented ECDHE AEAD suite", id)
		}
		if weak, why := s.IsWeak(); weak {
			t.Errorf("default suite %v is weak: %s", id, why)
		}
		if impl[i] != id {
			t.Errorf("ImplementedSuites should start with the defaults in order; position %d is %v", i, impl[i])
		}
	}
}

func TestIsWeakExplainsWhy(t *testing.T) {
	tests := []struct {
		id      ID
		weak    bool
		mention string
	}{
		{TLS_RSA_WITH_AES_128_GCM_SHA256, true, "forward secrecy"},
		{TLS_RSA_WITH_AES_128_CBC_SHA, true, "forward secrecy"},
		{TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, true, "CBC"},
		{TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, true, "CBC"},
		{0x000A, true, "Sweet32"}, // TLS_RSA_WITH_3DES_EDE_CBC_SHA
		{0x0005, true, "RC4"},     // TLS_RSA_WITH_RC4_128_SHA
		{0x0003, true, "export"},  // TLS_RSA_EXPORT_WITH_RC4_40_MD5
		{0x0002, true, "no encryption"},
		{0x00A6, true, "no server authentication"}, // TLS_DH_anon_WITH_AES_128_GCM_SHA256
		{TLS_FALLBACK_SCSV, true, "signalling"},
		{TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, false, ""},
		{TLS_DHE_RSA_WITH_AES_256_GCM_SHA384, false, ""},
		{TLS_AES_128_GCM_SHA256, false, ""},
	}
	for _, tt := range tests {
		weak, why := SuiteByID(tt.id).IsWeak()
		if weak != tt.weak {
			t.Errorf("%v: IsWeak = %v (%q), want %v", tt.id, weak, why, tt.weak)
			continue
		}
		if weak && !strings.Contains(why, tt.mention) {
			t.Errorf("%v: reason %q does not mention %q", tt.id, why, tt.mention)
		}
		if !weak && why != "" {
			t.Errorf("%v: not weak but gave a reason %q", tt.id, why)
		}
	}
	for _, s := range AllSuites() {
		if weak, why := s.IsWeak(); weak && why == "" {
			t.Errorf("%s: weak without a reason", s.Name)
		}
	}
}

// On a connection with encrypt-then-MAC (RFC 7366) a CBC suite's records
// are MACed after encryption: the MAC-then-encrypt reason no longer holds,
// while the suite's other weaknesses stay, and a stream cipher (which
// RFC 7366 §3 never gives encrypt-then-MAC) keeps it.
func TestIsWeakOnConnectionWithEncryptThenMAC(t *testing.T) {
	tests := []struct {
		id      ID
		weak    bool
		mention string
	}{
		{TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, false, ""},
		{TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, false, ""},
		{TLS_RSA_WITH_AES_128_CBC_SHA, true, "forward secrecy"},
		{0x000A, true, "Sweet32"},          // TLS_RSA_WITH_3DES_EDE_CBC_SHA
		{0x0005, true, "MAC-then-encrypt"}, // TLS_RSA_WITH_RC4_128_SHA
	}
	for _, tt := range tests {
		weak, why := SuiteByID(tt.id).IsWeakOnConnection(true)
		if weak != tt.weak || !strings.Contains(why, tt.mention) {
			t.Errorf("%v: IsWeakOnConnection(true) = %v (%q), want %v mentioning %q", tt.id, weak, why, tt.weak, tt.mention)
		}
		if SuiteByID(tt.id).Cipher.Info().BlockSize > 0 && strings.Contains(why, "MAC-then-encrypt") {
			t.Errorf("%v: a CBC suite with encrypt-then-MAC still called MAC-then-encrypt: %q", tt.id, why)
		}
		if notETM, _ := SuiteByID(tt.id).IsWeakOnConnection(false); !notETM {
			t.Errorf("%v: not weak without encrypt-then-MAC", tt.id)
		}
	}
}

func TestSuiteLookupAcceptsBothSpellingsInAnyCase(t *testing.T) {
	for _, name := range []string{
		"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
		"tls_ecdhe_rsa_with_aes_128_gcm_sha256",
		"ECDHE-RSA-AES128-GCM-SHA256",
		"ecdhe-rsa-aes128-gcm-sha256",
		"  ECDHE-RSA-AES128-GCM-SHA256 ",
	} {
		s, ok := SuiteByName(name)
		if !ok || s.ID != TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 {
			t.Errorf("SuiteByName(%q) = %v, %v", name, s, ok)
		}
	}
	if s, ok := SuiteByName("SSL_RSA_WITH_RC4_128_MD5"); !ok || s.ID != 0x0004 {
		t.Errorf("Java's SSL_ spelling not accepted: %v, %v", s, ok)
	}
	if s, ok := SuiteByName("TLS_DH_ANON_WITH_AES_128_CBC_SHA"); !ok || s.ID != 0x0034 {
		t.Errorf("case-folded DH_anon not accepted: %v, %v", s, ok)
	}
	if _, ok := SuiteByName("TLS_NO_SUCH_SUITE"); ok {
		t.Error("unknown name found")
	}
	if SuiteByID(0x1234) != nil {
		t.Error("unassigned code point found")
	}
}

func TestParseSuiteList(t *testing.T) {
	got, err := ParseSuiteList(" ECDHE-ECDSA-AES128-GCM-SHA256 : tls_ecdhe_rsa_with_aes_128_gcm_sha256,0xC02C,, 0x0a0a")
	if err != nil {
		t.Fatal(err)
	}
	want := []ID{TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, 0x0A0A}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: got %v, want %v", i, got[i], want[i])
		}
	}
	if ids, err := ParseSuiteList(""); err != nil || len(ids) != 0 {
		t.Errorf("empty list: %v, %v", ids, err)
	}
}

func TestParseSuiteListNamesTheBadEntryAndSuggests(t *testing.T) {
	_, err := ParseSuiteList("ECDHE-RSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA265")
	var une *UnknownNameError
	if !errors.As(err, &une) {
		t.Fatalf("got %v, want *UnknownNameError", err)
	}
	if une.Name != "ECDHE-RSA-AES128-GCM-SHA265" || une.Suggestion != "ECDHE-RSA-AES128-GCM-SHA256" {
		t.Errorf("got %+v", une)
	}
	if msg := err.Error(); !strings.Contains(msg, "ECDHE-RSA-AES128-GCM-SHA265") || !strings.Contains(msg, "did you mean") {
		t.Errorf("message %q does not name the entry and suggestion", msg)
	}

	_, err = ParseSuiteList("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA384")
	if !errors.As(err, &une) || une.Suggestion != "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" && une.Suggestion != "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" {
		t.Errorf("IANA-style typo: %v", err)
	}

	_, err = ParseSuiteList("bogus")
	if !errors.As(err, &une) || une.Suggestion != "" || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("nothing is close to %q, yet got %v", "bogus", err)
	}
}

func TestParseSuiteListRejectsDuplicates(t *testing.T) {
	_, err := ParseSuiteList("AES128-SHA, TLS_RSA_WITH_AES_128_CBC_SHA")
	if err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate accepted: %v", err)
	}
}

func TestUnknownValuesKeepTheirCodePoint(t *testing.T) {
	tests := []struct{ got, want string }{
		{ID(0x1234).String(), "unknown(0x1234)"},
		{ID(0x0A0A).String(), "GREASE(0x0A0A)"},
		{ID(0xC02F).String(), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
		{Group(0x7777).String(), "unknown(0x7777)"},
		{Group(0xFAFA).String(), "GREASE(0xFAFA)"},
		{SignatureScheme(0x0BAD).String(), "unknown(0x0BAD)"},
		{Version(0x7F1C).String(), "0x7F1C"},
		{Cipher(250).String(), "Cipher(250)"},
		{MAC(250).String(), "MAC(250)"},
		{KeyExchange(250).String(), "KeyExchange(250)"},
		{Auth(250).String(), "Auth(250)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestIsGREASE(t *testing.T) {
	n := 0
	for v := 0; v <= 0xFFFF; v++ {
		if IsGREASE(uint16(v)) {
			n++
			if SuiteByID(ID(v)) != nil || GroupByID(Group(v)) != nil || SchemeByID(SignatureScheme(v)) != nil {
				t.Errorf("GREASE value 0x%04X is in a registry table", v)
			}
		}
	}
	if n != 16 {
		t.Errorf("%d GREASE values, RFC 8701 has 16", n)
	}
}

func TestCipherInfoIsConsistent(t *testing.T) {
	for c, info := range cipherInfos {
		if info.AEAD {
			if info.TagLen == 0 || info.NonceLen == 0 || info.BlockSize != 0 {
				t.Errorf("%v: AEAD needs a tag and nonce and never pads: %+v", c, info)
			}
			// TLS 1.3-only ciphers put the whole nonce in FixedIVLen; the
			// TLS 1.2 AEADs split it between salt and explicit part.
			if info.FixedIVLen+info.ExplicitNonceLen != info.NonceLen {
				t.Errorf("%v: fixed %d + explicit %d != nonce %d", c, info.FixedIVLen, info.ExplicitNonceLen, info.NonceLen)
			}
		}
		if info.BlockSize != 0 && (info.ExplicitNonceLen != info.BlockSize || info.FixedIVLen != 0) {
			t.Errorf("%v: TLS 1.2 CBC takes no IV from the key block and sends a block-sized one: %+v", c, info)
		}
	}
	gcm := CipherAES128GCM.Info()
	if gcm.KeyLen != 16 || gcm.FixedIVLen != 4 || gcm.ExplicitNonceLen != 8 || gcm.TagLen != 16 {
		t.Errorf("AES-128-GCM: %+v", gcm)
	}
	cc := CipherChaCha20Poly1305.Info()
	if cc.KeyLen != 32 || cc.FixedIVLen != 12 || cc.ExplicitNonceLen != 0 || cc.TagLen != 16 {
		t.Errorf("ChaCha20-Poly1305: %+v", cc)
	}
	cbc := CipherAES256CBC.Info()
	if cbc.KeyLen != 32 || cbc.FixedIVLen != 0 || cbc.BlockSize != 16 || cbc.AEAD {
		t.Errorf("AES-256-CBC: %+v", cbc)
	}
}

func TestMACSizes(t *testing.T) {
	tests := []struct {
		m    MAC
		size int
		hash crypto.Hash
	}{
		{MACAEAD, 0, 0}, {MACNULL, 0, 0}, {MACMD5, 16, crypto.MD5}, {MACSHA1, 20, crypto.SHA1},
		{MACSHA256, 32, crypto.SHA256}, {MACSHA384, 48, crypto.SHA384},
	}
	for _, tt := range tests {
		if tt.m.Size() != tt.size || tt.m.Hash() != tt.hash || tt.m.KeyLen() != tt.size {
			t.Errorf("%v: size %d hash %v keylen %d", tt.m, tt.m.Size(), tt.m.Hash(), tt.m.KeyLen())
		}
		if tt.hash != 0 && tt.hash.Size() != tt.size {
			t.Errorf("%v: size disagrees with crypto", tt.m)
		}
	}
}

func TestSuiteHelpers(t *testing.T) {
	tls13 := SuiteByID(TLS_AES_128_GCM_SHA256)
	if !tls13.IsTLS13() || tls13.SupportsVersion(VersionTLS12) || !tls13.SupportsVersion(VersionTLS13) {
		t.Error("TLS 1.3 suite versions wrong")
	}
	cbc := SuiteByID(TLS_RSA_WITH_AES_128_CBC_SHA)
	if !cbc.SupportsVersion(VersionSSL30) || !cbc.SupportsVersion(VersionTLS12) || cbc.SupportsVersion(VersionTLS13) {
		t.Error("classic CBC-SHA suite should span SSL 3.0 to TLS 1.2")
	}
	if SuiteByID(TLS_FALLBACK_SCSV).SupportsVersion(VersionTLS12) {
		t.Error("an SCSV is never negotiated")
	}
	if !SuiteByID(0x0014).IsExport() || SuiteByID(0x0016).IsExport() {
		t.Error("IsExport wrong for DHE_RSA DES40/3DES")
	}
	if !SuiteByID(TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256).ForwardSecret() || SuiteByID(TLS_RSA_WITH_AES_128_GCM_SHA256).ForwardSecret() {
		t.Error("ForwardSecret wrong")
	}
	all := AllSuites()
	all[0] = nil
	if AllSuites()[0] == nil {
		t.Error("AllSuites returned the registry's own slice")
	}
}
