package interop

import (
	"encoding/json"
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

// clasp connect's OCSP warnings against openssl s_server: an expired
// staple (-status_file with a response whose next update has passed), and
// a must-staple certificate (RFC 7633) served without a staple. A server
// that staples nothing for an ordinary certificate gets no warning, as
// with s_client -status ("no response sent"); nor does a must-staple
// certificate with a good staple.
func TestCommandOCSPWarnings(t *testing.T) {
	pki := peertest.NewPKI(t)
	bin := sharedClasp(t)
	mustStaple := pki.MustStapleLeaf(t)
	cases := []struct {
		name    string
		leaf    *peertest.Leaf
		status  []string // s_server's -status_file arguments
		warning string   // "" for none about OCSP
	}{
		{"expired staple", pki.ECDSA, []string{"-status_file", pki.ExpiredOCSPResponseFile(t, pki.ECDSA)}, "the stapled OCSP response expired at"},
		{"must-staple without a staple", mustStaple, nil, "must-staple (RFC 7633 TLS feature status_request) but the server stapled no OCSP response"},
		{"must-staple with a good staple", mustStaple, []string{"-status_file", pki.OCSPResponseFile(t, mustStaple, ocsp.Good)}, ""},
		{"no staple, ordinary certificate", pki.ECDSA, nil, ""},
	}
	for _, v := range stapleVersions {
		for _, tc := range cases {
			t.Run(v.name+"/"+tc.name, func(t *testing.T) {
				srv := peertest.StartOpenSSLServer(t, tc.leaf, append([]string{v.flag, "-quiet"}, tc.status...)...)
				run := runClaspCommand(t, bin, "connect", "--json", "--cafile", pki.CACertFile, "--servername", "localhost", srv.Addr)
				if run.exit != 0 {
					t.Fatalf("clasp connect: exit %d\n%s\n%s", run.exit, run.stdout, run.stderr)
				}
				var got []string
				for _, w := range jsonWarnings(t, run.stdout) {
					if strings.Contains(w, "OCSP") {
						got = append(got, w)
					}
				}
				switch {
				case tc.warning == "" && len(got) > 0:
					t.Errorf("unexpected OCSP warnings: %q", got)
				case tc.warning != "" && (len(got) != 1 || !strings.Contains(got[0], tc.warning)):
					t.Errorf("OCSP warnings %q, want one containing %q", got, tc.warning)
				}
			})
		}
	}
}

// jsonWarnings reads the warnings of clasp connect --json's summary.
func jsonWarnings(t *testing.T, stdout string) []string {
	t.Helper()
	var summary struct {
		Warnings []string `json:"warnings"`
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&summary); err != nil {
		t.Fatalf("clasp connect --json: %v\n%s", err, stdout)
	}
	return summary.Warnings
}
