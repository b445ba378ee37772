package explain

import (
	"slices"
	"strings"
	"testing"
)

// placeholders lists the placeholder names a text uses, sorted.
func placeholders(text string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

// TestLanguagesAreComplete is the golden test of the four languages: every
// language has every English key, no key English lacks, no empty text, and
// the same placeholders in each text (a translation that drops {target}
// would silently drop the command's address).
func TestLanguagesAreComplete(t *testing.T) {
	c := mustLoad(t)
	for _, want := range []string{"en", "ru", "zh", "vi"} {
		if !slices.Contains(c.Languages(), want) {
			t.Errorf("language %s is missing from lang/", want)
		}
	}
	en := c.langs["en"]
	for _, lang := range c.Languages() {
		m := c.langs[lang]
		for key, text := range en {
			got, ok := m[key]
			if !ok {
				t.Errorf("%s lacks key %s", lang, key)
				continue
			}
			if want, have := placeholders(text), placeholders(got); !slices.Equal(want, have) {
				t.Errorf("%s %s has placeholders %v, English has %v", lang, key, have, want)
			}
			if strings.TrimSpace(got) == "" {
				t.Errorf("%s %s is empty", lang, key)
			}
			if lang != "en" && got == text && !strings.HasPrefix(key, "ui.") {
				t.Errorf("%s %s is the English text, not a translation", lang, key)
			}
		}
		for key := range m {
			if _, ok := en[key]; !ok {
				t.Errorf("%s has key %s, which English lacks", lang, key)
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
			if _, ok := c.langs["en"][id+"."+part]; !ok {
				t.Errorf("cause %s has no English %s", id, part)
			}
		}
		confirm := c.langs["en"][id+".confirm"]
		if !strings.Contains(confirm, "clasp ") && !strings.Contains(confirm, "openssl ") {
			t.Errorf("cause %s: confirm text names no command: %q", id, confirm)
		}
	}
	for key := range c.langs["en"] {
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
