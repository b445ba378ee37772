package interop

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/scan"
)

// `clasp scan --fleet` against the fleet of fleet_test.go: two `clasp
// serve` backends behind HAProxy in TCP mode, round robin.

// scanFleetConnections is --fleet N: connections per mechanism.
const scanFleetConnections = 8

func scanFleet(t *testing.T, addr string) *scan.Fleet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	rep, err := scan.Scan(ctx, addr, scan.Options{Timeout: 10 * time.Second, Fleet: scanFleetConnections})
	if err != nil {
		t.Fatalf("scan %s: %v", addr, err)
	}
	js, _ := json.MarshalIndent(rep.Fleet, "", "  ")
	t.Logf("scan of %s: %d connections in %v; fleet:\n%s", addr, rep.Connections, time.Since(start).Round(time.Millisecond), js)
	if rep.Fleet == nil {
		t.Fatal("no fleet section")
	}
	return rep.Fleet
}

func findingCodes(f *scan.Fleet) []string {
	var codes []string
	for _, x := range f.Findings {
		codes = append(codes, x.Code)
	}
	return codes
}

func TestScanFleetWithMemoryStores(t *testing.T) {
	peertest.Require(t, "haproxy")
	f := startFleet(t, buildClasp(t), "--session-store", "memory")
	fl := scanFleet(t, f.lb)
	if len(fl.Mechanisms) != 3 {
		t.Fatalf("mechanisms: %+v, want TLS 1.2 session ID, TLS 1.2 ticket, TLS 1.3 ticket", fl.Mechanisms)
	}
	for _, m := range fl.Mechanisms {
		// Round robin sends each reconnect to the other backend, which
		// knows neither the session nor the ticket key.
		if m.Offered < scanFleetConnections-1 || m.RatePercent > 20 {
			t.Errorf("%s: %d of %d resumed (%.0f %%), want near 0", m.Name, m.Resumed, m.Offered, m.RatePercent)
		}
	}
	if len(fl.Backends) != 2 {
		t.Errorf("%d backends, want 2 (told apart by their ticket key names)", len(fl.Backends))
	}
	if fl.Consistent || !slices.Contains(findingCodes(fl), "not_shared") {
		t.Errorf("findings %v, want not_shared", findingCodes(fl))
	}
	fixes := strings.Join(fl.Fixes, "\n")
	for _, want := range []string{"--session-store redis://", "balance source", "proxy_ssl_session_reuse off"} {
		if !strings.Contains(fixes, want) {
			t.Errorf("fixes do not mention %q:\n%s", want, fixes)
		}
	}
}

func TestScanFleetWithRedisStore(t *testing.T) {
	peertest.Require(t, "haproxy", "redis-server")
	redis := startRedis(t)
	keyFile := filepath.Join(t.TempDir(), "fleet.key")
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(key[:])), 0o600); err != nil {
		t.Fatal(err)
	}
	f := startFleet(t, buildClasp(t), "--session-store", redis.url(), "--fleet-key", keyFile)
	fl := scanFleet(t, f.lb)
	if len(fl.Mechanisms) != 3 {
		t.Fatalf("mechanisms: %+v", fl.Mechanisms)
	}
	for _, m := range fl.Mechanisms {
		if m.Offered != scanFleetConnections-1 || m.RatePercent != 100 {
			t.Errorf("%s: %d of %d resumed, want all %d", m.Name, m.Resumed, m.Offered, scanFleetConnections-1)
		}
	}
	if !fl.Consistent || len(fl.Backends) != 1 || len(fl.Findings) != 0 {
		t.Errorf("consistent %v, %d backends, findings %v; want one consistent fleet", fl.Consistent, len(fl.Backends), findingCodes(fl))
	}
}

// Two backends with different certificates, sharing nothing else either:
// the scan names the certificates.
func TestScanFleetWithDifferentCertificates(t *testing.T) {
	peertest.Require(t, "haproxy")
	bin := buildClasp(t)
	pki := peertest.NewPKI(t)
	a := startServeProc(t, bin, "127.0.0.1:0", "--cert", pki.ECDSA.ChainFile, "--key", pki.ECDSA.KeyFile)
	b := startServeProc(t, bin, "127.0.0.1:0", "--cert", pki.RSA.ChainFile, "--key", pki.RSA.KeyFile)
	fl := scanFleet(t, startHAProxy(t, a.addr, b.addr))
	if len(fl.Backends) != 2 || !slices.Contains(findingCodes(fl), "backends_differ") {
		t.Fatalf("%d backends, findings %v; want 2 and backends_differ", len(fl.Backends), findingCodes(fl))
	}
	text := fl.Findings[slices.Index(findingCodes(fl), "backends_differ")].Text
	if !strings.Contains(text, "certificates differ") {
		t.Errorf("the difference is not named as the certificate: %s", text)
	}
}

// Two backends with the same certificate but different TLS 1.2 suites (and
// each its own memory session store): the ServerHellos to the same hello
// differ, and the scan says how.
func TestScanFleetWithDifferentSuites(t *testing.T) {
	peertest.Require(t, "haproxy")
	bin := buildClasp(t)
	pki := peertest.NewPKI(t)
	common := []string{"--cert", pki.ECDSA.ChainFile, "--key", pki.ECDSA.KeyFile, "--max-version", "1.2"}
	a := startServeProc(t, bin, "127.0.0.1:0", append(common, "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256")...)
	b := startServeProc(t, bin, "127.0.0.1:0", append(common, "--ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305")...)
	fl := scanFleet(t, startHAProxy(t, a.addr, b.addr))
	codes := findingCodes(fl)
	if len(fl.Backends) != 2 || !slices.Contains(codes, "backends_differ") {
		t.Fatalf("%d backends, findings %v; want 2 and backends_differ", len(fl.Backends), codes)
	}
	text := fl.Findings[slices.Index(codes, "backends_differ")].Text
	for _, want := range []string{"ServerHellos differ", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"} {
		if !strings.Contains(text, want) {
			t.Errorf("the difference does not name %q: %s", want, text)
		}
	}
}

// One `clasp serve` scanned directly: its flags show in the resumption
// and renegotiation sections.
func TestScanClaspServeSessionFlags(t *testing.T) {
	bin := buildClasp(t)
	pki := peertest.NewPKI(t)
	srv := startServeProc(t, bin, "127.0.0.1:0", "--cert", pki.ECDSA.ChainFile, "--key", pki.ECDSA.KeyFile,
		"--no-tickets", "--renegotiation", "once")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := scan.Scan(ctx, srv.addr, scan.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(rep)
	t.Logf("scan: %d connections in %d ms: %s", rep.Connections, rep.DurationMS, js)
	r := rep.Resumption
	if r == nil || r.SessionID == nil || !r.SessionID.Resumed || r.Ticket12 == nil || r.Ticket12.Issued || r.TLS13 == nil || r.TLS13.Issued {
		js, _ := json.Marshal(r)
		t.Errorf("--no-tickets: resumption %s, want session IDs only", js)
	}
	if n := rep.Renegotiation; n == nil || !n.Secure || n.ClientInitiated != "accepted" || n.Legacy != "refused" || n.Insecure {
		t.Errorf("--renegotiation once: %+v, want secure renegotiation accepted, legacy refused", n)
	}
	if e := rep.Extensions; e == nil || e.ExtendedMasterSecret == nil || !e.ExtendedMasterSecret.Supported {
		t.Errorf("extensions %+v, want EMS", e)
	}
}
