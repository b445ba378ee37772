package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/loadgen"
)

// benchJSON is the part of `clasp bench --json` the tests read.
type benchJSON struct {
	Attempts            int     `json:"attempts"`
	Handshakes          int     `json:"handshakes"`
	Errors              int     `json:"errors"`
	HandshakesPerSecond float64 `json:"handshakes_per_second"`
	LatencyMS           *struct {
		P50, P90, P99, Max float64
	} `json:"latency_ms"`
	ClientCPUUS *float64 `json:"client_cpu_us_per_handshake"`
	Negotiated  []struct {
		Connection string `json:"connection"`
		Count      int    `json:"count"`
	} `json:"negotiated"`
	Resumption *struct {
		Resumed          int `json:"resumed"`
		ResumedOtherwise int `json:"resumed_otherwise"`
		NotResumed       int `json:"not_resumed"`
		Priming          int `json:"priming"`
	} `json:"resumption"`
	Causes []struct {
		Cause   string `json:"cause"`
		Count   int    `json:"count"`
		Example string `json:"example"`
	} `json:"causes"`
	BytesRead int64 `json:"bytes_read"`
}

// runBench runs clasp bench --json and decodes its object, checking the
// sum every report must satisfy.
func runBenchJSON(t *testing.T, wantExit int, args ...string) benchJSON {
	t.Helper()
	r := runClasp(t, nil, append([]string{"bench", "--json"}, args...)...)
	if r.exitCode != wantExit {
		t.Fatalf("clasp bench %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, r.exitCode, wantExit, r.stdout, r.stderr)
	}
	var b benchJSON
	if err := json.Unmarshal([]byte(r.stdout), &b); err != nil {
		t.Fatalf("clasp bench --json output is not one JSON object: %v\n%s", err, r.stdout)
	}
	if b.Attempts != b.Handshakes+b.Errors {
		t.Errorf("attempts %d != handshakes %d + errors %d", b.Attempts, b.Handshakes, b.Errors)
	}
	causes, negotiated := 0, 0
	for _, c := range b.Causes {
		causes += c.Count
	}
	for _, n := range b.Negotiated {
		negotiated += n.Count
	}
	if causes != b.Errors || negotiated != b.Handshakes {
		t.Errorf("causes add up to %d for %d errors, negotiated to %d for %d handshakes", causes, b.Errors, negotiated, b.Handshakes)
	}
	if l := b.LatencyMS; b.Handshakes > 0 && (l == nil || l.P50 <= 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.Max) {
		t.Errorf("latency percentiles out of order or missing: %+v", l)
	}
	return b
}

// onlyCause checks that every error had the one cause want.
func onlyCause(t *testing.T, b benchJSON, want string) {
	t.Helper()
	if len(b.Causes) != 1 || b.Causes[0].Cause != want || b.Causes[0].Count != b.Attempts {
		t.Errorf("causes %+v, want all %d attempts as %q", b.Causes, b.Attempts, want)
	}
}

// clasp serve counts the handshakes clasp bench reports, and the two agree.
func TestBenchFullHandshakesAgainstServeAddUp(t *testing.T) {
	s := startServe(t, "--stats-addr", "127.0.0.1:0")
	b := runBenchJSON(t, 0, "--insecure", "-n", "120", "-c", "4", s.addr)
	if b.Attempts != 120 || b.Handshakes != 120 || b.Errors != 0 {
		t.Fatalf("attempts %d, handshakes %d, errors %d; want 120, 120, 0", b.Attempts, b.Handshakes, b.Errors)
	}
	if b.ClientCPUUS == nil || *b.ClientCPUUS <= 0 || b.HandshakesPerSecond <= 0 {
		t.Errorf("client CPU per handshake %v, rate %v: want both positive", b.ClientCPUUS, b.HandshakesPerSecond)
	}
	if len(b.Negotiated) != 1 || !strings.HasPrefix(b.Negotiated[0].Connection, "TLS 1.3 ") {
		t.Errorf("negotiated %+v, want TLS 1.3 for all", b.Negotiated)
	}
	if b.Resumption != nil {
		t.Errorf("a run of full handshakes reports resumption %+v", b.Resumption)
	}
	stats := waitStats(t, s, func(done int64) bool { return done >= 120 })
	if stats != 120 {
		t.Errorf("clasp serve counts %d handshakes done, clasp bench %d", stats, b.Handshakes)
	}
}

// waitStats reads clasp serve's handshakes_done until done accepts it.
func waitStats(t *testing.T, s *servedClasp, done func(int64) bool) int64 {
	t.Helper()
	stats := loadgen.NewStatsClient(statsURL(t, s))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := stats.WaitFor(ctx, func(st loadgen.Stats) bool { return done(st.HandshakesDone) })
	if err != nil {
		t.Log(err)
	}
	return st.HandshakesDone
}

// countLines counts the lines of clasp serve's log that contain want,
// waiting until there are at least n of them (its log trails the client).
func countLines(s *servedClasp, want string, n int) int {
	count := 0
	for range 50 {
		count = strings.Count(s.stderr.String(), want)
		if count >= n {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return count
}

// Every resumption clasp bench counts is one clasp serve logs as resumed
// by that mechanism: session IDs and tickets in TLS 1.2, PSK in TLS 1.3.
func TestBenchResumptionAgainstServeReallyResumed(t *testing.T) {
	for _, tc := range []struct {
		resume, serverLog string
		serveArgs         []string
	}{
		{"psk", "resumed by psk_dhe_ke,", nil},
		{"ticket", "resumed by session ticket,", nil},
		{"id", "resumed by session ID,", []string{"--no-tickets"}},
	} {
		t.Run(tc.resume, func(t *testing.T) {
			s := startServe(t, tc.serveArgs...)
			b := runBenchJSON(t, 0, "--insecure", "--resume", tc.resume, "-n", "60", "-c", "3", s.addr)
			if b.Handshakes != 60 || b.Resumption == nil || b.Resumption.Resumed != 60 || b.Resumption.Priming != 3 {
				t.Fatalf("handshakes %d, resumption %+v; want 60 resumed after 3 priming", b.Handshakes, b.Resumption)
			}
			if got := countLines(s, tc.serverLog, 60); got != 60 {
				t.Errorf("clasp serve logged %d handshakes %q, clasp bench counted %d resumed", got, tc.serverLog, b.Resumption.Resumed)
			}
			version := "TLS 1.2 "
			if tc.resume == "psk" {
				version = "TLS 1.3 "
			}
			if len(b.Negotiated) != 1 || !strings.HasPrefix(b.Negotiated[0].Connection, version) {
				t.Errorf("negotiated %+v, want %s only", b.Negotiated, version)
			}
		})
	}
}

// countingTLSServer is a crypto/tls echo server that counts its completed
// handshakes and those that resumed (ConnectionState.DidResume).
type countingTLSServer struct {
	addr               string
	handshakes, resumd atomic.Int64
}

func startCountingTLSServer(t *testing.T, config *tls.Config) *countingTLSServer {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &countingTLSServer{addr: ln.Addr().String()}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				tc := conn.(*tls.Conn)
				tc.SetDeadline(time.Now().Add(10 * time.Second))
				if tc.Handshake() != nil {
					return
				}
				s.handshakes.Add(1)
				if tc.ConnectionState().DidResume {
					s.resumd.Add(1)
				}
				io.Copy(tc, tc)
			}()
		}
	}()
	return s
}

