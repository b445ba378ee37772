package interop

import (
	"errors"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// TLS 1.0 and 1.1 with OpenSSL 3.0 (-tls1/-tls1_1 and @SECLEVEL=0, without
// which OpenSSL 3 refuses both), GnuTLS 3.7 (VERS-TLS1.0/1.1 in a priority
// string) and NSS 3.87 (-V tls1.0:tls1.0), in both directions, for each
// key exchange. The clasp side writes each request or answer in one Write,
// and the peer must read all of it: under TLS 1.0 that write leaves as a
// one-byte record and the rest (the 1/n-1 split against BEAST), which the
// tests count on the wire.

func TestOldVersionsClaspClientToOpenSSLServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	for _, v := range oldVersions {
		for _, s := range oldVersionSuites {
			t.Run(oldName(v, s), func(t *testing.T) {
				srv := peertest.StartOpenSSLServer(t, s.leaf(pki), "-www", v.openssl, "-cipher", s.openssl+":@SECLEVEL=0")
				page, state, recs := claspOldGet(t, srv.Addr, oldClientConfig(pki, v.v, s.id()))
				for _, want := range []string{"Cipher is " + s.openssl, "Protocol  : " + v.proto + "\n"} {
					if !strings.Contains(page, want) {
						t.Errorf("s_server page lacks %q:\n%s", want, page)
					}
				}
				if state.Version != v.v || suites.ID(state.CipherSuite).String() != s.iana {
					t.Errorf("clasp negotiated %s %s", clasp.VersionName(state.Version), state.CipherSuiteName)
				}
				wantSplit(t, v.v, true, recs)
			})
		}
	}
}

func TestOldVersionsOpenSSLClientToClaspServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	for _, v := range oldVersions {
		for _, s := range oldVersionSuites {
			t.Run(oldName(v, s), func(t *testing.T) {
				addr, results, written := startCountingClaspServer(t, oldServerConfig(pki, v.v, s))
				out, err := peertest.RunOpenSSLClient(t, addr, "hello from openssl\n", "-ign_eof", v.openssl, "-cipher", s.openssl+":@SECLEVEL=0")
				if err != nil {
					t.Fatalf("s_client: %v\n%s", err, out)
				}
				for _, want := range []string{"Cipher    : " + s.openssl, "Protocol  : " + v.proto + "\n",
					"Verify return code: 0 (ok)", "clasp echo: hello from openssl"} {
					if !strings.Contains(out, want) {
						t.Errorf("s_client output lacks %q:\n%s", want, out)
					}
				}
				wantOldServer(t, results, v.v, s.iana, "hello from openssl")
				wantSplit(t, v.v, true, written())
			})
		}
	}
}

func TestOldVersionsClaspClientToGnuTLSServer(t *testing.T) {
	peertest.Require(t, "gnutls-serv")
	pki := peertest.NewPKI(t)
	for _, v := range oldVersions {
		for _, s := range oldVersionSuites {
			t.Run(oldName(v, s), func(t *testing.T) {
				srv := peertest.StartGnuTLSServer(t, s.leaf(pki), gnutlsOldPriority(v.gnutls, s), "--http", "--disable-client-cert")
				page, state, recs := claspOldGet(t, srv.Addr, oldClientConfig(pki, v.v, s.id()))
				if !strings.Contains(page, "200 OK") {
					t.Errorf("gnutls-serv did not answer with a page:\n%s", page)
				}
				if state.Version != v.v || suites.ID(state.CipherSuite).String() != s.iana {
					t.Errorf("clasp negotiated %s %s", clasp.VersionName(state.Version), state.CipherSuiteName)
				}
				wantSplit(t, v.v, true, recs)
			})
		}
	}
}

func TestOldVersionsGnuTLSClientToClaspServer(t *testing.T) {
	peertest.Require(t, "gnutls-cli")
	pki := peertest.NewPKI(t)
	for _, v := range oldVersions {
		for _, s := range oldVersionSuites {
			t.Run(oldName(v, s), func(t *testing.T) {
				addr, results, written := startCountingClaspServer(t, oldServerConfig(pki, v.v, s))
				out, err := peertest.RunGnuTLSClient(t, addr, "hello from gnutls\n", "--priority", gnutlsOldPriority(v.gnutls, s))
				if err != nil {
					t.Fatalf("gnutls-cli: %v\n%s", err, out)
				}
				for _, want := range []string{"Handshake was completed", "clasp echo: hello from gnutls"} {
					if !strings.Contains(out, want) {
						t.Errorf("gnutls-cli output lacks %q:\n%s", want, out)
					}
				}
				wantOldServer(t, results, v.v, s.iana, "hello from gnutls")
				wantSplit(t, v.v, true, written())
			})
		}
	}
}

