package interop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/sessions"
)

// TLS 1.2 resumption against real peers: session IDs kept in the server's
// SessionStore and RFC 5077 tickets, clasp on either side, and the ways a
// stored session or ticket can be unusable (each must be a clean full
// handshake, never a failed connection).

const (
	sessSuite  = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
	sessSuite2 = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
)

// sessServerConfig is a TLS 1.2 clasp server with its own memory store and
// ticket key, and a tally of its handshakes. mode is "id" (no tickets
// issued) or "ticket" (no session IDs issued), so each test proves the one
// mechanism it names.
func sessServerConfig(t *testing.T, mode string) (*clasp.Config, *handshakeTally) {
	t.Helper()
	pki := peertest.NewPKI(t)
	tally := &handshakeTally{}
	cfg := &clasp.Config{
		MaxVersion:   clasp.VersionTLS12,
		Certificates: []clasp.Certificate{claspCert(pki.RSA)},
		CipherSuites: []uint16{peertest.SuiteID(sessSuite), peertest.SuiteID(sessSuite2)},
		SessionStore: sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 64}),
		Tracer:       tally,
	}
	if _, err := rand.Read(cfg.SessionTicketKey[:]); err != nil {
		t.Fatal(err)
	}
	switch mode {
	case "id":
		cfg.SessionTicketsDisabled = true
	case "ticket":
		cfg.SessionIDsDisabled = true
	default:
		t.Fatalf("unknown mode %q", mode)
	}
	return cfg, tally
}

// sessClientConfig is a TLS 1.2 clasp client with a session cache; in "id"
// mode it offers no tickets.
func sessClientConfig(t *testing.T, mode string) (*clasp.Config, *handshakeTally) {
	pki := peertest.NewPKI(t)
	tally := &handshakeTally{}
	cfg := claspClientConfig(pki, sessSuite)
	cfg.CipherSuites = []uint16{peertest.SuiteID(sessSuite), peertest.SuiteID(sessSuite2)}
	cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(8)
	cfg.SessionTicketsDisabled = mode == "id"
	cfg.Tracer = tally
	return cfg, tally
}

// wantResumedBy checks that the only session decision of a handshake is a
// resumption by the named mechanism.
func wantResumedBy(t *testing.T, who string, tally *handshakeTally, mechanism string) {
	t.Helper()
	d := tally.sessionDecisions()
	if len(d) != 1 || d[0] != "resumed ("+mechanism+")" {
		t.Errorf("%s session decisions %q, want one \"resumed (%s)\"", who, d, mechanism)
	}
}

// TestTLS12ResumeOpenSSLClientReconnect: `openssl s_client -reconnect`
// makes one full handshake and reconnects five times offering the session;
// every reconnect must be "Reused" (session IDs with -no_ticket, tickets
// without).
func TestTLS12ResumeOpenSSLClientReconnect(t *testing.T) {
	peertest.Require(t, "openssl")
	for _, mode := range []string{"id", "ticket"} {
		t.Run(mode, func(t *testing.T) {
			cfg, tally := sessServerConfig(t, mode)
			srv := startLoopServer(t, fixedConfig(cfg), nil)
			args := append([]string{"-reconnect"}, peertest.OpenSSLCipherArgs(sessSuite)...)
			if mode == "id" {
				args = append(args, "-no_ticket")
			}
			out, err := peertest.RunOpenSSLClient(t, srv.addr, "", args...)
			if err != nil {
				t.Fatalf("s_client: %v\n%s", err, out)
			}
			if n := strings.Count(out, "Reused, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256"); n != 5 {
				t.Errorf("s_client reports %d reused sessions, want 5:\n%s", n, out)
			}
			if n := strings.Count(out, "New, "); n != 1 {
				t.Errorf("s_client reports %d new sessions, want 1:\n%s", n, out)
			}
			if mode == "ticket" && !strings.Contains(out, "TLS session ticket lifetime hint") {
				t.Errorf("s_client saw no ticket:\n%s", out)
			}
			// The server's connections end in the order their goroutines
			// see the client hang up, which on a loaded machine need not
			// be the order s_client made them (its own output above gives
			// that order): count them.
			resumed := 0
			for i := 0; i < 6; i++ {
				r := srv.next(t)
				if r.err != nil {
					t.Fatalf("connection %d: clasp server: %v", i+1, r.err)
				}
				if r.state.DidResume {
					resumed++
				}
			}
			if resumed != 5 {
				t.Errorf("the clasp server resumed %d of 6 connections, want 5", resumed)
			}
			mech := map[string]string{"id": "session ID", "ticket": "session ticket"}[mode]
			d := tally.sessionDecisions()
			if len(d) != 5 || strings.Count(strings.Join(d, "\n"), "resumed ("+mech+")") != 5 {
				t.Errorf("clasp server decisions %q, want five resumptions by %s", d, mech)
			}
		})
	}
}

