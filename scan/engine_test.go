package scan

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

func TestProbeHelloCarriesWhatWasAsked(t *testing.T) {
	shares := map[suites.Group]int{
		suites.X25519: 32, suites.Secp256r1: 65, suites.Secp521r1: 133, suites.FFDHE2048: 256,
		suites.X25519MLKEM768: 1216, suites.SecP256r1MLKEM768: 65 + 1184, suites.SecP384r1MLKEM1024: 97 + 1568,
		0x0201: 1184, 0x0202: 1568,
	}
	var groups []suites.Group
	for g := range shares {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	p := &Probe{
		Version:           suites.VersionTLS12,
		SupportedVersions: []suites.Version{suites.VersionTLS13, suites.VersionTLS11},
		// 0xFFFE is no suite at all; 0xC0B4 is one clasp does not run.
		CipherSuites:     []suites.ID{0xFFFE, 0xC0B4, 0x1301},
		Groups:           append([]suites.Group{suites.X448}, groups...),
		KeyShares:        groups,
		SignatureSchemes: []suites.SignatureScheme{suites.Ed448},
		ServerName:       "scan.example",
	}
	h, err := p.Hello(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := h.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := wire.ParseClientHello(raw[4:])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.CipherSuites, p.CipherSuites) || back.Version != suites.VersionTLS12 || len(back.SessionID) != 32 {
		t.Errorf("hello: suites %v, version %v, session ID %d bytes", back.CipherSuites, back.Version, len(back.SessionID))
	}
	sv, _ := wire.FindExtension[*wire.SupportedVersionsExt](back.Extensions)
	sg, _ := wire.FindExtension[*wire.SupportedGroupsExt](back.Extensions)
	sn, _ := wire.FindExtension[*wire.ServerNameExt](back.Extensions)
	ks, _ := wire.FindExtension[*wire.KeyShareExt](back.Extensions)
	if sv == nil || !slices.Equal(sv.Versions, p.SupportedVersions) || sg == nil || !slices.Equal(sg.Groups, p.Groups) ||
		sn == nil || sn.HostName != "scan.example" || ks == nil || len(ks.Entries) != len(groups) {
		t.Fatalf("extensions do not carry the probe: %+v", back.Extensions)
	}
	for _, e := range ks.Entries {
		if len(e.KeyExchange) != shares[e.Group] {
			t.Errorf("key share for %v: %d bytes, want %d", e.Group, len(e.KeyExchange), shares[e.Group])
		}
	}
	if _, err := (&Probe{CipherSuites: []suites.ID{1}, KeyShares: []suites.Group{suites.X448}}).Hello(rand.Reader); err == nil {
		t.Error("a key share for x448, which no builder makes, was accepted")
	}
}

func TestSSL30ProbeHasNoExtensionsAndAnSSL30Record(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		hdr := make([]byte, 5)
		io.ReadFull(c, hdr)
		body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
		io.ReadFull(c, body)
		got <- append(hdr, body...)
	}()
	p := helloFor(suites.VersionSSL30, suitesFor(suites.VersionSSL30), "ignored.example")
	res, err := (&Runner{Timeout: 2 * time.Second}).Run(context.Background(), ln.Addr().String(), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != OutcomeClosed {
		t.Errorf("a server that closes: outcome %v", res.Outcome)
	}
	rec := <-got
	if rec[1] != 3 || rec[2] != 0 {
		t.Errorf("record version %x, want 0300", rec[1:3])
	}
	h, err := wire.ParseClientHello(rec[9:])
	if err != nil {
		t.Fatal(err)
	}
	if h.Extensions != nil || h.Version != suites.VersionSSL30 || !slices.Contains(h.CipherSuites, suites.TLS_EMPTY_RENEGOTIATION_INFO_SCSV) {
		t.Errorf("SSL 3.0 hello: version %v, extensions %v, suites %v", h.Version, h.Extensions, h.CipherSuites)
	}
}

func TestRunnerBoundsConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var open, peak atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				n := open.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(30 * time.Millisecond)
				open.Add(-1)
				c.Close()
			}()
		}
	}()
	r := &Runner{MaxConnections: 3, Timeout: 2 * time.Second}
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			res, err := r.Run(context.Background(), ln.Addr().String(), helloFor(suites.VersionTLS12, []suites.ID{0xC02F}, ""))
			if err != nil || res.Outcome != OutcomeClosed {
				t.Errorf("probe: %v, %v", res, err)
			}
		})
	}
	wg.Wait()
	if r.Connections() != 12 || peak.Load() > 3 || peak.Load() < 2 {
		t.Errorf("%d connections, at most %d at once; want 12 and at most 3", r.Connections(), peak.Load())
	}
}

