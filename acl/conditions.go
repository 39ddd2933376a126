package acl

import "dataportal/catalog"

// subject and object are what the Casbin matcher sees as r.sub and r.obj.
// Casbin reads their exported fields by reflection.
type subject struct {
	Role        string
	ID          string
	Org         string
	OrgVerified bool
}

type object struct {
	Tier          string
	OwnerOrg      string
	Status        string
	TierConfirmed bool
	HasGrant      bool
	Stage         string
	Standing      string
}

// filterResult is a condition's contribution to a visibility clause.
type filterResult int

const (
	filterNever  filterResult = iota // no document can satisfy it for this subject
	filterAlways                     // every document satisfies it for this subject
	filterTerms                      // documents satisfy it when the terms match
)

// condition is one named requirement of a policy line. It is defined once,
// with both of its faces: eval decides a single request, filter turns it
// into index terms for the search visibility filter (nil when the
// condition cannot be expressed over the index; such conditions may not
// appear on view lines, which New checks).
type condition struct {
	label catalog.Text // the requirement, as a user reads it
	next  catalog.Text // what the user can do when it is not met; empty if nothing
	// nextFor, when set, says what to do instead of next, given the
	// subject's standing on the object (an open request, a lapsed grant).
	nextFor func(o object) (catalog.Text, bool)
	eval    func(s subject, o object) bool
	filter  func(s subject) (filterResult, catalog.Clause)
}

func terms(field string, values ...string) (filterResult, catalog.Clause) {
	return filterTerms, catalog.Clause{{Field: field, Values: values}}
}

var conditions = map[string]condition{
	"any": {
		label:  catalog.T("无附加条件", "no further condition"),
		eval:   func(subject, object) bool { return true },
		filter: func(subject) (filterResult, catalog.Clause) { return filterAlways, nil },
	},
	"published": {
		label:  catalog.T("数据集已发布", "the dataset is published"),
		next:   catalog.T("等待提供方发布该数据集", "wait until the provider publishes the dataset"),
		eval:   func(_ subject, o object) bool { return o.Status == catalog.StatusPublished },
		filter: func(subject) (filterResult, catalog.Clause) { return terms(catalog.VisStatus, catalog.StatusPublished) },
	},
	"withdrawn": {
		label:  catalog.T("数据集已撤回", "the dataset was withdrawn"),
		eval:   func(_ subject, o object) bool { return o.Status == catalog.StatusWithdrawn },
		filter: func(subject) (filterResult, catalog.Clause) { return terms(catalog.VisStatus, catalog.StatusWithdrawn) },
	},
	"own_org": {
		label: catalog.T("您属于该数据集的提供机构", "you belong to the dataset's provider organisation"),
		eval:  func(s subject, o object) bool { return s.Org != "" && s.Org == o.OwnerOrg },
		filter: func(s subject) (filterResult, catalog.Clause) {
			if s.Org == "" {
				return filterNever, nil
			}
			return terms(catalog.VisOwnerOrg, s.Org)
		},
	},
	"not_own_org": {
		label: catalog.T("数据集不属于您的机构", "the dataset belongs to another organisation"),
		eval:  func(s subject, o object) bool { return s.Org == "" || s.Org != o.OwnerOrg },
	},
	"org_verified": {
		label: catalog.T("您所在的机构已通过认证", "your organisation is verified"),
		next:  catalog.T("加入已认证的机构，或请管理员认证您的机构", "join a verified organisation, or ask an administrator to verify yours"),
		eval:  func(s subject, _ object) bool { return s.Org != "" && s.OrgVerified },
		filter: func(s subject) (filterResult, catalog.Clause) {
			if s.Org != "" && s.OrgVerified {
				return filterAlways, nil
			}
			return filterNever, nil
		},
	},
	"has_grant": {
		label: catalog.T("您持有经批准且在有效期内的访问授权", "you hold an approved, unexpired access grant"),
		next:  catalog.T("提交访问申请并等待批准", "request access and wait for approval"),
		eval:  func(_ subject, o object) bool { return o.HasGrant },
		nextFor: func(o object) (catalog.Text, bool) {
			t, ok := standingNext[o.Standing]
			return t, ok
		},
	},
	"provider_stage": {
		label: catalog.T("该申请正等待提供机构审批", "the request awaits the provider organisation's decision"),
		eval:  func(_ subject, o object) bool { return o.Stage != catalog.StageBureau },
	},
	"bureau_stage": {
		label: catalog.T("提供机构已批准该申请，正等待数据局审批", "the provider organisation approved the request, which now awaits the bureau"),
		next:  catalog.T("等待提供机构先行审批", "wait for the provider organisation to decide first"),
		eval:  func(_ subject, o object) bool { return o.Stage != catalog.StageProvider },
	},
	"awaiting_confirmation": {
		label: catalog.T("数据集的分级等待数据局确认", "the dataset's tier awaits the bureau's confirmation"),
		eval: func(_ subject, o object) bool {
			return catalog.Tier(o.Tier).NeedsBureau() && !o.TierConfirmed
		},
		filter: func(subject) (filterResult, catalog.Clause) { return terms(catalog.VisAwaiting, "true") },
	},
	"tier_unconfirmed": {
		label: catalog.T("数据局尚未确认该分级", "the bureau has not confirmed the tier"),
		next:  catalog.T("请数据局调整分级", "ask the bureau to change the tier"),
		eval:  func(_ subject, o object) bool { return !o.TierConfirmed },
	},
	// Construction lists: the object's Status is the list's status.
	"list_public": {
		label: catalog.T("清单已发布", "the list is published"),
		next:  catalog.T("等待数据局发布该清单", "wait until the bureau publishes the list"),
		eval: func(_ subject, o object) bool {
			return o.Status == catalog.ListPublished || o.Status == catalog.ListClosed
		},
	},
	"list_open": {
		label: catalog.T("清单已发布且尚未截止", "the list is published and still open"),
		next:  catalog.T("清单截止后不再接受响应，请关注下一批清单", "a closed list takes no more responses; watch for the next list"),
		eval:  func(_ subject, o object) bool { return o.Status == catalog.ListPublished },
	},
}

// standingNext is what a subject without a current grant does next, given
// its standing on the dataset.
var standingNext = map[string]catalog.Text{
	catalog.StandingAwaitingProvider: catalog.T("您的访问申请正在等待提供机构审批，请等待审批结果", "your access request awaits the provider organisation's decision; wait for it"),
	catalog.StandingAwaitingBureau:   catalog.T("提供机构已批准，您的访问申请正在等待数据局审批，请等待审批结果", "the provider approved; your access request awaits the bureau's decision; wait for it"),
	catalog.StandingSuspended:        catalog.T("数据集分级调整后，您的授权已暂停；请按新的分级重新提交访问申请", "your grant was suspended when the dataset was re-graded; request access again under the new tier"),
	catalog.StandingExpired:          catalog.T("您的授权已到期；请提交使用报告，并重新提交访问申请", "your grant has expired; file its use report and request access again"),
	catalog.StandingRevoked:          catalog.T("您的授权已被撤销；如需继续使用，请重新提交访问申请", "your grant was revoked; request access again if you still need the data"),
}
