package scan

import (
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// The scan is compared with sslscan (Debian's 2.0.7, built on OpenSSL 3.0)
// on the same servers: versions, the suites of each version and the groups
// of TLS 1.3 and of TLS 1.2 ECDHE. Where the two disagree, a third party
// decides: openssl s_client offering only the entry in question. The test
// fails when that handshake contradicts clasp, never merely because
// sslscan says something else; each disagreement is logged with who was
// right.

// sslscanFindings is what sslscan reported, keyed by our version numbers.
type sslscanFindings struct {
	versions map[suites.Version]bool
	suites   map[suites.Version][]suites.ID
	groups   map[suites.Version][]suites.Group
}

// sslscanXML is the part of sslscan's --xml output read here.
type sslscanXML struct {
	Test struct {
		Protocols []struct {
			Type    string `xml:"type,attr"`
			Version string `xml:"version,attr"`
			Enabled string `xml:"enabled,attr"`
		} `xml:"protocol"`
		Ciphers []struct {
			Version string `xml:"sslversion,attr"`
			ID      string `xml:"id,attr"`
		} `xml:"cipher"`
		Groups []struct {
			Version string `xml:"sslversion,attr"`
			ID      string `xml:"id,attr"`
		} `xml:"group"`
	} `xml:"ssltest"`
}

var sslscanVersions = map[string]suites.Version{
	"ssl3": suites.VersionSSL30, "tls1.0": suites.VersionTLS10, "tls1.1": suites.VersionTLS11,
	"tls1.2": suites.VersionTLS12, "tls1.3": suites.VersionTLS13,
	"TLSv1.0": suites.VersionTLS10, "TLSv1.1": suites.VersionTLS11, "TLSv1.2": suites.VersionTLS12,
	"TLSv1.3": suites.VersionTLS13, "SSLv3": suites.VersionSSL30,
}

func runSSLScan(t *testing.T, addr string) *sslscanFindings {
	t.Helper()
	peertest.Require(t, "sslscan")
	out := filepath.Join(t.TempDir(), "sslscan.xml")
	cmd := exec.Command("sslscan", "--xml="+out, "--no-colour", "--no-heartbleed", "--no-fallback",
		"--no-renegotiation", "--no-compression", "--no-check-certificate", addr)
	if text, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sslscan %s: %v\n%s", addr, err, text)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc sslscanXML
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("sslscan XML: %v", err)
	}
	f := &sslscanFindings{versions: map[suites.Version]bool{},
		suites: map[suites.Version][]suites.ID{}, groups: map[suites.Version][]suites.Group{}}
	for _, p := range doc.Test.Protocols {
		if v, ok := sslscanVersions[p.Type+p.Version]; ok {
			f.versions[v] = p.Enabled == "1"
		}
	}
	for _, c := range doc.Test.Ciphers {
		f.suites[sslscanVersions[c.Version]] = append(f.suites[sslscanVersions[c.Version]], suites.ID(hexID(t, c.ID)))
	}
	for _, g := range doc.Test.Groups {
		f.groups[sslscanVersions[g.Version]] = append(f.groups[sslscanVersions[g.Version]], suites.Group(hexID(t, g.ID)))
	}
	return f
}

func hexID(t *testing.T, s string) uint16 {
	n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 16)
	if err != nil {
		t.Fatalf("sslscan id %q: %v", s, err)
	}
	return uint16(n)
}

// referee decides one disputed entry with openssl s_client.
type referee struct {
	t    *testing.T
	addr string
	// anchor is the curve of the server's ECDSA certificate, which a TLS
	// 1.2 client must also offer for ECDHE_ECDSA (RFC 8422 §5.1); 0 for
	// an RSA certificate.
	anchor suites.Group
}

var opensslVersionFlags = map[suites.Version]string{
	suites.VersionTLS10: "-tls1", suites.VersionTLS11: "-tls1_1",
	suites.VersionTLS12: "-tls1_2", suites.VersionTLS13: "-tls1_3",
}

// suiteAccepted: does a handshake offering only this suite in v succeed?
func (r referee) suiteAccepted(v suites.Version, id suites.ID) bool {
	info := suites.SuiteByID(id)
	if info == nil {
		r.t.Fatalf("no registry entry for disputed suite %v", id)
	}
	name := info.OpenSSLName
	args := []string{opensslVersionFlags[v], "-cipher", name + ":@SECLEVEL=0"}
	if v == suites.VersionTLS13 {
		name = info.Name
		args = []string{"-tls1_3", "-ciphersuites", name}
	}
	out, err := peertest.RunOpenSSLClient(r.t, r.addr, "", args...)
	return err == nil && strings.Contains(out, "Cipher is "+name)
}

// opensslTempKey is how s_client names a curve in "Server Temp Key:".
var opensslTempKey = map[suites.Group]string{
	suites.Secp256r1: "ECDH, prime256v1", suites.Secp384r1: "ECDH, secp384r1", suites.Secp521r1: "ECDH, secp521r1",
	suites.X25519: "X25519", suites.X448: "X448",
}

