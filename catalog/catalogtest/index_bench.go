package catalogtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"dataportal/catalog"
)

type genSubject struct{ zh, en string }

// genDomains describes, per domain, what its datasets are about, in which
// modalities, and for which tasks; titles are built from these words the
// way providers name datasets (region + subject + modality + 数据集).
var genDomains = []struct {
	domain     string
	subjects   []genSubject
	modalities []string
	tasks      []string
}{
	{"medical", []genSubject{{"胸部CT", "chest CT"}, {"医疗影像", "medical imaging"}, {"病理切片", "pathology slide"}, {"电子病历", "electronic medical record"}, {"眼底照相", "fundus photograph"}, {"心电图", "ECG"}, {"医学问答", "medical QA"}},
		[]string{"image", "text", "time-series"}, []string{"segmentation", "classification", "detection", "ner", "question-answering"}},
	{"autonomous-driving", []genSubject{{"城市道路", "urban road"}, {"高速公路", "expressway"}, {"自动驾驶", "autonomous driving"}, {"激光雷达", "LiDAR"}, {"泊车场景", "parking scene"}},
		[]string{"point-cloud", "video", "image"}, []string{"detection", "tracking", "segmentation", "planning"}},
	{"legal", []genSubject{{"裁判文书", "court judgment"}, {"法律咨询", "legal consultation"}, {"合同条款", "contract clause"}},
		[]string{"text"}, []string{"summarization", "classification", "question-answering"}},
	{"finance", []genSubject{{"信贷风控", "credit risk"}, {"上市公司年报", "annual report"}, {"反欺诈", "anti-fraud"}, {"金融客服", "financial customer service"}},
		[]string{"tabular", "text", "time-series"}, []string{"classification", "anomaly-detection", "summarization", "dialogue"}},
	{"education", []genSubject{{"作文评分", "essay scoring"}, {"数学题目", "math problem"}, {"课堂实录", "classroom recording"}},
		[]string{"text", "multimodal", "video"}, []string{"classification", "question-answering", "text-generation"}},
	{"general-nlp", []genSubject{{"通用预训练", "general pre-training"}, {"指令微调", "instruction tuning"}, {"中英平行", "Chinese-English parallel"}, {"百科知识", "encyclopedia"}},
		[]string{"text"}, []string{"pretraining", "instruction-tuning", "translation", "retrieval"}},
	{"speech", []genSubject{{"方言语音", "dialect speech"}, {"普通话朗读", "Mandarin read speech"}, {"客服通话", "call-centre speech"}},
		[]string{"audio"}, []string{"speech-recognition", "speech-synthesis"}},
	{"remote-sensing", []genSubject{{"农田遥感", "farmland remote sensing"}, {"城市建筑", "urban building"}, {"水体监测", "water body monitoring"}},
		[]string{"image"}, []string{"segmentation", "detection"}},
	{"agriculture", []genSubject{{"水稻病虫害", "rice pest"}, {"农作物产量", "crop yield"}, {"畜禽养殖", "livestock farming"}},
		[]string{"image", "tabular"}, []string{"classification", "forecasting", "detection"}},
	{"manufacturing", []genSubject{{"表面缺陷", "surface defect"}, {"数控机床", "CNC machine"}, {"质量检测", "quality inspection"}},
		[]string{"image", "time-series"}, []string{"detection", "anomaly-detection", "forecasting"}},
	{"government", []genSubject{{"政务热线", "government hotline"}, {"政策文件", "policy document"}, {"办事指南", "service guide"}},
		[]string{"text"}, []string{"classification", "question-answering", "retrieval"}},
	{"transport", []genSubject{{"交通流量", "traffic flow"}, {"公交客流", "bus ridership"}, {"港口船舶", "port vessel"}},
		[]string{"time-series", "tabular", "video"}, []string{"forecasting", "tracking"}},
	{"energy", []genSubject{{"电网负荷", "grid load"}, {"光伏发电", "photovoltaic output"}},
		[]string{"time-series"}, []string{"forecasting", "anomaly-detection"}},
	{"culture-tourism", []genSubject{{"文物图像", "cultural relic"}, {"景区客流", "scenic area visitors"}},
		[]string{"multimodal", "image", "tabular"}, []string{"captioning", "forecasting"}},
	{"robotics", []genSubject{{"机器人抓取", "robot grasping"}, {"具身导航", "embodied navigation"}},
		[]string{"video", "multimodal"}, []string{"planning"}},
}

