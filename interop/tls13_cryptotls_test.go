package interop

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// TLS 1.3 against Go's crypto/tls, in-process, both directions.
//
// crypto/tls does not let TLS 1.3 suites be configured, so each suite case
// pins the clasp side's CipherSuites to one TLS 1.3 suite and checks that
// both sides report it. crypto/tls has no API to send a KeyUpdate either:
// clasp's answer to a peer's update_requested is proven against a clasp
// peer here (TestTLS13KeyUpdateClaspToClasp) and against OpenSSL, whose
// s_server and s_client send one on the "K" command (tls13_openssl_test.go).

const peerGo = "crypto/tls"

// goResult is what a crypto/tls server saw of one connection.
type goResult struct {
	state tls.ConnectionState
	err   error
}

// goServe13 serves n connections on a crypto/tls listener, one at a time,
// running handle after the handshake and closing the connection after it.
func goServe13(t *testing.T, cfg *tls.Config, n int, handle func(*tls.Conn) error) (string, <-chan goResult) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	results := make(chan goResult, n)
	go func() {
		for i := 0; i < n; i++ {
			conn, err := ln.Accept()
			if err != nil {
				results <- goResult{err: err}
				return
			}
			tc := conn.(*tls.Conn)
			_ = tc.SetDeadline(time.Now().Add(15 * time.Second))
			res := goResult{}
			if res.err = tc.Handshake(); res.err == nil && handle != nil {
				res.err = handle(tc)
			}
			res.state = tc.ConnectionState()
			tc.Close()
			results <- res
		}
	}()
	return ln.Addr().String(), results
}

func nextGoResult(t *testing.T, results <-chan goResult) goResult {
	t.Helper()
	select {
	case res := <-results:
		return res
	case <-time.After(25 * time.Second):
		t.Fatal("the crypto/tls server saw no connection")
		return goResult{}
	}
}

// echoLines is a server handler: it echoes each line upper-cased until the
// client closes.
func echoLines(conn io.ReadWriter) error {
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF && line == "" {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := io.WriteString(conn, strings.ToUpper(line)); err != nil {
			return err
		}
	}
}

// exchange sends a line and expects it back upper-cased, reading through r
// so that buffered data is not lost between calls.
func exchange(t *testing.T, w io.Writer, r *bufio.Reader, line string) {
	t.Helper()
	if _, err := io.WriteString(w, line+"\n"); err != nil {
		t.Fatalf("write %q: %v", line, err)
	}
	got, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read the echo of %q: %v", line, err)
	}
	if got != strings.ToUpper(line)+"\n" {
		t.Fatalf("echo of %q = %q", line, got)
	}
}

func goServer13(leaf *peertest.Leaf) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{leaf.TLS}, MinVersion: tls.VersionTLS13}
}

func goClient13(pki *peertest.PKI) *tls.Config {
	return &tls.Config{RootCAs: pki.CAPool, ServerName: "localhost", MinVersion: tls.VersionTLS13}
}

func goDial13(t *testing.T, addr string, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 15 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	return conn, nil
}

// wantScheme is the signature scheme a TLS 1.3 peer signs with for each key
// type (crypto/tls and clasp both prefer SHA-256 with RSA-PSS).
var wantScheme = map[string]clasp.SignatureScheme{
	"rsa":     clasp.PSSWithSHA256,
	"ecdsa":   clasp.ECDSAWithP256AndSHA256,
	"ed25519": clasp.Ed25519,
}

func checkGoState13(t *testing.T, side string, st tls.ConnectionState, suite string) {
	t.Helper()
	if st.Version != tls.VersionTLS13 {
		t.Errorf("crypto/tls %s: version %#04x, want TLS 1.3", side, st.Version)
	}
	if suite != "" && tls.CipherSuiteName(st.CipherSuite) != suite {
		t.Errorf("crypto/tls %s: suite %s, want %s", side, tls.CipherSuiteName(st.CipherSuite), suite)
	}
}