// TestTLS12ResumeClaspClientToOpenSSLServer: a clasp client with a session
// cache connects six times to `openssl s_server -www`; connections 2..6
// resume, and s_server's page says "Reused" for each.
func TestTLS12ResumeClaspClientToOpenSSLServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	for _, mode := range []string{"id", "ticket"} {
		t.Run(mode, func(t *testing.T) {
			args := append([]string{"-www"}, peertest.OpenSSLCipherArgs(sessSuite)...)
			if mode == "id" {
				args = append(args, "-no_ticket")
			}
			srv := peertest.StartOpenSSLServer(t, pki.RSA, args...)
			cfg, tally := sessClientConfig(t, "ticket") // offers both: the server's flag decides
			for i := 1; i <= 6; i++ {
				page, st := claspGet(t, srv.Addr, cfg)
				if st.DidResume != (i > 1) {
					t.Errorf("connection %d: clasp DidResume %v", i, st.DidResume)
				}
				want := "New, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256"
				if i > 1 {
					want = "Reused, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256"
					wantResumedBy(t, "clasp client", tally, map[string]string{"id": "session ID", "ticket": "session ticket"}[mode])
				}
				if !strings.Contains(page, want) {
					t.Errorf("connection %d: s_server page lacks %q:\n%s", i, want, page)
				}
			}
		})
	}
}

// TestTLS12ResumeCryptoTLSClientTickets: Go's crypto/tls client (tickets
// only: it never resumes by session ID) against a clasp server.
func TestTLS12ResumeCryptoTLSClientTickets(t *testing.T) {
	pki := peertest.NewPKI(t)
	cfg, tally := sessServerConfig(t, "ticket")
	srv := startLoopServer(t, fixedConfig(cfg), nil)
	goCfg := &tls.Config{MaxVersion: tls.VersionTLS12, RootCAs: pki.CAPool, ServerName: "localhost",
		ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	for i := 1; i <= 3; i++ {
		st := goLineExchange(t, srv.addr, goCfg, fmt.Sprintf("go %d", i))
		if st.DidResume != (i > 1) {
			t.Errorf("connection %d: crypto/tls DidResume %v", i, st.DidResume)
		}
		r := srv.next(t)
		if r.err != nil || r.state.DidResume != (i > 1) {
			t.Errorf("connection %d: clasp server DidResume %v, err %v", i, r.state.DidResume, r.err)
		}
		if i > 1 {
			wantResumedBy(t, "clasp server", tally, "session ticket")
		}
	}
}

// goLineExchange dials with crypto/tls, sends one line, checks the echo.
func goLineExchange(t *testing.T, addr string, cfg *tls.Config, line string) tls.ConnectionState {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatalf("crypto/tls client: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, line+"\n"); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || got != "clasp echo: "+line+"\n" {
		t.Fatalf("crypto/tls client read %q, %v", got, err)
	}
	return conn.ConnectionState()
}

// TestTLS12ResumeClaspClientToCryptoTLSServerTickets: a clasp client
// against a crypto/tls server issuing TLS 1.2 tickets.
func TestTLS12ResumeClaspClientToCryptoTLSServerTickets(t *testing.T) {
	pki := peertest.NewPKI(t)
	goCfg := &tls.Config{MaxVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pki.RSA.TLS}}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", goCfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	goResumed := make(chan bool, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c *tls.Conn) {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				if err := c.Handshake(); err != nil {
					goResumed <- false
					return
				}
				goResumed <- c.ConnectionState().DidResume
				line, _ := bufio.NewReader(c).ReadString('\n')
				io.WriteString(c, "go echo: "+line)
			}(c.(*tls.Conn))
		}
	}()
	cfg, tally := sessClientConfig(t, "ticket")
	for i := 1; i <= 4; i++ {
		st := claspLineExchange(t, ln.Addr().String(), cfg, "go echo: ")
		if st.DidResume != (i > 1) {
			t.Errorf("connection %d: clasp DidResume %v", i, st.DidResume)
		}
		if r := <-goResumed; r != (i > 1) {
			t.Errorf("connection %d: crypto/tls server DidResume %v", i, r)
		}
		if i > 1 {
			wantResumedBy(t, "clasp client", tally, "session ticket")
		}
	}
}

