package catalog_test

import (
	"context"
	"testing"

	"dataportal/catalog"
)

// TestListPermissions checks, per role and list status, what the list
// pages are told a reader may do: they are the same decisions the use
// cases make (checked here by doing what is reported allowed or refused).
func TestListPermissions(t *testing.T) {
	ctx := context.Background()
	w := newListWorld(t)
	draft, err := w.svc.CreateList(ctx, w.bureau, catalog.NewList{ID: "2026-2", ListFields: catalog.ListFields{Title: "草稿清单", Year: 2026, Batch: 2,
		Items: []catalog.ListItem{{Code: "01", Name: "方言语音语料", Domain: "speech"}}}})
	if err != nil {
		t.Fatal(err)
	}
	published, err := w.svc.List(ctx, w.bureau, "2026-1")
	if err != nil {
		t.Fatal(err)
	}
	type want struct{ manage, respond, review, match bool }
	for _, tc := range []struct {
		name string
		who  catalog.Principal
		list catalog.ConstructionList
		want want
	}{
		{"anonymous, published", catalog.Anonymous, published, want{}},
		{"developer, published", w.developer, published, want{}},
		{"provider, published", w.provider, published, want{respond: true, match: true}},
		{"provider, draft", w.provider, draft, want{match: true}},
		{"bureau, published", w.bureau, published, want{manage: true, review: true, match: true}},
		{"bureau, draft", w.bureau, draft, want{manage: true, match: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			perms, err := w.svc.ListPermissions(ctx, tc.who, &tc.list)
			if err != nil {
				t.Fatal(err)
			}
			got := want{perms[catalog.ActManageLists].Allowed, perms[catalog.ActRespond].Allowed,
				perms[catalog.ActReviewResponses].Allowed, perms[catalog.ActMatchItems].Allowed}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for act, d := range perms {
				if !d.Allowed && d.Reason.Zh == "" {
					t.Errorf("%s: a refusal without a reason", act)
				}
			}
			if tc.list.Status != catalog.ListPublished {
				return
			}
			// What is reported is what the use cases do.
			_, err = w.svc.MatchItem(ctx, tc.who, tc.list.ID, "01", 3)
			if (err == nil) != tc.want.match {
				t.Errorf("MatchItem: %v, reported %v", err, tc.want.match)
			}
			_, _, err = w.svc.Responses(ctx, tc.who, catalog.ResponseQuery{Scope: "review"})
			if tc.who.SignedIn() && (err == nil) != tc.want.review {
				t.Errorf("review responses: %v, reported %v", err, tc.want.review)
			}
		})
	}
}