// TestTLS13ClaspClientToCryptoTLS: each TLS 1.3 suite × each key type,
// clasp client against a crypto/tls server.
func TestTLS13ClaspClientToCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, suite := range tls13SuiteNames {
		for _, kt := range tls13KeyTypes {
			t.Run(suite+"/"+kt, func(t *testing.T) {
				t.Parallel()
				countCase(t, peerGo)
				addr, results := goServe13(t, goServer13(leafFor(pki, kt)), 1, func(c *tls.Conn) error { return echoLines(c) })
				conn := dialClasp13(t, addr, claspClient13(pki, suite))
				exchange(t, conn, bufio.NewReader(conn), "hello over tls 1.3")
				conn.Close()
				res := nextGoResult(t, results)
				if res.err != nil {
					t.Fatalf("crypto/tls server: %v", res.err)
				}
				st := conn.ConnectionState()
				wantClasp13(t, "client", st, suite, 0)
				checkGoState13(t, "server", res.state, suite)
				if st.SignatureScheme != wantScheme[kt] {
					t.Errorf("server signed with %s, want %s", st.SignatureScheme, wantScheme[kt])
				}
				if uint16(st.CurveID) != uint16(res.state.CurveID) {
					t.Errorf("group: clasp %s, crypto/tls %s", st.CurveID, res.state.CurveID)
				}
			})
		}
	}
}

// TestTLS13CryptoTLSClientToClasp: each TLS 1.3 suite × each key type,
// crypto/tls client against a clasp server pinned to the suite.
func TestTLS13CryptoTLSClientToClasp(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, suite := range tls13SuiteNames {
		for _, kt := range tls13KeyTypes {
			t.Run(suite+"/"+kt, func(t *testing.T) {
				t.Parallel()
				countCase(t, peerGo)
				addr, results := claspServe13(t, claspServer13(leafFor(pki, kt), suite), 1, func(c *clasp.Conn) error { return echoLines(c) })
				conn, err := goDial13(t, addr, goClient13(pki))
				if err != nil {
					t.Fatalf("crypto/tls client: %v (clasp server: %v)", err, nextResult(t, results).err)
				}
				exchange(t, conn, bufio.NewReader(conn), "hello over tls 1.3")
				conn.Close()
				res := nextResult(t, results)
				if res.err != nil {
					t.Fatalf("clasp server: %v", res.err)
				}
				wantClasp13(t, "server", res.state, suite, 0)
				checkGoState13(t, "client", conn.ConnectionState(), suite)
				if res.state.SignatureScheme != wantScheme[kt] {
					t.Errorf("clasp server signed with %s, want %s", res.state.SignatureScheme, wantScheme[kt])
				}
			})
		}
	}
}

// goGroups maps the TLS 1.3 groups both stacks implement to crypto/tls's
// CurveIDs (the code points are the same).
var goGroups = []struct {
	clasp clasp.CurveID
	go_   tls.CurveID
}{
	{x25519MLKEM768, tls.X25519MLKEM768},
	{clasp.X25519, tls.X25519},
	{clasp.CurveP256, tls.CurveP256},
	{clasp.CurveP384, tls.CurveP384},
	{clasp.CurveP521, tls.CurveP521},
}