var genModalityWords = map[string]genSubject{
	"image":       {"影像", "images"},
	"text":        {"文本语料", "text corpus"},
	"audio":       {"语音", "speech recordings"},
	"video":       {"视频", "videos"},
	"point-cloud": {"点云", "point clouds"},
	"time-series": {"时序数据", "time series"},
	"tabular":     {"表格数据", "tables"},
	"multimodal":  {"多模态数据", "multimodal data"},
	"graph":       {"图谱", "graphs"},
}

var genFormats = map[string][]string{
	"image": {"JPEG", "PNG", "DICOM"}, "text": {"JSONL", "PARQUET"}, "audio": {"WAV", "FLAC"},
	"video": {"MP4"}, "point-cloud": {"PCD"}, "time-series": {"CSV", "PARQUET"},
	"tabular": {"CSV", "PARQUET"}, "multimodal": {"JSONL", "JPEG"}, "graph": {"JSON"},
}

var genRegions = []genSubject{
	{"江苏省", "Jiangsu"}, {"南京市", "Nanjing"}, {"苏州市", "Suzhou"}, {"无锡市", "Wuxi"}, {"常州市", "Changzhou"},
	{"南通市", "Nantong"}, {"扬州市", "Yangzhou"}, {"徐州市", "Xuzhou"}, {"盐城市", "Yancheng"}, {"镇江市", "Zhenjiang"},
	{"泰州市", "Taizhou"}, {"淮安市", "Huai'an"}, {"连云港市", "Lianyungang"}, {"宿迁市", "Suqian"},
}

var genOrgKinds = []genSubject{
	{"人民医院", "People's Hospital"}, {"数据集团有限公司", "Data Group"}, {"大数据管理局", "Big Data Bureau"},
	{"智能科技有限公司", "Intelligent Technology Co."}, {"研究院", "Research Institute"}, {"大学", "University"},
}

var genLicenses = []string{"CC-BY-4.0", "CC-BY-4.0", "CC-BY-NC-4.0", "CC-BY-SA-4.0", "Apache-2.0", "proprietary", "proprietary"}

