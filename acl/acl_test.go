package acl

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"dataportal/catalog"
)

// who is a kind of caller in the decision table.
type who struct {
	name     string
	roles    []string
	org      string
	verified bool
}

var callers = []who{
	{name: "anonymous"},
	{name: "developer/verified", roles: []string{"developer"}, org: "dev-org", verified: true},
	{name: "developer/unverified", roles: []string{"developer"}, org: "dev-org", verified: false},
	{name: "developer/no-org", roles: []string{"developer"}},
	{name: "provider", roles: []string{"provider"}, org: "prov-org", verified: true},
	{name: "provider/unverified", roles: []string{"provider"}, org: "prov-org", verified: false},
	{name: "bureau", roles: []string{"bureau"}, org: "bureau-org", verified: true},
	{name: "admin", roles: []string{"admin"}, org: "ops-org", verified: true},
	{name: "developer+provider", roles: []string{"developer", "provider"}, org: "prov-org", verified: true},
}

func (w who) subject() catalog.Subject {
	if w.roles == nil {
		return catalog.Subject{}
	}
	return catalog.Subject{UserID: "u-" + w.name, Roles: w.roles, Org: w.org, OrgVerified: w.verified}
}

func (w who) has(role string) bool {
	for _, r := range w.roles {
		if r == role {
			return true
		}
	}
	return false
}

// expect is the tier table of DESIGN.md written out as plain Go, independent
// of the policy file, so that the policy is checked against the spec.
func expect(w who, own bool, tier catalog.Tier, act catalog.Action, status string, grant, confirmed bool, stage string) bool {
	signedIn := w.roles != nil
	verified := signedIn && w.org != "" && w.verified
	published := status == catalog.StatusPublished
	awaiting := (tier == catalog.TierImportant || tier == catalog.TierCore) && !confirmed
	switch act {
	case catalog.ActView:
		switch {
		case own:
			return true
		case w.has("bureau") && (published || status == catalog.StatusWithdrawn || awaiting):
			return true
		case !published:
			return false
		case tier == catalog.TierOpen || tier == catalog.TierConditional:
			return true
		case tier == catalog.TierImportant:
			return verified
		}
		return false
	case catalog.ActDownload:
		switch {
		case own:
			return true
		case !published || !signedIn:
			return false
		case tier == catalog.TierOpen:
			return true
		case tier == catalog.TierConditional:
			return grant
		case tier == catalog.TierImportant:
			return verified && grant
		}
		return false
	case catalog.ActRequest:
		if !signedIn || own || !published {
			return false
		}
		return tier == catalog.TierConditional || (tier == catalog.TierImportant && verified)
	case catalog.ActEdit, catalog.ActPublish:
		return w.has("provider") && own
	case catalog.ActWithdraw:
		return (w.has("provider") && own) || w.has("bureau")
	case catalog.ActDecide:
		// Each decides its own stage of a request only; no stage means
		// "requests of this dataset in general".
		return (w.has("provider") && own && (tier == catalog.TierConditional || tier == catalog.TierImportant) && stage != catalog.StageBureau) ||
			(w.has("bureau") && tier == catalog.TierImportant && stage != catalog.StageProvider)
	case catalog.ActOversee, catalog.ActRevoke:
		return (w.has("provider") && own) || w.has("bureau")
	case catalog.ActConfirmTier:
		return w.has("bureau")
	case catalog.ActLowerTier:
		return w.has("bureau") || (w.has("provider") && own && !confirmed)
	case catalog.ActManageAccounts:
		return w.has("admin")
	case catalog.ActVerifyOrg, catalog.ActViewAudit:
		return w.has("admin") || w.has("bureau")
	// Construction lists: status is the list's status, tiers do not apply,
	// own means the response (or the suggested datasets) is the caller's
	// organisation's.
	case catalog.ActViewList:
		return w.has("bureau") || status == catalog.ListPublished || status == catalog.ListClosed
	case catalog.ActManageLists, catalog.ActManageNeeds:
		return w.has("bureau")
	case catalog.ActRespond:
		return w.has("provider") && own && verified && status == catalog.ListPublished
	case catalog.ActReviewResponses:
		return w.has("bureau") && (status == catalog.ListPublished || status == catalog.ListClosed)
	case catalog.ActMatchItems:
		return w.has("bureau") || (w.has("provider") && own)
	case catalog.ActFileNeed:
		return w.has("developer")
	case catalog.ActViewStatistics:
		return w.has("bureau") || w.has("admin")
	}
	panic("unknown action " + act)
}