// TestTLS13GroupsCryptoTLS: each group both stacks implement, both
// directions, with both sides limited to it: ConnectionState.CurveID agrees
// and no HelloRetryRequest is needed.
func TestTLS13GroupsCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, g := range goGroups {
		t.Run("clasp-client/"+g.clasp.String(), func(t *testing.T) {
			t.Parallel()
			countCase(t, peerGo)
			srv := goServer13(pki.ECDSA)
			srv.CurvePreferences = []tls.CurveID{g.go_}
			addr, results := goServe13(t, srv, 1, func(c *tls.Conn) error { return echoLines(c) })
			cfg := claspClient13(pki, "")
			cfg.Groups = []clasp.CurveID{g.clasp}
			conn := dialClasp13(t, addr, cfg)
			exchange(t, conn, bufio.NewReader(conn), "group check")
			conn.Close()
			res := nextGoResult(t, results)
			if res.err != nil {
				t.Fatalf("crypto/tls server: %v", res.err)
			}
			st := conn.ConnectionState()
			wantClasp13(t, "client", st, "", g.clasp)
			if res.state.CurveID != g.go_ {
				t.Errorf("crypto/tls server: group %s, want %s", res.state.CurveID, g.go_)
			}
			if st.DidHelloRetryRequest || res.state.HelloRetryRequest {
				t.Errorf("unexpected HelloRetryRequest (clasp %v, crypto/tls %v)", st.DidHelloRetryRequest, res.state.HelloRetryRequest)
			}
		})
		t.Run("crypto-tls-client/"+g.clasp.String(), func(t *testing.T) {
			t.Parallel()
			countCase(t, peerGo)
			srv := claspServer13(pki.ECDSA, "")
			srv.Groups = []clasp.CurveID{g.clasp}
			addr, results := claspServe13(t, srv, 1, func(c *clasp.Conn) error { return echoLines(c) })
			cfg := goClient13(pki)
			cfg.CurvePreferences = []tls.CurveID{g.go_}
			conn, err := goDial13(t, addr, cfg)
			if err != nil {
				t.Fatalf("crypto/tls client: %v (clasp server: %v)", err, nextResult(t, results).err)
			}
			exchange(t, conn, bufio.NewReader(conn), "group check")
			conn.Close()
			res := nextResult(t, results)
			if res.err != nil {
				t.Fatalf("clasp server: %v", res.err)
			}
			wantClasp13(t, "server", res.state, "", g.clasp)
			gs := conn.ConnectionState()
			if gs.CurveID != g.go_ {
				t.Errorf("crypto/tls client: group %s, want %s", gs.CurveID, g.go_)
			}
			if gs.HelloRetryRequest || res.state.DidHelloRetryRequest {
				t.Errorf("unexpected HelloRetryRequest (crypto/tls %v, clasp %v)", gs.HelloRetryRequest, res.state.DidHelloRetryRequest)
			}
		})
	}
	// With nothing configured, both stacks lead with the hybrid group.
	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerGo)
		addr, results := goServe13(t, &tls.Config{Certificates: []tls.Certificate{pki.ECDSA.TLS}}, 1, func(c *tls.Conn) error { return echoLines(c) })
		conn := dialClasp13(t, addr, &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost"})
		exchange(t, conn, bufio.NewReader(conn), "defaults")
		conn.Close()
		res := nextGoResult(t, results)
		if res.err != nil {
			t.Fatalf("crypto/tls server: %v", res.err)
		}
		wantClasp13(t, "client", conn.ConnectionState(), "", x25519MLKEM768)
		if res.state.CurveID != tls.X25519MLKEM768 {
			t.Errorf("crypto/tls server: group %s, want X25519MLKEM768", res.state.CurveID)
		}
	})
}

