package trace

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/clasp-tls/clasp/internal/wire"
)

// openSSLStep says what one clasp driver step is called by OpenSSL: the
// lines `openssl s_client -state` prints for it, one per message the step
// exchanges. A step whose message is optional and was not exchanged (no
// CertificateRequest, no ServerKeyExchange under RSA) prints nothing, as in
// OpenSSL, which only reports states it passes through.
type openSSLStep struct {
	side  Side
	step  string // clasp's step name, as in the drivers' step tables
	lines []openSSLLine
}

type openSSLLine struct {
	message string // the Message.Name that completes this state
	text    string // OpenSSL's SSL_state_string_long
}

// openSSLSteps maps the drivers' step names to OpenSSL's vocabulary
// (ssl/ssl_stat.c). A step missing here (TLS 1.3 steps, until they are
// added) is printed under clasp's own name, so nothing is ever hidden.
var openSSLSteps = []openSSLStep{
	{Client, "write ClientHello", []openSSLLine{{"ClientHello", "SSLv3/TLS write client hello"}}},
	{Client, "read ServerHello", []openSSLLine{{"ServerHello", "SSLv3/TLS read server hello"}}},
	{Client, "read server Certificate", []openSSLLine{{"Certificate", "SSLv3/TLS read server certificate"}}},
	{Client, "read ServerKeyExchange", []openSSLLine{{"ServerKeyExchange", "SSLv3/TLS read server key exchange"}}},
	{Client, "read CertificateRequest", []openSSLLine{{"CertificateRequest", "SSLv3/TLS read server certificate request"}}},
	{Client, "read ServerHelloDone", []openSSLLine{{"ServerHelloDone", "SSLv3/TLS read server done"}}},
	{Client, "write client Certificate", []openSSLLine{{"Certificate", "SSLv3/TLS write client certificate"}}},
	{Client, "write ClientKeyExchange", []openSSLLine{{"ClientKeyExchange", "SSLv3/TLS write client key exchange"}}},
	{Client, "write CertificateVerify", []openSSLLine{{"CertificateVerify", "SSLv3/TLS write certificate verify"}}},
	{Client, "write ChangeCipherSpec and Finished", []openSSLLine{
		{"ChangeCipherSpec", "SSLv3/TLS write change cipher spec"}, {"Finished", "SSLv3/TLS write finished"}}},
	{Client, "read ChangeCipherSpec and Finished", []openSSLLine{
		{"ChangeCipherSpec", "SSLv3/TLS read change cipher spec"}, {"Finished", "SSLv3/TLS read finished"}}},

	{Server, "read ClientHello", []openSSLLine{{"ClientHello", "SSLv3/TLS read client hello"}}},
	{Server, "write ServerHello", []openSSLLine{{"ServerHello", "SSLv3/TLS write server hello"}}},
	{Server, "write server Certificate", []openSSLLine{{"Certificate", "SSLv3/TLS write certificate"}}},
	{Server, "write ServerKeyExchange", []openSSLLine{{"ServerKeyExchange", "SSLv3/TLS write key exchange"}}},
	{Server, "write CertificateRequest", []openSSLLine{{"CertificateRequest", "SSLv3/TLS write certificate request"}}},
	{Server, "write ServerHelloDone", []openSSLLine{{"ServerHelloDone", "SSLv3/TLS write server done"}}},
	{Server, "read client Certificate", []openSSLLine{{"Certificate", "SSLv3/TLS read client certificate"}}},
	{Server, "read ClientKeyExchange", []openSSLLine{{"ClientKeyExchange", "SSLv3/TLS read client key exchange"}}},
	{Server, "read CertificateVerify", []openSSLLine{{"CertificateVerify", "SSLv3/TLS read certificate verify"}}},
	{Server, "read ChangeCipherSpec and Finished", []openSSLLine{
		{"ChangeCipherSpec", "SSLv3/TLS read change cipher spec"}, {"Finished", "SSLv3/TLS read finished"}}},
	{Server, "write ChangeCipherSpec and Finished", []openSSLLine{
		{"ChangeCipherSpec", "SSLv3/TLS write change cipher spec"}, {"Finished", "SSLv3/TLS write finished"}}},
}

