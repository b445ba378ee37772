package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	peertest.Cleanup()
	os.Exit(code)
}

// curl, over HTTP/2 and HTTP/1.1: the allowed client is greeted, a client
// without a certificate gets 401, and one with another name 403.
func TestExampleH2ServerAuthorisesByCertificate(t *testing.T) {
	peertest.Require(t, "curl")
	pki := peertest.NewPKI(t)
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	var log strings.Builder
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--cert", pki.ECDSA.ChainFile, "--key", pki.ECDSA.KeyFile,
			"--client-ca", pki.CACertFile, "--allow", "peertest client"}, &log, func(a string) { addrs <- a })
	}()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	url := "https://localhost:" + addr[strings.LastIndex(addr, ":")+1:] + "/"
	client := []string{"--cert", pki.Client.CertFile, "--key", pki.Client.KeyFile}
	other := []string{"--cert", pki.ECDSA.CertFile, "--key", pki.ECDSA.KeyFile}
	for _, tc := range []struct {
		args       []string
		code, body string
	}{
		{append([]string{"--http2"}, client...), "200", "hello, peertest client: HTTP/2.0 over TLS 1.3"},
		{append([]string{"--http1.1"}, client...), "200", "hello, peertest client: HTTP/1.1 over TLS 1.3"},
		{[]string{"--http2"}, "401", "a client certificate is required"},
		{append([]string{"--http2"}, other...), "403", "client \"" + pki.ECDSA.Cert.Subject.CommonName + "\" is not allowed"},
	} {
		out, err := peertest.RunCurl(t, url, append(tc.args, "-w", "\n%{http_code}")...)
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", tc.args, err, out)
		}
		// -w puts the status code on a line of its own after the body.
		i := strings.LastIndex(out, "\n")
		body, code := out[:max(i, 0)], strings.TrimSpace(out[i+1:])
		if code != tc.code || !strings.Contains(body, tc.body) {
			t.Errorf("curl %v: %s %q, want %s %q", tc.args, code, body, tc.code, tc.body)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v\n%s", err, log.String())
	}
}
