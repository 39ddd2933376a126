package server

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"dataportal/catalog"
	"dataportal/catalog/meili/meilitest"
	"dataportal/catalog/mongo/mongotest"
)

// TestTwoInstances runs two portals — two App instances, as two processes
// behind a load balancer would be — on one MongoDB (the in-process
// FerretDB, or PORTAL_MONGODB_URI) and one search engine (a meilitest
// stand-in, as production instances share Meilisearch). Each has its own
// data directory. Any instance answers any request: sessions, tokens and
// sign-in limits live in the store; indexing is done by the one instance
// holding the store's indexer lease, once per revision; when that instance
// shuts down, the other takes over and nothing is lost.
func TestTwoInstances(t *testing.T) {
	uri, db := mongotest.URI(t), mongotest.Database(t)
	engine := meilitest.New(t, meilitest.Options{Key: meiliTestKey})
	config := func() Config {
		cfg := testConfig(t.TempDir())
		cfg.MongoURI, cfg.MongoDB = uri, db
		cfg.MeiliURL, cfg.MeiliKey, cfg.MeiliIndex = engine.URL(), meiliTestKey, "datasets"
		return cfg
	}
	a := startPortal(t, config())
	b := startPortal(t, config())
	acc := seed(t, a) // organisations, users, sign-ins and tokens made on a

	t.Run("a session made on one instance works on the other", func(t *testing.T) {
		for name, ac := range acc {
			b.as(ac.token).want(t, 200, "GET", "/api/v1/me", nil) // API tokens made on a
			_ = name
		}
		dev := acc["developer"]
		var login LoginResponse
		a.anon().want(t, 200, "POST", "/api/v1/auth/login", LoginRequest{Email: dev.email, Password: dev.password}).json(t, &login)
		var me MeResponse
		b.as(login.Token).want(t, 200, "GET", "/api/v1/me", nil).json(t, &me)
		if me.User.Email != dev.email {
			t.Fatalf("b sees the session as %+v", me.User)
		}
		b.as(login.Token).want(t, 204, "POST", "/api/v1/auth/logout", nil)
		a.as(login.Token).want(t, 401, "GET", "/api/v1/me", nil) // ended on b, ended everywhere
	})

	t.Run("sign-in limits are shared", func(t *testing.T) {
		u := acc["unverified"]
		limit := a.app.cfg.LoginPerAccount
		for i := 0; i < limit; i++ {
			p := a
			if i%2 == 1 {
				p = b
			}
			p.anon().want(t, 401, "POST", "/api/v1/auth/login", LoginRequest{Email: u.email, Password: "wrong password " + fmt.Sprint(i)})
		}
		// The limit counts the failures on both instances: the next
		// attempt is refused on either, even with the right password.
		b.anon().want(t, 429, "POST", "/api/v1/auth/login", LoginRequest{Email: u.email, Password: u.password})
		a.anon().want(t, 429, "POST", "/api/v1/auth/login", LoginRequest{Email: u.email, Password: u.password})
	})

	leader := func() (*testPortal, *testPortal) {
		t.Helper()
		la, lb := a.app.svc.IndexLeader(), b.app.svc.IndexLeader()
		switch {
		case la && lb:
			t.Fatal("both instances hold the indexer lease")
		case la:
			return a, b
		case lb:
			return b, a
		}
		return nil, nil
	}

	revs := map[string]int64{}
	write := func(p *testPortal, id string) {
		t.Helper()
		var d DatasetResponse
		c := p.as(acc["provider"].token)
		c.want(t, 201, "POST", "/api/v1/datasets", newDataset(id, catalog.TierOpen, "集群测试数据集"+id, "Cluster test "+id, "medical", "text", "zh", "CC-BY-4.0")).json(t, &d)
		c.want(t, 200, "POST", "/api/v1/datasets/"+id+"/publish", nil).json(t, &d)
		revs[id] = d.Rev
	}
	// sent counts the revisions the engine received, by "id@rev".
	sent := func() map[string]int {
		out := map[string]int{}
		for _, r := range engine.Requests() {
			if r.Method != "POST" || r.Path != "/indexes/datasets/documents" {
				continue
			}
			var docs []struct {
				ID  string `json:"id"`
				Rev int64  `json:"rev"`
			}
			r.JSON(t, &docs)
			for _, d := range docs {
				out[fmt.Sprintf("%s@%d", d.ID, d.Rev)]++
			}
		}
		return out
	}
	checkSearch := func(p *testPortal) {
		t.Helper()
		var want []string
		for id := range revs {
			want = append(want, id)
		}
		sort.Strings(want)
		if got := searchAll(t, p.as(acc["bureau"].token), "q="); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("search on %s: %v, want %v", p.url, got, want)
		}
	}

	t.Run("indexing is done once, by one instance", func(t *testing.T) {
		for i := 0; i < 6; i++ {
			p := a
			if i%2 == 1 {
				p = b
			}
			write(p, fmt.Sprintf("cluster-%d", i))
		}
		a.waitIndexed()
		if l, _ := leader(); l == nil {
			t.Fatal("no instance holds the indexer lease")
		}
		for k, n := range sent() {
			if n != 1 {
				t.Errorf("%s sent to the engine %d times", k, n)
			}
		}
		for id, rev := range revs {
			if k := fmt.Sprintf("%s@%d", id, rev); sent()[k] != 1 {
				t.Errorf("the latest revision %s was not indexed", k)
			}
		}
		checkSearch(a)
		checkSearch(b)
	})

	t.Run("shutdown of one instance loses nothing", func(t *testing.T) {
		l, survivor := leader()
		if l == nil {
			t.Fatal("no instance holds the indexer lease")
		}
		l.stop() // graceful: requests finish, the lease is released
		for i := 6; i < 9; i++ {
			write(survivor, fmt.Sprintf("cluster-%d", i))
		}
		survivor.waitIndexed()
		if !survivor.app.svc.IndexLeader() {
			t.Fatal("the surviving instance did not take the indexer lease over")
		}
		checkSearch(survivor)
		for id, rev := range revs {
			if d := engine.Documents("datasets")[id]; d == nil || int64(d["rev"].(float64)) != rev {
				t.Errorf("%s: indexed %v, want rev %d", id, d, rev)
			}
		}
	})
}
