package suites

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// requireTool finds a peer tool on PATH. Under CI a missing tool is a
// failure, never a silent skip (docs: "How we know it works").
func requireTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found on PATH; CI must install it (apt-get install %s)", name, debianPackage)
		}
		t.Skipf("%s not on PATH", name)
	}
	return path
}

// opensslStdnameExceptions are code points whose -stdname OpenSSL prints
// differently from IANA, with the reason. OpenSSL's table has no RFC name
// for the RFC 9189 CNT suite and prints its own name in that column.
var opensslStdnameExceptions = map[ID]string{
	0xC102: "IANA-GOST2012-GOST8912-GOST8912",
}

// TestOpenSSLAgreesWithTheTable checks every suite the local OpenSSL knows:
// the code point must be registered here, under the same IANA name and the
// same OpenSSL name.
func TestOpenSSLAgreesWithTheTable(t *testing.T) {
	openssl := requireTool(t, "openssl", "openssl")
	out, err := exec.Command(openssl, "ciphers", "-V", "-stdname", "ALL:COMPLEMENTOFALL:@SECLEVEL=0").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl ciphers: %v\n%s", err, out)
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		// "0xC0,0x2F - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 - ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 Kx=ECDH ..."
		f := strings.Fields(line)
		if len(f) < 5 || f[1] != "-" || f[3] != "-" {
			continue
		}
		hi, lo, ok := strings.Cut(f[0], ",")
		if !ok {
			t.Errorf("cannot parse code point in %q", line)
			continue
		}
		h, err1 := strconv.ParseUint(strings.TrimPrefix(hi, "0x"), 16, 8)
		l, err2 := strconv.ParseUint(strings.TrimPrefix(lo, "0x"), 16, 8)
		if err1 != nil || err2 != nil {
			t.Errorf("cannot parse code point in %q", line)
			continue
		}
		id := ID(h<<8 | l)
		stdname, osslName := f[2], f[4]
		n++

		s := SuiteByID(id)
		if s == nil {
			t.Errorf("OpenSSL knows 0x%04X %s (%s), the table does not", uint16(id), stdname, osslName)
			continue
		}
		if want, ok := opensslStdnameExceptions[id]; ok {
			if stdname != want && stdname != s.Name {
				t.Errorf("0x%04X: OpenSSL stdname %q, expected %q or %q", uint16(id), stdname, want, s.Name)
			}
		} else if s.Name != stdname {
			t.Errorf("0x%04X: table says %s, OpenSSL says %s", uint16(id), s.Name, stdname)
		}
		if s.OpenSSLName != osslName {
			t.Errorf("0x%04X %s: table OpenSSL name %q, OpenSSL says %q", uint16(id), s.Name, s.OpenSSLName, osslName)
		}
		if got, ok := SuiteByName(osslName); !ok || got.ID != id {
			t.Errorf("SuiteByName(%q) does not find 0x%04X", osslName, uint16(id))
		}
	}
	if n < 50 {
		t.Fatalf("parsed only %d suites from openssl ciphers output:\n%s", n, out)
	}
	t.Logf("checked %d suites against %s", n, openssl)
}

