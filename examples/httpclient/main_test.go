package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
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

// Against net/http's own HTTPS server (crypto/tls): h2, then a resumed
// session on each new connection.
func TestExampleHTTPClientFetchesOverHTTP2AndResumes(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := &http.Server{
		Handler:   http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") }),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{pki.ECDSA.TLS}},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.ServeTLS(ln, "", "")
	defer srv.Close()
	url := "https://localhost:" + ln.Addr().(*net.TCPAddr).AddrPort().String()[len("127.0.0.1:"):] + "/"
	var out strings.Builder
	if err := run(context.Background(), []string{"--ca", pki.CACertFile, "--count", "2", "--reconnect", url}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	// The suite is the server's choice (AES-GCM or ChaCha20 by hardware).
	prefix := "GET " + url + ": 200 OK over HTTP/2.0 (TLS 1.3 TLS_"
	if len(lines) != 2 ||
		!strings.HasPrefix(lines[0], prefix) || !strings.HasSuffix(lines[0], ", resumed: false), 5 bytes") ||
		!strings.HasPrefix(lines[1], prefix) || !strings.HasSuffix(lines[1], ", resumed: true), 5 bytes") {
		t.Errorf("output:\n%s\nwant two fetches over HTTP/2.0 and TLS 1.3, the second resumed", out.String())
	}
}