func TestDecideTable(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n := 0
	for _, w := range callers {
		for _, own := range []bool{false, true} {
			if own && w.org == "" {
				continue
			}
			for _, tv := range catalog.Tiers {
				tier := catalog.Tier(tv.Value)
				for _, act := range catalog.Actions {
					// Dataset statuses, and a list's "closed" for the list actions.
					for _, status := range append(catalog.Statuses.Values(), catalog.ListClosed) {
						for _, grant := range []bool{false, true} {
							for _, confirmed := range []bool{false, true} {
								for _, stage := range []string{"", catalog.StageProvider, catalog.StageBureau} {
									owner := "other-org"
									if own {
										owner = w.org
									}
									r := catalog.Resource{ID: "ds", Tier: tier, OwnerOrg: owner, Status: status, HasGrant: grant, TierConfirmed: confirmed, Stage: stage}
									name := fmt.Sprintf("%s/own=%v/%s/%s/%s/grant=%v/confirmed=%v/stage=%s", w.name, own, tier, act, status, grant, confirmed, stage)
									d, err := a.Decide(ctx, w.subject(), act, r)
									if err != nil {
										t.Fatalf("%s: %v", name, err)
									}
									n++
									if want := expect(w, own, tier, act, status, grant, confirmed, stage); d.Allowed != want {
										t.Errorf("%s: allowed=%v, want %v (rule %q, reason %q)", name, d.Allowed, want, d.Rule, d.Reason.En)
										continue
									}
									if d.Reason.Zh == "" || d.Reason.En == "" {
										t.Errorf("%s: decision has no bilingual reason: %+v", name, d)
									}
									if d.Allowed && d.Rule == "" {
										t.Errorf("%s: allowed without naming a rule", name)
									}
								}
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d decisions checked", n)
}

func TestExplanations(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pub := func(tier catalog.Tier) catalog.Resource {
		return catalog.Resource{ID: "ds", Tier: tier, OwnerOrg: "prov-org", Status: catalog.StatusPublished, TierConfirmed: true}
	}
	dev := callers[1].subject()
	unverified := callers[2].subject()

	t.Run("anonymous download asks to sign in", func(t *testing.T) {
		d, _ := a.Decide(ctx, catalog.Subject{}, catalog.ActDownload, pub(catalog.TierOpen))
		if d.Allowed || d.Reason != msgSignIn || len(d.Next) == 0 {
			t.Fatalf("got %+v, want a sign-in denial", d)
		}
	})
	t.Run("conditional download without grant asks for a request", func(t *testing.T) {
		d, _ := a.Decide(ctx, dev, catalog.ActDownload, pub(catalog.TierConditional))
		if d.Allowed {
			t.Fatal("allowed without a grant")
		}
		keys := reqKeys(d.Missing)
		if !strings.Contains(keys, "has_grant") || !strings.Contains(keys, "own_org") {
			t.Fatalf("missing = %s, want has_grant and own_org", keys)
		}
		if !strings.Contains(reqKeys(d.Met), "published") {
			t.Fatalf("met = %s, want published", reqKeys(d.Met))
		}
		if len(d.Next) == 0 || d.Next[0] != conditions["has_grant"].next {
			t.Fatalf("next = %+v, want the request-access step first", d.Next)
		}
		if !strings.Contains(d.Rule, "has_grant") {
			t.Fatalf("rule %q should be the grant rule", d.Rule)
		}
	})
	t.Run("unverified organisation is told to verify", func(t *testing.T) {
		d, _ := a.Decide(ctx, unverified, catalog.ActView, pub(catalog.TierImportant))
		if d.Allowed || !strings.Contains(reqKeys(d.Missing), "org_verified") {
			t.Fatalf("got %+v, want a denial missing org_verified", d)
		}
	})
	t.Run("core download names no rule", func(t *testing.T) {
		d, _ := a.Decide(ctx, dev, catalog.ActDownload, pub(catalog.TierCore))
		if d.Allowed || !strings.Contains(reqKeys(d.Missing), "own_org") {
			t.Fatalf("got %+v", d)
		}
	})
	t.Run("developer cannot confirm tiers", func(t *testing.T) {
		d, _ := a.Decide(ctx, dev, catalog.ActConfirmTier, pub(catalog.TierCore))
		if d.Allowed || d.Rule != "" || d.Reason.Zh == "" {
			t.Fatalf("got %+v, want a no-rule denial", d)
		}
	})
	t.Run("an open request turns the next step into waiting", func(t *testing.T) {
		for standing, want := range map[string]string{
			catalog.StandingAwaitingProvider: "provider organisation's decision",
			catalog.StandingAwaitingBureau:   "bureau's decision",
			catalog.StandingSuspended:        "re-graded",
			catalog.StandingExpired:          "expired",
			catalog.StandingRevoked:          "revoked",
			"":                               "request access and wait",
		} {
			r := pub(catalog.TierImportant)
			r.Standing = standing
			d, _ := a.Decide(ctx, dev, catalog.ActDownload, r)
			if d.Allowed || len(d.Next) == 0 || !strings.Contains(d.Next[0].En, want) || d.Next[0].Zh == "" {
				t.Errorf("standing %q: next = %+v, want %q first", standing, d.Next, want)
			}
		}
	})
	t.Run("the bureau is told to wait for the provider", func(t *testing.T) {
		r := pub(catalog.TierImportant)
		r.Stage = catalog.StageProvider
		d, _ := a.Decide(ctx, callers[6].subject(), catalog.ActDecide, r)
		if d.Allowed || !strings.Contains(reqKeys(d.Missing), "bureau_stage") || len(d.Next) == 0 || !strings.Contains(d.Next[0].En, "provider organisation to decide first") {
			t.Fatalf("got %+v", d)
		}
		r.Stage = catalog.StageBureau
		if d, _ := a.Decide(ctx, callers[4].subject(), catalog.ActDecide, r); d.Allowed || !strings.Contains(reqKeys(d.Missing), "provider_stage") {
			t.Fatalf("the provider may decide the bureau's stage: %+v", d)
		}
	})
	t.Run("an allowed request lists what the subject meets", func(t *testing.T) {
		d, _ := a.Decide(ctx, dev, catalog.ActRequest, pub(catalog.TierImportant))
		if !d.Allowed || reqKeys(d.Met) != "published,org_verified,not_own_org" || len(d.Missing) != 0 {
			t.Fatalf("got %+v", d)
		}
		for _, m := range d.Met {
			if m.Label.Zh == "" || m.Label.En == "" {
				t.Fatalf("unlabelled requirement %+v", m)
			}
		}
	})
	t.Run("a closed list takes no responses, and says so", func(t *testing.T) {
		prov := callers[4].subject()
		d, _ := a.Decide(ctx, prov, catalog.ActRespond, catalog.Resource{Status: catalog.ListClosed, OwnerOrg: prov.Org})
		if d.Allowed || !strings.Contains(reqKeys(d.Missing), "list_open") || len(d.Next) == 0 || d.Next[0].Zh == "" {
			t.Fatalf("got %+v", d)
		}
		d, _ = a.Decide(ctx, callers[5].subject(), catalog.ActRespond, catalog.Resource{Status: catalog.ListPublished, OwnerOrg: prov.Org})
		if d.Allowed || reqKeys(d.Missing) != "org_verified" {
			t.Fatalf("unverified provider: %+v", d)
		}
	})
	t.Run("allow names its rule and reason", func(t *testing.T) {
		d, _ := a.Decide(ctx, catalog.Subject{}, catalog.ActView, pub(catalog.TierOpen))
		if !d.Allowed || !strings.Contains(d.Rule, "view.open") || d.Reason != reasons["view.open"] {
			t.Fatalf("got %+v", d)
		}
	})
}

func reqKeys(rs []catalog.Requirement) string {
	var k []string
	for _, r := range rs {
		k = append(k, r.Key)
	}
	return strings.Join(k, ",")
}

// TestVisibilityAgreesWithDecide checks that the search filter derived from
// the policy admits exactly the datasets Decide lets each caller view.
func TestVisibilityAgreesWithDecide(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, w := range callers {
		v, err := a.Visibility(ctx, w.subject())
		if err != nil {
			t.Fatal(err)
		}
		for _, owner := range []string{"prov-org", "dev-org", "bureau-org", "ops-org", "other-org"} {
			for _, tv := range catalog.Tiers {
				for _, status := range catalog.Statuses.Values() {
					for _, confirmed := range []bool{false, true} {
						tier := catalog.Tier(tv.Value)
						r := catalog.Resource{ID: "ds", Tier: tier, OwnerOrg: owner, Status: status, TierConfirmed: confirmed}
						d, err := a.Decide(ctx, w.subject(), catalog.ActView, r)
						if err != nil {
							t.Fatal(err)
						}
						awaiting := tier.NeedsBureau() && !confirmed
						fields := map[string][]string{
							catalog.VisTier:      {string(tier)},
							catalog.VisStatus:    {status},
							catalog.VisOwnerOrg:  {owner},
							catalog.VisAwaiting:  {strconv.FormatBool(awaiting)},
							catalog.VisDatasetID: {"ds"},
						}
						if got := v.Matches(fields); got != d.Allowed {
							t.Errorf("%s: %s %s owner=%s confirmed=%v: filter says %v, Decide says %v (filter %+v)",
								w.name, tier, status, owner, confirmed, got, d.Allowed, v)
						}
					}
				}
			}
		}
	}
}

func TestBrokenPoliciesAreRefused(t *testing.T) {
	cases := map[string]string{
		"unknown condition":        "p, anyone, open, view, sunny, allow, view.open",
		"unfilterable view":        "p, anyone, open, view, has_grant, allow, view.open",
		"unknown reason":           "p, anyone, open, view, published, allow, no.such.reason",
		"unknown tier":             "p, anyone, secret, view, published, allow, view.open",
		"unknown action":           "p, anyone, open, fly, published, allow, view.open",
		"deny on view":             "p, anyone, open, view, published, deny, view.open",
		"bad effect":               "p, anyone, open, view, published, maybe, view.open",
		"malformed":                "p, anyone, open",
		"nothing but role groups":  "g, developer, member",
		"request without a limit":  "p, member, conditional, request, published, allow, request.conditional",
		"limit of an unknown tier": "p, anyone, open, view, published, allow, view.open\nlimit, secret, grant-days, 30",
		"limit out of range":       "p, anyone, open, view, published, allow, view.open\nlimit, conditional, grant-days, 0",
		"unknown limit":            "p, anyone, open, view, published, allow, view.open\nlimit, conditional, grant-hours, 30",
		"limit twice":              "p, anyone, open, view, published, allow, view.open\nlimit, conditional, grant-days, 30\nlimit, conditional, grant-days, 40",
	}
	for name, policy := range cases {
		if _, err := NewFromText(modelText, policy); err == nil {
			t.Errorf("%s: policy %q was accepted", name, policy)
		}
	}
	if _, err := NewFromText(modelText, "p, anyone, open, view, published, allow, view.open"); err != nil {
		t.Fatalf("a valid one-line policy was refused: %v", err)
	}
}

// TestGrantLimits checks the tier caps on grant durations: requestable
// tiers have one, and the more restricted tier the shorter one.
func TestGrantLimits(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	want := map[catalog.Tier]int{catalog.TierOpen: 0, catalog.TierConditional: 365, catalog.TierImportant: 180, catalog.TierCore: 0}
	for tier, days := range want {
		if got := a.MaxGrantDays(tier); got != days {
			t.Errorf("%s: %d days, want %d", tier, got, days)
		}
	}
}

func BenchmarkDecide(b *testing.B) {
	a, err := New()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	s := callers[1].subject()
	r := catalog.Resource{ID: "ds", Tier: catalog.TierConditional, OwnerOrg: "prov-org", Status: catalog.StatusPublished}
	for b.Loop() {
		if _, err := a.Decide(ctx, s, catalog.ActDownload, r); err != nil {
			b.Fatal(err)
		}
	}
}
