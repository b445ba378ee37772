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
