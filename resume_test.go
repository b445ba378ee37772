package clasp

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/sessions"
)

// resumeTwice runs a full handshake and then one that offers the session
// the first left in the client's cache; it returns the second's result.
func resumeTwice(t *testing.T, clientCfg, serverCfg *Config) (first, second *handshakeResult) {
	t.Helper()
	first = testHandshake(t, clientCfg, serverCfg)
	first.mustSucceed(t)
	// A TLS 1.3 ticket travels after the handshake, with the server's next
	// write; application data carries it over.
	first.exchange(t)
	second = testHandshake(t, clientCfg, serverCfg)
	second.mustSucceed(t)
	second.exchange(t)
	return first, second
}

func TestTLS12ResumptionBySessionID(t *testing.T) {
	clientCfg := testClientConfig(t)
	clientCfg.ClientSessionCache = NewLRUClientSessionCache(4)
	clientCfg.SessionTicketsDisabled = true
	serverCfg := testServerConfig(t)
	serverCfg.SessionStore = sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 16})
	first, second := resumeTwice(t, clientCfg, serverCfg)
	if first.clientState.DidResume || len(first.serverState.SessionID) != 32 {
		t.Fatalf("first handshake: resumed %v, session ID %x", first.clientState.DidResume, first.serverState.SessionID)
	}
	if !second.clientState.DidResume || !second.serverState.DidResume {
		t.Fatalf("second handshake did not resume: client %v, server %v", second.clientState.DidResume, second.serverState.DidResume)
	}
	if second.clientState.ResumedBy != "session ID" || second.serverState.ResumedBy != "session ID" {
		t.Errorf("ResumedBy = %q / %q, want session ID", second.clientState.ResumedBy, second.serverState.ResumedBy)
	}
	if string(second.serverState.SessionID) != string(first.serverState.SessionID) {
		t.Errorf("resumed under session ID %x, want %x", second.serverState.SessionID, first.serverState.SessionID)
	}
}

func TestTLS12ResumptionByTicket(t *testing.T) {
	clientCfg := testClientConfig(t)
	clientCfg.ClientSessionCache = NewLRUClientSessionCache(4)
	serverCfg := testServerConfig(t)
	serverCfg.SessionIDsDisabled = true
	_, second := resumeTwice(t, clientCfg, serverCfg)
	if !second.clientState.DidResume || !second.serverState.DidResume {
		t.Fatalf("second handshake did not resume: client %v, server %v", second.clientState.DidResume, second.serverState.DidResume)
	}
	if second.clientState.ResumedBy != "session ticket" || second.serverState.ResumedBy != "session ticket" {
		t.Errorf("ResumedBy = %q / %q, want session ticket", second.clientState.ResumedBy, second.serverState.ResumedBy)
	}
}

func TestTLS13ResumptionByTicket(t *testing.T) {
	clientCfg := testClientConfig(t)
	clientCfg.MaxVersion = VersionTLS13
	clientCfg.ClientSessionCache = NewLRUClientSessionCache(4)
	serverCfg := testServerConfig(t)
	serverCfg.MaxVersion = VersionTLS13
	_, second := resumeTwice(t, clientCfg, serverCfg)
	if second.clientState.Version != VersionTLS13 || !second.clientState.DidResume || !second.serverState.DidResume {
		t.Fatalf("second handshake: %s, resumed client %v server %v", VersionName(second.clientState.Version),
			second.clientState.DidResume, second.serverState.DidResume)
	}
}

// RFC 7627 §5.3: a session made without extended master secret must not be
// resumed by a handshake that would use it; the result is a clean full
// handshake.
func TestTLS12ResumptionRefusedWhenEMSChanges(t *testing.T) {
	clientCfg := testClientConfig(t)
	clientCfg.ClientSessionCache = NewLRUClientSessionCache(4)
	clientCfg.DisableExtendedMasterSecret = true
	serverCfg := testServerConfig(t)
	first := testHandshake(t, clientCfg, serverCfg)
	first.mustSucceed(t)
	clientCfg.DisableExtendedMasterSecret = false
	second := testHandshake(t, clientCfg, serverCfg)
	second.mustSucceed(t)
	if second.clientState.DidResume || second.serverState.DidResume || !second.clientState.ExtendedMasterSecret {
		t.Fatalf("resumed across an EMS change (client %v, server %v, EMS %v)", second.clientState.DidResume,
			second.serverState.DidResume, second.clientState.ExtendedMasterSecret)
	}
}

