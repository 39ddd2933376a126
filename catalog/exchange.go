package catalog

import (
	"context"
	"time"
)

// The exchange: developers request access to datasets (requests.go), final
// approval creates a grant (grants.go), the people concerned are notified
// (notify.go), a use report falls due when a grant ends, and developers
// declare which models they trained on which dataset versions (lineage.go).
//
// Persistence follows the rules of the store: every state change is one
// write of one document, guarded by its revision, carrying in the same
// write both its audit events (auditOutbox) and its notices (noticeOutbox).
// Work that spans documents is idempotent and resumable, driven by flags
// in the documents:
//   - Final approval writes the request (state approved, grant_pending);
//     ensureGrant then inserts the grant under an id derived from the
//     request id and clears the flag. A crash in between leaves the flag,
//     and the periodic sweep creates the grant (inserting twice is refused
//     by the id, so there is never a second grant).
//   - A notice names an audience ("the provider's reviewers", "the
//     bureau", "everyone with a grant or a lineage declaration on the
//     dataset"); delivering it inserts one notification per recipient under
//     an id derived from the notice id and the user id, then removes the
//     notice. A crash in between delivers again, and the ids make the
//     second delivery a no-op.
//   - A dataset's re-grading leaves a notice on the dataset whose delivery
//     first brings the dataset's grants and open requests in line with the
//     new tier (reconcileDataset, idempotent), then notifies its users.
//   - E-mail goes out from notifications marked email_pending, claimed
//     one at a time; a crash after sending and before clearing the mark
//     sends that mail again (at least once, never lost).

// IntendedUses is the vocabulary of what requested data is for.
var IntendedUses = Vocabulary{
	{"training", T("模型训练", "Model training")},
	{"fine-tuning", T("模型微调", "Fine-tuning")},
	{"evaluation", T("模型评测", "Evaluation")},
	{"research", T("科学研究", "Research")},
}

// Access request states.
const (
	RequestAwaitingProvider = "awaiting-provider"
	RequestAwaitingBureau   = "awaiting-bureau"
	RequestApproved         = "approved"
	RequestRejected         = "rejected"
	RequestWithdrawn        = "withdrawn"
	RequestCancelled        = "cancelled"
	// RequestOpen is not a state but a list filter: either awaiting state.
	RequestOpen = "open"
)

// RequestStates is the vocabulary of access request states.
var RequestStates = Vocabulary{
	{RequestAwaitingProvider, T("待提供机构审批", "Awaiting the provider")},
	{RequestAwaitingBureau, T("待数据局审批", "Awaiting the bureau")},
	{RequestApproved, T("已批准", "Approved")},
	{RequestRejected, T("已驳回", "Rejected")},
	{RequestWithdrawn, T("已撤回", "Withdrawn")},
	{RequestCancelled, T("已取消", "Cancelled")},
}

// Grant states. A grant past its expiry counts as expired at once; the
// sweep then records it (state expired, use report due).
const (
	GrantActive    = "active"
	GrantSuspended = "suspended"
	GrantExpired   = "expired"
	GrantRevoked   = "revoked"
)

// GrantStates is the vocabulary of grant states.
var GrantStates = Vocabulary{
	{GrantActive, T("有效", "Active")},
	{GrantSuspended, T("已暂停", "Suspended")},
	{GrantExpired, T("已到期", "Expired")},
	{GrantRevoked, T("已撤销", "Revoked")},
}

// Use report states.
const (
	ReportDue   = "due"
	ReportFiled = "filed"
)

// ReportStates is the vocabulary of use report states.
var ReportStates = Vocabulary{
	{ReportDue, T("待提交", "Due")},
	{ReportFiled, T("已提交", "Filed")},
}

const (
	// expiryWarning is how long before its expiry a grantee is told.
	expiryWarning = 7 * 24 * time.Hour
	// reportPeriod is how long after a grant ends its use report is due.
	reportPeriod = 30 * 24 * time.Hour
)

// Commitment is the security commitment (安全承诺书) a requester accepts;
// the version accepted is kept on the request.
type Commitment struct {
	Version string `json:"version"`
	Text    Text   `json:"text"`
}

// commitment is the text in force. Change the version with the text: a
// request must name the version the requester read.
var commitment = Commitment{
	Version: "2026-1",
	Text: T(`数据使用安全承诺书

本人及所在单位申请使用本平台数据集，郑重承诺：
一、仅在申请所述目的和用途范围内使用数据，不用于其他目的；
二、不向任何第三方提供、转让、出售或公开数据及其副本；
三、不以任何方式尝试识别或重新识别个人身份，不将数据与其他数据关联以推断个人信息；
四、采取必要的技术和管理措施保障数据安全，发现泄露、篡改或丢失时立即报告提供机构和数据局；
五、授权到期、被撤销或暂停后停止使用，并按要求删除数据副本；
六、在授权结束后按要求提交数据使用报告，如实说明训练的模型和取得的成果；
七、接受提供机构和数据局的监督检查，遵守《中华人民共和国数据安全法》《中华人民共和国个人信息保护法》等法律法规。
违反上述承诺的，依法承担相应责任，平台可撤销授权。`,
		`Security commitment for data use

I and my organisation, applying to use a dataset of this portal, undertake:
1. to use the data only for the purpose and use stated in the request;
2. not to provide, transfer, sell or publish the data or any copy of it to any third party;
3. not to identify or re-identify any person by any means, nor to link the data with other data to infer personal information;
4. to protect the data with the necessary technical and organisational measures, and to report any leak, tampering or loss to the provider and the bureau at once;
5. to stop using the data when the grant expires, is revoked or suspended, and to delete copies as required;
6. to file a use report when the grant ends, stating truthfully the models trained and the results obtained;
7. to accept supervision by the provider and the bureau, and to comply with the Data Security Law and the Personal Information Protection Law of the People's Republic of China.
A breach of these undertakings carries the liability the law provides, and the portal may revoke the grant.`),
}

