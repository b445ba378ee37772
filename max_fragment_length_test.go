package clasp

import (
	"testing"

	"github.com/clasp-tls/clasp/internal/wire"
)

// RFC 6066 §4 between clasp peers: a client that asks without
// record_size_limit gets the echo, and both sides' records shrink; with
// record_size_limit too (clasp's default hello), the server answers that
// instead (RFC 8449 §5).
func TestMaxFragmentLength(t *testing.T) {
	for _, version := range []uint16{VersionTLS12, VersionTLS13} {
		t.Run(VersionName(version), func(t *testing.T) {
			client, server := testClientConfig(t), testServerConfig(t)
			client.MaxVersion, server.MaxVersion = version, version
			client.MaxFragmentLength = 512
			res := testHandshake(t, client, server)
			res.mustSucceed(t)
			if res.clientState.MaxFragmentLength != 0 {
				t.Errorf("with record_size_limit in the hello, max_fragment_length %d was agreed", res.clientState.MaxFragmentLength)
			}
			client.ClientHelloExtensions = []uint16{0, 1, 10, 11, 13, 23, 0xff01, 43, 51, 45}
			res = testHandshake(t, client, server)
			res.mustSucceed(t)
			if res.clientState.MaxFragmentLength != 512 || res.serverState.MaxFragmentLength != 512 {
				t.Fatalf("agreed %d / %d, want 512", res.clientState.MaxFragmentLength, res.serverState.MaxFragmentLength)
			}
			if res.client.layer.MaxPlaintext() != 512 || res.server.layer.MaxPlaintext() != 512 {
				t.Errorf("write limits %d / %d, want 512", res.client.layer.MaxPlaintext(), res.server.layer.MaxPlaintext())
			}
			res.exchange(t)
		})
	}
}

func TestMaxFragmentLengthConfigChecked(t *testing.T) {
	client := testClientConfig(t)
	client.MaxFragmentLength = 1000
	res := testHandshake(t, client, testServerConfig(t))
	if res.clientErr == nil {
		t.Fatal("MaxFragmentLength 1000 accepted; RFC 6066 allows 512, 1024, 2048, 4096")
	}
}

// RFC 6066 §4: a response that differs from the request is
// illegal_parameter.
func TestClientRejectsAnotherMaxFragmentLength(t *testing.T) {
	cfg := testClientConfig(t)
	cfg.MaxFragmentLength = 1024
	clientRefusesServerHello12(t, cfg, 0xc02b, wire.AlertIllegalParameter, func(ch *wire.ClientHello, sh *wire.ServerHello) {
		sh.Extensions = append(sh.Extensions, &wire.MaxFragmentLengthExt{Length: 1})
	})
}
