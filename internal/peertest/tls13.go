package peertest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// suite13 is how each peer names one TLS 1.3 cipher suite. In TLS 1.3 a
// suite is only an AEAD and a hash; key exchange and authentication are
// negotiated apart from it (groups, signature schemes).
type suite13 struct {
	iana string
	id   uint16
	// GnuTLS selects a TLS 1.3 suite by its cipher with the MAC "AEAD"; the
	// hash follows from the cipher.
	gnutlsCipher string
}

// suites13 are the TLS 1.3 suites of RFC 8446 that OpenSSL 3.0, GnuTLS 3.7
// and NSS 3.87 all enable by default (the CCM ones are left out).
var suites13 = []suite13{
	{"TLS_AES_128_GCM_SHA256", 0x1301, "AES-128-GCM"},
	{"TLS_AES_256_GCM_SHA384", 0x1302, "AES-256-GCM"},
	{"TLS_CHACHA20_POLY1305_SHA256", 0x1303, "CHACHA20-POLY1305"},
}

func lookupSuite13(ianaName string) suite13 {
	for _, s := range suites13 {
		if s.iana == ianaName {
			return s
		}
	}
	panic(fmt.Sprintf("peertest: no peer mapping for TLS 1.3 cipher suite %q; known: %s", ianaName, strings.Join(SuiteNames13(), ", ")))
}

// SuiteNames13 returns the IANA names of the TLS 1.3 suites the helpers
// know: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
// TLS_CHACHA20_POLY1305_SHA256.
func SuiteNames13() []string {
	names := make([]string, len(suites13))
	for i, s := range suites13 {
		names[i] = s.iana
	}
	return names
}

// SuiteID13 returns the code point of a TLS 1.3 suite (0x1301...).
func SuiteID13(ianaName string) uint16 { return lookupSuite13(ianaName).id }

// OpenSSLTLS13Args returns the s_server/s_client arguments that restrict
// OpenSSL to TLS 1.3 and, unless ianaName is "", exactly one TLS 1.3 suite:
//
//	-tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256
//
// OpenSSL names TLS 1.3 suites by their IANA names, and only -ciphersuites
// governs them (-cipher is TLS 1.2 and below). s_client prints the
// negotiated suite as "Cipher is TLS_AES_128_GCM_SHA256" and the version as
// "New, TLSv1.3, Cipher is ..." (for TLS 1.3 that line is accurate) and
// "Protocol  : TLSv1.3"; a resumed handshake prints "Reused, TLSv1.3, ...".
// Groups are chosen with -groups (colon-separated: X25519:P-256:P-384:P-521:
// ffdhe2048 ...); OpenSSL 3.0 has no ML-KEM group.
func OpenSSLTLS13Args(ianaName string) []string {
	if ianaName == "" {
		return []string{"-tls1_3"}
	}
	return []string{"-tls1_3", "-ciphersuites", lookupSuite13(ianaName).iana}
}

// GnuTLSPriority13 returns a GnuTLS priority string that allows TLS 1.3
// only and, unless ianaName is "", exactly one TLS 1.3 suite:
//
//	NONE:+VERS-TLS1.3:+AES-128-GCM:+AEAD:+SIGN-ALL:+COMP-NULL:+GROUP-ALL
//
// No key exchange keyword is needed for TLS 1.3. With GROUP-ALL GnuTLS 3.7
// prefers SECP256R1 and sends its key share first; "+GROUP-X25519" etc.
// after "NONE:...:-GROUP-ALL" would pin a group. gnutls-cli prints the
// session as "(TLS1.3-X.509)-(ECDHE-SECP256R1)-(ECDSA-SECP256R1-SHA256)-
// (AES-128-GCM)"; on a resumed one the key exchange part may be empty, and
// it prints "*** This is a resumed session".
func GnuTLSPriority13(ianaName string) string {
	cipher := "+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305"
	if ianaName != "" {
		cipher = "+" + lookupSuite13(ianaName).gnutlsCipher
	}
	return "NONE:+VERS-TLS1.3:" + cipher + ":+AEAD:+SIGN-ALL:+COMP-NULL:+GROUP-ALL"
}

