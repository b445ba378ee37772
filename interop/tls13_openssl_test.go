package interop

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// TLS 1.3 against OpenSSL 3 (s_server / s_client with -tls1_3), both
// directions. OpenSSL 3.0 has no ML-KEM group, so the hybrid group is
// proven against crypto/tls only; OpenSSL adds the RFC 7919 ffdhe groups.

const peerOpenSSL = "openssl"

// openSSLGroups are the TLS 1.3 groups proven against OpenSSL, with
// OpenSSL's -groups name and the word s_client prints on its "Server Temp
// Key:" line.
var openSSLGroups = []struct {
	clasp   clasp.CurveID
	openssl string
	tempKey string
}{
	{clasp.X25519, "X25519", "X25519"},
	{clasp.CurveP256, "P-256", "ECDH, prime256v1"},
	{clasp.CurveP384, "P-384", "ECDH, secp384r1"},
	{clasp.CurveP521, "P-521", "ECDH, secp521r1"},
	{clasp.FFDHE2048, "ffdhe2048", "DH, 2048 bits"},
	{clasp.FFDHE3072, "ffdhe3072", "DH, 3072 bits"},
}

// wantOutput checks that a peer's output contains every string.
func wantOutput(t *testing.T, who, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s output lacks %q:\n%s", who, w, out)
			return
		}
	}
}

// TestTLS13ClaspClientToOpenSSLServer: each suite × each key type against
// `openssl s_server -tls1_3 -ciphersuites SUITE -www`, whose page names the
// version and suite it negotiated.
func TestTLS13ClaspClientToOpenSSLServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	for _, suite := range tls13SuiteNames {
		for _, kt := range tls13KeyTypes {
			t.Run(suite+"/"+kt, func(t *testing.T) {
				t.Parallel()
				countCase(t, peerOpenSSL)
				srv := peertest.StartOpenSSLServer(t, leafFor(pki, kt), append(peertest.OpenSSLTLS13Args(suite), "-www")...)
				page, st := claspGet(t, srv.Addr, claspClient13(pki, suite))
				wantOutput(t, "s_server page", page, "New, TLSv1.3, Cipher is "+suite)
				wantClasp13(t, "client", st, suite, 0)
				if st.SignatureScheme != wantScheme[kt] {
					t.Errorf("s_server signed with %s, want %s", st.SignatureScheme, wantScheme[kt])
				}
			})
		}
	}
}

// TestTLS13OpenSSLClientToClaspServer: each suite × each key type from
// `openssl s_client -tls1_3 -ciphersuites SUITE` to a clasp server pinned
// to the suite.
func TestTLS13OpenSSLClientToClaspServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	for _, suite := range tls13SuiteNames {
		for _, kt := range tls13KeyTypes {
			t.Run(suite+"/"+kt, func(t *testing.T) {
				t.Parallel()
				countCase(t, peerOpenSSL)
				addr, results := claspServe13(t, claspServer13(leafFor(pki, kt), suite), 1, echoLine13)
				out, err := peertest.RunOpenSSLClient(t, addr, "hello from openssl\n", append([]string{"-ign_eof"}, peertest.OpenSSLTLS13Args(suite)...)...)
				if err != nil {
					t.Fatalf("s_client: %v\n%s", err, out)
				}
				wantOutput(t, "s_client", out, "New, TLSv1.3, Cipher is "+suite, "Protocol  : TLSv1.3",
					"Verify return code: 0 (ok)", "clasp echo: hello from openssl")
				res := nextResult(t, results)
				if res.err != nil {
					t.Fatalf("clasp server: %v", res.err)
				}
				wantClasp13(t, "server", res.state, suite, 0)
				if res.state.SignatureScheme != wantScheme[kt] {
					t.Errorf("clasp server signed with %s, want %s", res.state.SignatureScheme, wantScheme[kt])
				}
			})
		}
	}
}

