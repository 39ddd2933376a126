package catalogtest

import (
	stdcmp "cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/mozillazg/go-pinyin"

	"dataportal/catalog"
)

// The Index suite checks behaviour against a fixture of realistic datasets.
// Wherever the right answer can be computed, it is computed in Go from the
// fixture (filters, status, visibility, facet counts, sort orders); where it
// depends on the engine's text matching, the suite compares the engine with
// itself under different restrictions (a subject must see exactly the
// everything-visible result minus what it may not see) and checks
// relevance properties that any reasonable engine satisfies.

var (
	fixtureDay = time.Date(2026, 1, 5, 9, 30, 0, 0, time.UTC)

	allStatuses = []string{catalog.StatusDraft, catalog.StatusPublished, catalog.StatusWithdrawn}

	seeAll     = catalog.Visibility{Clauses: []catalog.Clause{{}}}
	seeNothing = catalog.Visibility{}
	// as the ACL describes an anonymous visitor
	anonymousVis = catalog.Visibility{Clauses: []catalog.Clause{{
		{Field: catalog.VisTier, Values: []string{"open", "conditional"}},
		{Field: catalog.VisStatus, Values: []string{catalog.StatusPublished}},
	}}}
)

var fixtureOrgs = map[string][2]string{
	"org-jsph":       {"江苏省人民医院", "Jiangsu Province Hospital"},
	"org-gulou":      {"南京鼓楼医院", "Nanjing Drum Tower Hospital"},
	"org-zhixing":    {"苏州智行科技有限公司", "Suzhou Zhixing Technology Co., Ltd."},
	"org-court":      {"江苏省高级人民法院", "Jiangsu High People's Court"},
	"org-jsbank":     {"江苏银行股份有限公司", "Bank of Jiangsu"},
	"org-nju":        {"南京大学", "Nanjing University"},
	"org-jaas":       {"江苏省农业科学院", "Jiangsu Academy of Agricultural Sciences"},
	"org-wuxi-mfg":   {"无锡智能制造研究院", "Wuxi Institute of Intelligent Manufacturing"},
	"org-gov":        {"江苏省政务服务管理办公室", "Jiangsu Government Service Office"},
	"org-voice":      {"苏州声通语音科技有限公司", "Suzhou Shengtong Speech Technology"},
	"org-rs":         {"江苏省测绘地理信息局", "Jiangsu Bureau of Surveying and Geoinformation"},
	"org-grid":       {"国网江苏省电力有限公司", "State Grid Jiangsu Electric Power"},
	"org-traffic":    {"南京市交通运输局", "Nanjing Transport Bureau"},
	"org-sz-traffic": {"苏州市交通运输局", "Suzhou Transport Bureau"},
	"org-museum":     {"南京博物院", "Nanjing Museum"},
}

type fixtureRow struct {
	id, title, titleEn, desc, descEn string
	domain, modality                 string
	tasks, langs, keywords           string // comma-separated
	tier, license, org               string
	formats, lists                   string
	status                           string
	awaiting                         bool
	day                              int // published fixtureDay+day; <0: never published
}

