package explain

import (
	"github.com/clasp-tls/clasp/internal/textcat"
	"strings"
	"testing"
)

// TestLanguagesAreComplete is the golden test of the four languages: every
// language has every English key, no key English lacks, no empty text, and
// the same placeholders in each text (a translation that drops {target}
// would silently drop the command's address).
func TestLanguagesAreComplete(t *testing.T) {
	c := mustLoad(t)
	for _, problem := range textcat.Check(c.words, "en", "ru", "zh", "vi") {
		t.Error(problem)
	}
	en := c.texts("en")
	for _, lang := range c.Languages() {
		if lang == "en" {
			continue
		}
		m := c.texts(lang)
		for _, key := range en.Keys() {
			text, _ := en.Own(key)
			if got, ok := m.Own(key); ok && got == text && !strings.HasPrefix(key, "ui.") {
				t.Errorf("%s %s is the English text, not a translation", lang, key)
			}
		}
	}
}

// TestEveryCauseHasItsWords: each cause of causes.json has a title, why,
// confirm and fix, and the confirm text names a clasp command with the
// target in it.
func TestEveryCauseHasItsWords(t *testing.T) {
	c := mustLoad(t)
	for id := range c.Causes {
		for _, part := range []string{"title", "why", "confirm", "fix"} {
			if _, ok := c.texts("en").Own(id + "." + part); !ok {
				t.Errorf("cause %s has no English %s", id, part)
			}
		}
		confirm, _ := c.texts("en").Own(id + ".confirm")
		if !strings.Contains(confirm, "clasp ") && !strings.Contains(confirm, "openssl ") {
			t.Errorf("cause %s: confirm text names no command: %q", id, confirm)
		}
	}
	for _, key := range c.texts("en").Keys() {
		cause, _, _ := strings.Cut(key, ".")
		if cause != "ui" && c.Causes[cause] == nil {
			t.Errorf("English has words for %s, which causes.json lacks", key)
		}
	}
}

func TestExplanationInEachLanguage(t *testing.T) {
	c := mustLoad(t)
	msg := "curl: (35) error:0A000410:SSL routines::sslv3 alert handshake failure"
	titles := map[string]bool{}
	for _, lang := range c.Languages() {
		r := c.Explain(msg, lang, "example.com:443")
		if r.Primary != "handshake_failure_alert" {
			t.Fatalf("%s: primary cause %s", lang, r.Primary)
		}
		if !strings.Contains(r.Causes[0].Confirm, "clasp scan example.com:443") {
			t.Errorf("%s: confirm %q lacks the filled-in command", lang, r.Causes[0].Confirm)
		}
		titles[r.Causes[0].Title] = true
	}
	if len(titles) != len(c.Languages()) {
		t.Errorf("titles are not distinct per language: %v", titles)
	}
}
