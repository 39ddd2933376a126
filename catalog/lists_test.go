package catalog_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"dataportal/acl"
	"dataportal/catalog"
	"dataportal/catalog/bleve"
	"dataportal/catalog/sqlite"
)

// listWorld is a service on SQLite with a bureau, a provider and a
// developer, and one published list of one item.
type listWorld struct {
	svc                         *catalog.Service
	bureau, provider, developer catalog.Principal
}

func newListWorld(t testing.TB) listWorld {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	idx, err := bleve.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idx.Close() })
	a, err := acl.New()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := catalog.NewService(ctx, catalog.Options{Store: store, Index: idx, Authorizer: a, Scratch: bleve.Scratch,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Argon: catalog.Argon2Params{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	w := listWorld{svc: svc}
	person := func(i int, kind, role string) catalog.Principal {
		stem := fmt.Sprintf("91320100MB%07d", i)
		c, _ := catalog.CreditCodeCheck(stem)
		org, err := svc.CreateOrganization(ctx, catalog.Console(), catalog.NewOrganization{ID: "org-" + role, Name: "测试" + role, NameEn: role,
			CreditCode: stem + string(c), Kind: kind, Verified: true})
		if err != nil {
			t.Fatal(err)
		}
		u, err := svc.CreateUser(ctx, catalog.Console(), catalog.NewUser{Email: role + "@example.cn", Name: role, Password: "correct horse " + role,
			Roles: []string{role}, OrgID: org.ID})
		if err != nil {
			t.Fatal(err)
		}
		p, err := svc.PrincipalOf(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	w.bureau, w.provider, w.developer = person(1, "bureau", catalog.RoleBureau), person(2, "provider", catalog.RoleProvider), person(3, "developer", catalog.RoleDeveloper)
	for _, id := range []string{"speech-a", "speech-b"} {
		if _, err := svc.CreateDataset(ctx, w.provider, catalog.NewDataset{ID: id, DatasetFields: catalog.DatasetFields{Title: "方言语音" + id, Description: "方言语音语料",
			Domain: "speech", Modality: "audio", Tier: catalog.TierOpen, License: "CC-BY-4.0"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.PublishDataset(ctx, w.provider, id, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.CreateList(ctx, w.bureau, catalog.NewList{ID: "2026-1", ListFields: catalog.ListFields{Title: "测试清单", Year: 2026, Batch: 1,
		Items: []catalog.ListItem{{Code: "01", Name: "方言语音语料", Domain: "speech", Modality: "audio"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PublishList(ctx, w.bureau, "2026-1", 0); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w listWorld) listItems(t testing.TB, id string) ([]string, int64) {
	t.Helper()
	d, err := w.svc.Dataset(context.Background(), w.bureau, id)
	if err != nil {
		t.Fatal(err)
	}
	return d.ListItems, d.Rev
}

// TestListWorkResumesAfterACrash stops every response and list write right
// after its own document is stored, as a crash would, and checks that the
// sweep's ResumeListWork finishes the work exactly once.
func TestListWorkResumesAfterACrash(t *testing.T) {
	ctx := context.Background()
	w := newListWorld(t)
	catalog.SkipListSync(w.svc, true)

	if _, err := w.svc.RespondToItem(ctx, w.provider, "2026-1", "01", catalog.NewResponse{Plan: "p", Datasets: []string{"speech-a", "speech-b"}}); err != nil {
		t.Fatal(err)
	}
	if items, _ := w.listItems(t, "speech-a"); len(items) != 0 {
		t.Fatalf("linked before the sync: %v", items)
	}
	if err := w.svc.ResumeListWork(ctx); err != nil {
		t.Fatal(err)
	}
	items, rev := w.listItems(t, "speech-a")
	if !slices.Equal(items, []string{"2026-1-01"}) {
		t.Fatalf("after resuming: %v", items)
	}
	if err := w.svc.ResumeListWork(ctx); err != nil {
		t.Fatal(err)
	}
	if _, again := w.listItems(t, "speech-a"); again != rev {
		t.Fatalf("a second resume wrote the dataset again (rev %d → %d)", rev, again)
	}

	// Unlinking is resumed the same way.
	none := []string{"speech-a"}
	if _, err := w.svc.UpdateResponse(ctx, w.provider, "2026-1", "01", "org-provider", catalog.ResponsePatch{Datasets: &none}, 0); err != nil {
		t.Fatal(err)
	}
	if items, _ := w.listItems(t, "speech-b"); len(items) != 1 {
		t.Fatalf("unlinked before the sync: %v", items)
	}
	if err := w.svc.ResumeListWork(ctx); err != nil {
		t.Fatal(err)
	}
	if items, _ := w.listItems(t, "speech-b"); len(items) != 0 {
		t.Fatalf("still linked after resuming: %v", items)
	}

	// A need turned into an item learns it, and later its fulfilment.
	need, err := w.svc.FileNeed(ctx, w.developer, catalog.NeedFields{Title: "吴语语音", Domain: "speech", Purpose: "training", Description: "d"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.NeedsToListItem(ctx, w.bureau, catalog.NeedsToItem{Needs: []string{need.ID}, ListID: "2026-1", ExistingItem: "01"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := w.svc.Need(ctx, w.developer, need.ID); n.Status != catalog.NeedOpen {
		t.Fatalf("need moved before the sync: %+v", n)
	}
	if err := w.svc.ResumeListWork(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := w.svc.Need(ctx, w.developer, need.ID); n.Status != catalog.NeedPlanned || n.ItemRef != "2026-1-01" {
		t.Fatalf("need after resuming: %+v", n)
	}
	if _, err := w.svc.MoveResponse(ctx, w.provider, "2026-1", "01", "org-provider", catalog.RespDelivered, "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.ReviewResponse(ctx, w.bureau, "2026-1", "01", "org-provider", true, "ok", 0); err != nil {
		t.Fatal(err)
	}
	if n, _ := w.svc.Need(ctx, w.developer, need.ID); n.Status != catalog.NeedPlanned {
		t.Fatalf("need fulfilled before the sync: %+v", n)
	}
	if err := w.svc.ResumeListWork(ctx); err != nil {
		t.Fatal(err)
	}
	n, _ := w.svc.Need(ctx, w.developer, need.ID)
	if n.Status != catalog.NeedFulfilled || n.FulfilledBy != "2026-1/01/org-provider" {
		t.Fatalf("need after resuming: %+v", n)
	}
	page, err := w.svc.Notifications(ctx, w.developer, false, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, x := range page.Items {
		kinds[x.Kind]++
	}
	if kinds["need.planned"] != 1 || kinds["need.fulfilled"] != 1 {
		t.Fatalf("notifications %v", kinds)
	}
}

// TestConcurrentListEdits: edits racing on one published list all land,
// each as its own revision, and every earlier revision stays readable.
func TestConcurrentListEdits(t *testing.T) {
	ctx := context.Background()
	w := newListWorld(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, _, err := w.svc.AddItem(ctx, w.bureau, "2026-1", catalog.ItemChange{ListItem: catalog.ListItem{Code: fmt.Sprintf("%02d", i+2),
				Name: fmt.Sprintf("条目%d", i+2), Domain: "finance"}, ChangeNote: "并发"}, 0)
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	l, err := w.svc.List(ctx, w.bureau, "2026-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != n+1 || l.Revision != n+1 || len(l.Changelog) != n {
		t.Fatalf("%d items, revision %d, %d changelog entries", len(l.Items), l.Revision, len(l.Changelog))
	}
	for r := 1; r <= l.Revision; r++ {
		old, err := w.svc.ListRevision(ctx, w.bureau, "2026-1", r)
		if err != nil {
			t.Fatalf("revision %d: %v", r, err)
		}
		if old.Revision != r || len(old.Items) != r {
			t.Fatalf("revision %d has %d items (revision field %d)", r, len(old.Items), old.Revision)
		}
	}
	// Two first answers from one organisation: exactly one is stored.
	var wg2 sync.WaitGroup
	results := make(chan error, 2)
	for i := 0; i < 2; i++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			_, err := w.svc.RespondToItem(ctx, w.provider, "2026-1", "02", catalog.NewResponse{Plan: "p"})
			results <- err
		}()
	}
	wg2.Wait()
	close(results)
	ok, conflict := 0, 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case catalog.IsKind(err, catalog.KindConflict):
			conflict++
		default:
			t.Fatal(err)
		}
	}
	if ok != 1 || conflict != 1 {
		t.Fatalf("%d stored, %d refused", ok, conflict)
	}
}

// TestNeedsWaitForPublication: a need put into an item of a draft list
// is not told (the draft is the bureau's); publishing the list tells it.
func TestNeedsWaitForPublication(t *testing.T) {
	ctx := context.Background()
	w := newListWorld(t)
	if _, err := w.svc.CreateList(ctx, w.bureau, catalog.NewList{ID: "2026-2", ListFields: catalog.ListFields{Title: "草稿", Year: 2026, Batch: 2,
		Items: []catalog.ListItem{{Code: "01", Name: "方言", Domain: "speech"}}}}); err != nil {
		t.Fatal(err)
	}
	need, err := w.svc.FileNeed(ctx, w.developer, catalog.NeedFields{Title: "方言", Domain: "speech", Purpose: "research", Description: "d"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.NeedsToListItem(ctx, w.bureau, catalog.NeedsToItem{Needs: []string{need.ID}, ListID: "2026-2", ExistingItem: "01"}); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.ResumeListWork(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := w.svc.Need(ctx, w.developer, need.ID); n.Status != catalog.NeedOpen || n.ItemRef != "" {
		t.Fatalf("need told of a draft: %+v", n)
	}
	if _, err := w.svc.PublishList(ctx, w.bureau, "2026-2", 0); err != nil {
		t.Fatal(err)
	}
	if n, _ := w.svc.Need(ctx, w.developer, need.ID); n.Status != catalog.NeedPlanned || n.ItemRef != "2026-2-01" {
		t.Fatalf("need after publication: %+v", n)
	}
}

// BenchmarkParseListSheets reads a 2,000-row sheet (the most a list holds).
func BenchmarkParseListSheets(b *testing.B) {
	rows := [][]string{{"序号", "数据集名称", "数据集模态", "行业领域", "建设要求", "目标规模", "截止日期", "优先级", "牵头单位"}}
	for i := 0; i < catalog.MaxListItems; i++ {
		rows = append(rows, []string{fmt.Sprint(i + 1), fmt.Sprintf("第%d号数据集", i+1), "文本、图像", "医疗卫生", "覆盖全省三甲医院，含标注", "10万条", "46387", "高", "省卫健委、南京医科大学"})
	}
	sheets := []catalog.Sheet{{Name: "清单", Rows: rows}}
	for b.Loop() {
		ps := catalog.ParseListSheets(sheets)
		if len(ps.Items) != catalog.MaxListItems || len(ps.Issues) != 0 {
			b.Fatalf("%d items, %d issues", len(ps.Items), len(ps.Issues))
		}
	}
}

// BenchmarkNeedGroups groups 300 open needs (a scratch index built per call).
func BenchmarkNeedGroups(b *testing.B) {
	ctx := context.Background()
	w := newListWorld(b)
	subjects := []string{"方言语音识别", "医学影像分割", "金融研报摘要", "法律文书问答", "工业缺陷检测", "农业病虫害识别"}
	domains := []string{"speech", "medical", "finance", "legal", "manufacturing", "agriculture"}
	for i := 0; i < 300; i++ {
		k := i % len(subjects)
		if _, err := w.svc.FileNeed(ctx, w.developer, catalog.NeedFields{Title: fmt.Sprintf("%s数据%d", subjects[k], i), Domain: domains[k],
			Purpose: "training", Description: "需求"}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, err := w.svc.NeedGroups(ctx, w.bureau, ""); err != nil {
			b.Fatal(err)
		}
	}
}