// TestTLS13HelloRetryCryptoTLS forces a HelloRetryRequest with group
// preferences, both directions.
func TestTLS13HelloRetryCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	// The clasp client sends a key share for X25519 only (its first group);
	// the crypto/tls server accepts only P-256 and asks for it.
	t.Run("clasp-client-x25519-share/crypto-tls-server-P-256", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerGo)
		srv := goServer13(pki.ECDSA)
		srv.CurvePreferences = []tls.CurveID{tls.CurveP256}
		addr, results := goServe13(t, srv, 1, func(c *tls.Conn) error { return echoLines(c) })
		cfg := claspClient13(pki, "")
		cfg.Groups = []clasp.CurveID{clasp.X25519, clasp.CurveP256}
		conn := dialClasp13(t, addr, cfg)
		exchange(t, conn, bufio.NewReader(conn), "after a retry")
		conn.Close()
		res := nextGoResult(t, results)
		if res.err != nil {
			t.Fatalf("crypto/tls server: %v", res.err)
		}
		st := conn.ConnectionState()
		wantClasp13(t, "client", st, "", clasp.CurveP256)
		if !st.DidHelloRetryRequest || !res.state.HelloRetryRequest {
			t.Errorf("HelloRetryRequest: clasp %v, crypto/tls %v, want both true", st.DidHelloRetryRequest, res.state.HelloRetryRequest)
		}
		if res.state.CurveID != tls.CurveP256 {
			t.Errorf("crypto/tls server: group %s", res.state.CurveID)
		}
	})
	// crypto/tls's default client sends X25519MLKEM768 and X25519 shares; the
	// clasp server accepts only P-384 and asks for it.
	t.Run("crypto-tls-client-default-shares/clasp-server-P-384", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerGo)
		srv := claspServer13(pki.ECDSA, "")
		srv.Groups = []clasp.CurveID{clasp.CurveP384}
		addr, results := claspServe13(t, srv, 1, func(c *clasp.Conn) error { return echoLines(c) })
		conn, err := goDial13(t, addr, goClient13(pki))
		if err != nil {
			t.Fatalf("crypto/tls client: %v (clasp server: %v)", err, nextResult(t, results).err)
		}
		exchange(t, conn, bufio.NewReader(conn), "after a retry")
		conn.Close()
		res := nextResult(t, results)
		if res.err != nil {
			t.Fatalf("clasp server: %v", res.err)
		}
		wantClasp13(t, "server", res.state, "", clasp.CurveP384)
		gs := conn.ConnectionState()
		if !gs.HelloRetryRequest || !res.state.DidHelloRetryRequest {
			t.Errorf("HelloRetryRequest: crypto/tls %v, clasp %v, want both true", gs.HelloRetryRequest, res.state.DidHelloRetryRequest)
		}
		if gs.CurveID != tls.CurveP384 {
			t.Errorf("crypto/tls client: group %s", gs.CurveID)
		}
	})
	// crypto/tls's client sends an X25519 share and supports P-384; the
	// clasp server prefers P-384 (HelloRetryForPreferredGroup) and puts a
	// cookie in its HelloRetryRequest, which crypto/tls must echo and
	// clasp opens and checks.
	t.Run("crypto-tls-client-x25519-share/clasp-server-prefers-P-384-with-cookie", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerGo)
		srv := claspServer13(pki.ECDSA, "")
		srv.Groups = []clasp.CurveID{clasp.CurveP384, clasp.X25519}
		srv.HelloRetryForPreferredGroup, srv.HelloRetryCookie = true, true
		addr, results := claspServe13(t, srv, 1, func(c *clasp.Conn) error { return echoLines(c) })
		gc := goClient13(pki)
		gc.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP384}
		conn, err := goDial13(t, addr, gc)
		if err != nil {
			t.Fatalf("crypto/tls client: %v (clasp server: %v)", err, nextResult(t, results).err)
		}
		exchange(t, conn, bufio.NewReader(conn), "after a retry with a cookie")
		conn.Close()
		res := nextResult(t, results)
		if res.err != nil {
			t.Fatalf("clasp server: %v", res.err)
		}
		wantClasp13(t, "server", res.state, "", clasp.CurveP384)
		if gs := conn.ConnectionState(); !gs.HelloRetryRequest || gs.CurveID != tls.CurveP384 {
			t.Errorf("crypto/tls client: HelloRetryRequest %v, group %s", gs.HelloRetryRequest, gs.CurveID)
		}
	})
}

