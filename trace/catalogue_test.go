package trace

import (
	"slices"
	"strings"
	"testing"
)

// TestCatalogues checks that every language has every English key, no key
// English lacks, and the same placeholders in each text: a translation that
// drops {hex} would silently drop the value from the story.
func TestCatalogues(t *testing.T) {
	langs := Languages()
	for _, want := range []string{"en", "ru", "zh", "vi"} {
		if !slices.Contains(langs, want) {
			t.Errorf("language %s is missing from lang/", want)
		}
	}
	en, err := loadCatalogue(fallbackLanguage)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range langs {
		c, err := loadCatalogue(lang)
		if err != nil {
			t.Fatal(err)
		}
		for key, text := range en.messages {
			got, ok := c.messages[key]
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
		}
		for key := range c.messages {
			if _, ok := en.messages[key]; !ok {
				t.Errorf("%s has key %s, which English lacks", lang, key)
			}
		}
	}
}

func TestUnknownLanguageIsAnError(t *testing.T) {
	if _, err := NewStoryTracer(nil, "xx"); err == nil || !strings.Contains(err.Error(), "en") {
		t.Errorf("NewStoryTracer(xx) = %v, want an error listing the languages", err)
	}
}

func TestMissingKeyIsVisible(t *testing.T) {
	c, err := loadCatalogue("ru")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.text("no.such.key", "n", 1); !strings.Contains(got, "no.such.key") {
		t.Errorf("missing key renders as %q", got)
	}
}
