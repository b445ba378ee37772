// Package explain turns the error messages of other TLS software (OpenSSL,
// NSS, curl, GnuTLS, Java, Go, Windows Schannel, nginx, HAProxy, Python and
// clasp itself) into their cause, how to confirm it with clasp, and the fix.
//
// The knowledge is data, not code: catalogue/<source>.json holds one entry
// per message (the exact text, the software and versions that print it,
// where it is defined, a pattern that recognises it with its variants, and
// a cause ID); catalogue/causes.json says how specific each cause is and
// which diagnose causes a live connection would show for it; lang/<code>.json
// holds each cause's words in one language. Explain reads a message or a
// pasted log line by line, decodes OpenSSL's packed error codes, and
// returns a Report. It does no I/O: confirming a cause against a live
// server is the command's job (cmd/clasp explain --probe), which uses the
// connect and scan machinery.
//
// Adding a message: give it an entry in its source's file with at least one
// example as the program really prints it (a provoked failure in the
// *_peers_test.go files is the best evidence). The tests then require that
// its pattern matches its examples and no other entry's (an example that
// embeds another program's message, as curl embeds OpenSSL's, lists that
// entry in contains), that an OpenSSL reason number agrees with the
// installed openssl errstr, and that its cause has words in every
// language with the same placeholders.
package explain

import (
	"embed"
	"encoding/json"
	"fmt"
	"github.com/clasp-tls/clasp/internal/textcat"
	"path"
	"regexp"
	"strings"
	"sync"
)

//go:embed catalogue/*.json lang/*.json
var dataFiles embed.FS

// Entry is one message of one program.
type Entry struct {
	ID string `json:"id"`
	// Message is the message as the program prints it (for codes, the
	// symbolic name and its text).
	Message string `json:"message"`
	// Software names the programs and versions that print it.
	Software string `json:"software"`
	// Defined links to where the message is defined: a source file or the
	// program's documentation.
	Defined string `json:"defined"`
	// Pattern is a regular expression (matched case-insensitively against
	// the line with its white space collapsed) that recognises the message
	// and its variants.
	Pattern string `json:"pattern"`
	// Examples are real renderings of the message; each must match Pattern
	// and no other entry's pattern except those named in Contains.
	Examples []string `json:"examples"`
	// Contains lists the entries whose messages are embedded in this one's
	// examples (curl and nginx print OpenSSL's text inside their own).
	Contains []string `json:"contains,omitempty"`
	Cause    string   `json:"cause"`
	// OpenSSLLib and OpenSSLReason are OpenSSL's library and reason numbers
	// (OpenSSL 1.1.x and 3.x; OpenSSLReason10 where 1.0.x differs), so that
	// a bare error code finds its entry.
	OpenSSLLib      int `json:"openssl_lib,omitempty"`
	OpenSSLReason   int `json:"openssl_reason,omitempty"`
	OpenSSLReason10 int `json:"openssl_reason_1_0,omitempty"`
	// Note is a fact worth knowing about the message, in English.
	Note string `json:"note,omitempty"`

	Source   string `json:"-"`
	re       *regexp.Regexp
	literals []string // see prefilter.go
}

// Source is one catalogue file: the messages of one program.
type Source struct {
	ID      string   `json:"source"`
	Name    string   `json:"name"`
	Entries []*Entry `json:"entries"`
}

// CauseInfo is what the catalogue knows about a cause apart from its words.
type CauseInfo struct {
	ID string `json:"id"`
	// Level orders causes by how much they say: 0 a generic failure ("the
	// handshake failed"), 1 a class (certificate verification failed), 2 a
	// specific cause. A line that matches several entries is explained by
	// its most specific cause.
	Level int `json:"level"`
	// Diagnose lists the diagnose.Cause codes a live connection shows when
	// this cause is present; --probe compares them.
	Diagnose []string `json:"diagnose,omitempty"`
	// Scan says that the server's versions and suites (clasp scan) bear on
	// this cause.
	Scan bool `json:"scan,omitempty"`
}

// Catalogue is every source, every cause, and the words in every language.
type Catalogue struct {
	Sources []*Source
	Causes  map[string]*CauseInfo
	entries []*Entry
	byID    map[string]*Entry
	words   *textcat.Set
}