var fixtureRows = []fixtureRow{
	{"med-chest-ct", "江苏省胸部CT影像数据集", "Jiangsu chest CT images",
		"覆盖省内十三家三甲医院的一万二千例胸部CT扫描，附肺结节分割标注，已按k-匿名（k=5）去标识化。",
		"12,000 chest CT scans from thirteen tertiary hospitals with lung nodule segmentation masks, de-identified with k-anonymity (k=5).",
		"medical", "image", "segmentation,detection", "", "CT,肺结节", "conditional", "CC-BY-4.0", "org-jsph", "DICOM", "2026-1-07", "published", false, 10},
	{"med-imaging", "医疗影像数据集", "Medical imaging dataset",
		"汇集X光、超声和磁共振等多种检查的医疗影像，按检查部位分类标注。",
		"Medical images from X-ray, ultrasound and MRI examinations, labelled by body part.",
		"medical", "image", "classification", "", "X光,超声", "open", "CC-BY-4.0", "org-gulou", "DICOM,PNG", "2026-1-07", "published", false, 12},
	{"med-mri-brain", "医学影像脑部磁共振数据集", "Brain MRI segmentation dataset",
		"脑部磁共振T1/T2序列，含胶质瘤区域的像素级标注。",
		"Brain MRI T1/T2 sequences with pixel-level glioma annotations.",
		"medical", "image", "segmentation", "", "MRI,胶质瘤", "important", "proprietary", "org-gulou", "NIfTI", "2026-1-07", "published", true, 12},
	{"med-pathology", "病理切片图像数据集", "",
		"胃癌病理切片的全视野数字图像，由两名病理医师复核标注。", "",
		"medical", "image", "classification", "", "病理", "conditional", "CC-BY-NC-4.0", "org-jsph", "TIFF", "", "published", false, 20},
	{"med-ehr-text", "电子病历文本语料", "Electronic medical record corpus",
		"脱敏后的住院电子病历文本，标注疾病、症状、药品等实体及其关系。",
		"De-identified inpatient EHR text annotated with diseases, symptoms, drugs and their relations.",
		"medical", "text", "ner,relation-extraction", "zh", "病历,实体", "important", "proprietary", "org-jsph", "JSONL", "", "published", false, 25},
	{"med-qa", "医疗问答对话数据集", "Medical QA dialogues",
		"来自互联网问诊平台的医患问答对话，经医生审核。",
		"Doctor-patient question answering dialogues from an online consultation platform, reviewed by physicians.",
		"medical", "text", "question-answering,dialogue", "zh", "问诊", "open", "CC-BY-SA-4.0", "org-gulou", "JSONL", "2025-2-15", "published", false, 30},
	{"med-ultrasound", "甲状腺超声影像数据集", "Thyroid ultrasound images",
		"甲状腺结节超声影像及TI-RADS分级。",
		"Thyroid nodule ultrasound images with TI-RADS grades.",
		"medical", "image", "classification,detection", "", "超声,甲状腺", "core", "proprietary", "org-jsph", "DICOM", "2026-1-07", "published", true, 30},
	{"med-tcm-tongue", "中医舌象图像数据集", "TCM tongue images",
		"标准光源下采集的舌体照片，标注舌色、苔色与体质类型。",
		"Photographs taken under standard lighting, labelled with colour, coating and constitution type.",
		"medical", "image", "classification", "", "中医", "open", "CC-BY-4.0", "org-jsph", "JPEG", "", "published", false, 35},
	{"med-tcm-multi", "中医四诊多模态数据集", "TCM four-examination multimodal records",
		"包含望闻问切四诊信息：舌象照片、脉象波形和问诊记录，共三千名患者。",
		"Four-examination records of three thousand patients: tongue photographs, pulse waveforms and consultation notes.",
		"medical", "multimodal", "classification", "zh", "中医", "conditional", "CC-BY-4.0", "org-gulou", "JSONL,JPEG", "", "published", false, 35},
	{"ad-lidar", "城市道路激光雷达点云数据集", "Urban road LiDAR point clouds",
		"南京、苏州城区道路64线激光雷达采集的点云，标注车辆、行人和骑行者三维框。",
		"Point clouds from 64-beam LiDAR on Nanjing and Suzhou urban roads with 3D boxes for vehicles, pedestrians and cyclists.",
		"autonomous-driving", "point-cloud", "detection,tracking", "", "激光雷达,三维检测", "conditional", "CC-BY-NC-4.0", "org-zhixing", "PCD", "2026-1-12", "published", false, 15},
	{"ad-camera", "自动驾驶多摄像头视频数据集", "Autonomous driving multi-camera video",
		"六路环视摄像头同步视频，含车道线与可行驶区域分割标注。",
		"Synchronised video from six surround-view cameras with lane and free-space segmentation.",
		"autonomous-driving", "video", "detection,segmentation", "", "环视", "important", "proprietary", "org-zhixing", "MP4", "2026-1-12", "published", false, 18},
	{"ad-cn-only", "苏州城区交通场景标注图像", "",
		"路口与主干道场景图像，标注信号灯、交通标志和行人。", "",
		"autonomous-driving", "image", "detection", "", "信号灯,交通标志", "open", "CC-BY-4.0", "org-sz-traffic", "JPEG", "2026-1-12", "published", false, 40},
	{"ad-hdmap", "高精地图道路拓扑数据", "HD map road topology",
		"高速公路与城市快速路的车道级拓扑与交通规则。",
		"Lane-level topology and traffic rules for expressways and urban arterials.",
		"autonomous-driving", "graph", "planning", "", "高精地图", "core", "proprietary", "org-zhixing", "GeoJSON", "", "published", false, 40},
	{"legal-judgments", "江苏法院裁判文书语料", "Jiangsu court judgments corpus",
		"二〇一五年以来全省法院公开的民事、刑事裁判文书全文。",
		"Full text of civil and criminal judgments published by courts in the province since 2015.",
		"legal", "text", "summarization,classification", "zh", "裁判文书,判决", "open", "CC-BY-4.0", "org-court", "JSONL", "2026-2-03", "published", false, 5},
	{"legal-qa", "法律咨询问答数据集", "Legal consultation QA",
		"律师解答的法律咨询问答，覆盖婚姻家事、劳动争议和合同纠纷。",
		"Legal questions answered by lawyers on family, labour and contract disputes.",
		"legal", "text", "question-answering", "zh", "法律咨询", "conditional", "CC-BY-SA-4.0", "org-court", "JSONL", "2026-2-03", "published", false, 8},
	{"fin-risk", "小微企业信贷风控数据集", "SME credit risk dataset",
		"小微企业贷款申请、还款与违约记录，字段已脱敏。",
		"Loan applications, repayments and defaults of small and micro enterprises, with masked fields.",
		"finance", "tabular", "classification,anomaly-detection", "", "风控,信贷", "important", "proprietary", "org-jsbank", "CSV,PARQUET", "", "published", true, 22},
	{"fin-reports", "上市公司年报文本语料", "Listed company annual report corpus",
		"江苏上市公司近十年年度报告全文及管理层讨论章节。",
		"Ten years of annual reports of listed companies in Jiangsu, with MD&A sections.",
		"finance", "text", "summarization,ner", "zh,en", "年报", "open", "CC-BY-4.0", "org-nju", "PDF,JSONL", "2025-2-15", "published", false, 22},
	{"fin-fraud", "支付反欺诈交易流水", "Payment anti-fraud transactions",
		"移动支付交易流水及欺诈标签，用于实时风控模型训练。",
		"Mobile payment transactions with fraud labels for real-time risk models.",
		"finance", "time-series", "anomaly-detection", "", "反欺诈", "core", "proprietary", "org-jsbank", "PARQUET", "", "published", false, 45},
	{"edu-essays", "中学生作文评分语料", "Secondary school essay scoring corpus",
		"初高中议论文与记叙文，附教师评分和评语。",
		"Argumentative and narrative essays with teacher scores and comments.",
		"education", "text", "classification,text-generation", "zh", "作文", "conditional", "CC-BY-NC-4.0", "org-nju", "JSONL", "", "published", false, 3},
	{"edu-math", "数学题目图文解析数据集", "Math problems with worked solutions",
		"初中数学题目的题干图片、文字和分步解析。",
		"Secondary school math problems with figures, text and step-by-step solutions.",
		"education", "multimodal", "question-answering", "zh", "数学", "open", "CC-BY-4.0", "org-nju", "JSONL,PNG", "2025-2-15", "published", false, 3},
	{"nlp-pretrain", "中文通用预训练语料", "Chinese general pre-training corpus",
		"经去重与质量过滤的中文网页、图书和百科文本，约一千亿字。",
		"Deduplicated, quality-filtered Chinese web, book and encyclopedia text, about 100 billion characters.",
		"general-nlp", "text", "pretraining", "zh", "预训练", "open", "CC-BY-4.0", "org-nju", "JSONL,PARQUET", "2025-2-15", "published", false, 1},
	{"nlp-instruct", "中文指令微调数据集", "Chinese instruction tuning dataset",
		"人工撰写与审核的中文指令及回复，覆盖写作、推理与代码。",
		"Human-written and reviewed Chinese instructions and responses for writing, reasoning and code.",
		"general-nlp", "text", "instruction-tuning", "zh,en", "指令", "open", "Apache-2.0", "org-nju", "JSONL", "2025-2-15", "published", false, 2},
	{"nlp-parallel", "中英平行语料", "Chinese-English parallel corpus",
		"政务与科技领域的中英句对，经人工校对。",
		"Chinese-English sentence pairs from government and technology texts, human-checked.",
		"general-nlp", "text", "translation", "zh,en", "翻译", "conditional", "CC-BY-4.0", "org-nju", "TMX", "", "published", false, 2},
	{"speech-wu", "吴语方言语音数据集", "Wu dialect speech dataset",
		"苏州、无锡、常州等地吴语发音人朗读与自由对话录音及转写。",
		"Read and spontaneous Wu dialect speech from Suzhou, Wuxi and Changzhou speakers, with transcripts.",
		"speech", "audio", "speech-recognition", "wuu,zh", "方言,吴语", "conditional", "CC-BY-NC-4.0", "org-voice", "WAV", "", "published", false, 14},
	{"speech-tts", "普通话语音合成语料", "Mandarin speech synthesis corpus",
		"专业播音员录制的普通话语音及音素级标注。",
		"Mandarin speech recorded by professional announcers with phoneme-level labels.",
		"speech", "audio", "speech-synthesis", "zh", "语音合成", "open", "CC-BY-4.0", "org-voice", "WAV", "", "published", false, 14},
	{"rs-farmland", "江苏农田遥感影像数据集", "Jiangsu farmland remote sensing imagery",
		"高分卫星多光谱影像及耕地地块分割标注。",
		"Multispectral Gaofen satellite imagery with farmland parcel segmentation.",
		"remote-sensing", "image", "segmentation", "", "卫星,耕地", "open", "CC-BY-4.0", "org-rs", "GEOTIFF", "", "published", false, 16},
	{"agri-pest", "水稻病虫害图像数据集", "Rice pest and disease images",
		"田间拍摄的水稻病虫害图片，标注病害种类与病斑位置。",
		"Field photos of rice pests and diseases, labelled with type and lesion location.",
		"agriculture", "image", "classification,detection", "", "水稻,病虫害", "open", "CC-BY-4.0", "org-jaas", "JPEG", "", "published", false, 16},
	{"agri-yield", "农作物产量预测数据", "",
		"全省县级主要农作物产量、气象与土壤数据。", "",
		"agriculture", "tabular", "forecasting", "zh", "产量", "conditional", "CC-BY-4.0", "org-jaas", "CSV", "", "published", false, 28},
	{"mfg-defect", "工业产品表面缺陷检测数据集", "Industrial surface defect detection dataset",
		"钢材、电路板表面缺陷图像及缺陷框标注。",
		"Surface defect images of steel and circuit boards with bounding boxes.",
		"manufacturing", "image", "detection,anomaly-detection", "", "缺陷检测", "conditional", "CC-BY-NC-4.0", "org-wuxi-mfg", "JPEG", "", "published", false, 28},
	{"mfg-sensor", "数控机床传感器时序数据", "CNC machine sensor time series",
		"数控机床主轴振动、温度与电流的高频采样数据。",
		"High-frequency spindle vibration, temperature and current readings from CNC machines.",
		"manufacturing", "time-series", "anomaly-detection,forecasting", "", "预测性维护", "important", "proprietary", "org-wuxi-mfg", "PARQUET", "", "published", true, 33},
	{"gov-hotline", "12345政务热线工单语料", "12345 government hotline tickets",
		"市民来电工单的诉求描述、分类与办理结果。",
		"Citizen hotline tickets with request text, category and outcome.",
		"government", "text", "classification,summarization", "zh", "热线,工单", "important", "proprietary", "org-gov", "JSONL", "", "published", false, 33},
	{"gov-policy", "政策文件问答数据集", "Policy document QA",
		"省级政策文件及其常见问题问答对。",
		"Provincial policy documents with FAQ question answering pairs.",
		"government", "text", "question-answering,retrieval", "zh", "政策", "open", "CC-BY-4.0", "org-gov", "JSONL", "", "published", false, 36},
	{"robot-grasp", "机器人抓取操作视频数据集", "Robot grasping videos",
		"双臂机器人抓取日常物品的多视角视频及关节轨迹。",
		"Multi-view videos and joint trajectories of a dual-arm robot grasping everyday objects.",
		"robotics", "video", "planning", "", "具身智能,抓取", "conditional", "CC-BY-4.0", "org-wuxi-mfg", "MP4,HDF5", "", "published", false, 38},
	{"ecom-reviews", "电商商品评论情感语料", "E-commerce review sentiment corpus",
		"电商平台商品评论及情感极性标注。",
		"Product reviews from e-commerce platforms with sentiment polarity labels.",
		"e-commerce", "text", "classification", "zh", "情感分析", "open", "CC-BY-4.0", "org-nju", "CSV", "", "published", false, 38},
	{"transport-nj", "城市交通流量时序数据", "Urban traffic flow time series",
		"南京主城区路口线圈检测器五分钟交通流量。",
		"Five-minute traffic counts from loop detectors at Nanjing intersections.",
		"transport", "time-series", "forecasting", "", "交通流量", "open", "CC-BY-4.0", "org-traffic", "CSV", "", "published", false, 42},
	{"transport-sz", "城市交通流量时序数据", "Urban traffic flow time series",
		"苏州工业园区路口视频检测的交通流量。",
		"Traffic counts from video detection at Suzhou Industrial Park intersections.",
		"transport", "time-series", "forecasting", "", "交通流量", "open", "CC-BY-4.0", "org-sz-traffic", "CSV", "", "published", false, 42},
	{"energy-load", "电网负荷预测数据集", "Power grid load forecasting dataset",
		"全省十五分钟粒度电力负荷与气温数据。",
		"Province-wide 15-minute power load and temperature data.",
		"energy", "time-series", "forecasting", "", "负荷", "important", "proprietary", "org-grid", "CSV", "", "published", true, 44},
	{"culture-relics", "文物图像描述数据集", "Cultural relic image captions",
		"馆藏青铜器、瓷器的高清图像及专家撰写的描述。",
		"High-resolution images of bronzes and porcelain with expert-written captions.",
		"culture-tourism", "multimodal", "captioning", "zh,en", "文物", "open", "CC-BY-NC-4.0", "org-museum", "JPEG,JSONL", "", "published", false, 44},
	{"sci-molecule", "分子结构图数据集", "Molecular graph dataset",
		"药物分子结构图及其溶解度、毒性等性质标签。",
		"Drug molecule graphs labelled with solubility, toxicity and other properties.",
		"scientific", "graph", "classification", "", "分子", "open", "MIT", "org-nju", "SDF", "", "published", false, 46},
	{"opinion-html", "<b>重点</b>网络舆情文本数据集", "<b>Key</b> online public opinion texts",
		"热点事件的网络舆情文本，保留原始网页片段如<script>alert(1)</script>。",
		"Online public opinion texts about trending events, keeping raw page snippets such as <script>alert(1)</script>.",
		"general-nlp", "text", "classification", "zh", "舆情", "open", "CC-BY-4.0", "org-nju", "JSONL", "", "published", false, 47},
	{"med-draft", "医疗影像标注（草稿）", "Medical imaging annotations (draft)",
		"待发布的冠脉CT影像标注。", "Coronary CT annotations awaiting publication.",
		"medical", "image", "segmentation", "", "CT", "important", "proprietary", "org-jsph", "DICOM", "2026-1-07", "draft", true, -1},
	{"fin-draft", "企业征信报告文本", "Corporate credit report texts",
		"企业征信报告文本草稿。", "Draft of corporate credit reports.",
		"finance", "text", "ner", "zh", "征信", "conditional", "proprietary", "org-jsbank", "PDF", "", "draft", false, -1},
	{"fin-withdrawn", "银行客服对话语料", "Bank customer service dialogues",
		"已撤回：客服通话转写文本。", "Withdrawn: call-centre transcripts.",
		"finance", "text", "dialogue", "zh", "客服", "open", "CC-BY-4.0", "org-jsbank", "JSONL", "", "withdrawn", false, 6},
}

