package bench

import (
	"bytes"
	"crypto/tls"
	"testing"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// pskScenario is a handshake on a pre-shared key: crypto/tls has none
// (TLS 1.2 PSK suites and TLS 1.3 external PSKs are not in its API), so
// these run on clasp alone, next to the certificate handshakes both stacks
// run (BenchmarkPSKHandshake includes those, for a ratio from one run).
type pskScenario struct {
	name    string
	version uint16
	suite   uint16
	group   clasp.CurveID
}

var pskScenarios = []pskScenario{
	{name: "TLS12-ECDHE-PSK-X25519-CHACHA20", version: clasp.VersionTLS12, suite: 0xCCAC, group: clasp.X25519},
	{name: "TLS12-PSK-AES128GCM", version: clasp.VersionTLS12, suite: 0x00A8},
	{name: "TLS13-externalPSK-X25519-AES128GCM", version: clasp.VersionTLS13, suite: tls.TLS_AES_128_GCM_SHA256, group: clasp.X25519},
}

var benchPSK = bytes.Repeat([]byte{0x42}, 32)

// stack is clasp configured for the PSK scenario: no certificate on
// either side, one identity, tickets off.
func (s pskScenario) stack() stack {
	server := &clasp.Config{MinVersion: s.version, MaxVersion: s.version, CipherSuites: []uint16{s.suite},
		SessionTicketsDisabled: true,
		GetExternalPSK: func(identity []byte) (*clasp.ExternalPSK, error) {
			return &clasp.ExternalPSK{Identity: identity, Key: benchPSK}, nil
		}}
	client := &clasp.Config{ServerName: serverName, MinVersion: s.version, MaxVersion: s.version, CipherSuites: []uint16{s.suite},
		ExternalPSKs: []clasp.ExternalPSK{{Identity: []byte("bench-device"), Key: benchPSK}}}
	if s.group != 0 {
		server.Groups, client.Groups = []clasp.CurveID{s.group}, []clasp.CurveID{s.group}
	}
	return scenario{version: s.version}.claspStack(client, server)
}

// BenchmarkPSKHandshake measures PSK handshakes on clasp and, in the same
// run, the certificate handshakes they replace on both stacks: ECDHE-ECDSA
// P-256 in TLS 1.2 and X25519 with an ECDSA certificate in TLS 1.3.
func BenchmarkPSKHandshake(b *testing.B) {
	pki := peertest.NewPKI(b)
	for _, sc := range pskScenarios {
		b.Run(sc.name, func(b *testing.B) {
			b.Run("impl=clasp", func(b *testing.B) { benchmarkHandshakes(b, sc.stack()) })
		})
	}
	for _, sc := range []scenario{handshakeScenarios[0], tls13Scenarios[0]} {
		b.Run("certificate-"+sc.name, func(b *testing.B) {
			for _, st := range sc.stacks(pki) {
				b.Run(st.name, func(b *testing.B) { benchmarkHandshakes(b, st) })
			}
		})
	}
}

// TestPSKScenarios runs each PSK benchmark scenario once and checks what
// it negotiated: the version, the suite, the group, and no resumption.
func TestPSKScenarios(t *testing.T) {
	for _, sc := range pskScenarios {
		t.Run(sc.name, func(t *testing.T) {
			client, server, err := handshakeOverPipe(sc.stack())
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []negotiated{client, server} {
				if n.version != sc.version || n.suite != sc.suite || n.group != uint16(sc.group) || n.resumed {
					t.Errorf("negotiated %+v", n)
				}
			}
		})
	}
}
