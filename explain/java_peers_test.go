package explain

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// javaCase is one handshake of the JSSE client (testdata/ExplainClient.java).
type javaCase struct {
	class, want                          string
	addr, sni, ca, protocol, suite, keys string
}

// javaClassCases runs every JSSE case in a single JVM (java
// ExplainClient.java, one JVM start for the whole table) and hands back
// each case's printed line. The classes of the other programs' tests
// (unknown CA, hostname, expired, suite, version, plain HTTP) are here
// too, with their own servers.
//
// The JVM offers only the X25519 group and no SHA-1 signature scheme, so
// that the group and signature-scheme servers refuse it; every other
// server accepts that offer.
func javaClassCases(t *testing.T, s *classServers) []classCase {
	requireProgram(t, "java")
	pki, cp := s.pki, s.class
	fault := newFaultPKI(t)
	good := peertest.StartOpenSSLServer(t, pki.RSA, "-www").Addr
	expired := peertest.StartOpenSSLServer(t, fault.expired.asLeaf(), "-www").Addr
	onlyAES128 := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256").Addr
	only13 := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_3").Addr
	keys := filepath.Join(t.TempDir(), "client.p12")
	runProgram(t, "openssl", "pkcs12", "-export", "-in", pki.Client.CertFile, "-inkey", pki.Client.KeyFile,
		"-out", keys, "-passout", "pass:peertest")
	ca := pki.CACertFile
	cases := []javaCase{
		{"CA not in the trust store", "cert_issuer_unknown", good, "localhost", "-", "-", "-", "-"},
		{"hostname mismatch", "cert_hostname_mismatch", good, "wrong.example", ca, "-", "-", "-"},
		{"expired certificate", "cert_expired", expired, "localhost", fault.caFile, "-", "-", "-"},
		{"no common cipher suite", "handshake_failure_alert", onlyAES128, "localhost", ca, "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "-"},
		{"TLS 1.2 client, TLS 1.3-only server", "protocol_version_mismatch", only13, "localhost", ca, "TLSv1.2", "-", "-"},
		{"plain HTTP on the port", "not_tls", startPlainHTTP(t), "localhost", ca, "-", "-", "-"},
		{classGroup, "handshake_failure_alert", s.group, "localhost", ca, "-", "-", "-"},
		{classSigalg, "handshake_failure_alert", s.sigalg, "localhost", ca, "-", "-", "-"},
		{classMissingInter, "cert_issuer_unknown", s.missingInter, "localhost", cp.rootFile, "-", "-", "-"},
		// PKIX path building does not single out a root sent in the chain.
		{classUntrustedRoot, "cert_issuer_unknown", s.untrustedRoot, "localhost", ca, "-", "-", "-"},
		{classWrongEKU, "cert_wrong_purpose", s.wrongEKU, "localhost", cp.caFile, "-", "-", "-"},
		// With its default settings JSSE accepts this SHA-1 signed leaf
		// (jdk.certpath.disabledAlgorithms bars SHA-1 only under JDK-shipped
		// roots; checked by hand: "connected"). In this JVM the SHA-1
		// schemes are off, so the server cannot present its SHA-1 chain and
		// refuses the handshake before JSSE sees the certificate.
		{classSHA1, "handshake_failure_alert", s.sha1, "localhost", cp.caFile, "-", "-", "-"},
		{classWeakKey, "cert_weak_crypto", s.weakKey, "localhost", cp.caFile, "-", "-", "-"},
		{classRevoked, "cert_revoked", s.revoked, "localhost", "ocsp:" + ca, "-", "-", "-"},
		{classNotYetValid, "cert_not_yet_valid", s.notYetValid, "localhost", cp.caFile, "-", "-", "-"},
		// An IP address as the name: JSSE sends no SNI for it.
		{classSNIRequired, "sni_unrecognized_name", s.requireSNI(t), "127.0.0.1", ca, "-", "-", "-"},
		{classCertRequired, "client_cert_required", s.certRequired, "localhost", ca, "-", "-", "-"},
		// JSSE's key manager offers no certificate the server's CA names
		// do not cover, so the server finds none.
		{classCertOtherCA, "client_cert_required", s.certOtherCA, "localhost", ca, "-", "-", keys},
	}
	args := []string{"-Djdk.tls.namedGroups=x25519",
		"-Djdk.tls.client.SignatureSchemes=ecdsa_secp256r1_sha256,ecdsa_secp384r1_sha384,ecdsa_secp521r1_sha512," +
			"rsa_pss_rsae_sha256,rsa_pss_rsae_sha384,rsa_pss_rsae_sha512,rsa_pkcs1_sha256,rsa_pkcs1_sha384,rsa_pkcs1_sha512",
		filepath.Join("testdata", "ExplainClient.java")}
	for i, c := range cases {
		host, port, _ := net.SplitHostPort(c.addr)
		args = append(args, caseName(i), host, port, c.sni, c.ca, c.protocol, c.suite, c.keys)
	}
	// 20 s is not enough for javac and 18 handshakes on a loaded machine
	// (19.8 s measured at load average 25).
	out := runProgramWithin(t, 90*time.Second, "java", args...)
	lines := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "CASE "); ok {
			name, text, _ := strings.Cut(rest, ": ")
			lines[name] = text
		}
	}
	var result []classCase
	for i, c := range cases {
		result = append(result, classCase{c.class, c.want, func(t *testing.T) string {
			text, ok := lines[caseName(i)]
			if !ok {
				t.Fatalf("java printed no line for this case:\n%s", out)
			}
			return text
		}})
	}
	return result
}

func caseName(i int) string { return "case" + strconv.Itoa(i) }
