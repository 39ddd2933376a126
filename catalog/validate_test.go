package catalog

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

func TestCreditCode(t *testing.T) {
	// Published examples of valid codes; each wrong in one character below.
	valid := []string{"91350100M000100Y43", "91110000802100433B", "11100000000013127D"}
	for _, c := range valid {
		if !ValidCreditCode(c) {
			t.Errorf("%s: valid code refused", c)
		}
		for i := 0; i < 18; i++ {
			b := []byte(c)
			b[i] = map[bool]byte{true: '1', false: '2'}[b[i] != '1']
			if ValidCreditCode(string(b)) {
				t.Errorf("%s: code with character %d changed accepted", string(b), i)
			}
		}
	}
	for _, c := range []string{"", "91350100M000100Y4", "91350100M000100Y433", "91350100M000100I43", "9135AB00M000100Y43", "91350100m000100y43"} {
		if ValidCreditCode(c) {
			t.Errorf("%q accepted", c)
		}
	}
}

func TestNormalizers(t *testing.T) {
	cases := []struct {
		f        func(string) (string, bool)
		in, want string
		ok       bool
	}{
		{NormalizeLanguage, "zh-hans-cn", "zh-Hans-CN", true},
		{NormalizeLanguage, "yue", "yue", true},
		{NormalizeLanguage, "en_US", "en-US", true},
		{NormalizeLanguage, "not a tag", "", false},
		{NormalizeLicense, "cc-by-4.0", "CC-BY-4.0", true},
		{NormalizeLicense, "MIT OR Apache-2.0", "MIT OR Apache-2.0", true},
		{NormalizeLicense, "Proprietary", "proprietary", true},
		{NormalizeLicense, "WTFPL-9", "", false},
		{NormalizeEmail, " Dev@Example.CN ", "dev@example.cn", true},
		{NormalizeEmail, "Dev <dev@example.cn>", "", false},
		{NormalizeEmail, "no-at-sign", "", false},
	}
	for _, c := range cases {
		got, ok := c.f(c.in)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("%q: got %q %v, want %q %v", c.in, got, ok, c.want, c.ok)
		}
	}
	for _, s := range []string{"js-medical-ct-2026", "abc", "a1-b2"} {
		if !ValidSlug(s) {
			t.Errorf("slug %q refused", s)
		}
	}
	for _, s := range []string{"ab", "-abc", "abc-", "a--b", "ABC", "数据集", strings.Repeat("a", 65)} {
		if ValidSlug(s) {
			t.Errorf("slug %q accepted", s)
		}
	}
}

func TestDatasetValidation(t *testing.T) {
	good := Dataset{ID: "js-medical-ct-2026", DatasetFields: DatasetFields{Title: "江苏省胸部CT影像数据集", Description: "胸部 CT。",
		Domain: "medical", Modality: "image", Tasks: []string{"segmentation"}, Tier: TierConditional, License: "CC-BY-4.0",
		PersonalInfo: true, Deidentification: &Deidentification{Method: "k-anonymity k=5", AttestedBy: "合规办", AttestedAt: "2026-10-01"}}}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid dataset refused: %v", err)
	}
	fieldsOf := func(err error) string {
		if err == nil {
			return ""
		}
		var names []string
		for _, f := range err.(*Error).Fields {
			names = append(names, f.Field+":"+f.Code)
		}
		return strings.Join(names, ",")
	}
	cases := []struct {
		name  string
		edit  func(d *Dataset)
		field string
	}{
		{"personal info without record", func(d *Dataset) { d.Deidentification = nil }, "tier:personal_info"},
		{"personal info important is fine", func(d *Dataset) { d.Deidentification = nil; d.Tier = TierImportant }, ""},
		{"bad domain", func(d *Dataset) { d.Domain = "astrology" }, "domain:vocabulary"},
		{"bad task", func(d *Dataset) { d.Tasks = []string{"dreaming"} }, "tasks:vocabulary"},
		{"bad date", func(d *Dataset) { d.Deidentification.AttestedAt = "2026-13-01" }, "deidentification.attested_at:date"},
		{"negative size", func(d *Dataset) { d.Size.Bytes = -1 }, "size.bytes:range"},
		{"long title", func(d *Dataset) { d.Title = strings.Repeat("长", 201) }, "title:too_long"},
		{"no title", func(d *Dataset) { d.Title = "" }, "title:required"},
		{"bad slug", func(d *Dataset) { d.ID = "Bad Id" }, "id:slug"},
		{"duplicate version", func(d *Dataset) { d.Versions = []Version{{Number: "1"}, {Number: "1"}} }, "versions:duplicate"},
	}
	for _, c := range cases {
		d := good
		di := *good.Deidentification
		d.Deidentification = &di
		c.edit(&d)
		if got := fieldsOf(d.Validate()); got != c.field {
			t.Errorf("%s: errors %q, want %q", c.name, got, c.field)
		}
	}
}

func TestPasswords(t *testing.T) {
	p := Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	h := HashPassword("正确的马电池订书钉", p)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string", h)
	}
	if !CheckPassword(h, "正确的马电池订书钉") || CheckPassword(h, "正确的马电池订书针") {
		t.Fatal("password check is wrong")
	}
	if HashPassword("x", p) == HashPassword("x", p) {
		t.Fatal("hashes are not salted")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=x$a$b", "$bcrypt$...", h[:len(h)-5]} {
		if CheckPassword(bad, "x") {
			t.Fatalf("malformed hash %q accepted", bad)
		}
	}
}

func TestMergePatchAndStrictDecode(t *testing.T) {
	var target, patch any
	_ = json.Unmarshal([]byte(`{"a":"b","c":{"d":"e","f":"g"}}`), &target)
	_ = json.Unmarshal([]byte(`{"a":"z","c":{"f":null}}`), &patch)
	got, _ := json.Marshal(mergePatch(target, patch))
	if string(got) != `{"a":"z","c":{"d":"e"}}` {
		t.Fatalf("merge patch: %s", got)
	}
	var f DatasetFields
	cases := map[string]string{
		`{"title": 1}`:                  "title",
		`{"size": {"records": "many"}}`: "size.records",
		`{"nope": 1}`:                   "nope",
	}
	for in, field := range cases {
		err := DecodeStrict([]byte(in), &f)
		e, ok := err.(*Error)
		if !ok || e.Kind != KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != field {
			t.Errorf("%s: %v, want an error on %s", in, err, field)
		}
	}
	for _, in := range []string{``, `{`, `{} {}`, `[]`} {
		if err := DecodeStrict([]byte(in), &f); !IsKind(err, KindInvalid) {
			t.Errorf("%q: %v, want Invalid", in, err)
		}
	}
}

// TestImportsPointInward keeps drivers, Fiber and Casbin out of catalog.
func TestImportsPointInward(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"modernc.org/sqlite", "go.mongodb.org", "github.com/blevesearch", "github.com/meilisearch", "github.com/gofiber", "github.com/casbin", "github.com/FerretDB", "dataportal/server", "dataportal/acl"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("catalog depends on %s", dep)
			}
		}
	}
}