// A session that expired in the store is a full handshake.
func TestTLS12ResumptionRefusedAfterTTL(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	clientCfg := testClientConfig(t)
	clientCfg.ClientSessionCache = NewLRUClientSessionCache(4)
	clientCfg.SessionTicketsDisabled = true
	serverCfg := testServerConfig(t)
	serverCfg.Time = clock
	serverCfg.SessionTTL = time.Minute
	first := testHandshake(t, clientCfg, serverCfg)
	first.mustSucceed(t)
	now = now.Add(2 * time.Minute)
	second := testHandshake(t, clientCfg, serverCfg)
	second.mustSucceed(t)
	if second.serverState.DidResume {
		t.Fatal("resumed a session past its TTL")
	}
}

// firstSessionIDHandshake12 configures a clasp client and server to resume
// TLS 1.2 sessions by session ID (a client cache without tickets, a server
// session store) and runs their first, full handshake.
func firstSessionIDHandshake12(t *testing.T) (clientCfg, serverCfg *Config, first *handshakeResult) {
	t.Helper()
	clientCfg = testClientConfig(t)
	clientCfg.ClientSessionCache = NewLRUClientSessionCache(4)
	clientCfg.SessionTicketsDisabled = true
	serverCfg = testServerConfig(t)
	serverCfg.SessionStore = sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 16})
	first = testHandshake(t, clientCfg, serverCfg)
	first.mustSucceed(t)
	return clientCfg, serverCfg, first
}

// RFC 5246 §7.2.2: a session whose connection ended with a fatal alert
// must not be resumed; the server forgets it.
func TestTLS12SessionForgottenAfterFatalAlert(t *testing.T) {
	clientCfg, serverCfg, first := firstSessionIDHandshake12(t)
	// A record that does not authenticate: the server answers bad_record_mac,
	// which the client side drains (net.Pipe writes wait for a reader).
	go func() { _, _ = io.Copy(io.Discard, first.client.NetConn()) }()
	go func() {
		_, _ = first.client.NetConn().Write([]byte{23, 3, 3, 0, 32, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32})
	}()
	buf := make([]byte, 1)
	if _, err := first.server.Read(buf); err == nil {
		t.Fatal("server accepted a forged record")
	}
	second := testHandshake(t, clientCfg, serverCfg)
	second.mustSucceed(t)
	if second.serverState.DidResume {
		t.Fatal("resumed a session that ended with a fatal alert")
	}
}

// In an abbreviated TLS 1.2 handshake the server sends its
// ChangeCipherSpec and Finished first (RFC 5246 §7.3). A client that finds
// the server's Finished record tampered with has read the server's
// ChangeCipherSpec but not sent its own, so the server still reads it in
// the clear (RFC 5246 §7.1: protection changes with the sender's
// ChangeCipherSpec): the bad_record_mac alert goes unprotected and the
// server reads it as such. (TestClientRejectsTamperedServerFinishedRecord
// is the full handshake, where the client's alert follows its own
// ChangeCipherSpec and goes encrypted.)
func TestClientAlertReadableBeforeItsChangeCipherSpecInResumedTLS12(t *testing.T) {
	clientCfg, serverCfg, _ := firstSessionIDHandshake12(t)
	wrap := func(c net.Conn) net.Conn {
		return &readTamperConn{Conn: c, onRead: func(i int, b []byte) {
			if i == 0 { // ServerHello, ChangeCipherSpec, Finished
				b[len(b)-1] ^= 0x80
			}
		}}
	}
	r := testHandshakeConns(t, clientCfg, serverCfg, wrap)
	wantClaspFailure(t, r.clientErr, "read ChangeCipherSpec and Finished", wire.AlertBadRecordMAC)
	wantReceivedAlert(t, "server", r.serverErr, wire.AlertBadRecordMAC)
	// Waiting for the client's ChangeCipherSpec, so the handshake resumed
	// (a full one would be waiting for the ClientKeyExchange).
	if he, ok := r.serverErr.(*HandshakeError); !ok || he.Step != "read ChangeCipherSpec and Finished" {
		t.Errorf("server failed with %v, want it at the resumed handshake's read ChangeCipherSpec and Finished", r.serverErr)
	}
}
