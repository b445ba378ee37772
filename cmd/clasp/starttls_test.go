package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// clasp connect --starttls against nginx's mail proxy, a real STARTTLS
// server: the handshake completes after each protocol's upgrade.
func TestConnectStartTLSWithNginx(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, proto := range []string{"smtp", "imap", "pop3"} {
		t.Run(proto, func(t *testing.T) {
			srv := peertest.StartNginxMail(t, pki.ECDSA, proto, "on")
			r := runClasp(t, nil, "connect", "--starttls", proto, "--servername", "localhost", "--cafile", pki.CACertFile, srv.Addr)
			// Debian's nginx 1.22 mail module defaults to TLS 1.0-1.2
			// (TLS 1.3 joined the default list in 1.23.4).
			if r.exitCode != 0 || !strings.Contains(r.stdout, "protocol:                TLS 1.2") || !strings.Contains(r.stdout, "verified against --cafile") {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.exitCode, r.stdout, r.stderr)
			}
		})
	}
}

// Without --starttls the diagnosis of a mail port (nginx's real SMTP, IMAP
// and POP3 greetings) names the protocol and clasp's own upgrade, and
// following it connects.
func TestConnectSMTPDiagnosisFixConnects(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, proto := range []string{"smtp", "imap", "pop3"} {
		t.Run(proto, func(t *testing.T) {
			srv := peertest.StartNginxMail(t, pki.ECDSA, proto, "on")
			r := runClasp(t, nil, "connect", "--servername", "localhost", "--cafile", pki.CACertFile, srv.Addr)
			first, _, _ := strings.Cut(r.stderr, "\n")
			words := strings.Join(strings.Fields(r.stderr), " ") // the fix is wrapped
			if r.exitCode != exitFailure || first != "this port speaks "+strings.ToUpper(proto)+", not TLS" ||
				!strings.Contains(words, "clasp connect --starttls "+proto+" HOST:PORT") {
				t.Fatalf("exit %d, stderr:\n%s", r.exitCode, r.stderr)
			}
			r = runClasp(t, nil, "connect", "--starttls", proto, "--servername", "localhost", "--cafile", pki.CACertFile, srv.Addr)
			if r.exitCode != 0 {
				t.Fatalf("following the fix: exit %d\n%s", r.exitCode, r.stderr)
			}
		})
	}
}

// A server that does not offer the upgrade fails before any TLS byte, with
// the server's own answer in the message and no probing.
func TestConnectStartTLSNotOffered(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartNginxMail(t, pki.ECDSA, "smtp", "off")
	r := runClasp(t, nil, "connect", "--starttls", "smtp", "--cafile", pki.CACertFile, srv.Addr)
	if r.exitCode != exitFailure || !strings.Contains(r.stderr, "SMTP STARTTLS failed before any TLS was sent") ||
		!strings.Contains(r.stderr, "does not offer STARTTLS") || strings.Contains(r.stderr, "probe") {
		t.Fatalf("exit %d, stderr:\n%s", r.exitCode, r.stderr)
	}
	for _, cmd := range []string{"connect", "scan"} {
		r = runClasp(t, nil, cmd, "--starttls", "gopher", srv.Addr)
		if r.exitCode != exitUsage || !strings.Contains(r.stderr, "--starttls \"gopher\": want one of") {
			t.Errorf("%s --starttls gopher: exit %d, stderr:\n%s", cmd, r.exitCode, r.stderr)
		}
	}
}

