package main

import (
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// clasp serve --post-handshake-auth asks a TLS 1.3 client for its
// certificate after the first bytes (RFC 8446 §4.6.2). OpenSSL's s_client
// with -enable_pha answers with the certificate it was given; without one
// it answers with an empty Certificate, which require-and-verify ends with
// certificate_required. clasp connect answers as well.
func TestServePostHandshakeAuth(t *testing.T) {
	peertest.Require(t, "openssl")
	p := makeCertPKI(t)
	s := startServe(t, "--cert", p.server, "--key", p.serverKey, "--post-handshake-auth", "require-and-verify", "--client-ca", p.ca)

	sClient := func(args ...string) {
		t.Helper()
		cmd := exec.Command("openssl", append([]string{"s_client", "-connect", s.addr, "-tls1_3", "-enable_pha",
			"-CAfile", p.ca, "-servername", "localhost", "-ign_eof", "-quiet"}, args...)...)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		io.WriteString(stdin, "first line\n")
		// s_client answers the request when it reads it; a second line
		// makes the server read that answer.
		time.Sleep(300 * time.Millisecond)
		io.WriteString(stdin, "second line\n")
		time.Sleep(300 * time.Millisecond)
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	}

	sClient("-cert", p.client, "-key", p.clientKey)
	if !waitLog(s, "post-handshake authentication: client certificate CN=clasp test client,O=clasp (the client's chain verified", 1) {
		t.Fatalf("serve did not log the verified post-handshake certificate from s_client:\n%s", s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "sent a post-handshake CertificateRequest (--post-handshake-auth require-and-verify)") {
		t.Errorf("serve did not log the request:\n%s", s.stderr)
	}
	sClient()
	if !waitLog(s, "echo: the server requires a client certificate and the client sent none", 1) {
		t.Errorf("an s_client without a certificate was not refused with certificate_required:\n%s", s.stderr)
	}

	// The second line goes after the request has had time to arrive, so
	// that connect is still reading when it does.
	stdin, w := io.Pipe()
	go func() {
		io.WriteString(w, "from clasp\n")
		time.Sleep(500 * time.Millisecond)
		io.WriteString(w, "again\n")
		w.Close()
	}()
	r := runClasp(t, stdin, "connect", "--tls1.3", "--cafile", p.ca, "--cert", p.client, "--key", p.clientKey, "localhost:"+portOf(s.addr))
	if r.exitCode != 0 || r.stdout != "from clasp\nagain\n" {
		t.Fatalf("clasp connect: exit %d, stdout %q, stderr:\n%s", r.exitCode, r.stdout, r.stderr)
	}
	if !waitLog(s, "post-handshake authentication: client certificate CN=clasp test client", 2) {
		t.Errorf("serve did not log clasp connect's post-handshake certificate:\n%s", s.stderr)
	}
	s.stop(t)
}

func TestServePostHandshakeAuthFlagIsChecked(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--post-handshake-auth", "none"}, "asks for nothing"},
		{[]string{"--post-handshake-auth", "require", "--mode", "http"}, "works in echo mode"},
		{[]string{"--post-handshake-auth", "require-and-verify"}, "give --client-ca FILE"},
		{[]string{"--post-handshake-auth", "sometimes"}, "--post-handshake-auth"},
	} {
		r := runClasp(t, nil, append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...)...)
		if r.exitCode != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("serve %v: exit %d, stderr:\n%s", tc.args, r.exitCode, r.stderr)
		}
	}
}
