package peertest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FTPBanner is the greeting StartVsftpd's server sends, as a multi-line
// 220 reply (RFC 959 §4.2): "220-" lines, then "220 " and the last line.
var FTPBanner = []string{"clasp test server", "220 is not the end of this reply", "ready"}

// StartVsftpd starts vsftpd, a real FTP server, with explicit TLS (AUTH
// TLS, RFC 4217) on (tls true) or off, using the leaf's certificate. Its
// greeting is FTPBanner. Nobody logs in: the test stops at the handshake.
func StartVsftpd(t testing.TB, leaf *Leaf, tls bool) *Process {
	t.Helper()
	Require(t, "vsftpd")
	dir := t.TempDir()
	// vsftpd chroots its unprivileged child here; it must exist, empty
	// and not writable by that user.
	empty := filepath.Join(dir, "empty")
	banner := filepath.Join(dir, "banner")
	conf := filepath.Join(dir, "vsftpd.conf")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatalf("peertest: %v", err)
	}
	text := ""
	for _, l := range FTPBanner {
		text += l + "\n"
	}
	if err := os.WriteFile(banner, []byte(text), 0o644); err != nil {
		t.Fatalf("peertest: %v", err)
	}
	sslEnable := "NO"
	if tls {
		sslEnable = "YES"
	}
	// Only root may start vsftpd unless it is told to stay the user who
	// launched it.
	asUser := "NO"
	if os.Geteuid() != 0 {
		asUser = "YES"
	}
	return startServer(t, "vsftpd", nil, func(port int) []string {
		// local_enable: vsftpd refuses to start with neither local nor
		// anonymous logins. ssl_ciphers: its built-in default is
		// DES-CBC3-SHA alone. seccomp_sandbox: its filter does not know
		// every system call of a current libc.
		c := fmt.Sprintf(`listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=%d
background=NO
run_as_launching_user=%s
anonymous_enable=NO
local_enable=YES
banner_file=%s
secure_chroot_dir=%s
seccomp_sandbox=NO
ssl_enable=%s
rsa_cert_file=%s
rsa_private_key_file=%s
ssl_ciphers=HIGH
`, port, asUser, banner, empty, sslEnable, leaf.ChainFile, leaf.KeyFile)
		if err := os.WriteFile(conf, []byte(c), 0o600); err != nil {
			t.Fatalf("peertest: writing vsftpd.conf: %v", err)
		}
		return []string{conf}
	})
}
