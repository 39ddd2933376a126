package frontend_test

import (
	"net/url"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// overflowJS lists elements wider than the viewport that are not inside a
// scrolling box: on a phone they would push the page sideways.
const overflowJS = `(() => {
  const w = document.documentElement.clientWidth, bad = [];
  document.querySelectorAll("body *").forEach(el => {
    const r = el.getBoundingClientRect();
    if (r.right > w + 1 && r.width > 0) {
      for (let p = el.parentElement; p; p = p.parentElement) {
        const s = getComputedStyle(p);
        if (s.overflowX === "auto" || s.overflowX === "scroll" || s.overflowX === "hidden") return;
      }
      bad.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + el.className : "") + " " + Math.round(r.right) + ">" + w);
    }
  });
  return bad.slice(0, 5);
})()`

// TestPhoneWidth checks that the main pages fit a 375-pixel phone screen.
func TestPhoneWidth(t *testing.T) {
	p := startPortal(t)
	b := newBrowser(t, p, true)
	if _, err := chromedp.Call(b.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 375, Height: 812, DeviceScaleFactor: 2, Mobile: true}); err != nil {
		t.Fatal(err)
	}
	defer chromedp.Call(b.ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
	check := func(path string) {
		t.Helper()
		b.visit(path)
		bad, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](overflowJS))
		if err != nil {
			t.Fatal(err)
		}
		if len(bad) > 0 {
			t.Errorf("%s is wider than a phone: %v", path, bad)
		}
	}
	for _, path := range []string{"/", "/search?q=" + url.QueryEscape("医学影像"), "/datasets/js-chest-ct-2026", "/lists", "/lists/2026-1", "/signin"} {
		check(path)
	}
	b.signIn("bureau@demo.dataportal.cn", "Bureau-2026!demo")
	for _, path := range []string{"/workspace", "/workspace/tiers", "/workspace/audit", "/workspace/lists", "/workspace/stats"} {
		check(path)
	}
	b.screenshot("phone-audit")
}
