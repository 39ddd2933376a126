package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dataportal/catalog"
	"dataportal/catalog/sqlite"
)

func portal(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := func(string) string { return "" }
	code := run(context.Background(), args, env, &out, &errb)
	return code, out.String() + errb.String()
}

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	data := "--data=" + dir

	code, out := portal(t, "user", "add", data, "--email", "ops@example.cn", "--password", "a long password", "--role", "admin",
		"--org", "示范运营公司", "--credit-code", "91320100MA0000001"+checkChar(t, "91320100MA0000001"))
	if code != 0 || !strings.Contains(out, "created and verified organisation") || !strings.Contains(out, "created user ops@example.cn") {
		t.Fatalf("user add: %d %s", code, out)
	}
	code, out = portal(t, "user", "add", data, "--email", "dev@example.cn", "--password", "a long password", "--role", "developer", "--org", "示范运营公司")
	if code != 0 || strings.Contains(out, "created and verified organisation") {
		t.Fatalf("user add into an existing organisation: %d %s", code, out)
	}
	if code, out = portal(t, "user", "add", data, "--email", "bad", "--password", "short", "--role", "wizard"); code != 1 || !strings.Contains(out, "email") || !strings.Contains(out, "roles") {
		t.Fatalf("invalid user: %d %s", code, out)
	}
	if code, out = portal(t, "user", "add", data, "--email", "x@example.cn", "--password", "a long password", "--role", "developer", "--org", "无此机构"); code != 1 || !strings.Contains(out, "credit-code") {
		t.Fatalf("unknown organisation without a credit code: %d %s", code, out)
	}
	if code, out = portal(t, "demo", data); code != 0 || !strings.Contains(out, "provider@demo.dataportal.cn") {
		t.Fatalf("demo: %d %s", code, out)
	}
	if code, out = portal(t, "reindex", data); code != 0 || !strings.Contains(out, "index rebuilt: 96 datasets") {
		t.Fatalf("reindex: %d %s", code, out)
	}
	backup := filepath.Join(t.TempDir(), "copy.db")
	if code, out = portal(t, "backup", data, "--out", backup); code != 0 {
		t.Fatalf("backup: %d %s", code, out)
	}
	if st, err := os.Stat(backup); err != nil || st.Size() == 0 {
		t.Fatalf("backup file: %v", err)
	}
	code, out = portal(t, "audit", "verify", data)
	if code != 0 || !strings.Contains(out, "audit trail intact") {
		t.Fatalf("audit verify: %d %s", code, out)
	}

	// Change one stored event: verify fails and names it.
	ctx := context.Background()
	store, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	schema, _ := catalog.SchemaNamed("audit")
	coll, err := store.Collection(ctx, schema)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := coll.Get(ctx, "0000000000000000042")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	_ = json.Unmarshal(doc.Body, &raw)
	raw["actor"] = "someone-else"
	b, _ := json.Marshal(raw)
	if _, err := coll.Replace(ctx, doc.ID, doc.Rev, b); err != nil {
		t.Fatal(err)
	}
	store.Close()
	code, out = portal(t, "audit", "verify", data)
	if code != 1 || !strings.Contains(out, "BROKEN at event 42") {
		t.Fatalf("audit verify after tampering: %d %s", code, out)
	}

	if code, _ = portal(t, "nonsense"); code != 2 {
		t.Fatalf("unknown command exits %d", code)
	}
}

func checkChar(t *testing.T, first17 string) string {
	c, ok := catalog.CreditCodeCheck(first17)
	if !ok {
		t.Fatal("bad stem")
	}
	return string(c)
}

func TestImport(t *testing.T) {
	dir := t.TempDir()
	data := "--data=" + dir
	if code, out := portal(t, "demo", data); code != 0 {
		t.Fatalf("demo: %s", out)
	}
	good := `{"id":"imported-corpus-1","title":"导入测试语料一","description":"批量导入的测试语料。","domain":"general-nlp","modality":"text","tier":"open","license":"CC-BY-4.0"}`
	bad := `{"id":"Imported Corpus","title":"","description":"x","domain":"astrology","modality":"text","tier":"open","license":"CC-BY-4.0"}`
	file := filepath.Join(t.TempDir(), "datasets.jsonl")
	if err := os.WriteFile(file, []byte(good+"\n\n"+bad+"\n{not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := portal(t, "import", data, "--as", "provider@demo.dataportal.cn", file)
	if code != 1 || !strings.Contains(out, "record 3 Imported Corpus: id") || !strings.Contains(out, "record 3 Imported Corpus: domain") || !strings.Contains(out, "record 4") {
		t.Fatalf("import with bad records: %d %s", code, out)
	}
	if err := os.WriteFile(file, []byte(good+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out = portal(t, "import", data, "--as", "provider@demo.dataportal.cn", "--publish", file); code != 0 || !strings.Contains(out, "1 created") {
		t.Fatalf("import: %d %s", code, out)
	}
	if code, out = portal(t, "import", data, "--as", "provider@demo.dataportal.cn", file); code != 0 || !strings.Contains(out, "1 skipped") {
		t.Fatalf("import again: %d %s", code, out)
	}
	// A CKAN package_search dump, with links as distributions.
	ckan := `{"help":"","success":true,"result":{"count":1,"results":[{"name":"Harvested_Set","title":"采集的数据集","notes":"来自另一门户。",
		"license_id":"cc-by","tags":[{"name":"交通"}],"resources":[{"name":"全部数据","url":"https://example.cn/data.csv","format":"csv"}],"extras":[]}]}}`
	if err := os.WriteFile(file, []byte(ckan), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out = portal(t, "import", data, "--as", "provider@demo.dataportal.cn", file); code != 1 || !strings.Contains(out, "domain") {
		t.Fatalf("CKAN without domain: %d %s", code, out)
	}
	code, out = portal(t, "import", data, "--as", "provider@demo.dataportal.cn", "--domain", "transport", "--modality", "tabular", "--tier", "open", file)
	if code != 0 || !strings.Contains(out, "(ckan): 1 read, 1 created") {
		t.Fatalf("CKAN import: %d %s", code, out)
	}
	if code, out = portal(t, "import", data, file); code != 1 || !strings.Contains(out, "--as") {
		t.Fatalf("import without --as: %d %s", code, out)
	}
}