// clasp scan --starttls reads a STARTTLS server's configuration exactly:
// nginx's mail proxy limited to TLS 1.2 and two suites in its own order.
func TestScanStartTLSMatchesNginxConfiguration(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartNginxMail(t, pki.ECDSA, "imap", "on",
		"ssl_protocols TLSv1.2;",
		"ssl_ciphers ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256;",
		"ssl_prefer_server_ciphers on;")
	r := runClasp(t, nil, "scan", "--starttls", "imap", "--json", "--no-clients", "--servername", "localhost", "--cafile", pki.CACertFile, srv.Addr)
	if r.exitCode != 0 {
		t.Fatalf("exit %d\n%s", r.exitCode, r.stderr)
	}
	var rep struct {
		OK       bool   `json:"ok"`
		StartTLS string `json:"starttls"`
		Versions []struct {
			Version   string `json:"version"`
			Supported bool   `json:"supported"`
		} `json:"versions"`
		CipherSuites []struct {
			Version string `json:"version"`
			Order   string `json:"order"`
			Suites  []struct {
				OpenSSL string `json:"openssl"`
			} `json:"suites"`
		} `json:"cipher_suites"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	var supported []string
	for _, v := range rep.Versions {
		if v.Supported {
			supported = append(supported, v.Version)
		}
	}
	if !rep.OK || rep.StartTLS != "imap" || strings.Join(supported, ",") != "TLS 1.2" || len(rep.CipherSuites) != 1 {
		t.Fatalf("report: %+v", rep)
	}
	var got []string
	for _, s := range rep.CipherSuites[0].Suites {
		got = append(got, s.OpenSSL)
	}
	if strings.Join(got, ":") != "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256" || rep.CipherSuites[0].Order != "server" {
		t.Errorf("suites %v (order %s), want nginx's two in its order", got, rep.CipherSuites[0].Order)
	}
}

// clasp connect and clasp scan with --starttls ftp, ldap, postgres and
// xmpp against vsftpd, slapd, PostgreSQL and Prosody: the handshake
// verifies against the test CA and the scan finds TLS 1.2 and 1.3. XMPP's
// stream header carries the host of the target (here "localhost").
func TestStartTLSCommandsWithRealServers(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, tc := range []struct {
		protocol string
		start    func(testing.TB, *peertest.Leaf, bool) *peertest.Process
	}{
		{"ftp", peertest.StartVsftpd},
		{"ldap", peertest.StartSlapd},
		{"postgres", peertest.StartPostgres},
		{"xmpp", peertest.StartProsody},
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			srv := tc.start(t, pki.ECDSA, true)
			target := "localhost:" + portOf(srv.Addr)
			r := runClasp(t, nil, "connect", "--starttls", tc.protocol, "--cafile", pki.CACertFile, target)
			if r.exitCode != 0 || !strings.Contains(r.stdout, "verified against --cafile") {
				t.Fatalf("connect: exit %d\nstdout:\n%s\nstderr:\n%s\nserver:\n%s", r.exitCode, r.stdout, r.stderr, srv.Output())
			}
			r = runClasp(t, nil, "scan", "--starttls", tc.protocol, "--json", "--no-clients", "--cafile", pki.CACertFile, target)
			var rep struct {
				OK       bool   `json:"ok"`
				StartTLS string `json:"starttls"`
				Versions []struct {
					Version   string `json:"version"`
					Supported bool   `json:"supported"`
				} `json:"versions"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.exitCode != 0 {
				t.Fatalf("scan: exit %d, %v\n%s\n%s", r.exitCode, err, r.stdout, r.stderr)
			}
			found := map[string]bool{}
			for _, v := range rep.Versions {
				found[v.Version] = v.Supported
			}
			if !rep.OK || rep.StartTLS != tc.protocol || !found["TLS 1.2"] || !found["TLS 1.3"] {
				t.Errorf("scan report: %+v", rep)
			}
		})
	}
}

// startTLSScan is what TestScanStartTLSSMTPAndPOP3 reads of a --json scan.
type startTLSScan struct {
	OK          bool   `json:"ok"`
	Connections int    `json:"connections"`
	DurationMS  int64  `json:"duration_ms"`
	StartTLS    string `json:"starttls"`
	Versions    []struct {
		Version   string `json:"version"`
		Supported bool   `json:"supported"`
	} `json:"versions"`
	CipherSuites []struct {
		Version string `json:"version"`
		Order   string `json:"order"`
		Suites  []struct {
			OpenSSL string `json:"openssl"`
		} `json:"suites"`
	} `json:"cipher_suites"`
}

// TestScanStartTLSSMTPAndPOP3: the nginx mail proxy upgrades SMTP and POP3
// connections with STARTTLS and STLS; clasp scan --starttls finds the
// configured versions and suites, in nginx's order, behind each.
func TestScanStartTLSSMTPAndPOP3(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, tc := range []struct {
		protocol, protocols, ciphers string
		versions                     string
	}{
		{"smtp", "TLSv1.2 TLSv1.3", "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256", "TLS 1.2,TLS 1.3"},
		{"pop3", "TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305", "TLS 1.2"},
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			srv := peertest.StartNginxMail(t, pki.ECDSA, tc.protocol, "on",
				"ssl_protocols "+tc.protocols+";", "ssl_ciphers "+tc.ciphers+";", "ssl_prefer_server_ciphers on;")
			r := runClasp(t, nil, "scan", "--starttls", tc.protocol, "--json", "--no-clients", "--servername", "localhost", "--cafile", pki.CACertFile, srv.Addr)
			if r.exitCode != 0 {
				t.Fatalf("exit %d\n%s", r.exitCode, r.stderr)
			}
			var rep startTLSScan
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("%v\n%s", err, r.stdout)
			}
			var supported []string
			for _, v := range rep.Versions {
				if v.Supported {
					supported = append(supported, v.Version)
				}
			}
			if !rep.OK || rep.StartTLS != tc.protocol || strings.Join(supported, ",") != tc.versions {
				t.Fatalf("report: %+v", rep)
			}
			t.Logf("%s: %d connections in %d ms", tc.protocol, rep.Connections, rep.DurationMS)
			for _, vs := range rep.CipherSuites {
				if vs.Version != "TLS 1.2" {
					continue
				}
				var got []string
				for _, s := range vs.Suites {
					got = append(got, s.OpenSSL)
				}
				if strings.Join(got, ":") != tc.ciphers || vs.Order != "server" {
					t.Errorf("TLS 1.2 suites %v (order %s), want %s in server order", got, vs.Order, tc.ciphers)
				}
				return
			}
			t.Errorf("no TLS 1.2 suites in %+v", rep.CipherSuites)
		})
	}
}
