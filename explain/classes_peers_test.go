package explain

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// TestFailureClassesExplained provokes issue 12's failure classes beyond
// suites, versions and the common certificate faults in every installed
// client program: each meets one real server per class (classServers,
// shared by all programs), and what it prints goes through Explain, which
// must name the cause. A class a program cannot meet (crypto/tls checks no
// revocation) or that it meets without a message has no case; the comment
// at each table says why.
func TestFailureClassesExplained(t *testing.T) {
	peertest.Require(t, "openssl")
	s := startClassServers(t)
	programs := []struct {
		name  string
		bin   string
		cases func(*testing.T, *classServers) []classCase
	}{
		{"openssl s_client", "openssl", opensslClassCases},
		{"curl", "curl", curlClassCases},
		{"gnutls-cli", "gnutls-cli", gnutlsClassCases},
		{"tstclnt", "tstclnt", nssClassCases},
		{"Go crypto/tls", "", goClassCases},
		{"Java 17 JSSE", "java", javaClassCases},
		{"openssl s_server", "openssl", opensslServerClassCases},
		{"nginx", "nginx", nginxClassCases},
		{"HAProxy", "haproxy", haproxyClassCases},
	}
	for _, p := range programs {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			if p.bin != "" {
				requireProgram(t, p.bin)
			}
			for _, c := range p.cases(t, s) {
				t.Run(c.class, func(t *testing.T) { expectCause(t, p.name, c.class, c.run(t), c.want) })
			}
		})
	}
}

// classCase is one failure class provoked in one program: run returns what
// the program printed, want is the cause Explain must name for it.
type classCase struct {
	class, want string
	run         func(t *testing.T) string
}

const httpGet = "GET / HTTP/1.0\r\n\r\n"

func opensslClassCases(t *testing.T, s *classServers) []classCase {
	cp := s.class
	// -ign_eof with a request: a TLS 1.3 server's verdict on the client
	// certificate arrives after the client's Finished, on the first read.
	cli := func(addr string, args ...string) func(*testing.T) string {
		return func(t *testing.T) string {
			out, _ := peertest.RunOpenSSLClient(t, addr, httpGet, append([]string{"-ign_eof"}, args...)...)
			return out
		}
	}
	return []classCase{
		{classGroup, "handshake_failure_alert", cli(s.group, "-groups", "X25519")},
		{classSigalg, "handshake_failure_alert", cli(s.sigalg)},
		{classMissingInter, "cert_issuer_unknown", cli(s.missingInter, "-CAfile", cp.rootFile)},
		{classUntrustedRoot, "cert_untrusted_root", cli(s.untrustedRoot)},
		{classWrongEKU, "cert_wrong_purpose", cli(s.wrongEKU, "-CAfile", cp.caFile)},
		{classSHA1, "cert_weak_crypto", cli(s.sha1, "-CAfile", cp.caFile)},
		{classWeakKey, "cert_weak_crypto", cli(s.weakKey, "-CAfile", cp.caFile)},
		{classRevoked, "cert_revoked", cli(s.revoked, "-crl_check", "-CRL", s.crlFile)},
		{classNotYetValid, "cert_not_yet_valid", cli(s.notYetValid, "-CAfile", cp.caFile)},
		{classSNIRequired, "sni_unrecognized_name", func(t *testing.T) string {
			// RunOpenSSLClient always names localhost; -noservername cannot join it.
			return runProgram(t, "openssl", "s_client", "-connect", s.requireSNI(t), "-noservername",
				"-CAfile", s.pki.CACertFile, "-verify_return_error")
		}},
		// The client sees only the server's unknown_ca alert: its own
		// certificate was refused.
		{classCertOtherCA, "peer_rejected_certificate", cli(s.certOtherCA, "-cert", s.pki.Client.CertFile, "-key", s.pki.Client.KeyFile)},
	}
}

