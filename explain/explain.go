package explain

import (
	"bufio"
	"net"
	"regexp"
	"slices"
	"strings"
)

// Report is the explanation of a message or a pasted log.
type Report struct {
	// Lines are the lines that were recognised, in input order.
	Lines []Line `json:"lines"`
	// UnrecognisedLines counts the non-empty lines nothing matched.
	UnrecognisedLines int `json:"unrecognised_lines"`
	// Causes are the distinct causes, the most specific first (then in
	// order of appearance); Primary is the first one's ID.
	Causes  []Cause `json:"causes"`
	Primary string  `json:"primary_cause,omitempty"`
	// Target is a HOST:PORT the messages name, when one was found.
	Target string `json:"target,omitempty"`
	// Hint says what to do when nothing was recognised.
	Hint string `json:"hint,omitempty"`
}

// Recognised reports whether anything in the input was recognised.
func (r *Report) Recognised() bool { return len(r.Lines) > 0 }

// Line is one recognised input line.
type Line struct {
	Number  int           `json:"line"`
	Text    string        `json:"text"`
	Entries []EntryRef    `json:"entries"`
	OpenSSL []OpenSSLCode `json:"openssl_codes,omitempty"`
	// Cause is the most specific cause among the entries.
	Cause string `json:"cause"`
}

// EntryRef names a matched catalogue entry.
type EntryRef struct {
	ID       string `json:"id"`
	Source   string `json:"source"`
	Message  string `json:"message"`
	Software string `json:"software"`
	Defined  string `json:"defined"`
	// ByCode is set when the entry was found through a decoded OpenSSL
	// error code rather than by its text.
	ByCode bool `json:"by_code,omitempty"`
}

// Cause is a cause in words, in the report's language.
type Cause struct {
	ID      string `json:"id"`
	Level   int    `json:"level"`
	Title   string `json:"title"`
	Why     string `json:"why"`
	Confirm string `json:"confirm"`
	Fix     string `json:"fix"`
	// Lines are the input lines that point to this cause.
	Lines []int `json:"lines"`
}

// maxLineLength bounds the text kept for one line of a pasted log.
const maxLineLength = 4096

// Explain reads text (one message, or a log with one message per line)
// and explains every line it recognises, in lang ("en", "ru", "zh", "vi").
// target fills the confirming commands; "" uses the HOST:PORT the text
// names, or the words HOST:PORT.
func (c *Catalogue) Explain(text, lang, target string) *Report {
	r := &Report{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Text()
		if len(raw) > maxLineLength {
			raw = raw[:maxLineLength]
		}
		line := normalize(raw)
		if line == "" {
			continue
		}
		if l, ok := c.explainLine(n, line); ok {
			r.Lines = append(r.Lines, l)
			if r.Target == "" {
				r.Target = TargetIn(line)
			}
		} else {
			r.UnrecognisedLines++
		}
	}
	if target == "" {
		target = r.Target
	}
	if target == "" {
		target = "HOST:PORT"
	}
	c.collectCauses(r, lang, target)
	if !r.Recognised() {
		r.Hint = c.text(lang, "ui.hint")
	}
	return r
}

// explainLine matches one normalised line against every entry and the
// OpenSSL codes it carries.
func (c *Catalogue) explainLine(n int, line string) (Line, bool) {
	l := Line{Number: n, Text: line}
	seen := map[string]bool{}
	lower := strings.ToLower(line)
	for _, e := range c.entries {
		if e.matchNormalized(line, lower) {
			l.Entries = append(l.Entries, ref(e, false))
			seen[e.ID] = true
		}
	}
	for _, code := range opensslCodes(line) {
		l.OpenSSL = append(l.OpenSSL, code)
		for _, e := range c.byOpenSSLCode(code) {
			if !seen[e.ID] {
				l.Entries = append(l.Entries, ref(e, true))
				seen[e.ID] = true
			}
		}
	}
	if len(l.Entries) == 0 {
		return l, false
	}
	best := -1
	for _, er := range l.Entries {
		cause := c.byID[er.ID].Cause
		if lvl := c.Causes[cause].Level; lvl > best {
			best, l.Cause = lvl, cause
		}
	}
	return l, true
}

func ref(e *Entry, byCode bool) EntryRef {
	return EntryRef{ID: e.ID, Source: e.Source, Message: e.Message, Software: e.Software, Defined: e.Defined, ByCode: byCode}
}

// collectCauses fills r.Causes with the distinct line causes, the most
// specific first.
func (c *Catalogue) collectCauses(r *Report, lang, target string) {
	index := map[string]int{}
	for _, l := range r.Lines {
		i, ok := index[l.Cause]
		if !ok {
			i = len(r.Causes)
			index[l.Cause] = i
			r.Causes = append(r.Causes, c.cause(l.Cause, lang, target))
		}
		r.Causes[i].Lines = append(r.Causes[i].Lines, l.Number)
	}
	slices.SortStableFunc(r.Causes, func(a, b Cause) int { return b.Level - a.Level })
	if len(r.Causes) > 0 {
		r.Primary = r.Causes[0].ID
	}
}

// cause renders one cause's words.
func (c *Catalogue) cause(id, lang, target string) Cause {
	return Cause{
		ID:      id,
		Level:   c.Causes[id].Level,
		Title:   c.text(lang, id+".title", "target", target),
		Why:     c.text(lang, id+".why", "target", target),
		Confirm: c.text(lang, id+".confirm", "target", target),
		Fix:     c.text(lang, id+".fix", "target", target),
	}
}

// Text returns a UI string of the catalogue in lang.
func (c *Catalogue) Text(lang, key string, args ...string) string { return c.text(lang, key, args...) }

var (
	// "host:port" after "connect to", "connection to", an URL, "server:",
	// "upstream:" and the like.
	urlTarget  = regexp.MustCompile(`(?i)\bhttps?://(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::([0-9]{1,5}))?`)
	hostTarget = regexp.MustCompile(`(?i)(?:connect(?:ion)? to|connecting to|host|peer|server|remote|to)[ :=]+\(?'?"?(\[[0-9a-f:.]+\]|[a-z0-9][a-z0-9.-]*[a-z0-9]):([0-9]{1,5})\b`)
)

// TargetIn finds a HOST:PORT a message names: "host:port" after words like
// "connection to", or an https URL (port 443 when none is given). An
// unspecified address (a server's "0.0.0.0:443" listen address in its own
// log) names no server to connect to and is passed over. It returns ""
// when there is none.
func TargetIn(line string) string {
	for _, m := range hostTarget.FindAllStringSubmatch(line, -1) {
		if usableHost(m[1]) {
			return net.JoinHostPort(strings.Trim(m[1], "[]"), m[2])
		}
	}
	for _, m := range urlTarget.FindAllStringSubmatch(line, -1) {
		port := m[2]
		if port == "" {
			if !strings.HasPrefix(strings.ToLower(m[0]), "https") {
				continue
			}
			port = "443"
		}
		if usableHost(m[1]) {
			return net.JoinHostPort(strings.Trim(m[1], "[]"), port)
		}
	}
	return ""
}

func usableHost(host string) bool {
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip == nil || !ip.IsUnspecified()
}
