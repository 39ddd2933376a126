package catalog

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"io"
	"strings"
	"testing"

	"github.com/gabriel-vasile/mimetype"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestExtensionClaimsAreKnownTypes(t *testing.T) {
	for ext, c := range extClaims {
		for _, typ := range c.types {
			if mimetype.Lookup(typ) == nil {
				t.Errorf("%s claims %s, which mimetype does not know (a typo never matches)", ext, typ)
			}
		}
	}
}

func TestDetectMediaType(t *testing.T) {
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, image.NewNRGBA(image.Rect(0, 0, 3, 2))); err != nil {
		t.Fatal(err)
	}
	gb, _ := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("姓名,城市\n张三,南京\n李四,苏州\n"))
	cases := []struct {
		name    string
		content []byte
		want    string // media type base, "" for a rejection
	}{
		{"样例.csv", []byte("a,b\n1,2\n3,4\n"), "text/csv"},
		{"gb.csv", gb, "text/csv"},
		{"one-column.csv", []byte("name\nalice\nbob\n"), "text/plain"},
		{"image.png", pngBuf.Bytes(), "image/png"},
		{"image.csv", pngBuf.Bytes(), ""},
		{"image.jpg", pngBuf.Bytes(), ""},
		{"page.csv", []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"), ""},
		{"page.html", []byte("<!DOCTYPE html><html><body></body></html>"), "text/html"},
		{"drawing.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`), "image/svg+xml"},
		{"drawing.png", []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`), ""},
		{"lines.jsonl", []byte("{\"a\":1}\n{\"a\":2}\n"), "application/x-ndjson"},
		{"notes.txt", []byte("hello\n"), "text/plain"},
		{"notes.txt", []byte{0, 1, 2, 3, 0xff}, ""},
		{"weights.pt", []byte{0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0}, "application/zip"}, // claims nothing checkable
		{"no-extension", []byte{0, 1, 2}, "application/octet-stream"},
		{"DATA.CSV", []byte("a,b\n1,2\n"), "text/csv"},
	}
	for _, c := range cases {
		got, err := detectMediaType(c.content, c.name)
		if c.want == "" {
			var de *Error
			if !errors.As(err, &de) || de.Kind != KindInvalid || len(de.Fields) != 1 || de.Fields[0].Code != "media_type_mismatch" ||
				!strings.Contains(de.Message.En, "does not match") || de.Message.Zh == "" {
				t.Errorf("%s: %q, %v; want a mismatch", c.name, got, err)
			}
			continue
		}
		if err != nil || mediaBase(got) != c.want {
			t.Errorf("%s: %q, %v; want %s", c.name, got, err, c.want)
		}
	}
}

func TestDeliveryTypeNeverActive(t *testing.T) {
	for mt, want := range map[string]string{
		"text/html; charset=utf-8": "application/octet-stream",
		"image/svg+xml":            "application/octet-stream",
		"text/xml; charset=utf-8":  "application/octet-stream",
		"":                         "application/octet-stream",
		"text/csv":                 "text/csv",
		"image/png":                "image/png",
	} {
		if got := (Distribution{MediaType: mt}).DeliveryType(); got != want {
			t.Errorf("DeliveryType(%q) = %q, want %q", mt, got, want)
		}
	}
}

func TestDecodeText(t *testing.T) {
	zh := "姓名,城市\n张三,南京\n"
	gb, _ := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(zh))
	cases := []struct {
		name     string
		in       []byte
		complete bool
		want     string
		enc      string
	}{
		{"utf-8", []byte(zh), true, zh, "utf-8"},
		{"utf-8 with BOM", append([]byte("\xef\xbb\xbf"), zh...), true, zh, "utf-8"},
		{"gb18030", gb, true, zh, "gb18030"},
		{"utf-8 cut inside a character", []byte(zh)[:len(zh)-2], false, "姓名,城市\n张三,南", "utf-8"},
		{"gb18030 cut inside a character", gb[:len(gb)-2], false, "姓名,城市\n张三,南", "gb18030"},
		{"ascii", []byte("a,b\n"), true, "a,b\n", "utf-8"},
	}
	for _, c := range cases {
		got, enc := decodeText(c.in, c.complete)
		if got != c.want || enc != c.enc {
			t.Errorf("%s: %q (%s), want %q (%s)", c.name, got, enc, c.want, c.enc)
		}
	}
}

func TestTables(t *testing.T) {
	long := strings.Repeat("长", previewCell+10)
	cols, rows, trunc := csvTable("姓名,备注\n张三,\"含,逗号\"\n李四,"+long+"\n王五,x\n", ',', 2)
	if strings.Join(cols, "|") != "姓名|备注" || len(rows) != 2 || rows[0][1] != "含,逗号" || !trunc ||
		!strings.HasSuffix(rows[1][1], "…") || len([]rune(rows[1][1])) != previewCell+1 {
		t.Fatalf("csv: %v %v %v", cols, rows, trunc)
	}
	cols, rows, trunc = csvTable("a\tb\n1\t2\n", '\t', 20)
	if strings.Join(cols, "|") != "a|b" || len(rows) != 1 || rows[0][1] != "2" || trunc {
		t.Fatalf("tsv: %v %v %v", cols, rows, trunc)
	}
	cols, rows, trunc = jsonlTable("{\"text\":\"你好\",\"label\":1}\n\n{\"label\":2,\"extra\":[1, 2]}\n[1]\n", 20)
	if strings.Join(cols, "|") != "text|label|extra|value" || len(rows) != 3 || rows[0][0] != "你好" || rows[1][2] != "[1,2]" || rows[2][3] != "[1]" || trunc {
		t.Fatalf("jsonl: %v %v %v", cols, rows, trunc)
	}
	if _, rows, trunc = jsonlTable("{\"a\":1}\n{\"a\":2}\n", 1); len(rows) != 1 || !trunc {
		t.Fatalf("jsonl limit: %v %v", rows, trunc)
	}
}

func TestFileNamesAndLinks(t *testing.T) {
	for in, want := range map[string]string{
		"胸部CT样例.csv":              "胸部CT样例.csv",
		`C:\Users\张三\数据.csv`:      "数据.csv",
		"../../etc/passwd":        "passwd",
		"  name with spaces.txt ": "name with spaces.txt",
	} {
		if got, err := cleanFileName(in); err != nil || got != want {
			t.Errorf("cleanFileName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "..", "dir/", "a\x00b.csv", "bad\xff.csv", strings.Repeat("名", 100)} {
		if _, err := cleanFileName(bad); !IsKind(err, KindInvalid) {
			t.Errorf("cleanFileName(%q): %v, want Invalid", bad, err)
		}
	}
	for raw, ok := range map[string]bool{
		"https://data.example.cn/数据集/下载?v=1": true,
		"http://example.cn":                  true,
		"ftp://example.cn/file":              false,
		"javascript:alert(1)":                false,
		"https://user:secret@example.cn/x":   false,
		"https:///path-only":                 false,
		"https://example.cn/a b":             false,
		"/relative":                          false,
	} {
		var v Validation
		checkLink(&v, raw)
		if (v.Err() == nil) != ok {
			t.Errorf("checkLink(%q): %v, want ok=%v", raw, v.Err(), ok)
		}
	}
}

func TestUploadLimitReader(t *testing.T) {
	for _, size := range []int64{0, 99, 100} {
		l := &limitedUpload{r: bytes.NewReader(make([]byte, size)), left: 100, limit: 100}
		if n, err := io.Copy(io.Discard, l); err != nil || n != size {
			t.Errorf("%d bytes under a limit of 100: %d, %v", size, n, err)
		}
	}
	l := &limitedUpload{r: bytes.NewReader(make([]byte, 101)), left: 100, limit: 100}
	_, err := io.Copy(io.Discard, l)
	var de *Error
	if !errors.As(err, &de) || de.Fields[0].Code != "too_large" || !strings.Contains(de.Message.En, "100 B") {
		t.Fatalf("101 bytes under a limit of 100: %v", err)
	}
	for n, want := range map[int64]string{10 << 30: "10 GiB", 1 << 20: "1 MiB", 1536 << 20: "1.5 GiB", 1000: "1000 B"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