// claspLineExchange dials with clasp, sends a line and checks the answer
// starts with prefix.
func claspLineExchange(t *testing.T, addr string, cfg *clasp.Config, prefix string) clasp.ConnectionState {
	t.Helper()
	conn, err := clasp.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatalf("clasp client: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "ping\n"); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || got != prefix+"ping\n" {
		t.Fatalf("clasp client read %q, %v", got, err)
	}
	return conn.ConnectionState()
}

// TestTLS12ResumeGnuTLSClient: `gnutls-cli --resume` connects, disconnects
// and resumes; --noticket makes it use the session ID.
func TestTLS12ResumeGnuTLSClient(t *testing.T) {
	peertest.Require(t, "gnutls-cli")
	for _, mode := range []string{"id", "ticket"} {
		t.Run(mode, func(t *testing.T) {
			cfg, tally := sessServerConfig(t, mode)
			srv := startLoopServer(t, fixedConfig(cfg), nil)
			args := []string{"--resume", "--priority", peertest.GnuTLSPriority(sessSuite)}
			if mode == "id" {
				args = append(args, "--noticket")
			}
			out, err := peertest.RunGnuTLSClient(t, srv.addr, "hello from gnutls\n", args...)
			if err != nil {
				t.Fatalf("gnutls-cli: %v\n%s", err, out)
			}
			mustContain(t, "gnutls-cli", out, "*** This is a resumed session", "clasp echo: hello from gnutls")
			for i := 0; i < 2; i++ {
				r := srv.next(t)
				if r.err != nil || r.state.DidResume != (i > 0) {
					t.Errorf("connection %d: clasp server DidResume %v, err %v", i+1, r.state.DidResume, r.err)
				}
			}
			wantResumedBy(t, "clasp server", tally, map[string]string{"id": "session ID", "ticket": "session ticket"}[mode])
		})
	}
}