// IndexFixture returns the suite's datasets: about forty realistic
// catalogue entries across domains, modalities, tiers, languages, licences,
// publishers and statuses, Chinese with English translations for most.
// Labels carry the bilingual vocabulary labels, as catalog.Service puts
// them; TitleSort is the pinyin of the title.
func IndexFixture() []catalog.IndexDoc {
	docs := make([]catalog.IndexDoc, 0, len(fixtureRows))
	for i, r := range fixtureRows {
		org := fixtureOrgs[r.org]
		d := catalog.IndexDoc{
			ID: r.id, Rev: int64(1 + i%4),
			Title: r.title, TitleEn: r.titleEn, Description: r.desc, DescriptionEn: r.descEn,
			Keywords: splitList(r.keywords), Tasks: splitList(r.tasks),
			Domain: r.domain, Modality: r.modality, Languages: splitList(r.langs),
			Tier: r.tier, License: r.license,
			Publisher: r.org, PublisherName: org[0], PublisherEn: org[1],
			Formats: splitList(r.formats), ListItems: splitList(r.lists),
			Status: r.status, OwnerOrg: r.org, AwaitingConfirmation: r.awaiting,
			Records: int64(1000 * (i + 1)), Bytes: int64(1 << 20 * (i + 3)),
		}
		d.Labels = VocabularyLabels(d.Domain, d.Modality, d.Tasks)
		d.TitleSort = pinyinKey(d.Title)
		if r.day >= 0 {
			d.PublishedAt = fixtureDay.AddDate(0, 0, r.day)
			d.UpdatedAt = d.PublishedAt.Add(time.Duration(i) * time.Hour)
		} else {
			d.UpdatedAt = fixtureDay.AddDate(0, 0, 50)
		}
		docs = append(docs, d)
	}
	return docs
}

// VocabularyLabels returns the Chinese and English labels of a dataset's
// domain, modality and tasks, the IndexDoc.Labels a service would set.
func VocabularyLabels(domain, modality string, tasks []string) []string {
	var out []string
	add := func(v catalog.Vocabulary, value string) {
		if l, ok := v.Label(value); ok {
			out = append(out, l.Zh, l.En)
		}
	}
	add(catalog.Domains, domain)
	add(catalog.Modalities, modality)
	for _, t := range tasks {
		add(catalog.Tasks, t)
	}
	return out
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// pinyinKey is a title sort key: toneless pinyin of Chinese characters,
// other letters and digits lower-cased.
func pinyinKey(s string) string {
	a := pinyin.NewArgs()
	a.Fallback = func(r rune, _ pinyin.Args) []string {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return []string{string(unicode.ToLower(r))}
		}
		return nil
	}
	return strings.Join(pinyin.LazyPinyin(s, a), " ")
}

