package acl

import "dataportal/catalog"

// reasons explains each policy line by its "why" key.
var reasons = map[string]catalog.Text{
	"view.open":             catalog.T("无条件开放数据的元数据对所有人公开", "metadata of open data is public"),
	"view.conditional":      catalog.T("有条件开放数据的元数据对所有人公开", "metadata of conditional data is public"),
	"view.important":        catalog.T("重要数据的元数据仅对已认证机构的登录用户可见", "metadata of important data is visible to signed-in users of verified organisations"),
	"view.own_org":          catalog.T("提供机构始终可以查看自己的数据集", "the provider organisation always sees its own datasets"),
	"view.bureau":           catalog.T("数据局可以查看所有已发布的数据集", "the bureau sees every published dataset"),
	"view.bureau_withdrawn": catalog.T("数据局可以查看已撤回的数据集", "the bureau sees withdrawn datasets"),
	"view.bureau_confirm":   catalog.T("数据局可以查看等待其确认分级的数据集", "the bureau sees datasets whose tier awaits its confirmation"),

	"download.open":        catalog.T("无条件开放数据可由任何登录用户下载", "open data can be downloaded by any signed-in user"),
	"download.conditional": catalog.T("有条件开放数据需持有提供方批准的授权", "conditional data needs a grant approved by the provider"),
	"download.important":   catalog.T("重要数据需持有经提供方和数据局批准、在有效期内的授权", "important data needs an unexpired grant approved by the provider and the bureau"),
	"download.own_org":     catalog.T("提供机构始终可以下载自己的数据集", "the provider organisation can always download its own datasets"),

	"request.conditional": catalog.T("已发布的有条件开放数据可以申请访问", "access to published conditional data can be requested"),
	"request.important":   catalog.T("已认证机构的用户可以申请访问已发布的重要数据", "users of verified organisations can request access to published important data"),

	"edit.own_org":     catalog.T("提供机构的数据提供者可以编辑本机构的数据集", "providers of the owning organisation edit its datasets"),
	"publish.own_org":  catalog.T("提供机构的数据提供者可以发布本机构的数据集", "providers of the owning organisation publish its datasets"),
	"withdraw.own_org": catalog.T("提供机构的数据提供者可以撤回本机构的数据集", "providers of the owning organisation withdraw its datasets"),
	"withdraw.bureau":  catalog.T("数据局可以撤回任何数据集", "the bureau can withdraw any dataset"),

	"decide.provider": catalog.T("提供机构审批对其数据的访问申请", "the provider organisation decides requests for its data"),
	"decide.bureau":   catalog.T("重要数据的访问申请还须经数据局审批", "requests for important data are also decided by the bureau"),

	"oversee.provider": catalog.T("提供机构查看其数据集的访问申请、授权、使用报告和数据血缘", "the provider organisation sees the requests, grants, use reports and lineage of its datasets"),
	"oversee.bureau":   catalog.T("数据局监督所有数据集的访问申请、授权、使用报告和数据血缘", "the bureau oversees the requests, grants, use reports and lineage of every dataset"),
	"revoke.provider":  catalog.T("提供机构可以撤销对其数据集的授权", "the provider organisation can revoke grants to its datasets"),
	"revoke.bureau":    catalog.T("数据局可以撤销任何授权", "the bureau can revoke any grant"),

	"tier.confirm":      catalog.T("数据局确认或调高数据分级", "the bureau confirms or raises tiers"),
	"tier.lower_bureau": catalog.T("数据局可以调低数据分级", "the bureau can lower a tier"),
	"accounts.manage":   catalog.T("管理员管理用户和机构", "administrators manage users and organisations"),
	"audit.view":        catalog.T("数据局和管理员可以查阅审计日志", "the bureau and administrators read the audit trail"),
	"accounts.verify":   catalog.T("数据局和管理员认证机构", "the bureau and administrators verify organisations"),

	"list.view_public":       catalog.T("已发布的建设清单向所有人公开", "published construction lists are public"),
	"list.view_bureau":       catalog.T("数据局可以查看所有清单，包括草稿", "the bureau sees every list, drafts included"),
	"list.manage":            catalog.T("数据局编制、发布和截止建设清单", "the bureau drafts, publishes and closes construction lists"),
	"list.respond":           catalog.T("已认证机构的数据提供者可以代表本机构响应开放中的清单条目", "providers of verified organisations answer items of open lists for their organisation"),
	"list.review":            catalog.T("数据局验收或退回清单条目的交付", "the bureau accepts or rejects deliveries for list items"),
	"list.match_bureau":      catalog.T("数据局可以查看所有数据集与清单条目的匹配建议", "the bureau sees suggested datasets of every organisation for list items"),
	"list.match_provider":    catalog.T("数据提供者可以查看本机构数据集与清单条目的匹配建议", "providers see suggestions among their own organisation's datasets"),
	"need.file":              catalog.T("模型开发者可以向数据局提出数据需求", "developers tell the bureau what data they need"),
	"need.manage":            catalog.T("数据局汇总、合并数据需求并纳入建设清单", "the bureau groups and merges data needs and turns them into list items"),
	"stats.full":             catalog.T("数据局和管理员可以查看完整统计（含访问申请、下载和需求）", "the bureau and administrators see the full statistics (access requests, downloads, needs)"),
	"tier.lower_unconfirmed": catalog.T("数据局确认之前，提供方可以调整本机构数据集的分级", "until the bureau confirms it, the provider may change its dataset's tier"),
}

