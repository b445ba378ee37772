package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// The clasp command speaks TLS 1.3 by default: `clasp connect` to
// `openssl s_server -tls1_3`, and `openssl s_client -tls1_3` to
// `clasp serve`.

// runClaspConnect runs `clasp connect ADDR --servername localhost --cafile
// CA --json ARGS...` with stdin piped in; the JSON summary then goes to
// standard error and the server's answer to standard output.
func runClaspConnect(t *testing.T, bin, addr, stdin string, args ...string) (summary map[string]any, stdout, stderr string) {
	t.Helper()
	pki := peertest.NewPKI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	argv := append([]string{"connect", addr, "--servername", "localhost", "--cafile", pki.CACertFile, "--json"}, args...)
	cmd := exec.CommandContext(ctx, bin, argv...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	t.Logf("running: clasp %s", strings.Join(argv, " "))
	if err := cmd.Run(); err != nil {
		t.Fatalf("clasp connect: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	for _, line := range strings.Split(errOut.String(), "\n") {
		if strings.HasPrefix(line, "{") {
			if err := json.Unmarshal([]byte(line), &summary); err != nil {
				t.Fatalf("clasp connect: bad JSON summary %q: %v", line, err)
			}
		}
	}
	if summary == nil {
		t.Fatalf("clasp connect printed no JSON summary:\n%s", errOut.String())
	}
	return summary, out.String(), errOut.String()
}

func TestTLS13Command(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	bin := buildClasp(t)

	t.Run("clasp-connect/s_server-tls1_3", func(t *testing.T) {
		countCase(t, "clasp command + openssl")
		srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_3", "-www")
		summary, page, _ := runClaspConnect(t, bin, srv.Addr, "GET / HTTP/1.0\r\n\r\n")
		if summary["protocol"] != "TLS 1.3" || summary["group"] != "x25519" {
			t.Errorf("clasp connect summary: protocol %v, group %v; want TLS 1.3 over x25519 (OpenSSL 3.0 has no ML-KEM)", summary["protocol"], summary["group"])
		}
		wantOutput(t, "s_server page", page, "New, TLSv1.3, Cipher is "+summary["cipher_suite"].(string))
	})

	t.Run("s_client-tls1_3/clasp-serve", func(t *testing.T) {
		countCase(t, "clasp command + openssl")
		addr := startClaspServe(t, bin, "--mode", "http", "--cert", pki.ECDSA.ChainFile, "--key", pki.ECDSA.KeyFile)
		sess := filepath.Join(t.TempDir(), "session.pem")
		for i, flags := range [][]string{{"-sess_out", sess}, {"-sess_in", sess}} {
			out, err := peertest.RunOpenSSLClient(t, addr, "GET / HTTP/1.0\r\n\r\n", append([]string{"-tls1_3", "-ign_eof"}, flags...)...)
			if err != nil {
				t.Fatalf("s_client %v: %v\n%s", flags, err, out)
			}
			want := []string{"New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256", "Reused, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256"}[i]
			wantOutput(t, "s_client "+flags[0], out, want, "Verify return code: 0 (ok)", "HTTP/1.1 200 OK", "TLS 1.3")
		}
	})

	// --tls1.3 pins the version; the command must not warn that TLS 1.3 is
	// unimplemented when it has just negotiated it.
	t.Run("clasp-connect--tls1.3/s_server-tls1_3", func(t *testing.T) {
		countCase(t, "clasp command + openssl")
		srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_3", "-www")
		summary, _, stderr := runClaspConnect(t, bin, srv.Addr, "GET / HTTP/1.0\r\n\r\n", "--tls1.3")
		if summary["protocol"] != "TLS 1.3" {
			t.Errorf("protocol %v", summary["protocol"])
		}
		if strings.Contains(stderr, "not implemented") {
			t.Errorf("clasp connect --tls1.3 negotiated TLS 1.3 but warned that it is not implemented:\n%s", stderr)
		}
	})
}