// TestIndex runs the conformance suite for catalog.Index. newIndex returns
// a fresh, empty index for one test and arranges for it to be closed.
func TestIndex(t *testing.T, newIndex func(t *testing.T) catalog.Index) {
	ctx := context.Background()
	docs := IndexFixture()
	byID := map[string]catalog.IndexDoc{}
	for _, d := range docs {
		byID[d.ID] = d
	}
	idx := newIndex(t)
	if err := idx.Upsert(ctx, docs...); err != nil {
		t.Fatalf("Upsert fixture: %v", err)
	}
	// everything the engine finds for a text, whatever the status and subject
	matchAll := func(t *testing.T, text string) map[string]bool {
		t.Helper()
		res := idxSearch(t, idx, catalog.SearchQuery{Text: text, Status: allStatuses, Visibility: seeAll, Limit: 1000})
		out := map[string]bool{}
		for _, h := range res.Hits {
			out[h.ID] = true
		}
		if res.Total != len(out) {
			t.Fatalf("%q: Total %d, but %d distinct hits", text, res.Total, len(out))
		}
		return out
	}

	t.Run("Count", func(t *testing.T) {
		n, err := idx.Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != len(docs) {
			t.Fatalf("Count = %d, want %d", n, len(docs))
		}
		if err := idx.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})

	t.Run("EmptyQueryFindsAllPublished", func(t *testing.T) {
		res := idxSearch(t, idx, catalog.SearchQuery{Visibility: seeAll, Limit: 1000})
		want := idxExpected(docs, nil, catalog.SearchQuery{Visibility: seeAll})
		idxSameIDs(t, "empty query", res, want)
		for _, h := range res.Hits {
			if h.Rev != byID[h.ID].Rev {
				t.Errorf("hit %s has Rev %d, want %d", h.ID, h.Rev, byID[h.ID].Rev)
			}
		}
	})

	t.Run("Chinese", func(t *testing.T) {
		for _, tc := range []struct {
			q string
			// must be found; first, when set, must rank first
			want  []string
			first string
			// every hit must satisfy related
			related func(catalog.IndexDoc) bool
			why     string
		}{
			// 医疗 and 医学 are used alike: either finds both
			{q: "医疗影像", want: []string{"med-imaging", "med-mri-brain"}, first: "med-imaging",
				related: inDomain("medical"), why: "a medical imaging query returns medical datasets only"},
			{q: "影像", want: []string{"med-mri-brain", "med-chest-ct", "rs-farmland"},
				related: mentions("影像", "图像"), why: "every hit mentions 影像 (or its synonym 图像)"},
			{q: "医学影像", want: []string{"med-mri-brain", "med-imaging"}, first: "med-mri-brain", related: inDomain("medical")},
			{q: "裁判文书", want: []string{"legal-judgments"}, first: "legal-judgments", related: inDomain("legal")},
			{q: "激光雷达点云", want: []string{"ad-lidar"}, first: "ad-lidar", related: inDomain("autonomous-driving")},
			{q: "吴语", want: []string{"speech-wu"}, first: "speech-wu", related: inDomain("speech")},
			{q: "江苏银行", want: []string{"fin-risk", "fin-fraud"}, related: mentions("江苏银行"), why: "publisher name"},
		} {
			t.Run(tc.q, func(t *testing.T) {
				res := idxSearch(t, idx, catalog.SearchQuery{Text: tc.q, Visibility: seeAll, Limit: 100})
				idxCheckFound(t, tc.q, res, tc.want, tc.first)
				for _, h := range res.Hits {
					if tc.related != nil && !tc.related(byID[h.ID]) {
						t.Errorf("%q returned unrelated %s (%s); %s", tc.q, h.ID, byID[h.ID].Title, tc.why)
					}
				}
			})
		}
	})

	t.Run("English", func(t *testing.T) {
		for _, tc := range []struct {
			q       string
			want    []string
			first   string
			related func(catalog.IndexDoc) bool
		}{
			{q: "chest CT", want: []string{"med-chest-ct"}, first: "med-chest-ct", related: inDomain("medical")},
			{q: "medical imaging", want: []string{"med-imaging"}, first: "med-imaging", related: inDomain("medical")},
			{q: "court judgments", want: []string{"legal-judgments"}, first: "legal-judgments", related: inDomain("legal")},
			// the singular finds the plural (stemming)
			{q: "dialogue", want: []string{"med-qa"}},
		} {
			t.Run(tc.q, func(t *testing.T) {
				res := idxSearch(t, idx, catalog.SearchQuery{Text: tc.q, Visibility: seeAll, Limit: 100})
				idxCheckFound(t, tc.q, res, tc.want, tc.first)
				for _, h := range res.Hits {
					if tc.related != nil && !tc.related(byID[h.ID]) {
						t.Errorf("%q returned unrelated %s (%s)", tc.q, h.ID, byID[h.ID].Title)
					}
				}
			})
		}
	})

	t.Run("CategoryLabels", func(t *testing.T) {
		// Datasets found only through the vocabulary labels of their
		// domain, modality or tasks: Chinese-only ones by an English
		// category word, and one by a Chinese task name its text lacks.
		hasTask := func(task string) func(catalog.IndexDoc) bool {
			return func(d catalog.IndexDoc) bool { return slices.Contains(d.Tasks, task) }
		}
		for _, tc := range []struct {
			q, want string
			related func(catalog.IndexDoc) bool
		}{
			{"medical", "med-pathology", inDomain("medical")},
			{"autonomous driving", "ad-cn-only", inDomain("autonomous-driving")},
			{"agriculture", "agri-yield", inDomain("agriculture")},
			{"目标检测", "agri-pest", hasTask("detection")},
		} {
			d := byID[tc.want]
			own := strings.ToLower(strings.Join(append([]string{d.Title, d.TitleEn, d.Description, d.DescriptionEn}, d.Keywords...), " "))
			if strings.Contains(own, tc.q) || (tc.q[0] < 0x80 && d.TitleEn != "") {
				t.Fatalf("fixture: %s must not contain %q in its own text", tc.want, tc.q)
			}
			res := idxSearch(t, idx, catalog.SearchQuery{Text: tc.q, Visibility: seeAll, Limit: 100})
			idxCheckFound(t, tc.q, res, []string{tc.want}, "")
			for _, h := range res.Hits {
				if !tc.related(byID[h.ID]) {
					t.Errorf("%q returned unrelated %s (%s)", tc.q, h.ID, byID[h.ID].Title)
				}
			}
		}
	})

	t.Run("Fuzzy", func(t *testing.T) {
		for _, tc := range []struct{ q, want string }{
			{"segmentaion", "med-mri-brain"}, // one letter missing
			{"ultrasoud", "med-ultrasound"},
			{"judgemnts", "legal-judgments"}, // transposition
		} {
			res := idxSearch(t, idx, catalog.SearchQuery{Text: tc.q, Visibility: seeAll, Limit: 100})
			idxCheckFound(t, tc.q, res, []string{tc.want}, "")
		}
	})

	t.Run("TitleOutranksDescription", func(t *testing.T) {
		// 舌象 / tongue: in the title of med-tcm-tongue, only in the
		// description of med-tcm-multi
		for _, q := range []string{"舌象", "tongue"} {
			res := idxSearch(t, idx, catalog.SearchQuery{Text: q, Visibility: seeAll, Limit: 100})
			idxCheckFound(t, q, res, []string{"med-tcm-tongue", "med-tcm-multi"}, "med-tcm-tongue")
			if p, q2 := idxPos(res, "med-tcm-tongue"), idxPos(res, "med-tcm-multi"); p > q2 {
				t.Errorf("%q: title match ranked %d, below description match at %d", q, p, q2)
			}
		}
	})

	t.Run("Filters", func(t *testing.T) {
		type tc struct {
			name    string
			filters map[string][]string
		}
		var cases []tc
		// every facet: its most common value, then two values (OR)
		for _, f := range catalog.Facets {
			counts := idxFacetCounts(idxExpected(docs, nil, catalog.SearchQuery{Visibility: seeAll}), f)
			if len(counts) < 2 {
				t.Fatalf("fixture has fewer than two values of facet %s", f)
			}
			cases = append(cases,
				tc{f + "=" + counts[0].Value, map[string][]string{f: {counts[0].Value}}},
				tc{f + "=" + counts[1].Value + "|" + counts[len(counts)-1].Value, map[string][]string{f: {counts[1].Value, counts[len(counts)-1].Value}}})
		}
		cases = append(cases,
			tc{"medical AND image AND open|conditional", map[string][]string{
				catalog.FacetDomain: {"medical"}, catalog.FacetModality: {"image"}, catalog.FacetTier: {"open", "conditional"}}},
			tc{"zh AND JSONL AND list", map[string][]string{
				catalog.FacetLanguage: {"zh"}, catalog.FacetFormat: {"JSONL"}, catalog.FacetList: {"2025-2-15", "2026-2-03"}}},
			tc{"task AND publisher", map[string][]string{
				catalog.FacetTask: {"segmentation", "detection"}, catalog.FacetPublisher: {"org-jsph", "org-zhixing"}}},
			tc{"licence AND tier", map[string][]string{
				catalog.FacetLicense: {"proprietary"}, catalog.FacetTier: {"important"}}},
			tc{"no match", map[string][]string{catalog.FacetDomain: {"energy"}, catalog.FacetModality: {"image"}}},
			tc{"unknown value", map[string][]string{catalog.FacetDomain: {"astrology"}}},
		)
		texts := []string{"", "数据集", "影像"}
		for _, text := range texts {
			found := matchAll(t, text)
			for _, c := range cases {
				q := catalog.SearchQuery{Text: text, Filters: c.filters, Visibility: seeAll, Limit: 1000, Facets: catalog.Facets, FacetSize: 100}
				res := idxSearch(t, idx, q)
				want := idxExpected(docs, found, q)
				name := fmt.Sprintf("%q %s", text, c.name)
				idxSameIDs(t, name, res, want)
				idxSameFacets(t, name, res, want, q.Facets, q.FacetSize)
			}
		}
	})

	t.Run("Status", func(t *testing.T) {
		for _, st := range [][]string{nil, {catalog.StatusDraft}, {catalog.StatusWithdrawn}, {catalog.StatusPublished, catalog.StatusWithdrawn}, allStatuses} {
			q := catalog.SearchQuery{Status: st, Visibility: seeAll, Limit: 1000, Facets: []string{catalog.FacetTier}}
			res := idxSearch(t, idx, q)
			want := idxExpected(docs, nil, q)
			if len(want) == 0 {
				t.Fatalf("fixture has no dataset with status %v", st)
			}
			name := fmt.Sprintf("status %v", st)
			idxSameIDs(t, name, res, want)
			idxSameFacets(t, name, res, want, q.Facets, 50)
		}
	})

	t.Run("Visibility", func(t *testing.T) {
		for _, vc := range []struct {
			name string
			vis  catalog.Visibility
		}{
			{"anonymous", anonymousVis},
			{"verified developer", catalog.Visibility{Clauses: []catalog.Clause{{
				{Field: catalog.VisTier, Values: []string{"open", "conditional", "important"}},
				{Field: catalog.VisStatus, Values: []string{catalog.StatusPublished}},
			}}}},
			{"provider org-jsph", catalog.Visibility{Clauses: []catalog.Clause{anonymousVis.Clauses[0], {
				{Field: catalog.VisOwnerOrg, Values: []string{"org-jsph"}},
			}}}},
			{"bureau", catalog.Visibility{Clauses: []catalog.Clause{
				{{Field: catalog.VisStatus, Values: []string{catalog.StatusPublished}}},
				{{Field: catalog.VisAwaiting, Values: []string{"true"}}},
			}}},
			{"anonymous with grants", catalog.Visibility{Clauses: []catalog.Clause{anonymousVis.Clauses[0], {
				{Field: catalog.VisDatasetID, Values: []string{"fin-risk", "ad-hdmap", "fin-draft"}},
				{Field: catalog.VisStatus, Values: []string{catalog.StatusPublished}},
			}}}},
			{"own org only", catalog.Visibility{Clauses: []catalog.Clause{{{Field: catalog.VisOwnerOrg, Values: []string{"org-jsbank"}}}}}},
			{"no clauses: nothing", seeNothing},
			{"term without values: nothing", catalog.Visibility{Clauses: []catalog.Clause{{{Field: catalog.VisTier}}}}},
			{"empty clause: everything", seeAll},
		} {
			for _, text := range []string{"", "医疗影像", "数据集", "medical", "语料"} {
				found := matchAll(t, text)
				for _, st := range [][]string{nil, allStatuses} {
					q := catalog.SearchQuery{Text: text, Status: st, Visibility: vc.vis, Limit: 1000, Facets: catalog.Facets, FacetSize: 100}
					res := idxSearch(t, idx, q)
					want := idxExpected(docs, found, q)
					name := fmt.Sprintf("%s, %q, status %v", vc.name, text, st)
					idxSameIDs(t, name, res, want)
					idxSameFacets(t, name, res, want, q.Facets, q.FacetSize)
					// with a filter as well
					q.Filters = map[string][]string{catalog.FacetDomain: {"medical", "finance"}}
					res = idxSearch(t, idx, q)
					want = idxExpected(docs, found, q)
					idxSameIDs(t, name+" medical|finance", res, want)
					idxSameFacets(t, name+" medical|finance", res, want, q.Facets, q.FacetSize)
				}
			}
		}
		// the fixture must make these cases differ, or they prove nothing
		anon := idxExpected(docs, nil, catalog.SearchQuery{Visibility: anonymousVis, Status: allStatuses})
		all := idxExpected(docs, nil, catalog.SearchQuery{Visibility: seeAll, Status: allStatuses})
		if len(anon) == 0 || len(anon) == len(all) {
			t.Fatalf("fixture: anonymous sees %d of %d", len(anon), len(all))
		}
	})

	t.Run("FacetSize", func(t *testing.T) {
		for _, size := range []int{1, 2, 3, 0} {
			q := catalog.SearchQuery{Visibility: anonymousVis, Limit: 1, Facets: catalog.Facets, FacetSize: size}
			res := idxSearch(t, idx, q)
			want := idxExpected(docs, nil, q)
			idxSameFacets(t, fmt.Sprintf("size %d", size), res, want, q.Facets, stdcmp.Or(size, 50))
			if len(res.Hits) != 1 || res.Total != len(want) {
				t.Errorf("size %d: %d hits, total %d; want 1 hit, total %d", size, len(res.Hits), res.Total, len(want))
			}
		}
		res := idxSearch(t, idx, catalog.SearchQuery{Visibility: seeAll, Limit: 5})
		if len(res.Facets[catalog.FacetDomain]) != 0 {
			t.Errorf("facets returned although none were asked for: %v", res.Facets)
		}
	})

	t.Run("Pagination", func(t *testing.T) {
		for _, sortBy := range []string{catalog.SortRelevance, catalog.SortNewest, catalog.SortTitle, ""} {
			for _, text := range []string{"", "数据", "dataset"} {
				base := catalog.SearchQuery{Text: text, Sort: sortBy, Status: allStatuses, Visibility: seeAll}
				full := base
				full.Limit = 1000
				all := idxSearch(t, idx, full)
				if len(all.Hits) < 8 {
					t.Fatalf("%q: only %d hits; the fixture should give more", text, len(all.Hits))
				}
				var paged []string
				seen := map[string]bool{}
				for off := 0; off < all.Total+7; off += 7 {
					q := base
					q.Offset, q.Limit = off, 7
					page := idxSearch(t, idx, q)
					if page.Total != all.Total {
						t.Fatalf("sort %q text %q offset %d: Total %d, want %d", sortBy, text, off, page.Total, all.Total)
					}
					if want := min(7, max(0, all.Total-off)); len(page.Hits) != want {
						t.Fatalf("sort %q text %q offset %d: %d hits, want %d", sortBy, text, off, len(page.Hits), want)
					}
					for _, h := range page.Hits {
						if seen[h.ID] {
							t.Fatalf("sort %q text %q: %s on two pages", sortBy, text, h.ID)
						}
						seen[h.ID] = true
						paged = append(paged, h.ID)
					}
				}
				if !slices.Equal(paged, idxIDs(all)) {
					t.Errorf("sort %q text %q: pages give\n%v\nthe full list is\n%v", sortBy, text, paged, idxIDs(all))
				}
			}
		}
	})

	t.Run("Sort", func(t *testing.T) {
		q := catalog.SearchQuery{Status: allStatuses, Visibility: seeAll, Limit: 1000}
		all := idxExpected(docs, nil, q)

		q.Sort = catalog.SortNewest
		newest := slices.Clone(all)
		slices.SortStableFunc(newest, func(a, b catalog.IndexDoc) int {
			switch {
			case a.PublishedAt.IsZero() != b.PublishedAt.IsZero(): // never published: last
				if a.PublishedAt.IsZero() {
					return 1
				}
				return -1
			case !a.PublishedAt.Equal(b.PublishedAt):
				return b.PublishedAt.Compare(a.PublishedAt)
			}
			return strings.Compare(a.ID, b.ID)
		})
		idxSameOrder(t, "newest", idxSearch(t, idx, q), newest)

		q.Sort = catalog.SortTitle
		byTitle := slices.Clone(all)
		slices.SortStableFunc(byTitle, func(a, b catalog.IndexDoc) int {
			return stdcmp.Or(strings.Compare(a.TitleSort, b.TitleSort), strings.Compare(a.ID, b.ID))
		})
		idxSameOrder(t, "title", idxSearch(t, idx, q), byTitle)

		for _, text := range []string{"医疗影像", "数据集", "speech"} {
			res := idxSearch(t, idx, catalog.SearchQuery{Text: text, Sort: catalog.SortRelevance, Visibility: seeAll, Limit: 100})
			for i := 1; i < len(res.Hits); i++ {
				if res.Hits[i].Score > res.Hits[i-1].Score {
					t.Errorf("relevance %q: hit %d (%s, %g) scores above hit %d (%s, %g)", text, i, res.Hits[i].ID, res.Hits[i].Score, i-1, res.Hits[i-1].ID, res.Hits[i-1].Score)
				}
			}
			// the same text sorted otherwise finds the same datasets
			for _, s := range []string{catalog.SortNewest, catalog.SortTitle} {
				other := idxSearch(t, idx, catalog.SearchQuery{Text: text, Sort: s, Visibility: seeAll, Limit: 100})
				if !slices.Equal(idxSortedIDs(other), idxSortedIDs(res)) {
					t.Errorf("%q sorted by %s finds other datasets than by relevance", text, s)
				}
			}
		}
	})

	t.Run("Highlights", func(t *testing.T) {
		for _, tc := range []struct {
			q, id, field, want string
		}{
			{"舌象", "med-tcm-tongue", "title", "<mark>舌象</mark>"},
			{"tongue", "med-tcm-tongue", "title_en", "<mark>tongue</mark>"},
			{"医疗影像", "med-imaging", "title", "<mark>医疗影像</mark>"},
			{"舌象", "med-tcm-multi", "description", "<mark>舌象</mark>"},
			{"舆情", "opinion-html", "title", "&lt;b&gt;重点&lt;/b&gt;"},
			{"public opinion", "opinion-html", "title_en", "&lt;b&gt;Key&lt;/b&gt;"},
			{"舆情", "opinion-html", "description", "&lt;script&gt;"},
		} {
			res := idxSearch(t, idx, catalog.SearchQuery{Text: tc.q, Visibility: seeAll, Limit: 100})
			p := idxPos(res, tc.id)
			if p < 0 {
				t.Errorf("%q: %s not found", tc.q, tc.id)
				continue
			}
			frags := res.Hits[p].Highlights[tc.field]
			if !slices.ContainsFunc(frags, func(f string) bool { return strings.Contains(f, tc.want) }) {
				t.Errorf("%q: highlights of %s.%s = %q, want one containing %q", tc.q, tc.id, tc.field, frags, tc.want)
			}
			for _, h := range res.Hits {
				for field, frags := range h.Highlights {
					for _, f := range frags {
						if !strings.Contains(f, "<mark>") {
							t.Errorf("%q: %s.%s fragment %q marks nothing", tc.q, h.ID, field, f)
						}
						bare := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(f)
						if strings.ContainsAny(bare, "<>") {
							t.Errorf("%q: %s.%s fragment %q has unescaped HTML", tc.q, h.ID, field, f)
						}
					}
				}
			}
		}
	})

	t.Run("InvalidQueries", func(t *testing.T) {
		for name, q := range map[string]catalog.SearchQuery{
			"unknown filter":           {Filters: map[string][]string{"colour": {"red"}}, Visibility: seeAll},
			"unknown facet":            {Facets: []string{"colour"}, Visibility: seeAll},
			"unknown sort":             {Sort: "random", Visibility: seeAll},
			"unknown visibility field": {Visibility: catalog.Visibility{Clauses: []catalog.Clause{{{Field: "salary", Values: []string{"1"}}}}}},
			"negative offset":          {Offset: -1, Visibility: seeAll},
		} {
			_, err := idx.Search(ctx, q)
			idxWantKind(t, err, catalog.KindInvalid, name)
		}
	})

	t.Run("UpsertRevisions", func(t *testing.T) {
		idx := newIndex(t)
		v := func(rev int64, title, titleEn string) catalog.IndexDoc {
			return catalog.IndexDoc{ID: "js-weather", Rev: rev, Title: title, TitleEn: titleEn,
				Description: "全省站点逐小时观测记录。", Domain: "scientific", Modality: "time-series",
				Tier: "open", License: "CC-BY-4.0", Publisher: "org-met", OwnerOrg: "org-met",
				Status: catalog.StatusPublished, PublishedAt: fixtureDay}
		}
		find := func(text string) []catalog.Hit {
			return idxSearch(t, idx, catalog.SearchQuery{Text: text, Visibility: seeAll, Limit: 10}).Hits
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(idx.Upsert(ctx, v(3, "江苏气象观测数据集", "Jiangsu weather observations")))
		must(idx.Upsert(ctx, v(2, "旧版降水数据", "Old rainfall data"))) // late retry of an older revision
		if h := find("气象"); len(h) != 1 || h[0].Rev != 3 {
			t.Fatalf("after rev 3 then rev 2: 气象 finds %v, want js-weather rev 3", h)
		}
		if h := find("降水"); len(h) != 0 {
			t.Fatalf("rev 2 replaced rev 3: 降水 finds %v", h)
		}
		must(idx.Upsert(ctx, v(3, "江苏气象观测数据集", "Jiangsu weather observations"))) // same revision again
		must(idx.Upsert(ctx, v(4, "江苏降水观测数据集", "Jiangsu rainfall observations")))
		if h := find("降水"); len(h) != 1 || h[0].Rev != 4 {
			t.Fatalf("after rev 4: 降水 finds %v, want rev 4", h)
		}
		if h := find("气象"); len(h) != 0 {
			t.Fatalf("after rev 4 the rev 3 title still matches: %v", h)
		}
		// both orders within one call keep the newest
		must(idx.Upsert(ctx, v(6, "江苏风速观测数据集", "wind"), v(5, "江苏湿度观测数据集", "humidity")))
		if h := find("风速"); len(h) != 1 || h[0].Rev != 6 {
			t.Fatalf("rev 6 then 5 in one call: 风速 finds %v", h)
		}
		must(idx.Upsert(ctx, v(7, "江苏湿度观测数据集", "humidity"), v(8, "江苏日照观测数据集", "sunshine")))
		if h := find("日照"); len(h) != 1 || h[0].Rev != 8 {
			t.Fatalf("rev 7 then 8 in one call: 日照 finds %v", h)
		}
		if n, err := idx.Count(ctx); err != nil || n != 1 {
			t.Fatalf("Count = %d, %v; want 1", n, err)
		}
		must(idx.Upsert(ctx))
		_, err := idx.Search(ctx, catalog.SearchQuery{Visibility: seeAll}) // still usable
		must(err)
	})

	t.Run("Delete", func(t *testing.T) {
		idx := newIndex(t)
		part := docs[:6]
		if err := idx.Upsert(ctx, part...); err != nil {
			t.Fatal(err)
		}
		gone := part[1].ID
		for _, ids := range [][]string{{gone}, {gone}, {"no-such-dataset"}, nil} {
			if err := idx.Delete(ctx, ids...); err != nil {
				t.Fatalf("Delete(%v): %v", ids, err)
			}
		}
		if n, err := idx.Count(ctx); err != nil || n != len(part)-1 {
			t.Fatalf("Count = %d, %v; want %d", n, err, len(part)-1)
		}
		byID := idxSearch(t, idx, catalog.SearchQuery{Visibility: catalog.Visibility{Clauses: []catalog.Clause{{{Field: catalog.VisDatasetID, Values: []string{gone}}}}}, Status: allStatuses})
		if byID.Total != 0 {
			t.Fatalf("deleted %s still found", gone)
		}
		res := idxSearch(t, idx, catalog.SearchQuery{Text: part[1].Title, Visibility: seeAll, Status: allStatuses, Limit: 100})
		if idxPos(res, gone) >= 0 {
			t.Fatalf("deleted %s found by its title", gone)
		}
		// deleted, then indexed again
		if err := idx.Upsert(ctx, part[1]); err != nil {
			t.Fatal(err)
		}
		if n, _ := idx.Count(ctx); n != len(part) {
			t.Fatalf("Count after re-adding = %d, want %d", n, len(part))
		}
	})

	t.Run("TitleSortFromTitle", func(t *testing.T) {
		// An empty TitleSort is derived from the title: Chinese titles sort
		// by pinyin, as a Chinese reader expects.
		idx := newIndex(t)
		titles := []string{"长江航运船舶轨迹数据", "北京话语音语料", "阿拉伯语新闻平行语料", "安徽茶叶病害图像", "东海渔业资源调查数据"}
		var in []catalog.IndexDoc
		for i, title := range titles {
			in = append(in, catalog.IndexDoc{ID: fmt.Sprintf("sort-%d", i), Rev: 1, Title: title, Domain: "other", Modality: "text",
				Tier: "open", License: "CC-BY-4.0", Status: catalog.StatusPublished, PublishedAt: fixtureDay})
		}
		if err := idx.Upsert(ctx, in...); err != nil {
			t.Fatal(err)
		}
		res := idxSearch(t, idx, catalog.SearchQuery{Sort: catalog.SortTitle, Visibility: seeAll, Limit: 10})
		title := map[string]string{}
		for _, d := range in {
			title[d.ID] = d.Title
		}
		var got []string
		for _, h := range res.Hits {
			got = append(got, title[h.ID])
		}
		want := []string{"阿拉伯语新闻平行语料", "安徽茶叶病害图像", "北京话语音语料", "长江航运船舶轨迹数据", "东海渔业资源调查数据"}
		if !slices.Equal(got, want) {
			t.Fatalf("sorted by title:\n got %v\nwant %v", got, want)
		}
	})

	t.Run("Rebuild", func(t *testing.T) {
		idx := newIndex(t)
		old := GenerateIndexDocs("old", 30, 1)
		if err := idx.Upsert(ctx, old...); err != nil {
			t.Fatal(err)
		}
		fresh := GenerateIndexDocs("new", 20, 2)
		kept := old[3]
		kept.Rev += 5
		kept.Title = "重新编目的" + kept.Title
		fresh = append(fresh, kept)
		err := idx.Rebuild(ctx, func(add func(catalog.IndexDoc) error) error {
			for _, d := range fresh {
				if err := add(d); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Rebuild: %v", err)
		}
		if n, err := idx.Count(ctx); err != nil || n != len(fresh) {
			t.Fatalf("Count after Rebuild = %d, %v; want %d", n, err, len(fresh))
		}
		res := idxSearch(t, idx, catalog.SearchQuery{Status: allStatuses, Visibility: seeAll, Limit: 1000})
		idxSameIDs(t, "after Rebuild", res, fresh)
		// the index goes on working, revisions included
		stale := kept
		stale.Rev -= 2
		stale.Title = "过时的标题"
		if err := idx.Upsert(ctx, stale); err != nil {
			t.Fatal(err)
		}
		if h := idxSearch(t, idx, catalog.SearchQuery{Text: "重新编目", Status: allStatuses, Visibility: seeAll}).Hits; len(h) != 1 || h[0].ID != kept.ID || h[0].Rev != kept.Rev {
			t.Fatalf("after Rebuild and a stale Upsert, 重新编目 finds %v, want %s rev %d", h, kept.ID, kept.Rev)
		}
		// an empty rebuild empties the index
		if err := idx.Rebuild(ctx, func(func(catalog.IndexDoc) error) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if n, err := idx.Count(ctx); err != nil || n != 0 {
			t.Fatalf("Count after empty Rebuild = %d, %v", n, err)
		}
	})

	t.Run("RebuildFailureKeepsIndex", func(t *testing.T) {
		idx := newIndex(t)
		old := GenerateIndexDocs("old", 40, 3)
		if err := idx.Upsert(ctx, old...); err != nil {
			t.Fatal(err)
		}
		fresh := GenerateIndexDocs("new", 40, 4)
		boom := errors.New("store unavailable")
		err := idx.Rebuild(ctx, func(add func(catalog.IndexDoc) error) error {
			for _, d := range fresh[:10] {
				if err := add(d); err != nil {
					return err
				}
			}
			return boom
		})
		if err == nil {
			t.Fatal("Rebuild with a failing fill returned nil")
		}
		cctx, cancel := context.WithCancel(ctx)
		err = idx.Rebuild(cctx, func(add func(catalog.IndexDoc) error) error {
			for i, d := range fresh {
				if i == 10 {
					cancel()
				}
				if err := add(d); err != nil {
					return err
				}
			}
			return nil
		})
		cancel()
		if err == nil {
			t.Fatal("Rebuild with a context cancelled during fill returned nil")
		}
		res := idxSearch(t, idx, catalog.SearchQuery{Status: allStatuses, Visibility: seeAll, Limit: 1000})
		idxSameIDs(t, "after failed Rebuilds", res, old)
	})

	t.Run("RebuildWhileSearching", func(t *testing.T) {
		idx := newIndex(t)
		old := GenerateIndexDocs("old", 300, 5)
		if err := idx.Upsert(ctx, old...); err != nil {
			t.Fatal(err)
		}
		fresh := GenerateIndexDocs("new", 400, 6)
		q := catalog.SearchQuery{Text: "数据", Status: allStatuses, Visibility: seeAll, Limit: 1, Facets: []string{catalog.FacetTier}}
		before := idxSearch(t, idx, q).Total
		if before == 0 {
			t.Fatal("no generated dataset matches 数据")
		}

		var (
			filling  atomic.Bool
			during   atomic.Int32
			stop     = make(chan struct{})
			failures = make(chan string, 1)
			seen     sync.Map // totals seen
			wg       sync.WaitGroup
		)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := idx.Search(ctx, q)
				if err != nil {
					failures <- fmt.Sprintf("Search during Rebuild: %v", err)
					return
				}
				seen.Store(res.Total, true)
				if filling.Load() {
					during.Add(1)
				}
			}
		}()
		err := idx.Rebuild(ctx, func(add func(catalog.IndexDoc) error) error {
			filling.Store(true)
			defer filling.Store(false)
			for i, d := range fresh {
				if i == len(fresh)/2 {
					// make sure searches really run while the index is rebuilt
					deadline := time.Now().Add(20 * time.Second)
					for during.Load() < 5 {
						if time.Now().After(deadline) {
							return errors.New("no search completed during Rebuild: Rebuild blocks searches")
						}
						time.Sleep(time.Millisecond)
					}
				}
				if err := add(d); err != nil {
					return err
				}
			}
			return nil
		})
		close(stop)
		wg.Wait()
		select {
		case f := <-failures:
			t.Fatal(f)
		default:
		}
		if err != nil {
			t.Fatalf("Rebuild: %v", err)
		}
		after := idxSearch(t, idx, q).Total
		if after == 0 || after == before {
			t.Fatalf("totals before %d and after %d Rebuild should differ (fixture)", before, after)
		}
		seen.Range(func(k, _ any) bool {
			if n := k.(int); n != before && n != after {
				t.Errorf("a search during Rebuild saw Total %d; only %d (old) or %d (new) are allowed", n, before, after)
			}
			return true
		})
		if n, err := idx.Count(ctx); err != nil || n != len(fresh) {
			t.Fatalf("Count after Rebuild = %d, %v; want %d", n, err, len(fresh))
		}
	})
}

// inDomain holds for datasets of one domain.
func inDomain(domain string) func(catalog.IndexDoc) bool {
	return func(d catalog.IndexDoc) bool { return d.Domain == domain }
}

// mentions holds for datasets whose text or labels contain one of words.
func mentions(words ...string) func(catalog.IndexDoc) bool {
	return func(d catalog.IndexDoc) bool {
		all := strings.Join(append([]string{d.Title, d.TitleEn, d.Description, d.DescriptionEn, d.PublisherName, d.PublisherEn},
			append(d.Keywords, d.Labels...)...), " ")
		for _, w := range words {
			if strings.Contains(all, w) {
				return true
			}
		}
		return false
	}
}

func idxSearch(t *testing.T, idx catalog.Index, q catalog.SearchQuery) catalog.SearchResult {
	t.Helper()
	res, err := idx.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return res
}

func idxWantKind(t *testing.T, err error, k catalog.Kind, what string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %s", what, k)
	} else if got := catalog.ErrorKind(err); got != k {
		t.Errorf("%s: error kind %s (%v), want %s", what, got, err, k)
	}
}

func idxIDs(res catalog.SearchResult) []string {
	out := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = h.ID
	}
	return out
}