// TestTLS13ResumptionCryptoTLS: a second connection resumes with the
// ticket from the first, for each suite (the PSK's hash follows the suite),
// both directions.
func TestTLS13ResumptionCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, suite := range tls13SuiteNames {
		t.Run("clasp-client/"+suite, func(t *testing.T) {
			t.Parallel()
			countCase(t, peerGo)
			// crypto/tls sends its tickets right after the handshake.
			addr, results := goServe13(t, goServer13(pki.ECDSA), 2, func(c *tls.Conn) error { return echoLines(c) })
			cfg := claspClient13(pki, suite)
			cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(4)
			for i, wantResumed := range []bool{false, true} {
				conn := dialClasp13(t, addr, cfg)
				// Reading the echo processes the NewSessionTicket before it.
				exchange(t, conn, bufio.NewReader(conn), fmt.Sprintf("connection %d", i))
				conn.Close()
				res := nextGoResult(t, results)
				if res.err != nil {
					t.Fatalf("connection %d: crypto/tls server: %v", i, res.err)
				}
				st := conn.ConnectionState()
				wantClasp13(t, "client", st, suite, 0)
				if st.DidResume != wantResumed || res.state.DidResume != wantResumed {
					t.Errorf("connection %d: DidResume clasp %v, crypto/tls %v, want %v", i, st.DidResume, res.state.DidResume, wantResumed)
				}
			}
		})
		t.Run("crypto-tls-client/"+suite, func(t *testing.T) {
			t.Parallel()
			countCase(t, peerGo)
			// The clasp server queues its NewSessionTicket and sends it
			// with its first write: the echo.
			addr, results := claspServe13(t, claspServer13(pki.ECDSA, suite), 2, func(c *clasp.Conn) error { return echoLines(c) })
			cfg := goClient13(pki)
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			for i, wantResumed := range []bool{false, true} {
				conn, err := goDial13(t, addr, cfg)
				if err != nil {
					t.Fatalf("connection %d: crypto/tls client: %v (clasp server: %v)", i, err, nextResult(t, results).err)
				}
				exchange(t, conn, bufio.NewReader(conn), fmt.Sprintf("connection %d", i))
				conn.Close()
				res := nextResult(t, results)
				if res.err != nil {
					t.Fatalf("connection %d: clasp server: %v", i, res.err)
				}
				wantClasp13(t, "server", res.state, suite, 0)
				gs := conn.ConnectionState()
				if gs.DidResume != wantResumed || res.state.DidResume != wantResumed {
					t.Errorf("connection %d: DidResume crypto/tls %v, clasp %v, want %v", i, gs.DidResume, res.state.DidResume, wantResumed)
				}
			}
		})
	}
}

