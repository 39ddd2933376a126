// Package acl decides who may do what to a dataset. The rules live in one
// place, the Casbin model and policy embedded here; Decide explains each
// decision in Chinese and English, and Visibility derives the search filter
// from the same view rules, so search can never disagree with a page.
package acl

import (
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"

	"dataportal/catalog"
)

//go:embed model.conf
var modelText string

//go:embed policy.csv
var policyText string

// Anyone is the role of every subject, anonymous included.
const Anyone = "anyone"

// rule is a parsed policy line.
type rule struct {
	role, tier, act string
	conds           []string
	eft, why        string
}

func (r rule) String() string {
	return strings.Join([]string{r.role, r.tier, r.act, strings.Join(r.conds, "&"), r.eft, r.why}, ", ")
}

// ACL is the Casbin-backed catalog.Authorizer. It is safe for concurrent use:
// the enforcer is only read after New.
type ACL struct {
	e     *casbin.Enforcer
	rules []rule
	// grantDays is the longest grant per tier, from the policy's limit lines.
	grantDays map[catalog.Tier]int
}

var _ catalog.Authorizer = (*ACL)(nil)

// New builds the enforcer from the embedded model and policy and checks the
// policy: known conditions, known reasons, and filterable view rules.
func New() (*ACL, error) {
	return NewFromText(modelText, policyText)
}

// NewFromText builds an ACL from a model and a policy given as text (tests
// use it to check that broken policies are refused).
func NewFromText(modelConf, policy string) (*ACL, error) {
	m, err := model.NewModelFromString(modelConf)
	if err != nil {
		return nil, fmt.Errorf("acl model: %w", err)
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("acl enforcer: %w", err)
	}
	e.EnableLog(false)
	a := &ACL{e: e, grantDays: map[catalog.Tier]int{}}
	e.AddFunction("cond", a.condFunc)

	r := csv.NewReader(strings.NewReader(policy))
	r.Comment = '#'
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = -1
	lines, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("acl policy: %w", err)
	}
	for _, l := range lines {
		for i := range l {
			l[i] = strings.TrimSpace(l[i])
		}
		switch {
		case l[0] == "g" && len(l) == 3:
			if _, err := e.AddGroupingPolicy(l[1], l[2]); err != nil {
				return nil, fmt.Errorf("acl policy %v: %w", l, err)
			}
		case l[0] == "limit" && len(l) == 4:
			if err := a.addLimit(l[1], l[2], l[3]); err != nil {
				return nil, err
			}
		case l[0] == "p" && len(l) == 7:
			ru := rule{role: l[1], tier: l[2], act: l[3], conds: strings.Split(l[4], "&"), eft: l[5], why: l[6]}
			if err := a.check(ru); err != nil {
				return nil, err
			}
			if _, err := e.AddPolicy(l[1:]); err != nil {
				return nil, fmt.Errorf("acl policy %v: %w", l, err)
			}
			a.rules = append(a.rules, ru)
		default:
			return nil, fmt.Errorf("acl policy: malformed line %v", l)
		}
	}
	if len(a.rules) == 0 {
		return nil, fmt.Errorf("acl policy: no rules")
	}
	for _, ru := range a.rules {
		if ru.act == string(catalog.ActRequest) && ru.eft == "allow" && ru.tier != "*" && a.grantDays[catalog.Tier(ru.tier)] == 0 {
			return nil, fmt.Errorf("acl policy %s: access to %s data can be requested, but no limit line caps its grants", ru, ru.tier)
		}
	}
	return a, nil
}

// addLimit reads a limit line: "limit, TIER, grant-days, N".
func (a *ACL) addLimit(tier, what, value string) error {
	if catalog.Tier(tier).Level() < 0 {
		return fmt.Errorf("acl policy limit %s: unknown tier", tier)
	}
	if what != "grant-days" {
		return fmt.Errorf("acl policy limit %s: unknown limit %q", tier, what)
	}
	n, err := strconv.Atoi(value)
	if err != nil || n <= 0 || n > 3660 {
		return fmt.Errorf("acl policy limit %s: grant-days must be 1–3660, got %q", tier, value)
	}
	if _, dup := a.grantDays[catalog.Tier(tier)]; dup {
		return fmt.Errorf("acl policy limit %s: declared twice", tier)
	}
	a.grantDays[catalog.Tier(tier)] = n
	return nil
}

