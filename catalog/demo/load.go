package demo

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"dataportal/catalog"
)

// Load writes the demo catalogue through the service, as its users would:
// the operator creates the organisations and accounts, each provider
// registers and publishes its datasets, the bureau confirms tiers. It is
// idempotent: what exists already is left alone. It prints the accounts.
func Load(ctx context.Context, svc *catalog.Service, out io.Writer) error {
	console := catalog.Console()
	orgs, err := Orgs()
	if err != nil {
		return err
	}
	byID := map[string]catalog.Organization{}
	for _, o := range orgs {
		byID[o.ID] = o
		_, err := svc.CreateOrganization(ctx, console, catalog.NewOrganization{ID: o.ID, Name: o.Name, NameEn: o.NameEn,
			CreditCode: o.CreditCode, Kind: o.Kind, Verified: o.Verified})
		if err != nil && !catalog.IsKind(err, catalog.KindConflict) {
			return fmt.Errorf("organisation %s: %w", o.ID, err)
		}
	}
	accounts, err := Accounts()
	if err != nil {
		return err
	}
	// The principal each organisation's datasets are registered by: its
	// demo account, or a stand-in provider of that organisation.
	actors := map[string]catalog.Principal{}
	var bureau catalog.Principal
	for _, a := range accounts {
		_, err := svc.CreateUser(ctx, console, catalog.NewUser{Email: a.Email, Name: a.Name, Password: a.Password, Roles: a.Roles, OrgID: a.Org})
		if err != nil && !catalog.IsKind(err, catalog.KindConflict) {
			return fmt.Errorf("account %s: %w", a.Email, err)
		}
		u, err := svc.UserByEmail(ctx, a.Email)
		if err != nil {
			return err
		}
		p, err := svc.PrincipalOf(ctx, u.ID)
		if err != nil {
			return err
		}
		if u.HasRole(catalog.RoleProvider) {
			if _, ok := actors[a.Org]; !ok {
				actors[a.Org] = p
			}
		}
		if u.HasRole(catalog.RoleBureau) {
			bureau = p
		}
	}
	if bureau.User == nil {
		return fmt.Errorf("the demo accounts have no bureau user")
	}
	entries, err := Datasets()
	if err != nil {
		return err
	}
	actorOf := func(org string) catalog.Principal {
		if actor, ok := actors[org]; ok {
			return actor
		}
		o := byID[org]
		return catalog.Principal{User: &catalog.User{ID: "demo-" + o.ID, Name: "演示数据登记", Roles: []string{catalog.RoleProvider}, OrgID: o.ID, Status: catalog.UserActive}, Org: &o}
	}
	created := 0
	for _, e := range entries {
		actor := actorOf(e.Publisher)
		// The list items a dataset answers follow its organisation's
		// responses (loadLists), not the registration.
		fields := e.DatasetFields
		fields.ListItems = nil
		if _, err := svc.CreateDataset(ctx, actor, catalog.NewDataset{ID: e.ID, DatasetFields: fields}); err != nil {
			if catalog.IsKind(err, catalog.KindConflict) {
				continue // loaded before
			}
			return fmt.Errorf("dataset %s: %w", e.ID, err)
		}
		created++
		if e.Published {
			if _, err := svc.PublishDataset(ctx, actor, e.ID, 0); err != nil {
				return fmt.Errorf("publish %s: %w", e.ID, err)
			}
		}
		if e.TierConfirmed {
			if _, err := svc.ConfirmTier(ctx, bureau, e.ID, e.Tier, "演示数据：分级经数据局确认 / demo: tier confirmed by the bureau", 0); err != nil {
				return fmt.Errorf("confirm tier of %s: %w", e.ID, err)
			}
		}
		if e.Withdrawn {
			if _, err := svc.WithdrawDataset(ctx, actor, e.ID, "演示：数据更正中 / demo: being corrected", 0); err != nil {
				return fmt.Errorf("withdraw %s: %w", e.ID, err)
			}
		}
	}
	lists, err := loadLists(ctx, svc, bureau, actorOf, entries)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "演示数据已载入 / demo catalogue loaded: %d organisations, %d datasets (%d new), %d construction lists (%d new)\n\n",
		len(orgs), len(entries), created, len(lists), countNew(lists))
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "账号 / account\t密码 / password\t角色 / roles\t机构 / organisation")
	for _, a := range accounts {
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", a.Email, a.Password, a.Roles, byID[a.Org].Name)
	}
	return tw.Flush()
}

