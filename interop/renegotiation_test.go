package interop

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// TLS 1.2 renegotiation against real peers: client-initiated ("R" typed
// into openssl s_client, gnutls-cli's ^renegotiate^), server-initiated
// (Conn.Renegotiate sends HelloRequest to s_client and crypto/tls), the
// policy's limits, and refusal of peers that did not signal RFC 5746.

const renegSuite = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"

// renegServerConfig is a TLS 1.2 clasp server with the given policy and a
// tally of its handshakes and alerts.
func renegServerConfig(t *testing.T, policy clasp.RenegotiationSupport) (*clasp.Config, *handshakeTally) {
	pki := peertest.NewPKI(t)
	tally := &handshakeTally{}
	cfg := claspServerConfig(pki, renegSuite)
	cfg.Renegotiation = policy
	cfg.ClientCAs = pki.CAPool
	cfg.Tracer = tally
	return cfg, tally
}

// sClientRenegotiate types "R" into s_client, which prints RENEGOTIATING
// and sends a new ClientHello at once; it waits until the clasp server has
// completed handshake number n, then sends line and reports whether its echo
// came back.
func sClientRenegotiate(t *testing.T, c *liveClient, tally *handshakeTally, n int, line string) bool {
	t.Helper()
	c.send(t, "R\n")
	if !c.waitCount("RENEGOTIATING", n-1, 5*time.Second) {
		t.Fatalf("s_client did not take the R command:\n%s", c.output())
	}
	if !tally.waitHandshakes(n, 5*time.Second) {
		t.Fatalf("the clasp server completed %d handshakes, want %d; s_client:\n%s", tally.handshakes(), n, c.output())
	}
	c.send(t, line+"\n")
	return c.waitCount("clasp echo: "+line, 1, 5*time.Second)
}

