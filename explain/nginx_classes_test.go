package explain

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// nginxUpstream is one location of the class nginx: a proxy_pass to a
// class server with the TLS client settings that meet its fault.
type nginxUpstream struct {
	class, want, slug, addr, ca string
	// extra holds further proxy_ssl_* directives.
	extra string
}

// nginxClassCases provokes the classes in nginx both ways. As a TLS
// client (proxy_pass https:// with proxy_ssl_verify) it meets every class
// server, and its error log names what went wrong "while SSL handshaking
// to upstream". As a TLS server it logs what clients do to it: a group or
// signature scheme it cannot meet, a missing or untrusted client
// certificate, a client that rejects its certificate, and a handshake
// without SNI on a server that requires one.
func nginxClassCases(t *testing.T, s *classServers) []classCase {
	requireProgram(t, "nginx")
	pki, cp := s.pki, s.class
	ca := pki.CACertFile
	upstreams := []nginxUpstream{
		{classGroup, "handshake_failure_alert", "group", s.group, ca, "proxy_ssl_conf_command Groups X25519;"},
		{classSigalg, "handshake_failure_alert", "sigalg", s.sigalg, ca, ""},
		{classMissingInter, "cert_issuer_unknown", "missing-inter", s.missingInter, cp.rootFile, ""},
		{classUntrustedRoot, "cert_untrusted_root", "untrusted-root", s.untrustedRoot, ca, ""},
		{classWrongEKU, "cert_wrong_purpose", "eku", s.wrongEKU, cp.caFile, ""},
		{classSHA1, "cert_weak_crypto", "sha1", s.sha1, cp.caFile, ""},
		{classWeakKey, "cert_weak_crypto", "weak-key", s.weakKey, cp.caFile, ""},
		{classRevoked, "cert_revoked", "revoked", s.revoked, ca, "proxy_ssl_crl " + s.crlFile + ";"},
		{classNotYetValid, "cert_not_yet_valid", "not-yet-valid", s.notYetValid, cp.caFile, ""},
		{classCertRequired, "client_cert_required", "cert-required", s.certRequired, ca, ""},
		{classCertOtherCA, "peer_rejected_certificate", "cert-other-ca", s.certOtherCA, ca,
			fmt.Sprintf("proxy_ssl_certificate %s; proxy_ssl_certificate_key %s;", pki.Client.CertFile, pki.Client.KeyFile)},
	}
	// Hostname and expiry upstream, which the older nginx test leaves out.
	expired := peertest.StartOpenSSLServer(t, newFaultPKI(t).expired.asLeaf(), "-www").Addr
	upstreams = append(upstreams,
		// The untrusted-root server sends its whole chain; trusting that
		// root leaves only the name wrong.
		nginxUpstream{"hostname mismatch", "cert_hostname_mismatch", "hostname", s.untrustedRoot, cp.rootFile, "proxy_ssl_name wrong.example;"},
		nginxUpstream{"expired certificate", "cert_expired", "expired", expired, newFaultPKI(t).caFile, ""})
	if s.sni != "" {
		// nginx sends no SNI upstream unless told (proxy_ssl_server_name).
		upstreams = append(upstreams, nginxUpstream{classSNIRequired, "sni_unrecognized_name", "sni", s.sni, ca, ""})
	}
	n := startNginx(t, 4, func(ports []int) string { return nginxClassConfig(ports, pki, cp, upstreams) })
	var cases []classCase
	for _, u := range upstreams {
		cases = append(cases, classCase{"upstream: " + u.class, u.want, func(t *testing.T) string {
			from := n.logSize()
			sendPlainHTTPPath(t, n.addr(0), "/"+u.slug+"/")
			return n.linesSince(t, from, `"GET /`+u.slug+`/ `)
		}})
	}
	return append(cases, nginxServerCases(n, s)...)
}

