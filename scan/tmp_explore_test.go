package scan

import (
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

func TestExploreOpenSSL(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, args := range [][]string{{}, {"-no_ticket"}, {"-early_data", "-num_tickets", "3"}, {"-allow_no_dhe_kex"}} {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, append(args, "-quiet")...)
		t.Log(args)
		resumptionOf(t, srv.Addr, suites.VersionTLS12, suites.VersionTLS13)
	}
}