// SecurityCommitment returns the security commitment in force.
func SecurityCommitment() Commitment { return commitment }

var (
	requestSchema = Schema{Name: "access_requests", Fields: []Field{
		{Name: "dataset", Type: String},
		{Name: "requester", Type: String},
		{Name: "provider_org", Type: String},
		{Name: "state", Type: String},
		{Name: "bureau_stage", Type: Bool},
		// open_key is "open|user|dataset" while the request is open and
		// "closed|id" afterwards: the unique index lets one open request
		// per user and dataset exist, whichever instance inserts it.
		{Name: "open_key", Type: String, Unique: true},
		{Name: "grant_pending", Type: Bool},
		{Name: "audit_dirty", Type: Bool},
		{Name: "notice_dirty", Type: Bool},
		{Name: "created_at", Type: Time},
	}, Compound: [][]string{{"requester", "created_at"}, {"provider_org", "created_at"}, {"provider_org", "state", "created_at"},
		{"bureau_stage", "created_at"}, {"bureau_stage", "state", "created_at"}, {"dataset", "state"}}}
	grantSchema = Schema{Name: "grants", Fields: []Field{
		{Name: "user", Type: String},
		{Name: "dataset", Type: String},
		{Name: "provider_org", Type: String},
		{Name: "state", Type: String},
		{Name: "granted_at", Type: Time},
		{Name: "expires_at", Type: Time},
		{Name: "expiry_warned", Type: Bool},
		{Name: "report_state", Type: String},
		{Name: "audit_dirty", Type: Bool},
		{Name: "notice_dirty", Type: Bool},
	}, Compound: [][]string{{"user", "dataset", "granted_at"}, {"user", "granted_at"}, {"provider_org", "granted_at"},
		{"dataset", "granted_at"}, {"state", "expires_at"}}}
	notificationSchema = Schema{Name: "notifications", Fields: []Field{
		{Name: "user", Type: String},
		{Name: "read", Type: Bool},
		{Name: "created_at", Type: Time},
		{Name: "email_pending", Type: Bool},
	}, Compound: [][]string{{"user", "created_at"}, {"user", "read", "created_at"}}}
	lineageSchema = Schema{Name: "lineage", Fields: []Field{
		{Name: "dataset", Type: String},
		{Name: "user", Type: String},
		{Name: "created_at", Type: Time},
		{Name: "audit_dirty", Type: Bool},
	}, Compound: [][]string{{"dataset", "created_at"}, {"user", "created_at"}}}

	exchangeSchemas = []Schema{requestSchema, grantSchema, notificationSchema, lineageSchema}
)

// openExchange opens the exchange's collections and registers their
// outboxes with the periodic flushes.
func (s *Service) openExchange(ctx context.Context) error {
	var err error
	if s.requests, err = openRecord[requestRecord](ctx, s.store, requestSchema, T("访问申请", "access request")); err != nil {
		return err
	}
	if s.grants, err = openRecord[grantRecord](ctx, s.store, grantSchema, T("授权", "grant")); err != nil {
		return err
	}
	if s.notifications, err = openRecord[notificationRecord](ctx, s.store, notificationSchema, T("通知", "notification")); err != nil {
		return err
	}
	if s.lineage, err = openRecord[lineageRecord](ctx, s.store, lineageSchema, T("数据血缘声明", "lineage declaration")); err != nil {
		return err
	}
	s.outboxes = append(s.outboxes,
		func(ctx context.Context) error { return flushDirty(ctx, s, s.requests) },
		func(ctx context.Context) error { return flushDirty(ctx, s, s.grants) },
		func(ctx context.Context) error { return flushDirty(ctx, s, s.lineage) },
	)
	s.noticeBoxes = append(s.noticeBoxes,
		func(ctx context.Context) error { return flushNoticesDirty(ctx, s, s.datasets, s.datasetNoticeStep) },
		func(ctx context.Context) error { return flushNoticesDirty(ctx, s, s.requests, nil) },
		func(ctx context.Context) error { return flushNoticesDirty(ctx, s, s.grants, nil) },
	)
	return nil
}

// system is the principal of the portal's own steps (expiry, suspension
// after a re-grading): audited as actor "system".
func system() Principal {
	return Principal{User: &User{ID: "system", Name: "系统", Status: UserActive}}
}

// systemDecision is the decision recorded for the portal's own steps.
func systemDecision(zh, en string) Decision {
	return Decision{Allowed: true, Reason: T(zh, en)}
}

// ExchangeSweep does the exchange's time-driven and resumable work: it
// creates grants that final approvals left pending, records expired
// grants (their use reports fall due), warns grantees a week before
// expiry, delivers pending notices and sends pending e-mail. The portal
// runs it periodically; any instance may, every step is idempotent.
func (s *Service) ExchangeSweep(ctx context.Context) error {
	for _, step := range []func(context.Context) error{s.resumeGrants, s.expireGrants, s.warnExpiring, s.FlushNotices, s.SendMail} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// userName returns a user's display name ("" if unknown).
func (s *Service) userName(ctx context.Context, id string) string {
	u, _, err := s.users.get(ctx, id)
	if err != nil {
		return ""
	}
	return u.Name
}

// datasetTitle is a dataset's title in both languages for notices.
func datasetTitle(zh, en string) Text {
	if en == "" {
		en = zh
	}
	return T("“"+zh+"”", "\""+en+"\"")
}

func tierLabel(t Tier) Text {
	l, ok := Tiers.Label(string(t))
	if !ok {
		return T(string(t), string(t))
	}
	return l
}
