package clasp

import (
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// RFC 5246 §7.4.1.3: a server that echoes the client's session ID says it
// resumes that session. A TLS 1.3-capable client sends a random 32-byte ID
// in compatibility mode (RFC 8446 Appendix D.4) without offering any
// session; a TLS 1.2 ServerHello that echoes it resumes nothing the client
// has, and the client aborts with illegal_parameter (the RFC names no
// alert; BoringSSL sends illegal_parameter too). The same holds for a
// client with a session cache that had nothing cached.
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
