package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/sessions"
	"github.com/clasp-tls/clasp/sessions/redisstore"
)

// sessionStores are the server-side stores BenchmarkSessionStore compares.
// Each opens a fresh, empty store for one benchmark; redis starts its own
// redis-server, or skips when there is none (peertest.Require).
var sessionStores = []struct {
	name string
	open func(testing.TB) sessions.Store
}{
	{"store=memory", func(testing.TB) sessions.Store {
		return sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 1024})
	}},
	{"store=redis", openRedisStore},
}

// BenchmarkSessionStore measures a TLS 1.2 session-ID resumption on clasp
// with its sessions in memory and in Redis on a loopback port, side by
// side: the difference in sec/op is the latency Redis adds to a
// resumption (one GET round trip, plus go-redis's work). cpu-ns/op counts
// this process only, not redis-server.
func BenchmarkSessionStore(b *testing.B) {
	pki := peertest.NewPKI(b)
	sc := sessionIDScenario
	b.Run(sc.name, func(b *testing.B) {
		for _, store := range sessionStores {
			b.Run(store.name, func(b *testing.B) {
				store := store.open(b)
				// Once per -count run, a fresh stack (an empty client
				// cache) on the same store; see BenchmarkResumption.
				b.Run("impl=clasp", func(b *testing.B) { benchmarkResumption(b, claspWithStore(sc, pki, store)) })
			})
		}
	})
}

// claspWithStore is the scenario's clasp stack with the server's sessions
// in store.
func claspWithStore(sc scenario, pki *peertest.PKI, store sessions.Store) stack {
	client, server := sc.claspConfigs(pki)
	server.SessionStore = store
	return sc.claspStack(client, server)
}

// TestSessionStoreScenarios resumes once by session ID against each
// store, checking both sides.
func TestSessionStoreScenarios(t *testing.T) {
	pki := peertest.NewPKI(t)
	sc := sessionIDScenario
	for _, store := range sessionStores {
		t.Run(sc.name+"/"+store.name, func(t *testing.T) {
			st := claspWithStore(sc, pki, store.open(t))
			testResumption(t, sc, st)
		})
	}
}

// openRedisStore starts a redis-server for tb on a free loopback port and
// returns a redisstore.Store connected to it; both are stopped when tb
// ends.
func openRedisStore(tb testing.TB) sessions.Store {
	tb.Helper()
	peertest.Require(tb, "redis-server")
	addr := startRedis(tb)
	store, err := redisstore.Dial("redis://" + addr + "/0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return store
}

// startRedis starts redis-server on a free loopback port, with persistence
// off so that it writes nothing, and waits until it answers PING. The port
// is free when chosen but may be taken before redis binds it; a few fresh
// ports cover that race.
func startRedis(tb testing.TB) (addr string) {
	tb.Helper()
	dir := tb.TempDir()
	var err error
	for range 3 {
		port := peertest.FreePort(tb)
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", dir)
		out := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err = cmd.Start(); err != nil {
			tb.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		stop := func() {
			cmd.Process.Kill()
			<-done
		}
		if err = waitRedis(addr, done, out); err == nil {
			tb.Cleanup(stop)
			return addr
		}
		stop()
	}
	tb.Fatal(err)
	return ""
}

// waitRedis waits up to 10 s for the redis-server on addr to answer PING.
func waitRedis(addr string, exited <-chan struct{}, out *lockedBuffer) error {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited at start-up: %s", out)
		default:
		}
		if redisPing(addr) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("redis-server on %s did not answer PING within 10s: %s", addr, out)
}

// redisPing reports whether a Redis on addr answers PING.
func redisPing(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

// lockedBuffer collects a process's output, written by exec's copying
// goroutine and read by the benchmark.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