// TestTLS12ResumeClaspClientToGnuTLSServer: a clasp client against
// gnutls-serv, which keeps a session-ID database and, unless --noticket,
// issues tickets.
func TestTLS12ResumeClaspClientToGnuTLSServer(t *testing.T) {
	peertest.Require(t, "gnutls-serv")
	pki := peertest.NewPKI(t)
	for _, mode := range []string{"id", "ticket"} {
		t.Run(mode, func(t *testing.T) {
			args := []string{"--http", "--disable-client-cert"}
			if mode == "id" {
				args = append(args, "--noticket")
			}
			srv := peertest.StartGnuTLSServer(t, pki.RSA, peertest.GnuTLSPriority(sessSuite), args...)
			cfg, tally := sessClientConfig(t, "ticket")
			var firstID []byte
			for i := 1; i <= 6; i++ {
				page, st := claspGet(t, srv.Addr, cfg)
				if !strings.Contains(page, "200 OK") {
					t.Errorf("connection %d: gnutls-serv page:\n%s", i, page)
				}
				if st.DidResume != (i > 1) {
					t.Errorf("connection %d: clasp DidResume %v", i, st.DidResume)
				}
				if i == 1 {
					firstID = st.SessionID
					continue
				}
				wantResumedBy(t, "clasp client", tally, map[string]string{"id": "session ID", "ticket": "session ticket"}[mode])
				// gnutls-serv's page shows the session ID; on a session-ID
				// resumption it is the first connection's.
				if mode == "id" && !bytes.Equal(st.SessionID, firstID) {
					t.Errorf("connection %d: resumed under session ID %x, want %x", i, st.SessionID, firstID)
				}
			}
		})
	}
}

// ----- unusable sessions: each a clean full handshake -----

// resumeClient is one peer client that can offer a previous session.
type resumeClient struct {
	name    string
	tickets bool // offers tickets; otherwise session IDs only
	// connect runs one connection offering the session kept from the last
	// one, exchanges a line, and reports whether the client says it resumed.
	connect func(t *testing.T, addr string) bool
}

func claspResumeClient(t *testing.T, mode string) resumeClient {
	cfg, _ := sessClientConfig(t, mode)
	cfg.Tracer = nil
	return resumeClient{name: "clasp", tickets: mode == "ticket", connect: func(t *testing.T, addr string) bool {
		return claspLineExchange(t, addr, cfg, "clasp echo: ").DidResume
	}}
}

// opensslResumeClient keeps its session in a file between runs
// (-sess_out, -sess_in).
func opensslResumeClient(t *testing.T, mode string) resumeClient {
	dir := t.TempDir()
	n := 0
	return resumeClient{name: "openssl", tickets: mode == "ticket", connect: func(t *testing.T, addr string) bool {
		t.Helper()
		args := []string{"-ign_eof", "-tls1_2", "-cipher", peertest.OpenSSLName(sessSuite) + ":" + peertest.OpenSSLName(sessSuite2)}
		if mode == "id" {
			args = append(args, "-no_ticket")
		}
		if n > 0 {
			args = append(args, "-sess_in", filepath.Join(dir, fmt.Sprint(n)))
		}
		n++
		args = append(args, "-sess_out", filepath.Join(dir, fmt.Sprint(n)))
		out, err := peertest.RunOpenSSLClient(t, addr, "ping\n", args...)
		if err != nil || !strings.Contains(out, "clasp echo: ping") {
			t.Fatalf("s_client: %v\n%s", err, out)
		}
		return strings.Contains(out, "Reused, TLSv1.2")
	}}
}

func goResumeClient(t *testing.T) resumeClient {
	pki := peertest.NewPKI(t)
	cfg := &tls.Config{MaxVersion: tls.VersionTLS12, RootCAs: pki.CAPool, ServerName: "localhost",
		ClientSessionCache: tls.NewLRUClientSessionCache(4),
		CipherSuites:       []uint16{peertest.SuiteID(sessSuite), peertest.SuiteID(sessSuite2)}}
	return resumeClient{name: "crypto-tls", tickets: true, connect: func(t *testing.T, addr string) bool {
		return goLineExchange(t, addr, cfg, "ping").DidResume
	}}
}

// logBuffer collects a server's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// badSessionCase spoils the session of a first full handshake before the
// client offers it: by changing the stored entry (store, key) or by serving
// the second connection with another Config (return it; nil keeps cfg).
type badSessionCase struct {
	name  string
	modes []string // "id", "ticket"
	spoil func(t *testing.T, cfg *clasp.Config, store *sessions.MemoryStore, key string) *clasp.Config
	// why is what the server's "session" decision or log must say, by
	// mode; none to check nothing.
	why map[string]string
}

