package scan

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// The weakness probes against real, healthy servers: none may fire (the
// configurations are modern), and against real servers configured with a
// weakness, the probe for it must.

func TestWeaknessProbesQuietOnOpenSSL(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-quiet")
	rep := scanOK(t, srv.Addr)
	noneVulnerable(t, rep)
	// s_server issues tickets: Ticketbleed was really tried.
	wantStatus(t, rep, map[string]Status{"ticketbleed": StatusNotVulnerable, "robot": StatusNotVulnerable, "no_fallback_scsv": StatusNotVulnerable})
	if rep.Grade.Letter != "A" {
		t.Errorf("grade %+v", rep.Grade)
	}
}

func TestWeaknessProbesQuietOnGnuTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartGnuTLSServer(t, pki.RSA, "NORMAL:-VERS-TLS1.0:-VERS-TLS1.1:+RSA", "--disable-client-cert")
	rep := scanOK(t, srv.Addr)
	noneVulnerable(t, rep)
	wantStatus(t, rep, map[string]Status{"robot": StatusNotVulnerable, "heartbleed": StatusNotVulnerable, "ccs_injection": StatusNotVulnerable})
}

func TestWeaknessProbesQuietOnNSS(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartNSSServer(t, pki.RSA, "-V", "tls1.2:tls1.3", "-u", "-G", "-c", ":C02F:C030:009C:1301:1302:1303")
	rep := scanOK(t, srv.Addr)
	noneVulnerable(t, rep)
	wantStatus(t, rep, map[string]Status{"robot": StatusNotVulnerable, "ccs_injection": StatusNotVulnerable})
}

func TestWeaknessProbesQuietOnClasp(t *testing.T) {
	pki := peertest.NewPKI(t)
	// An RSA key-transport suite beside an ECDHE one, so that ROBOT has
	// something to try: clasp's RFC 5246 §7.4.7.1 countermeasure
	// (internal/kex) must show no oracle.
	ln, err := clasp.Listen("tcp", "127.0.0.1:0", &clasp.Config{
		Certificates: []clasp.Certificate{{Certificate: pki.RSA.TLS.Certificate, PrivateKey: pki.RSA.Key}},
		CipherSuites: []uint16{uint16(suites.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), uint16(suites.TLS_RSA_WITH_AES_128_GCM_SHA256)},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				c.(*clasp.Conn).Handshake()
				io.Copy(io.Discard, c)
			}()
		}
	}()
	rep := scanOK(t, ln.Addr().String())
	noneVulnerable(t, rep)
	wantStatus(t, rep, map[string]Status{"robot": StatusNotVulnerable, "ticketbleed": StatusNotVulnerable})
}

func TestWeaknessProbesQuietOnCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	addr := startGoServer(t, &tls.Config{Certificates: []tls.Certificate{pki.RSA.TLS},
		CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_128_GCM_SHA256}})
	rep := scanOK(t, addr)
	noneVulnerable(t, rep)
	wantStatus(t, rep, map[string]Status{"robot": StatusNotVulnerable})
}

