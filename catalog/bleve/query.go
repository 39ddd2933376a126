package bleve

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"dataportal/catalog"
)

// Query construction. The user's text is cut into units by the cjk analyser:
// Chinese runs become overlapping bigrams (医疗影像 → 医疗 疗影 影像), other
// runs become words. Each unit is a disjunction over the fields it may occur
// in, weighted by field; a document must match at least 60% of the units
// (minShould), in any fields, so 医疗影像 needs two of its three bigrams: it
// finds 医疗…影像 and, with the labels, a Chinese-only medical image dataset,
// but not every title with 影像 in it. Synonyms count half: a two-character
// synonym is an alternative term of its unit (医疗 or 医学), any other one
// makes a variant of the whole text (自动驾驶 → autonomous driving) that is
// an alternative of the whole query.

type fieldBoost struct {
	field string
	boost float64
}

// fieldAnalyzers names the analyser of every searched text field. Queries
// set it explicitly: Bleve's default mapping does not resolve fields
// renamed with FieldMapping.Name (labels_en, title_en_plain) and would
// analyse them with the default analyser.
var fieldAnalyzers = map[string]string{
	fTitle: cjk.AnalyzerName, fDesc: cjk.AnalyzerName, fKeywords: cjk.AnalyzerName,
	fLabels: cjk.AnalyzerName, fPubName: cjk.AnalyzerName,
	fTitleEn: en.AnalyzerName, fDescEn: en.AnalyzerName, fLabelsEn: en.AnalyzerName, fPubNameEn: en.AnalyzerName,
	fTitleEnRaw: analyzerPlain, fDescEnRaw: analyzerPlain,
}

func match(text string, fb fieldBoost, weight float64) *query.MatchQuery {
	m := query.NewMatchQuery(text)
	m.SetField(fb.field)
	m.Analyzer = fieldAnalyzers[fb.field]
	m.SetBoost(fb.boost * weight)
	return m
}

// Weights: a term in the title counts most, then keywords and category
// labels, then the publisher, and the description least.
var (
	hanFields = []fieldBoost{
		{fTitle, 6}, {fKeywords, 4}, {fLabels, 3}, {fPubName, 2}, {fDesc, 1},
	}
	wordFields = []fieldBoost{
		{fTitleEn, 6}, {fTitle, 6}, {fKeywords, 4}, {fLabels, 3}, {fLabelsEn, 3},
		{fPubNameEn, 2}, {fPubName, 2}, {fDescEn, 1}, {fDesc, 1},
	}
	// fuzzyFields are unstemmed fields searched with edit distance 1.
	fuzzyFields = []fieldBoost{
		{fTitleEnRaw, 3}, {fKeywords, 2}, {fLabels, 1.5}, {fDescEnRaw, 0.5},
	}
	phraseFields = []fieldBoost{{fTitle, 4}, {fTitleEn, 4}, {fDesc, 1}, {fDescEn, 1}}
)

const (
	minShouldFraction = 0.6
	fuzzyMinLetters   = 5
	maxVariants       = 8
	variantBoost      = 0.5 // a synonym variant counts half as much as the words typed
)

// synonyms are the portal's synonym groups (catalog.Synonyms), shared
// with the other engines so that both find the same things.
var synonyms = catalog.Synonyms()

// Synonyms returns a copy of the synonym groups the index expands queries
// with, for documentation and tests.
func Synonyms() [][]string { return catalog.Synonyms() }

// queryBuilder turns text into a Bleve query with the index's analysers.
type queryBuilder struct {
	cjk analysis.Analyzer
	en  analysis.Analyzer
	// bigramAlts are the synonyms that are one bigram each (医疗 → 医学):
	// they become alternative terms of a unit, which costs a few term
	// searchers instead of another copy of the whole query.
	bigramAlts map[string][]string
}

func newQueryBuilder(im *mapping.IndexMappingImpl) queryBuilder {
	b := queryBuilder{cjk: im.AnalyzerNamed(cjk.AnalyzerName), en: im.AnalyzerNamed(en.AnalyzerName), bigramAlts: map[string][]string{}}
	for _, g := range synonyms {
		for _, from := range g {
			for _, to := range g {
				if from != to && isBigram(from) && isBigram(to) {
					b.bigramAlts[from] = append(b.bigramAlts[from], to)
				}
			}
		}
	}
	return b
}

