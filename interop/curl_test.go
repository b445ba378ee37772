package interop

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// buildClasp builds the clasp command once per test that needs it.
func buildClasp(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "clasp")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/clasp")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building clasp: %v\n%s", err, out)
	}
	return bin
}

// startClaspServe runs `clasp serve` on a free port and returns its address
// once it reports that it listens.
func startClaspServe(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrCh := make(chan string, 1)
	logDone := make(chan struct{})
	var log strings.Builder // read only after logDone, so no lock is needed
	go func() {
		defer close(logDone)
		scanner := bufio.NewScanner(stderr)
		for scanner.Scan() {
			line := scanner.Text()
			log.WriteString(line + "\n")
			if rest, ok := strings.CutPrefix(line, "listening on "); ok {
				addrCh <- strings.Fields(rest)[0]
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		<-logDone
		_ = cmd.Wait()
		t.Logf("clasp serve's log:\n%s", log.String())
	})
	select {
	case addr := <-addrCh:
		return addr
	case <-time.After(20 * time.Second):
		t.Fatal("clasp serve did not start listening")
		return ""
	}
}

// TestCurlFetchesFromClaspServe: curl, verifying against the test CA,
// fetches the page `clasp serve --mode http` writes about the connection.
func TestCurlFetchesFromClaspServe(t *testing.T) {
	peertest.Require(t, "curl")
	pki := peertest.NewPKI(t)
	bin := buildClasp(t)
	addr := startClaspServe(t, bin, "--mode", "http", "--cert", pki.ECDSA.ChainFile, "--key", pki.ECDSA.KeyFile)
	port := addr[strings.LastIndex(addr, ":")+1:]
	for _, suite := range []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"} {
		t.Run(suite, func(t *testing.T) {
			out, err := peertest.RunCurl(t, "https://localhost:"+port+"/", append(peertest.CurlCipherArgs(suite), "--http1.1")...)
			if err != nil {
				t.Fatalf("curl: %v\n%s", err, out)
			}
			if !strings.Contains(out, suite) {
				t.Errorf("the page does not name the negotiated suite %s:\n%s", suite, out)
			}
		})
	}
}
