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
	ActOversee     Action = "oversee"      // read the dataset's access requests, grants, use reports and lineage
	ActRevoke      Action = "revoke"       // revoke a grant to the dataset

	// Actions on the portal itself rather than on one dataset; they are
	// decided against the zero Resource.
	ActManageAccounts Action = "manage-accounts" // create and disable users and organisations
	ActVerifyOrg      Action = "verify-org"      // verify an organisation's identity
	ActViewAudit      Action = "view-audit"      // read the audit trail

	// Actions on construction lists, responses and data needs (lists.go).
	// A list is decided as a Resource with the list's Status (and, for a
	// response, OwnerOrg the responding organisation); tier lines are "*".
	ActViewList        Action = "view-list"        // read a list (drafts: the bureau)
	ActManageLists     Action = "manage-lists"     // create, edit, import, publish and close lists
	ActRespond         Action = "respond"          // answer an item of an open list for one's organisation
	ActReviewResponses Action = "review-responses" // accept or reject deliveries
	ActMatchItems      Action = "match-items"      // see suggested datasets for items (OwnerOrg "": every organisation's)
	ActFileNeed        Action = "file-need"        // tell the bureau about missing data
	ActManageNeeds     Action = "manage-needs"     // see, group, merge needs and turn them into items
	ActViewStatistics  Action = "view-statistics"  // the full statistics (access requests, downloads, needs)
)

// Actions lists every action, in the order explanations use.
var Actions = []Action{ActView, ActDownload, ActEdit, ActPublish, ActWithdraw, ActRequest, ActDecide, ActConfirmTier, ActLowerTier, ActOversee, ActRevoke, ActManageAccounts, ActVerifyOrg, ActViewAudit,
	ActViewList, ActManageLists, ActRespond, ActReviewResponses, ActMatchItems, ActFileNeed, ActManageNeeds, ActViewStatistics}

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
	// Stage is the stage of the access request being decided: "provider"
	// or "bureau" (StageProvider, StageBureau); empty when no particular
	// request is meant (a dataset page asking whether its reader decides
	// requests at all).
	Stage string
	// Standing is the subject's own access standing on the dataset, filled
	// in only to explain a denied download: an open request awaiting the
	// provider or the bureau, or a grant that was suspended, expired or
	// revoked (the Standing* constants); empty when there is none.
	Standing string
}

// Request stages and access standings (see Resource).
const (
	StageProvider = "provider"
	StageBureau   = "bureau"

	StandingAwaitingProvider = "awaiting-provider"
	StandingAwaitingBureau   = "awaiting-bureau"
	StandingSuspended        = "suspended"
	StandingExpired          = "expired"
	StandingRevoked          = "revoked"
)

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
	// MaxGrantDays is the longest access grant the tier rules allow for a
	// tier, in days; 0 when data of that tier is never granted.
	MaxGrantDays(t Tier) int
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
