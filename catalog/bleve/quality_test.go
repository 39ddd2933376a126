package bleve_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/search/query"

	"dataportal/catalog"
	"dataportal/catalog/demo"
)

// judged are queries on the demo catalogue with the datasets a reader
// would expect, judged by hand from the demo titles, keywords and
// descriptions. Chinese and English, category words, a Chinese-only dataset
// found by an English word, and a misspelling.
var judged = []struct {
	q        string
	relevant []string
}{
	{"医疗影像", []string{"js-chest-ct-2026", "sz-gastric-pathology-slides", "js-brain-mri-segmentation", "js-fundus-photographs", "sz-dermatology-images", "js-radiology-report-pairs"}},
	{"自动驾驶点云", []string{"nj-urban-av-pointcloud", "nj-v2x-roadside-lidar", "nj-auto-parking-pointcloud", "nj-hd-map-elements"}},
	{"裁判文书", []string{"js-court-judgments-corpus"}},
	{"法律文书", []string{"js-court-judgments-corpus", "nj-contract-clause-ner", "nj-legal-document-summaries"}},
	{"遥感影像", []string{"js-landcover-remote-sensing", "js-sar-ship-detection", "js-submeter-optical-imagery", "js-remote-sensing-captions", "xz-farm-drone-multispectral", "js-coastline-change-timeseries"}},
	{"工业质检", []string{"wx-pcb-defect-images", "wx-steel-surface-defects", "nt-pv-module-el-defects"}},
	{"语音识别", []string{"js-accented-mandarin-asr", "nj-court-hearing-speech", "nj-call-center-speech", "nj-wu-suzhou-speech", "nj-cantonese-conversation-speech"}},
	{"吴语", []string{"nj-wu-suzhou-speech", "nj-wu-speech-text-parallel"}},
	{"金融舆情", []string{"sz-financial-sentiment-corpus", "sz-financial-news-events"}},
	{"知识图谱", []string{"jn-subject-knowledge-graph", "js-drug-interaction-graph", "nj-legal-case-knowledge-graph"}},
	{"具身智能", []string{"cz-robot-arm-grasping", "cz-humanoid-teleoperation", "cz-embodied-instruction-action"}},
	{"电子病历", []string{"sz-emr-structured-text"}},
	{"chest CT", []string{"js-chest-ct-2026"}},
	{"speech recognition", []string{"js-accented-mandarin-asr", "nj-court-hearing-speech", "nj-call-center-speech"}},
	{"remote sensing", []string{"js-landcover-remote-sensing", "js-sar-ship-detection", "js-submeter-optical-imagery", "js-remote-sensing-captions", "js-coastline-change-timeseries", "js-airborne-lidar-buildings"}},
	{"medical imaging", []string{"js-chest-ct-2026", "sz-gastric-pathology-slides", "js-brain-mri-segmentation", "js-fundus-photographs", "sz-dermatology-images", "js-radiology-report-pairs"}},
	{"point cloud", []string{"nj-urban-av-pointcloud", "nj-hd-map-elements", "nj-auto-parking-pointcloud", "cz-indoor-navigation-pcd", "nj-v2x-roadside-lidar", "wx-industrial-parts-pointcloud", "js-airborne-lidar-buildings"}},
	{"sentimnet", []string{"sz-financial-sentiment-corpus", "sz-product-review-sentiment", "js-scenic-spot-reviews"}},
	{"government", []string{"nj-12345-hotline-tickets", "js-policy-document-qa", "nj-gov-service-materials-ocr", "nj-population-mobility-stats"}},
}

// quality is precision of the first five hits (out of the relevant ones
// there can be) and recall of the first ten, averaged over the queries.
type quality struct{ p5, r10 float64 }

func score(relevant []string, hits []string) quality {
	rel := map[string]bool{}
	for _, id := range relevant {
		rel[id] = true
	}
	var at5, at10 int
	for i, id := range hits {
		if rel[id] {
			if i < 5 {
				at5++
			}
			if i < 10 {
				at10++
			}
		}
	}
	return quality{p5: float64(at5) / float64(min(5, len(relevant))), r10: float64(at10) / float64(len(relevant))}
}

