package peertest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// PostgresBinDir is where Debian's postgresql package (PostgreSQL 15 in
// Debian 12) installs the server programs, which are not on PATH.
const PostgresBinDir = "/usr/lib/postgresql/15/bin"

// postgresTemplate is a database cluster made once per test binary by
// initdb (several seconds) and copied for each server (a fraction of one).
var (
	postgresTemplateOnce sync.Once
	postgresTemplateDir  string
	postgresTemplateErr  error
)

// StartPostgres starts PostgreSQL with ssl=on and the leaf's certificate
// (tls true), so that it answers an SSLRequest with 'S', or with ssl=off,
// so that it answers 'N'. PostgreSQL refuses to run as root, so under root
// (as in CI) the cluster belongs to the postgres user (or nobody) and the
// server is started as that user with setpriv, which execs in place.
// Call RemovePostgresTemplate from TestMain after m.Run to remove the
// cluster template.
func StartPostgres(t testing.TB, leaf *Leaf, tls bool) *Process {
	t.Helper()
	postgres := filepath.Join(PostgresBinDir, "postgres")
	Require(t, postgres, filepath.Join(PostgresBinDir, "initdb"))
	uid, gid := postgresUser(t)
	postgresTemplateOnce.Do(func() { postgresTemplateDir, postgresTemplateErr = makePostgresTemplate(uid, gid) })
	if postgresTemplateErr != nil {
		t.Fatalf("peertest: initdb: %v", postgresTemplateErr)
	}
	// Not t.TempDir: its parent is private to root, and the server's user
	// must reach its files.
	dir, err := os.MkdirTemp("", "peertest-postgres-")
	if err != nil {
		t.Fatalf("peertest: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	if out, err := exec.Command("cp", "-a", filepath.Join(postgresTemplateDir, "data"), data).CombinedOutput(); err != nil {
		t.Fatalf("peertest: copying the cluster template: %v: %s", err, out)
	}
	// The server's key must belong to its user and be private to it.
	cert, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	copyFile(t, leaf.ChainFile, cert, 0o644)
	copyFile(t, leaf.KeyFile, key, 0o600)
	for _, p := range []string{dir, cert, key} {
		if err := os.Chown(p, uid, gid); err != nil && os.Geteuid() == 0 {
			t.Fatalf("peertest: %v", err)
		}
	}
	ssl := "off"
	if tls {
		ssl = "on"
	}
	bin, prefix := postgres, []string(nil)
	if os.Geteuid() == 0 {
		bin, prefix = "setpriv", []string{"--reuid=" + strconv.Itoa(uid), "--regid=" + strconv.Itoa(gid), "--clear-groups", "--", postgres}
	}
	p := startServer(t, bin, nil, func(port int) []string {
		// -k '': no Unix socket; fsync off: nothing here must survive.
		return append(prefix, "-D", data, "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-k", "",
			"-c", "ssl="+ssl, "-c", "ssl_cert_file="+cert, "-c", "ssl_key_file="+key, "-c", "fsync=off")
	})
	// A fast shutdown (SIGINT) before Stop's SIGKILL, so that the server's
	// children and shared memory go with it.
	t.Cleanup(func() {
		if p.Cmd.Process != nil && p.Cmd.Process.Signal(syscall.SIGINT) == nil {
			select {
			case <-p.done:
			case <-time.After(5 * time.Second):
			}
		}
	})
	return p
}

// RemovePostgresTemplate removes the cluster template StartPostgres made,
// if any. It is meant for TestMain, after m.Run.
func RemovePostgresTemplate() {
	if postgresTemplateDir != "" {
		os.RemoveAll(postgresTemplateDir)
	}
}

// postgresUser is who runs the server: ourselves, or under root the
// postgres user that Debian's package creates (nobody where it is absent).
func postgresUser(t testing.TB) (int, int) {
	if os.Geteuid() != 0 {
		return os.Getuid(), os.Getgid()
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 == nil && err2 == nil {
			return uid, gid
		}
	}
	t.Fatal("peertest: running as root and neither a postgres nor a nobody user exists to run PostgreSQL")
	return 0, 0
}

// makePostgresTemplate runs initdb as the server's user into a new
// directory. Authentication is "trust": nobody logs in, the tests stop at
// the TLS handshake.
func makePostgresTemplate(uid, gid int) (string, error) {
	dir, err := os.MkdirTemp("", "peertest-postgres-template-")
	if err != nil {
		return "", err
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(dir, uid, gid); err != nil {
			return dir, err
		}
	}
	cmd := exec.Command(filepath.Join(PostgresBinDir, "initdb"), "-D", filepath.Join(dir, "data"),
		"-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions")
	cmd.Dir = dir
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return dir, fmt.Errorf("%v: %s", err, out)
	}
	return dir, nil
}

func copyFile(t testing.TB, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatalf("peertest: %v", err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatalf("peertest: %v", err)
	}
}
