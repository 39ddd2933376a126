package server

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"dataportal/catalog"
	"dataportal/catalog/catalogtest"
	"dataportal/catalog/mongo/mongotest"
)

// upload sends body as a raw upload; size < 0 sends it chunked.
func (c *client) upload(t *testing.T, path string, body io.Reader, size int64, hdr ...string) response {
	t.Helper()
	req, err := http.NewRequest("POST", c.p.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	if size < 0 {
		req.TransferEncoding = []string{"chunked"}
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("upload %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// uploaded uploads and requires 201, returning the distribution.
func (c *client) uploaded(t *testing.T, path string, body io.Reader, size int64, hdr ...string) catalog.Distribution {
	t.Helper()
	r := c.upload(t, path, body, size, hdr...)
	if r.status != http.StatusCreated {
		t.Fatalf("upload %s: %d %s", path, r.status, r.body)
	}
	var d catalog.Distribution
	r.json(t, &d)
	return d
}

// fetched is a download whose body was hashed as it arrived, never held.
type fetched struct {
	status int
	header http.Header
	sha256 string
	n      int64
}

func (c *client) fetch(t *testing.T, path string, hdr ...string) fetched {
	t.Helper()
	req, err := http.NewRequest("GET", c.p.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", path, err)
	}
	return fetched{status: resp.StatusCode, header: resp.Header, sha256: hex.EncodeToString(h.Sum(nil)), n: n}
}

// generated returns bytes [off, off+n) of the generator stream of seed.
func generated(seed uint64, off, n int64) []byte {
	g := catalogtest.NewGenerator(seed)
	_, _ = io.CopyN(io.Discard, g, off)
	b := make([]byte, n)
	_, _ = io.ReadFull(g, b)
	return b
}

func pngImage(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// auditEvents returns the trail of one dataset, read by the bureau.
func auditEvents(t *testing.T, p *testPortal, bureau *account, dataset string) []catalog.AuditEvent {
	t.Helper()
	var page catalog.AuditPage
	p.as(bureau.token).want(t, 200, "GET", "/api/v1/audit?per_page=500&object=dataset:"+dataset, nil).json(t, &page)
	return page.Events
}

func findEvent(events []catalog.AuditEvent, action, actor string, detail map[string]string) bool {
	for _, e := range events {
		if e.Action != action || e.Actor != actor {
			continue
		}
		ok := true
		for k, v := range detail {
			ok = ok && e.Detail[k] == v
		}
		if ok {
			return true
		}
	}
	return false
}

func TestFilesThroughTheAPI(t *testing.T) {
	p := startPortal(t, testConfig(t.TempDir()))
	acc := seed(t, p)
	prov := p.as(acc["provider"].token)
	dev := p.as(acc["developer"].token)
	ids := tierSet(t, p, acc["provider"])
	prov.want(t, 201, "POST", "/api/v1/datasets", newDataset("img-open", catalog.TierOpen, "道路图像样例集", "Road images", "autonomous-driving", "image", "zh", "CC-BY-4.0"))
	prov.want(t, 200, "POST", "/api/v1/datasets/img-open/publish", nil)
	for _, id := range []string{ids[catalog.TierOpen], ids[catalog.TierConditional], ids[catalog.TierImportant], ids[catalog.TierCore], "img-open"} {
		prov.want(t, 201, "POST", "/api/v1/datasets/"+id+"/versions", catalog.NewVersion{Number: "1.0", Changelog: "首个版本"})
	}
	open, cond, core := ids[catalog.TierOpen], ids[catalog.TierConditional], ids[catalog.TierCore]

	// A 50 MB file, streamed from a generator (the test holds it nowhere).
	const bigSize = 50 << 20
	const seedBig = 42
	bigName := "胸部CT影像 全集（2026）.bin"
	big := prov.uploaded(t, "/api/v1/datasets/"+open+"/versions/1.0/files?filename="+url.QueryEscape(bigName),
		io.LimitReader(catalogtest.NewGenerator(seedBig), bigSize), bigSize)
	wantSum := catalogtest.GeneratedSHA256(seedBig, bigSize)
	if big.SHA256 != wantSum || big.Bytes != bigSize || big.FileName != bigName || big.Kind != catalog.DistFile || big.Version != "1.0" {
		t.Fatalf("uploaded %+v, want sha256 %s", big, wantSum)
	}
	bigPath := "/api/v1/datasets/" + open + "/files/" + big.ID

	// The CSV sample: chunked, its Chinese name in Content-Disposition.
	csvText := "编号,文本,标签\n1,肺部结节,阳性\n2,\"含,逗号的描述\",阴性\n3,正常,阴性\n"
	sample := prov.uploaded(t, "/api/v1/datasets/"+open+"/versions/1.0/files?sample=true", strings.NewReader(csvText), -1,
		"Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape("样例数据.csv"))
	if sample.FileName != "样例数据.csv" || !sample.Sample || sample.MediaType != "text/csv" {
		t.Fatalf("sample %+v", sample)
	}

	t.Run("download whole, with ranges and conditions", func(t *testing.T) {
		f := dev.fetch(t, bigPath)
		if f.status != 200 || f.sha256 != wantSum || f.n != bigSize {
			t.Fatalf("download: %d, %d bytes, sha256 %s", f.status, f.n, f.sha256)
		}
		h := f.header
		if h.Get("ETag") != `"`+wantSum+`"` || h.Get("Content-Length") != fmt.Sprint(bigSize) || h.Get("Accept-Ranges") != "bytes" {
			t.Fatalf("headers %v", h)
		}
		disp, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
		if err != nil || disp != "attachment" || params["filename"] != bigName {
			t.Fatalf("Content-Disposition %q: %s %v %v", h.Get("Content-Disposition"), disp, params, err)
		}
		if !strings.Contains(h.Get("Content-Disposition"), `filename="`) {
			t.Fatalf("no ASCII fallback in %q", h.Get("Content-Disposition"))
		}
		etag := h.Get("ETag")
		cases := []struct {
			name   string
			hdr    []string
			status int
			off, n int64 // the expected part (n < 0: none)
			crange string
		}{
			{"first bytes", []string{"Range", "bytes=0-99"}, 206, 0, 100, "bytes 0-99/52428800"},
			{"middle", []string{"Range", "bytes=1000000-1000999"}, 206, 1000000, 1000, "bytes 1000000-1000999/52428800"},
			{"open end", []string{"Range", "bytes=52428000-"}, 206, 52428000, 800, "bytes 52428000-52428799/52428800"},
			{"suffix", []string{"Range", "bytes=-100"}, 206, bigSize - 100, 100, "bytes 52428700-52428799/52428800"},
			{"end past the size", []string{"Range", "bytes=52428790-99999999"}, 206, bigSize - 10, 10, "bytes 52428790-52428799/52428800"},
			{"past the end", []string{"Range", "bytes=52428800-"}, 416, 0, -1, "bytes */52428800"},
			{"matching If-Range", []string{"Range", "bytes=0-9", "If-Range", etag}, 206, 0, 10, "bytes 0-9/52428800"},
			{"stale If-Range", []string{"Range", "bytes=0-9", "If-Range", `"0000"`}, 200, 0, bigSize, ""},
			{"several ranges", []string{"Range", "bytes=0-9,20-29"}, 200, 0, bigSize, ""},
			{"If-None-Match", []string{"If-None-Match", etag}, 304, 0, -1, ""},
			{"If-None-Match, weak", []string{"If-None-Match", `"x", W/` + etag}, 304, 0, -1, ""},
			{"If-None-Match, other", []string{"If-None-Match", `"other"`}, 200, 0, bigSize, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var got response
				var f fetched
				if c.n <= 1<<20 {
					got = dev.do(t, "GET", bigPath, nil, c.hdr...)
				} else {
					f = dev.fetch(t, bigPath, c.hdr...)
					got = response{status: f.status, header: f.header}
				}
				if got.status != c.status || got.header.Get("Content-Range") != c.crange {
					t.Fatalf("status %d Content-Range %q, want %d %q: %.200s", got.status, got.header.Get("Content-Range"), c.status, c.crange, got.body)
				}
				switch {
				case c.status == 416:
					if pr := got.problem(t); !strings.Contains(pr.Messages.En, "range") {
						t.Fatalf("416 problem %+v", pr)
					}
				case c.n > 1<<20:
					if f.sha256 != wantSum {
						t.Fatal("the whole file differs")
					}
				case c.n >= 0:
					if want := generated(seedBig, c.off, c.n); !bytes.Equal(got.body, want) {
						t.Fatalf("part of %d bytes differs from the file at %d", len(got.body), c.off)
					}
				}
			})
		}
	})

	t.Run("sample preview and download by anyone who may view", func(t *testing.T) {
		var sp SampleResponse
		p.anon().want(t, 200, "GET", "/api/v1/datasets/"+open+"/sample", nil).json(t, &sp)
		if sp.Kind != "table" || sp.Encoding != "utf-8" || strings.Join(sp.Columns, "|") != "编号|文本|标签" || len(sp.Rows) != 3 ||
			sp.Rows[1][1] != "含,逗号的描述" || sp.Truncated || sp.File.ID != sample.ID || sp.DownloadURL == "" {
			t.Fatalf("preview %+v", sp)
		}
		p.anon().want(t, 200, "GET", "/api/v1/datasets/"+open+"/sample?rows=1", nil).json(t, &sp)
		if len(sp.Rows) != 1 || !sp.Truncated {
			t.Fatalf("one row: %+v", sp)
		}
		p.anon().want(t, 422, "GET", "/api/v1/datasets/"+open+"/sample?rows=1000", nil)
		r := p.anon().want(t, 200, "GET", sp.DownloadURL, nil)
		if string(r.body) != csvText || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("sample download %q %q", r.body, r.header.Get("Content-Type"))
		}
	})

	t.Run("GB18030 sample", func(t *testing.T) {
		gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("姓名,城市,诊断\n张三,南京,肺炎\n李四,苏州,正常\n"))
		if err != nil {
			t.Fatal(err)
		}
		prov.uploaded(t, "/api/v1/datasets/"+cond+"/versions/1.0/files?sample=1&filename="+url.QueryEscape("病例样例-GBK.csv"), bytes.NewReader(gb), int64(len(gb)))
		var sp SampleResponse
		p.anon().want(t, 200, "GET", "/api/v1/datasets/"+cond+"/sample", nil).json(t, &sp)
		if sp.Encoding != "gb18030" || strings.Join(sp.Columns, "|") != "姓名|城市|诊断" || len(sp.Rows) != 2 || sp.Rows[1][2] != "正常" {
			t.Fatalf("GB18030 preview %+v", sp)
		}
	})

	t.Run("image sample and thumbnail", func(t *testing.T) {
		img := pngImage(t, 800, 600)
		prov.uploaded(t, "/api/v1/datasets/img-open/versions/1.0/files?sample=true&filename="+url.QueryEscape("路口.png"), bytes.NewReader(img), int64(len(img)))
		var sp SampleResponse
		p.anon().want(t, 200, "GET", "/api/v1/datasets/img-open/sample", nil).json(t, &sp)
		if sp.Kind != "image" || sp.Image == nil || sp.Image.Width != 800 || sp.Image.Height != 600 || sp.Image.Format != "png" || sp.ThumbnailURL == "" {
			t.Fatalf("image preview %+v %+v", sp, sp.Image)
		}
		r := p.anon().want(t, 200, "GET", sp.ThumbnailURL, nil)
		th, format, err := image.Decode(bytes.NewReader(r.body))
		if err != nil || format != "png" || r.header.Get("Content-Type") != "image/png" {
			t.Fatalf("thumbnail: %v %s %q", err, format, r.header.Get("Content-Type"))
		}
		if b := th.Bounds(); b.Dx() != 320 || b.Dy() != 240 {
			t.Fatalf("thumbnail is %v, want 320×240", b)
		}
		p.anon().want(t, 304, "GET", sp.ThumbnailURL, nil, "If-None-Match", r.header.Get("ETag"))
		// A table sample has no thumbnail.
		p.anon().want(t, 404, "GET", "/api/v1/datasets/"+open+"/sample/thumbnail", nil).problem(t)
	})

	t.Run("content must match the extension", func(t *testing.T) {
		img := pngImage(t, 4, 4)
		r := prov.upload(t, "/api/v1/datasets/"+open+"/versions/1.0/files?filename=table.csv", bytes.NewReader(img), int64(len(img)))
		if r.status != 422 {
			t.Fatalf("PNG named .csv: %d %s", r.status, r.body)
		}
		pr := r.problem(t)
		if len(pr.Errors) != 1 || pr.Errors[0].Code != "media_type_mismatch" || !strings.Contains(pr.Messages.En, "image/png") || !strings.Contains(pr.Messages.Zh, ".csv") {
			t.Fatalf("problem %+v", pr)
		}
		for _, bad := range []struct{ query, code string }{{"", "required"}, {"?filename=..", "required"}} {
			r := prov.upload(t, "/api/v1/datasets/"+open+"/versions/1.0/files"+bad.query, strings.NewReader("a"), 1)
			if pr := r.problem(t); r.status != 422 || pr.Errors[0].Code != bad.code {
				t.Fatalf("%q: %d %+v", bad.query, r.status, pr)
			}
		}
		r = prov.upload(t, "/api/v1/datasets/"+open+"/versions/9.9/files?filename=a.txt", strings.NewReader("a"), 1)
		if r.status != 404 || !strings.Contains(r.problem(t).Messages.En, "version") {
			t.Fatalf("unknown version: %d %s", r.status, r.body)
		}
		r = prov.upload(t, "/api/v1/datasets/"+open+"/versions/1.0/files?filename=a.txt", strings.NewReader("a=b"), 3, "Content-Type", "application/x-www-form-urlencoded")
		if r.status != 422 {
			t.Fatalf("form-encoded upload: %d %s", r.status, r.body)
		}
		var d DatasetResponse
		prov.want(t, 200, "GET", "/api/v1/datasets/"+open, nil).json(t, &d)
		if n := len(d.Versions[0].Distributions); n != 2 {
			t.Fatalf("%d distributions after refused uploads, want 2", n)
		}
	})

	t.Run("SVG and HTML are attachments only", func(t *testing.T) {
		for name, content := range map[string]string{
			"图表.svg":    `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`,
			"page.html": `<!DOCTYPE html><html><body><script>alert(1)</script></body></html>`,
		} {
			var d catalog.Distribution
			d = prov.uploaded(t, "/api/v1/datasets/"+open+"/versions/1.0/files?filename="+url.QueryEscape(name), strings.NewReader(content), int64(len(content)))
			r := dev.want(t, 200, "GET", "/api/v1/datasets/"+open+"/files/"+d.ID, nil)
			if r.header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") ||
				!strings.Contains(r.header.Get("Content-Security-Policy"), "sandbox") || r.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("%s delivered with %v", name, r.header)
			}
			prov.want(t, 204, "DELETE", "/api/v1/datasets/"+open+"/files/"+d.ID, nil)
			dev.want(t, 404, "GET", "/api/v1/datasets/"+open+"/files/"+d.ID, nil)
		}
	})

	t.Run("links", func(t *testing.T) {
		var l catalog.Distribution
		prov.want(t, 201, "POST", "/api/v1/datasets/"+open+"/versions/1.0/links", catalog.NewLink{URL: "https://data.example.cn/ct/下载", Title: "镜像"}).json(t, &l)
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		c := &client{p: p, token: acc["developer"].token, hc: noRedirect}
		r := c.want(t, 303, "GET", "/api/v1/datasets/"+open+"/files/"+l.ID, nil)
		if r.header.Get("Location") != "https://data.example.cn/ct/%E4%B8%8B%E8%BD%BD" && r.header.Get("Location") != "https://data.example.cn/ct/下载" {
			t.Fatalf("Location %q", r.header.Get("Location"))
		}
		for _, bad := range []string{"ftp://example.cn/x", "https://user:pw@example.cn/", "javascript:alert(1)"} {
			prov.want(t, 422, "POST", "/api/v1/datasets/"+open+"/versions/1.0/links", catalog.NewLink{URL: bad})
		}
		prov.want(t, 422, "PUT", "/api/v1/datasets/"+open+"/sample", SampleRequest{FileID: l.ID})
	})

	t.Run("who may download", func(t *testing.T) {
		var condFile, coreFile catalog.Distribution
		condFile = prov.uploaded(t, "/api/v1/datasets/"+cond+"/versions/1.0/files?filename=labels.jsonl", strings.NewReader("{\"a\":1}\n"), 8)
		coreFile = prov.uploaded(t, "/api/v1/datasets/"+core+"/versions/1.0/files?filename=genome.tsv", strings.NewReader("a\tb\n1\t2\n"), 8)
		condPath := "/api/v1/datasets/" + cond + "/files/" + condFile.ID
		corePath := "/api/v1/datasets/" + core + "/files/" + coreFile.ID

		// Open data: any signed-in user, not anonymous.
		r := p.anon().want(t, 401, "GET", bigPath, nil)
		if pr := r.problem(t); pr.Decision == nil || !strings.Contains(strings.ToLower(pr.Messages.En+fmt.Sprint(pr.Decision.Next)), "sign in") {
			t.Fatalf("anonymous download problem %+v", pr)
		}
		if f := p.as(acc["unverified"].token).fetch(t, bigPath); f.status != 200 || f.sha256 != wantSum {
			t.Fatalf("another signed-in user: %d", f.status)
		}
		// Conditional data: refused without a grant, with the explanation.
		r = dev.want(t, 403, "GET", condPath, nil)
		pr := r.problem(t)
		missing := false
		for _, m := range pr.Decision.Missing {
			missing = missing || m.Key == "has_grant"
		}
		if !missing || !strings.Contains(fmt.Sprint(pr.Decision.Next), "request access") {
			t.Fatalf("conditional refusal %+v", pr.Decision)
		}
		if got := prov.do(t, "GET", condPath, nil); got.status != 200 || string(got.body) != "{\"a\":1}\n" {
			t.Fatalf("the provider's own download: %d", got.status)
		}
		// Core data: invisible to other organisations, 404 for them.
		for _, who := range []string{"provider2", "developer", "unverified"} {
			if pr := p.as(acc[who].token).want(t, 404, "GET", corePath, nil).problem(t); pr.Decision != nil {
				t.Fatalf("%s: the 404 carries a decision", who)
			}
		}
		p.anon().want(t, 404, "GET", corePath, nil)
		prov.want(t, 200, "GET", corePath, nil)
		// Only editors upload; the body of a refused upload is not stored.
		dev.want(t, 403, "POST", "/api/v1/datasets/"+open+"/versions/1.0/files?filename=x.txt", "refused")
		p.as(acc["provider2"].token).want(t, 404, "POST", "/api/v1/datasets/"+core+"/versions/1.0/files?filename=x.txt", "refused")

		// Every download and every refusal is in the trail.
		bureau := acc["bureau"]
		ev := auditEvents(t, p, bureau, open)
		devID := userID(t, p, acc["developer"])
		for _, want := range []struct {
			action, actor string
			detail        map[string]string
		}{
			{"download", devID, map[string]string{"file": big.ID, "sha256": wantSum, "bytes": fmt.Sprint(bigSize)}},
			{"download", devID, map[string]string{"file": big.ID, "range": "0-99/52428800"}},
			{"download", "", map[string]string{"file": sample.ID, "sample": "true"}},
			{"denied.download", "", nil},
			{"denied.edit", devID, nil},
			{"dataset.file.add", userID(t, p, acc["provider"]), map[string]string{"file": big.ID, "file_name": bigName, "sha256": wantSum}},
			{"dataset.file.remove", userID(t, p, acc["provider"]), nil},
		} {
			if !findEvent(ev, want.action, want.actor, want.detail) {
				t.Errorf("no %s event by %q with %v for %s", want.action, want.actor, want.detail, open)
			}
		}
		if !findEvent(auditEvents(t, p, bureau, cond), "denied.download", devID, nil) {
			t.Error("the refused conditional download is not in the trail")
		}
		if !findEvent(auditEvents(t, p, bureau, core), "denied.download", userID(t, p, acc["provider2"]), nil) {
			t.Error("the refused core download by another organisation is not in the trail")
		}
	})
}

// userID looks up the id of a seeded account.
func userID(t *testing.T, p *testPortal, a *account) string {
	t.Helper()
	var me MeResponse
	p.as(a.token).want(t, 200, "GET", "/api/v1/me", nil).json(t, &me)
	return me.User.ID
}

func TestUploadLimit(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.UploadLimit = 1 << 20
	p := startPortal(t, cfg)
	acc := seed(t, p)
	prov := p.as(acc["provider"].token)
	prov.want(t, 201, "POST", "/api/v1/datasets", newDataset("limit-set", catalog.TierOpen, "上传上限测试", "Upload limit", "medical", "text", "zh", "MIT"))
	prov.want(t, 201, "POST", "/api/v1/datasets/limit-set/versions", catalog.NewVersion{Number: "v1"})
	path := "/api/v1/datasets/limit-set/versions/v1/files?filename=data.bin"
	tooLarge := func(t *testing.T, r response) {
		t.Helper()
		if r.status != 422 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		pr := r.problem(t)
		if len(pr.Errors) != 1 || pr.Errors[0].Code != "too_large" || !strings.Contains(pr.Messages.En, "1 MiB") {
			t.Fatalf("problem %+v", pr)
		}
	}
	t.Run("declared too large: refused from the headers", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", path, acc["provider"].token, 2<<20)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		tooLarge(t, response{status: resp.StatusCode, header: resp.Header, body: b})
	})
	t.Run("chunked past the limit: refused while streaming", func(t *testing.T) {
		tooLarge(t, prov.upload(t, path, io.LimitReader(catalogtest.NewGenerator(1), 1<<20+64<<10), -1))
	})
	t.Run("at the limit: accepted", func(t *testing.T) {
		var d catalog.Distribution
		d = prov.uploaded(t, path, io.LimitReader(catalogtest.NewGenerator(2), 1<<20), 1<<20)
		if d.Bytes != 1<<20 || d.SHA256 != catalogtest.GeneratedSHA256(2, 1<<20) {
			t.Fatalf("%+v", d)
		}
		var ds DatasetResponse
		prov.want(t, 200, "GET", "/api/v1/datasets/limit-set", nil).json(t, &ds)
		if n := len(ds.Versions[0].Distributions); n != 1 {
			t.Fatalf("%d distributions, want only the accepted one", n)
		}
	})
	t.Run("JSON bodies keep their own limit", func(t *testing.T) {
		body := `{"id":"` + strings.Repeat("x", 1<<20) + `"}`
		req, _ := http.NewRequest("POST", p.url+"/api/v1/datasets", io.MultiReader(strings.NewReader(body)))
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+acc["provider"].token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r := response{status: resp.StatusCode, header: resp.Header, body: b}
		if r.status != 413 {
			t.Fatalf("chunked JSON over the limit: %d %.200s", r.status, b)
		}
		r.problem(t)
	})
}

func TestFilesOnMongoDB(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MongoURI, cfg.MongoDB = mongotest.URI(t), mongotest.Database(t)
	p := startPortal(t, cfg)
	acc := seed(t, p)
	prov := p.as(acc["provider"].token)
	prov.want(t, 201, "POST", "/api/v1/datasets", newDataset("gridfs-set", catalog.TierOpen, "GridFS 测试", "GridFS test", "medical", "text", "zh", "MIT"))
	prov.want(t, 200, "POST", "/api/v1/datasets/gridfs-set/publish", nil)
	prov.want(t, 201, "POST", "/api/v1/datasets/gridfs-set/versions", catalog.NewVersion{Number: "1"})
	const size = 3<<20 + 777
	var d catalog.Distribution
	d = prov.uploaded(t, "/api/v1/datasets/gridfs-set/versions/1/files?filename="+url.QueryEscape("语料分片-0001.bin"), io.LimitReader(catalogtest.NewGenerator(9), size), size)
	want := catalogtest.GeneratedSHA256(9, size)
	dev := p.as(acc["developer"].token)
	path := "/api/v1/datasets/gridfs-set/files/" + d.ID
	if f := dev.fetch(t, path); f.status != 200 || f.sha256 != want || f.n != size {
		t.Fatalf("download from GridFS: %d %d %s", f.status, f.n, f.sha256)
	}
	r := dev.want(t, 206, "GET", path, nil, "Range", "bytes=300000-300099")
	if !bytes.Equal(r.body, generated(9, 300000, 100)) {
		t.Fatal("range from GridFS differs")
	}
}
