package trace

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// The story's words live in one catalogue, one JSON file per language under
// lang/, keyed by message ID. A text names its values with {placeholders},
// so a translation may put them in any order its grammar wants; adding a
// language is adding a file. TestCatalogues checks that every language has
// every key with the same placeholders as English.

//go:embed lang/*.json
var langFiles embed.FS

// fallbackLanguage holds every key; a key missing elsewhere is taken from it.
const fallbackLanguage = "en"

type catalogue struct {
	lang     string
	messages map[string]string
	fallback *catalogue
}

var (
	cataloguesMu sync.Mutex
	catalogues   = map[string]*catalogue{}
)

// Languages lists the story's languages by their codes ("en", "ru", ...).
func Languages() []string {
	entries, err := langFiles.ReadDir("lang")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	slices.Sort(out)
	return out
}

func loadCatalogue(lang string) (*catalogue, error) {
	if !slices.Contains(Languages(), lang) {
		return nil, fmt.Errorf("no story language %q (have %s)", lang, strings.Join(Languages(), ", "))
	}
	cataloguesMu.Lock()
	defer cataloguesMu.Unlock()
	return loadCatalogueLocked(lang)
}

// loadCatalogueLocked parses a language once; cataloguesMu is held.
func loadCatalogueLocked(lang string) (*catalogue, error) {
	if c, ok := catalogues[lang]; ok {
		return c, nil
	}
	data, err := langFiles.ReadFile(path.Join("lang", lang+".json"))
	if err != nil {
		return nil, err
	}
	c := &catalogue{lang: lang}
	if err := json.Unmarshal(data, &c.messages); err != nil {
		return nil, fmt.Errorf("story language %s: %w", lang, err)
	}
	if lang != fallbackLanguage {
		if c.fallback, err = loadCatalogueLocked(fallbackLanguage); err != nil {
			return nil, err
		}
	}
	catalogues[lang] = c
	return c, nil
}

func (c *catalogue) has(key string) bool {
	_, ok := c.messages[key]
	return ok || c.fallback != nil && c.fallback.has(key)
}

var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// text fills the message key with args, given as name, value pairs. A key
// no catalogue holds prints as itself with its values, so a missing
// translation is visible rather than silent.
func (c *catalogue) text(key string, args ...any) string {
	msg, ok := c.messages[key]
	if !ok && c.fallback != nil {
		msg, ok = c.fallback.messages[key]
	}
	values := map[string]string{}
	for i := 0; i+1 < len(args); i += 2 {
		values[fmt.Sprint(args[i])] = fmt.Sprint(args[i+1])
	}
	if !ok {
		return fmt.Sprintf("%s%v", key, args)
	}
	return placeholder.ReplaceAllStringFunc(msg, func(m string) string {
		if v, ok := values[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

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