func TestProbeReadsHelloRetryRequest(t *testing.T) {
	pki := peertest.NewPKI(t)
	addr := startGoServer(t, &tls.Config{Certificates: []tls.Certificate{pki.RSA.TLS}, CurvePreferences: []tls.CurveID{tls.CurveP384}})
	p := helloFor(suites.VersionTLS13, suitesFor(suites.VersionTLS13), "")
	res, err := (&Runner{}).Run(context.Background(), addr, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != OutcomeRetry || res.Group != suites.Secp384r1 || res.Version != suites.VersionTLS13 {
		t.Errorf("got %s, want a HelloRetryRequest for secp384r1", res.Summary())
	}
}

// startListener accepts connections on loopback and hands each to handle
// in its own goroutine until the test ends.
func startListener(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
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
			go handle(c)
		}
	}()
	return ln.Addr().String()
}

func TestScanFailsClearlyOnBadTargets(t *testing.T) {
	httpSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer httpSrv.Close()
	stalled := make(chan struct{})
	defer close(stalled)
	cases := []struct {
		name    string
		addr    string
		outcome Outcome
		text    string
	}{
		{"unreachable", freeClosedPort(t), OutcomeUnreachable, "cannot connect"},
		{"HTTP", strings.TrimPrefix(httpSrv.URL, "http://"), OutcomeNotTLS, "HTTP response"},
		{"closes at once", startListener(t, func(c net.Conn) { c.Close() }), OutcomeClosed, "closed the connection"},
		{"stalls", startListener(t, func(c net.Conn) { io.Copy(io.Discard, c); <-stalled; c.Close() }), OutcomeTimeout, "did not answer"},
		// Servers that speak first, as OpenSSH and Postfix do on connect.
		{"SSH", bannerServer(t, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"), OutcomeNotTLS, "SSH banner"},
		{"SMTP", bannerServer(t, "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n"), OutcomeNotTLS, "SMTP or FTP greeting (try STARTTLS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := Scan(context.Background(), tc.addr, Options{Timeout: 400 * time.Millisecond})
			elapsed := time.Since(start)
			var se *Error
			if !errors.As(err, &se) || se.Outcome != tc.outcome || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("got %v, want a %v scan error saying %q", err, tc.outcome, tc.text)
			}
			// The versions are probed at once: one timeout, not five.
			if elapsed > 2*time.Second {
				t.Errorf("took %v with a 400ms probe timeout", elapsed)
			}
			t.Logf("%s: %v (%v)", tc.name, err, elapsed.Round(time.Millisecond))
		})
	}
}

// bannerServer writes banner on every connection and then reads whatever
// comes until the client closes.
func bannerServer(t *testing.T, banner string) string {
	return startListener(t, func(c net.Conn) {
		defer c.Close()
		c.Write([]byte(banner))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, c)
	})
}

// proxyAction is what a filteringProxy does with one ClientHello.
type proxyAction int

const (
	forward proxyAction = iota
	hangUp
	stall
)

// filteringProxy forwards to backend the connections whose ClientHello
// decide lets through, and closes or stalls the others, as intolerant
// servers and middleboxes do.
func filteringProxy(t *testing.T, backend string, decide func(*wire.ClientHello) proxyAction) string {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return startListener(t, func(c net.Conn) {
		defer c.Close()
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
		// An SSL 2.0 hello has no TLS header: these bytes are not one.
		if _, err := io.ReadFull(c, body); err != nil || hdr[0] != byte(wire.ContentHandshake) || len(body) < 4 {
			return
		}
		h, err := wire.ParseClientHello(body[4:])
		if err != nil {
			return
		}
		switch decide(h) {
		case hangUp:
			return
		case stall:
			<-done
			return
		}
		b, err := net.Dial("tcp", backend)
		if err != nil {
			return
		}
		defer b.Close()
		b.Write(append(hdr, body...))
		go io.Copy(b, c)
		io.Copy(c, b)
	})
}

// chokingProxy hangs up on hellos with more than limit suites.
func chokingProxy(t *testing.T, backend string, limit int) string {
	return filteringProxy(t, backend, func(h *wire.ClientHello) proxyAction {
		if len(h.CipherSuites) > limit {
			return hangUp
		}
		return forward
	})
}