// Against crypto/tls: the counts add up, the echo comes back whole, and
// every resumption clasp bench counts is one crypto/tls saw as resumed.
func TestBenchAgainstCryptoTLS(t *testing.T) {
	pki := newTestPKI(t)
	for _, tc := range []struct {
		name   string
		args   []string
		resume bool
	}{
		{"full TLS 1.3 with echo", []string{"--bytes", "1000"}, false},
		{"full TLS 1.2", []string{"--tls1.2", "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256"}, false},
		{"TLS 1.3 PSK", []string{"--resume", "psk"}, true},
		{"TLS 1.2 ticket", []string{"--resume", "ticket"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startCountingTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pki.server}})
			args := append([]string{"--cafile", pki.caFile, "-n", "40", "-c", "2"}, tc.args...)
			b := runBenchJSON(t, 0, append(args, srv.addr)...)
			primed := 0
			if b.Resumption != nil {
				primed = b.Resumption.Priming
			}
			if b.Handshakes != 40 || b.Errors != 0 || srv.handshakes.Load() != int64(40+primed) {
				t.Fatalf("clasp bench: %d handshakes, %d errors; crypto/tls counted %d (with %d priming)", b.Handshakes, b.Errors, srv.handshakes.Load(), primed)
			}
			if !tc.resume {
				if srv.resumd.Load() != 0 || b.Resumption != nil {
					t.Errorf("full handshakes: crypto/tls saw %d resumed, clasp bench reports %+v", srv.resumd.Load(), b.Resumption)
				}
				return
			}
			if b.Resumption.Resumed != 40 || srv.resumd.Load() != 40 {
				t.Errorf("clasp bench counted %d resumed, crypto/tls %d; want 40", b.Resumption.Resumed, srv.resumd.Load())
			}
		})
	}
	t.Run("echo bytes", func(t *testing.T) {
		srv := startCountingTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pki.server}})
		b := runBenchJSON(t, 0, "--cafile", pki.caFile, "-n", "10", "-c", "2", "--bytes", "3000", srv.addr)
		if b.BytesRead != 30000 {
			t.Errorf("read %d bytes of echo for 10 connections of 3000", b.BytesRead)
		}
	})
}