// nginxServerCases are the classes nginx logs as the TLS server: the
// client runs, then the new lines of the error log are explained.
func nginxServerCases(n *nginxProc, s *classServers) []classCase {
	pki, cp := s.pki, s.class
	client := func(addr, stdin string, args ...string) func(*testing.T) string {
		return func(t *testing.T) string {
			from := n.logSize()
			peertest.RunOpenSSLClient(t, addr, stdin, args...)
			return n.linesSince(t, from, "client: ")
		}
	}
	cases := []classCase{
		{"server: " + classGroup, "no_shared_group", client(n.addr(1), "", "-groups", "X25519")},
		{"server: " + classSigalg, "no_shared_sigalg", client(n.addr(2), "", "-sigalgs", "ECDSA+SHA256")},
		{"server: " + classCertRequired, "client_cert_required", client(n.addr(3), httpGet, "-ign_eof")},
		{"server: " + classCertOtherCA, "client_cert_untrusted", client(n.addr(3), httpGet, "-ign_eof",
			"-cert", cp.clientOnly.cert, "-key", cp.clientOnly.key)},
		// The client trusts another CA and refuses nginx's certificate.
		{"server: " + classServerRejected, "peer_rejected_certificate", client(n.addr(2), "", "-CAfile", cp.caFile)},
	}
	if s.sniNginx != nil {
		cases = append(cases, classCase{"server: " + classSNIRequired, "sni_unrecognized_name", func(t *testing.T) string {
			from := s.sniNginx.logSize()
			runProgram(t, "openssl", "s_client", "-connect", s.sni, "-noservername", "-CAfile", pki.CACertFile)
			return s.sniNginx.linesSince(t, from, "client: ")
		}})
	}
	return cases
}

// nginxClassConfig is the class nginx's http block: port 0 proxies to
// the class servers, one location each; port 1 offers only P-384; port 2
// is a plain RSA server; port 3 requires a client certificate from the
// PKI's CA.
func nginxClassConfig(ports []int, pki *peertest.PKI, cp *classPKI, upstreams []nginxUpstream) string {
	var b strings.Builder
	fmt.Fprintf(&b, "    server {\n        listen 127.0.0.1:%d;\n", ports[0])
	for _, u := range upstreams {
		if !strings.Contains(u.extra, "proxy_ssl_name") {
			u.extra += " proxy_ssl_name localhost;"
		}
		sendSNI := "on"
		if u.class == classSNIRequired {
			sendSNI = "off" // nginx's default
		}
		fmt.Fprintf(&b, `        location /%s/ {
            proxy_pass https://%s/;
            proxy_ssl_verify on;
            proxy_ssl_server_name %s;
            proxy_ssl_protocols TLSv1.2 TLSv1.3;
            proxy_ssl_trusted_certificate %s;
            %s
        }
`, u.slug, u.addr, sendSNI, u.ca, u.extra)
	}
	b.WriteString("    }\n")
	tls := func(port int, extra string) {
		fmt.Fprintf(&b, `    server {
        listen 127.0.0.1:%d ssl;
        ssl_certificate %s;
        ssl_certificate_key %s;
        %s
        location / { return 200 "ok\n"; }
    }
`, port, pki.RSA.CertFile, pki.RSA.KeyFile, extra)
	}
	// nginx 1.22 leaves TLS 1.3 out by default. In TLS 1.2 a group the
	// client lacks is no failure (a DHE or RSA suite steps in), so port
	// 1 speaks only TLS 1.3.
	tls(ports[1], "ssl_protocols TLSv1.3; ssl_ecdh_curve secp384r1;")
	tls(ports[2], "ssl_protocols TLSv1.2 TLSv1.3;")
	tls(ports[3], "ssl_protocols TLSv1.2 TLSv1.3; ssl_verify_client on; ssl_client_certificate "+pki.CACertFile+";")
	return b.String()
}

// sendPlainHTTPPath sends a GET for path in clear text and reads the answer.
func sendPlainHTTPPath(t *testing.T, addr, path string) {
	t.Helper()
	out := runProgram(t, "curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", "http://"+addr+path)
	t.Logf("nginx answered %s", out)
}

// logSize is the current length of the error log, to read what a case adds.
func (n *nginxProc) logSize() int {
	data, _ := os.ReadFile(n.errLog)
	return len(data)
}

// linesSince waits until the log past offset from holds a line with
// substr and returns those lines.
func (n *nginxProc) linesSince(t *testing.T, from int, substr string) string {
	t.Helper()
	var lines []string
	waitFor(func() bool {
		data, _ := os.ReadFile(n.errLog)
		lines = nil
		for _, l := range strings.Split(string(data[min(from, len(data)):]), "\n") {
			if strings.Contains(l, substr) {
				lines = append(lines, l)
			}
		}
		return len(lines) > 0
	})
	if len(lines) == 0 {
		data, _ := os.ReadFile(n.errLog)
		t.Fatalf("nginx logged no line with %q after offset %d:\n%s", substr, from, data)
	}
	return strings.Join(lines, "\n")
}
