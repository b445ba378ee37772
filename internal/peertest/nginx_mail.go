package peertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// nginxMailModule is where Debian's libnginx-mod-mail puts nginx's mail
// proxy, a real STARTTLS server for SMTP, IMAP and POP3.
const nginxMailModule = "/usr/lib/nginx/modules/ngx_mail_module.so"

// StartNginxMail starts nginx's mail proxy for protocol (smtp, imap or
// pop3) with STARTTLS on (starttls: "on") or off ("off"), using the leaf's
// certificate, and any further mail-block directives (such as
// "ssl_protocols TLSv1.2;"). It answers the greeting and the upgrade; no
// mail goes anywhere (auth_http points at nothing, and nothing logs in).
func StartNginxMail(t testing.TB, leaf *Leaf, protocol, starttls string, directives ...string) *Process {
	t.Helper()
	Require(t, "nginx")
	if _, err := os.Stat(nginxMailModule); err != nil {
		msg := "peertest: nginx's mail module is missing: apt-get install libnginx-mod-mail"
		if InCI() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	return startServer(t, "nginx", nil, func(port int) []string {
		c := fmt.Sprintf(`load_module %s;
pid %s;
error_log stderr notice;
events { worker_connections 64; }
mail {
	auth_http 127.0.0.1:1/auth;
	ssl_certificate %s;
	ssl_certificate_key %s;
	starttls %s;
	%s
	server { listen 127.0.0.1:%s; protocol %s; }
}
`, nginxMailModule, filepath.Join(dir, "nginx.pid"), leaf.CertFile, leaf.KeyFile, starttls, strings.Join(directives, "\n\t"), strconv.Itoa(port), protocol)
		if err := os.WriteFile(conf, []byte(c), 0o644); err != nil {
			t.Fatalf("peertest: writing nginx.conf: %v", err)
		}
		return []string{"-p", dir, "-c", conf, "-e", "stderr", "-g", "daemon off; master_process off;"}
	})
}
