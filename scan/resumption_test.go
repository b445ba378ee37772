package scan

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
)

// scannerFor is a scanner of addr whose version check is taken as given,
// so that a test runs one check alone.
func scannerFor(addr string, versions ...suites.Version) (*scanner, *Report) {
	rep := &Report{SchemaVersion: SchemaVersion, Target: addr}
	for _, v := range versions {
		rep.Versions = append(rep.Versions, VersionSupport{Version: v, Name: v.String(), Supported: true})
	}
	return &scanner{runner: &Runner{Timeout: 10 * time.Second}, addr: addr}, rep
}

func resumptionOf(t *testing.T, addr string, versions ...suites.Version) *Resumption {
	t.Helper()
	s, rep := scannerFor(addr, versions...)
	start := time.Now()
	if err := s.resumption(context.Background(), rep); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(rep.Resumption)
	t.Logf("resumption of %s (%d connections, %v): %s", addr, s.runner.Connections(), time.Since(start).Round(time.Millisecond), js)
	return rep.Resumption
}
