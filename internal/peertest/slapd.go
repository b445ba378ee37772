package peertest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// StartSlapd starts OpenLDAP's slapd, a real LDAP server, answering the
// StartTLS extended operation (RFC 4511 §4.14) with the leaf's certificate
// (tls true) or with no TLS configured, so that it refuses StartTLS. It
// serves no database: StartTLS is the front end's.
func StartSlapd(t testing.TB, leaf *Leaf, tls bool) *Process {
	t.Helper()
	Require(t, "slapd")
	dir := t.TempDir()
	conf := filepath.Join(dir, "slapd.conf")
	c := fmt.Sprintf("pidfile %s\nargsfile %s\n", filepath.Join(dir, "slapd.pid"), filepath.Join(dir, "slapd.args"))
	if tls {
		c += fmt.Sprintf("TLSCertificateFile %s\nTLSCertificateKeyFile %s\n", leaf.ChainFile, leaf.KeyFile)
	}
	if err := os.WriteFile(conf, []byte(c), 0o600); err != nil {
		t.Fatalf("peertest: writing slapd.conf: %v", err)
	}
	return startServer(t, "slapd", nil, func(port int) []string {
		// -d keeps slapd in the foreground; level 0 logs nothing more.
		return []string{"-d", "0", "-f", conf, "-h", fmt.Sprintf("ldap://127.0.0.1:%d/", port)}
	})
}