// startNginx runs nginx in the foreground with a TLS server block built
// from sslDirectives, and returns its address.
func startNginx(t *testing.T, leaf *peertest.Leaf, sslDirectives string) string {
	t.Helper()
	peertest.Require(t, "nginx")
	dir := t.TempDir()
	port := peertest.FreePort(t)
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[1]s; proxy_temp_path %[1]s; fastcgi_temp_path %[1]s; uwsgi_temp_path %[1]s; scgi_temp_path %[1]s;
  server {
    listen 127.0.0.1:%[2]d ssl;
    ssl_certificate %[3]s;
    ssl_certificate_key %[4]s;
    %[5]s
    location / { return 200 "ok\n"; }
  }
}
`, dir, port, leaf.ChainFile, leaf.KeyFile, sslDirectives)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("nginx", "-p", dir, "-c", path, "-e", "stderr")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
	}
	t.Fatalf("nginx did not listen on %s: %s", addr, out.String())
	return ""
}

// nginxIntermediate is Mozilla's "intermediate" server configuration for
// nginx (ssl-config.mozilla.org, guideline 5.7), without DHE, and with one
// RSA key-transport suite at the end (as many older configurations still
// have) so that the ROBOT probe has something to try.
const nginxIntermediate = `ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:AES128-GCM-SHA256;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:SSL:1m;
    ssl_session_tickets on;`

func TestWeaknessProbesQuietOnNginx(t *testing.T) {
	pki := peertest.NewPKI(t)
	addr := startNginx(t, pki.RSA, nginxIntermediate)
	rep := scanOK(t, addr)
	noneVulnerable(t, rep)
	wantStatus(t, rep, map[string]Status{"ticketbleed": StatusNotVulnerable, "robot": StatusNotVulnerable, "no_fallback_scsv": StatusNotVulnerable})
}

// Real servers configured with a weakness.

func TestSWEET32AndRC4OnGnuTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartGnuTLSServer(t, pki.RSA, "NORMAL:+3DES-CBC:+ARCFOUR-128:+RSA:-VERS-TLS1.3", "--disable-client-cert")
	rep := scanOK(t, srv.Addr)
	wantStatus(t, rep, map[string]Status{"sweet32": StatusVulnerable, "rc4": StatusVulnerable, "heartbleed": StatusNotVulnerable})
	if f := findingOf(t, rep, "sweet32"); !strings.Contains(f.Evidence, "TLS_RSA_WITH_3DES_EDE_CBC_SHA") {
		t.Errorf("SWEET32 evidence: %s", f.Evidence)
	}
}

func TestInsecureRenegotiationAndNoEMSOnGnuTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartGnuTLSServer(t, pki.RSA, "NORMAL:-VERS-TLS1.3:%DISABLE_SAFE_RENEGOTIATION:%NO_SESSION_HASH", "--disable-client-cert")
	rep := scanOK(t, srv.Addr)
	wantStatus(t, rep, map[string]Status{"insecure_renegotiation": StatusVulnerable, "no_extended_master_secret": StatusVulnerable})
}

func TestBEASTOnOpenSSLTLS10(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-tls1", "-cipher", "AES128-SHA:ECDHE-RSA-AES256-SHA:@SECLEVEL=0", "-quiet")
	rep := scanOK(t, srv.Addr)
	wantStatus(t, rep, map[string]Status{"beast": StatusVulnerable, "poodle": StatusNotVulnerable})
}

func TestPOODLEOnNSSSSL30(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartNSSServer(t, pki.RSA, "-V", "ssl3:tls1.2")
	rep := scanOK(t, srv.Addr)
	if !contains(versionNames(rep), "SSL 3.0") {
		t.Skipf("this NSS build refuses SSL 3.0 even when enabled: %+v", rep.Versions)
	}
	wantStatus(t, rep, map[string]Status{"poodle": StatusVulnerable, "beast": StatusVulnerable})
}

func versionNames(rep *Report) []string {
	var out []string
	for _, v := range rep.Supported() {
		out = append(out, v.String())
	}
	return out
}

// TestLogjamOnGnuTLSWithASmallDHPrime: OpenSSL 3 refuses to load a 512-bit
// group even at @SECLEVEL=0 ("dh key too small"); GnuTLS serves one with
// %PROFILE_VERY_WEAK to a client that offers no FFDHE group (RFC 7919).
func TestLogjamOnGnuTLSWithASmallDHPrime(t *testing.T) {
	params := filepath.Join(t.TempDir(), "dh512.pem")
	if out, err := exec.Command("openssl", "dhparam", "-out", params, "512").CombinedOutput(); err != nil {
		t.Fatalf("openssl dhparam: %v: %s", err, out)
	}
	pki := peertest.NewPKI(t)
	srv := peertest.StartGnuTLSServer(t, pki.RSA, "NORMAL:-VERS-TLS1.3:-KX-ALL:+DHE-RSA:%PROFILE_VERY_WEAK", "--dhparams", params, "--disable-client-cert")
	rep := scanOK(t, srv.Addr)
	wantStatus(t, rep, map[string]Status{"logjam": StatusVulnerable})
	if f := findingOf(t, rep, "logjam"); !strings.Contains(f.Evidence, "512-bit DH prime") {
		t.Errorf("Logjam evidence: %s", f.Evidence)
	}
}

// ticketbleedProxy forwards to backend, and when a ClientHello offers a
// session ticket with a session ID shorter than 32 bytes and the backend
// echoes that ID, stretches the echo to 32 bytes with "memory", as F5
// BIG-IP did (CVE-2016-9244).
func ticketbleedProxy(t *testing.T, backend string) string {
	return startListener(t, func(c net.Conn) {
		defer c.Close()
		rec, err := readRaw(c)
		if err != nil {
			return
		}
		b, err := net.Dial("tcp", backend)
		if err != nil {
			return
		}
		defer b.Close()
		writeRaw(b, rec.typ, rec.version, rec.payload)
		// openssl s_server serves one connection at a time: close its
		// side as soon as the scanner closes.
		go func() { io.Copy(b, c); b.Close() }()
		first, err := readRaw(b)
		if err != nil {
			return
		}
		if len(rec.payload) > 4 {
			if h, err := wire.ParseClientHello(rec.payload[4:]); err == nil {
				first.payload = stretchEcho(h, first.payload)
			}
		}
		writeRaw(c, first.typ, first.version, first.payload)
		io.Copy(c, b)
	})
}

// stretchEcho rewrites the ServerHello at the start of payload.
func stretchEcho(h *wire.ClientHello, payload []byte) []byte {
	st, ok := wire.FindExtension[*wire.SessionTicketExt](h.Extensions)
	if !ok || len(st.Ticket) == 0 || len(h.SessionID) == 0 || len(h.SessionID) >= 32 || len(payload) < 4 || payload[0] != byte(wire.TypeServerHello) {
		return payload
	}
	n := 4 + (int(payload[1])<<16 | int(payload[2])<<8 | int(payload[3]))
	sh, err := wire.ParseServerHello(payload[4:n])
	if err != nil || string(sh.SessionID) != string(h.SessionID) {
		return payload
	}
	sh.SessionID = append(sh.SessionID, fakeMemory[:32-len(sh.SessionID)]...)
	raw, err := sh.Marshal()
	if err != nil {
		return payload
	}
	return append(raw, payload[n:]...)
}

func TestTicketbleedThroughAFlawedProxy(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-tls1_2", "-quiet")
	rep := scanOK(t, ticketbleedProxy(t, srv.Addr))
	wantStatus(t, rep, map[string]Status{"ticketbleed": StatusVulnerable})
	if f := findingOf(t, rep, "ticketbleed"); !strings.Contains(f.Evidence, "32-byte session ID: 16 bytes of its memory") {
		t.Errorf("Ticketbleed evidence: %s", f.Evidence)
	}
	// The same server, directly.
	rep = scanOK(t, srv.Addr)
	wantStatus(t, rep, map[string]Status{"ticketbleed": StatusNotVulnerable})
}

// TestVersionIntoleranceThroughAMiddlebox: a middlebox that hangs up on
// hellos with a future legacy_version or in F5's 256–511 byte range.
func TestVersionIntoleranceThroughAMiddlebox(t *testing.T) {
	pki := peertest.NewPKI(t)
	backend := startGoServer(t, &tls.Config{Certificates: []tls.Certificate{pki.RSA.TLS}})
	addr := filteringProxy(t, backend, func(h *wire.ClientHello) proxyAction {
		raw, _ := h.Marshal()
		if h.Version > suites.VersionTLS12 || len(raw) >= 256 && len(raw) < 512 {
			return hangUp
		}
		return forward
	})
	rep := scanOK(t, addr)
	f := findingOf(t, rep, "version_intolerance")
	if f.Status != StatusVulnerable || !strings.Contains(f.Evidence, "legacy_version 0x0304") || !strings.Contains(f.Evidence, "300 bytes") ||
		strings.Contains(f.Evidence, "530 bytes") {
		t.Errorf("intolerance: %s: %s", f.Status, f.Evidence)
	}
	// The backend alone tolerates everything.
	wantStatus(t, scanOK(t, backend), map[string]Status{"version_intolerance": StatusNotVulnerable})
}

// TestSSLv2OnRealServers: no installed server speaks SSL 2.0 (each refuses
// the CLIENT-HELLO with a TLS alert); the SSL 2.0-format TLS hello of RFC
// 5246 Appendix E.2 is taken by GnuTLS at TLS 1.2 and by OpenSSL 3 only at
// TLS 1.0 (at TLS 1.2 a hello without signature_algorithms leaves it only
// SHA-1 signatures, which its security level refuses: handshake_failure),
// and refused by NSS.
func TestSSLv2OnRealServers(t *testing.T) {
	pki := peertest.NewPKI(t)
	cases := []struct {
		name   string
		addr   string
		compat string // the v2-format hello's answer; "" for refused
	}{
		{"openssl", peertest.StartOpenSSLServer(t, pki.RSA, "-quiet").Addr, ""},
		{"openssl TLS 1.0", peertest.StartOpenSSLServer(t, pki.RSA, "-quiet", "-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0").Addr, "ServerHello TLS 1.0 TLS_RSA_WITH_AES_128_CBC_SHA"},
		{"gnutls", peertest.StartGnuTLSServer(t, pki.RSA, "NORMAL", "--disable-client-cert").Addr, "ServerHello TLS 1.2 TLS_RSA_WITH_AES_128_CBC_SHA"},
		{"nss", peertest.StartNSSServer(t, pki.RSA).Addr, ""},
	}
	for _, tc := range cases {
		s := &scanner{runner: &Runner{Timeout: 10 * time.Second}, addr: tc.addr}
		v2, err := s.sslv2(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %+v", tc.name, v2)
		if v2.Supported || !strings.HasPrefix(v2.Answer, "answered with a TLS alert") {
			t.Errorf("%s: SSL 2.0 %v (%s), want refused with a TLS alert", tc.name, v2.Supported, v2.Answer)
		}
		if v2.CompatHello != (tc.compat != "") || tc.compat != "" && v2.CompatAnswer != tc.compat {
			t.Errorf("%s: v2-format hello %v (%s), want %q", tc.name, v2.CompatHello, v2.CompatAnswer, tc.compat)
		}
	}
}

// TestLogjamOnGnuTLSWithAWellKnownPrime: GnuTLS serving the 1024-bit Oakley
// group 2 prime, which the Logjam paper found shared by many servers.
func TestLogjamOnGnuTLSWithAWellKnownPrime(t *testing.T) {
	params, err := filepath.Abs("testdata/dh1024_rfc2409_group2.pem")
	if err != nil {
		t.Fatal(err)
	}
	pki := peertest.NewPKI(t)
	srv := peertest.StartGnuTLSServer(t, pki.RSA, "NORMAL:-VERS-TLS1.3:-KX-ALL:+DHE-RSA:%PROFILE_LOW", "--dhparams", params, "--disable-client-cert")
	rep := scanOK(t, srv.Addr)
	wantStatus(t, rep, map[string]Status{"logjam": StatusVulnerable})
	if f := findingOf(t, rep, "logjam"); !strings.Contains(f.Evidence, "widely shared 1024-bit prime RFC 2409 group 2") {
		t.Errorf("Logjam evidence: %s", f.Evidence)
	}
}

// TestHeartbleedQuietOnAHeartbeatServer: GnuTLS with heartbeat support
// negotiates the extension and refuses the malformed request with an alert,
// in the clear and after the handshake: no leak.
func TestHeartbleedQuietOnAHeartbeatServer(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartGnuTLSServer(t, pki.RSA, "NORMAL:-VERS-TLS1.3", "--heartbeat", "--disable-client-cert")
	rep := scanOK(t, srv.Addr)
	wantStatus(t, rep, map[string]Status{"heartbleed": StatusNotVulnerable})
	if f := findingOf(t, rep, "heartbleed"); !strings.Contains(f.Evidence, "ServerHello with the heartbeat extension") ||
		!strings.Contains(f.Evidence, "after the handshake: an encrypted heartbeat request") {
		t.Errorf("Heartbleed evidence: %s", f.Evidence)
	}
}

// TestWeaknessesOnATLS13OnlyServer: the TLS 1.2 probes do not apply, the
// intolerance probes still run, and nothing is vulnerable.
func TestWeaknessesOnATLS13OnlyServer(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-tls1_3", "-quiet")
	rep := scanOK(t, srv.Addr)
	noneVulnerable(t, rep)
	wantStatus(t, rep, map[string]Status{
		"heartbleed": StatusNotApplicable, "ccs_injection": StatusNotApplicable, "robot": StatusNotApplicable,
		"ticketbleed": StatusNotApplicable, "crime": StatusNotApplicable, "insecure_renegotiation": StatusNotApplicable,
		"no_extended_master_secret": StatusNotApplicable, "no_fallback_scsv": StatusNotApplicable,
		"version_intolerance": StatusNotVulnerable, "drown": StatusNotVulnerable,
	})
	if n := len(rep.Intolerance.Checks); n != 4 {
		t.Errorf("%d intolerance checks, want 4 (no legacy_version probe without TLS 1.2)", n)
	}
}

// TestAnonymousAndNULLSuitesOnOpenSSL: OpenSSL at @SECLEVEL=0 serves an
// anonymous suite and a NULL-cipher one. Both are findings of severity high,
// so the grade is D, while the checks for what the server lacks stay quiet.
func TestAnonymousAndNULLSuitesOnOpenSSL(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-quiet", "-tls1_2", "-cipher", "ADH-AES128-GCM-SHA256:NULL-SHA256:@SECLEVEL=0")
	rep := scanOK(t, srv.Addr)
	wantStatus(t, rep, map[string]Status{
		"anonymous_suites": StatusVulnerable, "null_encryption": StatusVulnerable, "weak_encryption": StatusNotVulnerable,
	})
	if f := findingOf(t, rep, "anonymous_suites"); !strings.Contains(f.Evidence, "TLS 1.2: TLS_DH_anon_WITH_AES_128_GCM_SHA256") || strings.Contains(f.Evidence, "NULL") {
		t.Errorf("anonymous_suites evidence: %s", f.Evidence)
	}
	if f := findingOf(t, rep, "null_encryption"); !strings.Contains(f.Evidence, "TLS 1.2: TLS_RSA_WITH_NULL_SHA256") || strings.Contains(f.Evidence, "anon") {
		t.Errorf("null_encryption evidence: %s", f.Evidence)
	}
	if rep.Grade == nil || rep.Grade.Letter != "D" || !strings.Contains(rep.Grade.Reason, "Anonymous suites") || !strings.Contains(rep.Grade.Reason, "NULL encryption") {
		t.Errorf("grade %+v, want D for the anonymous and NULL suites", rep.Grade)
	}
	noneVulnerable(t, rep, "anonymous_suites", "null_encryption")
}