// GenerateIndexDocs returns n synthetic but realistic datasets with ids
// prefix-000001…, deterministic for a seed: Chinese titles and descriptions
// composed from region, domain subject and modality words, English
// translations for most, a spread of tiers (most open or conditional),
// statuses (mostly published), publishers, licences and list items.
func GenerateIndexDocs(prefix string, n int, seed uint64) []catalog.IndexDoc {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	pick := func(n int) int { return r.IntN(n) }
	docs := make([]catalog.IndexDoc, 0, n)
	for i := range n {
		dom := genDomains[pick(len(genDomains))]
		subj := dom.subjects[pick(len(dom.subjects))]
		modality := dom.modalities[pick(len(dom.modalities))]
		mw := genModalityWords[modality]
		region := genRegions[pick(len(genRegions))]
		orgN := pick(60)
		orgRegion := genRegions[orgN%len(genRegions)]
		orgKind := genOrgKinds[orgN%len(genOrgKinds)]
		tasks := []string{dom.tasks[pick(len(dom.tasks))]}
		if t2 := dom.tasks[pick(len(dom.tasks))]; t2 != tasks[0] && pick(2) == 0 {
			tasks = append(tasks, t2)
		}
		suffix := []genSubject{{"数据集", "dataset"}, {"数据", "data"}, {"语料库", "corpus"}}[pick(3)]
		records := 1000 * (1 + pick(5000))
		year := 2021 + pick(6)

		taskLabel, _ := catalog.Tasks.Label(tasks[0])
		d := catalog.IndexDoc{
			ID:    fmt.Sprintf("%s-%06d", prefix, i+1),
			Rev:   int64(1 + pick(5)),
			Title: region.zh + subj.zh + mw.zh + suffix.zh,
			Description: fmt.Sprintf("%s%s采集的%s%s，共%d条记录，%d年更新，可用于%s等任务的模型训练与评测。",
				orgRegion.zh, orgKind.zh, subj.zh, mw.zh, records, year, taskLabel.Zh),
			Domain: dom.domain, Modality: modality, Tasks: tasks,
			Keywords: []string{subj.zh, region.zh},
			License:  genLicenses[pick(len(genLicenses))],
			Formats:  []string{genFormats[modality][pick(len(genFormats[modality]))]},
			Records:  int64(records), Bytes: int64(records) * int64(1+pick(2000)) * 1024,
		}
		if pick(10) < 8 { // most have an English translation
			d.TitleEn = fmt.Sprintf("%s %s %s %s", region.en, subj.en, mw.en, suffix.en)
			d.DescriptionEn = fmt.Sprintf("%s %s collected by %s %s: %d records, updated %d, for %s.",
				subj.en, mw.en, orgRegion.en, orgKind.en, records, year, taskLabel.En)
		}
		switch modality {
		case "text", "audio":
			d.Languages = []string{"zh"}
			if pick(4) == 0 {
				d.Languages = append(d.Languages, "en")
			}
		}
		switch x := pick(10); {
		case x < 4:
			d.Tier = "open"
		case x < 7:
			d.Tier = "conditional"
		case x < 9:
			d.Tier = "important"
		default:
			d.Tier = "core"
		}
		d.Publisher = fmt.Sprintf("org-%03d", orgN)
		d.OwnerOrg = d.Publisher
		d.PublisherName = orgRegion.zh + orgKind.zh
		d.PublisherEn = orgRegion.en + " " + orgKind.en
		if pick(5) == 0 {
			d.ListItems = []string{fmt.Sprintf("%d-%d-%02d", 2025+pick(2), 1+pick(2), 1+pick(20))}
		}
		switch x := pick(100); {
		case x < 90:
			d.Status = catalog.StatusPublished
		case x < 97:
			d.Status = catalog.StatusDraft
		default:
			d.Status = catalog.StatusWithdrawn
		}
		if d.Status != catalog.StatusDraft {
			d.PublishedAt = fixtureDay.Add(-time.Duration(pick(2*365*24)) * time.Hour)
			d.UpdatedAt = d.PublishedAt.Add(time.Duration(pick(500)) * time.Hour)
		}
		d.AwaitingConfirmation = (d.Tier == "important" || d.Tier == "core") && pick(3) == 0
		d.Labels = VocabularyLabels(d.Domain, d.Modality, d.Tasks)
		d.TitleSort = pinyinKey(d.Title)
		docs = append(docs, d)
	}
	return docs
}

// BenchmarkIndex indexes n generated datasets into a fresh index (reported
// as docs/s), then measures searches as the portal runs them: a Chinese
// query, three facets, a tier filter and an anonymous-plus-own-organisation
// visibility filter; reports p50 and p99 latency in milliseconds.
func BenchmarkIndex(b *testing.B, newIndex func(b *testing.B) catalog.Index, n int) {
	ctx := context.Background()
	docs := GenerateIndexDocs("ds", n, 42)
	idx := newIndex(b)
	start := time.Now()
	const chunk = 1000
	for i := 0; i < len(docs); i += chunk {
		if err := idx.Upsert(ctx, docs[i:min(i+chunk, len(docs))]...); err != nil {
			b.Fatal(err)
		}
	}
	indexing := time.Since(start)

	vis := catalog.Visibility{Clauses: []catalog.Clause{
		anonymousVis.Clauses[0],
		{{Field: catalog.VisOwnerOrg, Values: []string{"org-007"}}},
	}}
	queries := []string{"医疗影像", "自动驾驶点云", "苏州市交通流量", "方言语音", "电子病历文本", "裁判文书"}
	search := func(i int) catalog.SearchResult {
		res, err := idx.Search(ctx, catalog.SearchQuery{
			Text:       queries[i%len(queries)],
			Filters:    map[string][]string{catalog.FacetTier: {"open", "conditional"}},
			Visibility: vis,
			Facets:     []string{catalog.FacetDomain, catalog.FacetModality, catalog.FacetTier},
			Limit:      20,
		})
		if err != nil {
			b.Fatal(err)
		}
		return res
	}
	hits := 0
	for i := range queries { // warm up, and make sure the queries find something
		hits += search(i).Total
	}
	if hits == 0 {
		b.Fatal("the benchmark queries find nothing")
	}

	var lat []time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		search(i)
		lat = append(lat, time.Since(t0))
		i++
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(float64(n)/indexing.Seconds(), "docs/s")
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
	b.ReportMetric(float64(hits)/float64(len(queries)), "hits/query")
}
