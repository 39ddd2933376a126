package frontend_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"dataportal/catalog/demo"
	"dataportal/server"
)

// The browser tests drive Debian's Chromium (installed by .ci/run) against a
// real portal on the embedded store with the demo catalogue. They assert on
// what the pages show, fail on any JavaScript error, and save a screenshot
// of every main page under testout/screenshots (or $PORTAL_TEST_OUT).

// portal is a running portal with the demo catalogue.
type portal struct {
	url string
	app *server.App
}

func startPortal(t *testing.T) *portal {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.IndexPoll = 100 * time.Millisecond
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app, err := server.Open(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Load(context.Background(), app.Service(), io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := app.Service().Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		app.Close()
	})
	return &portal{url: "http://" + ln.Addr().String(), app: app}
}

// chromiumPath finds the browser; the tests fail (not skip) without one,
// because CI installs it.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: install Debian's chromium (see .ci/run)")
	return ""
}

// browser is one headless Chromium tab with its error collector.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	shot string // screenshot directory
	js   bool
	mu   sync.Mutex
	errs []string
}

func newBrowser(t *testing.T, p *portal, js bool) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })

	dir := os.Getenv("PORTAL_TEST_OUT")
	if dir == "" {
		dir = filepath.Join("..", "testout")
	}
	b := &browser{t: t, ctx: ctx, base: p.url, shot: filepath.Join(dir, "screenshots"), js: js}
	if err := os.MkdirAll(b.shot, 0o755); err != nil {
		t.Fatal(err)
	}
	// Start the browser and subscribe before any page loads.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	console := chromedp.Events(ctx, runtime.ConsoleAPICalled)
	entries := chromedp.Events(ctx, cdplog.EntryAdded)
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			b.fail("exception: " + ev.ExceptionDetails.Text + describe(ev.ExceptionDetails.Exception))
		}
	}()
	go func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value))
				}
				b.fail("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
			}
		}
	}()
	go func() {
		for ev, err := range entries {
			if err != nil {
				return
			}
			// Network errors of the page's own resources (404 on a script,
			// a blocked request) are reported here. Error pages the test
			// asks for on purpose are checked by status instead.
			if ev.Entry.Level == cdplog.EntryLevelError && ev.Entry.Source != cdplog.EntrySourceNetwork {
				b.fail("log: " + ev.Entry.Text + " " + ev.Entry.URL)
			}
			if ev.Entry.Level == cdplog.EntryLevelError && ev.Entry.Source == cdplog.EntrySourceNetwork && strings.Contains(ev.Entry.URL, "/static/") {
				b.fail("resource failed: " + ev.Entry.URL)
			}
		}
	}()
	if !js {
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(b.checkErrors)
	return b
}

func describe(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	return " " + o.Description
}

func (b *browser) fail(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errs = append(b.errs, msg)
}

// checkErrors fails the test on any JavaScript error seen so far.
func (b *browser) checkErrors() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errs {
		b.t.Errorf("browser: %s", e)
	}
	b.errs = nil
}

// visit loads a page and returns its HTTP status.
func (b *browser) visit(path string) int64 {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Navigate(b.base+path))
	if err != nil {
		b.t.Fatalf("visit %s: %v", path, err)
	}
	return resp.Status
}

// submit clicks a submit button and waits for the page it leads to.
func (b *browser) submit(selector string) int64 {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(selector)))
	if err != nil {
		b.t.Fatalf("submit %s: %v", selector, err)
	}
	return resp.Status
}

// follow clicks a link and waits for the page it leads to.
func (b *browser) follow(selector string) int64 { return b.submit(selector) }

func (b *browser) set(id, value string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.SetValue(chromedp.ID(id), value)); err != nil {
		b.t.Fatalf("set #%s: %v", id, err)
	}
}

func (b *browser) click(selector string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(selector))); err != nil {
		b.t.Fatalf("click %s: %v", selector, err)
	}
}

func (b *browser) text(selector string) string {
	b.t.Helper()
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var s string
		// The node of a page that was replaced meanwhile is gone: ask again.
		s, err = chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(selector)))
		if err == nil {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("text of %s: %v", selector, err)
	return ""
}

func (b *browser) location() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// count returns how many elements match selector (0 without waiting).
func (b *browser) count(selector string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", selector)))
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

// fetch GETs an address of the portal with the browser's cookies, as the
// browser's own download would, and returns the body and status.
func (b *browser) fetch(path string) (string, int) {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base}})
	if err != nil {
		b.t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", b.base+path, nil)
	for _, c := range res.Cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	buf, _ := io.ReadAll(resp.Body)
	return string(buf), resp.StatusCode
}