// TestOpenSSLAcceptsSchemeAndGroupNames feeds each OpenSSL spelling in the
// tables to `openssl s_client` and checks that this OpenSSL parses it. Names
// only newer OpenSSL releases know (ML-KEM, ML-DSA, brainpool TLS 1.3
// curves, SM2) are skipped when the local release rejects them, since
// rejection is then about the release, not the spelling.
func TestOpenSSLAcceptsSchemeAndGroupNames(t *testing.T) {
	openssl := requireTool(t, "openssl", "openssl")
	// accepted reports whether s_client got past option parsing; it then
	// fails to connect to the discard port, which is fine.
	accepted := func(flag, value string) bool {
		cmd := exec.Command(openssl, "s_client", "-connect", "127.0.0.1:9", flag, value)
		cmd.Stdin = strings.NewReader("")
		out, _ := cmd.CombinedOutput()
		return !strings.Contains(string(out), "SSL_CONF_cmd") && !strings.Contains(string(out), "Error with command")
	}
	newer := map[string]bool{
		"mldsa44": true, "mldsa65": true, "mldsa87": true,
		"brainpoolP256r1tls13": true, "brainpoolP384r1tls13": true, "brainpoolP512r1tls13": true,
		"curveSM2": true, "curveSM2MLKEM768": true,
		"MLKEM512": true, "MLKEM768": true, "MLKEM1024": true,
		"X25519MLKEM768": true, "SecP256r1MLKEM768": true, "SecP384r1MLKEM1024": true,
	}
	// One s_client run checks many names at once (an accepted run costs a
	// connection attempt), but OpenSSL rejects a list naming one algorithm
	// twice, so names are batched with no code point repeated in a batch.
	// Only a failing batch is retried name by name to find the culprit.
	check := func(flag string, names map[string]uint16) {
		var batches []map[uint16]string
	next:
		for ossl, id := range names {
			if newer[ossl] {
				if !accepted(flag, ossl) {
					t.Logf("%s %s: needs a newer OpenSSL", flag, ossl)
				}
				continue
			}
			for _, b := range batches {
				if _, taken := b[id]; !taken {
					b[id] = ossl
					continue next
				}
			}
			batches = append(batches, map[uint16]string{id: ossl})
		}
		for _, b := range batches {
			var list []string
			for _, ossl := range b {
				list = append(list, ossl)
			}
			if accepted(flag, strings.Join(list, ":")) {
				continue
			}
			for id, ossl := range b {
				if !accepted(flag, ossl) {
					t.Errorf("openssl rejects %s %s (0x%04X)", flag, ossl, id)
				}
			}
		}
	}
	sigalgs := make(map[string]uint16)
	for _, s := range AllSchemes() {
		if s.OpenSSLName != "" {
			sigalgs[s.OpenSSLName] = uint16(s.ID)
		}
	}
	for alias, id := range schemeAliases {
		sigalgs[alias] = uint16(id)
	}
	check("-sigalgs", sigalgs)
	groups := make(map[string]uint16)
	for _, g := range AllGroups() {
		if g.OpenSSLName != "" {
			groups[g.OpenSSLName] = uint16(g.ID)
		}
	}
	check("-groups", groups)
}

// TestGnuTLSCodePointsAreRegistered checks completeness against a second
// implementation: every suite `gnutls-cli -l` lists must be in the table.
// GnuTLS spells names its own way (TLS_RSA_AES_128_CBC_SHA1), so only code
// points are compared.
func TestGnuTLSCodePointsAreRegistered(t *testing.T) {
	gnutls := requireTool(t, "gnutls-cli", "gnutls-bin")
	out, err := exec.Command(gnutls, "-l").Output()
	if err != nil {
		t.Fatalf("gnutls-cli -l: %v", err)
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		// "TLS_RSA_AES_128_GCM_SHA256        \t0x00, 0x9c\tTLS1.2"
		f := strings.Split(line, "\t")
		if len(f) < 3 || !strings.HasPrefix(f[1], "0x") {
			continue
		}
		hi, lo, ok := strings.Cut(f[1], ", ")
		h, err1 := strconv.ParseUint(strings.TrimPrefix(hi, "0x"), 16, 8)
		l, err2 := strconv.ParseUint(strings.TrimPrefix(lo, "0x"), 16, 8)
		if !ok || err1 != nil || err2 != nil {
			t.Errorf("cannot parse %q", line)
			continue
		}
		n++
		// 0x0066 is DHE_DSS RC4 from the expired 56-bit export draft; IANA
		// reserves 0x0060-0x0066 for such deployed-but-unregistered suites
		// rather than assigning them.
		if id := ID(h<<8 | l); SuiteByID(id) == nil && !(id >= 0x0060 && id <= 0x0066) {
			t.Errorf("GnuTLS knows 0x%04X (%s), the table does not", uint16(id), strings.TrimSpace(f[0]))
		}
	}
	if n < 50 {
		t.Fatalf("parsed only %d suites from gnutls-cli -l", n)
	}
	t.Logf("checked %d GnuTLS code points", n)
}
