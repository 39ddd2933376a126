package catalog

import "slices"

// synonymGroups are groups of interchangeable portal words, Chinese and
// English, lower case. Every search engine expands queries with the same
// groups (catalog/bleve in its query builder, catalog/meili through the
// engine's synonyms setting), so both engines find the same things.
// Kept small on purpose: each group widens every query that contains one
// of its words, and category words are already covered by the bilingual
// vocabulary labels that IndexDocOf adds to every document.
var synonymGroups = [][]string{
	{"医疗", "医学"},
	{"影像", "图像"},
	{"自动驾驶", "无人驾驶", "autonomous driving", "self-driving"},
	{"语料", "corpus"},
	{"问答", "question answering", "qa"},
	{"激光雷达", "lidar"},
	{"电子病历", "ehr", "electronic medical record"},
	{"语音识别", "asr", "speech recognition"},
	{"大模型", "大语言模型", "llm", "large language model"},
	{"微调", "fine-tuning"},
	{"裁判文书", "判决书", "court judgment"},
	{"遥感", "remote sensing"},
}

// Synonyms returns a copy of the synonym groups shared by every Index.
func Synonyms() [][]string {
	out := make([][]string, len(synonymGroups))
	for i, g := range synonymGroups {
		out[i] = slices.Clone(g)
	}
	return out
}
