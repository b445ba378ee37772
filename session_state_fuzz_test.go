package clasp

import (
	"bytes"
	"sync"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
)

// FuzzParseSessionState feeds ParseSessionState what a session store, a
// WrapSession handle's backing store or a client cache gives back: bytes
// that clasp wrote once but that may have been damaged or forged on the
// way (a shared Redis is readable and writable by others). It must never
// panic, and whatever it accepts must be a session in its one canonical
// form: serialised again, it gives the same bytes, so that two parsers of
// the same data cannot disagree about what it says.
func FuzzParseSessionState(f *testing.F) {
	for _, seed := range sessionStateSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ss, err := ParseSessionState(data)
		if err != nil {
			if ss != nil {
				t.Fatalf("an error (%v) and a session", err)
			}
			return
		}
		again, err := ss.Bytes()
		if err != nil {
			t.Fatalf("a parsed session does not serialise: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("accepted a non-canonical session:\n in  %x\n out %x", data, again)
		}
		if ss.client != nil {
			if _, err := NewResumptionState([]byte("ticket"), ss); err != nil {
				t.Fatalf("a parsed client session is not resumable: %v", err)
			}
		}
	})
}

// sessionStateSeeds are real serialised sessions: what a TLS 1.2 and a TLS
// 1.3 server hand WrapSession, and what their clients' caches store.
func sessionStateSeeds(tb testing.TB) [][]byte {
	var mu sync.Mutex
	var seeds [][]byte
	keep := func(ss *SessionState) {
		raw, err := ss.Bytes()
		if err != nil {
			tb.Fatal(err)
		}
		mu.Lock()
		seeds = append(seeds, raw)
		mu.Unlock()
	}
	for _, version := range []uint16{VersionTLS12, VersionTLS13} {
		client, server := testClientConfig(tb), testServerConfig(tb)
		client.MaxVersion, server.MaxVersion = version, version
		client.ClientSessionCache = seedKeepingCache{keep}
		server.WrapSession = func(_ ConnectionState, ss *SessionState) ([]byte, error) {
			ss.Extra = [][]byte{[]byte("extra")}
			keep(ss)
			return []byte("handle"), nil
		}
		r := testHandshake(tb, client, server)
		r.mustSucceed(tb)
		r.exchange(tb) // carries the TLS 1.3 ticket
	}
	if len(seeds) != 4 {
		tb.Fatalf("%d seed sessions, want a server's and a client's for each version", len(seeds))
	}
	return seeds
}

// seedKeepingCache is a ClientSessionCache that only serialises what it is
// given.
type seedKeepingCache struct{ keep func(*SessionState) }

func (c seedKeepingCache) Put(_ string, cs *ClientSessionState) {
	if cs == nil {
		return
	}
	if _, state, err := cs.ResumptionState(); err == nil {
		c.keep(state)
	}
}

func (seedKeepingCache) Get(string) (*ClientSessionState, bool) { return nil, false }

// A client session whose secrets do not have its version's shape is not
// one clasp wrote, and is refused rather than offered to a server. Found
// while writing the fuzz target's canonical-form rule: an extended master
// secret byte of 2 was read as true, and no length was checked.
func TestParseSessionStateRefusesMisshapenClientSessions(t *testing.T) {
	tls12 := suites.SuiteByID(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	tls13 := suites.SuiteByID(suites.TLS_AES_128_GCM_SHA256)
	good12 := func() *ClientSessionState {
		return &ClientSessionState{version: suites.VersionTLS12, suite: tls12, master: make([]byte, 48), sessionID: make([]byte, 32)}
	}
	good13 := func() *ClientSessionState {
		return &ClientSessionState{version: suites.VersionTLS13, suite: tls13, psk: make([]byte, 32)}
	}
	serialise := func(cs *ClientSessionState, ems byte) []byte {
		raw, err := (&SessionState{client: cs}).Bytes()
		if err != nil {
			t.Fatal(err)
		}
		// After the kind and the inner part's length, ems is the byte after
		// version, suite, PSK and master secret.
		raw[1+3+2+2+1+len(cs.psk)+1+len(cs.master)] = ems
		return raw
	}
	for _, tc := range []struct {
		name string
		cs   *ClientSessionState
		ems  byte
		ok   bool
	}{
		{"TLS 1.2 as written", good12(), 1, true},
		{"TLS 1.3 as written", good13(), 0, true},
		{"extended master secret byte 2", good12(), 2, false},
		{"TLS 1.2 master secret of 47 bytes", func() *ClientSessionState { cs := good12(); cs.master = cs.master[:47]; return cs }(), 1, false},
		{"TLS 1.2 with a PSK", func() *ClientSessionState { cs := good12(); cs.psk = make([]byte, 32); return cs }(), 1, false},
		{"TLS 1.2 session ID of 33 bytes", func() *ClientSessionState { cs := good12(); cs.sessionID = make([]byte, 33); return cs }(), 1, false},
		{"TLS 1.3 PSK of 31 bytes", func() *ClientSessionState { cs := good13(); cs.psk = cs.psk[:31]; return cs }(), 0, false},
		{"TLS 1.3 with a master secret", func() *ClientSessionState { cs := good13(); cs.master = make([]byte, 48); return cs }(), 0, false},
		{"TLS 1.3 with extended master secret", good13(), 1, false},
	} {
		_, err := ParseSessionState(serialise(tc.cs, tc.ems))
		if (err == nil) != tc.ok {
			t.Errorf("%s: ParseSessionState error %v, want accepted %v", tc.name, err, tc.ok)
		}
	}
}
