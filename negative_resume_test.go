package clasp

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/sessions"
)

// RFC 5246 §7.4.1.3: a server that echoes the client's session ID says it
// resumes that session. A TLS 1.3-capable client sends a random 32-byte ID
// in compatibility mode (RFC 8446 Appendix D.4) without offering any
// session; a TLS 1.2 ServerHello that echoes it resumes nothing the client
// has, and the client aborts with illegal_parameter (the RFC names no
// alert; BoringSSL sends illegal_parameter too, while OpenSSL 3 takes the
// echo as a new session's ID). The same holds for a client with a session
// cache that had nothing cached.
func TestClientRejectsTLS12ServerHelloEchoingUnofferedSessionID(t *testing.T) {
	for name, cfg := range map[string]func(t *testing.T) *Config{
		"compatibility session ID": func(t *testing.T) *Config { return testClientConfig13(t) },
		"empty session cache": func(t *testing.T) *Config {
			cfg := testClientConfig13(t)
			cfg.ClientSessionCache = NewLRUClientSessionCache(4)
			return cfg
		},
	} {
		t.Run(name, func(t *testing.T) {
			run, ch := clientVersusScript(t, cfg(t))
			if len(ch.SessionID) != 32 {
				t.Fatalf("legacy_session_id of %d bytes, want the 32-byte compatibility ID", len(ch.SessionID))
			}
			sh := scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
			sh.SessionID = ch.SessionID
			run.peer.sendMessages(sh)
			run.peer.expectAlert(wire.AlertIllegalParameter)
			wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertIllegalParameter)
		})
	}
}

// ---- extended master secret on resumption (RFC 7627 §5.3) ----

// resumptionMechanisms are the two ways a TLS 1.2 client offers a session.
var resumptionMechanisms = []string{"session ID", "session ticket"}

// serverWithSession12 runs a clasp↔clasp TLS 1.2 handshake against a
// server (testServerConfig with a session store), with the extended master
// secret or without, then starts that server facing a scripted client; it
// returns the session the first client cached: by session ID, or in a
// ticket.
func serverWithSession12(t *testing.T, ems bool, how string) (*scriptedRun, *ClientSessionState) {
	t.Helper()
	serverCfg := testServerConfig(t)
	serverCfg.SessionStore = sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 16})
	clientCfg := testClientConfig(t)
	clientCfg.ClientSessionCache = NewLRUClientSessionCache(4)
	clientCfg.DisableExtendedMasterSecret = !ems
	clientCfg.SessionTicketsDisabled = how != "session ticket"
	r := testHandshake(t, clientCfg, serverCfg)
	r.mustSucceed(t)
	if r.clientState.ExtendedMasterSecret != ems {
		t.Fatalf("first handshake: extended master secret %v, want %v", r.clientState.ExtendedMasterSecret, ems)
	}
	cs, ok := clientCfg.ClientSessionCache.Get(clientCfg.ServerName)
	if !ok || (how == "session ticket") != (len(cs.ticket) > 0) {
		t.Fatalf("no %s in the client's cache", how)
	}
	return serverVersusScript(t, serverCfg), cs
}

// offerSession12 makes ch offer cs the way a client does: its session ID,
// or its ticket with a fresh session ID (RFC 5077 §3.4).
func offerSession12(ch *wire.ClientHello, cs *ClientSessionState) {
	if len(cs.ticket) == 0 {
		ch.SessionID = cs.sessionID
		return
	}
	ch.SessionID = bytes.Repeat([]byte{0x1d}, 32)
	ch.Extensions = append(ch.Extensions, &wire.SessionTicketExt{Ticket: cs.ticket})
}

// withoutEMS drops extended_master_secret from a hello's extensions.
func withoutEMS(exts []wire.Extension) []wire.Extension {
	return slices.DeleteFunc(slices.Clone(exts), func(e wire.Extension) bool { return e.ExtType() == wire.ExtExtendedMasterSecret })
}

// RFC 7627 §5.3: "If the original session used the "extended_master_secret"
// extension but the new ClientHello does not contain it, the server MUST
// abort the abbreviated handshake." The RFC names no alert; OpenSSL 3
// sends handshake_failure (ssl_get_prev_session, SSL_R_INCONSISTENT_EXTMS),
// and so does clasp.
func TestServerRejectsResumptionOfEMSSessionWithoutEMS(t *testing.T) {
	for _, how := range resumptionMechanisms {
		t.Run(how, func(t *testing.T) {
			run, cs := serverWithSession12(t, true, how)
			ch := scriptedClientHello()
			ch.Extensions = withoutEMS(ch.Extensions)
			offerSession12(ch, cs)
			run.peer.sendMessages(ch)
			run.peer.expectAlert(wire.AlertHandshakeFailure)
			wantClaspFailure(t, run.wait(), "read ClientHello", wire.AlertHandshakeFailure)
		})
	}
}

