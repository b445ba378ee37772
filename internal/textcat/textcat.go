// Package textcat holds texts in several languages: one JSON file per
// language (code.json, a flat object of message ID to text) in a directory
// of an fs.FS, English as the fallback for a missing key, and
// {placeholders} filled by name, so that a translation may order its
// values as its grammar wants. The story renderer (trace), the diagnosis
// (diagnose) and clasp explain keep their words this way; Check is the
// completeness test each of them runs.
package textcat

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Fallback is the language that holds every key.
const Fallback = "en"

// Set is the catalogue of one component: its directory of language files.
type Set struct {
	fsys fs.FS
	dir  string
	name string // for errors: "story", "diagnose"

	mu     sync.Mutex
	loaded map[string]*Texts
}

// New returns the Set of the JSON files in dir of fsys; name says whose
// texts they are in errors.
func New(fsys fs.FS, dir, name string) *Set {
	return &Set{fsys: fsys, dir: dir, name: name, loaded: map[string]*Texts{}}
}

// Languages lists the language codes, sorted.
func (s *Set) Languages() []string {
	entries, err := fs.ReadDir(s.fsys, s.dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Load returns one language's texts, parsed once; an unknown code is an
// error that lists the known ones.
func (s *Set) Load(lang string) (*Texts, error) {
	if !slices.Contains(s.Languages(), lang) {
		return nil, fmt.Errorf("no %s language %q (have %s)", s.name, lang, strings.Join(s.Languages(), ", "))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadLocked(lang)
}

func (s *Set) loadLocked(lang string) (*Texts, error) {
	if t, ok := s.loaded[lang]; ok {
		return t, nil
	}
	data, err := fs.ReadFile(s.fsys, path.Join(s.dir, lang+".json"))
	if err != nil {
		return nil, err
	}
	t := &Texts{lang: lang}
	if err := json.Unmarshal(data, &t.messages); err != nil {
		return nil, fmt.Errorf("%s language %s: %w", s.name, lang, err)
	}
	if lang != Fallback {
		if t.fallback, err = s.loadLocked(Fallback); err != nil {
			return nil, err
		}
	}
	s.loaded[lang] = t
	return t, nil
}

// Texts is one language's catalogue.
type Texts struct {
	lang     string
	messages map[string]string
	fallback *Texts
}

// Lang is the language code.
func (t *Texts) Lang() string { return t.lang }

// Has reports whether the key has a text here or in the fallback.
func (t *Texts) Has(key string) bool {
	_, ok := t.messages[key]
	return ok || t.fallback != nil && t.fallback.Has(key)
}

// Own is the key's text in this language itself, without the fallback
// (unfilled): for a caller that prefers its own English to another
// language's gap.
func (t *Texts) Own(key string) (string, bool) {
	text, ok := t.messages[key]
	return text, ok
}

// Keys lists this language's own keys, sorted.
func (t *Texts) Keys() []string {
	var out []string
	for k := range t.messages {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var placeholder = regexp.MustCompile(`\{([a-z_0-9]+)\}`)

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
	return placeholder.ReplaceAllStringFunc(msg, func(m string) string {
		if v, ok := values[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// Placeholders lists the placeholder names a text uses, sorted.
func Placeholders(text string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

// Check lists what is wrong with a Set: a language in want that has no
// file, a key English has and another language lacks or leaves empty, a
// key English lacks, and a text whose placeholders differ from English's
// (a translation that drops one would silently drop a value).
func Check(s *Set, want ...string) []string {
	var problems []string
	langs := s.Languages()
	for _, w := range want {
		if !slices.Contains(langs, w) {
			problems = append(problems, "language "+w+" has no file")
		}
	}
	en, err := s.Load(Fallback)
	if err != nil {
		return append(problems, err.Error())
	}
	for _, lang := range langs {
		c, err := s.Load(lang)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		problems = append(problems, compare(en, c)...)
	}
	return problems
}

func compare(en, c *Texts) []string {
	var problems []string
	for _, key := range en.Keys() {
		got, ok := c.messages[key]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s lacks key %s", c.lang, key))
		case strings.TrimSpace(got) == "":
			problems = append(problems, fmt.Sprintf("%s %s is empty", c.lang, key))
		case !slices.Equal(Placeholders(en.messages[key]), Placeholders(got)):
			problems = append(problems, fmt.Sprintf("%s %s has placeholders %v, English has %v",
				c.lang, key, Placeholders(got), Placeholders(en.messages[key])))
		}
	}
	for _, key := range c.Keys() {
		if _, ok := en.messages[key]; !ok {
			problems = append(problems, fmt.Sprintf("%s has key %s, which English lacks", c.lang, key))
		}
	}
	return problems
}