var badSessionCases = []badSessionCase{
	{name: "corrupted-entry", modes: []string{"id"}, why: map[string]string{"id": "reason=auth"},
		spoil: func(t *testing.T, cfg *clasp.Config, store *sessions.MemoryStore, key string) *clasp.Config {
			v := storeGet(t, store, key)
			v[len(v)/2] ^= 0x40
			storePut(t, store, key, v)
			return nil
		}},
	{name: "truncated-entry", modes: []string{"id"}, why: map[string]string{"id": "reason=auth"},
		spoil: func(t *testing.T, cfg *clasp.Config, store *sessions.MemoryStore, key string) *clasp.Config {
			v := storeGet(t, store, key)
			storePut(t, store, key, v[:len(v)/2])
			return nil
		}},
	{name: "garbage-entry", modes: []string{"id"}, why: map[string]string{"id": "reason=version"},
		spoil: func(t *testing.T, cfg *clasp.Config, store *sessions.MemoryStore, key string) *clasp.Config {
			storePut(t, store, key, []byte("not a session at all"))
			return nil
		}},
	{name: "other-fleet-key", modes: []string{"id", "ticket"}, why: map[string]string{"id": "reason=foreign"},
		spoil: func(t *testing.T, cfg *clasp.Config, store *sessions.MemoryStore, key string) *clasp.Config {
			// Same store, another fleet's key: the entry (or ticket) was sealed
			// under a key this server does not have.
			other := cfg.Clone()
			if _, err := rand.Read(other.SessionTicketKey[:]); err != nil {
				t.Fatal(err)
			}
			return other
		}},
	{name: "ticket-key-expired", modes: []string{"ticket"},
		spoil: func(t *testing.T, cfg *clasp.Config, store *sessions.MemoryStore, key string) *clasp.Config {
			// Beyond SessionTTL and two rotation periods: the ticket's key is
			// gone.
			later := cfg.Clone()
			at := time.Now().Add(cfg.SessionTTL + 2*cfg.TicketKeyRotation + time.Minute)
			later.Time = func() time.Time { return at }
			return later
		}},
	{name: "session-ttl-passed", modes: []string{"id", "ticket"},
		spoil: func(t *testing.T, cfg *clasp.Config, store *sessions.MemoryStore, key string) *clasp.Config {
			// Past SessionTTL but within the ticket key's two periods: the
			// ticket opens, and its age refuses it.
			later := cfg.Clone()
			later.TicketKeyRotation = 24 * time.Hour
			at := time.Now().Add(cfg.SessionTTL + time.Minute)
			later.Time = func() time.Time { return at }
			return later
		}},
	{name: "suite-no-longer-accepted", modes: []string{"id", "ticket"}, why: map[string]string{"id": "no longer offered or accepted", "ticket": "no longer offered or accepted"},
		spoil: func(t *testing.T, cfg *clasp.Config, store *sessions.MemoryStore, key string) *clasp.Config {
			next := cfg.Clone()
			next.CipherSuites = []uint16{peertest.SuiteID(sessSuite2)}
			return next
		}},
	{name: "ems-changed", modes: []string{"id", "ticket"}, why: map[string]string{"id": "extended master secret: false; this handshake would: true", "ticket": "extended master secret: false; this handshake would: true"},
		spoil: func(t *testing.T, cfg *clasp.Config, store *sessions.MemoryStore, key string) *clasp.Config {
			// The first handshake ran with EMS off on the server (see
			// TestTLS12ResumeBadSessionIsFullHandshake); now it is on, and RFC
			// 7627 §5.3 forbids resuming the non-EMS session.
			next := cfg.Clone()
			next.DisableExtendedMasterSecret = false
			return next
		}},
}