// MaxGrantDays implements catalog.Authorizer from the policy's limit lines.
func (a *ACL) MaxGrantDays(t catalog.Tier) int { return a.grantDays[t] }

func (a *ACL) check(r rule) error {
	if r.eft != "allow" && r.eft != "deny" {
		return fmt.Errorf("acl policy %s: effect must be allow or deny", r)
	}
	if r.tier != "*" && catalog.Tier(r.tier).Level() < 0 {
		return fmt.Errorf("acl policy %s: unknown tier", r)
	}
	known := false
	for _, act := range catalog.Actions {
		known = known || string(act) == r.act
	}
	if !known {
		return fmt.Errorf("acl policy %s: unknown action", r)
	}
	if _, ok := reasons[r.why]; !ok {
		return fmt.Errorf("acl policy %s: no message for reason %q", r, r.why)
	}
	for _, c := range r.conds {
		cd, ok := conditions[c]
		if !ok {
			return fmt.Errorf("acl policy %s: unknown condition %q", r, c)
		}
		if r.act == string(catalog.ActView) && cd.filter == nil {
			return fmt.Errorf("acl policy %s: condition %q has no search filter form and cannot guard view", r, c)
		}
	}
	if r.act == string(catalog.ActView) && r.eft == "deny" {
		return fmt.Errorf("acl policy %s: deny rules for view are not supported by the search filter", r)
	}
	return nil
}

// condFunc is the matcher's cond(p.cond, r.sub, r.obj).
func (a *ACL) condFunc(args ...any) (any, error) {
	if len(args) != 3 {
		return false, fmt.Errorf("cond: want 3 arguments, got %d", len(args))
	}
	names, _ := args[0].(string)
	s, ok1 := args[1].(subject)
	o, ok2 := args[2].(object)
	if !ok1 || !ok2 {
		return false, fmt.Errorf("cond: unexpected argument types %T, %T", args[1], args[2])
	}
	for _, n := range strings.Split(names, "&") {
		c, ok := conditions[n]
		if !ok || !c.eval(s, o) {
			return false, nil
		}
	}
	return true, nil
}

