package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// The scan is compared with testssl.sh (Debian's 3.0.8) the way
// sslscan_test.go compares it with sslscan: versions (-p), the suites of
// each version (-E) and the groups (-f: testssl.sh lists the elliptic
// curves of TLS 1.3 and TLS 1.2 as one set, and the RFC 7919 groups as
// another). Wherever the two disagree, openssl s_client offering only the
// disputed entry decides, and the test fails only when that handshake
// contradicts clasp.
//
// testssl.sh needs minutes per server (it is a bash script that forks
// openssl and its own socket code for every probe), so this test runs only
// with CLASP_TESTSSL=1, never in the default test command or under CI;
// give go test a long -timeout:
//
//	CLASP_TESTSSL=1 go test ./scan -run TestScanAgreesWithTestsslOrIsRight -v -timeout 60m
//
// CLASP_TESTSSL_KEEP=DIR keeps each run's testssl.sh JSON in DIR.
//
// The figures of the last run are in bench/README.md ("testssl.sh").

// testsslFindings is what testssl.sh reported.
type testsslFindings struct {
	versions map[suites.Version]bool
	suites   map[suites.Version][]suites.ID
	// curves is the elliptic curves of FS_ECDHE_curves (TLS 1.3 and 1.2
	// together); ffdhe the RFC 7919 groups of DH_groups when testssl.sh
	// found them through supported_groups.
	curves, ffdhe []suites.Group
}

// testsslVersions maps testssl.sh's protocol IDs (-p) and the protocol
// part of its per-protocol cipher IDs (-E) to our versions.
var testsslVersions = map[string]suites.Version{
	"SSLv3": suites.VersionSSL30, "TLS1": suites.VersionTLS10, "TLS1_1": suites.VersionTLS11,
	"TLS1_2": suites.VersionTLS12, "TLS1_3": suites.VersionTLS13,
	"ssl3": suites.VersionSSL30, "tls1": suites.VersionTLS10, "tls1_1": suites.VersionTLS11,
	"tls1_2": suites.VersionTLS12, "tls1_3": suites.VersionTLS13,
}

// testsslCipherID is the ID of one accepted suite in -E's output:
// "cipher-tls1_2_xc02f" (protocol, then the code point without leading
// zeros). SSLv2's cipher kinds ("cipher-ssl2_x010080") are not suites.
var testsslCipherID = regexp.MustCompile(`^cipher-(ssl3|tls1|tls1_1|tls1_2|tls1_3)_x([0-9a-f]{1,4})$`)

// testsslTestsGroup reports whether testssl.sh 3.0.8 probes group g at
// all: the curves 0x0001-0x001e and ffdhe2048-8192. clasp also probes the
// hybrids and later curves, which testssl.sh cannot see; those are not
// disagreements.
func testsslTestsGroup(g suites.Group) bool {
	return g >= 0x0001 && g <= 0x001e || g >= suites.FFDHE2048 && g <= suites.FFDHE8192
}

func runTestssl(t *testing.T, addr string) *testsslFindings {
	t.Helper()
	peertest.Require(t, "testssl", "openssl")
	out := filepath.Join(t.TempDir(), "testssl.json")
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "testssl", "--jsonfile", out, "--quiet", "--color", "0",
		"--warnings", "off", "--nodns", "min", "-p", "-E", "-f", addr)
	text, err := cmd.CombinedOutput()
	// testssl.sh's exit status counts findings and problems; only a
	// missing or unreadable JSON file means the run failed.
	t.Logf("testssl.sh -p -E -f %s: %v, exit %v", addr, time.Since(start).Round(time.Second), err)
	raw, rerr := os.ReadFile(out)
	if rerr != nil {
		t.Fatalf("testssl.sh wrote no JSON (%v): %v\n%s", rerr, err, text)
	}
	if dir := os.Getenv("CLASP_TESTSSL_KEEP"); dir != "" {
		// The run is too slow to repeat for a second look at what
		// testssl.sh said: keep its JSON where asked.
		keep := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+".json")
		if err := os.WriteFile(keep, raw, 0o644); err != nil {
			t.Errorf("keeping testssl.sh's JSON: %v", err)
		}
	}
	return parseTestsslJSON(t, raw)
}

func parseTestsslJSON(t *testing.T, raw []byte) *testsslFindings {
	t.Helper()
	var entries []struct {
		ID      string `json:"id"`
		Finding string `json:"finding"`
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		t.Fatalf("testssl.sh JSON: %v", err)
	}
	f := &testsslFindings{versions: map[suites.Version]bool{}, suites: map[suites.Version][]suites.ID{}}
	for _, e := range entries {
		v, known := testsslVersions[e.ID]
		cipher := testsslCipherID.FindStringSubmatch(e.ID)
		switch {
		case cipher != nil:
			n, _ := strconv.ParseUint(cipher[2], 16, 16)
			v := testsslVersions[cipher[1]]
			f.suites[v] = append(f.suites[v], suites.ID(n))
		case known:
			f.versions[v] = strings.HasPrefix(e.Finding, "offered")
		case e.ID == "PFS_ECDHE_curves" || e.ID == "FS_ECDHE_curves": // 3.0.8 says PFS, later versions FS
			f.curves = testsslGroupNames(t, e.Finding)
		case e.ID == "DH_groups" && !strings.Contains(e.Finding, "/"):
			// A plain list ("ffdhe2048 ffdhe3072") is what supported_groups
			// got; "RFC7919/ffdhe2048" or a named prime is the server's own
			// DH parameters, which this comparison leaves to dhparams_test.
			f.ffdhe = testsslGroupNames(t, e.Finding)
		}
	}
	return f
}

