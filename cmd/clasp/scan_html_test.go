package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// --html writes one page that parses as HTML and carries the report's
// parts: the grade and findings, the suites, the chain, the client
// simulation and the handshake as an inline SVG diagram.
func TestScanHTMLReport(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-quiet")
	page := filepath.Join(t.TempDir(), "report.html")
	r := runClasp(t, nil, "scan", "--html", page, "--servername", "localhost", "--cafile", pki.CACertFile, srv.Addr)
	if r.exitCode != 0 {
		t.Fatalf("exit %d\n%s", r.exitCode, r.stderr)
	}
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := html.Parse(strings.NewReader(string(data))); err != nil {
		t.Fatalf("the page does not parse: %v", err)
	}
	for _, want := range []string{"grade <span class=\"grade\">", "Heartbleed", "TLS_AES_128_GCM_SHA256",
		"ECDHE-ECDSA-AES128-GCM-SHA256", "Certificate chains", "Client simulation", "Mozilla profiles", "<svg", "ClientHello"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(string(data), "http://") && strings.Contains(string(data), "<link") {
		t.Errorf("the page links to outside resources; it must be self-contained")
	}
}