// TestRenegotiationOpenSSLClientInitiated: `openssl s_client` typing "R"
// renegotiates with a clasp server allowing it once, with data before and
// after; a second "R" is refused with a no_renegotiation warning.
func TestRenegotiationOpenSSLClientInitiated(t *testing.T) {
	peertest.Require(t, "openssl")
	cfg, tally := renegServerConfig(t, clasp.RenegotiateOnceAsClient)
	srv := startLoopServer(t, fixedConfig(cfg), echoAll)
	c := startSClient(t, srv.addr, peertest.OpenSSLCipherArgs(renegSuite)...)
	if !c.waitCount("Verify return code: 0 (ok)", 1, 5*time.Second) {
		t.Fatalf("s_client did not connect:\n%s", c.output())
	}
	c.send(t, "before\n")
	if !c.waitCount("clasp echo: before", 1, 5*time.Second) {
		t.Fatalf("no echo before renegotiating:\n%s", c.output())
	}
	if !sClientRenegotiate(t, c, tally, 2, "after") {
		t.Fatalf("no echo after renegotiating:\n%s", c.output())
	}
	if n := tally.handshakes(); n != 2 {
		t.Errorf("clasp server completed %d handshakes, want 2", n)
	}
	if a := tally.sent(); a != "" {
		t.Errorf("clasp server sent alerts %s before the second R", a)
	}

	// The second is one too many.
	c.send(t, "R\n")
	if !c.waitCount("RENEGOTIATING", 2, 5*time.Second) {
		t.Fatalf("s_client did not take the second R:\n%s", c.output())
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(tally.sent(), "warning no_renegotiation") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if a := tally.sent(); !strings.Contains(a, "warning no_renegotiation") {
		t.Errorf("clasp server sent %q, want a no_renegotiation warning", a)
	}
	if n := tally.handshakes(); n != 2 {
		t.Errorf("clasp server completed %d handshakes, want still 2", n)
	}
	// OpenSSL treats a refused renegotiation it asked for as fatal
	// (rec_layer_s3.c: SSL_R_NO_RENEGOTIATION, handshake_failure alert), so
	// here it is s_client that ends the connection.
	if !c.waitCount(":no renegotiation:", 1, 5*time.Second) {
		t.Errorf("s_client did not report the refusal:\n%s", c.output())
	}
	r := srv.next(t)
	if name, sent := alertName(r.err); name != "handshake_failure" || sent {
		t.Errorf("clasp server ended with %v, want s_client's handshake_failure", r.err)
	}
}

// gnutlsLive starts gnutls-cli against addr with --inline-commands, so
// that the line "^renegotiate^" renegotiates.
func gnutlsLive(t *testing.T, addr, priority string, extra ...string) *liveClient {
	t.Helper()
	pki := peertest.NewPKI(t)
	host, port, _ := strings.Cut(addr, ":")
	argv := append([]string{"-p", port, host, "--x509cafile", pki.CACertFile, "--sni-hostname", "localhost",
		"--verify-hostname", "localhost", "--inline-commands", "--priority", priority}, extra...)
	return startLiveClient(t, "gnutls-cli", argv...)
}

// TestRenegotiationGnuTLSClientInitiated: gnutls-cli's ^renegotiate^
// against a clasp server allowing one renegotiation, with data before and
// after; the second is refused with a no_renegotiation warning.
//
// gnutls-cli treats the warning as non-fatal and calls gnutls_handshake
// again, which sends another ClientHello; clasp refuses each one the same
// way until GnuTLS gives up ("GnuTLS internal error", "ReHandshake has
// failed") and exits. clasp never renegotiates a second time.
func TestRenegotiationGnuTLSClientInitiated(t *testing.T) {
	peertest.Require(t, "gnutls-cli")
	cfg, tally := renegServerConfig(t, clasp.RenegotiateOnceAsClient)
	srv := startLoopServer(t, fixedConfig(cfg), echoAll)
	c := gnutlsLive(t, srv.addr, peertest.GnuTLSPriority(renegSuite))
	if !c.waitCount("Handshake was completed", 1, 5*time.Second) {
		t.Fatalf("gnutls-cli did not connect:\n%s", c.output())
	}
	mustContain(t, "gnutls-cli", c.output(), "safe renegotiation")
	c.send(t, "before\n")
	if !c.waitCount("clasp echo: before", 1, 5*time.Second) {
		t.Fatalf("no echo before renegotiating:\n%s", c.output())
	}
	c.send(t, "^renegotiate^\n")
	if !tally.waitHandshakes(2, 5*time.Second) {
		t.Fatalf("no second handshake:\n%s", c.output())
	}
	c.send(t, "after\n")
	if !c.waitCount("clasp echo: after", 1, 5*time.Second) {
		t.Fatalf("no echo after renegotiating:\n%s", c.output())
	}
	if a := tally.sent(); a != "" {
		t.Errorf("clasp server sent %s during the allowed renegotiation", a)
	}
	c.send(t, "^renegotiate^\n")
	if !c.waitCount("Received alert [100]: No renegotiation is allowed", 1, 5*time.Second) {
		t.Errorf("gnutls-cli did not receive no_renegotiation:\n%s", c.output())
	}
	<-c.done
	if n := tally.handshakes(); n != 2 {
		t.Errorf("clasp server completed %d handshakes, want 2", n)
	}
	// GnuTLS finally gives up with a fatal internal_error; clasp's own
	// close_notify follows when the server closes.
	sent := strings.TrimSuffix(tally.sent(), ", warning close_notify")
	refusals := strings.Count(sent, "warning no_renegotiation")
	if refusals == 0 || strings.Count(sent, ",")+1 != refusals {
		t.Errorf("clasp server sent %q, want only no_renegotiation warnings", tally.sent())
	}
	t.Logf("gnutls-cli tried %d more times after the first refusal", refusals-1)
	if r := srv.next(t); r.err != nil {
		t.Logf("clasp server: %v", r.err)
	}
}

// TestRenegotiationUnsafeGnuTLSClientRefused: gnutls-cli with
// %DISABLE_SAFE_RENEGOTIATION sends neither renegotiation_info nor the
// SCSV. The first handshake is allowed; renegotiation is not, either way:
// the clasp server's Renegotiate fails without sending HelloRequest and the
// connection carries on, and the client's ^renegotiate^ is refused with
// no_renegotiation although the server's policy would allow one.
func TestRenegotiationUnsafeGnuTLSClientRefused(t *testing.T) {
	peertest.Require(t, "gnutls-cli")
	cfg, tally := renegServerConfig(t, clasp.RenegotiateOnceAsClient)
	renegErr := make(chan error, 1)
	secure := make(chan bool, 1)
	srv := startLoopServer(t, fixedConfig(cfg), func(conn *clasp.Conn) error {
		secure <- conn.ConnectionState().SecureRenegotiation
		r := bufio.NewReader(conn)
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		io.WriteString(conn, "clasp echo: "+line)
		renegErr <- conn.Renegotiate(context.Background(), nil)
		io.WriteString(conn, "still up\n")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			io.WriteString(conn, "clasp echo: "+line)
		}
	})
	c := gnutlsLive(t, srv.addr, peertest.GnuTLSPriority(renegSuite)+":%DISABLE_SAFE_RENEGOTIATION")
	if !c.waitCount("Handshake was completed", 1, 5*time.Second) {
		t.Fatalf("gnutls-cli did not connect:\n%s", c.output())
	}
	if <-secure {
		t.Fatal("clasp server recorded RFC 5746 from a client with %DISABLE_SAFE_RENEGOTIATION")
	}
	c.send(t, "hello\n")
	err := <-renegErr
	if err == nil || !strings.Contains(err.Error(), "RFC 5746") {
		t.Errorf("Renegotiate = %v, want a refusal naming RFC 5746", err)
	}
	if !c.waitCount("still up", 1, 5*time.Second) {
		t.Fatalf("the connection did not survive the refused Renegotiate:\n%s", c.output())
	}
	c.send(t, "after\n")
	if !c.waitCount("clasp echo: after", 1, 5*time.Second) {
		t.Fatalf("no echo after the refused Renegotiate:\n%s", c.output())
	}
	if strings.Contains(c.output(), "Rehandshake") || strings.Contains(c.output(), "rehandshake") {
		t.Errorf("gnutls-cli saw a HelloRequest:\n%s", c.output())
	}
	c.send(t, "^renegotiate^\n")
	if !c.waitCount("Received alert [100]: No renegotiation is allowed", 1, 5*time.Second) {
		t.Errorf("gnutls-cli's renegotiation was not refused:\n%s", c.output())
	}
	<-c.done
	if n := tally.handshakes(); n != 1 {
		t.Errorf("clasp server completed %d handshakes, want 1", n)
	}
}