// isBigram reports whether w is two Chinese characters: one cjk token.
func isBigram(w string) bool {
	n := 0
	for _, r := range w {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
		n++
	}
	return n == 2
}

// text returns the query for the user's text, or nil when the text has
// nothing to search for (empty, punctuation, English stop words only).
// Bleve ignores boosts on compound queries, so weights sit on the leaves.
func (b queryBuilder) text(text string) query.Query {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	var alts []query.Query
	for i, v := range variants(text) {
		weight := 1.0
		if i > 0 {
			weight = variantBoost
		}
		if q := b.variant(v, weight, i == 0); q != nil {
			alts = append(alts, q)
		}
	}
	switch len(alts) {
	case 0:
		return nil
	case 1:
		return alts[0]
	}
	return query.NewDisjunctionQuery(alts)
}

type unit struct {
	term string
	kind analysis.TokenType
}

// units analyses text into searchable units: Chinese bigrams, single
// Chinese characters and words, without duplicates or stop words.
func (b queryBuilder) units(text string) []unit {
	var out []unit
	seen := map[string]bool{}
	for _, tok := range b.cjk.Analyze([]byte(text)) {
		t := string(tok.Term)
		if t == "" || seen[t] {
			continue
		}
		switch tok.Type {
		case analysis.Double, analysis.Single, analysis.Ideographic:
		default:
			// a word the en analyser drops ("the", "of") would require
			// a match it can never have in the English fields
			if len(b.en.Analyze(tok.Term)) == 0 {
				continue
			}
		}
		seen[t] = true
		out = append(out, unit{term: t, kind: tok.Type})
	}
	return out
}

// variant is the query for one wording of the text; phrase adds the boost
// for the words in the order typed (for the user's own wording only).
func (b queryBuilder) variant(text string, weight float64, phrase bool) query.Query {
	units := b.units(text)
	if len(units) == 0 {
		return nil
	}
	clauses := make([]query.Query, 0, len(units))
	for _, u := range units {
		clauses = append(clauses, b.unitQuery(u, weight))
	}
	min := int(math.Ceil(minShouldFraction * float64(len(units))))
	if min < 1 {
		min = 1
	}
	var must query.Query
	if len(clauses) == 1 {
		must = clauses[0]
	} else {
		d := query.NewDisjunctionQuery(clauses)
		d.SetMin(float64(min))
		must = d
	}
	if len(units) < 2 || !phrase {
		return must
	}
	// the words in the order typed score extra
	var should []query.Query
	for _, fb := range phraseFields {
		p := query.NewMatchPhraseQuery(text)
		p.SetField(fb.field)
		p.Analyzer = fieldAnalyzers[fb.field]
		p.SetBoost(fb.boost * weight)
		should = append(should, p)
	}
	return query.NewBooleanQuery([]query.Query{must}, should, nil)
}

