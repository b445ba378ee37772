package interop

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// javaLegacyProps writes the test-only security properties file that
// empties jdk.tls.disabledAlgorithms, which in Java 17 lists SSLv3, TLSv1,
// TLSv1.1, RC4, DES, 3DES_EDE_CBC, anon and NULL. It is passed with
// -Djava.security.properties and affects that one java run only.
func javaLegacyProps(t *testing.T) string {
	t.Helper()
	props := filepath.Join(t.TempDir(), "legacy.security")
	if err := os.WriteFile(props, []byte("jdk.tls.disabledAlgorithms=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return props
}

// javaCase is one protocol and suite with one server key, run by
// LegacyServer.java or LegacyClient.java against a clasp side that names
// the same version and suite.
type javaCase struct {
	v        uint16
	javaProt string
	javaName string // JSSE's suite name (SSL_ prefix for the oldest)
	iana     string
	key      string // "rsa", "ecdsa", "dsa" (2048-bit), "dsa1024" or "none" (anonymous)
	scheme   clasp.SignatureScheme
}

func (c javaCase) name() string { return clasp.VersionName(c.v) + "/" + c.iana }

// javaServerCases cover each version JSSE 17 still speaks (SSL 3.0 to
// TLS 1.2), each legacy cipher family (3DES, RC4, NULL) and the DHE_DSS and
// anonymous key exchanges, with JSSE as the server.
var javaServerCases = []javaCase{
	{clasp.VersionSSL30, "SSLv3", "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", "rsa", 0},
	{clasp.VersionSSL30, "SSLv3", "SSL_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "rsa", 0},
	{clasp.VersionSSL30, "SSLv3", "SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", "rsa", 0},
	{clasp.VersionTLS10, "TLSv1", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "rsa", 0},
	{clasp.VersionTLS10, "TLSv1", "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", "ecdsa", 0},
	{clasp.VersionTLS10, "TLSv1", "SSL_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_RC4_128_SHA", "rsa", 0},
	{clasp.VersionTLS11, "TLSv1.1", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "rsa", 0},
	{clasp.VersionTLS11, "TLSv1.1", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "rsa", 0},
	{clasp.VersionTLS11, "TLSv1.1", "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "rsa", 0},
	{clasp.VersionTLS12, "TLSv1.2", "SSL_RSA_WITH_NULL_SHA", "TLS_RSA_WITH_NULL_SHA", "rsa", 0},
	{clasp.VersionTLS12, "TLSv1.2", "TLS_RSA_WITH_NULL_SHA256", "TLS_RSA_WITH_NULL_SHA256", "rsa", 0},
	{clasp.VersionTLS12, "TLSv1.2", "TLS_ECDHE_ECDSA_WITH_NULL_SHA", "TLS_ECDHE_ECDSA_WITH_NULL_SHA", "ecdsa", 0},
	{clasp.VersionTLS12, "TLSv1.2", "SSL_RSA_WITH_RC4_128_MD5", "TLS_RSA_WITH_RC4_128_MD5", "rsa", 0},
	// Before TLS 1.2 DSA signs a bare SHA-1 hash (RFC 2246 §7.4.3), which
	// Java 17 does only when q has at most 160 bits: with a 224-bit q (the
	// 2048-bit key, and OpenSSL 3's 1024-bit one) LegacyServer.java fails
	// the handshake with "SSLException: Unsupported signature algorithm:
	// DSA", its SHA1withDSA signer refusing the key with "The security
	// strength of SHA-1 digest algorithm is not sufficient for this key
	// size". These cases use a 1024-bit key with a 160-bit q.
	{clasp.VersionTLS10, "TLSv1", "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", "dsa1024", 0},
	{clasp.VersionTLS11, "TLSv1.1", "SSL_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "dsa1024", 0},
	{clasp.VersionTLS12, "TLSv1.2", "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", "dsa", clasp.DSAWithSHA256},
	{clasp.VersionSSL30, "SSLv3", "SSL_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "dsa1024", 0},
	{clasp.VersionSSL30, "SSLv3", "SSL_DH_anon_WITH_3DES_EDE_CBC_SHA", "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", "none", 0},
	{clasp.VersionTLS12, "TLSv1.2", "TLS_DH_anon_WITH_AES_128_CBC_SHA", "TLS_DH_anon_WITH_AES_128_CBC_SHA", "none", 0},
	{clasp.VersionTLS11, "TLSv1.1", "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA", "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA", "none", 0},
	{clasp.VersionTLS10, "TLSv1", "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", "none", 0},
}

// javaServer is a running LegacyServer.java: the port of each target and
// the line it printed for each ("OK ..." or "FAIL ...").
type javaServer struct {
	ports   []int
	results map[int]chan string
}

// startJavaServer runs LegacyServer.java with one target per case and waits
// until every socket listens.
func startJavaServer(t *testing.T, targets []string) *javaServer {
	t.Helper()
	args := append([]string{"-Djava.security.properties=" + javaLegacyProps(t), filepath.Join("testdata", "LegacyServer.java")}, targets...)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	cmd := exec.CommandContext(ctx, "java", args...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	js := &javaServer{ports: make([]int, len(targets)), results: map[int]chan string{}}
	for i := range targets {
		js.results[i] = make(chan string, 1)
	}
	ready := make(chan error, 1)
	go js.read(bufio.NewScanner(stdout), ready)
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("LegacyServer.java: %v", err)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("LegacyServer.java did not start listening")
	}
	return js
}

// read takes LegacyServer.java's output line by line: LISTEN lines until
// READY (reported on ready), then one OK or FAIL line per target.
func (js *javaServer) read(sc *bufio.Scanner, ready chan<- error) {
	started := false
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), " ", 3)
		if len(f) == 1 && f[0] == "READY" && !started {
			started = true
			ready <- nil
			continue
		}
		if len(f) < 3 {
			continue
		}
		i, err := strconv.Atoi(f[1])
		if err != nil || i < 0 || i >= len(js.ports) {
			continue
		}
		if f[0] == "LISTEN" {
			js.ports[i], _ = strconv.Atoi(f[2])
		} else {
			js.results[i] <- f[0] + " " + f[2]
		}
	}
	if !started {
		ready <- fmt.Errorf("output ended before READY (read error: %v); its stderr is in the test log", sc.Err())
	}
}

// result waits for the line LegacyServer.java printed for target i.
func (js *javaServer) result(t *testing.T, i int) string {
	t.Helper()
	select {
	case line := <-js.results[i]:
		return line
	case <-time.After(30 * time.Second):
		t.Fatalf("LegacyServer.java printed nothing for target %d", i)
		return ""
	}
}

// javaServerTarget spells one case as LegacyServer.java's argument.
func javaServerTarget(pki *peertest.PKI, dsa map[string]*peertest.Leaf, c javaCase) string {
	switch c.key {
	case "rsa":
		return strings.Join([]string{c.javaProt, c.javaName, "RSA", pki.RSA.ChainFile, pki.RSA.KeyFile}, ",")
	case "ecdsa":
		return strings.Join([]string{c.javaProt, c.javaName, "EC", pki.ECDSA.ChainFile, pki.ECDSA.KeyFile}, ",")
	case "dsa", "dsa1024":
		return strings.Join([]string{c.javaProt, c.javaName, "DSA", dsa[c.key].CertFile, dsa[c.key].KeyFile}, ",")
	}
	return c.javaProt + "," + c.javaName + ",none"
}

// Java 17's JSSE as the server, clasp as the client, for SSL 3.0 to TLS 1.2
// with 3DES, RC4 and NULL, and for DHE_DSS and DH_anon/ECDH_anon. One JVM
// serves every case, each on its own socket enabling one protocol and one
// suite.
func TestLegacyClaspClientToJavaServer(t *testing.T) {
	peertest.Require(t, "java")
	pki := peertest.NewPKI(t)
	dsa2048, _ := dsaLeaf(t, pki)
	dsa1024, _ := dsaLeafQ160(t, pki)
	dsa := map[string]*peertest.Leaf{"dsa": dsa2048, "dsa1024": dsa1024}
	var targets []string
	for _, c := range javaServerCases {
		targets = append(targets, javaServerTarget(pki, dsa, c))
	}
	js := startJavaServer(t, targets)
	for i, c := range javaServerCases {
		t.Run(c.name(), func(t *testing.T) {
			id, _ := suites.SuiteByName(c.iana)
			cfg := oldClientConfig(pki, c.v, uint16(id.ID))
			if c.scheme != 0 {
				cfg.SignatureSchemes = []clasp.SignatureScheme{c.scheme}
			}
			var javaSaid string
			t.Cleanup(func() {
				if t.Failed() && javaSaid == "" {
					t.Logf("LegacyServer.java: %s", js.result(t, i))
				}
			})
			page, state, recs := claspOldGet(t, "127.0.0.1:"+strconv.Itoa(js.ports[i]), cfg)
			if want := "java echo: GET / HTTP/1.0\n"; page != want {
				t.Errorf("java answered %q, want %q", page, want)
			}
			javaSaid = js.result(t, i)
			if want := "OK " + c.javaProt + " " + c.javaName + " GET / HTTP/1.0"; javaSaid != want {
				t.Errorf("LegacyServer.java: %q, want %q", javaSaid, want)
			}
			checkJavaPeerState(t, "client", state, c)
			wantSplit(t, c.v, isCBC(c.iana), recs)
		})
	}
}

// checkJavaPeerState checks one clasp side of a connection with Java: the
// version and suite, the version's warning below TLS 1.2, the suite's own
// warning when it is weak, and for DHE_DSS and anonymous suites the
// certificate (or its absence) and the signature scheme.
func checkJavaPeerState(t *testing.T, side string, st clasp.ConnectionState, c javaCase) {
	t.Helper()
	if strings.HasPrefix(c.key, "dsa") || c.key == "none" {
		checkDSSState(t, side, st, dssCase{v: c.v, iana: c.iana, scheme: c.scheme})
	} else if st.Version != c.v || suites.ID(st.CipherSuite).String() != c.iana {
		t.Errorf("%s negotiated %s %s", side, clasp.VersionName(st.Version), st.CipherSuiteName)
	}
	switch {
	case c.v == clasp.VersionSSL30:
		wantWarning(t, side, st, "SSL 3.0 is prohibited (RFC 7568)")
	case c.v < clasp.VersionTLS12:
		wantWarning(t, side, st, "is deprecated (RFC 8996)")
	}
	if s, ok := suites.SuiteByName(c.iana); !ok {
		t.Fatalf("no suite %s", c.iana)
	} else if weak, _ := s.IsWeak(); weak {
		wantWarning(t, side, st, c.iana+":")
	}
}
