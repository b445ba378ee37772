package peertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// StartNginx starts nginx (Debian's package) as a TLS server on a free
// loopback port with the leaf's certificate, and returns when it listens.
// directives go inside the server block, after the listen, certificate
// and key lines: ssl_protocols, ssl_ciphers, ssl_ecdh_curve,
// ssl_prefer_server_ciphers, ssl_session_tickets, locations... Without a
// location, every request gets "200 ok".
//
// nginx runs in the foreground as one process (daemon off, master_process
// off) with everything it writes (configuration, pid, logs, temp files) in
// a fresh temporary directory, so it needs no root and leaves nothing
// behind; its error log goes to stderr, in Process.Output.
func StartNginx(t testing.TB, leaf *Leaf, directives string) *Process {
	t.Helper()
	Require(t, "nginx")
	dir := t.TempDir()
	for _, sub := range []string{"logs", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "nginx.conf")
	return startServer(t, "nginx", nil, func(port int) []string {
		if err := os.WriteFile(conf, []byte(nginxConfig(dir, port, leaf, directives)), 0o644); err != nil {
			t.Fatalf("peertest: writing nginx.conf: %v", err)
		}
		return []string{"-p", dir, "-c", conf, "-e", "stderr", "-g", "daemon off; master_process off;"}
	})
}

// nginxConfig is a minimal nginx.conf serving TLS on 127.0.0.1:port.
func nginxConfig(dir string, port int, leaf *Leaf, directives string) string {
	tmp := filepath.Join(dir, "tmp")
	location := "\t\tlocation / { return 200 \"ok\\n\"; }\n"
	if strings.Contains(directives, "location ") {
		location = ""
	}
	return fmt.Sprintf(`pid %s;
error_log stderr notice;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path %s/body;
	proxy_temp_path %s/proxy;
	fastcgi_temp_path %s/fastcgi;
	uwsgi_temp_path %s/uwsgi;
	scgi_temp_path %s/scgi;
	server {
		listen 127.0.0.1:%s ssl;
		ssl_certificate %s;
		ssl_certificate_key %s;
%s%s
	}
}
`, filepath.Join(dir, "nginx.pid"), tmp, tmp, tmp, tmp, tmp, strconv.Itoa(port),
		leaf.CertFile, leaf.KeyFile, location, indent(directives))
}

// indent puts two tabs before each line of s.
func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if line != "" {
			b.WriteString("\t\t" + line + "\n")
		}
	}
	return b.String()
}