// GnuTLSCipherName13 returns GnuTLS's name for a TLS 1.3 suite's cipher, as
// it appears in gnutls-cli's "- Description:" line ("AES-128-GCM").
func GnuTLSCipherName13(ianaName string) string { return lookupSuite13(ianaName).gnutlsCipher }

// NSSTLS13Args returns the selfserv/tstclnt arguments that restrict NSS to
// TLS 1.3 and, unless ianaName is "", exactly one suite:
//
//	-V tls1.3:tls1.3 -c :1301
//
// tstclnt -v prints "SSL version 3.4 using 128-bit AES-GCM ..." for TLS 1.3.
// Resumption: selfserv issues TLS 1.3 tickets only with -u; tstclnt -L N
// makes N connections in a row and resumes from the second on with the
// ticket of the previous one (no -u needed), which -v reports as "1
// stateless resumes". Quirk: tstclnt 3.87 aborts with "free(): invalid
// pointer" after the first connection when -L is combined with -c, against
// any server; leave the suite to the server there.
func NSSTLS13Args(ianaName string) []string {
	if ianaName == "" {
		return []string{"-V", "tls1.3:tls1.3"}
	}
	return []string{"-V", "tls1.3:tls1.3", "-c", NSSCipherArg(lookupSuite13(ianaName).id)}
}

// StartOpenSSLClient starts `openssl s_client` against addr and leaves it
// running with its standard input open, for tests that drive it line by
// line with Process.Send (RunOpenSSLClient feeds a fixed input instead):
//
//	openssl s_client -connect ADDR -servername localhost -CAfile CA.pem
//	    -verify_return_error -verify_hostname localhost ARGS...
//
// s_client reads commands at the start of each read from stdin unless
// -ign_eof, -quiet or -nocommands is given: "k\n" sends a TLS 1.3
// KeyUpdate (update_not_requested), "K\n" one with update_requested (each
// prints "KEYUPDATE"), "R\n" renegotiates (TLS 1.2), "Q\n" quits. Any other
// line is sent as application data; what the server sends is printed.
// Since s_client handles one read at a time, wait for each command's effect
// (WaitOutput) before sending the next line. Process.Addr is the server's
// address. The client is killed when the test ends.
func StartOpenSSLClient(t testing.TB, addr string, args ...string) *Process {
	t.Helper()
	Require(t, "openssl")
	pki := NewPKI(t)
	argv := append([]string{"s_client", "-connect", addr, "-servername", "localhost",
		"-CAfile", pki.CACertFile, "-verify_return_error", "-verify_hostname", "localhost"}, args...)
	return startInteractive(t, "openssl", addr, argv)
}

// startInteractive starts a client peer with a standard input that stays
// open until Stop.
func startInteractive(t testing.TB, bin, addr string, argv []string) *Process {
	t.Helper()
	path, err := lookPath(bin)
	if err != nil {
		t.Fatalf("peertest: %s: %v", bin, err)
	}
	p := &Process{
		Cmd:  exec.Command(path, argv...),
		Addr: addr,
		out:  &syncBuffer{},
		done: make(chan struct{}),
	}
	p.Cmd.Env = os.Environ()
	p.Cmd.Stdout = p.out
	p.Cmd.Stderr = p.out
	if p.stdin, err = p.Cmd.StdinPipe(); err != nil {
		t.Fatalf("peertest: %s: %v", bin, err)
	}
	p.Cmd.WaitDelay = 2 * time.Second
	t.Logf("peertest: starting client: %s", commandLine(nil, bin, argv))
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("peertest: starting %s: %v", bin, err)
	}
	go func() {
		p.waitErr = p.Cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.Stop)
	return p
}
