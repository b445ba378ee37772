package main

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// A port that answers with plain HTTP: clasp connect says so after the
// one-line reason, and --json carries the same diagnosis.
func TestConnectExplainsANonTLSPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler()}
	go srv.Serve(ln)
	defer srv.Close()

	r := runClasp(t, nil, "connect", "--insecure", ln.Addr().String())
	if r.exitCode != exitFailure {
		t.Fatalf("exit %d, want %d\n%s", r.exitCode, exitFailure, r.stderr)
	}
	for _, want := range []string{"why:", "what to change:", "HTTP"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}

	r = runClasp(t, nil, "connect", "--insecure", "--json", ln.Addr().String())
	var out struct {
		OK        bool   `json:"ok"`
		Error     string `json:"error"`
		Diagnosis struct {
			Cause string `json:"cause"`
			Fix   string `json:"fix"`
		} `json:"diagnosis"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, r.stdout)
	}
	if out.OK || out.Error == "" || out.Diagnosis.Cause != "not_tls" || out.Diagnosis.Fix == "" {
		t.Errorf("JSON failure summary = %+v", out)
	}
}

// bannerServer accepts connections and writes banner to each, as the
// servers of line protocols greet a client before it says anything. It
// stands for such a server on a port where TLS was expected.
func bannerServer(t *testing.T, banner []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Write(banner)
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				io.Copy(io.Discard, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// Odd targets: the first line names what the target is.
func TestConnectNamesOddTargets(t *testing.T) {
	// MySQL's HandshakeV10: length 0x4a, sequence 0, protocol 10, version.
	mysql := append([]byte{0x4a, 0, 0, 0, 10}, []byte("8.0.36\x00")...)
	cases := []struct {
		name, banner string
		first, fix   string
	}{
		{"smtp", "220 mail.example.org ESMTP Postfix\r\n", "this port speaks SMTP, not TLS", "clasp connect --starttls smtp HOST:PORT"},
		{"ftp", "220 (vsFTPd 3.0.3)\r\n", "this port speaks FTP, not TLS", "-starttls ftp"},
		{"imap", "* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n", "this port speaks IMAP, not TLS", "port (993)"},
		{"pop3", "+OK Dovecot ready.\r\n", "this port speaks POP3, not TLS", "clasp connect --starttls pop3 HOST:PORT"},
		{"ssh", "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", "this port speaks SSH, not TLS", "another port"},
		{"mysql", string(mysql), "this port speaks MySQL, not TLS", "openssl s_client -starttls mysql"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runClasp(t, nil, "connect", bannerServer(t, []byte(tc.banner)))
			first, _, _ := strings.Cut(r.stderr, "\n")
			words := strings.Join(strings.Fields(r.stderr), " ") // the fix is wrapped
			if r.exitCode != exitFailure || first != tc.first || !strings.Contains(words, tc.fix) {
				t.Errorf("exit %d, stderr:\n%s", r.exitCode, r.stderr)
			}
		})
	}
	t.Run("dns", func(t *testing.T) {
		r := runClasp(t, nil, "connect", "no-such-host.invalid:443")
		if !strings.HasPrefix(r.stderr, "the name no-such-host.invalid does not resolve") {
			t.Errorf("stderr:\n%s", r.stderr)
		}
		// The diagnosis speaks --lang.
		r = runClasp(t, nil, "connect", "--lang", "ru", "no-such-host.invalid:443")
		if !strings.HasPrefix(r.stderr, "имя no-such-host.invalid не разрешается") {
			t.Errorf("--lang ru: stderr:\n%s", r.stderr)
		}
	})
	t.Run("stall", func(t *testing.T) {
		// A service that takes the connection and never answers.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { defer c.Close(); io.Copy(io.Discard, c) }()
			}
		}()
		r := runClasp(t, nil, "connect", "--timeout", "1s", ln.Addr().String())
		if !strings.HasPrefix(r.stderr, "timed out: the server stalled after this side sent ClientHello (last received: nothing)") {
			t.Errorf("stderr:\n%s", r.stderr)
		}
	})
}

// clasp serve logs one line per failed handshake with its short cause, and
// the why/fix block once per cause per minute; --verbose explains each.
func TestServeExplainsEachCauseOncePerMinute(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		args := []string{"--mode", "echo"}
		if verbose {
			args = append(args, "--verbose")
		}
		s := startServe(t, args...)
		// Three clients that stop at TLS 1.1, then one with no suite in common.
		for range 3 {
			tls.Dial("tcp", s.addr, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
		}
		tls.Dial("tcp", s.addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}})
		if !waitLog(s, "handshake failed: ", 4) {
			t.Fatalf("four failures not logged:\n%s", s.stderr)
		}
		// The test reads serve's stderr line by line: the log is whole only
		// once serve has exited, not when the fourth failure line is in.
		s.stop(t)
		log := s.stderr.String()
		if n := strings.Count(log, "[no_common_version]"); n != 3 {
			t.Errorf("verbose %v: %d failure lines name [no_common_version], want 3:\n%s", verbose, n, log)
		}
		if n := strings.Count(log, "[no_common_cipher_suite]"); n != 1 {
			t.Errorf("verbose %v: %d failure lines name [no_common_cipher_suite], want 1:\n%s", verbose, n, log)
		}
		want := 2 // one block per cause
		if verbose {
			want = 4
		}
		if n := strings.Count(log, " why:\n"); n != want {
			t.Errorf("verbose %v: %d why blocks, want %d:\n%s", verbose, n, want, log)
		}
	}
}

// The whole diagnosis speaks --lang: the cause, the why and what-to-change
// headings and the texts under them, here for a server whose CA the
// client does not trust (the evidence, names and fingerprints, stays as it
// is). English is the default and the golden texts of the diagnose
// package pin every language's wording; this checks the command's path.
func TestConnectDiagnosisSpeaksEveryLanguage(t *testing.T) {
	pki := newTestPKI(t)
	srv := startGoTLSServer(t, pki.server)
	for _, tc := range []struct{ lang, first, why, fix, sentence string }{
		{"en", "the server's certificate chains to the root CN=clasp test CA", "why:\n", "what to change:\n", "The chain is complete up to the self-signed root"},
		{"ru", "сертификат сервера ведёт к корню CN=clasp test CA", "почему:\n", "что изменить:\n", "Цепочка полна вплоть до самоподписанного корня"},
		{"zh", "服务器的证书链通向根 CN=clasp test CA", "原因：\n", "如何修改：\n", "证书链一直完整到自签名根"},
		{"vi", "chứng chỉ của máy chủ nối tới gốc CN=clasp test CA", "vì sao:\n", "cần thay đổi gì:\n", "Chuỗi đầy đủ cho tới gốc tự ký"},
	} {
		r := runClasp(t, nil, "connect", "--lang", tc.lang, srv.addr)
		words := strings.Join(strings.Fields(r.stderr), " ") // the texts are wrapped
		if r.exitCode != exitFailure || !strings.HasPrefix(r.stderr, tc.first) || !strings.Contains(r.stderr, tc.why) ||
			!strings.Contains(r.stderr, tc.fix) || !strings.Contains(words, tc.sentence) {
			t.Errorf("--lang %s: exit %d, stderr:\n%s", tc.lang, r.exitCode, r.stderr)
		}
		if tc.lang != "en" && (strings.Contains(r.stderr, "why:") || strings.Contains(words, "The server sent")) {
			t.Errorf("--lang %s: English left in the diagnosis:\n%s", tc.lang, r.stderr)
		}
	}
}

// On a failure the first line is the cause, as for every failure: the
// warnings about the flags (a suite outside the defaults, --keylog) come
// after the diagnosis. On a success they are still printed.
func TestConnectPutsTheCauseBeforeFlagWarnings(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler()}
	go srv.Serve(ln)
	defer srv.Close()
	keyLog := t.TempDir() + "/keys.log"
	flags := []string{"connect", "--insecure", "--ciphers", "ECDHE-ECDSA-AES128-SHA", "--keylog", keyLog}
	r := runClasp(t, nil, append(flags, ln.Addr().String())...)
	lines := strings.Split(r.stderr, "\n")
	warning := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "clasp: warning: cipher suite") })
	keys := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "clasp: warning: writing TLS session keys") })
	fix := slices.Index(lines, "what to change:")
	if r.exitCode != exitFailure || strings.HasPrefix(lines[0], "clasp: warning") || !strings.Contains(lines[0], "HTTP") ||
		warning < fix || keys < fix || fix < 0 {
		t.Errorf("exit %d; want the cause first and the flag warnings after the diagnosis:\n%s", r.exitCode, r.stderr)
	}

	pki := newTestPKI(t)
	tlsSrv := startGoTLSServer(t, pki.server)
	r = runClasp(t, nil, "connect", "--cafile", pki.caFile, "--tls1.2", "--ciphers", "ECDHE-ECDSA-AES128-SHA", tlsSrv.addr)
	if r.exitCode != exitOK || !strings.Contains(r.stderr, "clasp: warning: cipher suite TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA") {
		t.Errorf("success: exit %d, stderr %q", r.exitCode, r.stderr)
	}
}