func TestOldVersionsClaspClientToNSSServer(t *testing.T) {
	peertest.Require(t, "selfserv")
	pki := peertest.NewPKI(t)
	for _, v := range oldVersions {
		for _, s := range oldVersionSuites {
			t.Run(oldName(v, s), func(t *testing.T) {
				srv := peertest.StartNSSServer(t, s.leaf(pki), "-V", v.nss, "-c", peertest.NSSCipherArg(s.id()))
				page, state, recs := claspOldGet(t, srv.Addr, oldClientConfig(pki, v.v, s.id()))
				// selfserv echoes the request it read: the split request
				// arrived whole.
				if !strings.Contains(page, "200 OK") || !strings.Contains(page, "GET / HTTP/1.0") {
					t.Errorf("selfserv did not echo the request:\n%s", page)
				}
				if state.Version != v.v || suites.ID(state.CipherSuite).String() != s.iana {
					t.Errorf("clasp negotiated %s %s", clasp.VersionName(state.Version), state.CipherSuiteName)
				}
				wantSplit(t, v.v, true, recs)
			})
		}
	}
}

func TestOldVersionsNSSClientToClaspServer(t *testing.T) {
	peertest.Require(t, "tstclnt")
	pki := peertest.NewPKI(t)
	for _, v := range oldVersions {
		for _, s := range oldVersionSuites {
			t.Run(oldName(v, s), func(t *testing.T) {
				addr, results, written := startCountingClaspServer(t, oldServerConfig(pki, v.v, s))
				out, err := peertest.RunNSSClient(t, addr, "hello from nss\n", "-V", v.nss, "-c", peertest.NSSCipherArg(s.id()))
				if err != nil {
					t.Fatalf("tstclnt: %v\n%s", err, out)
				}
				if !strings.Contains(out, "clasp echo: hello from nss") {
					t.Errorf("tstclnt output lacks the echo:\n%s", out)
				}
				wantOldServer(t, results, v.v, s.iana, "hello from nss")
				wantSplit(t, v.v, true, written())
			})
		}
	}
}

// TestOldVersionsClientAuthWithOpenSSL: the TLS 1.0/1.1 CertificateVerify
// is the MD5+SHA-1 RSA signature over the handshake messages (RFC 2246
// §7.4.8, §4.7): clasp signs it for s_server -Verify, and verifies the one
// s_client sends.
func TestOldVersionsClientAuthWithOpenSSL(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	s := oldVersionSuites[0]
	for _, v := range oldVersions {
		t.Run(clasp.VersionName(v.v)+"/clasp client", func(t *testing.T) {
			srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", v.openssl, "-cipher", s.openssl+":@SECLEVEL=0",
				"-Verify", "1", "-CAfile", pki.CACertFile)
			cfg := oldClientConfig(pki, v.v, s.id())
			cfg.Certificates = []clasp.Certificate{claspCert(pki.RSA)}
			page, _, _ := claspOldGet(t, srv.Addr, cfg)
			if !strings.Contains(page, "Cipher is "+s.openssl) {
				t.Errorf("s_server refused the client certificate:\n%s", page)
			}
		})
		t.Run(clasp.VersionName(v.v)+"/clasp server", func(t *testing.T) {
			cfg := oldServerConfig(pki, v.v, s)
			cfg.ClientAuth, cfg.ClientCAs = clasp.RequireAndVerifyClientCert, pki.CAPool
			addr, results, _ := startCountingClaspServer(t, cfg)
			out, err := peertest.RunOpenSSLClient(t, addr, "hello with a certificate\n", "-ign_eof", v.openssl,
				"-cipher", s.openssl+":@SECLEVEL=0", "-cert", pki.RSA.CertFile, "-key", pki.RSA.KeyFile)
			if err != nil || !strings.Contains(out, "clasp echo: hello with a certificate") {
				t.Fatalf("s_client: %v\n%s", err, out)
			}
			res := <-results
			if res.err != nil || len(res.state.PeerCertificates) == 0 {
				t.Fatalf("clasp server: %v, %d peer certificates", res.err, len(res.state.PeerCertificates))
			}
		})
	}
}