// roles returns the roles a subject is asked under: its own valid roles, or
// Anyone for an anonymous subject.
func roles(s catalog.Subject) []string {
	if s.Anonymous() {
		return []string{Anyone}
	}
	var out []string
	for _, r := range s.Roles {
		if catalog.Roles.Has(r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		// A signed-in user without a valid role is still a member.
		out = []string{"member"}
	}
	return out
}

func toSubject(s catalog.Subject, role string) subject {
	return subject{Role: role, ID: s.UserID, Org: s.Org, OrgVerified: s.OrgVerified}
}

func toObject(r catalog.Resource) object {
	return object{Tier: string(r.Tier), OwnerOrg: r.OwnerOrg, Status: r.Status, TierConfirmed: r.TierConfirmed, HasGrant: r.HasGrant,
		Stage: r.Stage, Standing: r.Standing}
}

// inherits reports whether role has (or inherits) the policy role p.
func (a *ACL) inherits(role, p string) bool {
	if role == p {
		return true
	}
	ok, err := a.e.GetRoleManager().HasLink(role, p)
	return err == nil && ok
}

// Decide implements catalog.Authorizer. The decision itself comes from the
// Casbin enforcer; the explanation of a denial lists the conditions of the
// rules that matched role, tier and action but whose conditions failed.
func (a *ACL) Decide(_ context.Context, s catalog.Subject, act catalog.Action, r catalog.Resource) (catalog.Decision, error) {
	d := catalog.Decision{Action: act}
	obj := toObject(r)
	for _, role := range roles(s) {
		ok, matched, err := a.e.EnforceEx(toSubject(s, role), obj, string(act))
		if err != nil {
			return d, catalog.Internal(err, "acl: enforce")
		}
		if ok {
			d.Allowed = true
			if len(matched) == 6 {
				d.Rule = strings.Join(matched, ", ")
				d.Reason = reasons[matched[5]]
				// What the subject meets, so that a form can show it
				// before the subject applies.
				for _, c := range strings.Split(matched[3], "&") {
					if c != "any" {
						d.Met = append(d.Met, catalog.Requirement{Key: c, Label: conditions[c].label})
					}
				}
			}
			return d, nil
		}
	}
	a.explainDenial(s, act, r, obj, &d)
	return d, nil
}

// explainDenial fills in why the subject was denied and what would help.
func (a *ACL) explainDenial(s catalog.Subject, act catalog.Action, r catalog.Resource, obj object, d *catalog.Decision) {
	type candidate struct {
		rule         rule
		missing, met []string
	}
	var cands []candidate
	for _, ru := range a.rules {
		if ru.act != string(act) || ru.eft != "allow" || (ru.tier != "*" && ru.tier != string(r.Tier)) {
			continue
		}
		for _, role := range roles(s) {
			if !a.inherits(role, ru.role) {
				continue
			}
			c := candidate{rule: ru}
			sub := toSubject(s, role)
			for _, name := range ru.conds {
				if name == "any" {
					continue
				}
				if conditions[name].eval(sub, obj) {
					c.met = append(c.met, name)
				} else {
					c.missing = append(c.missing, name)
				}
			}
			cands = append(cands, c)
			break
		}
	}
	if len(cands) == 0 {
		if s.Anonymous() {
			d.Reason = msgSignIn
			d.Next = []catalog.Text{msgSignInNext}
			return
		}
		d.Reason = noRule(act, r.Tier)
		return
	}
	// The rule closest to allowing (fewest unmet conditions) says what to do next.
	sort.SliceStable(cands, func(i, j int) bool { return len(cands[i].missing) < len(cands[j].missing) })
	d.Rule = cands[0].rule.String()
	seen := map[string]bool{}
	for _, c := range cands {
		for _, m := range c.missing {
			if !seen[m] {
				seen[m] = true
				d.Missing = append(d.Missing, catalog.Requirement{Key: m, Label: conditions[m].label})
			}
		}
	}
	for _, m := range cands[0].met {
		d.Met = append(d.Met, catalog.Requirement{Key: m, Label: conditions[m].label})
	}
	var zh, en []string
	for _, m := range cands[0].missing {
		zh = append(zh, conditions[m].label.Zh)
		en = append(en, conditions[m].label.En)
		n := conditions[m].next
		if f := conditions[m].nextFor; f != nil {
			if t, ok := f(obj); ok {
				n = t
			}
		}
		if !n.IsZero() {
			d.Next = append(d.Next, n)
		}
	}
	d.Reason = catalog.T("尚不满足："+strings.Join(zh, "；"), "not yet met: "+strings.Join(en, "; "))
}

// Visibility implements catalog.Authorizer: the datasets s may view, as a
// filter over index fields, derived from the view rules of the policy.
func (a *ACL) Visibility(_ context.Context, s catalog.Subject) (catalog.Visibility, error) {
	var v catalog.Visibility
	seen := map[string]bool{}
	for _, ru := range a.rules {
		if ru.act != string(catalog.ActView) || ru.eft != "allow" {
			continue
		}
		for _, role := range roles(s) {
			if !a.inherits(role, ru.role) {
				continue
			}
			clause, ok := ruleFilter(ru, toSubject(s, role))
			if !ok {
				continue
			}
			if len(clause) == 0 {
				return catalog.Visibility{Clauses: []catalog.Clause{{}}}, nil
			}
			key := fmt.Sprint(clause)
			if !seen[key] {
				seen[key] = true
				v.Clauses = append(v.Clauses, clause)
			}
		}
	}
	return v, nil
}

// ruleFilter turns one view rule into a clause for subject s; ok is false
// when no document can satisfy the rule for s.
func ruleFilter(ru rule, s subject) (catalog.Clause, bool) {
	var clause catalog.Clause
	if ru.tier != "*" {
		clause = append(clause, catalog.TermFilter{Field: catalog.VisTier, Values: []string{ru.tier}})
	}
	for _, name := range ru.conds {
		res, terms := conditions[name].filter(s)
		switch res {
		case filterNever:
			return nil, false
		case filterTerms:
			clause = append(clause, terms...)
		}
	}
	return clause, true
}

// Rules lists the policy lines in order, for documentation and the
// explanation page.
func (a *ACL) Rules() []string {
	out := make([]string, len(a.rules))
	for i, r := range a.rules {
		out[i] = r.String()
	}
	return out
}
