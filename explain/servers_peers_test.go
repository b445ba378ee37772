package explain

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// TestNginxFailuresExplained provokes failures on a real nginx and explains
// the lines of its error log (client errors are logged at level info).
func TestNginxFailuresExplained(t *testing.T) {
	peertest.Require(t, "nginx", "openssl")
	pki := peertest.NewPKI(t)
	fault := newFaultPKI(t)
	upstream := peertest.StartOpenSSLServer(t, fault.selfSigned.asLeaf(), "-www")
	n := startNginx(t, 3, func(ports []int) string {
		only13, ciphers, proxy := ports[0], ports[1], ports[2]
		return fmt.Sprintf(`
    server {
        listen 127.0.0.1:%d ssl;
        ssl_certificate %s;
        ssl_certificate_key %s;
        ssl_protocols TLSv1.3;
        location / { return 200 "ok\n"; }
    }
    server {
        listen 127.0.0.1:%d ssl;
        ssl_certificate %s;
        ssl_certificate_key %s;
        ssl_protocols TLSv1.2;
        ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;
        location / { return 200 "ok\n"; }
    }
    server {
        listen 127.0.0.1:%d;
        location / {
            proxy_pass https://%s;
            proxy_ssl_verify on;
            proxy_ssl_name localhost;
            proxy_ssl_trusted_certificate %s;
        }
    }`, only13, pki.RSA.CertFile, pki.RSA.KeyFile, ciphers, pki.RSA.CertFile, pki.RSA.KeyFile,
			proxy, upstream.Addr, pki.CACertFile)
	})

	t.Run("protocol version", func(t *testing.T) {
		peertest.RunOpenSSLClient(t, n.addr(0), "", "-tls1_2")
		expectCause(t, "nginx", "TLS 1.2 client, TLS 1.3-only server", n.logLine(t, "unsupported protocol"), "protocol_version_mismatch")
	})
	t.Run("no shared cipher", func(t *testing.T) {
		peertest.RunOpenSSLClient(t, n.addr(1), "", "-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384")
		expectCause(t, "nginx", "no common cipher suite", n.logLine(t, "no shared cipher"), "no_shared_cipher")
	})
	t.Run("plain HTTP to TLS port", func(t *testing.T) {
		sendPlainHTTP(t, n.addr(0))
		expectCause(t, "nginx", "plain HTTP request", n.logLine(t, "plain HTTP"), "http_to_tls_port")
	})
	t.Run("self-signed upstream", func(t *testing.T) {
		sendPlainHTTP(t, n.addr(2))
		expectCause(t, "nginx", "self-signed upstream certificate", n.logLine(t, "upstream SSL certificate verify error"), "cert_self_signed")
	})
}

// nginxProc is an nginx started in the foreground with its own prefix.
type nginxProc struct {
	ports   []int
	errLog  string
	cmd     *exec.Cmd
	waitErr chan error
}

func (n *nginxProc) addr(i int) string { return fmt.Sprintf("127.0.0.1:%d", n.ports[i]) }

// logLine waits for the error log line containing substr and returns it.
func (n *nginxProc) logLine(t *testing.T, substr string) string {
	t.Helper()
	var line string
	waitFor(func() bool {
		data, _ := os.ReadFile(n.errLog)
		for _, l := range strings.Split(string(data), "\n") {
			if strings.Contains(l, substr) {
				line = l
				return true
			}
		}
		return false
	})
	if line == "" {
		data, _ := os.ReadFile(n.errLog)
		t.Fatalf("nginx logged no line with %q:\n%s", substr, data)
	}
	return line
}