func (b queryBuilder) unitQuery(u unit, weight float64) query.Query {
	var qs []query.Query
	switch u.kind {
	case analysis.Double, analysis.Ideographic:
		for _, fb := range hanFields {
			t := query.NewTermQuery(u.term)
			t.SetField(fb.field)
			t.SetBoost(fb.boost * weight)
			qs = append(qs, t)
			for _, alt := range b.bigramAlts[u.term] {
				t := query.NewTermQuery(alt)
				t.SetField(fb.field)
				t.SetBoost(fb.boost * weight * variantBoost)
				qs = append(qs, t)
			}
		}
	case analysis.Single:
		// documents index bigrams: a lone character is found as the
		// start of one (图 → 图像, 图数据)
		for _, fb := range hanFields {
			t := query.NewTermQuery(u.term)
			t.SetField(fb.field)
			t.SetBoost(fb.boost * weight)
			p := query.NewPrefixQuery(u.term)
			p.SetField(fb.field)
			p.SetBoost(fb.boost * weight / 2)
			qs = append(qs, t, p)
		}
	default:
		for _, fb := range wordFields {
			qs = append(qs, match(u.term, fb, weight))
		}
		if fuzzyWord(u.term) {
			for _, fb := range fuzzyFields {
				m := match(u.term, fb, weight)
				m.SetFuzziness(1)
				m.SetPrefix(1)
				qs = append(qs, m)
			}
		}
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewDisjunctionQuery(qs)
}

// fuzzyWord reports whether w is long enough and made of letters, so that
// one edit is a typo rather than another word (cat/car, 2024/2025).
func fuzzyWord(w string) bool {
	if utf8.RuneCountInString(w) < fuzzyMinLetters {
		return false
	}
	for _, r := range w {
		if !unicode.IsLetter(r) || unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
}

// variants returns text followed by the texts obtained by replacing synonym
// words, at most maxVariants in all. Bigram-for-bigram synonyms are left to
// the units (queryBuilder.bigramAlts).
func variants(text string) []string {
	out := []string{text}
	seen := map[string]bool{text: true}
	for _, group := range synonyms {
		n := len(out)
		for i := 0; i < n; i++ {
			for _, from := range group {
				start, end, ok := findWord(out[i], from)
				if !ok {
					continue
				}
				for _, to := range group {
					if to == from || (isBigram(from) && isBigram(to)) {
						continue
					}
					v := out[i][:start] + pad(out[i][:start], to, out[i][end:]) + out[i][end:]
					if !seen[v] && len(out) < maxVariants {
						seen[v] = true
						out = append(out, v)
					}
				}
				break
			}
		}
	}
	return out
}

// findWord finds w in s, case-insensitively; Latin words must stand
// alone (qa must not match inside equal), Chinese words need not.
func findWord(s, w string) (start, end int, ok bool) {
	ls := strings.ToLower(s)
	from := 0
	for {
		i := strings.Index(ls[from:], w)
		if i < 0 {
			return 0, 0, false
		}
		i += from
		j := i + len(w)
		if !isLatin(w) || (boundary(ls[:i], true) && boundary(ls[j:], false)) {
			// ls and s have the same byte offsets for the ASCII words in
			// the table and for Chinese; other case folds are not in it
			return i, j, len(ls) == len(s)
		}
		from = i + 1
	}
}

func isLatin(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return r < utf8.RuneSelf
}

func boundary(s string, before bool) bool {
	var r rune
	if before {
		r, _ = utf8.DecodeLastRuneInString(s)
	} else {
		r, _ = utf8.DecodeRuneInString(s)
	}
	return s == "" || !(unicode.IsLetter(r) || unicode.IsDigit(r)) || unicode.Is(unicode.Han, r)
}

// pad puts spaces around an English replacement inside Chinese text, so it
// is tokenised as words of its own.
func pad(before, to, after string) string {
	if !isLatin(to) {
		return to
	}
	if before != "" && !strings.HasSuffix(before, " ") {
		to = " " + to
	}
	if after != "" && !strings.HasPrefix(after, " ") {
		to += " "
	}
	return to
}

// termsQuery matches documents whose keyword field has one of values.
func termsQuery(field string, values []string) query.Query {
	switch len(values) {
	case 0:
		return query.NewMatchNoneQuery()
	case 1:
		t := query.NewTermQuery(values[0])
		t.SetField(field)
		return t
	}
	qs := make([]query.Query, len(values))
	for i, v := range values {
		t := query.NewTermQuery(v)
		t.SetField(field)
		qs[i] = t
	}
	return query.NewDisjunctionQuery(qs)
}

// visibilityQuery turns the ACL's filter into a query: any clause, each an
// AND of its terms. Nil means no restriction.
func visibilityQuery(v catalog.Visibility) (query.Query, error) {
	if len(v.Clauses) == 0 {
		return query.NewMatchNoneQuery(), nil
	}
	clauses := make([]query.Query, 0, len(v.Clauses))
	for _, c := range v.Clauses {
		terms := make([]query.Query, 0, len(c))
		for _, t := range c {
			f, ok := visFields[t.Field]
			if !ok {
				return nil, catalog.E(catalog.KindInvalid, "可见性过滤字段未知："+t.Field, "unknown visibility field: "+t.Field)
			}
			terms = append(terms, termsQuery(f, t.Values))
		}
		if len(terms) == 1 {
			clauses = append(clauses, terms[0])
		} else {
			clauses = append(clauses, query.NewConjunctionQuery(terms))
		}
	}
	if v.MatchesAll() { // checked after the fields, so a bad filter never passes
		return nil, nil
	}
	if len(clauses) == 1 {
		return clauses[0], nil
	}
	return query.NewDisjunctionQuery(clauses), nil
}