// serverRenegotiates is a loop-server handler: it reads a line, writes
// "before", renegotiates (requiring a client certificate when auth is not
// nil), writes "after" and then echoes lines. It reports Renegotiate's
// error and the state after it.
func serverRenegotiates(auth *clasp.ClientAuthType, got chan<- loopResult) func(*clasp.Conn) error {
	return func(conn *clasp.Conn) error {
		r := bufio.NewReader(conn)
		if _, err := r.ReadString('\n'); err != nil {
			return err
		}
		io.WriteString(conn, "before\n")
		err := conn.Renegotiate(context.Background(), auth)
		got <- loopResult{state: conn.ConnectionState(), err: err}
		if err != nil {
			return err
		}
		io.WriteString(conn, "after\n")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return nil
			}
			io.WriteString(conn, "clasp echo: "+line)
		}
	}
}

// TestRenegotiationServerInitiatedOpenSSL: Conn.Renegotiate on a clasp
// server drives `openssl s_client` through a second handshake (HelloRequest
// answered at once), with data before and after; in the "require-cert"
// case the new handshake asks for the client certificate s_client holds
// but did not send the first time.
func TestRenegotiationServerInitiatedOpenSSL(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	require := clasp.RequireAndVerifyClientCert
	for _, tc := range []struct {
		name string
		auth *clasp.ClientAuthType
	}{{"same-auth", nil}, {"require-cert", &require}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, tally := renegServerConfig(t, clasp.RenegotiateNever)
			got := make(chan loopResult, 1)
			srv := startLoopServer(t, fixedConfig(cfg), serverRenegotiates(tc.auth, got))
			c := startSClient(t, srv.addr, append(peertest.OpenSSLCipherArgs(renegSuite),
				"-cert", pki.Client.CertFile, "-key", pki.Client.KeyFile)...)
			if !c.waitCount("Verify return code: 0 (ok)", 1, 5*time.Second) {
				t.Fatalf("s_client did not connect:\n%s", c.output())
			}
			c.send(t, "hello\n")
			var res loopResult
			select {
			case res = <-got:
			case <-time.After(10 * time.Second):
				t.Fatalf("Renegotiate did not return:\n%s", c.output())
			}
			if res.err != nil {
				t.Fatalf("Renegotiate: %v\n%s", res.err, c.output())
			}
			if n := tally.handshakes(); n != 2 {
				t.Errorf("clasp server completed %d handshakes, want 2", n)
			}
			if tc.auth != nil && len(res.state.VerifiedChains) == 0 {
				t.Errorf("no verified client certificate after renegotiating with RequireAndVerifyClientCert")
			}
			if !c.waitCount("after", 1, 5*time.Second) {
				t.Fatalf("s_client did not get data after the renegotiation:\n%s", c.output())
			}
			c.send(t, "bye\n")
			if !c.waitCount("clasp echo: bye", 1, 5*time.Second) {
				t.Fatalf("no echo after the renegotiation:\n%s", c.output())
			}
			out := c.output()
			if i, j := strings.Index(out, "before"), strings.Index(out, "after"); i < 0 || j < i {
				t.Errorf("s_client output out of order:\n%s", out)
			}
			// s_client offers its session in the new ClientHello. With the
			// same policy clasp resumes it (an abbreviated renegotiation);
			// when the new handshake requires a client certificate, the
			// certificate-less session is refused (resumable12) and the full
			// handshake verifies the server's chain a second time.
			verified := strings.Count(out, "depth=0 O = clasp peertest, OU = rsa, CN = localhost")
			if tc.auth == nil && (!res.state.DidResume || verified != 1) {
				t.Errorf("renegotiation resumed %v, s_client verified the server %d times; want an abbreviated handshake", res.state.DidResume, verified)
			}
			if tc.auth != nil && (res.state.DidResume || verified != 2) {
				t.Errorf("renegotiation resumed %v, s_client verified the server %d times; want a full handshake", res.state.DidResume, verified)
			}
		})
	}
}

