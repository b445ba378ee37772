package clasp

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// A Read that times out on its deadline leaves the connection usable, as
// net/http's keep-alive needs (it aborts its background read between
// requests with a deadline in the past) and crypto/tls allows.
func TestReadGoesOnAfterDeadlineTimeout(t *testing.T) {
	for _, version := range []uint16{VersionTLS12, VersionTLS13} {
		t.Run(VersionName(version), func(t *testing.T) {
			ccfg, scfg := testClientConfig(t), testServerConfig(t)
			ccfg.MaxVersion, scfg.MaxVersion = version, version
			r := testHandshake(t, ccfg, scfg)
			r.mustSucceed(t)
			r.client.SetReadDeadline(time.Now().Add(-time.Second))
			_, err := r.client.Read(make([]byte, 8))
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("Read past its deadline: %v, want a timeout", err)
			}
			r.client.SetReadDeadline(time.Now().Add(10 * time.Second))
			go r.server.Write([]byte("after"))
			got := make([]byte, 5)
			if _, err := io.ReadFull(r.client, got); err != nil || string(got) != "after" {
				t.Fatalf("Read after the timeout: %q, %v; want the server's bytes", got, err)
			}
		})
	}
}
