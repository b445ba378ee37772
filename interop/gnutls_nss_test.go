package interop

import (
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// peerSuites are the suites the GnuTLS and NSS tests cover in both
// directions: one of each key exchange and authentication clasp implements.
var peerSuites = []string{
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
	"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_RSA_WITH_AES_128_GCM_SHA256",
}

func TestClaspClientToGnuTLSServer(t *testing.T) {
	peertest.Require(t, "gnutls-serv")
	pki := peertest.NewPKI(t)
	for _, suite := range peerSuites {
		t.Run(suite, func(t *testing.T) {
			srv := peertest.StartGnuTLSServer(t, pki.LeafFor(suite), peertest.GnuTLSPriority(suite), "--http", "--disable-client-cert")
			page, state := claspGet(t, srv.Addr, claspClientConfig(pki, suite))
			if !strings.Contains(page, "200 OK") {
				t.Errorf("gnutls-serv did not answer with a page:\n%s", page)
			}
			if got := suites.ID(state.CipherSuite).String(); got != suite {
				t.Errorf("clasp negotiated %s, want %s", got, suite)
			}
		})
	}
}

func TestGnuTLSClientToClaspServer(t *testing.T) {
	peertest.Require(t, "gnutls-cli")
	pki := peertest.NewPKI(t)
	for _, suite := range peerSuites {
		t.Run(suite, func(t *testing.T) {
			addr, results := startClaspServer(t, claspServerConfig(pki, suite), 1)
			out, err := peertest.RunGnuTLSClient(t, addr, "hello from gnutls\n", "--priority", peertest.GnuTLSPriority(suite))
			if err != nil {
				t.Fatalf("gnutls-cli: %v\n%s", err, out)
			}
			for _, want := range []string{"Handshake was completed", "clasp echo: hello from gnutls"} {
				if !strings.Contains(out, want) {
					t.Errorf("gnutls-cli output lacks %q:\n%s", want, out)
				}
			}
			wantServer(t, results, suite, "hello from gnutls")
		})
	}
}

func TestClaspClientToNSSServer(t *testing.T) {
	peertest.Require(t, "selfserv")
	pki := peertest.NewPKI(t)
	for _, suite := range peerSuites {
		t.Run(suite, func(t *testing.T) {
			srv := peertest.StartNSSServer(t, pki.LeafFor(suite), peertest.NSSCipherArgs(suite)...)
			page, state := claspGet(t, srv.Addr, claspClientConfig(pki, suite))
			// selfserv answers with a status line followed by the request.
			if !strings.Contains(page, "200 OK") || !strings.Contains(page, "GET / HTTP/1.0") {
				t.Errorf("selfserv did not echo the request:\n%s", page)
			}
			if got := suites.ID(state.CipherSuite).String(); got != suite {
				t.Errorf("clasp negotiated %s, want %s", got, suite)
			}
		})
	}
}

func TestNSSClientToClaspServer(t *testing.T) {
	peertest.Require(t, "tstclnt")
	pki := peertest.NewPKI(t)
	for _, suite := range peerSuites {
		t.Run(suite, func(t *testing.T) {
			addr, results := startClaspServer(t, claspServerConfig(pki, suite), 1)
			out, err := peertest.RunNSSClient(t, addr, "hello from nss\n", peertest.NSSCipherArgs(suite)...)
			if err != nil {
				t.Fatalf("tstclnt: %v\n%s", err, out)
			}
			if !strings.Contains(out, "clasp echo: hello from nss") {
				t.Errorf("tstclnt output lacks the echo:\n%s", out)
			}
			wantServer(t, results, suite, "hello from nss")
		})
	}
}
