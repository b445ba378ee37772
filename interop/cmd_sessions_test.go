package interop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// Issue 5 through the command, against real peers: resumption both ways
// with OpenSSL, renegotiation started by s_client ("R") and by clasp serve
// (--hello-request-after) with s_client and crypto/tls, and mutual TLS with
// a PKI made by `clasp cert`.

// runClaspCmd runs the clasp command to completion and returns its stdout
// and stderr. An empty stdin is /dev/null, which clasp connect treats like a
// terminal: nothing is sent, and the summary goes to stdout.
func runClaspCmd(t *testing.T, bin, stdin string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	t.Logf("running: clasp %s", strings.Join(args, " "))
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// TestCmdServeResumesOpenSSLReconnect: `openssl s_client -reconnect
// -tls1_2` against clasp serve reports reuse on all five reconnects, by
// session ID with -no_ticket and by ticket without; the serve log agrees.
func TestCmdServeResumesOpenSSLReconnect(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	bin := buildClasp(t)
	s := startServeProc(t, bin, "127.0.0.1:0", "--cert", pki.ECDSA.ChainFile, "--key", pki.ECDSA.KeyFile)
	for _, tc := range []struct {
		name, mechanism string
		args            []string
	}{
		{"session-id", "session ID", []string{"-no_ticket"}},
		{"ticket", "session ticket", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := strings.Count(s.Log(), "resumed by "+tc.mechanism+",")
			out, err := peertest.RunOpenSSLClient(t, s.addr, "", append([]string{"-reconnect", "-tls1_2"}, tc.args...)...)
			if err != nil {
				t.Fatalf("s_client: %v\n%s", err, out)
			}
			if n := strings.Count(out, "Reused, TLSv1.2"); n != 5 {
				t.Errorf("s_client reports %d reused sessions, want 5:\n%s", n, out)
			}
			if n := strings.Count(out, "New, "); n != 1 {
				t.Errorf("s_client reports %d new sessions, want 1:\n%s", n, out)
			}
			if !s.waitLog("resumed by "+tc.mechanism+",", before+5, 5*time.Second) {
				t.Errorf("clasp serve does not log five resumptions by %s:\n%s", tc.mechanism, s.Log())
			}
		})
	}
}

// TestCmdConnectReconnectOpenSSLServer: `clasp connect --reconnect 5`
// against openssl s_server resumes every time: TLS 1.2 by session ID
// (-no_ticket), by ticket, and TLS 1.3 by ticket.
func TestCmdConnectReconnectOpenSSLServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	bin := buildClasp(t)
	for _, tc := range []struct {
		name        string
		serverArgs  []string
		connectArgs []string
		want        string
	}{
		{"tls12-no_ticket", []string{"-tls1_2", "-no_ticket"}, []string{"--tls1.2"}, "resumed by TLS 1.2 session ID"},
		{"tls12-ticket", []string{"-tls1_2"}, []string{"--tls1.2"}, "resumed by TLS 1.2 session ticket (RFC 5077)"},
		{"tls13", []string{"-tls1_3"}, nil, "resumed by TLS 1.3 ticket (PSK with (EC)DHE, psk_dhe_ke)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := peertest.StartOpenSSLServer(t, pki.ECDSA, tc.serverArgs...)
			args := append([]string{"connect", srv.Addr, "--servername", "localhost", "--cafile", pki.CACertFile, "--reconnect", "5"}, tc.connectArgs...)
			out, errOut, err := runClaspCmd(t, bin, "", args...)
			if err != nil {
				t.Fatalf("clasp connect: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
			}
			if n := strings.Count(out, tc.want); n != 5 {
				t.Errorf("%d of 5 reconnects say %q:\n%s", n, tc.want, out)
			}
			if strings.Contains(out, "not resumed") {
				t.Errorf("a reconnect did not resume:\n%s", out)
			}
		})
	}
}

