package scan

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// serverConfig is one openssl s_server configuration the simulation is
// checked against.
type serverConfig struct {
	name string
	args []string
}

// simulationServers are the configurations of the proof: TLS 1.3 only;
// Mozilla-intermediate-like TLS 1.2 and 1.3 with ECDHE and AEAD; legacy
// TLS 1.0 to 1.2 with only AES128-SHA (static RSA, CBC); TLS 1.0 alone with
// AES128-SHA. @SECLEVEL=0 lets OpenSSL 3 serve TLS 1.0 at all. Debian's
// OpenSSL 3.0 is built without DES-CBC3-SHA ("no cipher match" even at
// @SECLEVEL=0), so 3DES cannot be served here.
var simulationServers = []serverConfig{
	{"modern", []string{"-tls1_3"}},
	{"intermediate", []string{"-no_ssl3", "-no_tls1", "-no_tls1_1", "-groups", "X25519:P-256:P-384",
		"-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"}},
	{"legacy", []string{"-no_tls1_3", "-cipher", "AES128-SHA@SECLEVEL=0"}},
	{"legacy-tls1.0", []string{"-tls1", "-cipher", "AES128-SHA@SECLEVEL=0"}},
	// Two that tell clients apart: TLS 1.3 with only P-384 (a client that
	// sent no P-384 share gets a HelloRetryRequest), and TLS 1.2 with only
	// ECDHE-RSA-AES256-SHA384, a suite NSS and crypto/tls do not offer (the
	// "curl on NSS cannot connect" case).
	{"tls1.3-p384", []string{"-tls1_3", "-groups", "P-384"}},
	{"cbc-sha384", []string{"-tls1_2", "-cipher", "ECDHE-RSA-AES256-SHA384"}},
}

// TestSimulationMatchesRealClients runs every installed client against
// each server configuration and checks that the simulation of its
// captured profile says the same: connects or not, and with the same
// version and suite when it connects.
func TestSimulationMatchesRealClients(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	profiles := capturedProfiles(t)
	var targets []string
	verdicts := map[string]map[string]ClientVerdict{} // server → profile → verdict
	for _, sc := range simulationServers {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, append([]string{"-www", "-quiet"}, sc.args...)...)
		targets = append(targets, fmt.Sprintf("localhost:%d", srv.Port))
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		rep, err := Scan(ctx, srv.Addr, Options{Timeout: 10 * time.Second, ServerName: "localhost", Clients: profiles})
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", sc.name, err)
		}
		verdicts[sc.name] = map[string]ClientVerdict{}
		for _, v := range rep.Clients {
			verdicts[sc.name][v.ID] = v
		}
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-32s %-14s %-60s %s\n", "client", "server", "simulation", "real client")
	for _, c := range realClients() {
		if !installed(c) {
			t.Logf("%s: not installed", c.profile)
			continue
		}
		outcomes := c.run(t, targets)
		for i, sc := range simulationServers {
			sim, real := verdicts[sc.name][c.profile], outcomes[i]
			fmt.Fprintf(&table, "%-32s %-14s %-60s %s\n", c.profile, sc.name, verdictText(sim), real)
			if msg := disagreement(sim, real); msg != "" {
				t.Errorf("%s against %s: %s\nsimulation: %+v\nreal client: %+v", c.profile, sc.name, msg, sim, real)
			}
		}
	}
	t.Logf("simulation against real clients:\n%s", table.String())
}

func installed(c realClient) bool {
	for _, b := range c.binaries {
		if _, err := exec.LookPath(b); err != nil {
			if peertest.InCI() {
				return true // run anyway: the client's own Require fails the test
			}
			return false
		}
	}
	return true
}

// disagreement compares a verdict with what the real client did.
func disagreement(sim ClientVerdict, real realOutcome) string {
	switch {
	case sim.ID == "":
		return "no verdict for the client"
	case sim.Connects != real.ok:
		return fmt.Sprintf("simulation says connects=%v, the real client %v", sim.Connects, real)
	case !real.ok:
		return ""
	case real.version != sim.Version:
		return fmt.Sprintf("simulation says %v, the real client negotiated %v", sim.Version, real.version)
	case real.suite != 0 && real.suite != sim.Suite:
		return fmt.Sprintf("simulation says %v, the real client negotiated %v", sim.Suite, real.suite)
	}
	return ""
}

func verdictText(v ClientVerdict) string {
	if !v.Connects {
		return "fails: " + v.Reason
	}
	return fmt.Sprintf("connects %s %s %s", v.VersionName, v.SuiteName, v.GroupName)
}

// capturedProfiles returns the profiles of the clients installed here.
func capturedProfiles(t *testing.T) []*ClientProfile {
	all, err := ClientProfiles()
	if err != nil {
		t.Fatal(err)
	}
	var out []*ClientProfile
	for _, p := range all {
		if p.Source.Kind == "captured" {
			out = append(out, p)
		}
	}
	return out
}
