package clasp

import (
	"testing"

	"github.com/clasp-tls/clasp/sessions"
)

// A resumed connection carries the client's verified certificate, as the
// full one did, in TLS 1.2 (session ID and ticket) and TLS 1.3: a server
// that authorises by client certificate must not lose the identity.
func TestResumedConnectionKeepsTheClientIdentity(t *testing.T) {
	p := testCerts(t)
	for _, tc := range []struct {
		name     string
		version  uint16
		noTicket bool
	}{{"TLS 1.2 ticket", VersionTLS12, false}, {"TLS 1.2 session ID", VersionTLS12, true}, {"TLS 1.3", VersionTLS13, false}} {
		t.Run(tc.name, func(t *testing.T) {
			client, server := testClientConfig(t), testServerConfig(t)
			client.MaxVersion, server.MaxVersion = tc.version, tc.version
			client.Certificates = []Certificate{p.clientECDSA}
			client.ClientSessionCache = NewLRUClientSessionCache(4)
			client.SessionTicketsDisabled = tc.noTicket
			server.ClientAuth, server.ClientCAs = RequireAndVerifyClientCert, p.caPool
			server.SessionStore = sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 8})
			_, second := resumeTwice(t, client, server)
			st := second.serverState
			if !st.DidResume || len(st.PeerCertificates) == 0 || len(st.VerifiedChains) == 0 {
				t.Fatalf("resumed %v with %d client certificates and %d verified chains", st.DidResume, len(st.PeerCertificates), len(st.VerifiedChains))
			}
		})
	}
}

// A session whose client certificate no longer verifies (the server now
// trusts another CA) is not resumed; the full handshake then decides.
func TestSessionOfAnUntrustedClientIsNotResumed(t *testing.T) {
	p := testCerts(t)
	for _, version := range []uint16{VersionTLS12, VersionTLS13} {
		t.Run(VersionName(version), func(t *testing.T) {
			client, server := testClientConfig(t), testServerConfig(t)
			client.MaxVersion, server.MaxVersion = version, version
			client.Certificates = []Certificate{p.clientECDSA}
			client.ClientSessionCache = NewLRUClientSessionCache(4)
			server.ClientAuth, server.ClientCAs = VerifyClientCertIfGiven, p.caPool
			first := testHandshake(t, client, server)
			first.mustSucceed(t)
			first.exchange(t)
			server.ClientCAs = p.otherCAPool
			second := testHandshake(t, client, server)
			if second.serverState.DidResume {
				t.Fatal("resumed a session whose client certificate the server no longer trusts")
			}
		})
	}
}
