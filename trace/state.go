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
	state string // OpenSSL's name for the step as a whole; "" is lines[0]'s
	lines []openSSLLine
}

type openSSLLine struct {
	dir     Direction
	message string // the Message.Name that completes this state
	text    string // OpenSSL's SSL_state_string_long
}

func wr(message, text string) openSSLLine { return openSSLLine{Sent, message, text} }
func rd(message, text string) openSSLLine { return openSSLLine{Received, message, text} }

// OpenSSL's words for the states both versions share (ssl/ssl_stat.c).
var (
	writeCCS      = wr("ChangeCipherSpec", "SSLv3/TLS write change cipher spec")
	readCCS       = rd("ChangeCipherSpec", "SSLv3/TLS read change cipher spec")
	writeFinished = wr("Finished", "SSLv3/TLS write finished")
	readFinished  = rd("Finished", "SSLv3/TLS read finished")
)

// openSSLSteps maps the drivers' step names to OpenSSL's vocabulary
// (ssl/ssl_stat.c). TLS 1.2 and TLS 1.3 steps that share a name share an
// entry. The TLS 1.3 words are those OpenSSL 3 prints for the same
// exchange (`openssl s_client -tls1_3 -state`): "TLSv1.3 read encrypted
// extensions", "TLSv1.3 read server certificate verify", and the 1.2 words
// for everything the two versions share. A step missing here is printed
// under clasp's own name, so nothing is ever hidden.
var openSSLSteps = []openSSLStep{
	{Client, "write ClientHello", "", []openSSLLine{wr("ClientHello", "SSLv3/TLS write client hello")}},
	// In TLS 1.3 this step also answers a HelloRetryRequest: the
	// compatibility ChangeCipherSpec, then the second ClientHello.
	{Client, "read ServerHello", "", []openSSLLine{rd("ServerHello", "SSLv3/TLS read server hello"),
		writeCCS, wr("ClientHello", "SSLv3/TLS write client hello")}},
	{Client, "read EncryptedExtensions", "", []openSSLLine{rd("EncryptedExtensions", "TLSv1.3 read encrypted extensions")}},
	{Client, "read server Certificate", "", []openSSLLine{rd("Certificate", "SSLv3/TLS read server certificate")}},
	{Client, "read server CertificateVerify", "", []openSSLLine{rd("CertificateVerify", "TLSv1.3 read server certificate verify")}},
	{Client, "read ServerKeyExchange", "", []openSSLLine{rd("ServerKeyExchange", "SSLv3/TLS read server key exchange")}},
	{Client, "read CertificateRequest", "", []openSSLLine{rd("CertificateRequest", "SSLv3/TLS read server certificate request")}},
	{Client, "read ServerHelloDone", "", []openSSLLine{rd("ServerHelloDone", "SSLv3/TLS read server done")}},
	{Client, "read server Finished", "", []openSSLLine{readFinished}},
	{Client, "write client Certificate", "", []openSSLLine{wr("Certificate", "SSLv3/TLS write client certificate")}},
	// TLS 1.3: the compatibility ChangeCipherSpec leads the client's
	// second flight, as OpenSSL's does.
	{Client, "write client Certificate and CertificateVerify", "", []openSSLLine{writeCCS,
		wr("Certificate", "SSLv3/TLS write client certificate"), wr("CertificateVerify", "SSLv3/TLS write certificate verify")}},
	{Client, "write ClientKeyExchange", "", []openSSLLine{wr("ClientKeyExchange", "SSLv3/TLS write client key exchange")}},
	{Client, "write CertificateVerify", "", []openSSLLine{wr("CertificateVerify", "SSLv3/TLS write certificate verify")}},
	{Client, "write ChangeCipherSpec and Finished", "", []openSSLLine{writeCCS, writeFinished}},
	{Client, "write client Finished", "", []openSSLLine{writeCCS, writeFinished}},
	{Client, "read ChangeCipherSpec and Finished", "", []openSSLLine{readCCS, readFinished}},
	// After the handshake: what OpenSSL prints for post-handshake messages.
	{Client, "after the handshake", "SSL negotiation finished successfully", []openSSLLine{
		rd("NewSessionTicket", "SSLv3/TLS read server session ticket"),
		rd("KeyUpdate", "TLSv1.3 read server key update"),
		wr("KeyUpdate", "TLSv1.3 write client key update")}},

	{Server, "read ClientHello", "", []openSSLLine{rd("ClientHello", "SSLv3/TLS read client hello")}},
	// TLS 1.3: OpenSSL makes its choices while it reads the ClientHello;
	// a HelloRetryRequest and the second ClientHello happen here too.
	{Server, "negotiate TLS 1.3 parameters", "SSLv3/TLS read client hello", []openSSLLine{
		wr("ServerHello", "SSLv3/TLS write server hello"), writeCCS, rd("ClientHello", "SSLv3/TLS read client hello")}},
	{Server, "write ServerHello", "", []openSSLLine{wr("ServerHello", "SSLv3/TLS write server hello"), writeCCS}},
	{Server, "write EncryptedExtensions", "", []openSSLLine{wr("EncryptedExtensions", "TLSv1.3 write encrypted extensions")}},
	{Server, "write server Certificate", "", []openSSLLine{wr("Certificate", "SSLv3/TLS write certificate")}},
	{Server, "write server Certificate and CertificateVerify", "", []openSSLLine{
		wr("Certificate", "SSLv3/TLS write certificate"), wr("CertificateVerify", "TLSv1.3 write server certificate verify")}},
	{Server, "write ServerKeyExchange", "", []openSSLLine{wr("ServerKeyExchange", "SSLv3/TLS write key exchange")}},
	{Server, "write CertificateRequest", "", []openSSLLine{wr("CertificateRequest", "SSLv3/TLS write certificate request")}},
	{Server, "write ServerHelloDone", "", []openSSLLine{wr("ServerHelloDone", "SSLv3/TLS write server done")}},
	{Server, "write server Finished", "", []openSSLLine{writeFinished}},
	{Server, "read client Certificate", "", []openSSLLine{rd("Certificate", "SSLv3/TLS read client certificate")}},
	{Server, "read client Certificate and CertificateVerify", "", []openSSLLine{
		rd("Certificate", "SSLv3/TLS read client certificate"), rd("CertificateVerify", "SSLv3/TLS read certificate verify")}},
	{Server, "read ClientKeyExchange", "", []openSSLLine{rd("ClientKeyExchange", "SSLv3/TLS read client key exchange")}},
	{Server, "read CertificateVerify", "", []openSSLLine{rd("CertificateVerify", "SSLv3/TLS read certificate verify")}},
	{Server, "read ChangeCipherSpec and Finished", "", []openSSLLine{readCCS, readFinished}},
	{Server, "read client Finished", "", []openSSLLine{readFinished}},
	{Server, "write ChangeCipherSpec and Finished", "", []openSSLLine{writeCCS, writeFinished}},
	{Server, "write NewSessionTicket", "", []openSSLLine{wr("NewSessionTicket", "SSLv3/TLS write session ticket")}},
	{Server, "after the handshake", "SSL negotiation finished successfully", []openSSLLine{
		rd("KeyUpdate", "TLSv1.3 read client key update"),
		wr("KeyUpdate", "TLSv1.3 write server key update")}},
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
// The current step is searched first; then every step of that side,
// because a driver may read a message ahead while still in the step before
// it (the client reads ServerHelloDone while looking for an optional
// ServerKeyExchange under RSA key exchange, and a TLS 1.3 Certificate while
// looking for an optional CertificateRequest), and post-handshake messages
// arrive after the last step.
func openSSLMessageLine(side Side, step string, m *Message) (string, bool) {
	match := func(s *openSSLStep) (string, bool) {
		for _, l := range s.lines {
			if l.dir == m.Direction && l.message == m.Name {
				return l.text, true
			}
		}
		return "", false
	}
	if s := findOpenSSLStep(side, step); s != nil {
		if text, ok := match(s); ok {
			return text, true
		}
	}
	for i := range openSSLSteps {
		if s := &openSSLSteps[i]; s.side == side {
			if text, ok := match(s); ok {
				return text, true
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
		if s.state != "" {
			return s.state
		}
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
	vers    versions
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
		t.vers.observe(e)
		if e.ContentType == uint8(wire.ContentApplicationData) {
			return
		}
		if e.Direction == Received && t.vers.isCompatCCS(e) {
			// OpenSSL reads TLS 1.3's compatibility ChangeCipherSpec
			// without a state of its own: it is dropped, not processed.
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