// A server that gives no session to resume: every connection is counted as
// a full handshake, none as resumed, and the run fails.
func TestBenchCountsHandshakesThatDidNotResume(t *testing.T) {
	pki := newTestPKI(t)
	srv := startCountingTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pki.server}, SessionTicketsDisabled: true})
	b := runBenchJSON(t, 1, "--cafile", pki.caFile, "--resume", "psk", "-n", "20", "-c", "2", srv.addr)
	if b.Handshakes != 20 || b.Resumption == nil || b.Resumption.Resumed != 0 || b.Resumption.NotResumed != 20 {
		t.Errorf("handshakes %d, resumption %+v; want 20 not resumed", b.Handshakes, b.Resumption)
	}
	if srv.resumd.Load() != 0 {
		t.Errorf("crypto/tls resumed %d sessions with tickets off", srv.resumd.Load())
	}
}

// Failures are counted by cause, one per attempt: a closed port, a
// version the server refuses (RFC 8446 §4.2.1: protocol_version), a
// certificate the client cannot verify.
func TestBenchReportsErrorsByCause(t *testing.T) {
	pki := newTestPKI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	b := runBenchJSON(t, 1, "--insecure", "-n", "10", "-c", "2", closed)
	if b.Attempts != 10 || b.Errors != 10 {
		t.Errorf("closed port: %d attempts, %d errors; want 10, 10", b.Attempts, b.Errors)
	}
	onlyCause(t, b, "connect: refused")

	tls12 := startCountingTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pki.server}, MaxVersion: tls.VersionTLS12})
	b = runBenchJSON(t, 1, "--cafile", pki.caFile, "--tls1.3", "-n", "10", "-c", "2", tls12.addr)
	onlyCause(t, b, "handshake: alert protocol_version")

	b = runBenchJSON(t, 1, "-n", "6", "-c", "2", tls12.addr)
	onlyCause(t, b, "handshake: verification: unknown authority")
	if tls12.handshakes.Load() != 0 {
		t.Errorf("crypto/tls completed %d handshakes that clasp bench counted as failed", tls12.handshakes.Load())
	}

	// A server that accepts and never answers, and one that reads the
	// ClientHello's record and closes (a FIN: having read everything the
	// client sent, it sends no reset).
	silent := startRawServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	b = runBenchJSON(t, 1, "--insecure", "--timeout", "300ms", "-n", "4", "-c", "2", silent)
	onlyCause(t, b, "handshake: timeout")
	closing := startRawServer(t, func(c net.Conn) {
		header := make([]byte, 5)
		if _, err := io.ReadFull(c, header); err != nil {
			return
		}
		io.CopyN(io.Discard, c, int64(header[3])<<8|int64(header[4]))
	})
	b = runBenchJSON(t, 1, "--insecure", "-n", "4", "-c", "2", closing)
	onlyCause(t, b, "handshake: closed by the server")
}