// startNginx writes a configuration whose http block holds servers(ports)
// for count free ports and runs nginx in the foreground without a master
// process.
func startNginx(t *testing.T, count int, servers func(ports []int) string) *nginxProc {
	t.Helper()
	dir := t.TempDir()
	n := &nginxProc{errLog: filepath.Join(dir, "error.log"), waitErr: make(chan error, 1)}
	for range count {
		n.ports = append(n.ports, peertest.FreePort(t))
	}
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %s/nginx.pid;
error_log %s info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %s/body;
    proxy_temp_path %s/proxy;
    fastcgi_temp_path %s/fastcgi;
    uwsgi_temp_path %s/uwsgi;
    scgi_temp_path %s/scgi;
%s
}
`, dir, n.errLog, dir, dir, dir, dir, dir, servers(n.ports))
	confFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
	}
	var out bytes.Buffer
	n.cmd = exec.Command(bin, "-p", dir, "-c", confFile, "-e", n.errLog)
	n.cmd.Stdout, n.cmd.Stderr = &out, &out
	n.cmd.WaitDelay = 2 * time.Second
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { n.waitErr <- n.cmd.Wait() }()
	t.Cleanup(func() {
		n.cmd.Process.Kill()
		<-n.waitErr
	})
	for _, p := range n.ports {
		if !waitFor(func() bool {
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p), time.Second)
			if err == nil {
				c.Close()
			}
			return err == nil
		}) {
			data, _ := os.ReadFile(n.errLog)
			t.Fatalf("nginx does not listen on %d:\n%s\n%s", p, out.String(), data)
		}
	}
	return n
}

// TestHAProxyFailuresExplained provokes failures on a real HAProxy TLS
// frontend and explains the connection-error lines of its log.
func TestHAProxyFailuresExplained(t *testing.T) {
	peertest.Require(t, "haproxy", "openssl")
	pki := peertest.NewPKI(t)
	combined := filepath.Join(t.TempDir(), "rsa-combined.pem")
	cert, _ := os.ReadFile(pki.RSA.CertFile)
	key, _ := os.ReadFile(pki.RSA.KeyFile)
	if err := os.WriteFile(combined, append(cert, key...), 0o600); err != nil {
		t.Fatal(err)
	}
	h := startHAProxyTLS(t, combined, pki.CACertFile)

	t.Run("protocol version", func(t *testing.T) {
		peertest.RunOpenSSLClient(t, h.addr, "", "-tls1_2")
		// HAProxy's log line names no reason: the generic cause is all
		// that can honestly be said.
		expectCause(t, "HAProxy", "TLS 1.2 client, TLS 1.3-only frontend", h.logLine(t, "SSL handshake failure"), "tls_handshake_failed")
	})
	t.Run("closed during handshake", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", h.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		// The first bytes of a ClientHello record header, then nothing.
		conn.Write([]byte{0x16, 0x03, 0x01})
		conn.Close()
		expectCause(t, "HAProxy", "client gone mid-handshake", h.logLine(t, "during SSL handshake"), "unexpected_eof")
	})
	t.Run("untrusted client certificate", func(t *testing.T) {
		fault := newFaultPKI(t)
		peertest.RunOpenSSLClient(t, h.mtlsAddr, "GET / HTTP/1.0\r\n\r\n", "-cert", fault.selfSigned.cert, "-key", fault.selfSigned.key)
		expectCause(t, "HAProxy", "client certificate from an unknown CA", h.logLine(t, "tls/1: SSL client"), "client_cert_untrusted")
	})
}

type haproxyProc struct {
	addr     string
	mtlsAddr string
	mu       sync.Mutex
	out      bytes.Buffer
}

func (h *haproxyProc) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.out.Write(p)
}

func (h *haproxyProc) output() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.out.String()
}

func (h *haproxyProc) logLine(t *testing.T, substr string) string {
	t.Helper()
	var line string
	waitFor(func() bool {
		for _, l := range strings.Split(h.output(), "\n") {
			if strings.Contains(l, substr) {
				line = l
				return true
			}
		}
		return false
	})
	if line == "" {
		t.Fatalf("haproxy logged no line with %q:\n%s", substr, h.output())
	}
	return line
}

// startHAProxyTLS runs HAProxy with a TLS 1.3-only frontend that logs to
// standard output.
// The second frontend (mtlsAddr) asks for a client certificate from caFile.
func startHAProxyTLS(t *testing.T, combinedPEM, caFile string) *haproxyProc {
	t.Helper()
	h := &haproxyProc{addr: fmt.Sprintf("127.0.0.1:%d", peertest.FreePort(t)), mtlsAddr: fmt.Sprintf("127.0.0.1:%d", peertest.FreePort(t))}
	cfg := fmt.Sprintf(`global
    log stdout format raw local0 info

defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend tls
    bind %s ssl crt %s ssl-min-ver TLSv1.3
    http-request return status 200 content-type text/plain string ok

frontend mtls
    bind %s ssl crt %s ca-file %s verify required
    http-request return status 200 content-type text/plain string ok
`, h.addr, combinedPEM, h.mtlsAddr, combinedPEM, caFile)
	runHAProxy(t, h, cfg)
	return h
}

// runHAProxy starts HAProxy with cfg, its output going to h, and waits
// until h.addr accepts connections.
func runHAProxy(t *testing.T, h *haproxyProc, cfg string) {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		bin = "/usr/sbin/haproxy"
	}
	cfgFile := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", cfgFile)
	cmd.Stdout, cmd.Stderr = h, h
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	if !waitFor(func() bool {
		c, err := net.DialTimeout("tcp", h.addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatalf("haproxy does not listen on %s:\n%s", h.addr, h.output())
	}
}
