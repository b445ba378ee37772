package scan

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// The real clients installed on the test machine, each run the same way to
// capture its ClientHello (clients_capture_test.go) and to check the client
// simulation against what it really does (simulate_peers_test.go).

// realOutcome is what a real client reported about one handshake.
type realOutcome struct {
	ok      bool
	version suites.Version
	// suite is 0 when the client does not print one.
	suite suites.ID
	// detail is the client's line about the handshake or its error.
	detail string
}

func (o realOutcome) String() string {
	if !o.ok {
		return "fails (" + o.detail + ")"
	}
	if o.suite == 0 {
		return fmt.Sprintf("connects %v", o.version)
	}
	return fmt.Sprintf("connects %v %v", o.version, o.suite)
}

// realClient is one installed client and how to run it against servers.
type realClient struct {
	// profile is the ID of the captured profile (scan/clients/ID.json).
	profile string
	// binaries must be installed (peertest.Require).
	binaries []string
	// version reports the installed client's version, recorded in the
	// profile.
	version func(t *testing.T) string
	// command is how the client is run, recorded in the profile.
	command string
	// run runs the client against each target ("localhost:PORT", served
	// on 127.0.0.1) with SNI and verification for "localhost" against the
	// peertest PKI's CA, and returns one outcome per target.
	run func(t *testing.T, targets []string) []realOutcome
}

func realClients() []realClient {
	return []realClient{
		{profile: "curl-openssl-3.0-captured", binaries: []string{"curl"}, version: firstLine("curl", "--version"),
			command: "curl -sS -v --cacert CA.pem --resolve localhost:PORT:127.0.0.1 https://localhost:PORT/", run: perTarget(runCurl)},
		{profile: "openssl-s_client-3.0-captured", binaries: []string{"openssl"}, version: firstLine("openssl", "version"),
			command: "openssl s_client -connect 127.0.0.1:PORT -servername localhost -CAfile CA.pem -verify_return_error -verify_hostname localhost -ign_eof", run: perTarget(runSClient)},
		{profile: "gnutls-cli-captured", binaries: []string{"gnutls-cli"}, version: firstLine("gnutls-cli", "--version"),
			command: "gnutls-cli -p PORT 127.0.0.1 --x509cafile CA.pem --sni-hostname localhost --verify-hostname localhost", run: perTarget(runGnuTLSCLI)},
		{profile: "nss-tstclnt-captured", binaries: []string{"tstclnt"}, version: nssVersion,
			command: "tstclnt -h 127.0.0.1 -p PORT -d sql:DB -a localhost -A REQUEST -v", run: perTarget(runTstclnt)},
		{profile: "java-17-captured", binaries: []string{"java"}, version: javaVersion,
			command: "java scan/testdata/clients/Handshake.java CA.pem localhost:PORT", run: scriptClient("java", "Handshake.java")},
		{profile: "node-captured", binaries: []string{"node"}, version: firstLine("node", "-p", `"node " + process.version + " OpenSSL " + process.versions.openssl`),
			command: "node scan/testdata/clients/handshake.js CA.pem localhost:PORT", run: scriptClient("node", "handshake.js")},
		{profile: "python-ssl-captured", binaries: []string{"python3"}, version: firstLine("python3", "-c", "import ssl, sys; print('Python', sys.version.split()[0], ssl.OPENSSL_VERSION)"),
			command: "python3 scan/testdata/clients/handshake.py CA.pem localhost:PORT", run: scriptClient("python3", "handshake.py")},
		{profile: "go-crypto-tls-captured", version: func(*testing.T) string { return runtime.Version() },
			command: "crypto/tls Dial with a Config holding only RootCAs and ServerName (the defaults)", run: perTarget(runCryptoTLS)},
	}
}

func firstLine(bin string, args ...string) func(t *testing.T) string {
	return func(t *testing.T) string {
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("%s version: %v", bin, err)
		}
		line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return line
	}
}

func nssVersion(t *testing.T) string {
	return peertest.PeerVersions()["nss"]
}

