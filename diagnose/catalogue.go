package diagnose

import (
	"embed"
	"slices"

	"github.com/clasp-tls/clasp/internal/textcat"
)

// Every text of a diagnosis (its summary, explanation and fix, the why
// and what-to-change headings, the probes' verdict, warnings on a weak
// success, the resumption verdict, odd targets, and the server's one-line
// causes) lives in one catalogue per language under lang/, keyed by
// message ID, the way the story renderer's do (internal/textcat). A text
// names its values with {placeholders} so a translation may order them as
// its grammar wants; the other side is named in the form a sentence needs
// ({peer}, {peer_gen}, {peer_loc}: see peerArgs). TestCatalogues checks
// that every language has every English key with the same placeholders,
// and the golden diagnoses under testdata/golden show each family of
// causes in every language.

//go:embed lang/*.json
var langFiles embed.FS

var diagnoses = textcat.New(langFiles, "lang", "diagnose")

// DefaultLanguage holds every key; a key missing elsewhere is taken from it.
const DefaultLanguage = textcat.Fallback

// Texts is one language's catalogue; T fills a message.
type Texts = textcat.Texts

// Languages lists the catalogue's languages by code ("en", "ru", ...).
func Languages() []string { return diagnoses.Languages() }

// Language returns the catalogue of lang; an unknown or empty code gives
// English.
func Language(lang string) *Texts {
	if !slices.Contains(Languages(), lang) {
		lang = DefaultLanguage
	}
	t, err := diagnoses.Load(lang)
	if err != nil {
		// The files are embedded and checked by TestCatalogues; a broken
		// one is a build defect, not a runtime condition.
		panic(err)
	}
	return t
}

// SuppressedNote is the line clasp serve writes before a cause's
// explanation when n explanations of it were left out since the last one.
func SuppressedNote(lang string, n int, cause Cause) string {
	return Language(lang).T("serve.suppressed", "n", n, "cause", cause)
}
