package clasp

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

// serializingCache is a ClientSessionCache that keeps only bytes, as one
// backed by a file or a database would: ResumptionState and
// SessionState.Bytes on Put, ParseSessionState and NewResumptionState on
// Get.
type serializingCache struct {
	mu    sync.Mutex
	items map[string][2][]byte
}

func (c *serializingCache) Put(key string, cs *ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs == nil {
		delete(c.items, key)
		return
	}
	ticket, state, err := cs.ResumptionState()
	if err != nil {
		panic(err)
	}
	state.Extra = [][]byte{[]byte("kept by the cache")}
	raw, err := state.Bytes()
	if err != nil {
		panic(err)
	}
	c.items[key] = [2][]byte{ticket, raw}
}

func (c *serializingCache) Get(key string) (*ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	item, ok := c.items[key]
	if !ok {
		return nil, false
	}
	state, err := ParseSessionState(item[1])
	if err != nil || len(state.Extra) != 1 || string(state.Extra[0]) != "kept by the cache" {
		panic(fmt.Sprintf("ParseSessionState: %v %q", err, state.Extra))
	}
	cs, err := NewResumptionState(item[0], state)
	if err != nil {
		panic(err)
	}
	return cs, true
}

func TestClientSessionSurvivesSerialisation(t *testing.T) {
	for _, version := range []uint16{VersionTLS12, VersionTLS13} {
		t.Run(VersionName(version), func(t *testing.T) {
			client, server := testClientConfig(t), testServerConfig(t)
			client.MaxVersion, server.MaxVersion = version, version
			client.ClientSessionCache = &serializingCache{items: map[string][2][]byte{}}
			_, second := resumeTwice(t, client, server)
			if !second.clientState.DidResume || len(second.clientState.PeerCertificates) == 0 || len(second.clientState.VerifiedChains) == 0 {
				t.Errorf("after a round trip through bytes: resumed %v, %d peer certificates, %d verified chains",
					second.clientState.DidResume, len(second.clientState.PeerCertificates), len(second.clientState.VerifiedChains))
			}
		})
	}
}

// WrapSession and UnwrapSession keep sessions on the server and hand the
// client a handle; Extra travels with the session; an unknown handle is a
// full handshake.
func TestWrapAndUnwrapSession(t *testing.T) {
	for _, version := range []uint16{VersionTLS12, VersionTLS13} {
		t.Run(VersionName(version), func(t *testing.T) {
			store := map[string][]byte{}
			client, server := testClientConfig(t), testServerConfig(t)
			client.MaxVersion, server.MaxVersion = version, version
			client.ClientSessionCache = NewLRUClientSessionCache(4)
			server.WrapSession = func(cs ConnectionState, ss *SessionState) ([]byte, error) {
				ss.Extra = append(ss.Extra, []byte(cs.ServerName))
				raw, err := ss.Bytes()
				handle := fmt.Sprintf("handle-%d", len(store))
				store[handle] = raw
				return []byte(handle), err
			}
			var extra []byte
			server.UnwrapSession = func(identity []byte, cs ConnectionState) (*SessionState, error) {
				raw, ok := store[string(identity)]
				if !ok {
					return nil, nil
				}
				ss, err := ParseSessionState(raw)
				if err == nil && len(ss.Extra) > 0 {
					extra = ss.Extra[0]
				}
				return ss, err
			}
			_, second := resumeTwice(t, client, server)
			if !second.serverState.DidResume || !bytes.Equal(extra, []byte("localhost")) {
				t.Errorf("resumed %v, Extra %q", second.serverState.DidResume, extra)
			}
			clear(store)
			if third := testHandshake(t, client, server); third.clientErr != nil || third.serverState.DidResume {
				t.Errorf("an unknown handle: %v, resumed %v; want a full handshake", third.clientErr, third.serverState.DidResume)
			}
		})
	}
}

// SetSessionTicketKeys: the first key seals, every key opens; a server
// without the sealing key cannot resume.
func TestSetSessionTicketKeys(t *testing.T) {
	old, next := [32]byte{1}, [32]byte{2}
	for _, version := range []uint16{VersionTLS12, VersionTLS13} {
		t.Run(VersionName(version), func(t *testing.T) {
			client, a := testClientConfig(t), testServerConfig(t)
			client.MaxVersion, a.MaxVersion = version, version
			client.ClientSessionCache = NewLRUClientSessionCache(4)
			a.SetSessionTicketKeys([][32]byte{old})
			first := testHandshake(t, client, a)
			first.mustSucceed(t)
			first.exchange(t)

			rotated := testServerConfig(t)
			rotated.MaxVersion = version
			rotated.SetSessionTicketKeys([][32]byte{next, old})
			if res := testHandshake(t, client, rotated); !res.serverState.DidResume {
				t.Errorf("a server whose keys still include the old one did not resume")
			}
			other := testServerConfig(t)
			other.MaxVersion = version
			other.SetSessionTicketKeys([][32]byte{next})
			first = testHandshake(t, client, a)
			first.mustSucceed(t)
			first.exchange(t)
			if res := testHandshake(t, client, other); res.clientErr != nil || res.serverState.DidResume {
				t.Errorf("a server without the sealing key: %v, resumed %v", res.clientErr, res.serverState.DidResume)
			}
		})
	}
}
