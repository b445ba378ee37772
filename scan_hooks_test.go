package clasp

// Tests of the hooks clasp scan uses: ticket key names,
// Config.PSKKeyExchangeModes and Config.InsecureLegacyRenegotiation.

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// A ticket names its key after the period (8 bytes, derived one way from
// the key): servers that share a base key write the same name, servers
// that do not write different ones, and a server refuses a ticket under
// another name without trying to decrypt it.
func TestTicketKeyNameTellsKeysApart(t *testing.T) {
	a := &Config{SessionTicketKey: [32]byte{1}}
	b := &Config{SessionTicketKey: [32]byte{2}}
	a2 := &Config{SessionTicketKey: [32]byte{1}}
	seal := func(c *Config) []byte {
		t.Helper()
		ticket, err := c.sealTicketBytes([]byte("session state"))
		if err != nil {
			t.Fatal(err)
		}
		return ticket
	}
	ta, tb, ta2 := seal(a), seal(b), seal(a2)
	name := func(ticket []byte) []byte { return ticket[8 : 8+ticketKeyNameLen] }
	if !bytes.Equal(name(ta), name(ta2)) {
		t.Errorf("two configs with one base key wrote key names %x and %x", name(ta), name(ta2))
	}
	if bytes.Equal(name(ta), name(tb)) {
		t.Errorf("two base keys wrote the same key name %x", name(ta))
	}
	if _, ok := a2.openTicketBytes(ta); !ok {
		t.Errorf("a server sharing the base key cannot open the ticket")
	}
	if _, ok := b.openTicketBytes(ta); ok {
		t.Errorf("a server with another base key opened the ticket")
	}
	renamed := slices.Clone(ta)
	renamed[8] ^= 1
	if _, ok := a.openTicketBytes(renamed); ok {
		t.Errorf("a ticket whose key name was changed still opened")
	}
}

// A client that offers psk_ke alone resumes without a key share when the
// server allows it (a clasp server only when its Config names psk_ke), and says the connection has no forward
// secrecy (RFC 8446 §4.2.9).
func TestTLS13ResumptionWithPSKKE(t *testing.T) {
	clientCfg := testClientConfig(t)
	clientCfg.MaxVersion = VersionTLS13
	clientCfg.ClientSessionCache = NewLRUClientSessionCache(4)
	clientCfg.PSKKeyExchangeModes = []uint8{PSKModePlainKE}
	serverCfg := testServerConfig(t)
	serverCfg.MaxVersion = VersionTLS13
	// Without psk_ke in its Config a server does a full handshake: psk_ke
	// has no forward secrecy (RFC 8446 §4.2.9; OpenSSL too refuses it
	// unless -allow_no_dhe_kex).
	_, refused := resumeTwice(t, clientCfg, serverCfg)
	if refused.clientState.DidResume || refused.clientState.CurveID == 0 {
		t.Errorf("a default server resumed with psk_ke (resumed %v, group %v)", refused.clientState.DidResume, refused.clientState.CurveID)
	}
	serverCfg.PSKKeyExchangeModes = []uint8{PSKModeDHEKE, PSKModePlainKE}
	_, second := resumeTwice(t, clientCfg, serverCfg)
	st := second.clientState
	if !st.DidResume || st.ResumedBy != "psk_ke" || second.serverState.ResumedBy != "psk_ke" {
		t.Fatalf("second handshake: resumed %v by %q (server: %q), want psk_ke", st.DidResume, st.ResumedBy, second.serverState.ResumedBy)
	}
	if st.CurveID != 0 {
		t.Errorf("psk_ke resumption used group %v", st.CurveID)
	}
	if !slices.ContainsFunc(st.Warnings, func(w string) bool { return strings.Contains(w, "psk_ke") }) {
		t.Errorf("no warning about psk_ke: %q", st.Warnings)
	}
}

// A client with InsecureLegacyRenegotiation sends no renegotiation_info, and
// a clasp server, which renegotiates only with RFC 5746 whatever its
// policy, refuses its renegotiation with no_renegotiation (RFC 5746 §4.4
// lets a server refuse; clasp always does without the binding). The
// client says what it did in its warnings.
func TestLegacyRenegotiationRefusedByClaspServer(t *testing.T) {
	clientCfg := testClientConfig(t)
	clientCfg.InsecureLegacyRenegotiation = true
	serverCfg := testServerConfig(t)
	serverCfg.Renegotiation = RenegotiateFreelyAsClient
	res := testHandshake(t, clientCfg, serverCfg)
	res.mustSucceed(t)
	if res.clientState.SecureRenegotiation || res.serverState.SecureRenegotiation {
		t.Fatalf("secure renegotiation negotiated: client %v, server %v", res.clientState.SecureRenegotiation, res.serverState.SecureRenegotiation)
	}
	if !slices.ContainsFunc(res.clientState.Warnings, func(w string) bool { return strings.Contains(w, "RFC 5746") }) {
		t.Errorf("no warning: %q", res.clientState.Warnings)
	}
	go func() {
		buf := make([]byte, 1)
		_, _ = res.server.Read(buf)
	}()
	if err := res.client.Renegotiate(context.Background(), nil); !errors.Is(err, ErrRenegotiationRefused) {
		t.Fatalf("Renegotiate = %v, want the refusal", err)
	}
}