func javaVersion(t *testing.T) string {
	out, err := exec.Command("java", "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("java -version: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > 1 {
		return strings.TrimSpace(lines[1])
	}
	return lines[0]
}

func perTarget(one func(t *testing.T, target string) realOutcome) func(*testing.T, []string) []realOutcome {
	return func(t *testing.T, targets []string) []realOutcome {
		var out []realOutcome
		for _, target := range targets {
			out = append(out, one(t, target))
		}
		return out
	}
}

const httpRequest = "GET / HTTP/1.0\r\n\r\n"

// OpenSSL names TLS 1.0 "TLSv1", without ".0".
var curlUsing = regexp.MustCompile(`SSL connection using (TLSv1(?:\.[0-3])?|SSLv3) / (\S+)`)

func runCurl(t *testing.T, target string) realOutcome {
	_, port, _ := net.SplitHostPort(target)
	out, err := peertest.RunCurl(t, "https://"+target+"/", "-v", "--resolve", "localhost:"+port+":127.0.0.1")
	return outcomeFrom(out, err, curlUsing)
}

var sclientProtocol = regexp.MustCompile(`Protocol\s*:\s*(TLSv1(?:\.[0-3])?|SSLv3)[\s\S]*?Cipher\s*:\s*(\S+)`)

func runSClient(t *testing.T, target string) realOutcome {
	_, port, _ := net.SplitHostPort(target)
	out, err := peertest.RunOpenSSLClient(t, "127.0.0.1:"+port, httpRequest, "-ign_eof")
	o := outcomeFrom(out, err, sclientProtocol)
	if o.ok && o.suite == 0 {
		// "Cipher is (NONE)": no handshake.
		o.ok = false
	}
	return o
}

var gnutlsDescription = regexp.MustCompile(`- Description: \((TLS1\.[0-3]|SSL3\.0)-`)

func runGnuTLSCLI(t *testing.T, target string) realOutcome {
	_, port, _ := net.SplitHostPort(target)
	out, err := peertest.RunGnuTLSClient(t, "127.0.0.1:"+port, httpRequest)
	o := outcomeFrom(out, err, gnutlsDescription)
	if !strings.Contains(out, "Handshake was completed") {
		o.ok = false
	}
	return o
}

var tstclntVersion = regexp.MustCompile(`SSL version (3\.[0-4])`)

func runTstclnt(t *testing.T, target string) realOutcome {
	_, port, _ := net.SplitHostPort(target)
	out, err := peertest.RunNSSClient(t, "127.0.0.1:"+port, httpRequest, "-v")
	o := outcomeFrom(out, err, tstclntVersion)
	if o.ok && !strings.Contains(out, "HTTP/1.0 200") {
		o.ok, o.detail = false, lastLine(out)
	}
	return o
}

func runCryptoTLS(t *testing.T, target string) realOutcome {
	pool := peertest.NewPKI(t).CAPool
	_, port, _ := net.SplitHostPort(target)
	d := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", "127.0.0.1:"+port, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		return realOutcome{detail: err.Error()}
	}
	defer conn.Close()
	st := conn.ConnectionState()
	return realOutcome{ok: true, version: suites.Version(st.Version), suite: suites.ID(st.CipherSuite), detail: "handshake completed"}
}

// scriptClient runs one of the programs in testdata/clients, which take the
// CA file and the targets and print "OK PROTOCOL SUITE" or "FAIL why" per
// target.
func scriptClient(bin, script string) func(*testing.T, []string) []realOutcome {
	return func(t *testing.T, targets []string) []realOutcome {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		args := append([]string{filepath.Join("testdata", "clients", script), peertest.NewPKI(t).CACertFile}, targets...)
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Stderr = os.Stderr
		raw, err := cmd.Output()
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		if err != nil || len(lines) != len(targets) {
			t.Fatalf("%s %s: %v; output:\n%s", bin, script, err, raw)
		}
		var out []realOutcome
		for _, line := range lines {
			out = append(out, parseScriptLine(line))
		}
		return out
	}
}

func parseScriptLine(line string) realOutcome {
	fields := strings.Fields(line)
	if len(fields) < 3 || fields[0] != "OK" {
		return realOutcome{detail: strings.TrimPrefix(line, "FAIL ")}
	}
	o := realOutcome{ok: true, detail: line}
	o.version, _ = suites.ParseVersion(fields[1])
	if s, ok := suites.SuiteByName(fields[2]); ok {
		o.suite = s.ID
	}
	return o
}

// outcomeFrom reads a command-line client's result: success when it exited
// 0 and printed the line re names; the version is re's first group, the
// suite its second when it has one.
func outcomeFrom(out string, err error, re *regexp.Regexp) realOutcome {
	m := re.FindStringSubmatch(out)
	if err != nil || m == nil {
		detail := lastLine(out)
		if err != nil {
			detail = err.Error() + ": " + detail
		}
		return realOutcome{detail: detail}
	}
	o := realOutcome{ok: true, detail: m[0]}
	o.version = parseClientVersion(m[1])
	if len(m) > 2 {
		if s, ok := suites.SuiteByName(m[2]); ok {
			o.suite = s.ID
		}
	}
	return o
}

// parseClientVersion reads "TLSv1.3", "TLS1.2", "SSL3.0" and NSS's "3.4".
func parseClientVersion(s string) suites.Version {
	if s == "TLSv1" {
		return suites.VersionTLS10
	}
	if strings.HasPrefix(s, "3.") {
		return suites.Version(0x0300 + uint16(s[2]-'0'))
	}
	v, _ := suites.ParseVersion(s)
	return v
}

func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