// TestDefaultClaspClientRefusesTLS10OpenSSLServer: a default clasp client
// offers TLS 1.2 and 1.3 only; an OpenSSL server limited to TLS 1.0 alerts
// protocol_version, and the error tells how to allow TLS 1.0.
func TestDefaultClaspClientRefusesTLS10OpenSSLServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0")
	conn, err := clasp.Dial("tcp", srv.Addr, &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost"})
	if err == nil {
		conn.Close()
		t.Fatal("a default client reached a TLS 1.0-only server")
	}
	var oe *clasp.OfferRejectedError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "Config.MinVersion") || !strings.Contains(err.Error(), "--min-version") {
		t.Fatalf("error %v, want an OfferRejectedError naming Config.MinVersion and --min-version", err)
	}
}

// TestOldVersionsClientAuthWithGnuTLSAndNSS: TLS 1.0/1.1 client
// authentication with GnuTLS (RSA client key: the MD5+SHA-1 CertificateVerify
// of RFC 2246 §7.4.8) and NSS (its ECDSA "client" leaf: ECDSA over SHA-1,
// RFC 4492 §5.8), clasp on either side.
func TestOldVersionsClientAuthWithGnuTLSAndNSS(t *testing.T) {
	peertest.Require(t, "gnutls-serv", "gnutls-cli", "selfserv", "tstclnt")
	pki := peertest.NewPKI(t)
	s := oldVersionSuites[0]
	for _, v := range oldVersions {
		serverCfg := func() *clasp.Config {
			cfg := oldServerConfig(pki, v.v, s)
			cfg.ClientAuth, cfg.ClientCAs = clasp.RequireAndVerifyClientCert, pki.CAPool
			return cfg
		}
		clientCfg := oldClientConfig(pki, v.v, s.id())
		clientCfg.Certificates = []clasp.Certificate{claspCert(pki.RSA)}
		t.Run(clasp.VersionName(v.v)+"/gnutls-serv", func(t *testing.T) {
			srv := peertest.StartGnuTLSServer(t, pki.RSA, gnutlsOldPriority(v.gnutls, s), "--http",
				"--require-client-cert", "--verify-client-cert", "--x509cafile", pki.CACertFile)
			if page, _, _ := claspOldGet(t, srv.Addr, clientCfg); !strings.Contains(page, "200 OK") {
				t.Errorf("gnutls-serv refused the client certificate:\n%s", page)
			}
		})
		t.Run(clasp.VersionName(v.v)+"/gnutls-cli", func(t *testing.T) {
			addr, results, _ := startCountingClaspServer(t, serverCfg())
			out, err := peertest.RunGnuTLSClient(t, addr, "hello with a certificate\n", "--priority", gnutlsOldPriority(v.gnutls, s),
				"--x509certfile", pki.RSA.CertFile, "--x509keyfile", pki.RSA.KeyFile)
			if err != nil || !strings.Contains(out, "clasp echo: hello with a certificate") {
				t.Fatalf("gnutls-cli: %v\n%s", err, out)
			}
			if res := <-results; res.err != nil || len(res.state.PeerCertificates) == 0 {
				t.Fatalf("clasp server: %v, %d peer certificates", res.err, len(res.state.PeerCertificates))
			}
		})
		t.Run(clasp.VersionName(v.v)+"/selfserv", func(t *testing.T) {
			srv := peertest.StartNSSServer(t, pki.RSA, "-V", v.nss, "-c", peertest.NSSCipherArg(s.id()), "-r", "-r")
			if page, _, _ := claspOldGet(t, srv.Addr, clientCfg); !strings.Contains(page, "GET / HTTP/1.0") {
				t.Errorf("selfserv refused the client certificate:\n%s", page)
			}
		})
		t.Run(clasp.VersionName(v.v)+"/tstclnt", func(t *testing.T) {
			addr, results, _ := startCountingClaspServer(t, serverCfg())
			out, err := peertest.RunNSSClient(t, addr, "hello with a certificate\n", "-V", v.nss, "-c", peertest.NSSCipherArg(s.id()), "-n", "client")
			if err != nil || !strings.Contains(out, "clasp echo: hello with a certificate") {
				t.Fatalf("tstclnt: %v\n%s", err, out)
			}
			if res := <-results; res.err != nil || len(res.state.PeerCertificates) == 0 {
				t.Fatalf("clasp server: %v, %d peer certificates", res.err, len(res.state.PeerCertificates))
			}
		})
	}
}
