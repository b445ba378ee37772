package scan

import (
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// Accuracy against the servers people run, each configured with a known
// set: the scan must report exactly that set.

// Mozilla's "intermediate" nginx configuration (Server Side TLS 5.7,
// https://ssl-config.mozilla.org/ for nginx 1.22 and OpenSSL 3.0) with an
// RSA certificate, server order on so that the order is checked too, and
// an RFC 7919 ffdhe2048 file for the DHE suites.
func TestScanNginxIntermediate(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	dh := filepath.Join(t.TempDir(), "ffdhe2048.pem")
	if out, err := exec.Command("openssl", "genpkey", "-genparam", "-algorithm", "DH",
		"-pkeyopt", "group:ffdhe2048", "-out", dh).CombinedOutput(); err != nil {
		t.Fatalf("openssl genpkey: %v\n%s", err, out)
	}
	srv := peertest.StartNginx(t, pki.RSA, `ssl_protocols TLSv1.2 TLSv1.3;
ssl_ecdh_curve X25519:prime256v1:secp384r1;
ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305;
ssl_prefer_server_ciphers on;
ssl_dhparam `+dh+`;`)
	rep := scanOK(t, srv.Addr)
	wantVersions(t, rep, suites.VersionTLS12, suites.VersionTLS13)
	// The RSA certificate leaves the RSA-signed suites, in the
	// configured order.
	want12 := []suites.ID{0xC02F, 0xC030, 0xCCA8, 0x009E, 0x009F, 0xCCAA}
	if got, order := suitesOf(t, rep, suites.VersionTLS12); !slices.Equal(got, want12) || order != OrderServer {
		t.Errorf("TLS 1.2 suites: got %v (%s order), want %v in server order", got, order, want12)
	}
	// nginx leaves TLS 1.3 suites to OpenSSL's default list, and
	// OpenSSL's server preference covers them too.
	want13 := []suites.ID{0x1302, 0x1303, 0x1301}
	if got, order := suitesOf(t, rep, suites.VersionTLS13); !slices.Equal(got, want13) || order != OrderServer {
		t.Errorf("TLS 1.3 suites: got %v (%s order), want %v in server order", got, order, want13)
	}
	groups := []suites.Group{suites.X25519, suites.Secp256r1, suites.Secp384r1}
	if g := groupIDs(rep.Groups.ECDHE); !slices.Equal(g, groups) || rep.Groups.ECDHE.Order != OrderServer {
		t.Errorf("TLS 1.2 ECDHE groups: got %v (%s order), want %v in server order", g, rep.Groups.ECDHE.Order, groups)
	}
	if g := groupIDs(rep.Groups.TLS13); !sameSet(g, groups) {
		t.Errorf("TLS 1.3 groups: got %v, want %v", g, groups)
	}
}

// NSS's selfserv restricted to two versions, four suites and two groups.
// NSS picks a suite by its own fixed ranking, whatever the client's
// order, so the order is the server's.
func TestScanNSSSelfserv(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartNSSServer(t, pki.RSA, "-V", "tls1.2:tls1.3",
		"-c", ":C02F:C030:CCA8:009C:1301:1303", "-I", "x25519,P384")
	rep := scanOK(t, srv.Addr)
	wantVersions(t, rep, suites.VersionTLS12, suites.VersionTLS13)
	want12 := []suites.ID{0xC02F, 0xC030, 0xCCA8, 0x009C}
	if got, order := suitesOf(t, rep, suites.VersionTLS12); !sameSet(got, want12) || order != OrderServer {
		t.Errorf("TLS 1.2 suites: got %v (%s order), want the set %v in server order", got, order, want12)
	}
	want13 := []suites.ID{0x1301, 0x1303}
	if got, _ := suitesOf(t, rep, suites.VersionTLS13); !sameSet(got, want13) {
		t.Errorf("TLS 1.3 suites: got %v, want the set %v", got, want13)
	}
	groups := []suites.Group{suites.X25519, suites.Secp384r1}
	if g := groupIDs(rep.Groups.ECDHE); !sameSet(g, groups) {
		t.Errorf("TLS 1.2 ECDHE groups: got %v, want %v", g, groups)
	}
	if g := groupIDs(rep.Groups.TLS13); !sameSet(g, groups) {
		t.Errorf("TLS 1.3 groups: got %v, want %v", g, groups)
	}
}

// gnutls-serv with a priority string that names everything and orders it
// by %SERVER_PRECEDENCE: versions, suites per version in the server's
// order and groups (TLS 1.3 and the TLS 1.2 ECDHE curves) in the server's
// order, exactly. GnuTLS orders TLS 1.2 suites by key exchange first and
// cipher second, as `gnutls-cli --list --priority ...` prints them; with
// the RSA certificate, ECDHE-RSA and RSA key transport remain.
func TestScanGnuTLSServerPrecedence(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartGnuTLSServer(t, pki.RSA, "NONE:+VERS-TLS1.3:+VERS-TLS1.2:+RSA:+ECDHE-RSA:+AES-128-GCM:+CHACHA20-POLY1305:+AES-256-GCM:+AEAD:"+
		"+SIGN-ALL:+COMP-NULL:+GROUP-SECP384R1:+GROUP-X25519:%SERVER_PRECEDENCE", "--disable-client-cert")
	rep := scanOK(t, srv.Addr)
	wantVersions(t, rep, suites.VersionTLS12, suites.VersionTLS13)
	want13 := []suites.ID{0x1301, 0x1303, 0x1302}
	if got, order := suitesOf(t, rep, suites.VersionTLS13); !slices.Equal(got, want13) || order != OrderServer {
		t.Errorf("TLS 1.3 suites: got %v (%s order), want %v in server order", got, order, want13)
	}
	want12 := []suites.ID{0x009C, 0x009D, 0xC02F, 0xCCA8, 0xC030}
	if got, order := suitesOf(t, rep, suites.VersionTLS12); !slices.Equal(got, want12) || order != OrderServer {
		t.Errorf("TLS 1.2 suites: got %v (%s order), want %v in server order", got, order, want12)
	}
	wantGroups := []suites.Group{suites.Secp384r1, suites.X25519}
	if l := rep.Groups.TLS13; !slices.Equal(groupIDs(l), wantGroups) || l.Order != OrderServer {
		t.Errorf("TLS 1.3 groups: got %v, want %v in server order (%+v)", groupIDs(l), wantGroups, l)
	}
	if l := rep.Groups.ECDHE; !slices.Equal(groupIDs(l), wantGroups) || l.Order != OrderServer {
		t.Errorf("TLS 1.2 ECDHE groups: got %v, want %v in server order (%+v)", groupIDs(l), wantGroups, l)
	}
	if rep.Groups.FFDHE != nil && len(rep.Groups.FFDHE.Groups) > 0 {
		t.Errorf("FFDHE groups without a DHE suite: %+v", rep.Groups.FFDHE)
	}
	t.Logf("%d connections in %d ms", rep.Connections, rep.DurationMS)
}
