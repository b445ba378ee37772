package trace

import (
	"embed"

	"github.com/clasp-tls/clasp/internal/textcat"
)

// The story's words live in one catalogue, one JSON file per language under
// lang/, keyed by message ID (internal/textcat). A text names its values
// with {placeholders}, so a translation may put them in any order its
// grammar wants; adding a language is adding a file. TestCatalogues checks
// that every language has every key with the same placeholders as English.

//go:embed lang/*.json
var langFiles embed.FS

var stories = textcat.New(langFiles, "lang", "story")

// fallbackLanguage holds every key; a key missing elsewhere is taken from it.
const fallbackLanguage = textcat.Fallback

// Languages lists the story's languages by their codes ("en", "ru", ...).
func Languages() []string { return stories.Languages() }

func loadCatalogue(lang string) (*textcat.Texts, error) { return stories.Load(lang) }
