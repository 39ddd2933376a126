package demo

import (
	"testing"
	"unicode/utf8"

	"dataportal/catalog"
)

func orgIndex(t *testing.T) map[string]catalog.Organization {
	t.Helper()
	orgs, err := Orgs()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]catalog.Organization{}
	for _, o := range orgs {
		m[o.ID] = o
	}
	return m
}

func TestOrgs(t *testing.T) {
	orgs, err := Orgs()
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) < 10 {
		t.Errorf("only %d organisations", len(orgs))
	}
	ids := map[string]bool{}
	codes := map[string]string{}
	kinds := map[string]int{}
	unverifiedDev := 0
	for _, o := range orgs {
		if err := o.Validate(); err != nil {
			t.Errorf("org %s: %v", o.ID, err)
		}
		if !catalog.ValidSlug(o.ID) {
			t.Errorf("org id %q is not a slug", o.ID)
		}
		if ids[o.ID] {
			t.Errorf("org id %s is duplicated", o.ID)
		}
		ids[o.ID] = true
		if prev, ok := codes[o.CreditCode]; ok {
			t.Errorf("credit code %s used by %s and %s", o.CreditCode, prev, o.ID)
		}
		codes[o.CreditCode] = o.ID
		if o.NameEn == "" {
			t.Errorf("org %s has no English name", o.ID)
		}
		kinds[o.Kind]++
		if o.Kind == "developer" && !o.Verified {
			unverifiedDev++
		}
	}
	if kinds["bureau"] != 1 {
		t.Errorf("want exactly one bureau, have %d", kinds["bureau"])
	}
	if kinds["operator"] != 1 {
		t.Errorf("want exactly one operator, have %d", kinds["operator"])
	}
	if kinds["developer"] < 3 {
		t.Errorf("want at least 3 developer organisations, have %d", kinds["developer"])
	}
	if kinds["provider"] < 5 {
		t.Errorf("want at least 5 provider organisations, have %d", kinds["provider"])
	}
	if unverifiedDev < 1 {
		t.Error("want an unverified developer organisation")
	}
}

func TestDatasets(t *testing.T) {
	orgs := orgIndex(t)
	entries, err := Datasets()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 80 {
		t.Errorf("only %d datasets, want at least 80", len(entries))
	}
	ids := map[string]bool{}
	domains := map[string]int{}
	modalities := map[string]int{}
	tiers := map[catalog.Tier]int{}
	withdrawn, published, awaiting := 0, 0, 0
	for i := range entries {
		e := &entries[i]
		d := e.Dataset
		d.Normalize()
		if err := d.Validate(); err != nil {
			t.Errorf("dataset %s: %v", e.ID, err)
		}
		if ids[e.ID] {
			t.Errorf("dataset id %s is duplicated", e.ID)
		}
		ids[e.ID] = true
		if o, ok := orgs[e.Publisher]; !ok || o.Kind != "provider" {
			t.Errorf("dataset %s: publisher %q is not a provider organisation", e.ID, e.Publisher)
		}
		if e.PersonalInfo && (e.Tier == catalog.TierOpen || e.Tier == catalog.TierConditional) && e.Deidentification == nil {
			t.Errorf("dataset %s: personal information in tier %s without a de-identification record", e.ID, e.Tier)
		}
		if e.Rev != 0 || e.Status != "" || !e.CreatedAt.IsZero() || len(e.Versions) != 0 || e.TierConfirmation != nil {
			t.Errorf("dataset %s sets store-managed fields (rev, status, created_at, versions, tier_confirmation)", e.ID)
		}
		if (e.TitleEn == "") != (e.DescriptionEn == "") {
			t.Errorf("dataset %s: title_en and description_en must be both set or both empty", e.ID)
		}
		if n := utf8.RuneCountInString(e.Description); n < 40 {
			t.Errorf("dataset %s: description too short (%d characters)", e.ID, n)
		}
		if len(e.Keywords) < 3 || len(e.Keywords) > 6 {
			t.Errorf("dataset %s: %d keywords, want 3–6", e.ID, len(e.Keywords))
		}
		if len(e.Tasks) == 0 || len(e.Formats) == 0 {
			t.Errorf("dataset %s: needs tasks and formats", e.ID)
		}
		if e.Size.Records <= 0 || e.Size.Bytes <= 0 {
			t.Errorf("dataset %s: size must be positive", e.ID)
		}
		if e.Withdrawn && !e.Published {
			t.Errorf("dataset %s: withdrawn but never published", e.ID)
		}
		if e.TierConfirmed && !e.Tier.NeedsBureau() {
			t.Errorf("dataset %s: tier %s does not take a bureau confirmation", e.ID, e.Tier)
		}
		if e.AwaitingConfirmation() {
			awaiting++
		}
		if e.Withdrawn {
			withdrawn++
		}
		if e.Published {
			published++
		}
		domains[e.Domain]++
		modalities[e.Modality]++
		tiers[e.Tier]++
	}
	for _, v := range catalog.Domains.Values() {
		if domains[v] == 0 {
			t.Errorf("no dataset in domain %s", v)
		}
	}
	for _, v := range catalog.Modalities.Values() {
		if modalities[v] == 0 {
			t.Errorf("no dataset of modality %s", v)
		}
	}
	for _, v := range catalog.Tiers.Values() {
		if tiers[catalog.Tier(v)] == 0 {
			t.Errorf("no dataset in tier %s", v)
		}
	}
	if withdrawn < 1 {
		t.Error("want at least one withdrawn dataset")
	}
	if awaiting < 1 {
		t.Error("want at least one important/core dataset awaiting the bureau's confirmation")
	}
	if published == len(entries) {
		t.Error("want some drafts")
	}
	t.Logf("%d datasets; tiers %v; %d published, %d withdrawn, %d awaiting confirmation", len(entries), tiers, published, withdrawn, awaiting)
}