func demoDocs(t *testing.T) []catalog.IndexDoc {
	t.Helper()
	entries, err := demo.Datasets()
	if err != nil {
		t.Fatal(err)
	}
	docs := make([]catalog.IndexDoc, len(entries))
	for i, e := range entries {
		d := e.Dataset
		d.Rev, d.Status = 1, catalog.StatusPublished
		d.Normalize()
		docs[i] = catalog.IndexDocOf(&d)
	}
	return docs
}

// TestSearchQualityOnDemo measures search on the demo catalogue: the
// portal's index, and the same documents in a plain index analysed with cjk
// bigrams and with the standard analyser, to show what the analyser and the
// rest of the query design (labels, synonyms, fuzziness) each bring.
func TestSearchQualityOnDemo(t *testing.T) {
	docs := demoDocs(t)
	ctx := context.Background()

	portal := open(t, t.TempDir())
	if err := portal.Upsert(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	all := catalog.Visibility{Clauses: []catalog.Clause{{}}}
	portalHits := func(q string) []string {
		res, err := portal.Search(ctx, catalog.SearchQuery{Text: q, Visibility: all, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		return ids
	}
	plain := func(analyzer string) func(string) []string {
		m := bv.NewIndexMapping()
		m.DefaultAnalyzer = analyzer
		idx, err := bv.NewMemOnly(m)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { idx.Close() })
		for _, d := range docs {
			if err := idx.Index(d.ID, map[string]any{"title": d.Title + " " + d.TitleEn, "text": d.Description + " " + d.DescriptionEn + " " + strings.Join(d.Keywords, " ")}); err != nil {
				t.Fatal(err)
			}
		}
		return func(q string) []string {
			title := bv.NewMatchQuery(q)
			title.SetField("title")
			title.SetBoost(3)
			text := bv.NewMatchQuery(q)
			text.SetField("text")
			req := bv.NewSearchRequestOptions(query.NewDisjunctionQuery([]query.Query{title, text}), 10, 0, false)
			res, err := idx.Search(req)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, h := range res.Hits {
				ids = append(ids, h.ID)
			}
			return ids
		}
	}
	engines := []struct {
		name string
		hits func(string) []string
	}{
		{"portal", portalHits},
		{"plain cjk", plain(cjk.AnalyzerName)},
		{"plain standard", plain(standard.Name)},
	}
	mean := map[string]quality{}
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-20s", "query")
	for _, e := range engines {
		fmt.Fprintf(&table, " %16s", e.name+" P5/R10")
	}
	for _, j := range judged {
		fmt.Fprintf(&table, "\n%-20s", j.q)
		for _, e := range engines {
			q := score(j.relevant, e.hits(j.q))
			fmt.Fprintf(&table, "      %4.2f / %4.2f", q.p5, q.r10)
			m := mean[e.name]
			m.p5 += q.p5 / float64(len(judged))
			m.r10 += q.r10 / float64(len(judged))
			mean[e.name] = m
		}
	}
	fmt.Fprintf(&table, "\n%-20s", "mean")
	for _, e := range engines {
		fmt.Fprintf(&table, "      %4.2f / %4.2f", mean[e.name].p5, mean[e.name].r10)
	}
	t.Log(table.String())

	if m := mean["portal"]; m.p5 < 0.85 || m.r10 < 0.85 {
		t.Errorf("portal search on the demo catalogue: mean P@5 %.2f, R@10 %.2f; want both ≥ 0.85", m.p5, m.r10)
	}
	if mean["plain cjk"].p5 <= mean["plain standard"].p5 {
		t.Errorf("cjk bigrams (P@5 %.2f) no better than the standard analyser (%.2f): revisit the choice", mean["plain cjk"].p5, mean["plain standard"].p5)
	}
	for _, j := range judged {
		if hits := portalHits(j.q); len(hits) == 0 || !slices.Contains(j.relevant, hits[0]) {
			t.Errorf("%s: the first hit %v is not relevant", j.q, hits)
		}
	}
}