// TestCmdServeRenegotiationOpenSSLR: s_client typing "R" renegotiates with
// clasp serve --renegotiation once, with data echoed before and after.
func TestCmdServeRenegotiationOpenSSLR(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	bin := buildClasp(t)
	s := startServeProc(t, bin, "127.0.0.1:0", "--cert", pki.ECDSA.ChainFile, "--key", pki.ECDSA.KeyFile,
		"--max-version", "1.2", "--renegotiation", "once")
	c := startSClient(t, s.addr)
	if !c.waitCount("Verify return code: 0 (ok)", 1, 5*time.Second) {
		t.Fatalf("s_client did not connect:\n%s", c.output())
	}
	c.send(t, "data-before-R\n")
	if !c.waitCount("data-before-R", 1, 5*time.Second) {
		t.Fatalf("no echo before renegotiating:\n%s", c.output())
	}
	c.send(t, "R\n")
	if !c.waitCount("RENEGOTIATING", 1, 5*time.Second) {
		t.Fatalf("s_client did not take R:\n%s", c.output())
	}
	if !s.waitLog("renegotiated (client-initiated, handshake 2): TLS 1.2", 1, 5*time.Second) {
		t.Fatalf("clasp serve did not log the renegotiation:\n%s\ns_client:\n%s", s.Log(), c.output())
	}
	c.send(t, "data-after-R\n")
	if !c.waitCount("data-after-R", 1, 5*time.Second) {
		t.Fatalf("no echo after renegotiating:\n%s", c.output())
	}
}

// TestCmdServeHelloRequestAfter: clasp serve --hello-request-after N
// drives s_client and crypto/tls's client (RenegotiateOnceAsClient)
// through a second handshake, with data before and after.
func TestCmdServeHelloRequestAfter(t *testing.T) {
	pki := peertest.NewPKI(t)
	bin := buildClasp(t)
	s := startServeProc(t, bin, "127.0.0.1:0", "--cert", pki.ECDSA.ChainFile, "--key", pki.ECDSA.KeyFile,
		"--max-version", "1.2", "--hello-request-after", "16")

	t.Run("openssl-s_client", func(t *testing.T) {
		peertest.Require(t, "openssl")
		before := strings.Count(s.Log(), "renegotiated (server-initiated, handshake 2)")
		c := startSClient(t, s.addr)
		if !c.waitCount("Verify return code: 0 (ok)", 1, 5*time.Second) {
			t.Fatalf("s_client did not connect:\n%s", c.output())
		}
		c.send(t, "first-line\n") // 11 bytes: under the threshold
		if !c.waitCount("first-line", 1, 5*time.Second) {
			t.Fatalf("no echo of the first line:\n%s", c.output())
		}
		c.send(t, "crossing-line\n") // 25 in all: HelloRequest after the echo
		if !c.waitCount("crossing-line", 1, 5*time.Second) {
			t.Fatalf("no echo of the line that crossed the threshold:\n%s", c.output())
		}
		if !s.waitLog("renegotiated (server-initiated, handshake 2)", before+1, 5*time.Second) {
			t.Fatalf("no server-initiated renegotiation in the log:\n%s\ns_client:\n%s", s.Log(), c.output())
		}
		c.send(t, "after-hello-request\n")
		if !c.waitCount("after-hello-request", 1, 5*time.Second) {
			t.Fatalf("no echo after the renegotiation:\n%s", c.output())
		}
	})

	t.Run("crypto-tls", func(t *testing.T) {
		before := strings.Count(s.Log(), "renegotiated (server-initiated, handshake 2)")
		conn, err := tls.Dial("tcp", s.addr, &tls.Config{RootCAs: pki.CAPool, ServerName: "localhost",
			MaxVersion: tls.VersionTLS12, Renegotiation: tls.RenegotiateOnceAsClient})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(conn)
		for _, line := range []string{"before\n", "this line crosses 16 bytes\n", "after the second handshake\n"} {
			if _, err := io.WriteString(conn, line); err != nil {
				t.Fatal(err)
			}
			if got, err := r.ReadString('\n'); err != nil || got != line {
				t.Fatalf("echo of %q: %q, %v\n%s", line, got, err, s.Log())
			}
		}
		if !s.waitLog("renegotiated (server-initiated, handshake 2)", before+1, 5*time.Second) {
			t.Fatalf("no server-initiated renegotiation in the log:\n%s", s.Log())
		}
	})
}

