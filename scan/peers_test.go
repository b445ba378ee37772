package scan

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

func TestMain(m *testing.M) {
	code := m.Run()
	peertest.Cleanup()
	os.Exit(code)
}

// scanOK scans addr and fails the test on error. The probe timeout is
// generous: openssl s_server serves one connection at a time, and on a
// loaded machine (go test runs packages in parallel) it has been seen to
// pause for seconds, which a tight timeout would turn into a missing group.
func scanOK(t *testing.T, addr string) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Scan(ctx, addr, Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("scan %s: %v", addr, err)
	}
	t.Logf("scan of %s: %d connections in %d ms; notes: %q", addr, rep.Connections, rep.DurationMS, rep.Notes)
	return rep
}

func wantVersions(t *testing.T, rep *Report, want ...suites.Version) {
	t.Helper()
	if got := rep.Supported(); !slices.Equal(got, want) {
		t.Errorf("versions: got %v, want %v; answers: %+v", got, want, rep.Versions)
	}
}

// suitesOf returns the accepted suites of version v, in report order.
func suitesOf(t *testing.T, rep *Report, v suites.Version) ([]suites.ID, Order) {
	t.Helper()
	for _, vs := range rep.CipherSuites {
		if vs.Version == v {
			var ids []suites.ID
			for _, e := range vs.Suites {
				ids = append(ids, e.ID)
			}
			return ids, vs.Order
		}
	}
	t.Errorf("no cipher suites reported for %v", v)
	return nil, ""
}

func groupIDs(l *GroupList) []suites.Group {
	if l == nil {
		return nil
	}
	var out []suites.Group
	for _, e := range l.Groups {
		out = append(out, e.ID)
	}
	return out
}

// sameSet compares a and b as sets.
func sameSet[T interface{ ~uint16 }](a, b []T) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestScanOpenSSLTLS12ServerOrder(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-tls1_2",
		"-cipher", "ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA:DHE-RSA-AES256-GCM-SHA384", "-serverpref",
		"-groups", "P-384:X25519:P-256", "-quiet")
	rep := scanOK(t, srv.Addr)
	wantVersions(t, rep, suites.VersionTLS12)
	got, order := suitesOf(t, rep, suites.VersionTLS12)
	want := []suites.ID{0xC02F, 0x0035, 0x009F}
	if !slices.Equal(got, want) || order != OrderServer {
		t.Errorf("TLS 1.2 suites: got %v (%s order), want %v in server order", got, order, want)
	}
	// -serverpref makes OpenSSL choose the ECDHE curve by its -groups
	// order too.
	if g := groupIDs(rep.Groups.ECDHE); !slices.Equal(g, []suites.Group{suites.Secp384r1, suites.X25519, suites.Secp256r1}) ||
		rep.Groups.ECDHE.Order != OrderServer {
		t.Errorf("ECDHE groups: got %v (%s order), want secp384r1, x25519, secp256r1 in server order", g, rep.Groups.ECDHE.Order)
	}
	if rep.Groups.TLS13 != nil {
		t.Errorf("TLS 1.3 groups reported for a TLS 1.2-only server: %v", groupIDs(rep.Groups.TLS13))
	}
	// O(accepted): 5 version probes (and up to 5 chunks for the SSL 3.0
	// list, which OpenSSL refuses with handshake_failure), 3+1 suite
	// probes and 2 for the order, 3+1 group probes and 2 for the order;
	// then 1 certificate probe (RSA suites only, no SNI), 8+1 for the
	// TLS 1.2 signature schemes OpenSSL signs with an RSA key, 1 for the
	// DHE prime and 1 that shows OpenSSL ignores RFC 7919 groups; and the
	// TLS 1.2 session and extension probes. The weakness probes are
	// counted apart.
	if rep.Connections-rep.weaknessConnections > 5+5+4+2+4+2+1+9+1+1+tls12SessionChecks {
		t.Errorf("%d connections for 3 suites and 3 groups", rep.Connections)
	}
}

