package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	peertest.Cleanup()
	os.Exit(code)
}

// The program runs on clasp: a mutual-TLS HTTPS request to itself, with
// both sides' secrets in the key log.
func TestRunsOnClasp(t *testing.T) {
	pki := peertest.NewPKI(t)
	var keyLog bytes.Buffer
	body, err := run(pki.ECDSA.ChainFile, pki.ECDSA.KeyFile, pki.CACertFile, &keyLog)
	if err != nil || body != "hello over mutual TLS\n" {
		t.Fatalf("run: %q, %v", body, err)
	}
	if !strings.Contains(keyLog.String(), "CLIENT_TRAFFIC_SECRET_0") && !strings.Contains(keyLog.String(), "CLIENT_RANDOM") {
		t.Errorf("no key log lines:\n%s", keyLog.String())
	}
}

// The same source with the import line changed to crypto/tls builds and
// runs: the program is a crypto/tls program, and switching it to clasp is
// the change of one import path.
func TestSameSourceIsACryptoTLSProgram(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	const claspImport = `tls "github.com/clasp-tls/clasp"`
	if bytes.Count(src, []byte(claspImport)) != 1 {
		t.Fatalf("main.go should import clasp exactly once as %s", claspImport)
	}
	dir := t.TempDir()
	orig := bytes.Replace(src, []byte(claspImport), []byte(`tls "crypto/tls"`), 1)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module switchcheck\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "switchcheck")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the crypto/tls version does not build: %v\n%s", err, out)
	}
	pki := peertest.NewPKI(t)
	out, err := exec.Command(bin, "-cert", pki.ECDSA.ChainFile, "-key", pki.ECDSA.KeyFile, "-ca", pki.CACertFile).CombinedOutput()
	if err != nil || string(out) != "hello over mutual TLS\n" {
		t.Fatalf("the crypto/tls version: %v\n%s", err, out)
	}
}