func idxSortedIDs(res catalog.SearchResult) []string {
	out := idxIDs(res)
	slices.Sort(out)
	return out
}

func idxPos(res catalog.SearchResult, id string) int {
	return slices.IndexFunc(res.Hits, func(h catalog.Hit) bool { return h.ID == id })
}

// idxExpected returns the documents q must find: those in found (all when
// nil) that have one of q's statuses, pass its filters and are visible.
func idxExpected(docs []catalog.IndexDoc, found map[string]bool, q catalog.SearchQuery) []catalog.IndexDoc {
	status := q.Status
	if len(status) == 0 {
		status = []string{catalog.StatusPublished}
	}
	var out []catalog.IndexDoc
	for _, d := range docs {
		if found != nil && !found[d.ID] {
			continue
		}
		if !slices.Contains(status, d.Status) || !q.Visibility.Matches(d.VisibilityFields()) {
			continue
		}
		ok := true
		for f, values := range q.Filters {
			if len(values) > 0 && !slices.ContainsFunc(d.FacetValues(f), func(v string) bool { return slices.Contains(values, v) }) {
				ok = false
			}
		}
		if ok {
			out = append(out, d)
		}
	}
	return out
}

// idxFacetCounts counts the values of facet f over docs, most frequent
// first, then by value.
func idxFacetCounts(docs []catalog.IndexDoc, f string) []catalog.FacetCount {
	n := map[string]int{}
	for _, d := range docs {
		for _, v := range d.FacetValues(f) {
			if v != "" {
				n[v]++
			}
		}
	}
	out := make([]catalog.FacetCount, 0, len(n))
	for v, c := range n {
		out = append(out, catalog.FacetCount{Value: v, Count: c})
	}
	slices.SortFunc(out, func(a, b catalog.FacetCount) int {
		return stdcmp.Or(stdcmp.Compare(b.Count, a.Count), strings.Compare(a.Value, b.Value))
	})
	return out
}