// opensslServerClassCases reads what s_server prints: s_client meets the
// server, then what the server printed since is explained. The group,
// signature-scheme and required-certificate servers are shared, but every
// program fails them the same way; the last two cases need servers of
// their own, as the other programs' clients fail those differently.
func opensslServerClassCases(t *testing.T, s *classServers) []classCase {
	cp, pki := s.class, s.pki
	otherCA := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-Verify", "1", "-CAfile", cp.caFile, "-verify_return_error")
	plain := peertest.StartOpenSSLServer(t, pki.RSA, "-www")
	server := func(p *peertest.Process, marker string, args ...string) func(*testing.T) string {
		return func(t *testing.T) string {
			from := len(p.Output())
			peertest.RunOpenSSLClient(t, p.Addr, httpGet, append([]string{"-ign_eof"}, args...)...)
			var out string
			if !waitFor(func() bool { out = p.Output()[from:]; return strings.Contains(out, marker) }) {
				t.Fatalf("s_server printed no %q:\n%s", marker, p.Output())
			}
			return out
		}
	}
	return []classCase{
		{classGroup, "no_shared_group", server(s.servers[s.group], "no suitable key share", "-groups", "X25519")},
		{classSigalg, "no_shared_sigalg", server(s.servers[s.sigalg], "no shared signature algorithms")},
		{classCertRequired, "client_cert_required", server(s.servers[s.certRequired], "peer did not return a certificate")},
		// s_client sends the client leaf with its root; s_server prints the
		// verify error of that chain, which names the chain's fault (a root
		// this server does not trust), not which side the chain is from.
		{classCertOtherCA, "cert_untrusted_root", server(otherCA, "verify error", "-cert", pki.Client.CertFile, "-key", pki.Client.KeyFile)},
		// The client trusts another CA and refuses the server's certificate.
		{classServerRejected, "peer_rejected_certificate", server(plain, "alert unknown ca", "-CAfile", cp.caFile)},
	}
}

func curlClassCases(t *testing.T, s *classServers) []classCase {
	cp, pki := s.class, s.pki
	// curl sends no SNI to an IP address; only the SNI server cares.
	curl := func(addr string, args ...string) func(*testing.T) string {
		return func(t *testing.T) string {
			argv := append([]string{"-sS", "--max-time", "10"}, args...)
			return runProgram(t, "curl", append(argv, "https://"+addr+"/")...)
		}
	}
	return []classCase{
		{classGroup, "handshake_failure_alert", curl(s.group, "--cacert", pki.CACertFile, "--curves", "X25519")},
		{classSigalg, "handshake_failure_alert", curl(s.sigalg, "--cacert", pki.CACertFile)},
		{classMissingInter, "cert_issuer_unknown", curl(s.missingInter, "--cacert", cp.rootFile)},
		{classUntrustedRoot, "cert_untrusted_root", curl(s.untrustedRoot, "--cacert", pki.CACertFile)},
		{classWrongEKU, "cert_wrong_purpose", curl(s.wrongEKU, "--cacert", cp.caFile)},
		{classSHA1, "cert_weak_crypto", curl(s.sha1, "--cacert", cp.caFile)},
		{classWeakKey, "cert_weak_crypto", curl(s.weakKey, "--cacert", cp.caFile)},
		{classRevoked, "cert_revoked", curl(s.revoked, "--cacert", pki.CACertFile, "--crlfile", s.crlFile)},
		{classNotYetValid, "cert_not_yet_valid", curl(s.notYetValid, "--cacert", cp.caFile)},
		{classSNIRequired, "sni_unrecognized_name", func(t *testing.T) string {
			return curl(s.requireSNI(t), "--cacert", pki.CACertFile)(t)
		}},
		// TestCurlFailuresExplained has no version case.
		{"TLS 1.2 client, TLS 1.3-only server", "protocol_version_mismatch", func(t *testing.T) string {
			only13 := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_3")
			return curl(only13.Addr, "--cacert", pki.CACertFile, "--tls-max", "1.2")(t)
		}},
		{classCertRequired, "client_cert_required", curl(s.certRequired, "--cacert", pki.CACertFile)},
		{classCertOtherCA, "peer_rejected_certificate", curl(s.certOtherCA, "--cacert", pki.CACertFile,
			"--cert", pki.Client.CertFile, "--key", pki.Client.KeyFile)},
	}
}

