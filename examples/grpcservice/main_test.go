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

// The example's server and client, clasp on both sides with mutual TLS:
// the unary call names the client's certificate, the server stream counts
// to 3, the bidirectional stream answers each message, and a wrong server
// name fails.
func TestExampleGRPCService(t *testing.T) {
	pki := peertest.NewPKI(t)
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	var serveOut strings.Builder
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--cert", pki.ECDSA.ChainFile, "--key", pki.ECDSA.KeyFile,
			"--ca", pki.CACertFile}, &serveOut, func(a string) { addrs <- a })
	}()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	client := []string{"call", "--addr", addr, "--cert", pki.Client.CertFile, "--key", pki.Client.KeyFile, "--ca", pki.CACertFile}
	var out strings.Builder
	if err := run(context.Background(), append(client, "--name", "clasp"), &out, nil); err != nil {
		t.Fatalf("call: %v", err)
	}
	want := "hello clasp, from \"peertest client\" over TLS 1.3 h2\ncount 1\ncount 2\ncount 3\necho: ping\necho: pong\n"
	if out.String() != want {
		t.Errorf("call printed:\n%s\nwant:\n%s", out.String(), want)
	}
	err := run(context.Background(), append(client, "--server-name", "wrong.example"), &out, nil)
	if err == nil || !strings.Contains(err.Error(), "not wrong.example") {
		t.Errorf("call with a wrong server name: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve after cancel: %v", err)
	}
}