// TestTLS13GroupsOpenSSL: each group with both sides limited to it, both
// directions.
func TestTLS13GroupsOpenSSL(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	for _, g := range openSSLGroups {
		t.Run("clasp-client/"+g.openssl, func(t *testing.T) {
			t.Parallel()
			countCase(t, peerOpenSSL)
			srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_3", "-groups", g.openssl, "-www")
			cfg := claspClient13(pki, "")
			cfg.Groups = []clasp.CurveID{g.clasp}
			page, st := claspGet(t, srv.Addr, cfg)
			wantOutput(t, "s_server page", page, "New, TLSv1.3")
			wantClasp13(t, "client", st, "", g.clasp)
			if st.DidHelloRetryRequest {
				t.Errorf("unexpected HelloRetryRequest")
			}
		})
		t.Run("openssl-client/"+g.openssl, func(t *testing.T) {
			t.Parallel()
			countCase(t, peerOpenSSL)
			cfg := claspServer13(pki.ECDSA, "")
			cfg.Groups = []clasp.CurveID{g.clasp}
			addr, results := claspServe13(t, cfg, 1, echoLine13)
			out, err := peertest.RunOpenSSLClient(t, addr, "group\n", "-ign_eof", "-tls1_3", "-groups", g.openssl)
			if err != nil {
				t.Fatalf("s_client: %v\n%s", err, out)
			}
			wantOutput(t, "s_client", out, "Server Temp Key: "+g.tempKey, "clasp echo: group")
			res := nextResult(t, results)
			if res.err != nil {
				t.Fatalf("clasp server: %v", res.err)
			}
			wantClasp13(t, "server", res.state, "", g.clasp)
			if res.state.DidHelloRetryRequest {
				t.Errorf("unexpected HelloRetryRequest")
			}
		})
	}
}

// TestTLS13HelloRetryOpenSSL forces HelloRetryRequest both directions by
// group preferences. (s_server -stateless, which would force a cookie HRR,
// is unusable over TCP in OpenSSL 3.0: it sends the HelloRetryRequest and
// then fails on the second ClientHello with "ERROR", for s_client too.)
func TestTLS13HelloRetryOpenSSL(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	// clasp sends a share for X25519 only; s_server accepts only P-384.
	// The second case's clasp client is shaped like RFC 8448's NSS client
	// (no compatibility mode, NSS's extensions in NSS's order, padded to
	// 512 bytes after the retry).
	for name, shape := range map[string]func(*clasp.Config){
		"clasp-client-x25519-share/s_server-P-384": func(*clasp.Config) {},
		"clasp-client-shaped-hello/s_server-P-384": func(cfg *clasp.Config) {
			cfg.MiddleboxCompatDisabled = true
			cfg.ClientHelloExtensions = []uint16{0, 0xff01, 10, 51, 43, 13, 44, 45, 28, 21}
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			countCase(t, peerOpenSSL)
			srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_3", "-groups", "P-384", "-www")
			cfg := claspClient13(pki, "")
			cfg.Groups = []clasp.CurveID{clasp.X25519, clasp.CurveP384}
			shape(cfg)
			page, st := claspGet(t, srv.Addr, cfg)
			wantOutput(t, "s_server page", page, "New, TLSv1.3")
			wantClasp13(t, "client", st, "", clasp.CurveP384)
			if !st.DidHelloRetryRequest {
				t.Errorf("clasp client: DidHelloRetryRequest false")
			}
		})
	}
	// s_client sends a share for its first group (X25519) only. The first
	// clasp server accepts only P-384; the second also accepts X25519 but
	// prefers P-384 (HelloRetryForPreferredGroup) and sends a cookie, which
	// s_client echoes and clasp opens and checks.
	for name, server := range map[string]func(*clasp.Config){
		"s_client-x25519-share/clasp-server-P-384": func(cfg *clasp.Config) {
			cfg.Groups = []clasp.CurveID{clasp.CurveP384}
		},
		"s_client-x25519-share/clasp-server-prefers-P-384-with-cookie": func(cfg *clasp.Config) {
			cfg.Groups = []clasp.CurveID{clasp.CurveP384, clasp.X25519}
			cfg.HelloRetryForPreferredGroup, cfg.HelloRetryCookie = true, true
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			countCase(t, peerOpenSSL)
			cfg := claspServer13(pki.ECDSA, "")
			server(cfg)
			wantHelloRetryServer13(t, cfg, "s_client", func(addr string) (string, error) {
				return peertest.RunOpenSSLClient(t, addr, "retry\n", "-ign_eof", "-tls1_3", "-groups", "X25519:P-384")
			}, "Server Temp Key: ECDH, secp384r1")
		})
	}
}

