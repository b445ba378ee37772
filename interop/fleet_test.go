package interop

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// The fleet test of issue 5, with real parts: two `clasp serve` backends
// behind HAProxy in TCP mode with round-robin balancing, so that a client's
// consecutive connections alternate between the backends.
//
//   - With --session-store redis://... (sessions in Redis, ticket base key
//     shared through it) every reconnect resumes, on both backends: TLS 1.2
//     by session ID, TLS 1.2 by ticket, TLS 1.3 by ticket.
//   - With --session-store memory each backend knows only its own sessions
//     and ticket keys, and the reconnects miss.
//   - A backend killed and started again loses nothing that is in Redis.
//   - Redis stopped costs resumptions by session ID (full handshakes and a
//     logged warning), never a connection; tickets keep resuming.

// fleetReconnects is the number of reconnects after the first connection.
const fleetReconnects = 20

// fleetMode is one way a client resumes.
type fleetMode struct {
	name      string
	resumedBy string // ConnectionState.ResumedBy, and the serve log's word
	config    func(*peertest.PKI) *clasp.Config
}

var fleetModes = []fleetMode{
	{"tls12-session-id", "session ID", func(pki *peertest.PKI) *clasp.Config {
		return &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost", MaxVersion: clasp.VersionTLS12,
			SessionTicketsDisabled: true, ClientSessionCache: clasp.NewLRUClientSessionCache(4)}
	}},
	{"tls12-ticket", "session ticket", func(pki *peertest.PKI) *clasp.Config {
		return &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost", MaxVersion: clasp.VersionTLS12,
			ClientSessionCache: clasp.NewLRUClientSessionCache(4)}
	}},
	{"tls13-ticket", "psk_dhe_ke", func(pki *peertest.PKI) *clasp.Config {
		return &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost", MinVersion: clasp.VersionTLS13,
			ClientSessionCache: clasp.NewLRUClientSessionCache(4)}
	}},
}

// fleet is two clasp serve backends behind one HAProxy.
type fleet struct {
	lb       string
	backends []*serveProc
}

func startFleet(t *testing.T, bin string, args ...string) *fleet {
	t.Helper()
	pki := peertest.NewPKI(t)
	f := &fleet{}
	for range 2 {
		f.backends = append(f.backends, startServeProc(t, bin, "127.0.0.1:0",
			append([]string{"--cert", pki.ECDSA.ChainFile, "--key", pki.ECDSA.KeyFile}, args...)...))
	}
	f.lb = startHAProxy(t, f.backends[0].addr, f.backends[1].addr)
	return f
}

// connection is what one connection through the fleet showed.
type connection struct {
	backend   int // 0 or 1
	resumed   bool
	resumedBy string
	logLine   string
	err       error
}