func testsslGroupNames(t *testing.T, list string) []suites.Group {
	t.Helper()
	var out []suites.Group
	for _, name := range strings.Fields(list) {
		info, ok := suites.GroupByName(name)
		if !ok {
			t.Fatalf("testssl.sh names a group clasp does not know: %q in %q", name, list)
		}
		out = append(out, info.ID)
	}
	return out
}

// versionAccepted: does openssl s_client limited to version v connect?
func (r referee) versionAccepted(v suites.Version) (bool, bool) {
	flag, ok := opensslVersionFlags[v]
	if !ok {
		return false, false // SSL 3.0: Debian's OpenSSL 3.0 cannot offer it
	}
	args := []string{flag}
	if v != suites.VersionTLS13 {
		args = append(args, "-cipher", "ALL:@SECLEVEL=0")
	}
	_, err := peertest.RunOpenSSLClient(r.t, r.addr, "", args...)
	return err == nil, true
}

// anyVersionGroupAccepted: does a TLS 1.3 or TLS 1.2 handshake offering
// only g use it? testssl.sh does not say in which version it saw a curve.
func (r referee) anyVersionGroupAccepted(rep *Report, g suites.Group) bool {
	for _, v := range []suites.Version{suites.VersionTLS13, suites.VersionTLS12} {
		if slices.Contains(rep.Supported(), v) && r.groupAccepted(v, g) {
			return true
		}
	}
	return false
}

