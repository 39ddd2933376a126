package server

import (
	"encoding/json"
	"strings"
	"testing"

	"dataportal/catalog"
)

// TestExportsShowOnlyWhatTheCallerMaySee runs every catalogue export per
// role against one dataset of each tier.
func TestExportsShowOnlyWhatTheCallerMaySee(t *testing.T) {
	p := startPortal(t, testConfig(t.TempDir()))
	acc := seed(t, p)
	ids := tierSet(t, p, acc["provider"])
	p.waitIndexed()
	open, cond, imp, core := ids[catalog.TierOpen], ids[catalog.TierConditional], ids[catalog.TierImportant], ids[catalog.TierCore]

	dcatIDs := func(c *client) []string {
		var doc struct {
			Datasets []struct {
				ID string `json:"dct:identifier"`
			} `json:"dcat:dataset"`
		}
		r := c.want(t, 200, "GET", "/api/v1/dcat", nil)
		if !strings.HasPrefix(r.header.Get("Content-Type"), "application/ld+json") {
			t.Fatalf("DCAT content type %q", r.header.Get("Content-Type"))
		}
		r.json(t, &doc)
		var out []string
		for _, d := range doc.Datasets {
			out = append(out, d.ID)
		}
		return out
	}
	cases := []struct {
		who     string
		c       *client
		visible []string
	}{
		{"anonymous", p.anon(), []string{open, cond}},
		{"developer", p.as(acc["developer"].token), []string{open, cond, imp}},
		{"bureau", p.as(acc["bureau"].token), []string{open, cond, imp, core}},
	}
	for _, tc := range cases {
		t.Run(tc.who, func(t *testing.T) {
			got := strings.Join(dcatIDs(tc.c), ",")
			for _, id := range []string{open, cond, imp, core} {
				want := strings.Contains(strings.Join(tc.visible, ","), id)
				if strings.Contains(got, id) != want {
					t.Errorf("DCAT for %s: %s present=%v, want %v (%s)", tc.who, id, !want, want, got)
				}
				st := tc.c.do(t, "GET", "/api/v1/datasets/"+id+"/croissant", nil).status
				if (st == 200) != want {
					t.Errorf("Croissant of %s for %s: %d", id, tc.who, st)
				}
				var show struct {
					Success bool `json:"success"`
				}
				r := tc.c.do(t, "GET", "/api/3/action/package_show?id="+id, nil)
				r.json(t, &show)
				if show.Success != want || (r.status == 200) != want {
					t.Errorf("CKAN package_show %s for %s: %d %s", id, tc.who, r.status, r.body)
				}
			}
			var search struct {
				Result struct {
					Count   int `json:"count"`
					Results []struct {
						Name string `json:"name"`
					} `json:"results"`
				} `json:"result"`
			}
			tc.c.want(t, 200, "GET", "/api/3/action/package_search?rows=100", nil).json(t, &search)
			if search.Result.Count != len(tc.visible) || len(search.Result.Results) != len(tc.visible) {
				t.Errorf("CKAN package_search for %s: count %d, want %d", tc.who, search.Result.Count, len(tc.visible))
			}
			var list struct {
				Result []string `json:"result"`
			}
			tc.c.want(t, 200, "GET", "/api/3/action/package_list", nil).json(t, &list)
			if len(list.Result) != len(tc.visible) {
				t.Errorf("CKAN package_list for %s: %v", tc.who, list.Result)
			}
		})
	}

	t.Run("sitemap lists public pages only", func(t *testing.T) {
		// Even a signed-in caller gets the public sitemap.
		r := p.as(acc["bureau"].token).want(t, 200, "GET", "/sitemap.xml", nil)
		body := string(r.body)
		for _, id := range []string{open, cond} {
			if !strings.Contains(body, "/datasets/"+id+"<") {
				t.Errorf("sitemap lacks %s", id)
			}
		}
		for _, id := range []string{imp, core} {
			if strings.Contains(body, id) {
				t.Errorf("sitemap shows %s", id)
			}
		}
		robots := p.anon().want(t, 200, "GET", "/robots.txt", nil)
		if !strings.Contains(string(robots.body), "/sitemap.xml") {
			t.Fatal("robots.txt does not point to the sitemap")
		}
	})

	t.Run("croissant content", func(t *testing.T) {
		var doc map[string]any
		p.anon().want(t, 200, "GET", "/api/v1/datasets/"+open+"/croissant", nil).json(t, &doc)
		if doc["conformsTo"] != "http://mlcommons.org/croissant/1.0" || doc["name"] == "" || !strings.Contains(doc["license"].(string), "CC-BY-4.0") {
			b, _ := json.Marshal(doc)
			t.Fatalf("croissant: %s", b)
		}
	})
	p.anon().want(t, 400, "GET", "/api/3/action/package_search?rows=1000", nil)
}

// TestLinkAddressesNeedDownload: an external link's address is where the
// data is, so only those who may download see it — in the dataset, search
// hits and exports alike.
func TestLinkAddressesNeedDownload(t *testing.T) {
	p := startPortal(t, testConfig(t.TempDir()))
	acc := seed(t, p)
	ids := tierSet(t, p, acc["provider"])
	cond := ids[catalog.TierConditional]
	prov := p.as(acc["provider"].token)
	prov.want(t, 201, "POST", "/api/v1/datasets/"+cond+"/versions", catalog.NewVersion{Number: "1"})
	secret := "https://bucket.example.cn/signed/data.tar?key=SECRET"
	prov.want(t, 201, "POST", "/api/v1/datasets/"+cond+"/versions/1/links", catalog.NewLink{URL: secret, Title: "全部数据"})
	p.waitIndexed()
	if r := prov.want(t, 200, "GET", "/api/v1/datasets/"+cond, nil); !strings.Contains(string(r.body), secret) {
		t.Fatal("the provider does not see its own link")
	}
	for name, c := range map[string]*client{"anonymous": p.anon(), "developer": p.as(acc["developer"].token)} {
		for _, path := range []string{"/api/v1/datasets/" + cond, "/api/v1/search?q=", "/api/v1/dcat", "/api/3/action/package_show?id=" + cond} {
			if r := c.want(t, 200, "GET", path, nil); strings.Contains(string(r.body), "SECRET") {
				t.Errorf("%s sees the link address in %s", name, path)
			}
		}
	}
}