// TestTLS13ResumptionOpenSSL: PSK resumption with tickets, both
// directions, for each suite.
func TestTLS13ResumptionOpenSSL(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	for _, suite := range tls13SuiteNames {
		// A clasp client connects twice with a session cache; s_server's page
		// says "Reused" the second time.
		t.Run("clasp-client/"+suite, func(t *testing.T) {
			t.Parallel()
			countCase(t, peerOpenSSL)
			srv := peertest.StartOpenSSLServer(t, pki.ECDSA, append(peertest.OpenSSLTLS13Args(suite), "-www")...)
			cfg := claspClient13(pki, suite)
			cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(4)
			for i, want := range []string{"New, TLSv1.3, Cipher is " + suite, "Reused, TLSv1.3, Cipher is " + suite} {
				// s_server sends its tickets right after the handshake; they
				// are read before the page.
				page, st := claspGet(t, srv.Addr, cfg)
				wantOutput(t, fmt.Sprintf("connection %d: s_server page", i), page, want)
				wantClasp13(t, "client", st, suite, 0)
				if st.DidResume != (i == 1) {
					t.Errorf("connection %d: clasp DidResume %v", i, st.DidResume)
				}
			}
		})
		// s_client -sess_out FILE, then -sess_in FILE: "Reused, TLSv1.3".
		// The clasp server's NewSessionTicket leaves with its echo.
		t.Run("s_client-sess_out-sess_in/"+suite, func(t *testing.T) {
			t.Parallel()
			countCase(t, peerOpenSSL)
			addr, results := claspServe13(t, claspServer13(pki.ECDSA, suite), 2, echoLine13)
			sess := filepath.Join(t.TempDir(), "session.pem")
			for i, flags := range [][]string{{"-sess_out", sess}, {"-sess_in", sess}} {
				args := append(append([]string{"-ign_eof"}, peertest.OpenSSLTLS13Args(suite)...), flags...)
				out, err := peertest.RunOpenSSLClient(t, addr, "resume\n", args...)
				if err != nil {
					t.Fatalf("s_client %v: %v\n%s", flags, err, out)
				}
				want := []string{"New, TLSv1.3, Cipher is " + suite, "Reused, TLSv1.3, Cipher is " + suite}[i]
				wantOutput(t, "s_client "+flags[0], out, want, "clasp echo: resume")
				res := nextResult(t, results)
				if res.err != nil {
					t.Fatalf("connection %d: clasp server: %v", i, res.err)
				}
				wantClasp13(t, "server", res.state, suite, 0)
				if res.state.DidResume != (i == 1) {
					t.Errorf("connection %d: clasp server DidResume %v", i, res.state.DidResume)
				}
			}
		})
	}
}

