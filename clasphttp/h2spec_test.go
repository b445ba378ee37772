package clasphttp_test

import (
	"crypto/tls"
	"encoding/xml"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"golang.org/x/net/http2"

	"github.com/clasp-tls/clasp/clasphttp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// h2specModule is h2spec, the HTTP/2 conformance tester, from the Go
// module proxy: Debian has no package of it.
const h2specModule = "github.com/summerwind/h2spec/cmd/h2spec@v2.2.1+incompatible"

// h2specBinary finds h2spec on PATH or builds it once into the user's
// cache directory with go install. Under CI a failure to build it fails
// the test, as peertest.Require does for a missing peer.
func h2specBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("h2spec"); err == nil {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	bin := filepath.Join(cache, "clasp-peers", "h2spec-v2.2.1")
	if _, err := os.Stat(filepath.Join(bin, "h2spec")); err != nil {
		cmd := exec.Command("go", "install", h2specModule)
		cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			msg := "h2spec: go install " + h2specModule + " failed: " + err.Error() + "\n" + string(out)
			if peertest.InCI() {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return filepath.Join(bin, "h2spec")
}

// h2specReport is the part of h2spec's JUnit report read here.
type h2specReport struct {
	Suites []struct {
		Package string `xml:"package,attr"`
		Cases   []struct {
			Title   string    `xml:"classname,attr"`
			Failure *struct{} `xml:"failure"`
			Error   *struct{} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// runH2spec runs h2spec against a TLS server on addr (every case, or
// those of specs, such as "http2/6.5.3/1") with a timeout per case, and
// returns the IDs of the cases that failed, each "package/number" (as
// h2spec takes them back), mapped to its title, and h2spec's summary.
func runH2spec(t *testing.T, bin, addr string, timeout int, specs ...string) (map[string]string, string) {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	report := filepath.Join(t.TempDir(), "h2spec.xml")
	args := append([]string{"-t", "-k", "-h", host, "-p", port, "-o", strconv.Itoa(timeout), "-j", report}, specs...)
	out, _ := exec.Command(bin, args...).CombinedOutput()
	summary := regexp.MustCompile(`\d+ tests, \d+ passed, \d+ skipped, \d+ failed`).FindString(string(out))
	raw, err := os.ReadFile(report)
	if err != nil || summary == "" {
		t.Fatalf("h2spec wrote no report (%v):\n%s", err, out)
	}
	var r h2specReport
	if err := xml.Unmarshal(raw, &r); err != nil {
		t.Fatalf("h2spec report: %v", err)
	}
	failed := map[string]string{}
	for _, suite := range r.Suites {
		for i, c := range suite.Cases {
			if c.Failure != nil || c.Error != nil {
				failed[fmt.Sprintf("%s/%d", suite.Package, i+1)] = c.Title
			}
		}
	}
	return failed, summary
}

// The clasp HTTP/2 server (x/net/http2 over clasp) passes every h2spec
// case that x/net/http2 over crypto/tls passes. x/net fails a few cases
// itself (they are logged); a case that fails on clasp alone is run again
// with a longer timeout before it counts, because h2spec judges some
// cases by a timeout, which a loaded machine can miss; it counts only if
// it then fails over clasp and passes over crypto/tls.
func TestServerPassesH2spec(t *testing.T) {
	bin := h2specBinary(t)
	pki := peertest.NewPKI(t)
	quiet := log.New(io.Discard, "", 0) // h2spec's errors are on purpose
	// The handler reads the whole request body before it answers, so
	// that a body that contradicts its content-length (§8.1.2.6) is seen
	// before a response could race the h2spec's check.
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		io.WriteString(w, "ok\n")
	})
	claspAddr, _ := startServerWith(t, serverConfig(pki), &clasphttp.Server{Handler: handler, HTTP1: &http.Server{ErrorLog: quiet}})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ref := &http.Server{ErrorLog: quiet, Handler: handler, TLSConfig: &tls.Config{Certificates: []tls.Certificate{pki.ECDSA.TLS}}}
	if err := http2.ConfigureServer(ref, &http2.Server{}); err != nil {
		t.Fatal(err)
	}
	go ref.ServeTLS(ln, "", "")
	defer ref.Close()

	claspFailed, claspSummary := runH2spec(t, bin, claspAddr, 2)
	refFailed, refSummary := runH2spec(t, bin, ln.Addr().String(), 2)
	t.Logf("h2spec: clasp server %s; crypto/tls + x/net/http2 %s", claspSummary, refSummary)
	var onlyClasp []string
	for id, title := range claspFailed {
		if _, ok := refFailed[id]; ok {
			t.Logf("failed by x/net/http2 over both stacks: %s %s", id, title)
			continue
		}
		onlyClasp = append(onlyClasp, id)
	}
	if len(onlyClasp) == 0 {
		return
	}
	t.Logf("failed over clasp alone on the first run, running again: %v", onlyClasp)
	again, _ := runH2spec(t, bin, claspAddr, 5, onlyClasp...)
	refAgain, _ := runH2spec(t, bin, ln.Addr().String(), 5, onlyClasp...)
	for id, title := range again {
		if _, ok := refAgain[id]; ok {
			t.Logf("failed by x/net/http2 over both stacks on the second run: %s %s", id, title)
			continue
		}
		t.Errorf("h2spec %s fails over clasp but not over crypto/tls: %s", id, title)
	}
}
