package trace

import (
	"github.com/clasp-tls/clasp/internal/textcat"
	"strings"
	"testing"
)

// TestCatalogues checks that every language has every English key, no key
// English lacks, and the same placeholders in each text: a translation that
// drops {hex} would silently drop the value from the story.
func TestCatalogues(t *testing.T) {
	for _, problem := range textcat.Check(stories, "en", "ru", "zh", "vi") {
		t.Error(problem)
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
	if got := c.T("no.such.key", "n", 1); !strings.Contains(got, "no.such.key") {
		t.Errorf("missing key renders as %q", got)
	}
}
