package peertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// nssPKCS12Password protects the PKCS #12 files that carry the leaves into
// the NSS database. An empty one works with OpenSSL 3.0 and NSS 3.87 too, but
// older pairs disagree on how an empty PKCS #12 password is encoded; a real
// one sidesteps that.
const nssPKCS12Password = "peertest"

// NSSDB returns a fresh copy of an NSS database (for -d sql:DIR) holding the
// PKI's CA as a trusted SSL CA (nickname "ca") and the RSA, ECDSA and Client
// leaves with their keys (nicknames "rsa", "ecdsa", "client"). The database
// has no password.
//
// The master database is built once per PKI with certutil, `openssl pkcs12
// -export` and pk12util; every caller gets its own copy in t.TempDir() so
// that concurrently running NSS tools never contend for its SQLite lock.
//
// NSS 3.87 cannot import Ed25519 keys, so there is no "ed25519" nickname.
func (p *PKI) NSSDB(t testing.TB) string {
	t.Helper()
	Require(t, "certutil", "pk12util", "openssl")
	p.nssOnce.Do(func() { p.nssDir, p.nssErr = p.buildNSSDB() })
	if p.nssErr != nil {
		t.Fatalf("peertest: building NSS database: %v", p.nssErr)
	}
	dir := t.TempDir()
	for _, f := range []string{"cert9.db", "key4.db", "pkcs11.txt"} {
		data, err := os.ReadFile(filepath.Join(p.nssDir, f))
		if err != nil {
			t.Fatalf("peertest: copying NSS database: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o600); err != nil {
			t.Fatalf("peertest: copying NSS database: %v", err)
		}
	}
	return dir
}

func (p *PKI) buildNSSDB() (string, error) {
	dir := filepath.Join(p.Dir, "nssdb")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	db := "sql:" + dir
	steps := [][]string{
		{"certutil", "-N", "-d", db, "--empty-password"},
		{"certutil", "-A", "-d", db, "-n", "ca", "-t", "CT,C,C", "-i", p.CACertFile},
	}
	for _, l := range []*Leaf{p.RSA, p.ECDSA, p.Client} {
		p12 := filepath.Join(dir, l.Name+".p12")
		steps = append(steps,
			// -name becomes the NSS nickname.
			[]string{"openssl", "pkcs12", "-export", "-in", l.CertFile, "-inkey", l.KeyFile,
				"-name", l.Name, "-out", p12, "-passout", "pass:" + nssPKCS12Password},
			[]string{"pk12util", "-i", p12, "-d", db, "-W", nssPKCS12Password, "-K", ""},
		)
	}
	for _, s := range steps {
		path, err := lookPath(s[0])
		if err != nil {
			return "", err
		}
		out, err := exec.Command(path, s[1:]...).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("%s: %v\n%s", commandLine(nil, s[0], s[1:]), err, out)
		}
	}
	return dir, nil
}

// StartNSSServer starts NSS's selfserv with leaf (RSA, ECDSA or Client; not
// Ed25519, which NSS 3.87 cannot import) from a copy of the PKI's NSS
// database and waits until it listens:
//
//	selfserv -d sql:DB -n NICKNAME -p PORT EXTRA...
//
// selfserv answers each request with "HTTP/1.0 200 OK" followed by the
// request it received, then closes the connection. Choose the version and
// suite with NSSCipherArgs (-V tls1.2:tls1.2 -c :XXXX); other useful flags:
// -r (request a client certificate; -r -r requires it), -u (session
// tickets), -G (extended master secret), -I groups, -J signature schemes,
// -v (verbose: it prints nothing at all by default).
//
// Quirk: selfserv binds the wildcard address; tests connect to 127.0.0.1.
func StartNSSServer(t testing.TB, leaf *Leaf, extraArgs ...string) *Process {
	t.Helper()
	Require(t, "selfserv")
	pki := NewPKI(t)
	if leaf == pki.Ed25519 {
		t.Fatalf("peertest: NSS 3.87 cannot use the Ed25519 leaf")
	}
	db := pki.NSSDB(t)
	return startServer(t, "selfserv", nil, func(port int) []string {
		args := []string{"-d", "sql:" + db, "-n", leaf.Name, "-p", strconv.Itoa(port)}
		return append(args, extraArgs...)
	})
}