func gnutlsClassCases(t *testing.T, s *classServers) []classCase {
	cp, pki := s.class, s.pki
	cli := func(addr, ca string, args ...string) func(*testing.T) string {
		return func(t *testing.T) string {
			host, port, _ := net.SplitHostPort(addr)
			argv := []string{"-p", port, host, "--x509cafile", ca, "--verify-hostname", "localhost"}
			return runProgram(t, "gnutls-cli", append(argv, args...)...)
		}
	}
	sni := []string{"--sni-hostname", "localhost"}
	return []classCase{
		{classGroup, "handshake_failure_alert", cli(s.group, pki.CACertFile, "--priority", "NORMAL:-GROUP-ALL:+GROUP-X25519")},
		{classSigalg, "handshake_failure_alert", cli(s.sigalg, pki.CACertFile, "--priority", "NORMAL:-SIGN-RSA-SHA1")},
		{classMissingInter, "cert_issuer_unknown", cli(s.missingInter, cp.rootFile)},
		// GnuTLS does not tell an untrusted root sent in the chain from a
		// missing issuer: "The certificate issuer is unknown."
		{classUntrustedRoot, "cert_issuer_unknown", cli(s.untrustedRoot, pki.CACertFile)},
		{classWrongEKU, "cert_wrong_purpose", cli(s.wrongEKU, cp.caFile)},
		{classSHA1, "cert_weak_crypto", cli(s.sha1, cp.caFile)},
		{classWeakKey, "cert_weak_crypto", cli(s.weakKey, cp.caFile)},
		{classRevoked, "cert_revoked", cli(s.revoked, pki.CACertFile, "--x509crlfile", s.crlFile)},
		{classNotYetValid, "cert_not_yet_valid", cli(s.notYetValid, cp.caFile)},
		{classSNIRequired, "sni_unrecognized_name", func(t *testing.T) string {
			return cli(s.requireSNI(t), pki.CACertFile, "--disable-sni")(t)
		}},
		{classCertRequired, "client_cert_required", cli(s.certRequired, pki.CACertFile, sni...)},
		{classCertOtherCA, "peer_rejected_certificate", cli(s.certOtherCA, pki.CACertFile,
			"--x509certfile", pki.Client.CertFile, "--x509keyfile", pki.Client.KeyFile)},
	}
}