func TestAccounts(t *testing.T) {
	orgs := orgIndex(t)
	accounts, err := Accounts()
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]int{}
	emails := map[string]bool{}
	devVerified, devUnverified := false, false
	for _, a := range accounts {
		u := catalog.User{Email: a.Email, Name: a.Name, Roles: a.Roles, Status: catalog.UserActive}
		if err := u.Validate(); err != nil {
			t.Errorf("account %s: %v", a.Email, err)
		}
		if emails[u.Email] {
			t.Errorf("account %s is duplicated", a.Email)
		}
		emails[u.Email] = true
		if utf8.RuneCountInString(a.Password) < 12 {
			t.Errorf("account %s: password shorter than 12 characters", a.Email)
		}
		o, ok := orgs[a.Org]
		if !ok {
			t.Errorf("account %s: organisation %q does not exist", a.Email, a.Org)
		}
		for _, r := range a.Roles {
			roles[r]++
			want := map[string]string{"admin": "operator", "bureau": "bureau", "provider": "provider", "developer": "developer"}[r]
			if ok && o.Kind != want {
				t.Errorf("account %s: role %s in a %s organisation", a.Email, r, o.Kind)
			}
			if r == "developer" && ok {
				if o.Verified {
					devVerified = true
				} else {
					devUnverified = true
				}
			}
		}
	}
	for _, r := range catalog.Roles.Values() {
		if roles[r] == 0 {
			t.Errorf("no account with role %s", r)
		}
	}
	if roles["provider"] < 3 {
		t.Errorf("want 3 provider accounts, have %d", roles["provider"])
	}
	if !devVerified || !devUnverified {
		t.Error("want developers in a verified and in an unverified organisation")
	}
}

// TestLists checks the demo lists: valid, and every item a demo dataset
// names is an item of a demo list (the loader answers it with a response).
func TestLists(t *testing.T) {
	lists, err := Lists()
	if err != nil {
		t.Fatal(err)
	}
	if len(lists) == 0 {
		t.Fatal("no demo lists")
	}
	refs := map[string]bool{}
	for _, l := range lists {
		l.Normalize()
		if err := l.ListFields.Validate(); err != nil {
			t.Errorf("list %s: %v", l.ID, err)
		}
		for _, it := range l.Items {
			refs[catalog.ItemRef(l.ID, it.Code)] = true
		}
		for _, code := range l.Accepted {
			if !refs[catalog.ItemRef(l.ID, code)] {
				t.Errorf("list %s: accepted item %s does not exist", l.ID, code)
			}
		}
	}
	entries, err := Datasets()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		for _, ref := range e.ListItems {
			if !refs[ref] {
				t.Errorf("dataset %s names %s, which no demo list has", e.ID, ref)
			}
		}
	}
}