func findOpenSSLStep(side Side, step string) *openSSLStep {
	for i := range openSSLSteps {
		if s := &openSSLSteps[i]; s.side == side && s.step == step {
			return s
		}
	}
	return nil
}

// openSSLMessageLine finds OpenSSL's name for a message exchanged by side.
// The current step is searched first; then every step of that side in the
// same direction, because a driver may read a message ahead while still in
// the step before it (the client reads ServerHelloDone while looking for an
// optional ServerKeyExchange under RSA key exchange).
func openSSLMessageLine(side Side, step string, m *Message) (string, bool) {
	verb := "write "
	if m.Direction == Received {
		verb = "read "
	}
	if s := findOpenSSLStep(side, step); s != nil && strings.HasPrefix(step, verb) {
		for _, l := range s.lines {
			if l.message == m.Name {
				return l.text, true
			}
		}
	}
	for _, s := range openSSLSteps {
		if s.side != side || !strings.HasPrefix(s.step, verb) {
			continue
		}
		for _, l := range s.lines {
			if l.message == m.Name {
				return l.text, true
			}
		}
	}
	return "", false
}

// OpenSSLStateName returns OpenSSL's name for a clasp step (its first state
// when the step covers two messages), or the step itself when OpenSSL has no
// name for it.
func OpenSSLStateName(side Side, step string) string {
	if s := findOpenSSLStep(side, step); s != nil {
		return s.lines[0].text
	}
	return step
}

// stateTracer prints one line per state in the vocabulary of
// `openssl s_client -state` / `openssl s_server -state`.
type stateTracer struct {
	mu      sync.Mutex
	w       io.Writer
	started [3]bool
	step    [3]string
}

// NewStateTracer returns a Tracer that writes one line per handshake state
// to w, as `openssl s_client -state` does: "SSL_connect:SSLv3/TLS write
// client hello" on a client, "SSL_accept:..." on a server, "SSL3 alert
// write:fatal:handshake failure" for alerts and "SSL_connect:error in ..."
// when the handshake fails. It accepts one side's events or both sides'
// (the prefix tells them apart) and may be called from both at once.
func NewStateTracer(w io.Writer) Tracer {
	return &stateTracer{w: w}
}

func statePrefix(side Side) string {
	if side == Client {
		return "SSL_connect:"
	}
	return "SSL_accept:"
}

func (t *stateTracer) Trace(e Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := e.Common()
	prefix := statePrefix(h.Side)
	if !t.started[h.Side] {
		t.started[h.Side] = true
		fmt.Fprintf(t.w, "%sbefore SSL initialization\n", prefix)
	}
	switch e := e.(type) {
	case *State:
		t.step[h.Side] = e.Name
		if findOpenSSLStep(h.Side, e.Name) == nil {
			// No OpenSSL name: say clasp's, rather than stay silent.
			fmt.Fprintf(t.w, "%s%s\n", prefix, e.Name)
		}
	case *Message:
		if e.ContentType == uint8(wire.ContentApplicationData) {
			return
		}
		if text, ok := openSSLMessageLine(h.Side, t.step[h.Side], e); ok {
			fmt.Fprintf(t.w, "%s%s\n", prefix, text)
		}
	case *Alert:
		verb := "read"
		if e.Direction == Sent {
			verb = "write"
		}
		// OpenSSL spells alerts with spaces: "handshake failure".
		fmt.Fprintf(t.w, "SSL3 alert %s:%s:%s\n", verb, alertLevelName(e.Level), strings.ReplaceAll(e.Name, "_", " "))
	case *Done:
		fmt.Fprintf(t.w, "%sSSL negotiation finished successfully\n", prefix)
	case *Failed:
		fmt.Fprintf(t.w, "%serror in %s\n", prefix, OpenSSLStateName(h.Side, t.step[h.Side]))
	}
}
