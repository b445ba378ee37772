package scan

import (
	"context"
	"crypto/rand"
	"net"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// CCS injection (CVE-2014-0224, found by Masashi Kikuchi, 2014): OpenSSL
// before 0.9.8za, 1.0.0m and 1.0.1h took a ChangeCipherSpec at any point of
// the handshake and switched to keys derived from a master secret it did
// not have yet (an empty one), which a man in the middle can compute. A
// ChangeCipherSpec may only come after the ClientKeyExchange (RFC 5246
// §7.1, §7.4): a server that gets one right after its ServerHelloDone must
// refuse it with unexpected_message.
//
// The probe sends that early ChangeCipherSpec, then a second one. A fixed
// server refuses the first (an alert, or it closes). A vulnerable one takes
// the first and tries to decrypt the second under its new, bogus keys,
// which fails: it answers bad_record_mac (or decryption_failed), the sign
// testssl.sh also reads. Silence is not taken as proof: older probes did,
// and F5 pointed out that its unaffected BIG-IP stays silent too (F5
// DevCentral, "CVE-2014-0224 Change Cipher Spec detection tools", 2014);
// so is a server that stalls. It is reported as unknown.

var changeCipherSpec = []byte{1}

func (s *scanner) ccsInjection(ctx context.Context, rep *Report) (Finding, error) {
	p := legacyProbe(rep, s.serverName)
	if p == nil {
		return weakFinding(weakCCS, StatusNotApplicable, "TLS 1.3 only: a ChangeCipherSpec there is a no-op the server drops (RFC 8446 §5)"), nil
	}
	h, err := p.Hello(rand.Reader)
	if err != nil {
		return Finding{}, err
	}
	var out Finding
	_, err = s.withConversation(ctx, func(conn net.Conn) *Result {
		out = s.ccsOn(conn, h, p.RecordVersion)
		return nil
	})
	return out, err
}

func (s *scanner) ccsOn(conn net.Conn, h *wire.ClientHello, recordVersion suites.Version) Finding {
	f, err := sendHello(conn, h, recordVersion)
	if f == nil || !f.done {
		return weakFinding(weakCCS, StatusUnknown, "no first flight to send the ChangeCipherSpec after: %s", flightFailure(f, err))
	}
	if err := writeRaw(conn, wire.ContentChangeCipherSpec, f.version, changeCipherSpec); err != nil {
		return weakFinding(weakCCS, StatusNotVulnerable, "%v: the server closed before the early ChangeCipherSpec could be written", f.version)
	}
	// The second one may meet a closed connection; the answer to the
	// first is what counts.
	writeRaw(conn, wire.ContentChangeCipherSpec, f.version, changeCipherSpec)
	ans := awaitAnswer(conn, s.afterFlightWait())
	switch {
	case ans.kind == "alert" && (ans.alert.Description == wire.AlertBadRecordMAC || ans.alert.Description == wire.AlertDecryptionFailed):
		return weakFinding(weakCCS, StatusVulnerable,
			"%v: after two ChangeCipherSpecs right after ServerHelloDone the server answered %v: it took the first and tried to decrypt the second", f.version, ans)
	case ans.kind == "silent":
		return weakFinding(weakCCS, StatusUnknown,
			"%v: the server said nothing to two ChangeCipherSpecs right after ServerHelloDone: a fixed server refuses them with unexpected_message, a vulnerable one fails to decrypt the second; silence is neither", f.version)
	}
	return weakFinding(weakCCS, StatusNotVulnerable, "%v: a ChangeCipherSpec right after ServerHelloDone got %s", f.version, ans)
}
