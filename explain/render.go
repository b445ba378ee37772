package explain

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxShownLine bounds how much of an input line the text report repeats,
// and maxShownLines how many recognised lines it lists: a log with the
// same failure a thousand times needs its cause once, not a thousand
// listings (--json keeps them all).
const (
	maxShownLine  = 160
	maxShownLines = 20
)

// WriteText prints the report for a person: the first line names the most
// specific cause; then each recognised line with the entries it matched and
// the OpenSSL codes it carried; then each cause with why, how to confirm it
// and the fix, in lang.
func (c *Catalogue) WriteText(w io.Writer, r *Report, lang string) {
	if !r.Recognised() {
		fmt.Fprintln(w, c.text(lang, "ui.not_recognised"))
		fmt.Fprintln(w, c.text(lang, "ui.hint"))
		return
	}
	fmt.Fprintf(w, "%s: %s\n", c.text(lang, "ui.cause"), r.Causes[0].Title)
	for i, l := range r.Lines {
		if i == maxShownLines {
			fmt.Fprintf(w, "\n%s\n", c.text(lang, "ui.more_lines", "count", strconv.Itoa(len(r.Lines)-i)))
			break
		}
		fmt.Fprintf(w, "\n%s: %s\n", c.text(lang, "ui.line", "n", strconv.Itoa(l.Number)), shorten(l.Text))
		for _, e := range l.Entries {
			how := c.text(lang, "ui.recognised")
			if e.ByCode {
				how = c.text(lang, "ui.recognised_by_code")
			}
			fmt.Fprintf(w, "  %s %s %q (%s; %s)\n", how, e.ID, e.Message, e.Software, e.Defined)
		}
		for _, code := range l.OpenSSL {
			fmt.Fprintf(w, "  %s\n", c.codeText(lang, code))
		}
	}
	if r.UnrecognisedLines > 0 {
		fmt.Fprintf(w, "\n%s\n", c.text(lang, "ui.unrecognised_count", "count", strconv.Itoa(r.UnrecognisedLines)))
	}
	for _, cause := range r.Causes {
		fmt.Fprintf(w, "\n%s [%s]: %s\n", c.text(lang, "ui.cause"), cause.ID, cause.Title)
		fmt.Fprintf(w, "  %s %s\n", c.text(lang, "ui.why"), cause.Why)
		fmt.Fprintf(w, "  %s %s\n", c.text(lang, "ui.confirm"), cause.Confirm)
		fmt.Fprintf(w, "  %s %s\n", c.text(lang, "ui.fix"), cause.Fix)
	}
}

func (c *Catalogue) codeText(lang string, code OpenSSLCode) string {
	if code.System {
		return c.text(lang, "ui.code_system", "code", code.Code, "layout", code.Layout, "errno", strconv.Itoa(code.Reason))
	}
	lib := strconv.Itoa(code.Lib)
	if code.LibName != "" {
		lib += " (" + code.LibName + ")"
	}
	reason := strconv.Itoa(code.Reason)
	if code.Layout == "1.x" {
		reason += ", " + c.text(lang, "ui.function") + " " + strconv.Itoa(code.Func)
	}
	return c.text(lang, "ui.code", "code", code.Code, "layout", code.Layout, "lib", lib, "reason", reason)
}

func shorten(s string) string {
	if len(s) <= maxShownLine {
		return s
	}
	cut := maxShownLine
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return strings.TrimSpace(s[:cut]) + " …"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
