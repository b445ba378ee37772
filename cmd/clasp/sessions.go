package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/sessions"
	"github.com/clasp-tls/clasp/sessions/redisstore"
)

// Names of --client-auth, in crypto/tls's order.
var clientAuthNames = []struct {
	name string
	auth clasp.ClientAuthType
}{
	{"none", clasp.NoClientCert},
	{"request", clasp.RequestClientCert},
	{"require", clasp.RequireAnyClientCert},
	{"verify-if-given", clasp.VerifyClientCertIfGiven},
	{"require-and-verify", clasp.RequireAndVerifyClientCert},
}

func clientAuthList() string {
	var names []string
	for _, c := range clientAuthNames {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}

// parseClientAuth parses a --client-auth value.
func parseClientAuth(flag, value string) (clasp.ClientAuthType, error) {
	for _, c := range clientAuthNames {
		if c.name == value {
			return c.auth, nil
		}
	}
	return 0, usageErrorf("%s %q: want one of %s", flag, value, clientAuthList())
}

func clientAuthName(a clasp.ClientAuthType) string {
	for _, c := range clientAuthNames {
		if c.auth == a {
			return c.name
		}
	}
	return fmt.Sprint(int(a))
}

// verifies reports whether a policy checks client certificates against
// --client-ca.
func verifies(a clasp.ClientAuthType) bool {
	return a == clasp.VerifyClientCertIfGiven || a == clasp.RequireAndVerifyClientCert
}

// loadCertPool reads a PEM file of CA certificates for a flag.
func loadCertPool(flag, file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, usageErrorf("%s: %v", flag, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, usageErrorf("%s %s: no PEM certificate in the file", flag, file)
	}
	return pool, nil
}

// Renegotiation policies by their flag names.
var renegotiationNames = []struct {
	name   string
	policy clasp.RenegotiationSupport
}{
	{"never", clasp.RenegotiateNever},
	{"once", clasp.RenegotiateOnceAsClient},
	{"freely", clasp.RenegotiateFreelyAsClient},
}

func parseRenegotiation(flag, value string) (clasp.RenegotiationSupport, error) {
	for _, r := range renegotiationNames {
		if r.name == value {
			return r.policy, nil
		}
	}
	return 0, usageErrorf("%s %q: want never, once or freely", flag, value)
}

// Session stores for --session-store.
const storeMemory = "memory"

// ticketBaseKeyName is where the servers sharing a Redis keep the base key
// of their session tickets (redisstore adds its "clasp:" prefix).
const ticketBaseKeyName = "ticket-base-key"

// ticketKeyRefresh is how often a server re-reads the shared base key.
// The key lives for sessions.SharedSecretTTL in the store; when it runs out
// (or someone deletes it to retire it) a new one is made, and every server
// follows within this period. Until then the others' tickets miss, which
// costs full handshakes, never failed ones.
var ticketKeyRefresh = 10 * time.Minute

// ticketKeyRetry is how soon a server retries after failing to read the
// shared key (Redis down at start, say).
var ticketKeyRetry = 5 * time.Second

// fleetKeyPurpose labels the sealer of the shared ticket base key, so that
// the same --fleet-key can serve other uses without one opening another.
const fleetKeyPurpose = "clasp serve ticket base key"

// sessionSetup is the server's session store and the source of its
// ticket base key.
type sessionSetup struct {
	store sessions.Store
	// description is the "session store: ..." line of the log.
	description string
	// shared is set for a store shared with other servers: the ticket
	// base key then comes from the store, read by a background loop.
	shared   sessions.Store
	key      atomic.Pointer[[32]byte] // the shared base key, once read
	fallback [32]byte                 // this process's key until then
	closer   io.Closer
}

// newSessionSetup opens --session-store. A Redis that does not answer yet
// is not an error: the server starts and degrades to full handshakes.
func newSessionSetup(spec, fleetKeyFile string, logger *slog.Logger) (*sessionSetup, []string, error) {
	s := &sessionSetup{}
	var warnings []string
	switch {
	case spec == storeMemory:
		if fleetKeyFile != "" {
			return nil, nil, usageErrorf("--fleet-key seals the ticket key kept in a shared store; it means nothing with --session-store memory")
		}
		s.store = sessions.NewMemoryStore(sessions.MemoryOptions{})
		s.description = "memory (this process only: behind a load balancer, use a shared store such as redis://HOST:PORT/DB)"
		return s, nil, nil
	case strings.HasPrefix(spec, "redis://") || strings.HasPrefix(spec, "rediss://"):
	default:
		return nil, nil, usageErrorf("--session-store %q: want memory or redis://HOST:PORT/DB", spec)
	}
	// go-redis logs failed dials to stderr through a global logger; the
	// library reports store failures itself (Config.Logger), once per
	// failed operation, so go-redis's own lines would only repeat them.
	redis.SetLogger(quietRedisLogger{})
	st, err := redisstore.Dial(spec)
	if err != nil {
		return nil, nil, usageErrorf("--session-store: %v", err)
	}
	s.store, s.closer = st, st
	s.shared = st
	where := redactURL(spec)
	if fleetKeyFile != "" {
		key, err := os.ReadFile(fleetKeyFile)
		if err != nil {
			return nil, nil, usageErrorf("--fleet-key: %v", err)
		}
		key = []byte(strings.TrimSpace(string(key)))
		sealer, err := sessions.NewSealer(key, fleetKeyPurpose)
		if err != nil {
			return nil, nil, usageErrorf("--fleet-key %s: %v (want at least %d bytes)", fleetKeyFile, err, sessions.MinFleetKeyLen)
		}
		s.shared = sessions.NewSealedStore(st, sealer, logger)
		s.description = fmt.Sprintf("Redis at %s, shared ticket base key %q sealed under --fleet-key", where, ticketBaseKeyName)
	} else {
		s.description = fmt.Sprintf("Redis at %s, shared ticket base key %q", where, ticketBaseKeyName)
		warnings = append(warnings, "the shared ticket base key is kept in Redis in the clear: whoever can read Redis can open every ticket and stored session; give every server the same --fleet-key FILE to seal it")
	}
	if _, err := io.ReadFull(rand.Reader, s.fallback[:]); err != nil {
		return nil, nil, err
	}
	return s, warnings, nil
}

// redactURL hides a password in a Redis URL for the log.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		return scheme + "://***@" + rest[at+1:]
	}
	return u
}

