package peertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// aptPackages maps each peer binary to the Debian package that provides it.
// test.sh carries the same table; keep the two in step.
var aptPackages = map[string]string{
	"openssl":      "openssl",
	"gnutls-serv":  "gnutls-bin",
	"gnutls-cli":   "gnutls-bin",
	"selfserv":     "libnss3-tools",
	"tstclnt":      "libnss3-tools",
	"certutil":     "libnss3-tools",
	"pk12util":     "libnss3-tools",
	"curl":         "curl",
	"haproxy":      "haproxy",
	"redis-server": "redis-server",
	"tshark":       "tshark",
	// The scanner's accuracy tests scan a realistic nginx and compare
	// with sslscan; diagnosis and explain tests run Java's JSSE.
	// testssl.sh's client list (/etc/testssl/client-simulation.txt) is
	// the source of the published client profiles, checked in
	// scan/clients_testssl_test.go; its scanner is compared with clasp
	// scan only when CLASP_TESTSSL=1 (minutes per server).
	"nginx":   "nginx",
	"sslscan": "sslscan",
	"testssl": "testssl.sh",
	"java":    "default-jdk-headless",
	// The Mermaid check in trace/diagram_test.go runs Mermaid's own
	// parser under node.
	"node": "nodejs",
	"npm":  "npm",
	// STARTTLS servers beyond nginx's mail proxy (internal/starttls):
	// FTP, LDAP, XMPP and PostgreSQL, whose programs are off PATH.
	"vsftpd":                              "vsftpd",
	"slapd":                               "slapd",
	"prosody":                             "prosody",
	"/usr/lib/postgresql/15/bin/postgres": "postgresql",
	"/usr/lib/postgresql/15/bin/initdb":   "postgresql",
}

// InCI reports whether the tests run under CI (CI=true, as CI services and
// .ci/run set it). There a missing peer fails the test instead of skipping
// it, so that a broken install cannot turn the interop suite silently green.
func InCI() bool {
	switch strings.ToLower(os.Getenv("CI")) {
	case "true", "1", "yes":
		return true
	}
	return false
}

// Require makes sure the named binaries exist. If any is missing it fails
// the test under CI (see InCI) and skips it otherwise, naming the apt
// packages to install.
func Require(t testing.TB, binaries ...string) {
	t.Helper()
	var missing []string
	pkgs := map[string]bool{}
	for _, b := range binaries {
		if _, err := lookPath(b); err != nil {
			missing = append(missing, b)
			if p, ok := aptPackages[b]; ok {
				pkgs[p] = true
			}
		}
	}
	if len(missing) == 0 {
		return
	}
	var list []string
	for p := range pkgs {
		list = append(list, p)
	}
	sort.Strings(list)
	msg := "peertest: missing peer binaries " + strings.Join(missing, ", ")
	if len(list) > 0 {
		msg += " (install: apt-get install " + strings.Join(list, " ") + "; ./test.sh does this)"
	}
	if InCI() {
		t.Fatal(msg + " — a missing peer is a failure under CI=true")
		return
	}
	t.Skip(msg)
}

// lookPath is exec.LookPath that also searches the sbin directories, because
// Debian installs some peers (haproxy) in /usr/sbin, which is not on an
// ordinary user's PATH.
func lookPath(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		cand := filepath.Join(dir, name)
		if st, serr := os.Stat(cand); serr == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return cand, nil
		}
	}
	return "", err
}