func storeGet(t *testing.T, store *sessions.MemoryStore, key string) []byte {
	t.Helper()
	v, ok, err := store.Get(context.Background(), key)
	if err != nil || !ok {
		t.Fatalf("store has no %s (%v); keys are \"clasp:tls12:\"+hex(session ID)", key, err)
	}
	return v
}

func storePut(t *testing.T, store *sessions.MemoryStore, key string, v []byte) {
	t.Helper()
	if err := store.Put(context.Background(), key, v, time.Hour); err != nil {
		t.Fatal(err)
	}
}

// TestTLS12ResumeBadSessionIsFullHandshake: for each way a session can be
// unusable and each client that can offer it (clasp, openssl s_client with
// -sess_in, crypto/tls for tickets): connection 1 is a full handshake,
// the session is spoilt, connection 2 must be a clean full handshake on
// both sides (not a failure), and connection 3 resumes the new session.
func TestTLS12ResumeBadSessionIsFullHandshake(t *testing.T) {
	for _, tc := range badSessionCases {
		for _, mode := range tc.modes {
			clients := []func(*testing.T) resumeClient{
				func(t *testing.T) resumeClient { return claspResumeClient(t, mode) },
				func(t *testing.T) resumeClient { return opensslResumeClient(t, mode) },
			}
			if mode == "ticket" {
				clients = append(clients, goResumeClient)
			}
			for _, mk := range clients {
				client := mk(t)
				t.Run(tc.name+"/"+mode+"/"+client.name, func(t *testing.T) {
					if client.name == "openssl" {
						peertest.Require(t, "openssl")
					}
					runBadSession(t, tc, mode, client)
				})
			}
		}
	}
}

func runBadSession(t *testing.T, tc badSessionCase, mode string, client resumeClient) {
	cfg, tally := sessServerConfig(t, mode)
	cfg.CipherSuites = []uint16{peertest.SuiteID(sessSuite)}
	cfg.SessionTTL = time.Hour
	cfg.TicketKeyRotation = time.Hour
	logs := &logBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if tc.name == "ems-changed" {
		cfg.DisableExtendedMasterSecret = true
	}
	store := cfg.SessionStore.(*sessions.MemoryStore)
	src := &swappableConfig{cfg: cfg}
	srv := startLoopServer(t, src.get, nil)

	if client.connect(t, srv.addr) {
		t.Fatal("connection 1 resumed")
	}
	first := srv.next(t)
	if first.err != nil {
		t.Fatalf("connection 1: clasp server: %v", first.err)
	}
	if mode == "id" && len(first.state.SessionID) == 0 {
		t.Fatal("connection 1: the server assigned no session ID")
	}
	key := "clasp:tls12:" + hex.EncodeToString(first.state.SessionID)
	if next := tc.spoil(t, cfg, store, key); next != nil {
		src.set(next)
	}
	tally.sessionDecisions()

	if client.connect(t, srv.addr) {
		t.Errorf("connection 2 resumed the spoilt session (client side)")
	}
	second := srv.next(t)
	if second.err != nil {
		t.Fatalf("connection 2 failed instead of falling back to a full handshake: %v", second.err)
	}
	if second.state.DidResume || !second.state.HandshakeComplete {
		t.Errorf("connection 2: clasp server DidResume %v, complete %v", second.state.DidResume, second.state.HandshakeComplete)
	}
	if why := tc.why[mode]; why != "" {
		said := strings.Join(tally.sessionDecisions(), "\n") + "\n" + logs.String()
		if !strings.Contains(said, why) {
			t.Errorf("the server did not say %q; decisions and logs:\n%s", why, said)
		}
	}

	// The fresh session from connection 2 resumes.
	if !client.connect(t, srv.addr) {
		t.Errorf("connection 3 did not resume the session of connection 2")
	}
	if third := srv.next(t); third.err != nil || !third.state.DidResume {
		t.Errorf("connection 3: clasp server DidResume %v, err %v", third.state.DidResume, third.err)
	}
}
