package frontend

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// The page message catalogues: every string a person reads on a page comes
// from locales/<lang>.json (a test checks that templates hold no text of
// their own and that both catalogues have the same keys).

//go:embed locales/*.json
var localeFS embed.FS

// Languages the pages are written in, the default first.
var Languages = []string{"zh", "en"}

// catalogue is the loaded message bundle.
type catalogue struct {
	bundle     *i18n.Bundle
	localizers map[string]*i18n.Localizer
}

func loadCatalogue() (*catalogue, error) {
	b := i18n.NewBundle(language.Chinese)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	files, err := fs.Glob(localeFS, "locales/*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if _, err := b.LoadMessageFileFS(localeFS, f); err != nil {
			return nil, fmt.Errorf("message catalogue %s: %w", f, err)
		}
	}
	c := &catalogue{bundle: b, localizers: map[string]*i18n.Localizer{}}
	for _, l := range Languages {
		c.localizers[l] = i18n.NewLocalizer(b, l)
	}
	return c, nil
}

// messageIDs returns the ids of a catalogue file, for the consistency test.
func messageIDs(lang string) (map[string]string, error) {
	b, err := fs.ReadFile(localeFS, path.Join("locales", lang+".json"))
	if err != nil {
		return nil, err
	}
	var m map[string]string
	return m, json.Unmarshal(b, &m)
}

// translate returns message id in lang with args as key/value pairs. A
// missing message shows its id in brackets, which tests catch.
func (c *catalogue) translate(lang, id string, args ...any) string {
	l, ok := c.localizers[lang]
	if !ok {
		l = c.localizers[Languages[0]]
	}
	var data map[string]any
	if len(args) > 0 {
		data = map[string]any{}
		for i := 0; i+1 < len(args); i += 2 {
			data[fmt.Sprint(args[i])] = args[i+1]
		}
	}
	s, err := l.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil || strings.TrimSpace(s) == "" {
		return "[" + id + "]"
	}
	return s
}
