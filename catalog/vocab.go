package catalog

// Term is one value of a controlled vocabulary with its labels.
type Term struct {
	Value string `json:"value"`
	Label Text   `json:"label"`
}

// Vocabulary is an ordered list of terms.
type Vocabulary []Term

// Has reports whether v contains value.
func (v Vocabulary) Has(value string) bool {
	_, ok := v.Label(value)
	return ok
}

// Label returns the labels of value.
func (v Vocabulary) Label(value string) (Text, bool) {
	for _, t := range v {
		if t.Value == value {
			return t.Label, true
		}
	}
	return Text{}, false
}

// Values lists the values in order.
func (v Vocabulary) Values() []string {
	out := make([]string, len(v))
	for i, t := range v {
		out[i] = t.Value
	}
	return out
}

// Domains is the industry vocabulary shared by datasets and construction lists.
var Domains = Vocabulary{
	{"medical", T("医疗健康", "Medical & health")},
	{"finance", T("金融", "Finance")},
	{"legal", T("法律", "Legal")},
	{"education", T("教育", "Education")},
	{"autonomous-driving", T("自动驾驶", "Autonomous driving")},
	{"manufacturing", T("智能制造", "Manufacturing")},
	{"agriculture", T("农业", "Agriculture")},
	{"government", T("政务", "Government")},
	{"e-commerce", T("电子商务", "E-commerce")},
	{"general-nlp", T("通用自然语言", "General NLP")},
	{"speech", T("语音", "Speech")},
	{"remote-sensing", T("遥感", "Remote sensing")},
	{"robotics", T("机器人与具身智能", "Robotics & embodied AI")},
	{"scientific", T("科学研究", "Scientific research")},
	{"transport", T("交通运输", "Transport")},
	{"energy", T("能源", "Energy")},
	{"culture-tourism", T("文化旅游", "Culture & tourism")},
	{"other", T("其他", "Other")},
}

// Modalities is the data modality vocabulary.
var Modalities = Vocabulary{
	{"text", T("文本", "Text")},
	{"image", T("图像", "Image")},
	{"video", T("视频", "Video")},
	{"audio", T("音频", "Audio")},
	{"multimodal", T("多模态", "Multimodal")},
	{"tabular", T("表格", "Tabular")},
	{"point-cloud", T("点云", "Point cloud")},
	{"time-series", T("时间序列", "Time series")},
	{"graph", T("图数据", "Graph")},
}

// Tier is a data classification tier (GB/T 43697-2024 plus the open-data classes).
type Tier string

// Tiers, from the most open to the most restricted.
const (
	TierOpen        Tier = "open"
	TierConditional Tier = "conditional"
	TierImportant   Tier = "important"
	TierCore        Tier = "core"
)

// Tiers is the tier vocabulary in ascending order of restriction.
var Tiers = Vocabulary{
	{"open", T("无条件开放（一般数据）", "Open (general data)")},
	{"conditional", T("有条件开放（一般数据）", "Conditional (general data)")},
	{"important", T("重要数据", "Important data")},
	{"core", T("核心数据", "Core data")},
}

// Level orders tiers: open 0 … core 3; -1 for an unknown tier.
func (t Tier) Level() int {
	for i, v := range Tiers {
		if v.Value == string(t) {
			return i
		}
	}
	return -1
}

// NeedsBureau reports whether the bureau confirms this tier.
func (t Tier) NeedsBureau() bool { return t == TierImportant || t == TierCore }

// Tasks is the vocabulary of machine-learning tasks a dataset supports.
var Tasks = Vocabulary{
	{"pretraining", T("预训练", "Pre-training")},
	{"instruction-tuning", T("指令微调", "Instruction tuning")},
	{"alignment", T("偏好对齐", "Preference alignment")},
	{"classification", T("分类", "Classification")},
	{"detection", T("目标检测", "Object detection")},
	{"segmentation", T("分割", "Segmentation")},
	{"tracking", T("目标跟踪", "Tracking")},
	{"ocr", T("文字识别", "OCR")},
	{"captioning", T("图像描述", "Captioning")},
	{"ner", T("命名实体识别", "Named entity recognition")},
	{"relation-extraction", T("关系抽取", "Relation extraction")},
	{"question-answering", T("问答", "Question answering")},
	{"summarization", T("摘要", "Summarization")},
	{"translation", T("机器翻译", "Translation")},
	{"dialogue", T("对话", "Dialogue")},
	{"retrieval", T("检索", "Retrieval")},
	{"text-generation", T("文本生成", "Text generation")},
	{"speech-recognition", T("语音识别", "Speech recognition")},
	{"speech-synthesis", T("语音合成", "Speech synthesis")},
	{"forecasting", T("预测", "Forecasting")},
	{"anomaly-detection", T("异常检测", "Anomaly detection")},
	{"recommendation", T("推荐", "Recommendation")},
	{"planning", T("规划与控制", "Planning & control")},
	{"evaluation", T("评测基准", "Evaluation benchmark")},
	{"other", T("其他", "Other")},
}

// Statuses is the dataset lifecycle vocabulary.
var Statuses = Vocabulary{
	{"draft", T("草稿", "Draft")},
	{"published", T("已发布", "Published")},
	{"withdrawn", T("已撤回", "Withdrawn")},
}

// Dataset statuses.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
	StatusWithdrawn = "withdrawn"
)

// OrgKinds is the organisation kind vocabulary.
var OrgKinds = Vocabulary{
	{"provider", T("数据提供方", "Data provider")},
	{"developer", T("模型开发方", "Model developer")},
	{"bureau", T("数据局", "Data bureau")},
	{"operator", T("平台运营方", "Operator")},
}

// Roles is the user role vocabulary.
var Roles = Vocabulary{
	{"developer", T("模型开发者", "Developer")},
	{"provider", T("数据提供者", "Provider")},
	{"bureau", T("数据局", "Bureau")},
	{"admin", T("管理员", "Administrator")},
}

// User roles.
const (
	RoleDeveloper = "developer"
	RoleProvider  = "provider"
	RoleBureau    = "bureau"
	RoleAdmin     = "admin"
)