// TestCmdMutualTLS: a PKI from `clasp cert`, clasp serve --client-auth
// require-and-verify --client-ca ca.pem, and clients presenting the client
// certificate: openssl s_client -cert/-key and clasp connect --cert/--key,
// in TLS 1.2 and 1.3; without a certificate the handshake fails.
func TestCmdMutualTLS(t *testing.T) {
	peertest.Require(t, "openssl")
	bin := buildClasp(t)
	dir := filepath.Join(t.TempDir(), "pki")
	out, errOut, err := runClaspCmd(t, bin, "", "cert", "--out", dir, "--names", "localhost,127.0.0.1")
	if err != nil {
		t.Fatalf("clasp cert: %v\n%s%s", err, out, errOut)
	}
	f := func(name string) string { return filepath.Join(dir, name) }
	s := startServeProc(t, bin, "127.0.0.1:0", "--cert", f("server.pem"), "--key", f("server-key.pem"),
		"--client-auth", "require-and-verify", "--client-ca", f("ca.pem"))
	verified := `client-cert="CN=clasp test client,O=clasp" (verified)`

	for _, v := range []struct{ name, openssl, clasp, alert string }{
		{"tls12", "-tls1_2", "--tls1.2", "alert handshake failure"},
		{"tls13", "-tls1_3", "--tls1.3", "alert certificate required"}, // RFC 8446 §4.4.2.4
	} {
		t.Run(v.name+"/s_client", func(t *testing.T) {
			before := strings.Count(s.Log(), verified)
			c := startLiveClient(t, "openssl", "s_client", "-connect", s.addr, "-servername", "localhost",
				"-CAfile", f("ca.pem"), "-verify_return_error", "-cert", f("client.pem"), "-key", f("client-key.pem"), v.openssl)
			if !c.waitCount("Verify return code: 0 (ok)", 1, 5*time.Second) {
				t.Fatalf("s_client did not connect:\n%s", c.output())
			}
			// The CA names in CertificateRequest are --client-ca's subjects.
			if !strings.Contains(c.output(), "Acceptable client certificate CA names") || !strings.Contains(c.output(), "CN = clasp throwaway CA") {
				t.Errorf("s_client does not show the CA name from --client-ca:\n%s", c.output())
			}
			c.send(t, "mutual-"+v.name+"\n")
			if !c.waitCount("mutual-"+v.name, 1, 5*time.Second) {
				t.Fatalf("no echo:\n%s\nserve:\n%s", c.output(), s.Log())
			}
			if !s.waitLog(verified, before+1, 5*time.Second) {
				t.Errorf("clasp serve does not log the verified client certificate:\n%s", s.Log())
			}
		})
		t.Run(v.name+"/s_client-without-certificate", func(t *testing.T) {
			before := strings.Count(s.Log(), "handshake failed")
			c := startLiveClient(t, "openssl", "s_client", "-connect", s.addr, "-servername", "localhost",
				"-CAfile", f("ca.pem"), v.openssl)
			c.send(t, "no-cert\n")
			if !s.waitLog("handshake failed", before+1, 5*time.Second) {
				t.Fatalf("clasp serve accepted a client without a certificate:\n%s\ns_client:\n%s", s.Log(), c.output())
			}
			if !c.waitCount(v.alert, 1, 5*time.Second) {
				t.Errorf("s_client does not report the server's %s:\n%s", v.alert, c.output())
			}
		})
		t.Run(v.name+"/clasp-connect", func(t *testing.T) {
			before := strings.Count(s.Log(), verified)
			out, errOut, err := runClaspCmd(t, bin, "mutual\n", "connect", s.addr, "--servername", "localhost", "--cafile", f("ca.pem"),
				"--cert", f("client.pem"), "--key", f("client-key.pem"), v.clasp)
			if err != nil || out != "mutual\n" {
				t.Fatalf("clasp connect: %v, stdout %q\n%s\nserve:\n%s", err, out, errOut, s.Log())
			}
			if !s.waitLog(verified, before+1, 5*time.Second) {
				t.Errorf("clasp serve does not log the verified client certificate:\n%s", s.Log())
			}
			_, errOut, err = runClaspCmd(t, bin, "mutual\n", "connect", s.addr, "--servername", "localhost", "--cafile", f("ca.pem"), v.clasp)
			if err == nil {
				t.Errorf("clasp connect without --cert succeeded against require-and-verify:\n%s", errOut)
			}
		})
	}
}