// LoadIfEmpty loads the demo catalogue into a store without organisations
// (`portal serve --demo`); a store in use is left alone.
func LoadIfEmpty(ctx context.Context, svc *catalog.Service, out io.Writer) error {
	_, n, err := svc.Organizations(ctx, "", 0, 1)
	if err != nil {
		return err
	}
	if n > 0 {
		fmt.Fprintln(out, "the store is not empty; the demo catalogue was not loaded")
		return nil
	}
	return Load(ctx, svc, out)
}

func countNew(created map[string]bool) int {
	n := 0
	for _, c := range created {
		if c {
			n++
		}
	}
	return n
}

// loadLists creates and publishes the demo lists, then has each
// organisation answer the items its demo datasets name: a delivery where
// a named dataset is published, accepted by the bureau for the list's
// accepted items, still building otherwise. A list that exists is left
// alone. It reports, per list, whether it was created now.
func loadLists(ctx context.Context, svc *catalog.Service, bureau catalog.Principal, actorOf func(string) catalog.Principal, entries []Entry) (map[string]bool, error) {
	lists, err := Lists()
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, dl := range lists {
		out[dl.ID] = false
		if _, err := svc.CreateList(ctx, bureau, dl.NewList); err != nil {
			if catalog.IsKind(err, catalog.KindConflict) {
				continue // loaded before
			}
			return nil, fmt.Errorf("list %s: %w", dl.ID, err)
		}
		out[dl.ID] = true
		if _, err := svc.PublishList(ctx, bureau, dl.ID, 0); err != nil {
			return nil, fmt.Errorf("publish list %s: %w", dl.ID, err)
		}
		type answer struct{ code, org string }
		var order []answer
		linked := map[answer][]string{}
		live := map[answer]bool{}
		for _, e := range entries {
			for _, ref := range e.ListItems {
				code, ok := strings.CutPrefix(ref, dl.ID+"-")
				if !ok {
					continue
				}
				k := answer{code, e.Publisher}
				if _, seen := linked[k]; !seen {
					order = append(order, k)
				}
				linked[k] = append(linked[k], e.ID)
				live[k] = live[k] || (e.Published && !e.Withdrawn)
			}
		}
		for _, k := range order {
			actor := actorOf(k.org)
			if _, err := svc.RespondToItem(ctx, actor, dl.ID, k.code, catalog.NewResponse{
				Plan:     "演示：以本机构已登记的数据集响应该条目 / demo: answered with our registered datasets",
				Datasets: linked[k]}); err != nil {
				return nil, fmt.Errorf("respond to %s-%s for %s: %w", dl.ID, k.code, k.org, err)
			}
			state := catalog.RespBuilding
			if live[k] {
				state = catalog.RespDelivered
			}
			if _, err := svc.MoveResponse(ctx, actor, dl.ID, k.code, k.org, state, "", 0); err != nil {
				return nil, fmt.Errorf("move response to %s-%s: %w", dl.ID, k.code, err)
			}
			if state == catalog.RespDelivered && slices.Contains(dl.Accepted, k.code) {
				if _, err := svc.ReviewResponse(ctx, bureau, dl.ID, k.code, k.org, true, "演示：验收通过 / demo: accepted", 0); err != nil {
					return nil, fmt.Errorf("accept %s-%s: %w", dl.ID, k.code, err)
				}
			}
		}
	}
	return out, nil
}
