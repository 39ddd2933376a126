package catalog

import (
	"strings"
	"time"
)

// Dataset is a registered dataset or corpus. It is the API's shape too.
type Dataset struct {
	ID string `json:"id"`
	DatasetFields
	// TierConfirmed is set when the bureau confirmed (or raised) the tier.
	TierConfirmed    bool              `json:"tier_confirmed"`
	TierConfirmation *TierConfirmation `json:"tier_confirmation,omitempty"`

	// Publisher is the id of the organisation that owns the dataset.
	Publisher     string    `json:"publisher"`
	PublisherName string    `json:"publisher_name"`
	PublisherEn   string    `json:"publisher_name_en"`
	Status        string    `json:"status"`
	Versions      []Version `json:"versions"`

	CreatedBy      string     `json:"created_by"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	PublishedAt    *time.Time `json:"published_at,omitempty"`
	WithdrawnAt    *time.Time `json:"withdrawn_at,omitempty"`
	WithdrawReason string     `json:"withdraw_reason,omitempty"`

	// Rev is the content revision: it moves with every change a user makes
	// and is the dataset's ETag. Bookkeeping writes (index state) leave it.
	Rev int64 `json:"rev"`
}

// DatasetFields are the fields a provider writes: the body of a create
// request (with the id) and what a PATCH may change.
type DatasetFields struct {
	Title            string            `json:"title"`
	TitleEn          string            `json:"title_en"`
	Description      string            `json:"description"`
	DescriptionEn    string            `json:"description_en"`
	Domain           string            `json:"domain"`
	Modality         string            `json:"modality"`
	Tasks            []string          `json:"tasks"`
	Languages        []string          `json:"languages"`
	Keywords         []string          `json:"keywords"`
	Tier             Tier              `json:"tier"`
	PersonalInfo     bool              `json:"personal_info"`
	Deidentification *Deidentification `json:"deidentification,omitempty"`
	License          string            `json:"license"`
	IPRegistration   *IPRegistration   `json:"ip_registration,omitempty"`
	Size             Size              `json:"size"`
	Formats          []string          `json:"formats"`
	ListItems        []string          `json:"list_items"`
}

// Deidentification records how personal information was removed.
type Deidentification struct {
	Method     string `json:"method"`
	AttestedBy string `json:"attested_by"`
	AttestedAt string `json:"attested_at"` // a date, YYYY-MM-DD
}

// IPRegistration is a data intellectual-property registration (数据知识产权登记).
type IPRegistration struct {
	Number   string `json:"number"`
	Registry string `json:"registry"`
	Date     string `json:"date"` // YYYY-MM-DD
}

// TierConfirmation records the bureau's confirmation of a tier.
type TierConfirmation struct {
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Previous Tier      `json:"previous,omitempty"`
	Reason   string    `json:"reason,omitempty"`
}

// Size is a dataset's volume.
type Size struct {
	Records int64 `json:"records"`
	Bytes   int64 `json:"bytes"`
}

// Version is one released version of a dataset.
type Version struct {
	Number    string    `json:"number"`
	Changelog string    `json:"changelog"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	// Distributions are the version's files and links (files.go).
	Distributions []Distribution `json:"distributions,omitempty"`
}