// TestRenegotiationServerInitiatedCryptoTLS: the same with Go's crypto/tls
// client (Renegotiation: RenegotiateOnceAsClient), which answers the
// HelloRequest inside Read.
func TestRenegotiationServerInitiatedCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	require := clasp.RequireAndVerifyClientCert
	for _, tc := range []struct {
		name string
		auth *clasp.ClientAuthType
	}{{"same-auth", nil}, {"require-cert", &require}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, tally := renegServerConfig(t, clasp.RenegotiateNever)
			got := make(chan loopResult, 1)
			srv := startLoopServer(t, fixedConfig(cfg), serverRenegotiates(tc.auth, got))
			goCfg := &tls.Config{MaxVersion: tls.VersionTLS12, RootCAs: pki.CAPool, ServerName: "localhost",
				Renegotiation: tls.RenegotiateOnceAsClient, Certificates: []tls.Certificate{pki.Client.TLS}}
			conn, err := tls.Dial("tcp", srv.addr, goCfg)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			before := string(conn.ConnectionState().TLSUnique)
			r := bufio.NewReader(conn)
			io.WriteString(conn, "hello\n")
			for _, want := range []string{"before\n", "after\n"} {
				if line, err := r.ReadString('\n'); err != nil || line != want {
					t.Fatalf("crypto/tls read %q, %v; want %q", line, err, want)
				}
			}
			res := <-got
			if res.err != nil {
				t.Fatalf("Renegotiate: %v", res.err)
			}
			if before == string(conn.ConnectionState().TLSUnique) {
				t.Error("tls-unique unchanged: crypto/tls saw no second handshake")
			}
			if tc.auth != nil && len(res.state.VerifiedChains) == 0 {
				t.Errorf("no verified client certificate after renegotiating with RequireAndVerifyClientCert")
			}
			io.WriteString(conn, "bye\n")
			if line, err := r.ReadString('\n'); err != nil || line != "clasp echo: bye\n" {
				t.Fatalf("crypto/tls read %q, %v", line, err)
			}
			if n := tally.handshakes(); n != 2 {
				t.Errorf("clasp server completed %d handshakes, want 2", n)
			}
		})
	}
}