// quietRedisLogger drops go-redis's own log lines (see newSessionSetup).
type quietRedisLogger struct{}

func (quietRedisLogger) Printf(context.Context, string, ...any) {}

// ticketKey is the base key connections use now: the shared one once read,
// this process's own until then. Zero for a memory store, which leaves the
// library's per-process key.
func (s *sessionSetup) ticketKey() [32]byte {
	if s.shared == nil {
		return [32]byte{}
	}
	if k := s.key.Load(); k != nil {
		return *k
	}
	return s.fallback
}

// readSharedKey reads (or creates) the shared base key once and says what
// happened: the first read, a change, a failure, a recovery.
func (s *sessionSetup) readSharedKey(ctx context.Context, logf func(string, ...any)) bool {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	v, err := sessions.SharedSecret(ctx, s.shared, ticketBaseKeyName, 32, rand.Reader)
	old := s.key.Load()
	if err != nil {
		if old == nil {
			logf("warning: cannot read the shared ticket base key from the session store (%v); using a key of this process only until it answers: other servers cannot open this one's tickets and sessions", oneLine(err.Error()))
		} else {
			logf("warning: cannot re-read the shared ticket base key from the session store (%v); keeping the one read before", oneLine(err.Error()))
		}
		return false
	}
	var k [32]byte
	copy(k[:], v)
	switch {
	case old == nil:
		logf("ticket keys: base key read from the session store (%s), shared by every server using it", ticketBaseKeyName)
	case *old != k:
		logf("ticket keys: the shared base key in the session store changed; following it")
	default:
		return true
	}
	s.key.Store(&k)
	return true
}

// run keeps the shared key fresh until ctx is done: a retry every
// ticketKeyRetry while reads fail, a re-read every ticketKeyRefresh.
func (s *sessionSetup) run(ctx context.Context, logf func(string, ...any), wg *sync.WaitGroup) {
	if s.shared == nil {
		return
	}
	ok := s.readSharedKey(ctx, logf)
	wg.Add(1)
	go func() {
		defer wg.Done()
		failing := !ok
		for {
			wait := ticketKeyRefresh
			if failing {
				wait = ticketKeyRetry
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			ok := s.readSharedKey(ctx, func(format string, args ...any) {
				// A failing store is said once, not every retry.
				if !failing || !strings.HasPrefix(format, "warning:") {
					logf(format, args...)
				}
			})
			failing = !ok
		}
	}()
}

func (s *sessionSetup) close() {
	if s != nil && s.closer != nil {
		s.closer.Close()
	}
}

// newServeLogger is the Config.Logger of clasp serve: the library's
// warnings (a session store that fails, an unusable stored session) as
// lines on stderr next to the handshake lines, "TIME warning: ...".
func newServeLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: slog.LevelInfo,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.String(slog.TimeKey, a.Value.Time().UTC().Format(time.RFC3339))
			}
			return a
		},
	}))
}
