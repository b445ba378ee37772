package diagnose

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

// The texts of the newer diagnoses (what the probes found after a refusal,
// warnings on a weak success, the resumption verdict, odd targets,
// certificate and client-certificate faults, the server's one-line causes)
// live in one catalogue per language under lang/, keyed by message ID, the
// way the story renderer's do. A text names its values with {placeholders}
// so a translation may order them as its grammar wants. TestCatalogues
// checks that every language has every English key with the same
// placeholders.

//go:embed lang/*.json
var langFiles embed.FS

// DefaultLanguage holds every key; a key missing elsewhere is taken from it.
const DefaultLanguage = "en"

// Texts is one language's catalogue.
type Texts struct {
	lang     string
	messages map[string]string
	fallback *Texts
}

var (
	textsMu sync.Mutex
	loaded  = map[string]*Texts{}
)

// Languages lists the catalogue's languages by code ("en", "ru", ...).
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

// Language returns the catalogue of lang; an unknown or empty code gives
// English.
func Language(lang string) *Texts {
	if !slices.Contains(Languages(), lang) {
		lang = DefaultLanguage
	}
	textsMu.Lock()
	defer textsMu.Unlock()
	t, err := loadLocked(lang)
	if err != nil {
		// The files are embedded and checked by TestCatalogues; a broken
		// one is a build defect, not a runtime condition.
		panic(err)
	}
	return t
}

func loadLocked(lang string) (*Texts, error) {
	if t, ok := loaded[lang]; ok {
		return t, nil
	}
	data, err := langFiles.ReadFile(path.Join("lang", lang+".json"))
	if err != nil {
		return nil, err
	}
	t := &Texts{lang: lang}
	if err := json.Unmarshal(data, &t.messages); err != nil {
		return nil, fmt.Errorf("diagnose language %s: %w", lang, err)
	}
	if lang != DefaultLanguage {
		if t.fallback, err = loadLocked(DefaultLanguage); err != nil {
			return nil, err
		}
	}
	loaded[lang] = t
	return t, nil
}

// Lang is the catalogue's language code.
func (t *Texts) Lang() string { return t.lang }

var placeholderRE = regexp.MustCompile(`\{([a-z_0-9]+)\}`)

// T fills the message key with args, given as name, value pairs. A key no
// catalogue holds prints as itself with its values, so that a missing text
// is visible rather than silent.
func (t *Texts) T(key string, args ...any) string {
	msg, ok := t.messages[key]
	if !ok && t.fallback != nil {
		msg, ok = t.fallback.messages[key]
	}
	if !ok {
		return fmt.Sprintf("%s%v", key, args)
	}
	values := map[string]string{}
	for i := 0; i+1 < len(args); i += 2 {
		values[fmt.Sprint(args[i])] = fmt.Sprint(args[i+1])
	}
	return placeholderRE.ReplaceAllStringFunc(msg, func(m string) string {
		if v, ok := values[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// placeholderNames lists the placeholder names a text uses, sorted.
func placeholderNames(text string) []string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}