// page returns the visible text of the whole page.
func (b *browser) page() string { return b.text("body") }

// screenshot saves the page as <name>.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	b.checkAccessible(name)
	buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	suffix := ""
	if b.t != nil && strings.Contains(b.t.Name(), "NoJS") {
		suffix = "-nojs"
	}
	if err := os.WriteFile(filepath.Join(b.shot, name+suffix+".png"), buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// accessibleJS lists what makes a page hard to use: form controls without
// a label, images without alt text, buttons and links without a name, and
// ids used twice (labels and aria references would point astray).
const accessibleJS = `(() => {
  const bad = [];
  document.querySelectorAll("input:not([type=hidden]),select,textarea").forEach(el => {
    const lab = el.id && document.querySelector('label[for="' + el.id + '"]');
    if (!lab && !el.closest("label") && !el.getAttribute("aria-label")) bad.push("unlabelled " + el.outerHTML.slice(0, 100));
  });
  document.querySelectorAll("img:not([alt])").forEach(el => bad.push("no alt " + el.outerHTML.slice(0, 100)));
  document.querySelectorAll("button,a[href]").forEach(el => {
    if (!el.textContent.trim() && !el.getAttribute("aria-label") && !el.querySelector("img[alt]")) bad.push("unnamed " + el.outerHTML.slice(0, 100));
  });
  const seen = {};
  document.querySelectorAll("[id]").forEach(el => { if (seen[el.id]) bad.push("duplicate id " + el.id); seen[el.id] = true; });
  return bad;
})()`

// checkAccessible fails the test for each problem accessibleJS finds on
// the page (with JavaScript on; the page is the same without).
func (b *browser) checkAccessible(name string) {
	b.t.Helper()
	if !b.js {
		return
	}
	bad, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](accessibleJS))
	if err != nil {
		b.t.Fatalf("accessibility check of %s: %v", name, err)
	}
	for _, p := range bad {
		b.t.Errorf("%s: %s", name, p)
	}
}

// signIn uses the sign-in form.
func (b *browser) signIn(email, password string) {
	b.t.Helper()
	b.visit("/signin")
	b.set("email", email)
	b.set("password", password)
	if st := b.submit(`form[action="/signin"] button[type=submit]`); st != 200 {
		b.t.Fatalf("sign in as %s: status %d: %s", email, st, b.page())
	}
}

func (b *browser) signOut() {
	b.t.Helper()
	b.submit(`form[action="/signout"] button`)
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Fatalf("%s does not show %q:\n%.1500s", what, w, text)
		}
	}
}

func mustNotContain(t *testing.T, what, text string, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(text, w) {
			t.Fatalf("%s shows %q, which it must not", what, w)
		}
	}
}