// connect makes one connection through HAProxy and finds the backend that
// served it: the one whose log gained a handshake line. Connections are
// made one at a time, so exactly one log grows.
func (f *fleet) connect(t *testing.T, cfg *clasp.Config) connection {
	t.Helper()
	before := []int{len(f.backends[0].handshakeLines()), len(f.backends[1].handshakeLines())}
	st, err := echoExchange(f.lb, cfg)
	c := connection{backend: -1, resumed: st.DidResume, resumedBy: st.ResumedBy, err: err}
	if err != nil {
		return c
	}
	// The line is written before the echo, but the log is read from a
	// pipe: give the reader a moment.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		for i, b := range f.backends {
			if lines := b.handshakeLines(); len(lines) > before[i] {
				if len(lines) > before[i]+1 {
					t.Errorf("backend %d logged %d handshakes for one connection", i+1, len(lines)-before[i])
				}
				c.backend, c.logLine = i, lines[len(lines)-1]
				return c
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Errorf("no backend logged the handshake")
	return c
}

// tally counts a run of reconnects.
type tally struct {
	resumed, missed, failed int
	perBackend              [2]int // reconnects served
	resumedOn               [2]int // reconnects resumed
	sequence                []string
}

func (ty *tally) add(c connection) {
	if c.err != nil {
		ty.failed++
		ty.sequence = append(ty.sequence, "FAILED")
		return
	}
	if c.backend >= 0 {
		ty.perBackend[c.backend]++
	}
	mark := fmt.Sprintf("b%d:", c.backend+1)
	if c.resumed {
		ty.resumed++
		if c.backend >= 0 {
			ty.resumedOn[c.backend]++
		}
		mark += "R"
	} else {
		ty.missed++
		mark += "full"
	}
	ty.sequence = append(ty.sequence, mark)
}

func (ty *tally) String() string {
	return fmt.Sprintf("%d resumed, %d full handshakes, %d failed; backend 1 served %d (%d resumed), backend 2 served %d (%d resumed); %s",
		ty.resumed, ty.missed, ty.failed, ty.perBackend[0], ty.resumedOn[0], ty.perBackend[1], ty.resumedOn[1], strings.Join(ty.sequence, " "))
}

// run makes one first connection and n reconnects with cfg's session
// cache, checking each reconnect that resumed against the mode and its
// backend's log line.
func (f *fleet) run(t *testing.T, cfg *clasp.Config, mode fleetMode, first bool, n int) *tally {
	t.Helper()
	if first {
		if c := f.connect(t, cfg); c.err != nil {
			t.Fatalf("first connection: %v", c.err)
		}
	}
	ty := &tally{}
	for i := 1; i <= n; i++ {
		c := f.connect(t, cfg)
		ty.add(c)
		if c.err != nil {
			t.Errorf("reconnect %d: %v", i, c.err)
			continue
		}
		if c.resumed {
			if c.resumedBy != mode.resumedBy {
				t.Errorf("reconnect %d: resumed by %q, want %q", i, c.resumedBy, mode.resumedBy)
			}
			if !strings.Contains(c.logLine, "resumed by "+mode.resumedBy+",") {
				t.Errorf("reconnect %d: backend %d's line does not say resumed by %s: %s", i, c.backend+1, mode.resumedBy, c.logLine)
			}
		} else if strings.Contains(c.logLine, "resumed by") {
			t.Errorf("reconnect %d: the client made a full handshake, backend %d says: %s", i, c.backend+1, c.logLine)
		}
	}
	return ty
}

// fleetResults collects the counts for the closing log line.
var fleetResults []string

func report(t *testing.T, what string, ty *tally) {
	t.Helper()
	t.Logf("%s: %s", what, ty)
	fleetResults = append(fleetResults, what+": "+ty.String())
}

func TestFleetBehindHAProxy(t *testing.T) {
	peertest.Require(t, "haproxy", "redis-server")
	start := time.Now()
	pki := peertest.NewPKI(t)
	bin := buildClasp(t)
	t.Cleanup(func() {
		t.Logf("fleet results (%s):\n  %s", time.Since(start).Round(time.Millisecond), strings.Join(fleetResults, "\n  "))
		fleetResults = nil
	})

	t.Run("memory-stores", func(t *testing.T) {
		f := startFleet(t, bin, "--session-store", "memory")
		for _, mode := range fleetModes {
			t.Run(mode.name, func(t *testing.T) {
				ty := f.run(t, mode.config(pki), mode, true, fleetReconnects)
				report(t, "memory stores, "+mode.name, ty)
				if ty.failed != 0 {
					t.Errorf("%d connections failed", ty.failed)
				}
				if ty.perBackend[0] == 0 || ty.perBackend[1] == 0 {
					t.Errorf("round robin did not use both backends: %s", ty)
				}
				// Round robin alternates: each reconnect lands on the
				// backend that did not make the session the client holds
				// (and a miss replaces it with one from this backend), so
				// per-process caches and keys miss, typically every time.
				if ty.missed == 0 {
					t.Errorf("per-process stores resumed every reconnect; the fleet test shows nothing: %s", ty)
				}
			})
		}
	})

	redis := startRedis(t)
	keyFile := filepath.Join(t.TempDir(), "fleet.key")
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(key[:])), 0o600); err != nil {
		t.Fatal(err)
	}
	f := startFleet(t, bin, "--session-store", redis.url(), "--fleet-key", keyFile)
	for i, b := range f.backends {
		if !strings.Contains(b.Log(), "ticket keys: base key read from the session store") {
			t.Fatalf("backend %d did not read the shared ticket base key:\n%s", i+1, b.Log())
		}
	}
	// Clients whose sessions outlive the restart below.
	kept := map[string]*clasp.Config{}

	t.Run("redis-store", func(t *testing.T) {
		for _, mode := range fleetModes {
			t.Run(mode.name, func(t *testing.T) {
				cfg := mode.config(pki)
				kept[mode.name] = cfg
				ty := f.run(t, cfg, mode, true, fleetReconnects)
				report(t, "Redis store, "+mode.name, ty)
				if ty.resumed != fleetReconnects {
					t.Errorf("%d of %d reconnects resumed, want all: %s", ty.resumed, fleetReconnects, ty)
				}
				if ty.resumedOn[0] == 0 || ty.resumedOn[1] == 0 {
					t.Errorf("resumptions did not happen on both backends: %s", ty)
				}
			})
		}
	})

	t.Run("backend-restarted", func(t *testing.T) {
		b := f.backends[1]
		b.kill()
		b.restart()
		if !b.waitLog("ticket keys: base key read from the session store", 2, 5*time.Second) {
			t.Fatalf("the restarted backend did not read the shared ticket base key:\n%s", b.Log())
		}
		// The sessions were made before the restart; the restarted
		// backend has nothing of them in memory.
		for _, mode := range fleetModes {
			t.Run(mode.name, func(t *testing.T) {
				ty := f.run(t, kept[mode.name], mode, false, 10)
				report(t, "Redis store after a backend restart, "+mode.name, ty)
				if ty.resumed != 10 {
					t.Errorf("%d of 10 reconnects resumed after the restart, want all: %s", ty.resumed, ty)
				}
				if ty.resumedOn[1] == 0 {
					t.Errorf("the restarted backend resumed nothing: %s", ty)
				}
			})
		}
	})

	t.Run("redis-stopped", func(t *testing.T) {
		redis.kill()
		ids, tickets := fleetModes[0], fleetModes[2]
		ty := f.run(t, ids.config(pki), ids, true, fleetReconnects)
		report(t, "Redis stopped, "+ids.name, ty)
		if ty.failed != 0 {
			t.Errorf("%d connections failed with Redis down; a store must cost resumptions only", ty.failed)
		}
		if ty.resumed != 0 {
			t.Errorf("%d reconnects resumed by session ID with Redis down", ty.resumed)
		}
		for i, b := range f.backends {
			if !b.waitLog(`level=WARN msg="clasp: session store unavailable`, 1, 3*time.Second) {
				t.Errorf("backend %d logged no warning about the store:\n%s", i+1, b.Log())
			}
		}
		// Ticket keys were read while Redis was up: tickets still resume.
		ty = f.run(t, tickets.config(pki), tickets, true, fleetReconnects)
		report(t, "Redis stopped, "+tickets.name, ty)
		if ty.failed != 0 || ty.resumed != fleetReconnects {
			t.Errorf("TLS 1.3 tickets with Redis down: %s; want all %d resumed", ty, fleetReconnects)
		}
	})
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("the fleet test took %s; keep it under a minute", d)
	}
}