// AwaitingConfirmation reports whether the bureau still has to confirm the
// declared tier.
func (d *Dataset) AwaitingConfirmation() bool {
	return d.Tier.NeedsBureau() && !d.TierConfirmed
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// Normalize canonicalises list fields (trims, removes duplicates, canonical
// language tags and licence ids) before validation.
func (d *Dataset) Normalize() {
	d.ID = strings.TrimSpace(d.ID)
	d.Title = strings.TrimSpace(d.Title)
	d.TitleEn = strings.TrimSpace(d.TitleEn)
	d.Description = strings.TrimSpace(d.Description)
	d.DescriptionEn = strings.TrimSpace(d.DescriptionEn)
	d.Tasks = dedupe(d.Tasks, strings.TrimSpace)
	d.Keywords = dedupe(d.Keywords, strings.TrimSpace)
	d.Formats = dedupe(d.Formats, func(s string) string { return strings.ToUpper(strings.TrimSpace(s)) })
	d.ListItems = dedupe(d.ListItems, strings.TrimSpace)
	d.Languages = dedupe(d.Languages, func(s string) string {
		if n, ok := NormalizeLanguage(strings.TrimSpace(s)); ok {
			return n
		}
		return strings.TrimSpace(s)
	})
	if n, ok := NormalizeLicense(d.License); ok {
		d.License = n
	}
}

func dedupe(in []string, norm func(string) string) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, s := range in {
		s = norm(s)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// Validate checks every field of a dataset and returns an Invalid error
// listing all problems, or nil.
func (d *Dataset) Validate() error {
	var v Validation
	if !ValidSlug(d.ID) {
		v.Add("id", "slug", "标识须为 3–64 位小写字母、数字和连字符", "id must be 3–64 lower-case letters, digits and hyphens")
	}
	checkText(&v, "title", d.Title, 1, 200, "中文标题", "Title")
	checkText(&v, "title_en", d.TitleEn, 0, 300, "英文标题", "English title")
	checkText(&v, "description", d.Description, 1, 20000, "中文描述", "Description")
	checkText(&v, "description_en", d.DescriptionEn, 0, 30000, "英文描述", "English description")
	if !Domains.Has(d.Domain) {
		v.Add("domain", "vocabulary", "行业领域不在词表中", "domain is not in the vocabulary")
	}
	if !Modalities.Has(d.Modality) {
		v.Add("modality", "vocabulary", "数据模态不在词表中", "modality is not in the vocabulary")
	}
	if len(d.Tasks) > 20 {
		v.Add("tasks", "too_many", "任务最多 20 个", "at most 20 tasks")
	}
	for _, t := range d.Tasks {
		if !Tasks.Has(t) {
			v.Add("tasks", "vocabulary", "任务“"+t+"”不在词表中", "task \""+t+"\" is not in the vocabulary")
		}
	}
	if len(d.Languages) > 50 {
		v.Add("languages", "too_many", "语言最多 50 个", "at most 50 languages")
	}
	for _, l := range d.Languages {
		if _, ok := NormalizeLanguage(l); !ok {
			v.Add("languages", "bcp47", "“"+l+"”不是有效的 BCP 47 语言标签", "\""+l+"\" is not a BCP 47 language tag")
		}
	}
	if len(d.Keywords) > 50 {
		v.Add("keywords", "too_many", "关键词最多 50 个", "at most 50 keywords")
	}
	for _, k := range d.Keywords {
		checkText(&v, "keywords", k, 1, 50, "关键词", "Keyword")
	}
	if len(d.Formats) > 30 {
		v.Add("formats", "too_many", "格式最多 30 个", "at most 30 formats")
	}
	for _, f := range d.Formats {
		checkText(&v, "formats", f, 1, 30, "格式", "Format")
	}
	if len(d.ListItems) > 50 {
		v.Add("list_items", "too_many", "清单条目最多 50 个", "at most 50 list items")
	}
	for _, it := range d.ListItems {
		checkText(&v, "list_items", it, 1, 64, "清单条目编号", "List item code")
	}
	if d.Tier.Level() < 0 {
		v.Add("tier", "vocabulary", "分级须为 open、conditional、important 或 core", "tier must be open, conditional, important or core")
	}
	if _, ok := NormalizeLicense(d.License); !ok {
		v.Add("license", "spdx", "许可须为 SPDX 标识或 proprietary", "license must be an SPDX id or \"proprietary\"")
	}
	if d.Size.Records < 0 {
		v.Add("size.records", "range", "记录数不能为负", "records cannot be negative")
	}
	if d.Size.Bytes < 0 {
		v.Add("size.bytes", "range", "字节数不能为负", "bytes cannot be negative")
	}
	if di := d.Deidentification; di != nil {
		checkText(&v, "deidentification.method", di.Method, 1, 500, "去标识化方法", "De-identification method")
		checkText(&v, "deidentification.attested_by", di.AttestedBy, 1, 200, "去标识化证明人", "De-identification attester")
		if !validDate(di.AttestedAt) {
			v.Add("deidentification.attested_at", "date", "证明日期须为 YYYY-MM-DD", "attestation date must be YYYY-MM-DD")
		}
	}
	if d.PersonalInfo && d.Deidentification == nil && (d.Tier == TierOpen || d.Tier == TierConditional) {
		v.Add("tier", "personal_info", "含个人信息的数据集在登记去标识化记录之前不能设为无条件或有条件开放",
			"a dataset with personal information cannot be open or conditional until a de-identification record is on it")
	}
	if ip := d.IPRegistration; ip != nil {
		checkText(&v, "ip_registration.number", ip.Number, 1, 100, "登记证书编号", "Certificate number")
		checkText(&v, "ip_registration.registry", ip.Registry, 1, 200, "登记机构", "Registry")
		if !validDate(ip.Date) {
			v.Add("ip_registration.date", "date", "登记日期须为 YYYY-MM-DD", "registration date must be YYYY-MM-DD")
		}
	}
	for i, ver := range d.Versions {
		checkText(&v, "versions", ver.Number, 1, 40, "版本号", "Version number")
		checkText(&v, "versions", ver.Changelog, 0, 10000, "变更说明", "Changelog")
		for _, o := range d.Versions[:i] {
			if o.Number == ver.Number {
				v.Add("versions", "duplicate", "版本号“"+ver.Number+"”重复", "version \""+ver.Number+"\" is duplicated")
			}
		}
	}
	return v.Err()
}
