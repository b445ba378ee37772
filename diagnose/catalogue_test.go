package diagnose

import (
	"encoding/json"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/textcat"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"
)

// TestCatalogues checks that every language has every English key, no key
// English lacks, and the same placeholders in each text: a translation that
// drops {suites} would silently drop the evidence from the diagnosis.
func TestCatalogues(t *testing.T) {
	for _, problem := range textcat.Check(diagnoses, "en", "ru", "zh", "vi") {
		t.Error(problem)
	}
}

// TestEveryCatalogueKeyIsUsed keeps the catalogue and the code in step: a
// key no Go file names is dead text, and a key the code names that English
// lacks would print as its own name.
func TestEveryCatalogueKeyIsUsed(t *testing.T) {
	en := readCatalogue(t, DefaultLanguage)
	used := map[string]bool{}
	entries, err := langFiles.ReadDir("lang")
	if err != nil || len(entries) == 0 {
		t.Fatal("no catalogue files", err)
	}
	keyRE := regexp.MustCompile(`"([a-z0-9_]+\.[a-z0-9_.]+)"`)
	for _, src := range goSources(t) {
		for _, m := range keyRE.FindAllStringSubmatch(src, -1) {
			used[m[1]] = true
		}
	}
	for key := range en {
		if !used[key] {
			t.Errorf("key %s is in the catalogue but no Go file of the package names it", key)
		}
	}
}

func TestUnknownLanguageFallsBackToEnglish(t *testing.T) {
	if Language("xx").Lang() != "en" {
		t.Error("an unknown language did not fall back to English")
	}
	if got := Language("ru").T("no.such.key", "n", 1); !strings.Contains(got, "no.such.key") {
		t.Errorf("a missing key renders as %q", got)
	}
}

func readCatalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	data, err := langFiles.ReadFile(path.Join("lang", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", lang, err)
	}
	return m
}

// goSources returns the package's Go files other than tests.
func goSources(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(data))
	}
	return out
}

// Every row of the alert table names keys English has: a missing one
// would print as its own name in the middle of a diagnosis.
func TestAlertTableKeysAreInTheCatalogue(t *testing.T) {
	en := Language(DefaultLanguage)
	for desc, m := range alertTable {
		for _, key := range []string{m.fromServer, m.fromClient, m.fix} {
			if _, ok := en.Own(key); !ok {
				t.Errorf("%s: key %s is not in the English catalogue", desc, key)
			}
		}
	}
}

// Every reason internal/suites gives for a weak suite has its words in the
// catalogue: a new or reworded one would stay English in every language.
func TestWeakReasonsAreInTheCatalogue(t *testing.T) {
	ru := Language("ru")
	for _, s := range suites.AllSuites() {
		weak, why := s.IsWeak()
		if !weak {
			continue
		}
		if got := weakReason(ru, why); got == firstReason(why) {
			t.Errorf("%s: the reason %q has no weak_reason key", s.Name, firstReason(why))
		}
	}
}
