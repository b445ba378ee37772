package main

import (
	"strings"
	"testing"
)

// --cert-compression (RFC 8879): clasp connect offers the algorithms in its
// ClientHello and clasp serve lists its own in CertificateRequest; each side
// compresses its certificate with the first of its own list that the peer
// named (§3, §4), so the two directions use different algorithms here, and
// the story shows both. Without the flag connect offers nothing, so the
// server's certificate goes uncompressed, while connect still compresses its
// own for a server that asks, with its default order (brotli first).
func TestCertCompressionFlags(t *testing.T) {
	p := makeCertPKI(t)
	s := startServe(t, "--cert", p.server, "--key", p.serverKey, "--client-auth", "require",
		"--cert-compression", "zlib,brotli")
	connect := func(args ...string) string {
		t.Helper()
		r := runClasp(t, strings.NewReader("ping\n"), append([]string{"connect", "--tls1.3", "--cafile", p.ca,
			"--cert", p.client, "--key", p.clientKey, "--trace", "story"}, append(args, "localhost:"+portOf(s.addr))...)...)
		if r.exitCode != 0 || !strings.Contains(r.stdout, "ping") {
			t.Fatalf("clasp connect %v: exit %d, stdout %q, stderr:\n%s", args, r.exitCode, r.stdout, r.stderr)
		}
		return r.stdout + r.stderr
	}
	out := connect("--cert-compression", "brotli,zlib")
	for _, want := range []string{
		"server sends its certificate chain compressed (RFC 8879, algorithm 1:",
		"client sends its certificate chain compressed (RFC 8879, algorithm 2:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("story lacks %q:\n%s", want, out)
		}
	}
	out = connect()
	if strings.Contains(out, "server sends its certificate chain compressed") {
		t.Errorf("a client without --cert-compression received a compressed certificate:\n%s", out)
	}
	if !strings.Contains(out, "client sends its certificate chain compressed (RFC 8879, algorithm 2:") {
		t.Errorf("a client without --cert-compression did not compress its certificate with brotli for a server that asks:\n%s", out)
	}
	s.stop(t)

	for _, bad := range []string{"gzip", "zlib,zlib", "brotli,,zlib"} {
		r := runClasp(t, nil, "connect", "--cert-compression="+bad, "localhost:1")
		if r.exitCode != 2 || !strings.Contains(r.stderr, "--cert-compression") {
			t.Errorf("--cert-compression %q: exit %d, stderr %q; want a usage error", bad, r.exitCode, r.stderr)
		}
	}
}