// groupAccepted: does a handshake in v use group g when offered g (and the
// certificate's curve after it in TLS 1.2)?
func (r referee) groupAccepted(v suites.Version, g suites.Group) bool {
	info := suites.GroupByID(g)
	if info == nil || info.OpenSSLName == "" {
		r.t.Fatalf("no OpenSSL name for disputed group %v", g)
	}
	groups := info.OpenSSLName
	if v == suites.VersionTLS12 && r.anchor != 0 && r.anchor != g {
		groups += ":" + suites.GroupByID(r.anchor).OpenSSLName
	}
	out, err := peertest.RunOpenSSLClient(r.t, r.addr, "", opensslVersionFlags[v], "-groups", groups)
	if err != nil {
		return false
	}
	key, ok := opensslTempKey[g]
	return ok && strings.Contains(out, "Server Temp Key: "+key) || !ok && v == suites.VersionTLS13
}

// compareWithSSLScan scans addr with both tools and returns the number of
// disagreements, failing the test for each one the referee settles
// against clasp.
func compareWithSSLScan(t *testing.T, addr string, anchor suites.Group) int {
	rep := scanOK(t, addr)
	other := runSSLScan(t, addr)
	t.Logf("sslscan: versions %v, suites %v, groups %v", other.versions, other.suites, other.groups)
	ref := referee{t: t, addr: addr, anchor: anchor}
	disputes := 0
	for _, v := range rep.Versions {
		if theirs, ok := other.versions[v.Version]; ok && theirs != v.Supported {
			disputes++
			t.Errorf("%v: clasp says supported=%v, sslscan %v (%s)", v.Version, v.Supported, theirs, v.Answer)
		}
	}
	for _, v := range rep.Supported() {
		ours, _ := suitesOf(t, rep, v)
		disputes += settle(t, fmt.Sprintf("%v suite", v), ours, other.suites[v], func(id suites.ID) bool { return ref.suiteAccepted(v, id) })
	}
	tls12 := groupIDs(rep.Groups.ECDHE)
	disputes += settle(t, "TLS 1.2 ECDHE group", tls12, other.groups[suites.VersionTLS12],
		func(g suites.Group) bool { return ref.groupAccepted(suites.VersionTLS12, g) })
	disputes += settle(t, "TLS 1.3 group", groupIDs(rep.Groups.TLS13), other.groups[suites.VersionTLS13],
		func(g suites.Group) bool { return ref.groupAccepted(suites.VersionTLS13, g) })
	return disputes
}

// settle compares two lists as sets and asks accepted about each entry
// that only one of them has; clasp must be right about every one.
func settle[T interface {
	~uint16
	fmt.Stringer
}](t *testing.T, what string, ours, theirs []T, accepted func(T) bool) int {
	t.Helper()
	disputes := 0
	for _, x := range symmetricDifference(ours, theirs) {
		disputes++
		claspSays := slices.Contains(ours, x)
		if accepted(x) == claspSays {
			t.Logf("disagreement settled for clasp: %s %v: clasp says accepted=%v, sslscan %v; a direct handshake agrees with clasp",
				what, x, claspSays, !claspSays)
		} else {
			t.Errorf("%s %v: clasp says accepted=%v, sslscan %v, and a direct handshake agrees with sslscan",
				what, x, claspSays, !claspSays)
		}
	}
	return disputes
}

func symmetricDifference[T comparable](a, b []T) []T {
	var out []T
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, x)
		}
	}
	return out
}

func TestScanAgreesWithSSLScanOrIsRight(t *testing.T) {
	pki := peertest.NewPKI(t)
	t.Run("openssl every suite at security level 0", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-cipher", "ALL:@SECLEVEL=0", "-quiet")
		if n := compareWithSSLScan(t, srv.Addr, 0); n != 0 {
			t.Logf("%d disagreements", n)
		}
	})
	t.Run("openssl ECDSA defaults", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-quiet")
		// sslscan 2.0.7 drops P-256 from its TLS 1.2 list after the
		// server picks it, so it can see no other curve behind an ECDSA
		// certificate: at least that disagreement is expected here.
		if n := compareWithSSLScan(t, srv.Addr, suites.Secp256r1); n == 0 {
			t.Errorf("no disagreement on the TLS 1.2 curves behind an ECDSA certificate: has sslscan changed?")
		}
	})
	t.Run("nginx defaults", func(t *testing.T) {
		srv := peertest.StartNginx(t, pki.RSA, "")
		compareWithSSLScan(t, srv.Addr, 0)
	})
	t.Run("gnutls-serv", func(t *testing.T) {
		srv := peertest.StartGnuTLSServer(t, pki.RSA, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1", "--disable-client-cert")
		compareWithSSLScan(t, srv.Addr, 0)
	})
}
