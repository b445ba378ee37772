package interop

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/trace"
)

// SSL 3.0 (RFC 6101) against NSS 3.87, the one installed peer that still
// speaks it (selfserv/tstclnt -V ssl3:ssl3). OpenSSL 3.0 is built without
// SSL 3.0, GnuTLS 3.7.9 lists no VERS-SSL3.0, and Java 17 was not tried.
// The clasp side names SSL 3.0 in MinVersion and MaxVersion.
var ssl3Suites = []oldSuite{
	{iana: "TLS_RSA_WITH_AES_128_CBC_SHA"},
	{iana: "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
	{iana: "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
	{iana: "TLS_RSA_WITH_RC4_128_SHA"},
	{iana: "TLS_RSA_WITH_RC4_128_MD5"},
	{iana: "TLS_RSA_WITH_NULL_SHA"},
}

func ssl3Client(pki *peertest.PKI, s oldSuite) *clasp.Config {
	return oldClientConfig(pki, clasp.VersionSSL30, s.id())
}

func TestSSL30ClaspClientToNSSServer(t *testing.T) {
	peertest.Require(t, "selfserv")
	pki := peertest.NewPKI(t)
	for _, s := range ssl3Suites {
		t.Run(s.iana, func(t *testing.T) {
			srv := peertest.StartNSSServer(t, pki.RSA, "-V", "ssl3:ssl3", "-c", peertest.NSSCipherArg(s.id()))
			page, state, recs := claspOldGet(t, srv.Addr, ssl3Client(pki, s))
			if !strings.Contains(page, "GET / HTTP/1.0") {
				t.Errorf("selfserv did not echo the request:\n%s", page)
			}
			if state.Version != clasp.VersionSSL30 || suites.ID(state.CipherSuite).String() != s.iana {
				t.Errorf("clasp negotiated %s %s", clasp.VersionName(state.Version), state.CipherSuiteName)
			}
			if !strings.Contains(strings.Join(state.Warnings, "\n"), "POODLE") {
				t.Errorf("warnings %q lack the POODLE caveat", state.Warnings)
			}
			// SSL 3.0 chains CBC IVs like TLS 1.0: the 1/n-1 split applies.
			wantSplit(t, clasp.VersionTLS10, isCBC(s.iana), recs)
		})
	}
}

func TestSSL30NSSClientToClaspServer(t *testing.T) {
	peertest.Require(t, "tstclnt")
	pki := peertest.NewPKI(t)
	for _, s := range ssl3Suites {
		t.Run(s.iana, func(t *testing.T) {
			addr, results, written := startCountingClaspServer(t, oldServerConfig(pki, clasp.VersionSSL30, s))
			out, err := peertest.RunNSSClient(t, addr, "hello from nss\n", "-V", "ssl3:ssl3", "-c", peertest.NSSCipherArg(s.id()), "-v")
			// tstclnt prints each read: the 1/n-1 split shows as "c" and
			// then "lasp echo: ...".
			if err != nil || !strings.Contains(out, "echo: hello from nss") || !strings.Contains(out, "SSL version 3.0") {
				t.Fatalf("tstclnt: %v\n%s", err, out)
			}
			res := checkLegacyServer(t, results, clasp.VersionSSL30, s.iana, "hello from nss")
			if !strings.Contains(strings.Join(res.state.Warnings, "\n"), "POODLE") {
				t.Errorf("server warnings %q lack the POODLE caveat", res.state.Warnings)
			}
			wantSplit(t, clasp.VersionTLS10, isCBC(s.iana), written())
		})
	}
}

// TestSSL30ResumeWithNSSServer: SSL 3.0 session-ID resumption (RFC 6101
// §5.5): a clasp client with a session cache connects three times to
// selfserv, which keeps a session cache by default; connections 2 and 3
// are abbreviated handshakes.
func TestSSL30ResumeWithNSSServer(t *testing.T) {
	peertest.Require(t, "selfserv")
	pki := peertest.NewPKI(t)
	s := ssl3Suites[0]
	srv := peertest.StartNSSServer(t, pki.RSA, "-V", "ssl3:ssl3", "-c", peertest.NSSCipherArg(s.id()))
	cfg := ssl3Client(pki, s)
	cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(4)
	for i := 1; i <= 3; i++ {
		page, st, _ := claspOldGet(t, srv.Addr, cfg)
		if st.DidResume != (i > 1) || !strings.Contains(page, "GET / HTTP/1.0") {
			t.Errorf("connection %d: DidResume %v, page:\n%s", i, st.DidResume, page)
		}
	}
}

// TestSSL30ClientAuthWithNSS: the SSL 3.0 CertificateVerify (RFC 6101
// §5.6.8) made by clasp for selfserv -r -r and by tstclnt for a clasp server
// that requires and verifies it, with RSA keys (MD5 and SHA-1 hashes
// signed together) and ECDSA keys (the SHA-1 hash alone, as NSS does; RFC
// 6101 has no ECDSA).
func TestSSL30ClientAuthWithNSS(t *testing.T) {
	peertest.Require(t, "selfserv", "tstclnt")
	pki := peertest.NewPKI(t)
	s := ssl3Suites[0]
	t.Run("clasp client", func(t *testing.T) {
		srv := peertest.StartNSSServer(t, pki.RSA, "-V", "ssl3:ssl3", "-c", peertest.NSSCipherArg(s.id()), "-r", "-r")
		cfg := ssl3Client(pki, s)
		cfg.Certificates = []clasp.Certificate{claspCert(pki.RSA)}
		if page, _, _ := claspOldGet(t, srv.Addr, cfg); !strings.Contains(page, "GET / HTTP/1.0") {
			t.Errorf("selfserv refused the client certificate:\n%s", page)
		}
	})
	t.Run("clasp client/ECDSA", func(t *testing.T) {
		srv := peertest.StartNSSServer(t, pki.RSA, "-V", "ssl3:ssl3", "-c", peertest.NSSCipherArg(s.id()), "-r", "-r")
		cfg := ssl3Client(pki, s)
		cfg.Certificates = []clasp.Certificate{claspCert(pki.Client)}
		if page, _, _ := claspOldGet(t, srv.Addr, cfg); !strings.Contains(page, "GET / HTTP/1.0") {
			t.Errorf("selfserv refused the ECDSA client certificate:\n%s", page)
		}
	})
	for _, nick := range []string{"rsa", "client"} { // NSS nicknames: the RSA leaf, the ECDSA client leaf
		t.Run("clasp server/"+nick, func(t *testing.T) {
			cfg := oldServerConfig(pki, clasp.VersionSSL30, s)
			cfg.ClientAuth, cfg.ClientCAs = clasp.RequireAndVerifyClientCert, pki.CAPool
			addr, results, _ := startCountingClaspServer(t, cfg)
			out, err := peertest.RunNSSClient(t, addr, "hello with a certificate\n", "-V", "ssl3:ssl3", "-c", peertest.NSSCipherArg(s.id()), "-n", nick)
			res := <-results
			if err != nil || !strings.Contains(out, "echo: hello with a certificate") {
				t.Fatalf("tstclnt: %v\n%s\nclasp server: %v", err, out, res.err)
			}
			if res.err != nil || len(res.state.PeerCertificates) == 0 {
				t.Fatalf("clasp server: %v, %d peer certificates", res.err, len(res.state.PeerCertificates))
			}
		})
	}
}

// TestSSL30NoCertificateWithNSS: without a certificate, an SSL 3.0 client
// answers a CertificateRequest with the no_certificate warning alert (RFC
// 6101 §5.6.6): clasp sends it to selfserv -r, which requests a certificate
// without requiring one, and the handshake goes on. (The other direction
// cannot be staged with tstclnt, which picks a certificate from its
// database by itself; clasp to clasp covers it.)
func TestSSL30NoCertificateWithNSS(t *testing.T) {
	peertest.Require(t, "selfserv")
	pki := peertest.NewPKI(t)
	s := ssl3Suites[0]
	srv := peertest.StartNSSServer(t, pki.RSA, "-V", "ssl3:ssl3", "-c", peertest.NSSCipherArg(s.id()), "-r")
	if page, _, _ := claspOldGet(t, srv.Addr, ssl3Client(pki, s)); !strings.Contains(page, "GET / HTTP/1.0") {
		t.Errorf("selfserv did not go on without a client certificate:\n%s", page)
	}
}

// TestSSL30AndTLS10RenegotiationFromNSS: tstclnt -r 1 renegotiates once
// after connecting (client-initiated, with RFC 5746 renegotiation_info);
// a clasp server that allows one client-initiated renegotiation goes along
// in SSL 3.0 and TLS 1.0.
func TestSSL30AndTLS10RenegotiationFromNSS(t *testing.T) {
	peertest.Require(t, "tstclnt")
	pki := peertest.NewPKI(t)
	s := ssl3Suites[0]
	for _, v := range []struct {
		v   uint16
		nss string
	}{{clasp.VersionSSL30, "ssl3:ssl3"}, {clasp.VersionTLS10, "tls1.0:tls1.0"}} {
		t.Run(clasp.VersionName(v.v), func(t *testing.T) {
			cfg := oldServerConfig(pki, v.v, s)
			cfg.Renegotiation = clasp.RenegotiateOnceAsClient
			var serverHellos atomic.Int32
			cfg.Tracer = trace.TracerFunc(func(e trace.Event) {
				if m, ok := e.(*trace.Message); ok && m.Name == "ServerHello" && m.Direction == trace.Sent {
					serverHellos.Add(1)
				}
			})
			addr, results, _ := startCountingClaspServer(t, cfg)
			out, err := peertest.RunNSSClient(t, addr, "hello after renegotiating\n", "-V", v.nss, "-c", peertest.NSSCipherArg(s.id()), "-r", "1")
			res := <-results
			if err != nil || !strings.Contains(out, "echo: hello after renegotiating") || res.err != nil {
				t.Fatalf("tstclnt: %v\n%s\nclasp server: %v", err, out, res.err)
			}
			if n := serverHellos.Load(); n != 2 {
				t.Errorf("the clasp server sent %d ServerHellos, want 2 (a renegotiation)", n)
			}
		})
	}
}