// TestTLS13KeyUpdateOpenSSL: OpenSSL sends KeyUpdate on its "k" command
// (update_not_requested) and "K" command (update_requested), as s_server
// and as s_client; clasp must keep reading, answer "K" with a KeyUpdate of
// its own (RFC 8446 §4.6.3) and keep writing under its new key, which the
// peer can only read if it processed clasp's KeyUpdate. -msg shows the
// KeyUpdate messages in the peer's output.
func TestTLS13KeyUpdateOpenSSL(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	t.Run("s_server-sends/clasp-client", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerOpenSSL)
		srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_3", "-msg")
		var kl keyLog
		cfg := claspClient13(pki, "")
		cfg.KeyLogWriter = &kl
		conn := dialClasp13(t, srv.Addr, cfg)
		r := bufio.NewReader(conn)
		// Wait until s_server has finished the handshake before typing.
		io.WriteString(conn, "ready\n")
		if !srv.WaitOutput("ready", 10*time.Second) {
			t.Fatalf("s_server did not print the client's line:\n%s", srv.Output())
		}
		for i, cmd := range []string{"k", "K"} {
			if err := srv.Send(cmd + "\n"); err != nil {
				t.Fatal(err)
			}
			// s_server's own "SSL_do_handshake -> 1" goes through a
			// buffered stdout and may never show; -msg output is flushed.
			if !waitCount(srv, ">>> TLS 1.3, Handshake [length 0005], KeyUpdate", i+1, 10*time.Second) {
				t.Fatalf("s_server did not send KeyUpdate on %q:\n%s", cmd, srv.Output())
			}
			line := fmt.Sprintf("server line after %s", cmd)
			if err := srv.Send(line + "\n"); err != nil {
				t.Fatal(err)
			}
			got, err := r.ReadString('\n')
			if err != nil || got != line+"\n" {
				t.Fatalf("clasp read %q, %v after s_server's %q; want %q\n%s", got, err, cmd, line, srv.Output())
			}
			reply := fmt.Sprintf("client reply after %s", cmd)
			if _, err := io.WriteString(conn, reply+"\n"); err != nil {
				t.Fatalf("write: %v", err)
			}
			if !srv.WaitOutput(reply, 10*time.Second) {
				t.Fatalf("s_server did not read %q (did it take clasp's new key?):\n%s", reply, srv.Output())
			}
		}
		// "k" and "K" each moved s_server's write key; clasp answered "K"
		// by moving its own, which s_server logs receiving.
		for _, l := range []string{"SERVER_TRAFFIC_SECRET_1", "SERVER_TRAFFIC_SECRET_2", "CLIENT_TRAFFIC_SECRET_1"} {
			if !kl.has(l) {
				t.Errorf("clasp key log lacks %s: %s", l, kl.labels())
			}
		}
		if kl.has("CLIENT_TRAFFIC_SECRET_2") {
			t.Errorf("clasp updated its write key for an update_not_requested KeyUpdate: %s", kl.labels())
		}
		if !srv.WaitOutput("<<< TLS 1.3, Handshake [length 0005], KeyUpdate", 5*time.Second) {
			t.Errorf("s_server -msg shows no KeyUpdate from clasp:\n%s", srv.Output())
		}
	})
	t.Run("s_client-sends/clasp-server", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerOpenSSL)
		var kl keyLog
		cfg := claspServer13(pki.ECDSA, "")
		cfg.KeyLogWriter = &kl
		lines := make(chan string, 8)
		addr, results := claspServe13(t, cfg, 1, func(c *clasp.Conn) error {
			r := bufio.NewReader(c)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return fmt.Errorf("after %d lines: %w", len(lines), err)
				}
				line = strings.TrimRight(line, "\n")
				lines <- line
				if _, err := io.WriteString(c, "clasp echo: "+line+"\n"); err != nil {
					return err
				}
				if line == "bye" {
					return nil
				}
			}
		})
		cli := peertest.StartOpenSSLClient(t, addr, "-tls1_3", "-msg")
		step := func(send, want string) {
			t.Helper()
			if err := cli.Send(send + "\n"); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-lines:
				if got != want {
					t.Fatalf("clasp server read %q, want %q", got, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("clasp server did not read %q:\n%s", want, cli.Output())
			}
			if !cli.WaitOutput("clasp echo: "+want, 10*time.Second) {
				t.Fatalf("s_client did not print the echo of %q:\n%s", want, cli.Output())
			}
		}
		step("first", "first")
		for i, cmd := range []string{"k", "K"} {
			if err := cli.Send(cmd + "\n"); err != nil {
				t.Fatal(err)
			}
			if !waitCount(cli, "KEYUPDATE", i+1, 10*time.Second) {
				t.Fatalf("s_client did not send KeyUpdate on %q:\n%s", cmd, cli.Output())
			}
			step("after "+cmd, "after "+cmd)
		}
		step("bye", "bye")
		if res := nextResult(t, results); res.err != nil {
			t.Fatalf("clasp server: %v\n%s", res.err, cli.Output())
		}
		for _, l := range []string{"CLIENT_TRAFFIC_SECRET_1", "CLIENT_TRAFFIC_SECRET_2", "SERVER_TRAFFIC_SECRET_1"} {
			if !kl.has(l) {
				t.Errorf("clasp key log lacks %s: %s", l, kl.labels())
			}
		}
		if !cli.WaitOutput("<<< TLS 1.3, Handshake [length 0005], KeyUpdate", 5*time.Second) {
			t.Errorf("s_client -msg shows no KeyUpdate from clasp:\n%s", cli.Output())
		}
	})
}