// RFC 7627 §5.3: "If the original session did not use the
// "extended_master_secret" extension but the new ClientHello contains the
// extension, then the server MUST NOT perform the abbreviated handshake.
// Instead, it SHOULD continue with a full handshake". The ServerHello does
// not echo the offered session ID, and the server's Certificate follows.
func TestServerRefusesResumptionOfNonEMSSessionWithEMS(t *testing.T) {
	for _, how := range resumptionMechanisms {
		t.Run(how, func(t *testing.T) {
			run, cs := serverWithSession12(t, false, how)
			ch := scriptedClientHello()
			offerSession12(ch, cs)
			run.peer.sendMessages(ch)
			run.peer.ctx = wire.Context{Version: suites.VersionTLS12, KeyExchange: suites.KexECDHE}
			sh, ok := run.peer.readMessage().(*wire.ServerHello)
			if !ok {
				t.Fatal("server did not answer with a ServerHello")
			}
			if bytes.Equal(sh.SessionID, ch.SessionID) {
				t.Fatal("server echoed the session ID: it resumed a session made without extended master secret")
			}
			if _, ok := wire.FindExtension[*wire.ExtendedMasterSecretExt](sh.Extensions); !ok {
				t.Error("the full handshake does not use extended master secret")
			}
			if msg := run.peer.readMessage(); msg.Type() != wire.TypeCertificate {
				t.Fatalf("server sent %v after its ServerHello, want Certificate (a full handshake)", msg.Type())
			}
			run.peer.conn.Close()
			run.wait()
		})
	}
}

// RFC 7627 §5.3: "If the original session used the extension but the new
// ServerHello does not contain the extension, the client MUST abort the
// handshake. If the original session did not use the extension but the new
// ServerHello contains the extension, the client MUST abort the
// handshake." No alert is named; OpenSSL 3 sends handshake_failure
// (final_ems, SSL_R_INCONSISTENT_EXTMS), and so does clasp.
func TestClientRejectsResumptionWithDifferentEMS(t *testing.T) {
	for _, how := range resumptionMechanisms {
		for _, originalEMS := range []bool{true, false} {
			name := how + "/original without EMS"
			if originalEMS {
				name = how + "/original with EMS"
			}
			t.Run(name, func(t *testing.T) {
				suite := suites.SuiteByID(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
				cs := &ClientSessionState{version: suites.VersionTLS12, suite: suite, master: bytes.Repeat([]byte{0x4d}, 48),
					ems: originalEMS, lifetime: time.Hour, receivedAt: time.Now()}
				if how == "session ticket" {
					cs.ticket = []byte("a TLS 1.2 ticket")
				} else {
					cs.sessionID = bytes.Repeat([]byte{0x51}, 32)
				}
				cfg := testClientConfig(t)
				cfg.ClientSessionCache = NewLRUClientSessionCache(4)
				cfg.ClientSessionCache.Put(cfg.ServerName, cs)
				clientRefusesServerHello12(t, cfg, suite.ID, wire.AlertHandshakeFailure, func(ch *wire.ClientHello, sh *wire.ServerHello) {
					if _, ok := wire.FindExtension[*wire.ExtendedMasterSecretExt](ch.Extensions); !ok {
						t.Fatal("the client does not offer extended master secret")
					}
					sh.SessionID = ch.SessionID // resumed
					if originalEMS {
						sh.Extensions = withoutEMS(sh.Extensions)
					}
				})
			})
		}
	}
}

// The control for the two server tests above: offered with the EMS state it
// was made with, the same scripted session resumes (the ServerHello echoes
// the session ID), so what they see comes from the EMS change.
func TestServerResumesScriptedSessionWithSameEMS(t *testing.T) {
	for _, how := range resumptionMechanisms {
		for _, ems := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/ems=%v", how, ems), func(t *testing.T) {
				run, cs := serverWithSession12(t, ems, how)
				ch := scriptedClientHello()
				if !ems {
					ch.Extensions = withoutEMS(ch.Extensions)
				}
				offerSession12(ch, cs)
				run.peer.sendMessages(ch)
				sh, ok := run.peer.readMessage().(*wire.ServerHello)
				if !ok || !bytes.Equal(sh.SessionID, ch.SessionID) {
					t.Fatal("server did not resume the session")
				}
				run.peer.conn.Close()
				run.wait()
			})
		}
	}
}