// TestTLS13KeyUpdateCryptoTLS: clasp sends KeyUpdate (with and without
// update_requested) to a crypto/tls peer, as client and as server, with
// data before and after. The clasp side's key log shows each generation it
// installed: its own write key, and the peer's after the peer answered an
// update_requested.
func TestTLS13KeyUpdateCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	t.Run("clasp-client", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerGo)
		addr, results := goServe13(t, goServer13(pki.ECDSA), 1, func(c *tls.Conn) error { return echoLines(c) })
		var kl keyLog
		cfg := claspClient13(pki, "")
		cfg.KeyLogWriter = &kl
		conn := dialClasp13(t, addr, cfg)
		r := bufio.NewReader(conn)
		exchange(t, conn, r, "before the update")
		if err := conn.KeyUpdate(true); err != nil {
			t.Fatalf("KeyUpdate(true): %v", err)
		}
		exchange(t, conn, r, "after update_requested")
		if err := conn.KeyUpdate(false); err != nil {
			t.Fatalf("KeyUpdate(false): %v", err)
		}
		exchange(t, conn, r, "after update_not_requested")
		conn.Close()
		if res := nextGoResult(t, results); res.err != nil {
			t.Fatalf("crypto/tls server: %v", res.err)
		}
		for _, l := range []string{"CLIENT_TRAFFIC_SECRET_1", "CLIENT_TRAFFIC_SECRET_2", "SERVER_TRAFFIC_SECRET_1"} {
			if !kl.has(l) {
				t.Errorf("clasp client's key log lacks %s: %s", l, kl.labels())
			}
		}
		if kl.has("SERVER_TRAFFIC_SECRET_2") {
			t.Errorf("crypto/tls updated its key twice, once without being asked: %s", kl.labels())
		}
	})
	t.Run("clasp-server", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerGo)
		var kl keyLog
		cfg := claspServer13(pki.ECDSA, "")
		cfg.KeyLogWriter = &kl
		addr, results := claspServe13(t, cfg, 1, func(c *clasp.Conn) error {
			r := bufio.NewReader(c)
			for i, requested := range []bool{true, false} {
				if _, err := io.WriteString(c, fmt.Sprintf("line %d\n", i)); err != nil {
					return err
				}
				if err := c.KeyUpdate(requested); err != nil {
					return fmt.Errorf("KeyUpdate(%v): %w", requested, err)
				}
				if _, err := io.WriteString(c, fmt.Sprintf("after update %d\n", i)); err != nil {
					return err
				}
				line, err := r.ReadString('\n')
				if err != nil {
					return fmt.Errorf("reading the client's answer %d: %w", i, err)
				}
				if line != fmt.Sprintf("AFTER UPDATE %d\n", i) {
					return fmt.Errorf("client answered %q", line)
				}
			}
			return nil
		})
		conn, err := goDial13(t, addr, goClient13(pki))
		if err != nil {
			t.Fatalf("crypto/tls client: %v (clasp server: %v)", err, nextResult(t, results).err)
		}
		r := bufio.NewReader(conn)
		for i := 0; i < 2; i++ {
			for _, want := range []string{fmt.Sprintf("line %d\n", i), fmt.Sprintf("after update %d\n", i)} {
				got, err := r.ReadString('\n')
				if err != nil || got != want {
					t.Fatalf("crypto/tls client read %q, %v; want %q", got, err, want)
				}
				if strings.HasPrefix(want, "after") {
					io.WriteString(conn, strings.ToUpper(want))
				}
			}
		}
		if res := nextResult(t, results); res.err != nil {
			t.Fatalf("clasp server: %v", res.err)
		}
		for _, l := range []string{"SERVER_TRAFFIC_SECRET_1", "SERVER_TRAFFIC_SECRET_2", "CLIENT_TRAFFIC_SECRET_1"} {
			if !kl.has(l) {
				t.Errorf("clasp server's key log lacks %s: %s", l, kl.labels())
			}
		}
	})
}

// TestTLS13KeyUpdateClaspToClasp proves the update_requested path on both
// clasp sides with a clasp peer, because crypto/tls cannot send a
// KeyUpdate: the side that receives update_requested must answer with a
// KeyUpdate of its own (RFC 8446 §4.6.3) before sending more data.
func TestTLS13KeyUpdateClaspToClasp(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, initiator := range []string{"client", "server"} {
		t.Run(initiator+"-requests", func(t *testing.T) {
			t.Parallel()
			countCase(t, "clasp (self, KeyUpdate only)")
			var clientLog, serverLog keyLog
			srv := claspServer13(pki.ECDSA, "")
			srv.KeyLogWriter = &serverLog
			addr, results := claspServe13(t, srv, 1, func(c *clasp.Conn) error {
				if initiator == "server" {
					if err := c.KeyUpdate(true); err != nil {
						return err
					}
				}
				return echoLines(c)
			})
			cfg := claspClient13(pki, "")
			cfg.KeyLogWriter = &clientLog
			conn := dialClasp13(t, addr, cfg)
			r := bufio.NewReader(conn)
			exchange(t, conn, r, "before")
			if initiator == "client" {
				if err := conn.KeyUpdate(true); err != nil {
					t.Fatal(err)
				}
			}
			exchange(t, conn, r, "after")
			conn.Close()
			if res := nextResult(t, results); res.err != nil {
				t.Fatalf("clasp server: %v", res.err)
			}
			// Both sides install generation 1 in both directions: the
			// requester's own update and the peer's answer.
			for name, kl := range map[string]*keyLog{"client": &clientLog, "server": &serverLog} {
				for _, l := range []string{"CLIENT_TRAFFIC_SECRET_1", "SERVER_TRAFFIC_SECRET_1"} {
					if !kl.has(l) {
						t.Errorf("%s's key log lacks %s: %s", name, l, kl.labels())
					}
				}
			}
		})
	}
}

