package trace_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/trace"
)

// scenarioByName finds one of the golden scenarios.
func scenarioByName(t *testing.T, name string) scenario {
	t.Helper()
	for _, sc := range scenarios {
		if sc.name == name {
			return sc
		}
	}
	t.Fatalf("no scenario %q", name)
	return scenario{}
}

// The story of a TLS 1.3 external PSK, from each side and in every
// language, tells the identity and the "ext binder" label in the
// ClientHello's pre_shared_key, the ServerHello's choice, the early
// secret and the Finished that stands in for the certificate, and none of
// the ticket-resumption lines (what the golden files hold, checked by
// meaning so that a careless -update cannot bring them back).
func TestStoryTellsExternalPSK(t *testing.T) {
	rec := recordingFor(t, scenarioByName(t, "tls13-external-psk"))
	ticketLines := []string{"ticket(s) from an earlier session", "accepts ticket number", "of the accepted ticket", "resumed with a ticket"}
	for _, v := range views {
		for _, lang := range []string{"en", "ru", "zh", "vi"} {
			var out bytes.Buffer
			tr, err := trace.NewStoryTracer(&out, lang)
			if err != nil {
				t.Fatal(err)
			}
			replay(tr, rec.events(t, v))
			story := out.String()
			// The offer, the choice, the early secret and the Finished.
			if n := strings.Count(story, `"sensor-7"`); n < 4 {
				t.Errorf("%s story, %s: the identity appears %d times, want at least 4:\n%s", v, lang, n, story)
			}
			if n := strings.Count(story, "ext binder"); n < 2 {
				t.Errorf("%s story, %s: \"ext binder\" appears %d times, want 2", v, lang, n)
			}
			for _, l := range ticketLines {
				if lang == "en" && strings.Contains(story, l) {
					t.Errorf("%s story tells an external PSK as a ticket: %q", v, l)
				}
			}
		}
	}
}

// TLS 1.3 raw public keys (RFC 7250), both ways: every view of the story,
// in every language, shows each Certificate entry as a key with its type,
// size and SHA-256 and says the peer checks it against a pinned key; the
// JSON trace marks the entries raw_public_key. Neither tries to read them
// as X.509 certificates (which failed with "malformed serial number").
func TestTraceTellsRawPublicKeys13(t *testing.T) {
	rec := recordingFor(t, scenarioByName(t, "tls13-raw-public-key"))
	for _, v := range views {
		events := rec.events(t, v)
		for _, lang := range []string{"en", "ru", "zh", "vi"} {
			var out bytes.Buffer
			tr, err := trace.NewStoryTracer(&out, lang)
			if err != nil {
				t.Fatal(err)
			}
			replay(tr, events)
			story := out.String()
			const wantKeys = 2 // the server's and the client's: each side sends one and receives the other
			if n := strings.Count(story, "ECDSA P-256"); n != wantKeys {
				t.Errorf("%s story, %s: %d raw keys told with their type, want %d:\n%s", v, lang, n, wantKeys, story)
			}
			if n := strings.Count(story, "--peer-key"); n != wantKeys {
				t.Errorf("%s story, %s: the pinned-key check told %d times, want %d", v, lang, n, wantKeys)
			}
			if strings.Contains(story, "x509:") || !strings.Contains(story, "SubjectPublicKeyInfo") {
				t.Errorf("%s story, %s: reads a raw key as a certificate, or never names the SubjectPublicKeyInfo", v, lang)
			}
		}
		var out bytes.Buffer
		replay(trace.NewJSONTracer(&out), events)
		if n := strings.Count(out.String(), `"raw_public_key":true`); n != 2 || strings.Contains(out.String(), "parse_error") {
			t.Errorf("%s JSON: %d raw key entries (want 2), parse_error present: %v", v, n, strings.Contains(out.String(), "parse_error"))
		}
	}
}
