package diagnose_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/diagnose"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// Every alert wire knows has a meaning from each side: a peer_alert
// diagnosis never falls back to "unknown alert" for a registered one.
func TestAlertTableComplete(t *testing.T) {
	for code := 0; code < 256; code++ {
		desc := wire.AlertDescription(code)
		if strings.HasPrefix(desc.String(), "unknown_alert") || desc == wire.AlertCloseNotify {
			continue
		}
		for _, side := range []string{"client", "server"} {
			ae := &clasp.AlertReceivedError{Level: 2, Description: uint8(code), Step: "read server Certificate"}
			err := &clasp.HandshakeError{Side: side, Step: "read server Certificate", Err: ae}
			d := diagnose.Explain(err, nil, side, time.Now())
			if d.Cause == diagnose.CauseUnknown || strings.Contains(d.Explanation, "no registry entry") {
				t.Errorf("%s from the %s peer: %s: %s", desc, side, d.Cause, d.Explanation)
			}
			if !strings.Contains(d.Summary+d.Explanation, desc.String()) {
				t.Errorf("%s: diagnosis does not name the alert: %s", desc, d.Summary)
			}
		}
	}
}

// An alert from a real peer: OpenSSL refuses a server name it does not
// serve (-servername with -servername_fatal).
func TestPeerAlertUnrecognizedName(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-www", "-servername", "localhost",
		"-cert2", pki.ECDSA.CertFile, "-key2", pki.ECDSA.KeyFile, "-servername_fatal")
	cfg := &clasp.Config{RootCAs: pki.CAPool, ServerName: "wrong.example", InsecureSkipVerify: true}
	err, rec := dialClasp(t, srv.Addr, cfg)
	if err == nil {
		t.Fatal("handshake succeeded")
	}
	d := diagnose.ExplainWithConfig(err, rec, "client", time.Now(), cfg)
	expect(t, d, diagnose.CausePeerAlert, "unrecognized_name", `"wrong.example"`, "--servername")
}

func TestDiagnosisJSON(t *testing.T) {
	d := diagnose.Explain(&clasp.HandshakeError{Side: "client", Step: "read ServerHello", Err: errors.New("boom")}, nil, "client", time.Now())
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"cause", "summary", "explanation", "fix", "evidence"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON %s lacks %q", b, k)
		}
	}
	ev := m["evidence"].(map[string]any)
	if ev["side"] != "client" || ev["step"] != "read ServerHello" {
		t.Errorf("evidence = %v", ev)
	}
}

// The Recorder keeps parsed messages but neither raw bytes (which alias
// connection buffers) nor application data.
func TestRecorderKeepsWhatDiagnosisNeeds(t *testing.T) {
	rec := diagnose.NewRecorder()
	raw := []byte{1, 2, 3}
	rec.Trace(&trace.Message{Header: trace.Header{Kind: trace.KindMessage, Side: trace.Client}, Name: "ClientHello",
		ContentType: 22, Raw: raw, Parsed: &wire.ClientHello{}})
	rec.Trace(&trace.Message{Header: trace.Header{Kind: trace.KindMessage, Side: trace.Client}, Name: "ApplicationData", ContentType: 23, Length: 5})
	rec.Trace(&trace.Alert{Header: trace.Header{Kind: trace.KindAlert, Side: trace.Client}, Direction: trace.Received, Level: 2, Description: 40})
	ev := rec.Events()
	if len(ev) != 2 {
		t.Fatalf("%d events kept, want 2", len(ev))
	}
	if m := ev[0].(*trace.Message); m.Raw != nil || m.Parsed == nil {
		t.Errorf("message kept as %+v", m)
	}
	for i := 0; i < 2000; i++ {
		rec.Trace(&trace.State{Header: trace.Header{Kind: trace.KindState, Side: trace.Client}, Name: "x"})
	}
	rec.Trace(&trace.Failed{Header: trace.Header{Kind: trace.KindFailed, Side: trace.Client}, Err: errors.New("late")})
	ev = rec.Events()
	if _, ok := ev[len(ev)-1].(*trace.Failed); !ok || len(ev) > 1100 {
		t.Errorf("bounded recorder: %d events, last %T", len(ev), ev[len(ev)-1])
	}
}
