package main

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
)

// A port that answers with plain HTTP: clasp connect says so after the
// one-line reason, and --json carries the same diagnosis.
func TestConnectExplainsANonTLSPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler()}
	go srv.Serve(ln)
	defer srv.Close()

	r := runClasp(t, nil, "connect", "--insecure", ln.Addr().String())
	if r.exitCode != exitFailure {
		t.Fatalf("exit %d, want %d\n%s", r.exitCode, exitFailure, r.stderr)
	}
	for _, want := range []string{"why:", "what to change:", "HTTP"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}

	r = runClasp(t, nil, "connect", "--insecure", "--json", ln.Addr().String())
	var out struct {
		OK        bool   `json:"ok"`
		Error     string `json:"error"`
		Diagnosis struct {
			Cause string `json:"cause"`
			Fix   string `json:"fix"`
		} `json:"diagnosis"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, r.stdout)
	}
	if out.OK || out.Error == "" || out.Diagnosis.Cause != "not_tls" || out.Diagnosis.Fix == "" {
		t.Errorf("JSON failure summary = %+v", out)
	}
}