var (
	loadOnce sync.Once
	loaded   *Catalogue
	loadErr  error
)

// Load parses the embedded catalogue once.
func Load() (*Catalogue, error) {
	loadOnce.Do(func() { loaded, loadErr = parse() })
	return loaded, loadErr
}

func parse() (*Catalogue, error) {
	c := &Catalogue{Causes: map[string]*CauseInfo{}, byID: map[string]*Entry{}}
	var causes []*CauseInfo
	if err := readJSON("catalogue/causes.json", &causes); err != nil {
		return nil, err
	}
	for _, ci := range causes {
		c.Causes[ci.ID] = ci
	}
	files, err := dataFiles.ReadDir("catalogue")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if f.Name() == "causes.json" {
			continue
		}
		src := &Source{}
		if err := readJSON(path.Join("catalogue", f.Name()), src); err != nil {
			return nil, err
		}
		if err := c.addSource(src); err != nil {
			return nil, fmt.Errorf("explain: catalogue/%s: %w", f.Name(), err)
		}
	}
	return c, c.loadLanguages()
}

func (c *Catalogue) addSource(src *Source) error {
	for _, e := range src.Entries {
		if _, dup := c.byID[e.ID]; dup {
			return fmt.Errorf("entry %s appears twice", e.ID)
		}
		if _, ok := c.Causes[e.Cause]; !ok {
			return fmt.Errorf("entry %s names cause %q, which causes.json lacks", e.ID, e.Cause)
		}
		re, err := regexp.Compile("(?i)" + e.Pattern)
		if err != nil {
			return fmt.Errorf("entry %s: %w", e.ID, err)
		}
		e.re, e.Source, e.literals = re, src.ID, requiredLiterals(e.Pattern)
		if e.OpenSSLReason != 0 && e.OpenSSLLib == 0 {
			e.OpenSSLLib = libSSL
		}
		c.byID[e.ID] = e
		c.entries = append(c.entries, e)
	}
	c.Sources = append(c.Sources, src)
	return nil
}

// loadLanguages checks that the causes' words parse (internal/textcat
// reads them on first use).
func (c *Catalogue) loadLanguages() error {
	c.words = textcat.New(dataFiles, "lang", "explain")
	for _, lang := range c.words.Languages() {
		if _, err := c.words.Load(lang); err != nil {
			return err
		}
	}
	if _, err := c.words.Load(textcat.Fallback); err != nil {
		return fmt.Errorf("explain: lang/%s.json is missing: %w", textcat.Fallback, err)
	}
	return nil
}

func readJSON(name string, v any) error {
	data, err := dataFiles.ReadFile(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("explain: %s: %w", name, err)
	}
	return nil
}

// Entries lists every entry, source by source in file order.
func (c *Catalogue) Entries() []*Entry { return c.entries }

// Entry returns the entry with the given ID, or nil.
func (c *Catalogue) Entry(id string) *Entry { return c.byID[id] }

// Matches reports whether the entry's pattern recognises text.
func (e *Entry) Matches(text string) bool {
	line := normalize(text)
	return e.matchNormalized(line, strings.ToLower(line))
}

// matchNormalized matches a normalised line, given also lower-cased.
func (e *Entry) matchNormalized(line, lower string) bool {
	return e.mayMatch(lower) && e.re.MatchString(line)
}

// Languages lists the language codes the causes are written in.
func (c *Catalogue) Languages() []string { return c.words.Languages() }

// texts is one language's words; an unknown code gives English.
func (c *Catalogue) texts(lang string) *textcat.Texts {
	t, err := c.words.Load(lang)
	if err != nil {
		t, _ = c.words.Load(textcat.Fallback)
	}
	return t
}

// text fills key in lang with the values (name, value pairs). A key that no
// language has prints as itself, so a gap is visible rather than silent.
func (c *Catalogue) text(lang, key string, args ...string) string {
	t := c.texts(lang)
	if !t.Has(key) {
		return key
	}
	pairs := make([]any, len(args))
	for i, a := range args {
		pairs[i] = a
	}
	return t.T(key, pairs...)
}

// normalize collapses runs of white space (a log wrapped or indented on
// its way to the user) into single spaces.
func normalize(s string) string { return strings.Join(strings.Fields(s), " ") }
