package peertest

import (
	"crypto/tls"
	"io"
	"strings"
	"testing"
	"time"
)

// TestPeerFlagsTLS13 proves the TLS 1.3 helpers between the peers
// themselves, independently of clasp: for each suite, gnutls-cli and
// tstclnt against s_server, and s_client against gnutls-serv and selfserv,
// each pinned with its own helper, negotiate TLS 1.3 and that suite.
func TestPeerFlagsTLS13(t *testing.T) {
	t.Parallel()
	p := NewPKI(t)
	for _, suite := range SuiteNames13() {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			srv := StartOpenSSLServer(t, p.ECDSA, append(OpenSSLTLS13Args(suite), "-www")...)
			out, err := RunGnuTLSClient(t, srv.Addr, "GET / HTTP/1.0\r\n\r\n", "--priority", GnuTLSPriority13(suite))
			if err != nil || !strings.Contains(out, "New, TLSv1.3, Cipher is "+suite) || !strings.Contains(out, "(TLS1.3-X.509)") {
				t.Errorf("gnutls-cli → s_server: %v\n%s", err, out)
			}
			out, err = RunNSSClient(t, srv.Addr, "GET / HTTP/1.0\r\n\r\n", NSSTLS13Args(suite)...)
			if err != nil || !strings.Contains(out, "New, TLSv1.3, Cipher is "+suite) {
				t.Errorf("tstclnt → s_server: %v\n%s", err, out)
			}
			gsrv := StartGnuTLSServer(t, p.ECDSA, GnuTLSPriority13(suite), "--http", "--disable-client-cert")
			out, err = RunOpenSSLClient(t, gsrv.Addr, "GET / HTTP/1.0\r\n\r\n", append([]string{"-ign_eof"}, OpenSSLTLS13Args(suite)...)...)
			if err != nil || !strings.Contains(out, "New, TLSv1.3, Cipher is "+suite) {
				t.Errorf("s_client → gnutls-serv: %v\n%s", err, out)
			}
			nsrv := StartNSSServer(t, p.ECDSA, NSSTLS13Args(suite)...)
			out, err = RunOpenSSLClient(t, nsrv.Addr, "GET / HTTP/1.0\r\n\r\n", append([]string{"-ign_eof"}, OpenSSLTLS13Args(suite)...)...)
			if err != nil || !strings.Contains(out, "New, TLSv1.3, Cipher is "+suite) {
				t.Errorf("s_client → selfserv: %v\n%s", err, out)
			}
		})
	}
}

// TestStartOpenSSLClientKeyUpdate proves StartOpenSSLClient's command
// handling: "k" and "K" each make s_client send a KeyUpdate (it prints
// "KEYUPDATE"), and data sent afterwards still reaches a crypto/tls server,
// which answers update_requested with its own KeyUpdate.
func TestStartOpenSSLClientKeyUpdate(t *testing.T) {
	t.Parallel()
	p := NewPKI(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{p.ECDSA.TLS}, MinVersion: tls.VersionTLS13})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(15 * time.Second))
		var all strings.Builder
		buf := make([]byte, 256)
		for !strings.Contains(all.String(), "after K\n") {
			n, err := conn.Read(buf)
			all.Write(buf[:n])
			if err != nil {
				break
			}
		}
		io.WriteString(conn, "server saw: "+strings.ReplaceAll(all.String(), "\n", "|")+"\n")
		got <- all.String()
	}()
	cli := StartOpenSSLClient(t, ln.Addr().String(), "-tls1_3")
	// Each step waits for its effect: s_client takes a command only at the
	// start of a read from stdin.
	steps := []struct {
		send      string
		wait      string
		waitCount int
	}{
		{"first\n", "Verify return code: 0 (ok)", 1},
		{"k\n", "KEYUPDATE", 1},
		{"after k\n", "", 0},
		{"K\n", "KEYUPDATE", 2},
		{"after K\n", "server saw: first|after k|after K|", 1},
	}
	for _, s := range steps {
		if err := cli.Send(s.send); err != nil {
			t.Fatal(err)
		}
		if s.wait == "" {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		deadline := time.Now().Add(10 * time.Second)
		for strings.Count(cli.Output(), s.wait) < s.waitCount {
			if time.Now().After(deadline) {
				t.Fatalf("after sending %q, s_client output lacks %d× %q:\n%s", s.send, s.waitCount, s.wait, cli.Output())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if all := <-got; all != "first\nafter k\nafter K\n" {
		t.Errorf("crypto/tls server read %q", all)
	}
}
