package diagnose

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// peerArgs are the catalogue arguments that name the other side, in the
// forms a sentence needs: {peer} as the subject, {peer_gen} as the owner
// ("the server's log"), {peer_loc} after "on" ("on the server"). English
// has one word for all three; Russian declines it. Further name, value
// pairs follow them.
func (x *explainer) peerArgs(args ...any) []any {
	return append(sideArgs(x.t, x.peer()), args...)
}

// sideArgs names side ("server" or "client") in the three forms.
func sideArgs(t *Texts, side string) []any {
	k := sideWordKeys[side]
	return []any{"peer", t.T(k[0]), "peer_gen", t.T(k[1]), "peer_loc", t.T(k[2])}
}

// sideWordKeys are the catalogue keys of each side's name in the forms of
// sideArgs.
var sideWordKeys = map[string][3]string{
	"server": {"word.server", "word.server.gen", "word.server.loc"},
	"client": {"word.client", "word.client.gen", "word.client.loc"},
}

// also appends a sentence to a text: after a space, except after a
// full-width stop, which Chinese uses with no space between sentences.
func also(text, sentence string) string {
	if text == "" {
		return sentence
	}
	if r, _ := utf8.DecodeLastRuneInString(text); wide(r) {
		return text + sentence
	}
	return text + " " + sentence
}

// where says at which point of the exchange something happened, from the
// step and the last messages recorded: " (at step ..., after this side
// sent ...)", or "" when nothing is known.
func (x *explainer) where() string {
	var parts []string
	if x.step != "" {
		parts = append(parts, x.t.T("where.step", "step", quote(x.step)))
	}
	if m := x.f.lastSent; m != nil {
		parts = append(parts, x.t.T("where.sent", "message", m.Name))
	}
	if m := x.f.lastReceived; m != nil {
		parts = append(parts, x.t.T("where.received", "message", m.Name))
	}
	if len(parts) == 0 {
		return ""
	}
	return x.t.T("where.list", "parts", strings.Join(parts, x.t.T("list.sep")))
}

// quote is a value in Go's double quotes, as the texts show a step or a
// name.
func quote(s string) string { return strconv.Quote(s) }

// list joins items with commas, or says there were none.
func (x *explainer) list(items []string) string {
	if len(items) == 0 {
		return x.t.T("list.nothing")
	}
	return strings.Join(items, ", ")
}