// TestTLS13ClientAuthCryptoTLS: client certificates in TLS 1.3 both
// directions, and the certificate_required alert (RFC 8446 §4.4.2.4) when a
// server that requires one gets none.
//
// crypto/tls's TLS 1.3 CertificateRequest carries an empty status_request
// extension, which RFC 8446 §4.4.2.1 defines ("A server MAY request that a
// client present an OCSP response with its certificate by sending an empty
// "status_request" extension in its CertificateRequest message"). The two
// clasp-client subtests fail while internal/wire/ext_status_request.go
// parses status_request in a CertificateRequest as a ClientHello's
// CertificateStatusRequest and rejects the empty body ("malformed
// status_request", decode_error).
func TestTLS13ClientAuthCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	goRequire := func() *tls.Config {
		cfg := goServer13(pki.RSA)
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = pki.CAPool
		return cfg
	}
	claspRequire := func() *clasp.Config {
		cfg := claspServer13(pki.RSA, "")
		cfg.ClientAuth = clasp.RequireAndVerifyClientCert
		cfg.ClientCAs = pki.CAPool
		return cfg
	}
	t.Run("clasp-client-cert/crypto-tls-server", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerGo)
		addr, results := goServe13(t, goRequire(), 1, func(c *tls.Conn) error { return echoLines(c) })
		cfg := claspClient13(pki, "")
		cfg.Certificates = []clasp.Certificate{claspCert(pki.Client)}
		conn := dialClasp13(t, addr, cfg)
		exchange(t, conn, bufio.NewReader(conn), "with a certificate")
		conn.Close()
		res := nextGoResult(t, results)
		if res.err != nil {
			t.Fatalf("crypto/tls server: %v", res.err)
		}
		if len(res.state.VerifiedChains) == 0 || res.state.PeerCertificates[0].Subject.CommonName != "peertest client" {
			t.Errorf("crypto/tls server did not verify the client certificate: %d chains", len(res.state.VerifiedChains))
		}
	})
	t.Run("crypto-tls-client-cert/clasp-server", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerGo)
		addr, results := claspServe13(t, claspRequire(), 1, func(c *clasp.Conn) error { return echoLines(c) })
		cfg := goClient13(pki)
		cfg.Certificates = []tls.Certificate{pki.Client.TLS}
		conn, err := goDial13(t, addr, cfg)
		if err != nil {
			t.Fatalf("crypto/tls client: %v (clasp server: %v)", err, nextResult(t, results).err)
		}
		exchange(t, conn, bufio.NewReader(conn), "with a certificate")
		conn.Close()
		res := nextResult(t, results)
		if res.err != nil {
			t.Fatalf("clasp server: %v", res.err)
		}
		if len(res.state.VerifiedChains) == 0 || res.state.PeerCertificates[0].Subject.CommonName != "peertest client" {
			t.Errorf("clasp server did not verify the client certificate: %d chains", len(res.state.VerifiedChains))
		}
	})
	t.Run("clasp-client-no-cert/crypto-tls-server", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerGo)
		addr, results := goServe13(t, goRequire(), 1, nil)
		// In TLS 1.3 the client finishes its handshake before the server
		// has checked its (empty) Certificate: the alert arrives on Read.
		conn, err := clasp.DialWithDialer(&net.Dialer{Timeout: 15 * time.Second}, "tcp", addr, claspClient13(pki, ""))
		if err == nil {
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
			_, err = conn.Read(make([]byte, 1))
		}
		wantAlert(t, err, "certificate_required")
		if res := nextGoResult(t, results); res.err == nil {
			t.Errorf("crypto/tls server accepted a client without a certificate")
		}
	})
	t.Run("crypto-tls-client-no-cert/clasp-server", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerGo)
		addr, results := claspServe13(t, claspRequire(), 1, nil)
		conn, err := goDial13(t, addr, goClient13(pki))
		if err == nil {
			_, err = conn.Read(make([]byte, 1))
		}
		if err == nil || !strings.Contains(err.Error(), "certificate required") {
			t.Errorf("crypto/tls client error %v, want the certificate_required alert", err)
		}
		res := nextResult(t, results)
		he := asHandshakeError(res.err)
		if he == nil || !he.AlertSent || he.Alert != 116 {
			t.Errorf("clasp server error %v: want certificate_required (116) sent", res.err)
		}
	})
}

