package trace_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/trace"
)

// The story tells a stapled OCSP response and SCTs in every language: in
// TLS 1.2 the CertificateStatus message, in TLS 1.3 the leaf's
// CertificateEntry extensions. Each expected line is the catalogue's text
// up to its first placeholder, so the test follows the wording.
func TestStoryTellsStapledStatusAndSCTs(t *testing.T) {
	staple := func(_ *testing.T, _, server *clasp.Config) {
		server.Certificates[0].OCSPStaple = []byte("an OCSP response, opaque to TLS")
		server.Certificates[0].SignedCertificateTimestamps = [][]byte{[]byte("sct one"), []byte("sct two")}
	}
	tls12 := func(t *testing.T, client, server *clasp.Config) { staple(t, client, server); pinTLS12(client, server) }
	cases := []struct {
		name      string
		configure func(*testing.T, *clasp.Config, *clasp.Config)
		keys      []string
	}{
		{"TLS 1.2", tls12, []string{"cert.status"}},
		{"TLS 1.3", staple, []string{"cert.entry_status", "cert.entry_scts"}},
	}
	for _, tc := range cases {
		rec := record(t, scenario{name: tc.name, configure: tc.configure})
		events := rec.events(t, viewBoth)
		for _, lang := range []string{"en", "ru", "vi", "zh"} {
			var out bytes.Buffer
			tr, err := trace.NewStoryTracer(&out, lang)
			if err != nil {
				t.Fatal(err)
			}
			replay(tr, events)
			catalogue := readCatalogue(t, lang)
			for _, key := range tc.keys {
				text, ok := catalogue[key]
				if !ok {
					t.Fatalf("%s: the catalogue has no %s", lang, key)
				}
				prefix, _, _ := strings.Cut(text, "{")
				if i := strings.Index(text, "}"); i >= 0 && prefix == "" {
					prefix, _, _ = strings.Cut(text[i+1:], "{")
				}
				if !strings.Contains(out.String(), strings.TrimSpace(prefix)) {
					t.Errorf("%s %s: the story lacks %s (%q):\n%s", tc.name, lang, key, prefix, out.String())
				}
			}
			// No message of the exchange is left to msg.other's "no words
			// for it yet".
			_, rest, _ := strings.Cut(catalogue["msg.other"], "}")
			noWords, _, _ := strings.Cut(rest, "{")
			if strings.Contains(out.String(), noWords) {
				t.Errorf("%s %s: a message told as one the story has no words for:\n%s", tc.name, lang, out.String())
			}
		}
	}
}

func readCatalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("lang", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var cat map[string]string
	if err := json.Unmarshal(raw, &cat); err != nil {
		t.Fatal(err)
	}
	return cat
}