// idxSameIDs checks that res holds exactly want, with an exact Total.
func idxSameIDs(t *testing.T, name string, res catalog.SearchResult, want []catalog.IndexDoc) {
	t.Helper()
	w := make([]string, len(want))
	for i, d := range want {
		w[i] = d.ID
	}
	slices.Sort(w)
	if got := idxSortedIDs(res); !slices.Equal(got, w) {
		t.Errorf("%s: found\n%v\nwant\n%v", name, got, w)
	}
	if res.Total != len(want) {
		t.Errorf("%s: Total %d, want %d", name, res.Total, len(want))
	}
}

func idxSameOrder(t *testing.T, name string, res catalog.SearchResult, want []catalog.IndexDoc) {
	t.Helper()
	w := make([]string, len(want))
	for i, d := range want {
		w[i] = d.ID
	}
	if got := idxIDs(res); !slices.Equal(got, w) {
		t.Errorf("%s order:\n got %v\nwant %v", name, got, w)
	}
}

// idxSameFacets checks every requested facet's counts against those
// computed over want, cut to size.
func idxSameFacets(t *testing.T, name string, res catalog.SearchResult, want []catalog.IndexDoc, facets []string, size int) {
	t.Helper()
	for _, f := range facets {
		w := idxFacetCounts(want, f)
		if len(w) > size {
			w = w[:size]
		}
		got := res.Facets[f]
		if len(got) == 0 && len(w) == 0 {
			continue
		}
		if !slices.Equal(got, w) {
			t.Errorf("%s: facet %s = %v, want %v", name, f, got, w)
		}
	}
}

// idxCheckFound checks that res contains want and, if first is set, that
// it ranks first.
func idxCheckFound(t *testing.T, q string, res catalog.SearchResult, want []string, first string) {
	t.Helper()
	for _, id := range want {
		if idxPos(res, id) < 0 {
			t.Errorf("%q does not find %s; found %v", q, id, idxIDs(res))
		}
	}
	if first != "" && (len(res.Hits) == 0 || res.Hits[0].ID != first) {
		t.Errorf("%q: first hit should be %s; got %v", q, first, idxIDs(res))
	}
}