func TestScanOpenSSLTLS12ClientOrder(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_2",
		"-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-SHA", "-groups", "X25519", "-quiet")
	rep := scanOK(t, srv.Addr)
	wantVersions(t, rep, suites.VersionTLS12)
	got, order := suitesOf(t, rep, suites.VersionTLS12)
	// Without -serverpref OpenSSL takes the client's first: the scan's
	// offer is in code-point order.
	if want := []suites.ID{0xC00A, 0xCCA9}; !slices.Equal(got, want) || order != OrderClient {
		t.Errorf("TLS 1.2 suites: got %v (%s order), want %v in client order", got, order, want)
	}
	if g := groupIDs(rep.Groups.ECDHE); !slices.Equal(g, []suites.Group{suites.X25519}) || rep.Groups.ECDHE.Order != OrderSingle {
		t.Errorf("ECDHE groups: got %v, want x25519 alone", g)
	}
}

func TestScanOpenSSLTLS13(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-tls1_3",
		"-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384", "-serverpref",
		"-groups", "P-521:ffdhe2048:X25519", "-quiet")
	rep := scanOK(t, srv.Addr)
	wantVersions(t, rep, suites.VersionTLS13)
	got, order := suitesOf(t, rep, suites.VersionTLS13)
	if want := []suites.ID{0x1303, 0x1302}; !slices.Equal(got, want) || order != OrderServer {
		t.Errorf("TLS 1.3 suites: got %v (%s order), want %v in server order", got, order, want)
	}
	// Offered key shares for all of them, OpenSSL 3.0 takes the client's
	// first acceptable share even with -serverpref; the list is then in
	// the scan's (code-point) order.
	if g, want := groupIDs(rep.Groups.TLS13), []suites.Group{suites.Secp521r1, suites.X25519, suites.FFDHE2048}; !slices.Equal(g, want) ||
		rep.Groups.TLS13.Order != OrderClient {
		t.Errorf("TLS 1.3 groups: got %v (%s order), want %v in client order", g, rep.Groups.TLS13.Order, want)
	}
	if rep.Groups.ECDHE != nil {
		t.Errorf("ECDHE groups reported for a TLS 1.3-only server")
	}
}

func TestScanOpenSSLBothVersions(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA,
		"-cipher", "ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA256", "-ciphersuites", "TLS_AES_128_GCM_SHA256",
		"-groups", "X25519:P-256", "-quiet")
	rep := scanOK(t, srv.Addr)
	wantVersions(t, rep, suites.VersionTLS12, suites.VersionTLS13)
	if got, _ := suitesOf(t, rep, suites.VersionTLS12); !sameSet(got, []suites.ID{0xC030, 0x003C}) {
		t.Errorf("TLS 1.2 suites: got %v", got)
	}
	if got, order := suitesOf(t, rep, suites.VersionTLS13); !slices.Equal(got, []suites.ID{0x1301}) || order != OrderSingle {
		t.Errorf("TLS 1.3 suites: got %v (%s)", got, order)
	}
	for name, l := range map[string]*GroupList{"TLS 1.3": rep.Groups.TLS13, "ECDHE": rep.Groups.ECDHE} {
		if g := groupIDs(l); !sameSet(g, []suites.Group{suites.X25519, suites.Secp256r1}) {
			t.Errorf("%s groups: got %v, want x25519 and secp256r1", name, g)
		}
	}
}

// startGoServer runs a crypto/tls server that completes handshakes and
// closes.
func startGoServer(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	return startListener(t, func(c net.Conn) {
		conn := tls.Server(c, cfg)
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		conn.Handshake()
		conn.Close()
	})
}

func TestScanCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	addr := startGoServer(t, &tls.Config{
		Certificates: []tls.Certificate{pki.RSA.TLS},
		MinVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_128_GCM_SHA256},
		CurvePreferences: []tls.CurveID{tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024, tls.X25519MLKEM768,
			tls.CurveP384},
	})
	rep := scanOK(t, addr)
	wantVersions(t, rep, suites.VersionTLS12, suites.VersionTLS13)
	// crypto/tls orders TLS 1.2 suites by its own fixed preference.
	got, order := suitesOf(t, rep, suites.VersionTLS12)
	if !sameSet(got, []suites.ID{0xC030, 0xC013, 0x009C}) || order != OrderServer {
		t.Errorf("TLS 1.2 suites: got %v (%s order)", got, order)
	}
	if got, _ := suitesOf(t, rep, suites.VersionTLS13); !sameSet(got, []suites.ID{0x1301, 0x1302, 0x1303}) {
		t.Errorf("TLS 1.3 suites: got %v", got)
	}
	// crypto/tls ignores the order of CurvePreferences and picks by its
	// own (defaultCurvePreferences in crypto/tls/defaults.go, Go 1.26):
	// X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024, ..., P-384.
	want13 := []suites.Group{suites.X25519MLKEM768, suites.SecP256r1MLKEM768, suites.SecP384r1MLKEM1024, suites.Secp384r1}
	if g := groupIDs(rep.Groups.TLS13); !slices.Equal(g, want13) || rep.Groups.TLS13.Order != OrderServer {
		t.Errorf("TLS 1.3 groups: got %v (%s order), want %v in server order", g, rep.Groups.TLS13.Order, want13)
	}
	if g := groupIDs(rep.Groups.ECDHE); !slices.Equal(g, []suites.Group{suites.Secp384r1}) {
		t.Errorf("ECDHE groups: got %v, want secp384r1 alone (the hybrids are TLS 1.3 only)", g)
	}
}

// TestScanTime scans a server with both versions and several suites and
// groups, and logs the time and connections (run with -v to see them). The
// issue's target is 5 s for a full scan on loopback. On 2 cores at a load
// average of 18 to 27 this one took 1.0 to 2.8 s (1.3 to 1.7 s with -race),
// of which about 0.5 s is ROBOT's shortened flow, whose silent waits
// openssl s_server, serving one connection at a time, makes everything
// else share.
func TestScanTime(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA,
		"-cipher", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:AES128-SHA:AES256-SHA:DHE-RSA-AES128-GCM-SHA256",
		"-groups", "X25519:P-256:P-384:ffdhe2048", "-serverpref", "-quiet")
	start := time.Now()
	rep := scanOK(t, srv.Addr)
	elapsed := time.Since(start)
	wantVersions(t, rep, suites.VersionTLS12, suites.VersionTLS13)
	if got, _ := suitesOf(t, rep, suites.VersionTLS12); len(got) != 6 {
		t.Errorf("TLS 1.2 suites: got %v, want 6", got)
	}
	t.Logf("full scan: %v, %d connections", elapsed, rep.Connections)
	if elapsed > 5*time.Second {
		t.Errorf("a scan of a loopback server took %v", elapsed)
	}
}

func freeClosedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// An ECDHE_ECDSA-only TLS 1.2 server can use a curve for ECDHE only while
// the client's supported_groups also names its certificate's curve (RFC
// 8422 §5.1; OpenSSL refuses the suites otherwise). A search that dropped
// P-256 after the server picked it would stop there and report P-256
// alone, as sslscan 2.0.7 does against this very server.
func TestScanTLS12ECDHEGroupsBehindAnECDSACertificate(t *testing.T) {
	pki := peertest.NewPKI(t)
	all := []suites.Group{suites.Secp256r1, suites.Secp384r1, suites.X25519, suites.X448}
	t.Run("client order", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256",
			"-groups", "X448:P-384:P-256:X25519", "-quiet")
		rep := scanOK(t, srv.Addr)
		if g := groupIDs(rep.Groups.ECDHE); !sameSet(g, all) || rep.Groups.ECDHE.Order != OrderClient {
			t.Errorf("ECDHE groups: got %v (%s order), want %v in client order", g, rep.Groups.ECDHE.Order, all)
		}
	})
	t.Run("server order", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256",
			"-groups", "X448:P-384:P-256:X25519", "-serverpref", "-quiet")
		rep := scanOK(t, srv.Addr)
		// X25519 comes after P-256 in the server's order: every probe
		// names P-256, so the server never gets to X25519, and the
		// report says why instead of guessing.
		want := []suites.Group{suites.X448, suites.Secp384r1, suites.Secp256r1}
		if g := groupIDs(rep.Groups.ECDHE); !slices.Equal(g, want) || rep.Groups.ECDHE.Order != OrderServer {
			t.Errorf("ECDHE groups: got %v (%s order), want %v in server order", g, rep.Groups.ECDHE.Order, want)
		}
		if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "cannot be told from curves it refuses") }) {
			t.Errorf("no note on the curves hidden behind the certificate's: %q", rep.Notes)
		}
	})
}