func nssClassCases(t *testing.T, s *classServers) []classCase {
	requireProgram(t, "certutil")
	cp := s.class
	// pkiDB trusts the PKI's CA and holds the client leaf ("client");
	// classDB trusts the PKI's CA, the class CA and the chain root, and
	// holds no client certificate.
	pkiDB := s.pki.NSSDB(t)
	classDB := t.TempDir()
	runProgram(t, "certutil", "-N", "-d", "sql:"+classDB, "--empty-password")
	for name, file := range map[string]string{"ca": s.pki.CACertFile, "classca": cp.caFile, "chainroot": cp.rootFile} {
		runProgram(t, "certutil", "-A", "-d", "sql:"+classDB, "-n", name, "-t", "C,,", "-i", file)
	}
	req := filepath.Join(t.TempDir(), "request")
	if err := os.WriteFile(req, []byte(httpGet), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(addr, db string, args ...string) func(*testing.T) string {
		return func(t *testing.T) string {
			host, port, _ := net.SplitHostPort(addr)
			argv := []string{"-h", host, "-p", port, "-d", "sql:" + db, "-A", req}
			return runProgram(t, "tstclnt", append(argv, args...)...)
		}
	}
	name := []string{"-a", "localhost"}
	// Every scheme tstclnt knows except the SHA-1 ones.
	noSHA1 := "rsa_pkcs1_sha256,rsa_pkcs1_sha384,rsa_pkcs1_sha512,ecdsa_secp256r1_sha256,ecdsa_secp384r1_sha384," +
		"ecdsa_secp521r1_sha512,rsa_pss_rsae_sha256,rsa_pss_rsae_sha384,rsa_pss_rsae_sha512"
	// NSS reports the server's handshake_failure alert as
	// SSL_ERROR_NO_CYPHER_OVERLAP, whatever the server missed.
	// Not here: a SHA-1 signed certificate, which NSS 3.87 accepts. The
	// stapled OCSP response is no way to revocation either: tstclnt checks
	// it only with -F, which reports "revoked" as exit status 3 and no
	// text; a CRL in the database gives a message.
	return []classCase{
		{classGroup, "no_shared_cipher", cli(s.group, pkiDB, "-a", "localhost", "-I", "x25519")},
		{classSigalg, "no_shared_cipher", cli(s.sigalg, pkiDB, "-a", "localhost", "-J", noSHA1)},
		{classMissingInter, "cert_issuer_unknown", cli(s.missingInter, classDB, name...)},
		{classUntrustedRoot, "cert_untrusted_root", cli(s.untrustedRoot, pkiDB, name...)},
		{classWrongEKU, "cert_wrong_purpose", cli(s.wrongEKU, classDB, name...)},
		{classWeakKey, "cert_weak_crypto", cli(s.weakKey, classDB, name...)},
		{classRevoked, "cert_revoked", func(t *testing.T) string {
			// A database of its own that holds the CRL revoking the leaf.
			db := s.pki.NSSDB(t)
			block, _ := pem.Decode(mustRead(t, s.crlFile))
			der := filepath.Join(t.TempDir(), "crl.der")
			if err := os.WriteFile(der, block.Bytes, 0o600); err != nil {
				t.Fatal(err)
			}
			runProgram(t, "crlutil", "-I", "-d", "sql:"+db, "-t", "1", "-i", der)
			return cli(s.revoked, db, name...)(t)
		}},
		// SEC_ERROR_EXPIRED_CERTIFICATE covers both ends of the validity.
		{classNotYetValid, "cert_expired", cli(s.notYetValid, classDB, name...)},
		{classSNIRequired, "sni_unrecognized_name", func(t *testing.T) string { return cli(s.requireSNI(t), pkiDB)(t) }},
		// With pkiDB tstclnt would pick "client" by itself.
		{classCertRequired, "client_cert_required", cli(s.certRequired, classDB, name...)},
		{classCertOtherCA, "peer_rejected_certificate", cli(s.certOtherCA, pkiDB, "-a", "localhost", "-n", "client")},
	}
}

func goClassCases(t *testing.T, s *classServers) []classCase {
	cp, pki := s.class, s.pki
	pool := func(file string) *x509.CertPool {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		p := x509.NewCertPool()
		p.AppendCertsFromPEM(data)
		return p
	}
	classRoots, chainRoot := pool(cp.caFile), pool(cp.rootFile)
	dial := func(addr string, cfg *tls.Config) func(*testing.T) string {
		return func(t *testing.T) string { return goClientError(t, addr, cfg) }
	}
	cfg := func(roots *x509.CertPool) *tls.Config { return &tls.Config{ServerName: "localhost", RootCAs: roots} }
	client := cfg(pki.CAPool)
	client.Certificates = []tls.Certificate{pki.Client.TLS}
	return []classCase{
		{classGroup, "handshake_failure_alert", dial(s.group, &tls.Config{ServerName: "localhost", RootCAs: pki.CAPool, CurvePreferences: []tls.CurveID{tls.X25519}})},
		{classSigalg, "handshake_failure_alert", dial(s.sigalg, cfg(pki.CAPool))},
		{classMissingInter, "cert_issuer_unknown", dial(s.missingInter, cfg(chainRoot))},
		// crypto/x509 does not single out a root sent in the chain.
		{classUntrustedRoot, "cert_issuer_unknown", dial(s.untrustedRoot, cfg(pki.CAPool))},
		{classWrongEKU, "cert_wrong_purpose", dial(s.wrongEKU, cfg(classRoots))},
		{classSHA1, "cert_weak_crypto", dial(s.sha1, cfg(classRoots))},
		{classWeakKey, "cert_weak_crypto", dial(s.weakKey, cfg(classRoots))},
		{classNotYetValid, "cert_not_yet_valid", dial(s.notYetValid, cfg(classRoots))},
		{classSNIRequired, "sni_unrecognized_name", func(t *testing.T) string {
			// An IP address as the target: crypto/tls sends no SNI for it.
			return goClientError(t, s.requireSNI(t), &tls.Config{RootCAs: pki.CAPool})
		}},
		{classCertRequired, "client_cert_required", dial(s.certRequired, cfg(pki.CAPool))},
		// crypto/tls sends no certificate the server's CA names do not
		// cover, so the server finds none.
		{classCertOtherCA, "client_cert_required", dial(s.certOtherCA, client)},
	}
}

// goClientError runs a crypto/tls client against addr, sends a request and
// reads the answer (a TLS 1.3 server's verdict on the client certificate
// arrives after the handshake), and returns the error it ends with.
func goClientError(t *testing.T, addr string, cfg *tls.Config) string {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return err.Error()
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte(httpGet)); err != nil {
		return err.Error()
	}
	buf := make([]byte, 4096)
	if _, err := conn.Read(buf); err != nil {
		return err.Error()
	}
	t.Fatalf("crypto/tls connected to %s and read an answer; the fault was not provoked", addr)
	return ""
}

func mustRead(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
