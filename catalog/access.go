package catalog

import "context"

// Action is something a subject does to a dataset.
type Action string

// Actions decided by the ACL.
const (
	ActView        Action = "view"         // see the metadata
	ActDownload    Action = "download"     // fetch files
	ActEdit        Action = "edit"         // change metadata, add versions
	ActPublish     Action = "publish"      // make a draft public
	ActWithdraw    Action = "withdraw"     // take a published dataset down
	ActRequest     Action = "request"      // ask for access
	ActDecide      Action = "decide"       // approve or reject access requests
	ActConfirmTier Action = "confirm-tier" // confirm or raise a tier (bureau)
	ActLowerTier   Action = "lower-tier"   // set a lower tier than the current one

	// Actions on the portal itself rather than on one dataset; they are
	// decided against the zero Resource.
	ActManageAccounts Action = "manage-accounts" // create and disable users and organisations
	ActVerifyOrg      Action = "verify-org"      // verify an organisation's identity
	ActViewAudit      Action = "view-audit"      // read the audit trail
)

// Actions lists every action, in the order explanations use.
var Actions = []Action{ActView, ActDownload, ActEdit, ActPublish, ActWithdraw, ActRequest, ActDecide, ActConfirmTier, ActLowerTier, ActManageAccounts, ActVerifyOrg, ActViewAudit}

// Subject is who asks, as the ACL sees it. The zero Subject is anonymous.
type Subject struct {
	UserID      string
	Roles       []string
	Org         string
	OrgVerified bool
}

// Anonymous reports whether nobody is signed in.
func (s Subject) Anonymous() bool { return s.UserID == "" }

// Resource is the dataset as the ACL sees it.
type Resource struct {
	ID            string
	Tier          Tier
	OwnerOrg      string
	Status        string
	TierConfirmed bool
	// HasGrant is true when the subject holds a current grant for the action.
	HasGrant bool
}

// ResourceOf describes dataset d for the ACL.
func ResourceOf(d *Dataset) Resource {
	return Resource{ID: d.ID, Tier: d.Tier, OwnerOrg: d.Publisher, Status: d.Status, TierConfirmed: d.TierConfirmed}
}

// Decision is the ACL's answer with its explanation.
type Decision struct {
	Allowed bool   `json:"allowed"`
	Action  Action `json:"action"`
	// Rule is the policy line that allowed or, for a deny rule, denied.
	// Empty when no line applied.
	Rule   string `json:"rule,omitempty"`
	Reason Text   `json:"reason"`
	// Missing lists the conditions the subject does not meet, from the rules
	// that would otherwise have allowed the action.
	Missing []Requirement `json:"missing,omitempty"`
	// Met lists the conditions of those rules the subject already meets.
	Met []Requirement `json:"met,omitempty"`
	// Next says what the subject can do to be allowed.
	Next []Text `json:"next,omitempty"`
}

// Requirement is one condition of a rule.
type Requirement struct {
	Key   string `json:"key"`
	Label Text   `json:"label"`
}

// Authorizer decides who may do what. Implemented by package acl from its
// Casbin policies; catalog calls it before every restricted read or change.
type Authorizer interface {
	// Decide returns whether s may do act to r, and why.
	Decide(ctx context.Context, s Subject, act Action, r Resource) (Decision, error)
	// Visibility returns the filter of datasets s may view, derived from the
	// same policies, for the search engine to apply inside its query.
	Visibility(ctx context.Context, s Subject) (Visibility, error)
}

// Visibility is a filter over indexed dataset fields: a document is visible
// when it satisfies at least one clause. No clauses: nothing is visible.
type Visibility struct {
	Clauses []Clause `json:"clauses"`
}

// Clause is a conjunction of terms; an empty clause matches everything.
type Clause []TermFilter

// TermFilter requires an indexed keyword field to equal one of Values.
type TermFilter struct {
	Field  string   `json:"field"`
	Values []string `json:"values"`
}

// Fields the visibility filter may use; every Index implementation must
// index them as exact keywords.
const (
	VisTier      = "tier"
	VisStatus    = "status"
	VisOwnerOrg  = "owner_org"
	VisAwaiting  = "awaiting_confirmation" // "true" or "false"
	VisDatasetID = "id"
)

// MatchesAll reports whether the filter lets everything through.
func (v Visibility) MatchesAll() bool {
	for _, c := range v.Clauses {
		if len(c) == 0 {
			return true
		}
	}
	return false
}

// Matches evaluates the filter against a document's keyword fields; search
// engines apply the filter themselves, this serves tests and checks.
func (v Visibility) Matches(fields map[string][]string) bool {
	for _, c := range v.Clauses {
		if c.matches(fields) {
			return true
		}
	}
	return false
}

func (c Clause) matches(fields map[string][]string) bool {
	for _, t := range c {
		ok := false
		for _, have := range fields[t.Field] {
			for _, want := range t.Values {
				if have == want {
					ok = true
				}
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