// actionLabels names each action in explanations.
var actionLabels = map[catalog.Action]catalog.Text{
	catalog.ActView:            catalog.T("查看元数据", "view the metadata"),
	catalog.ActDownload:        catalog.T("下载文件", "download files"),
	catalog.ActEdit:            catalog.T("编辑", "edit"),
	catalog.ActPublish:         catalog.T("发布", "publish"),
	catalog.ActWithdraw:        catalog.T("撤回", "withdraw"),
	catalog.ActRequest:         catalog.T("申请访问", "request access"),
	catalog.ActDecide:          catalog.T("审批访问申请", "decide access requests"),
	catalog.ActConfirmTier:     catalog.T("确认分级", "confirm the tier"),
	catalog.ActLowerTier:       catalog.T("调低分级", "lower the tier"),
	catalog.ActOversee:         catalog.T("查看访问申请与授权", "see access requests and grants"),
	catalog.ActRevoke:          catalog.T("撤销授权", "revoke grants"),
	catalog.ActManageAccounts:  catalog.T("管理用户和机构", "manage users and organisations"),
	catalog.ActVerifyOrg:       catalog.T("认证机构", "verify organisations"),
	catalog.ActViewAudit:       catalog.T("查阅审计日志", "read the audit trail"),
	catalog.ActViewList:        catalog.T("查看建设清单", "read the construction list"),
	catalog.ActManageLists:     catalog.T("编制和发布建设清单", "manage construction lists"),
	catalog.ActRespond:         catalog.T("响应清单条目", "answer list items"),
	catalog.ActReviewResponses: catalog.T("验收清单交付", "review deliveries"),
	catalog.ActMatchItems:      catalog.T("查看匹配建议", "see suggested datasets for items"),
	catalog.ActFileNeed:        catalog.T("提出数据需求", "file data needs"),
	catalog.ActManageNeeds:     catalog.T("管理数据需求", "manage data needs"),
	catalog.ActViewStatistics:  catalog.T("查看完整统计", "see the full statistics"),
}

var (
	msgSignIn     = catalog.T("请先登录", "sign in first")
	msgSignInNext = catalog.T("登录后再试", "sign in and try again")
)

// noRule explains a denial that no policy line could have turned into an allow.
func noRule(act catalog.Action, tier catalog.Tier) catalog.Text {
	al := actionLabels[act]
	tl, ok := catalog.Tiers.Label(string(tier))
	if !ok {
		return catalog.T("您的角色无权"+al.Zh, "your role may not "+al.En)
	}
	return catalog.T("分级规则不允许您对“"+tl.Zh+"”数据"+al.Zh, "the tier rules do not let you "+al.En+" for "+tl.En)
}