// StartNSSServerWithDB is StartNSSServer on a database the caller prepared
// (a copy from NSSDB with more keys imported, see ImportNSSLeaf), with the
// arguments that pick the certificate given by the caller: -n NICKNAME for
// RSA or ECDSA, -S NICKNAME for DSA.
//
//	selfserv -d sql:DB -p PORT ARGS...
func StartNSSServerWithDB(t testing.TB, db string, args ...string) *Process {
	t.Helper()
	Require(t, "selfserv")
	return startServer(t, "selfserv", nil, func(port int) []string {
		return append([]string{"-d", "sql:" + db, "-p", strconv.Itoa(port)}, args...)
	})
}

// ImportNSSLeaf imports a leaf certificate and its PKCS #8 key into the NSS
// database db (a copy from NSSDB) under the leaf's Name as nickname, the
// way NSSDB imports its own leaves (`openssl pkcs12 -export`, pk12util).
// It serves leaves NSSDB does not carry, such as a DSA one.
func ImportNSSLeaf(t testing.TB, db string, leaf *Leaf) {
	t.Helper()
	Require(t, "pk12util", "openssl")
	p12 := filepath.Join(t.TempDir(), leaf.Name+".p12")
	for _, s := range [][]string{
		{"openssl", "pkcs12", "-export", "-in", leaf.CertFile, "-inkey", leaf.KeyFile,
			"-name", leaf.Name, "-out", p12, "-passout", "pass:" + nssPKCS12Password},
		{"pk12util", "-i", p12, "-d", "sql:" + db, "-W", nssPKCS12Password, "-K", ""},
	} {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("peertest: %s: %v\n%s", strings.Join(s, " "), err, out)
		}
	}
}

// RunNSSClient runs NSS's tstclnt against addr, feeding it stdin, and
// returns its combined output:
//
//	tstclnt -h HOST -p PORT -d sql:DB -a localhost -A REQUEST ARGS...
//
// DB is a copy of the PKI's NSS database, so the server certificate is
// verified against the PKI's CA, for the name "localhost" (-a sets both the
// SNI and the name checked). Pass NSSCipherArgs to pin a suite, "-n client"
// to offer the client certificate, -v for a handshake summary ("SSL version
// 3.3 using 128-bit AES-GCM with 128-bit AEAD MAC", "Key Exchange: ...").
// tstclnt does not print the suite's name.
//
// stdin is handed to tstclnt as a request file (-A FILE), not on its
// standard input: tstclnt 3.87 never exits once its stdin has reached
// end-of-file (it spins polling the hung-up pipe, even after the server has
// closed), whereas with -A it sends the file, prints the answer and exits
// when the server closes the connection. So stdin must not be empty and the
// server must close after answering (s_server -www, gnutls-serv --http, an
// in-process server that closes); otherwise the run ends with the 20 s
// timeout. -Q does not make it exit after the handshake either.
func RunNSSClient(t testing.TB, addr string, stdin string, args ...string) (string, error) {
	t.Helper()
	Require(t, "tstclnt")
	host, port := splitAddr(t, addr)
	db := NewPKI(t).NSSDB(t)
	req := filepath.Join(t.TempDir(), "request")
	if err := os.WriteFile(req, []byte(stdin), 0o600); err != nil {
		t.Fatalf("peertest: writing tstclnt request: %v", err)
	}
	argv := []string{"-h", host, "-p", port, "-d", "sql:" + db, "-a", "localhost", "-A", req}
	return runClient(t, "tstclnt", nil, "", append(argv, args...))
}

// PeerVersions returns the version of each installed peer, keyed by binary
// name ("openssl", "gnutls-cli", "nss" (libnss3), "curl", "haproxy",
// "redis-server", "tshark"), for test logs and closing notes. Missing peers
// are left out.
func PeerVersions() map[string]string {
	probes := []struct {
		key  string
		argv []string
	}{
		{"openssl", []string{"openssl", "version"}},
		{"gnutls-cli", []string{"gnutls-cli", "--version"}},
		// The NSS tools print no version of their own; ask dpkg for the
		// library's.
		{"nss", []string{"dpkg-query", "-W", "-f=libnss3 ${Version}", "libnss3"}},
		{"curl", []string{"curl", "--version"}},
		{"haproxy", []string{"haproxy", "-v"}},
		{"redis-server", []string{"redis-server", "--version"}},
		{"tshark", []string{"tshark", "--version"}},
	}
	v := map[string]string{}
	for _, p := range probes {
		path, err := lookPath(p.argv[0])
		if err != nil {
			continue
		}
		out, err := exec.Command(path, p.argv[1:]...).Output()
		if err != nil {
			continue
		}
		line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		v[p.key] = strings.TrimSpace(line)
	}
	return v
}