// journeys runs every journey in one browser, with or without JavaScript.
func journeys(t *testing.T, js bool) {
	p := startPortal(t)
	b := newBrowser(t, p, js)

	t.Run("anonymous visitor", func(t *testing.T) {
		b.t = t
		if st := b.visit("/"); st != 200 {
			t.Fatalf("home: %d", st)
		}
		mustContain(t, "home", b.page(), "江苏省高质量数据集门户", "最新发布", "精选：响应建设清单的数据集")
		b.screenshot("home")

		if js {
			// Search as you type: proposals appear under the box.
			if err := chromedp.Do(b.ctx, chromedp.SendKeys(chromedp.ID("q"), "CT")); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(b.ctx, chromedp.WaitVisible(chromedp.CSS("#q-suggestions li a"))); err != nil {
				t.Fatal(err)
			}
			mustContain(t, "suggestions", b.text("#q-suggestions"), "CT")
			mustNotContain(t, "suggestions", b.text("#q-suggestions"), "胃癌病理切片图像数据集")
			b.screenshot("suggestions")
		}
		// A Chinese query and a facet.
		b.set("q", "医学影像")
		if st := b.submit(`form.search button[type=submit]`); st != 200 {
			t.Fatalf("search: %d", st)
		}
		page := b.page()
		mustContain(t, "search", page, "脑部MRI医学影像分割数据集", "行业领域", "2026-1-07 医学影像标注数据集")
		// Important data (visible to verified organisations only) is nowhere.
		mustNotContain(t, "anonymous search", page, "胃癌病理切片图像数据集", "眼底彩照医疗影像数据集")
		b.follow(`.facet a[href*="modality=image"]`)
		if !strings.Contains(b.location(), "modality=image") {
			t.Fatalf("facet link did not filter: %s", b.location())
		}
		mustContain(t, "filtered search", b.page(), "医学影像")
		if b.count(".chips a") != 1 {
			t.Fatalf("expected one active-filter chip")
		}
		b.screenshot("search")

		b.visit("/datasets/js-brain-mri-segmentation")
		mustContain(t, "dataset page", b.page(), "脑部MRI医学影像分割数据集", "有条件开放", "下载")
		b.screenshot("dataset")

		// The important dataset answers 404 with a page, not 403.
		if st := b.visit("/datasets/sz-gastric-pathology-slides"); st != 404 {
			t.Fatalf("hidden dataset: status %d", st)
		}
		mustNotContain(t, "404 page", b.page(), "胃癌病理切片图像数据集")
		b.visit("/search?q=" + url.QueryEscape("胃癌病理"))
		mustNotContain(t, "search for a hidden title", b.page(), "胃癌病理切片图像数据集")
		b.screenshot("not-found")

		// English by the switch, remembered in a cookie.
		b.visit("/?lang=en")
		mustContain(t, "English home", b.page(), "Jiangsu High-Quality Dataset Portal", "Newest datasets")
		b.visit("/search")
		mustContain(t, "English search (cookie)", b.page(), "Search datasets")
		b.visit("/?lang=zh")
	})

	t.Run("provider registers a dataset with a file and publishes it", func(t *testing.T) {
		b.t = t
		b.signIn("provider@demo.dataportal.cn", "Provider-2026!demo")
		mustContain(t, "after sign-in", b.page(), "欢迎")
		b.visit("/workspace/datasets")
		mustContain(t, "my datasets", b.page(), "江苏省胸部CT影像数据集")
		b.screenshot("workspace-datasets")

		b.visit("/workspace/datasets/new")
		b.set("f-id", "js-browser-test-ct")
		// No title: the form comes back with the error next to the field.
		b.set("f-description", "浏览器测试登记的胸部CT影像标注样例，用于肺结节检测。")
		if st := b.submit(`form.form button[type=submit]`); st != 422 {
			t.Fatalf("incomplete form: %d", st)
		}
		if b.count(`#f-title[aria-invalid=true]`) != 1 || !strings.Contains(b.text("#f-title-error"), "必填") {
			t.Fatalf("no field error next to the title: %s", b.page())
		}
		b.screenshot("dataset-form-errors")
		b.set("f-title", "浏览器测试胸部CT影像集")
		b.set("f-domain", "medical")
		b.set("f-modality", "image")
		b.set("f-tier", "conditional")
		b.set("f-license", "CC-BY-4.0")
		b.set("f-keywords", "胸部CT，测试")
		if st := b.submit(`form.form button[type=submit]`); st != 200 {
			t.Fatalf("create: %d %s", st, b.page())
		}
		mustContain(t, "new dataset page", b.page(), "浏览器测试胸部CT影像集", "草稿")

		// A version, then a CSV file as the public sample.
		b.click(`details.manage summary`)
		b.set("f-number", "1.0")
		b.set("f-changelog", "首个版本")
		b.submit(`form[action$="/versions"] button`)
		mustContain(t, "after adding a version", b.page(), "版本 1.0")
		csv := filepath.Join(t.TempDir(), "样例.csv")
		if err := os.WriteFile(csv, []byte("编号,部位,结节\n1,右肺上叶,有\n2,左肺下叶,无\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		b.click(`details.manage summary`)
		if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.ID("u-file"), []string{csv})); err != nil {
			t.Fatal(err)
		}
		b.click(`form[enctype="multipart/form-data"] input[name=sample]`)
		b.submit(`form[enctype="multipart/form-data"] button[type=submit]`)
		page := b.page()
		mustContain(t, "after the upload", page, "样例.csv", "样例预览", "右肺上叶")
		b.screenshot("dataset-files")
		b.submit(`form[action$="/publish"] button`)
		mustContain(t, "published dataset", b.page(), "已发布“浏览器测试胸部CT影像集”")
		b.signOut()
	})

	t.Run("developer finds it with a Chinese query and a facet and requests access", func(t *testing.T) {
		b.t = t
		b.signIn("developer@demo.dataportal.cn", "Developer-2026!demo")
		waitIndexed(t, p)
		b.visit("/search?q=" + url.QueryEscape("胸部CT") + "&domain=medical")
		mustContain(t, "developer search", b.page(), "浏览器测试胸部CT影像集", "江苏省胸部CT影像数据集")
		// A verified developer also sees important data.
		b.visit("/search?q=" + url.QueryEscape("胃癌病理"))
		mustContain(t, "developer search for important data", b.page(), "胃癌病理切片图像数据集")
		b.visit("/datasets/js-browser-test-ct")
		page := b.page()
		mustContain(t, "dataset as developer", page, "有条件开放", "申请访问", "右肺上叶")
		// Not yet allowed: the page says why the download is missing.
		if b.count(`a[href*="/files/"][download]`) != 1 { // the sample only
			t.Fatalf("download links before approval: %d", b.count(`a[href*="/files/"][download]`))
		}
		mustContain(t, "explanation", page, "持有经批准且在有效期内的访问授权")
		b.set("r-purpose", "训练肺结节检测模型并在省内三家医院评测。")
		b.set("r-use", "training")
		b.set("r-days", "90")
		b.click(`input[name=accept_terms]`)
		// The commitment is not accepted yet: the form comes back.
		if st := b.submit(`form[action$="/request"] button`); st != 422 {
			t.Fatalf("request without the commitment: %d", st)
		}
		b.set("r-purpose", "训练肺结节检测模型并在省内三家医院评测。")
		b.click(`input[name=accept_commitment]`)
		if b.count(`input[name=accept_terms]:checked`) == 0 {
			b.click(`input[name=accept_terms]`)
		}
		if st := b.submit(`form[action$="/request"] button`); st != 200 {
			t.Fatalf("request: %d %s", st, b.page())
		}
		mustContain(t, "my requests", b.page(), "浏览器测试胸部CT影像集", "待提供机构审批")
		b.screenshot("developer-requests")
		b.signOut()
	})

	t.Run("provider approves and the developer downloads", func(t *testing.T) {
		b.t = t
		b.signIn("provider@demo.dataportal.cn", "Provider-2026!demo")
		b.visit("/workspace/reviews")
		mustContain(t, "reviews", b.page(), "训练肺结节检测模型")
		b.screenshot("provider-reviews")
		b.submit(`form[action^="/workspace/reviews/"] button[value=true]`)
		mustContain(t, "after approval", b.page(), "已批准")
		b.signOut()

		b.signIn("developer@demo.dataportal.cn", "Developer-2026!demo")
		b.visit("/workspace/grants")
		mustContain(t, "grants", b.page(), "浏览器测试胸部CT影像集", "有效")
		b.screenshot("developer-grants")
		b.visit("/datasets/js-browser-test-ct")
		href, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(`a[href*="/files/"][download]`), "href"))
		if err != nil {
			t.Fatal(err)
		}
		body, status := b.fetch(href.Value)
		if status != 200 || !strings.Contains(body, "右肺上叶") {
			t.Fatalf("download: %d %q", status, body)
		}
		b.visit("/workspace/notifications")
		mustContain(t, "notifications", b.page(), "批准")
		b.signOut()
	})

	t.Run("bureau and administrator pages", func(t *testing.T) {
		b.t = t
		b.signIn("bureau@demo.dataportal.cn", "Bureau-2026!demo")
		b.visit("/workspace/tiers")
		mustContain(t, "tier queue", b.page(), "皮肤病临床图像数据集")
		b.screenshot("bureau-tiers")
		b.visit("/workspace/audit")
		mustContain(t, "audit log", b.page(), "dataset.publish")
		b.screenshot("bureau-audit")
		b.signOut()
		b.signIn("admin@demo.dataportal.cn", "Admin-2026!demo")
		b.visit("/workspace/orgs")
		mustContain(t, "organisations", b.page(), "江苏省数据局")
		b.screenshot("admin-orgs")
		b.visit("/workspace/users")
		mustContain(t, "users", b.page(), "provider@demo.dataportal.cn")
		b.visit("/workspace/account")
		b.set("f-current_password", "not my password")
		b.set("f-password", "another long password")
		b.set("f-password2", "another long password")
		if st := b.submit(`form[action="/workspace/account/password"] button`); st != 422 {
			t.Fatalf("wrong current password: %d", st)
		}
		mustContain(t, "account", b.page(), "当前密码错误")
		b.screenshot("account")
		b.signOut()
	})
	listJourneys(t, b, p)
	b.t = t
}

func waitIndexed(t *testing.T, p *portal) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		n, err := p.app.Service().PendingCount(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("indexer did not catch up")
}

func TestBrowserJourneys(t *testing.T) { journeys(t, true) }

func TestBrowserJourneysNoJS(t *testing.T) { journeys(t, false) }