// waitCount waits until substr occurs at least n times in p's output.
func waitCount(p *peertest.Process, substr string, n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if strings.Count(p.Output(), substr) >= n {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTLS13ClientAuthOpenSSL: client certificates in TLS 1.3 both
// directions, and certificate_required when none is sent.
func TestTLS13ClientAuthOpenSSL(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	t.Run("clasp-client-cert/s_server-Verify", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerOpenSSL)
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-tls1_3", "-www", "-Verify", "1", "-CAfile", pki.CACertFile)
		cfg := claspClient13(pki, "")
		cfg.Certificates = []clasp.Certificate{claspCert(pki.Client)}
		page, st := claspGet(t, srv.Addr, cfg)
		wantOutput(t, "s_server page", page, "New, TLSv1.3")
		wantClasp13(t, "client", st, "", 0)
		if !srv.WaitOutput("CN = peertest client", 5*time.Second) {
			t.Errorf("s_server did not report the client certificate:\n%s", srv.Output())
		}
	})
	t.Run("s_client-cert/clasp-server", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerOpenSSL)
		cfg := claspServer13(pki.RSA, "")
		cfg.ClientAuth = clasp.RequireAndVerifyClientCert
		cfg.ClientCAs = pki.CAPool
		addr, results := claspServe13(t, cfg, 1, echoLine13)
		out, err := peertest.RunOpenSSLClient(t, addr, "with cert\n", "-ign_eof", "-tls1_3",
			"-cert", pki.Client.CertFile, "-key", pki.Client.KeyFile)
		if err != nil {
			t.Fatalf("s_client: %v\n%s", err, out)
		}
		wantOutput(t, "s_client", out, "clasp echo: with cert")
		res := nextResult(t, results)
		if res.err != nil {
			t.Fatalf("clasp server: %v", res.err)
		}
		if len(res.state.VerifiedChains) == 0 || res.state.PeerCertificates[0].Subject.CommonName != "peertest client" {
			t.Errorf("clasp server did not verify the client certificate")
		}
	})
	t.Run("clasp-client-no-cert/s_server-Verify", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerOpenSSL)
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-tls1_3", "-www", "-Verify", "1", "-CAfile", pki.CACertFile)
		conn, err := clasp.Dial("tcp", srv.Addr, claspClient13(pki, ""))
		if err == nil {
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
			io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n")
			_, err = io.ReadAll(conn)
		}
		wantAlert(t, err, "certificate_required")
	})
	t.Run("s_client-no-cert/clasp-server", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerOpenSSL)
		cfg := claspServer13(pki.RSA, "")
		cfg.ClientAuth = clasp.RequireAndVerifyClientCert
		cfg.ClientCAs = pki.CAPool
		addr, results := claspServe13(t, cfg, 1, echoLine13)
		out, _ := peertest.RunOpenSSLClient(t, addr, "no cert\n", "-ign_eof", "-tls1_3")
		// OpenSSL's name for alert 116.
		wantOutput(t, "s_client", out, "alert certificate required")
		res := nextResult(t, results)
		if he := asHandshakeError(res.err); he == nil || !he.AlertSent || he.Alert != 116 {
			t.Errorf("clasp server error %v: want certificate_required (116) sent", res.err)
		}
	})
}

// TestTLS13ResumptionAfterHelloRetryOpenSSL: s_client resumes from a
// session file while the clasp server's group preference forces a
// HelloRetryRequest on both connections; and a clasp client resumes with
// s_server while s_server forces one.
func TestTLS13ResumptionAfterHelloRetryOpenSSL(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	t.Run("s_client/clasp-server-P-384", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerOpenSSL)
		cfg := claspServer13(pki.ECDSA, "")
		cfg.Groups = []clasp.CurveID{clasp.CurveP384}
		addr, results := claspServe13(t, cfg, 2, echoLine13)
		sess := filepath.Join(t.TempDir(), "session.pem")
		for i, flags := range [][]string{{"-sess_out", sess}, {"-sess_in", sess}} {
			out, err := peertest.RunOpenSSLClient(t, addr, "resume\n", append([]string{"-ign_eof", "-tls1_3", "-groups", "X25519:P-384"}, flags...)...)
			if err != nil {
				t.Fatalf("s_client %v: %v\n%s", flags, err, out)
			}
			wantOutput(t, "s_client "+flags[0], out, []string{"New, TLSv1.3", "Reused, TLSv1.3"}[i], "clasp echo: resume")
			res := nextResult(t, results)
			if res.err != nil {
				t.Fatalf("connection %d: clasp server: %v", i, res.err)
			}
			if !res.state.DidHelloRetryRequest || res.state.DidResume != (i == 1) {
				t.Errorf("connection %d: clasp server HRR %v resumed %v", i, res.state.DidHelloRetryRequest, res.state.DidResume)
			}
		}
	})
	t.Run("clasp-client/s_server-P-384", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerOpenSSL)
		srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_3", "-groups", "P-384", "-www")
		cfg := claspClient13(pki, "")
		cfg.Groups = []clasp.CurveID{clasp.X25519, clasp.CurveP384}
		cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(4)
		for i := 0; i < 2; i++ {
			page, st := claspGet(t, srv.Addr, cfg)
			wantOutput(t, "s_server page", page, []string{"New, TLSv1.3", "Reused, TLSv1.3"}[i])
			if !st.DidHelloRetryRequest || st.DidResume != (i == 1) {
				t.Errorf("connection %d: clasp client HRR %v resumed %v", i, st.DidHelloRetryRequest, st.DidResume)
			}
		}
	})
}
