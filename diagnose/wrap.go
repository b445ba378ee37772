package diagnose

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// wrap breaks s into lines of at most width columns, each starting with
// indent. Paragraphs (separated by "\n") are kept. Lines break at spaces
// and, in Chinese, also between two ideographs, which the language writes
// without spaces; a column is a terminal cell, so an ideograph counts two.
func wrap(s, indent string, width int) string {
	var b strings.Builder
	for _, para := range strings.Split(s, "\n") {
		line, cols := indent, columns(indent)
		empty := true
		for _, u := range breakUnits(para) {
			w := columns(u.text)
			gap := 0
			if u.space {
				gap = 1
			}
			if !empty && cols+gap+w > width {
				b.WriteString(line + "\n")
				line, cols, empty = indent, columns(indent), true
			}
			if !empty && u.space {
				line += " "
				cols++
			}
			line += u.text
			cols += w
			empty = false
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// unit is a piece of text a line may not break inside; space says it is
// separated from the piece before it by a space (rather than joined, as
// two ideographs are).
type unit struct {
	text  string
	space bool
}

// breakUnits splits a paragraph into the pieces lines may break between:
// its words and, inside a word, each ideograph with the punctuation that
// follows it (a line does not start with "，" or "。").
func breakUnits(para string) []unit {
	var out []unit
	for _, word := range strings.Fields(para) {
		start := len(out)
		piece := ""
		for _, r := range word {
			switch {
			case openingPunct(piece) && !openingPunct(string(r)):
				// An opening bracket stays with what follows it.
				piece += string(r)
			case wide(r) && !closingPunct(r):
				if piece != "" {
					out = append(out, unit{text: piece})
				}
				piece = string(r)
			case piece != "" && wide([]rune(piece)[utf8.RuneCountInString(piece)-1]) && !closingPunct(r) && !wide(r):
				// Latin text right after an ideograph starts a new piece.
				out = append(out, unit{text: piece})
				piece = string(r)
			default:
				piece += string(r)
			}
		}
		if piece != "" {
			out = append(out, unit{text: piece})
		}
		out[start].space = true
	}
	return out
}

// columns is the width of s on a terminal.
func columns(s string) int {
	n := 0
	for _, r := range s {
		if wide(r) {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// wide reports whether r takes two terminal cells: ideographs, kana,
// hangul and full-width forms (the East Asian Wide and Fullwidth classes,
// for the scripts the catalogues use).
func wide(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) ||
		unicode.Is(unicode.Hangul, r) || r >= 0x3000 && r <= 0x303F || r >= 0xFF00 && r <= 0xFF60 || r >= 0xFFE0 && r <= 0xFFE6
}

// openingPunct reports whether piece is an opening bracket or quote,
// which stays with the character after it.
func openingPunct(piece string) bool {
	r, size := utf8.DecodeRuneInString(piece)
	return size == len(piece) && strings.ContainsRune("（「『【《〈“‘", r)
}

// closingPunct is punctuation that ends a phrase and stays with the
// character before it.
func closingPunct(r rune) bool {
	return strings.ContainsRune("，。、；：！？）」』】》〉”’", r)
}
