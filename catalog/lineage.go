package catalog

import (
	"context"
	"strings"
	"time"
)

// LineageDeclaration is a developer's statement that model M (version) was
// trained on dataset D version V. When the dataset is withdrawn or
// re-graded, its declarers are notified with its grantees.
type LineageDeclaration struct {
	ID             string    `json:"id"`
	Dataset        string    `json:"dataset"`
	DatasetVersion string    `json:"dataset_version,omitempty"`
	Model          string    `json:"model"`
	ModelVersion   string    `json:"model_version"`
	Description    string    `json:"description,omitempty"`
	User           string    `json:"user"`
	UserName       string    `json:"user_name"`
	Org            string    `json:"org,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// NewLineage is the body of a lineage declaration.
type NewLineage struct {
	Dataset        string `json:"dataset"`
	DatasetVersion string `json:"dataset_version"`
	Model          string `json:"model"`
	ModelVersion   string `json:"model_version"`
	Description    string `json:"description"`
}

type lineageRecord struct {
	LineageDeclaration
	auditOutbox
}

func (l *lineageRecord) outbox() *auditOutbox { return &l.auditOutbox }

// DeclareLineage records that a model was trained on a dataset version.
// The declarer must be able to download the dataset or have held a grant
// to it; NotFound if the dataset is hidden from them; Invalid for an
// unknown dataset version (required when the dataset has versions).
func (s *Service) DeclareLineage(ctx context.Context, p Principal, in NewLineage) (LineageDeclaration, error) {
	if !p.SignedIn() {
		return LineageDeclaration{}, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	in.Model, in.ModelVersion = strings.TrimSpace(in.Model), strings.TrimSpace(in.ModelVersion)
	in.DatasetVersion, in.Description = strings.TrimSpace(in.DatasetVersion), strings.TrimSpace(in.Description)
	var v Validation
	checkText(&v, "model", in.Model, 1, 200, "模型名称", "Model")
	checkText(&v, "model_version", in.ModelVersion, 1, 100, "模型版本", "Model version")
	checkText(&v, "description", in.Description, 0, 2000, "说明", "Description")
	if strings.TrimSpace(in.Dataset) == "" {
		v.Add("dataset", "required", "须指明数据集", "the dataset is required")
	}
	if err := v.Err(); err != nil {
		return LineageDeclaration{}, err
	}
	rec, _, err := s.viewable(ctx, p, strings.TrimSpace(in.Dataset))
	if err != nil {
		return LineageDeclaration{}, err
	}
	d := &rec.Dataset
	if len(d.Versions) > 0 || in.DatasetVersion != "" {
		found := false
		for _, ver := range d.Versions {
			found = found || ver.Number == in.DatasetVersion
		}
		if !found {
			v.Add("dataset_version", "unknown", "数据集没有这个版本", "the dataset has no such version")
			return LineageDeclaration{}, v.Err()
		}
	}
	dec, err := s.authz.Decide(ctx, p.Subject(), ActDownload, s.resource(ctx, p, d))
	if err != nil {
		return LineageDeclaration{}, err
	}
	if !dec.Allowed {
		held, err := s.anyGrant(ctx, p.User.ID, d.ID)
		if err != nil {
			return LineageDeclaration{}, err
		}
		if !held {
			return LineageDeclaration{}, s.refuse(ctx, p, "denied.lineage", "dataset:"+d.ID, T("只能为您可以下载或曾获授权的数据集声明数据血缘",
				"lineage can be declared only for datasets you may download or were granted"))
		}
		dec = Decision{Allowed: true, Action: ActDownload, Reason: T("声明人曾获得该数据集的授权", "the declarer held a grant to the dataset")}
	}
	l := lineageRecord{LineageDeclaration: LineageDeclaration{ID: newID("ln"), Dataset: d.ID, DatasetVersion: in.DatasetVersion, Model: in.Model,
		ModelVersion: in.ModelVersion, Description: in.Description, User: p.User.ID, UserName: p.User.Name, CreatedAt: s.now()}}
	if p.Org != nil {
		l.Org = p.Org.ID
	}
	l.add(s.newAuditEvent(p, "lineage.declare", "lineage:"+l.ID, dec, map[string]string{"dataset": d.ID, "dataset_version": in.DatasetVersion,
		"model": in.Model, "model_version": in.ModelVersion}))
	if _, err := s.lineage.insert(ctx, l.ID, &l); err != nil {
		return LineageDeclaration{}, err
	}
	if err := flushOutbox(ctx, s, s.lineage, l.ID); err != nil {
		s.log.Warn("audit flush deferred", "lineage", l.ID, "err", err)
	}
	return l.LineageDeclaration, nil
}

// LineageQuery selects lineage declarations: the caller's own (Dataset
// empty), or those of one dataset (its provider organisation and the bureau).
type LineageQuery struct {
	Dataset string
	Offset  int
	Limit   int
}

// ListLineage lists lineage declarations newest first, with the total.
func (s *Service) ListLineage(ctx context.Context, p Principal, q LineageQuery) ([]LineageDeclaration, int64, error) {
	if !p.SignedIn() {
		return nil, 0, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	if q.Limit <= 0 || q.Limit > 100 {
		return nil, 0, &Error{Kind: KindInvalid, Message: T("每页条数须在 1–100 之间", "per_page must be 1–100"),
			Fields: []FieldError{{Field: "per_page", Code: "range", Message: T("1–100", "1–100")}}}
	}
	out := func(l lineageRecord) LineageDeclaration { return l.LineageDeclaration }
	if q.Dataset == "" {
		return listVisible(ctx, s, s.lineage, []Filter{Where("user", p.User.ID)}, "created_at", true, q.Offset, q.Limit, out,
			func(ctx context.Context, l lineageRecord) (bool, error) {
				_, ok, err := s.overseeable(ctx, p, l.Dataset, l.User)
				return ok, err
			})
	}
	rec, _, err := s.viewable(ctx, p, q.Dataset)
	if err != nil {
		return nil, 0, err
	}
	if _, err := s.decide(ctx, p, ActOversee, s.resource(ctx, p, &rec.Dataset)); err != nil {
		return nil, 0, err
	}
	return listVisible(ctx, s, s.lineage, []Filter{Where("dataset", rec.ID)}, "created_at", false, q.Offset, q.Limit, out,
		func(context.Context, lineageRecord) (bool, error) { return true, nil })
}
