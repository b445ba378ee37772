package clasp

import (
	"strings"
	"testing"
)

// Encrypt-then-MAC is negotiated for CBC suites and only for them (RFC
// 7366 §3), resumed handshakes included, and the records then flow.
func TestEncryptThenMACForCBCSuites(t *testing.T) {
	for _, tc := range []struct {
		suite uint16
		etm   bool
	}{
		{TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, true},
		{TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, true},
		{TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, false},
	} {
		t.Run(CipherSuiteName(tc.suite), func(t *testing.T) {
			client, server := testClientConfig(t), testServerConfig(t)
			client.CipherSuites, server.CipherSuites = []uint16{tc.suite}, []uint16{tc.suite}
			client.ClientSessionCache = NewLRUClientSessionCache(2)
			for i := range 2 {
				res := testHandshake(t, client, server)
				res.mustSucceed(t)
				if res.clientState.EncryptThenMAC != tc.etm || res.serverState.EncryptThenMAC != tc.etm {
					t.Errorf("connection %d: EncryptThenMAC client %v, server %v; want %v", i, res.clientState.EncryptThenMAC, res.serverState.EncryptThenMAC, tc.etm)
				}
				// With encrypt-then-MAC agreed the suite is not
				// MAC-then-encrypt, and no warning may say it is.
				for _, w := range append(res.clientState.Warnings, res.serverState.Warnings...) {
					if strings.Contains(w, "MAC-then-encrypt") {
						t.Errorf("connection %d: warning %q", i, w)
					}
				}
				res.exchange(t)
			}
		})
	}
}

// A client that does not ask gets MAC-then-encrypt (the server must not
// volunteer it: RFC 7366 §2 makes it a response only).
func TestEncryptThenMACOnlyWhenAsked(t *testing.T) {
	client, server := testClientConfig(t), testServerConfig(t)
	suite := TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
	client.CipherSuites, server.CipherSuites = []uint16{suite}, []uint16{suite}
	client.ClientHelloExtensions = []uint16{0, 10, 11, 13, 23, 0xff01}
	res := testHandshake(t, client, server)
	res.mustSucceed(t)
	if res.clientState.EncryptThenMAC || res.serverState.EncryptThenMAC {
		t.Errorf("EncryptThenMAC without the extension in the hello")
	}
	for side, st := range map[string]ConnectionState{"client": res.clientState, "server": res.serverState} {
		if !strings.Contains(strings.Join(st.Warnings, "\n"), "MAC-then-encrypt") {
			t.Errorf("%s: no MAC-then-encrypt warning without encrypt-then-MAC: %q", side, st.Warnings)
		}
	}
	res.exchange(t)
}