// TestRenegotiationLimitOpenSSLClient: RenegotiateFreelyAsClient with
// MaxRenegotiations 2 allows two "R" from s_client and refuses the third
// with no_renegotiation.
func TestRenegotiationLimitOpenSSLClient(t *testing.T) {
	peertest.Require(t, "openssl")
	cfg, tally := renegServerConfig(t, clasp.RenegotiateFreelyAsClient)
	cfg.MaxRenegotiations = 2
	srv := startLoopServer(t, fixedConfig(cfg), echoAll)
	c := startSClient(t, srv.addr, peertest.OpenSSLCipherArgs(renegSuite)...)
	if !c.waitCount("Verify return code: 0 (ok)", 1, 5*time.Second) {
		t.Fatalf("s_client did not connect:\n%s", c.output())
	}
	for i, line := range []string{"one", "two"} {
		if !sClientRenegotiate(t, c, tally, i+2, line) {
			t.Fatalf("no echo after renegotiation %d:\n%s", i+1, c.output())
		}
	}
	c.send(t, "R\n")
	if !c.waitCount(":no renegotiation:", 1, 5*time.Second) {
		t.Errorf("s_client did not report the refusal of the third:\n%s", c.output())
	}
	if a := tally.sent(); !strings.HasPrefix(a, "warning no_renegotiation") {
		t.Errorf("clasp server sent %q, want a no_renegotiation warning", a)
	}
	if n := tally.handshakes(); n != 3 {
		t.Errorf("clasp server completed %d handshakes, want 3", n)
	}
}

// TestRenegotiationClaspClientAndOpenSSLServer: a clasp client allowing one
// renegotiation answers s_server's HelloRequest ("r") inside Read, and
// renegotiates itself with Conn.Renegotiate. OpenSSL 3.0 servers refuse
// client-initiated renegotiation unless -client_renegotiation
// (SSL_OP_ALLOW_CLIENT_RENEGOTIATION): then Renegotiate reports the
// refusal and the connection carries on.
func TestRenegotiationClaspClientAndOpenSSLServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	for _, who := range []string{"server-initiated", "client-initiated", "client-initiated-refused"} {
		t.Run(who, func(t *testing.T) {
			args := peertest.OpenSSLCipherArgs(renegSuite)
			if who == "client-initiated" {
				args = append(args, "-client_renegotiation")
			}
			srv := peertest.StartOpenSSLServer(t, pki.RSA, args...)
			cfg := claspClientConfig(pki, renegSuite)
			cfg.Renegotiation = clasp.RenegotiateOnceAsClient
			tally := &handshakeTally{}
			cfg.Tracer = tally
			conn, err := clasp.Dial("tcp", srv.Addr, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(conn, "before\n")
			if !srv.WaitOutput("before", 5*time.Second) {
				t.Fatalf("s_server did not print the data:\n%s", srv.Output())
			}
			r := bufio.NewReader(conn)
			if who == "server-initiated" {
				lineCh := make(chan string, 1)
				go func() { line, _ := r.ReadString('\n'); lineCh <- line }()
				srv.Send("r\n")
				if !srv.WaitOutput("SSL_do_handshake -> 1", 5*time.Second) {
					t.Fatalf("s_server did not finish renegotiating:\n%s", srv.Output())
				}
				srv.Send("after\n")
				if line := <-lineCh; line != "after\n" {
					t.Fatalf("clasp read %q", line)
				}
			} else {
				err := conn.Renegotiate(context.Background(), nil)
				if who == "client-initiated" && err != nil {
					t.Fatalf("Renegotiate: %v\n%s", err, srv.Output())
				}
				if who == "client-initiated-refused" {
					if err == nil || !strings.Contains(err.Error(), "no_renegotiation") {
						t.Fatalf("Renegotiate = %v, want s_server's refusal", err)
					}
				}
				// After a refusal the connection must go on (RFC 5246 §7.2.2:
				// no_renegotiation is a warning).
				if _, err := io.WriteString(conn, "after\n"); err != nil {
					t.Fatalf("write after Renegotiate: %v", err)
				}
				if !srv.WaitOutput("after", 5*time.Second) {
					t.Fatalf("s_server did not print the data after:\n%s", srv.Output())
				}
			}
			if who == "client-initiated-refused" {
				if n := tally.handshakes(); n != 1 {
					t.Errorf("clasp client completed %d handshakes, want 1", n)
				}
				return
			}
			if n := tally.handshakes(); n != 2 {
				t.Errorf("clasp client completed %d handshakes, want 2", n)
			}
		})
	}
}

