package diagnose

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
)

// The verdict's logic on evidence no test server produces on demand: a
// shared cache that hands out a session whose keys the answering server
// does not hold (accepted, then Finished fails). The peer tests in interop
// cover the other causes.
func TestResumptionVerdictNamesAnInconsistentSharedCache(t *testing.T) {
	first := Attempt{Offered: "", Certificate: "aa", Shape: "TLS 1.2 x []", SessionLeft: true}
	reconnects := []Attempt{
		{Offered: "session ID", Resumed: true, Mechanism: "session ID"},
		{Offered: "session ID", AcceptedThenFailed: true, Error: "peer sent alert decrypt_error"},
	}
	v := ConcludeResumption("en", first, reconnects)
	if v.Summary != "resumed 1 of 2 (session ID)" || !slices.Contains(v.Causes, "inconsistent_shared_cache") ||
		!strings.Contains(strings.Join(v.Fixes, " "), "make the shared cache consistent") {
		t.Errorf("verdict = %+v", v)
	}
	if slices.Contains(v.Causes, "reconnect_failed") {
		t.Errorf("an inconsistent cache also counted as a plain failure: %v", v.Causes)
	}
}

// RC4 and 3DES suites, which clasp runs only when --ciphers names them:
// the warning judged from the state alone, without a peer.
func TestWarningsForSuitesClaspDoesNotRun(t *testing.T) {
	// TLS_RSA_WITH_3DES_EDE_CBC_SHA and TLS_RSA_WITH_RC4_128_SHA (RFC 5246 Appendix A.5).
	for _, id := range []suites.ID{0x000A, 0x0005} {
		st := clasp.ConnectionState{Version: clasp.VersionTLS12, CipherSuite: uint16(id), SecureRenegotiation: true, ExtendedMasterSecret: true}
		var codes []string
		for _, w := range ConnectionWarnings("en", st, nil, time.Now()) {
			codes = append(codes, w.Code)
		}
		if !slices.Equal(codes, []string{"weak_cipher", "no_forward_secrecy"}) {
			t.Errorf("%v: warnings %v", id, codes)
		}
	}
}

// cbc_without_etm is about MAC-then-encrypt: a CBC connection that agreed
// on encrypt_then_mac (RFC 7366) does not get it, one that did not does.
func TestCBCWarningFollowsEncryptThenMAC(t *testing.T) {
	for _, etm := range []bool{false, true} {
		st := clasp.ConnectionState{Version: clasp.VersionTLS12, CipherSuite: uint16(suites.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA),
			SecureRenegotiation: true, ExtendedMasterSecret: true, EncryptThenMAC: etm}
		var codes []string
		for _, w := range ConnectionWarnings("en", st, nil, time.Now()) {
			codes = append(codes, w.Code)
		}
		if slices.Contains(codes, "cbc_without_etm") == etm {
			t.Errorf("encrypt-then-MAC %v: warnings %v", etm, codes)
		}
	}
}
