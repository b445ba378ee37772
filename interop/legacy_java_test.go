package interop

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// Java 17's JSSE as a client of a clasp server for SSL 3.0, TLS 1.0 and the
// legacy suites. Java 17 disables all of these by default; a test-only
// security properties file (-Djava.security.properties) empties
// jdk.tls.disabledAlgorithms for this one run. testdata/LegacyClient.java
// enables exactly one protocol and one suite per connection.
func TestLegacyJavaClientToClaspServer(t *testing.T) {
	peertest.Require(t, "java")
	pki := peertest.NewPKI(t)
	cases := []struct {
		v        uint16
		javaProt string
		javaName string // JSSE's suite name
		suite    oldSuite
	}{
		{clasp.VersionSSL30, "SSLv3", "TLS_RSA_WITH_AES_128_CBC_SHA", oldSuite{iana: "TLS_RSA_WITH_AES_128_CBC_SHA"}},
		{clasp.VersionSSL30, "SSLv3", "SSL_RSA_WITH_3DES_EDE_CBC_SHA", oldSuite{iana: "TLS_RSA_WITH_3DES_EDE_CBC_SHA"}},
		{clasp.VersionTLS10, "TLSv1", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", oldSuite{iana: "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"}},
		{clasp.VersionTLS11, "TLSv1.1", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", oldSuite{iana: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"}},
		{clasp.VersionTLS12, "TLSv1.2", "SSL_RSA_WITH_NULL_SHA", oldSuite{iana: "TLS_RSA_WITH_NULL_SHA"}},
	}
	props := filepath.Join(t.TempDir(), "legacy.security")
	if err := os.WriteFile(props, []byte("jdk.tls.disabledAlgorithms=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-Djava.security.properties=" + props, filepath.Join("testdata", "LegacyClient.java"), pki.CACertFile}
	var waits []<-chan serverResult
	for _, c := range cases {
		addr, results, _ := startCountingClaspServer(t, oldServerConfig(pki, c.v, c.suite))
		args = append(args, c.javaProt+","+c.javaName+","+addr)
		waits = append(waits, results)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	raw, err := exec.CommandContext(ctx, "java", args...).CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if err != nil || len(lines) != len(cases) {
		t.Fatalf("java: %v\n%s", err, raw)
	}
	for i, c := range cases {
		t.Run(clasp.VersionName(c.v)+"/"+c.suite.iana, func(t *testing.T) {
			want := "OK " + c.javaProt + " " + c.javaName + " clasp echo: hello from java"
			if lines[i] != want {
				t.Errorf("java: %q, want %q", lines[i], want)
			}
			checkLegacyServer(t, waits[i], c.v, c.suite.iana, "hello from java")
		})
	}
}
