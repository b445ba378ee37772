package interop

import (
	"strings"
	"testing"

	"golang.org/x/crypto/ocsp"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// clasp connect --export prints the key OpenSSL's s_server exports for the
// same label (RFC 5705 without a context, RFC 8446 §7.5), in TLS 1.2 and
// 1.3.
func TestConnectExportMatchesOpenSSL(t *testing.T) {
	pki := peertest.NewPKI(t)
	bin := sharedClasp(t)
	for _, v := range stapleVersions {
		t.Run(v.name, func(t *testing.T) {
			srv := peertest.StartOpenSSLServer(t, pki.ECDSA, v.flag, "-keymatexport", "EXPERIMENTAL clasp", "-keymatexportlen", "24")
			run := runClaspCommand(t, bin, "connect", "--cafile", pki.CACertFile, "--servername", "localhost",
				"--export", "EXPERIMENTAL clasp:24", srv.Addr)
			_, key, ok := strings.Cut(run.stdout, "24 bytes): ")
			key, _, _ = strings.Cut(key, "\n")
			if run.exit != 0 || !ok || len(key) != 48 {
				t.Fatalf("clasp connect --export: exit %d, key %q", run.exit, key)
			}
			if !srv.WaitOutput("Keying material: "+key, 5e9) {
				t.Errorf("s_server exported something else:\n%s", grepLine(srv.Output(), "Keying material"))
			}
		})
	}
}

// clasp connect shows the response s_server staples; clasp serve
// --ocsp-staple staples one s_client reads.
func TestCommandOCSPStapling(t *testing.T) {
	pki := peertest.NewPKI(t)
	bin := sharedClasp(t)
	for _, v := range stapleVersions {
		t.Run(v.name+"/connect", func(t *testing.T) {
			srv := peertest.StartOpenSSLServer(t, pki.ECDSA, v.flag, "-status_file", pki.OCSPResponseFile(t, pki.ECDSA, ocsp.Good), "-quiet")
			run := runClaspCommand(t, bin, "connect", "--cafile", pki.CACertFile, "--servername", "localhost", srv.Addr)
			if run.exit != 0 || !strings.Contains(run.stdout, "OCSP (stapled):") || !strings.Contains(run.stdout, " good (this update") {
				t.Errorf("clasp connect: exit %d\n%s", run.exit, run.stdout)
			}
		})
		t.Run(v.name+"/serve", func(t *testing.T) {
			srv := startServeProc(t, bin, "127.0.0.1:0", "--cert", pki.ECDSA.ChainFile, "--key", pki.ECDSA.KeyFile,
				"--ocsp-staple", pki.OCSPResponseFile(t, pki.ECDSA, ocsp.Revoked))
			out, err := peertest.RunOpenSSLClient(t, srv.addr, "", v.flag, "-status")
			if err != nil {
				t.Fatalf("s_client: %v\n%s", err, out)
			}
			if !strings.Contains(out, "OCSP Response Status: successful") || !strings.Contains(out, "Cert Status: revoked") {
				t.Errorf("s_client did not read the staple:\n%s", grepLine(out, "OCSP"))
			}
		})
	}
}
