package peertest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// XMPPDomain is the one domain StartProsody's server hosts.
const XMPPDomain = "localhost"

// StartProsody starts Prosody, a real XMPP server, for the domain
// XMPPDomain with the leaf's certificate, so that it offers STARTTLS in its
// stream features (RFC 6120 §5), or with no certificate (tls false), so
// that it does not. Only client-to-server streams are served.
func StartProsody(t testing.TB, leaf *Leaf, tls bool) *Process {
	t.Helper()
	Require(t, "prosody")
	dir := t.TempDir()
	// An empty certificates directory, so that Prosody finds nothing of
	// the system's (Debian puts a localhost certificate in /etc/prosody).
	for _, sub := range []string{"data", "certs"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatalf("peertest: %v", err)
		}
	}
	host := fmt.Sprintf("VirtualHost %q\n", XMPPDomain)
	// Without a certificate Prosody still offers STARTTLS (hoping for SNI
	// to pick one), so the server without TLS is one without mod_tls; it
	// must then also allow plain streams, or it has no features to offer
	// and ends the stream instead.
	modules := `modules_enabled = { "tls" }
modules_disabled = { "s2s", "offline" }`
	if tls {
		host += fmt.Sprintf("  ssl = { certificate = %q, key = %q }\n", leaf.ChainFile, leaf.KeyFile)
	} else {
		modules = `modules_enabled = { "saslauth" }
modules_disabled = { "s2s", "offline", "tls" }
c2s_require_encryption = false`
	}
	conf := filepath.Join(dir, "prosody.cfg.lua")
	return startServer(t, "prosody", nil, func(port int) []string {
		// run_as_root: as root Prosody would switch to its own user, who
		// cannot read the test's files.
		c := fmt.Sprintf(`run_as_root = true
pidfile = %q
data_path = %q
certificates = %q
plugin_paths = {}
log = { { levels = { min = "info" }, to = "console" } }
%s
c2s_ports = { %d }
c2s_interfaces = { "127.0.0.1" }
c2s_direct_tls_ports = {}
s2s_ports = {}
component_ports = {}
http_ports = {}
https_ports = {}
%s`, filepath.Join(dir, "prosody.pid"), filepath.Join(dir, "data"), filepath.Join(dir, "certs"), modules, port, host)
		if err := os.WriteFile(conf, []byte(c), 0o600); err != nil {
			t.Fatalf("peertest: writing prosody.cfg.lua: %v", err)
		}
		// -F: stay in the foreground.
		return []string{"--config", conf, "-F"}
	})
}
