package interop

import (
	"strings"
	"testing"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/sessions"
)

// TestOldVersionsResumeWithOpenSSL: session-ID resumption (RFC 2246
// §7.3, RFC 4346 §7.3) in TLS 1.0 and 1.1, clasp on either side of
// OpenSSL. s_client -reconnect makes one full handshake and five resumed
// ones; a clasp client resumes its cached session at s_server.
func TestOldVersionsResumeWithOpenSSL(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	s := oldVersionSuites[0] // ECDHE_RSA with AES-128-CBC
	for _, v := range oldVersions {
		t.Run(clasp.VersionName(v.v)+"/clasp server", func(t *testing.T) {
			cfg := oldServerConfig(pki, v.v, s)
			cfg.SessionStore = sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 8})
			cfg.SessionTicketsDisabled = true
			srv := startLoopServer(t, fixedConfig(cfg), nil)
			out, err := peertest.RunOpenSSLClient(t, srv.addr, "", "-reconnect", "-no_ticket", v.openssl, "-cipher", s.openssl+":@SECLEVEL=0")
			if err != nil {
				t.Fatalf("s_client: %v\n%s", err, out)
			}
			if n := strings.Count(out, "Reused, "); n != 5 {
				t.Errorf("s_client reports %d reused sessions, want 5:\n%s", n, out)
			}
			// Counted, not taken in order: the server's connections end
			// as their goroutines see s_client hang up, which on a loaded
			// machine need not be the order s_client made them.
			resumed := 0
			for i := 0; i < 6; i++ {
				r := srv.next(t)
				if r.err != nil {
					t.Fatalf("connection %d: clasp server: %v", i+1, r.err)
				}
				if r.state.Version != v.v {
					t.Errorf("connection %d: clasp server negotiated %s", i+1, clasp.VersionName(r.state.Version))
				}
				if r.state.DidResume {
					resumed++
				}
			}
			if resumed != 5 {
				t.Errorf("the clasp server resumed %d of 6 connections, want 5", resumed)
			}
		})
		t.Run(clasp.VersionName(v.v)+"/clasp client", func(t *testing.T) {
			srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-no_ticket", v.openssl, "-cipher", s.openssl+":@SECLEVEL=0")
			cfg := oldClientConfig(pki, v.v, s.id())
			cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(4)
			for i := 1; i <= 3; i++ {
				page, st, _ := claspOldGet(t, srv.Addr, cfg)
				if st.DidResume != (i > 1) {
					t.Errorf("connection %d: clasp DidResume %v", i, st.DidResume)
				}
				if want := map[bool]string{false: "New, ", true: "Reused, "}[i > 1]; !strings.Contains(page, want) {
					t.Errorf("connection %d: s_server page lacks %q:\n%s", i, want, page)
				}
			}
		})
	}
}
