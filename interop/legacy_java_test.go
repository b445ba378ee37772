package interop

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// runJavaClient runs testdata/LegacyClient.java once with one target per
// element of targets (PROTOCOL,SUITE,HOST:PORT) and returns the line it
// printed for each.
func runJavaClient(t *testing.T, pki *peertest.PKI, targets []string) []string {
	t.Helper()
	args := append([]string{"-Djava.security.properties=" + javaLegacyProps(t), filepath.Join("testdata", "LegacyClient.java"), pki.CACertFile}, targets...)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	raw, err := exec.CommandContext(ctx, "java", args...).CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if err != nil || len(lines) != len(targets) {
		t.Fatalf("java: %v\n%s", err, raw)
	}
	return lines
}

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
	var targets []string
	var waits []<-chan serverResult
	for _, c := range cases {
		addr, results, _ := startCountingClaspServer(t, oldServerConfig(pki, c.v, c.suite))
		targets = append(targets, c.javaProt+","+c.javaName+","+addr)
		waits = append(waits, results)
	}
	lines := runJavaClient(t, pki, targets)
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

// javaClientCases: RC4, DH_anon, ECDH_anon and DHE_DSS with JSSE as the
// client. JSSE 17 still has every one of these suites (they are in
// SSLContext's getSupportedCipherSuites(), behind jdk.tls.disabledAlgorithms).
// Unlike signing (see javaServerCases), JSSE verifies a bare SHA-1 DSA
// signature from the 2048-bit key with its 224-bit q; SSL 3.0 is run with
// the 160-bit q key as well.
var javaClientCases = []javaCase{
	{clasp.VersionSSL30, "SSLv3", "SSL_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_RC4_128_SHA", "rsa", 0},
	{clasp.VersionTLS10, "TLSv1", "SSL_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_RC4_128_SHA", "rsa", 0},
	{clasp.VersionTLS11, "TLSv1.1", "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "ecdsa", 0},
	{clasp.VersionTLS12, "TLSv1.2", "SSL_RSA_WITH_RC4_128_MD5", "TLS_RSA_WITH_RC4_128_MD5", "rsa", 0},
	{clasp.VersionTLS12, "TLSv1.2", "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "rsa", 0},
	{clasp.VersionSSL30, "SSLv3", "SSL_DH_anon_WITH_3DES_EDE_CBC_SHA", "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", "none", 0},
	{clasp.VersionTLS10, "TLSv1", "TLS_DH_anon_WITH_AES_128_CBC_SHA", "TLS_DH_anon_WITH_AES_128_CBC_SHA", "none", 0},
	{clasp.VersionTLS11, "TLSv1.1", "TLS_DH_anon_WITH_AES_256_CBC_SHA", "TLS_DH_anon_WITH_AES_256_CBC_SHA", "none", 0},
	{clasp.VersionTLS12, "TLSv1.2", "TLS_DH_anon_WITH_AES_128_GCM_SHA256", "TLS_DH_anon_WITH_AES_128_GCM_SHA256", "none", 0},
	{clasp.VersionTLS10, "TLSv1", "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", "none", 0},
	{clasp.VersionTLS12, "TLSv1.2", "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", "none", 0},
	{clasp.VersionTLS11, "TLSv1.1", "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA", "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA", "none", 0},
	{clasp.VersionSSL30, "SSLv3", "SSL_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "dsa1024", 0},
	{clasp.VersionSSL30, "SSLv3", "SSL_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "dsa", 0},
	{clasp.VersionTLS10, "TLSv1", "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", "dsa", 0},
	{clasp.VersionTLS11, "TLSv1.1", "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", "dsa", 0},
	{clasp.VersionTLS12, "TLSv1.2", "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", "dsa", clasp.DSAWithSHA256},
}

// javaClientServerConfig is the clasp server for one javaClientCases entry.
func javaClientServerConfig(pki *peertest.PKI, dsa map[string]clasp.Certificate, c javaCase) *clasp.Config {
	cfg := dssServerConfig(clasp.Certificate{}, dssCase{v: c.v, iana: c.iana, scheme: c.scheme})
	switch c.key {
	case "rsa":
		cfg.Certificates = []clasp.Certificate{claspCert(pki.RSA)}
	case "ecdsa":
		cfg.Certificates = []clasp.Certificate{claspCert(pki.ECDSA)}
	case "dsa", "dsa1024":
		cfg.Certificates = []clasp.Certificate{dsa[c.key]}
	}
	return cfg
}

func TestLegacyJavaClientRC4AnonDSSToClaspServer(t *testing.T) {
	peertest.Require(t, "java")
	pki := peertest.NewPKI(t)
	_, dsa2048 := dsaLeaf(t, pki)
	_, dsa1024 := dsaLeafQ160(t, pki)
	dsa := map[string]clasp.Certificate{"dsa": dsa2048, "dsa1024": dsa1024}
	var targets []string
	var waits []<-chan serverResult
	for _, c := range javaClientCases {
		addr, results, _ := startCountingClaspServer(t, javaClientServerConfig(pki, dsa, c))
		targets = append(targets, c.javaProt+","+c.javaName+","+addr)
		waits = append(waits, results)
	}
	lines := runJavaClient(t, pki, targets)
	for i, c := range javaClientCases {
		t.Run(c.name(), func(t *testing.T) {
			want := "OK " + c.javaProt + " " + c.javaName + " clasp echo: hello from java"
			if lines[i] != want {
				t.Errorf("java: %q, want %q", lines[i], want)
			}
			res := checkLegacyServer(t, waits[i], c.v, c.iana, "hello from java")
			checkJavaPeerState(t, "server", res.state, c)
		})
	}
}
