package main

import (
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// --mode http speaks HTTP/2 to a client that chooses h2 by ALPN, several
// requests on one connection, each answered with the connection's page.
func TestServeHTTPSpeaksHTTP2(t *testing.T) {
	s := startServe(t, "--mode", "http")
	tr := &http.Transport{TLSClientConfig: pinnedConfig(s.fingerprint), ForceAttemptHTTP2: true}
	client := &http.Client{Timeout: 10 * time.Second, Transport: tr}
	for _, path := range []string{"/first", "/second"} {
		resp, err := client.Get("https://" + s.addr + path)
		if err != nil {
			t.Fatalf("GET %s: %v; clasp serve stderr:\n%s", path, err, s.stderr)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.Proto != "HTTP/2.0" || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s %d, want HTTP/2.0 200", path, resp.Proto, resp.StatusCode)
		}
		for _, want := range []string{"GET " + path + " HTTP/2.0", "ALPN:", " h2\n", "TLS 1.3"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("page lacks %q:\n%s", want, body)
			}
		}
	}
	tr.CloseIdleConnections()
	if code := s.stop(t); code != 0 {
		t.Errorf("clasp serve exited %d after SIGTERM", code)
	}
	if n := strings.Count(s.stderr.String(), "alpn=h2"); n != 1 {
		t.Errorf("%d handshakes with alpn=h2 logged, want 1 (both requests on one connection):\n%s", n, s.stderr)
	}
}

// curl chooses the protocol by ALPN: HTTP/2 with --http2, HTTP/1.1 with
// --http1.1, and the page says which.
func TestServeHTTPCurlChoosesByALPN(t *testing.T) {
	peertest.Require(t, "curl")
	s := startServe(t, "--mode", "http")
	for _, tc := range []struct{ flag, version, request string }{
		{"--http2", "2", "GET /curl HTTP/2.0"},
		{"--http1.1", "1.1", "GET /curl HTTP/1.1"},
	} {
		// -k: the certificate is serve's throwaway self-signed one.
		out, err := exec.Command("curl", "-sS", "-k", "--max-time", "20", tc.flag, "-w", "version=%{http_version}",
			"https://"+s.addr+"/curl").CombinedOutput()
		if err != nil {
			t.Fatalf("curl %s: %v\n%s", tc.flag, err, out)
		}
		if !strings.Contains(string(out), tc.request) || !strings.HasSuffix(string(out), "version="+tc.version) {
			t.Errorf("curl %s: page lacks %q or curl spoke another version:\n%s", tc.flag, tc.request, out)
		}
	}
}