// TestRenegotiationClaspClientAndGnuTLSServer: gnutls-serv --echo sends a
// HelloRequest when it reads "**REHANDSHAKE**". With RFC 5746 the clasp
// client renegotiates; with RenegotiateNever, or with a server that has
// %DISABLE_SAFE_RENEGOTIATION (then the clasp client's own Renegotiate
// fails first, without sending anything), it refuses with a
// no_renegotiation warning and never starts a second handshake.
func TestRenegotiationClaspClientAndGnuTLSServer(t *testing.T) {
	peertest.Require(t, "gnutls-serv")
	pki := peertest.NewPKI(t)
	for _, name := range []string{"rfc5746", "refused-by-policy", "unsafe-server"} {
		safe := name != "unsafe-server"
		t.Run(name, func(t *testing.T) {
			prio := peertest.GnuTLSPriority(renegSuite)
			if !safe {
				prio += ":%DISABLE_SAFE_RENEGOTIATION"
			}
			srv := peertest.StartGnuTLSServer(t, pki.RSA, prio, "--echo", "--disable-client-cert")
			cfg := claspClientConfig(pki, renegSuite)
			cfg.Renegotiation = clasp.RenegotiateOnceAsClient
			if name == "refused-by-policy" {
				cfg.Renegotiation = clasp.RenegotiateNever
			}
			tally := &handshakeTally{}
			cfg.Tracer = tally
			conn, err := clasp.Dial("tcp", srv.Addr, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			if got := conn.ConnectionState().SecureRenegotiation; got != safe {
				t.Fatalf("SecureRenegotiation = %v", got)
			}
			r := bufio.NewReader(conn)
			echo := func(line string) {
				t.Helper()
				io.WriteString(conn, line+"\n")
				if got, err := r.ReadString('\n'); err != nil || got != line+"\n" {
					t.Fatalf("echo of %q: %q, %v (sent %s; received %q)\n%s", line, got, err, tally.sent(), tally.recvAlerts, srv.Output())
				}
			}
			echo("before")
			if !safe {
				if err := conn.Renegotiate(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "RFC 5746") {
					t.Errorf("Renegotiate with an unsafe server = %v, want a refusal naming RFC 5746", err)
				}
			}
			io.WriteString(conn, "**REHANDSHAKE**\n")
			// gnutls-serv answers the command, then sends HelloRequest,
			// which the clasp client handles inside its next Read.
			if got, err := r.ReadString('\n'); err != nil || got != "Successfully executed command\n" {
				t.Fatalf("gnutls-serv answered %q, %v", got, err)
			}
			if name == "rfc5746" {
				echo("after")
				if n := tally.handshakes(); n != 2 {
					t.Errorf("clasp client completed %d handshakes, want 2\n%s", n, srv.Output())
				}
				return
			}
			// The clasp client refuses inside Read. gnutls-serv --echo takes
			// the warning as the end of the connection ("Error while
			// receiving data", "A TLS warning alert has been received") and
			// closes it: that is gnutls-serv's choice, not clasp's.
			if got, err := r.ReadString('\n'); err == nil {
				t.Errorf("read %q after the refusal, want gnutls-serv to close", got)
			}
			if !srv.WaitOutput("A TLS warning alert has been received", 5*time.Second) {
				t.Errorf("gnutls-serv did not see the refusal:\n%s", srv.Output())
			}
			if a := tally.sent(); a != "warning no_renegotiation" {
				t.Errorf("clasp client sent %q, want one no_renegotiation warning", a)
			}
			if n := tally.handshakes(); n != 1 {
				t.Errorf("clasp client completed %d handshakes, want 1", n)
			}
		})
	}
}