// claspTestedGroups is clasp's groups of lists, restricted to what
// testssl.sh probes, without repeats.
func claspTestedGroups(kind suites.GroupKind, lists ...*GroupList) []suites.Group {
	var out []suites.Group
	for _, l := range lists {
		for _, g := range groupIDs(l) {
			info := suites.GroupByID(g)
			if testsslTestsGroup(g) && info != nil && info.Kind == kind && !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	return out
}

// compareWithTestssl scans addr with both tools and returns the number of
// disagreements, failing the test for each one the referee settles
// against clasp.
func compareWithTestssl(t *testing.T, addr string) int {
	rep := scanOK(t, addr)
	other := runTestssl(t, addr)
	t.Logf("testssl.sh: versions %v, suites %v, curves %v, ffdhe %v", other.versions, other.suites, other.curves, other.ffdhe)
	ref := referee{t: t, addr: addr}
	disputes := 0
	for _, v := range rep.Versions {
		theirs, ok := other.versions[v.Version]
		if !ok || theirs == v.Supported {
			continue
		}
		disputes++
		direct, refereed := ref.versionAccepted(v.Version)
		switch {
		case !refereed:
			t.Errorf("%v: clasp says supported=%v, testssl.sh %v, and s_client cannot offer it to decide", v.Version, v.Supported, theirs)
		case direct == v.Supported:
			t.Logf("disagreement settled for clasp: %v: clasp says supported=%v, testssl.sh %v; s_client agrees with clasp", v.Version, v.Supported, theirs)
		default:
			t.Errorf("%v: clasp says supported=%v, testssl.sh %v, and s_client agrees with testssl.sh", v.Version, v.Supported, theirs)
		}
	}
	for _, v := range rep.Supported() {
		ours, _ := suitesOf(t, rep, v)
		disputes += settleWithTool(t, "testssl.sh", fmt.Sprintf("%v suite", v), ours, other.suites[v],
			func(id suites.ID) bool { return ref.suiteAccepted(v, id) })
	}
	curves := claspTestedGroups(suites.GroupEC, rep.Groups.TLS13, rep.Groups.ECDHE)
	disputes += settleWithTool(t, "testssl.sh", "elliptic curve", curves, other.curves,
		func(g suites.Group) bool { return ref.anyVersionGroupAccepted(rep, g) })
	if other.ffdhe != nil {
		ffdhe := claspTestedGroups(suites.GroupFFDHE, rep.Groups.TLS13, rep.Groups.FFDHE)
		disputes += settleWithTool(t, "testssl.sh", "RFC 7919 group", ffdhe, other.ffdhe,
			func(g suites.Group) bool { return ref.anyVersionGroupAccepted(rep, g) })
	}
	return disputes
}

// settleWithTool compares two lists as sets and asks accepted about each
// entry only one of them has; clasp must be right about every one.
func settleWithTool[T interface {
	~uint16
	fmt.Stringer
}](t *testing.T, tool, what string, ours, theirs []T, accepted func(T) bool) int {
	t.Helper()
	disputes := 0
	for _, x := range symmetricDifference(ours, theirs) {
		disputes++
		claspSays := slices.Contains(ours, x)
		if accepted(x) == claspSays {
			t.Logf("disagreement settled for clasp: %s %v: clasp says accepted=%v, %s %v; a direct handshake agrees with clasp",
				what, x, claspSays, tool, !claspSays)
		} else {
			t.Errorf("%s %v: clasp says accepted=%v, %s %v, and a direct handshake agrees with %s",
				what, x, claspSays, tool, !claspSays, tool)
		}
	}
	return disputes
}

// TestScanAgreesWithTestsslOrIsRight runs only with CLASP_TESTSSL=1 (see
// the comment at the top of this file): two servers, a few minutes each.
func TestScanAgreesWithTestsslOrIsRight(t *testing.T) {
	if os.Getenv("CLASP_TESTSSL") != "1" {
		t.Skip("testssl.sh takes minutes per server: set CLASP_TESTSSL=1 to compare with it")
	}
	pki := peertest.NewPKI(t)
	t.Run("openssl every suite at security level 0", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-cipher", "ALL:@SECLEVEL=0", "-quiet")
		t.Logf("%d disagreements", compareWithTestssl(t, srv.Addr))
	})
	t.Run("gnutls-serv", func(t *testing.T) {
		srv := peertest.StartGnuTLSServer(t, pki.RSA, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1", "--disable-client-cert")
		t.Logf("%d disagreements", compareWithTestssl(t, srv.Addr))
	})
}

// TestTestsslJSONIsReadAsTestsslMeantIt checks the reading of testssl.sh's
// JSON on entries shaped like those of a real 3.0.8 run (-p -E -f against
// gnutls-serv), so that a parsing mistake shows without the slow run: the
// first real run read no suites at all.
func TestTestsslJSONIsReadAsTestsslMeantIt(t *testing.T) {
	raw := []byte(`[
	{"id": "service", "severity": "INFO", "finding": "HTTP"},
	{"id": "SSLv2", "severity": "OK", "finding": "not offered"},
	{"id": "SSLv3", "severity": "OK", "finding": "not offered"},
	{"id": "TLS1", "severity": "INFO", "finding": "not offered"},
	{"id": "TLS1_1", "severity": "LOW", "finding": "offered (deprecated)"},
	{"id": "TLS1_2", "severity": "OK", "finding": "offered"},
	{"id": "TLS1_3", "severity": "OK", "finding": "offered with final"},
	{"id": "PFS_ECDHE_curves", "severity": "OK", "finding": "prime256v1 secp384r1 secp521r1 X25519 X448"},
	{"id": "DH_groups", "severity": "OK", "finding": "ffdhe2048 ffdhe3072"},
	{"id": "cipher-ssl2_x010080", "severity": "INFO", "finding": "SSLv2  x010080 RC4-MD5 RSA RC4 128 SSL_CK_RC4_128_WITH_MD5"},
	{"id": "cipher-tls1_1_x0a", "severity": "INFO", "finding": "TLS 1.1  x0a DES-CBC3-SHA RSA 3DES 168 TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
	{"id": "cipher-tls1_2_xc02f", "severity": "INFO", "finding": "TLS 1.2  xc02f ECDHE-RSA-AES128-GCM-SHA256 ECDH 253 AESGCM 128 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
	{"id": "cipher-tls1_3_x1301", "severity": "INFO", "finding": "TLS 1.3  x1301 TLS_AES_128_GCM_SHA256 ECDH 253 AESGCM 128 TLS_AES_128_GCM_SHA256"},
	{"id": "cipher_order", "severity": "OK", "finding": "server"}
]`)
	f := parseTestsslJSON(t, raw)
	wantVersions := map[suites.Version]bool{suites.VersionSSL30: false, suites.VersionTLS10: false,
		suites.VersionTLS11: true, suites.VersionTLS12: true, suites.VersionTLS13: true}
	if fmt.Sprint(f.versions) != fmt.Sprint(wantVersions) {
		t.Errorf("versions: got %v, want %v", f.versions, wantVersions)
	}
	wantSuites := map[suites.Version][]suites.ID{suites.VersionTLS11: {0x000a},
		suites.VersionTLS12: {0xc02f}, suites.VersionTLS13: {0x1301}}
	if fmt.Sprint(f.suites) != fmt.Sprint(wantSuites) {
		t.Errorf("suites: got %v, want %v", f.suites, wantSuites)
	}
	wantCurves := []suites.Group{suites.Secp256r1, suites.Secp384r1, suites.Secp521r1, suites.X25519, suites.X448}
	if !slices.Equal(f.curves, wantCurves) {
		t.Errorf("curves: got %v, want %v", f.curves, wantCurves)
	}
	if want := []suites.Group{suites.FFDHE2048, suites.FFDHE3072}; !slices.Equal(f.ffdhe, want) {
		t.Errorf("RFC 7919 groups: got %v, want %v", f.ffdhe, want)
	}
}