// TestTLS13ResumptionAfterHelloRetryCryptoTLS: resumption where both
// handshakes need a HelloRetryRequest, so the PSK binder of the second
// ClientHello covers the message_hash transcript (RFC 8446 §4.2.11.2).
func TestTLS13ResumptionAfterHelloRetryCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	t.Run("clasp-client", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerGo)
		srv := goServer13(pki.ECDSA)
		srv.CurvePreferences = []tls.CurveID{tls.CurveP256}
		addr, results := goServe13(t, srv, 2, func(c *tls.Conn) error { return echoLines(c) })
		cfg := claspClient13(pki, "")
		cfg.Groups = []clasp.CurveID{clasp.X25519, clasp.CurveP256}
		cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(4)
		for i := 0; i < 2; i++ {
			conn := dialClasp13(t, addr, cfg)
			exchange(t, conn, bufio.NewReader(conn), "hrr and resume")
			conn.Close()
			res := nextGoResult(t, results)
			if res.err != nil {
				t.Fatalf("connection %d: crypto/tls server: %v", i, res.err)
			}
			st := conn.ConnectionState()
			if !st.DidHelloRetryRequest || st.DidResume != (i == 1) || res.state.DidResume != (i == 1) {
				t.Errorf("connection %d: clasp HRR %v resumed %v, crypto/tls resumed %v", i, st.DidHelloRetryRequest, st.DidResume, res.state.DidResume)
			}
		}
	})
	t.Run("crypto-tls-client", func(t *testing.T) {
		t.Parallel()
		countCase(t, peerGo)
		srv := claspServer13(pki.ECDSA, "")
		srv.Groups = []clasp.CurveID{clasp.CurveP384}
		addr, results := claspServe13(t, srv, 2, func(c *clasp.Conn) error { return echoLines(c) })
		cfg := goClient13(pki)
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		for i := 0; i < 2; i++ {
			conn, err := goDial13(t, addr, cfg)
			if err != nil {
				t.Fatalf("connection %d: crypto/tls client: %v (clasp server: %v)", i, err, nextResult(t, results).err)
			}
			exchange(t, conn, bufio.NewReader(conn), "hrr and resume")
			conn.Close()
			res := nextResult(t, results)
			if res.err != nil {
				t.Fatalf("connection %d: clasp server: %v", i, res.err)
			}
			gs := conn.ConnectionState()
			if !res.state.DidHelloRetryRequest || res.state.DidResume != (i == 1) || gs.DidResume != (i == 1) {
				t.Errorf("connection %d: clasp HRR %v resumed %v, crypto/tls resumed %v", i, res.state.DidHelloRetryRequest, res.state.DidResume, gs.DidResume)
			}
		}
	})
}