// startRawServer accepts TCP connections on loopback and hands each to
// handle, closing it afterwards.
func startRawServer(t *testing.T, handle func(net.Conn)) string {
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
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// --http-get reads clasp serve's page in http mode.
func TestBenchHTTPGetAgainstServe(t *testing.T) {
	s := startServe(t, "--mode", "http")
	b := runBenchJSON(t, 0, "--insecure", "--http-get", "/", "-n", "10", "-c", "2", s.addr)
	if b.Handshakes != 10 || b.BytesRead < 10*200 {
		t.Errorf("%d handshakes, %d bytes read; want 10 pages", b.Handshakes, b.BytesRead)
	}
}

func TestBenchUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-n", "10", "--duration", "1s"},
		{"--resume", "id", "--tls1.3"},
		{"--resume", "psk", "--max-version", "1.2"},
		{"--resume", "sometimes"},
		{"--bytes", "10", "--http-get", "/"},
		{"--connections", "0"},
		{"--http-get", "index.html"},
	} {
		r := runClasp(t, nil, append([]string{"bench", "--insecure"}, append(args, "127.0.0.1:1")...)...)
		if r.exitCode != exitUsage || r.stdout != "" {
			t.Errorf("clasp bench %v: exit %d, stdout %q; want exit %d and nothing attempted", args, r.exitCode, r.stdout, exitUsage)
		}
	}
}

// The text report states the sum and the rate.
func TestBenchTextReport(t *testing.T) {
	s := startServe(t)
	r := runClasp(t, nil, "bench", "--insecure", "-n", "20", "-c", "2", s.addr)
	if r.exitCode != 0 {
		t.Fatalf("exit %d: %s", r.exitCode, r.stderr)
	}
	for _, want := range []string{"attempts:     20 = 20 handshakes + 0 errors", "handshakes/s", "latency:      p50 ", "client CPU:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stderr, "\r") {
		t.Errorf("a progress line went to stderr, which is not a terminal: %q", r.stderr)
	}
}

// On a terminal, a progress line rewrites itself on stderr once a second
// and is cleared before the report. script(1) from util-linux gives the
// command a pseudo-terminal.
func TestBenchProgressLineOnATerminal(t *testing.T) {
	scriptPath, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script (util-linux) is not installed")
	}
	s := startServe(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, scriptPath, "-qec",
		claspBinary+" bench --insecure -c 2 -d 2500ms "+s.addr, "/dev/null").CombinedOutput()
	if err != nil {
		t.Fatalf("script: %v\n%s", err, out)
	}
	text := string(out)
	if !strings.Contains(text, "\r") || !strings.Contains(text, "handshakes  ") || !strings.Contains(text, "/s  ") {
		t.Errorf("no progress line on the terminal:\n%q", text)
	}
	if !strings.Contains(text, "\r\033[K") || !strings.Contains(text, "attempts:") {
		t.Errorf("the progress line is not cleared before the report:\n%q", text)
	}
}
