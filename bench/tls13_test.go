package bench

import (
	"crypto/tls"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// tls13Scenarios are the TLS 1.3 full handshakes BenchmarkTLS13Handshake
// measures. Session tickets are off on both servers (resume is
// fullHandshake), so no NewSessionTicket is sealed or sent.
var tls13Scenarios = []scenario{
	{name: "X25519-ECDSA-P256-AES128GCM", version: tls.VersionTLS13, suite: tls.TLS_AES_128_GCM_SHA256, leaf: ecdsaLeaf, group: tls.X25519},
	{name: "X25519MLKEM768-ECDSA-P256-AES128GCM", version: tls.VersionTLS13, suite: tls.TLS_AES_128_GCM_SHA256, leaf: ecdsaLeaf, group: tls.X25519MLKEM768},
}

// BenchmarkTLS13Handshake measures one complete TLS 1.3 full handshake per
// iteration, the same way BenchmarkHandshake measures TLS 1.2: both sides
// over net.Pipe, the client verifying the server's chain.
func BenchmarkTLS13Handshake(b *testing.B) {
	pki := peertest.NewPKI(b)
	for _, sc := range tls13Scenarios {
		b.Run(sc.name, func(b *testing.B) {
			for _, st := range sc.stacks(pki) {
				b.Run(st.name, func(b *testing.B) { benchmarkHandshakes(b, st) })
			}
		})
	}
}

// TestTLS13Scenarios runs every TLS 1.3 benchmark scenario once on both
// stacks and checks version, suite, group and that nothing resumed.
func TestTLS13Scenarios(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, sc := range tls13Scenarios {
		for _, st := range sc.stacks(pki) {
			t.Run(sc.name+"/"+st.name, func(t *testing.T) {
				client, server, err := handshakeOverPipe(st)
				if err != nil {
					t.Fatal(err)
				}
				checkNegotiated(t, sc, "client", client)
				checkNegotiated(t, sc, "server", server)
			})
		}
	}
}