func TestScanSplitsTheListForAServerThatChokes(t *testing.T) {
	pki := peertest.NewPKI(t)
	backend := startGoServer(t, &tls.Config{
		Certificates: []tls.Certificate{pki.RSA.TLS},
		MaxVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_CBC_SHA},
	})
	rep := scanOK(t, chokingProxy(t, backend, 100))
	wantVersions(t, rep, suites.VersionTLS12)
	if got, order := suitesOf(t, rep, suites.VersionTLS12); !slices.Equal(got, []suites.ID{0xC02F, 0x0035}) || order != OrderServer {
		t.Errorf("TLS 1.2 suites through the choking proxy: got %v (%s order)", got, order)
	}
	if len(rep.Notes) == 0 || !strings.Contains(strings.Join(rep.Notes, " "), "at most 64 suites") {
		t.Errorf("no note that the server needed short lists: %q", rep.Notes)
	}
}

// TestScanIsNotFooledByAnUnofferedSuite runs a server that answers every
// hello with a TLS 1.2 ServerHello for GREASE value 0x0A0A, which no probe
// offers: TLS 1.2 is spoken, but no suite is accepted, and a note says why.
func TestScanIsNotFooledByAnUnofferedSuite(t *testing.T) {
	sh, err := (&wire.ServerHello{Version: suites.VersionTLS12, CipherSuite: 0x0A0A}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	addr := startListener(t, func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 1<<16)
		c.Read(buf)
		c.Write(append([]byte{22, 3, 3, byte(len(sh) >> 8), byte(len(sh))}, sh...))
	})
	rep := scanOK(t, addr)
	wantVersions(t, rep, suites.VersionTLS12)
	if got, _ := suitesOf(t, rep, suites.VersionTLS12); len(got) != 0 {
		t.Errorf("suites %v accepted from a server that picks only an unoffered value", got)
	}
	notes := strings.Join(rep.Notes, "\n")
	if !strings.Contains(notes, "chose GREASE(0x0A0A), which was not offered") {
		t.Errorf("notes: %q", rep.Notes)
	}
}

func TestProbeReadsTheTLS12Flight(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-groups", "P-384", "-quiet")
	p := helloFor(suites.VersionTLS12, suitesFor(suites.VersionTLS12), "localhost")
	p.ReadFlight = true
	res, err := (&Runner{Timeout: 10 * time.Second}).Run(context.Background(), srv.Addr, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != OutcomeAccepted || res.Err != nil || res.Suite != 0xC02F || res.Group != suites.Secp384r1 {
		t.Fatalf("got %s, group %v, err %v", res.Summary(), res.Group, res.Err)
	}
	if len(res.Certificates) == 0 || !slices.Equal(res.Certificates[0], pki.RSA.Cert.Raw) {
		t.Errorf("the flight's Certificate is not the server's: %d certificates", len(res.Certificates))
	}
	if ske := res.ServerKeyExchange; ske == nil || ske.ECDHE == nil || len(ske.ECDHE.Public) != 97 || ske.Signature == nil {
		t.Errorf("ServerKeyExchange: %+v", ske)
	}
}

// TestScanOfAServerThatStallsOnOldVersions: a server that never answers
// hellos below TLS 1.2 costs a timeout or two, not one per probe.
func TestScanOfAServerThatStallsOnOldVersions(t *testing.T) {
	pki := peertest.NewPKI(t)
	backend := startGoServer(t, &tls.Config{Certificates: []tls.Certificate{pki.RSA.TLS}, MaxVersion: tls.VersionTLS12})
	addr := filteringProxy(t, backend, func(h *wire.ClientHello) proxyAction {
		if h.Version < suites.VersionTLS12 {
			return stall
		}
		return forward
	})
	start := time.Now()
	rep, err := Scan(context.Background(), addr, Options{Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	wantVersions(t, rep, suites.VersionTLS12)
	for _, v := range rep.Versions[:3] {
		if v.Answer != "no answer before the timeout" {
			t.Errorf("%s: answer %q", v.Name, v.Answer)
		}
	}
	// One round of timeouts for the whole lists, one for their chunks
	// (more chunks than connection slots: two waves).
	if elapsed > 3*time.Second {
		t.Errorf("the scan took %v with a 500ms probe timeout", elapsed)
	}
	t.Logf("%d connections in %v", rep.Connections, elapsed)
}
