package frontend

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dataportal/catalog"
)

// The exchange pages: files and samples on a dataset's page, access
// requests and their review, grants and use reports, lineage and
// notifications.

// UploadPath matches the page route that streams a file from a form, so
// that the server lets its body through unread (it is the file) and bounds
// it by the upload limit instead of the form limit.
var UploadPath = regexp.MustCompile(`(?i)^/workspace/datasets/[^/]+/files/?$`)

func (f *Frontend) registerExchange(w fiber.Router) {
	w.Post("/datasets/:id/request", f.requestAccess)
	w.Post("/datasets/:id/versions", f.addVersion)
	w.Post("/datasets/:id/files", f.uploadFile)
	w.Post("/datasets/:id/links", f.addLink)
	w.Post("/datasets/:id/sample", f.setSample)
	w.Get("/requests", f.myRequests)
	w.Post("/requests/:id/withdraw", f.withdrawRequest)
	w.Get("/reviews", f.reviews)
	w.Post("/reviews/:id", f.decide)
	w.Get("/grants", f.grants)
	w.Post("/grants/:id/revoke", f.revokeGrant)
	w.Post("/grants/:id/report", f.fileReport)
	w.Get("/lineage", f.lineage)
	w.Post("/lineage", f.declareLineage)
	w.Get("/notifications", f.notifications)
	w.Post("/notifications/read-all", f.readAll)
	w.Post("/notifications/:id/read", f.readOne)
}

// datasetExtras loads what the dataset page shows besides the metadata: the
// sample preview and, for signed-in readers outside the owning
// organisation, whether and how they may ask for access.
func (f *Frontend) datasetExtras(c *fiber.Ctx, v *datasetPage) error {
	ctx := c.UserContext()
	for _, ver := range v.D.Versions {
		for _, d := range ver.Distributions {
			if d.Sample {
				pv, err := f.svc.SamplePreview(ctx, v.Principal, v.D.ID, 10)
				if err == nil {
					v.Sample = &pv
				} else if !catalog.IsKind(err, catalog.KindNotFound) {
					return err
				}
			}
		}
	}
	if v.SignedIn() && (v.Principal.Org == nil || v.Principal.Org.ID != v.D.Publisher) {
		el, err := f.svc.RequestEligibility(ctx, v.Principal, v.D.ID)
		if err != nil && !catalog.IsKind(err, catalog.KindForbidden) && !catalog.IsKind(err, catalog.KindInvalid) {
			return err
		}
		if err == nil && (el.Decision.Allowed || el.OpenRequest != nil || el.CurrentGrant != nil) {
			v.Eligibility = &el
		}
	}
	return nil
}

func (f *Frontend) requestAccess(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	id := c.Params("id")
	days, _ := strconv.Atoi(c.FormValue("duration_days"))
	in := catalog.NewAccessRequest{Purpose: c.FormValue("purpose"), IntendedUse: c.FormValue("intended_use"), DurationDays: days,
		AcceptTerms: c.FormValue("accept_terms") == "on", AcceptCommitment: c.FormValue("accept_commitment") == "on",
		CommitmentVersion: c.FormValue("commitment_version")}
	r, err := f.svc.RequestAccess(c.UserContext(), pg.Principal, id, in)
	if err != nil {
		if fe, ok := fieldErrors(err); ok {
			// Back to the dataset page with the form as typed and the errors.
			return f.renderDataset(c, id, &requestForm{In: in, Errors: fe, Error: pg.L(err.(*catalog.Error).Message)}, http.StatusUnprocessableEntity)
		}
		var de *catalog.Error
		if errors.As(err, &de) && de.Kind == catalog.KindConflict {
			return f.renderDataset(c, id, &requestForm{In: in, Error: pg.L(de.Message)}, http.StatusConflict)
		}
		return err
	}
	f.setFlash(c, "ok", "flash.request_sent", pg.Pick(r.DatasetTitle, r.DatasetTitleEn))
	return redirect(c, "/workspace/requests")
}

// requestForm is a request form sent back with errors.
type requestForm struct {
	In     catalog.NewAccessRequest
	Errors map[string][]catalog.Text
	Error  string
}

func (f *Frontend) addVersion(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	id := c.Params("id")
	if _, err := f.svc.AddVersion(c.UserContext(), pg.Principal, id, catalog.NewVersion{Number: c.FormValue("number"), Changelog: c.FormValue("changelog")}, 0); err != nil {
		if fe, ok := fieldErrors(err); ok {
			return f.renderDataset(c, id, nil, http.StatusUnprocessableEntity, withManageErrors(fe, pg.L(err.(*catalog.Error).Message)))
		}
		return err
	}
	f.setFlash(c, "ok", "flash.version_added", c.FormValue("number"))
	return redirect(c, "/datasets/"+url.PathEscape(id)+"#files")
}

// uploadFile streams the file part of a multipart form into the blob store
// without holding it in memory. The form's other fields come before the
// file (the template orders them so); the CSRF token is in the address.
func (f *Frontend) uploadFile(c *fiber.Ctx) error {
	p := f.deps.Principal(c)
	id := c.Params("id")
	_, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || params["boundary"] == "" {
		return &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("请通过表单选择要上传的文件", "choose a file to upload in the form")}
	}
	var body io.Reader = c.Context().RequestBodyStream()
	if body == nil {
		body = strings.NewReader(string(c.Body()))
	}
	mr := multipart.NewReader(body, params["boundary"])
	in := catalog.NewFile{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("请选择要上传的文件", "choose a file to upload"),
				Fields: []catalog.FieldError{{Field: "file", Code: "required", Message: catalog.T("请选择文件", "choose a file")}}}
		}
		if err != nil {
			return &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("表单内容不完整", "the form is incomplete"), Err: err}
		}
		switch part.FormName() {
		case "version":
			b, _ := io.ReadAll(io.LimitReader(part, 100))
			in.Version = strings.TrimSpace(string(b))
		case "sample":
			in.Sample = true
		case "file":
			in.FileName = part.FileName()
			if in.FileName == "" {
				return &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("请选择要上传的文件", "choose a file to upload"),
					Fields: []catalog.FieldError{{Field: "file", Code: "required", Message: catalog.T("请选择文件", "choose a file")}}}
			}
			d, err := f.svc.UploadFile(c.UserContext(), p, id, in, part)
			if err != nil {
				if fe, ok := fieldErrors(err); ok {
					c.Context().SetConnectionClose() // the rest of the body is not read
					pg := f.page(c, "workspace")
					return f.renderDataset(c, id, nil, http.StatusUnprocessableEntity, withManageErrors(fe, pg.L(err.(*catalog.Error).Message)))
				}
				return err
			}
			f.setFlash(c, "ok", "flash.file_uploaded", d.FileName)
			return redirect(c, "/datasets/"+url.PathEscape(id)+"#files")
		}
	}
}

func (f *Frontend) addLink(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	id := c.Params("id")
	_, err := f.svc.AddLink(c.UserContext(), pg.Principal, id, c.FormValue("version"), catalog.NewLink{URL: c.FormValue("url"), Title: c.FormValue("title")})
	if err != nil {
		if fe, ok := fieldErrors(err); ok {
			return f.renderDataset(c, id, nil, http.StatusUnprocessableEntity, withManageErrors(fe, pg.L(err.(*catalog.Error).Message)))
		}
		return err
	}
	f.setFlash(c, "ok", "flash.link_added")
	return redirect(c, "/datasets/"+url.PathEscape(id)+"#files")
}

func (f *Frontend) setSample(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := f.svc.SetSample(c.UserContext(), f.deps.Principal(c), id, c.FormValue("file")); err != nil {
		return err
	}
	f.setFlash(c, "ok", "flash.sample_set")
	return redirect(c, "/datasets/"+url.PathEscape(id)+"#sample")
}

// ---- requests ----

type requestsPage struct {
	Page
	Items []catalog.AccessRequest
	Total int64
	State string
}

func (f *Frontend) myRequests(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.requests")
	state := c.Query("state")
	items, total, err := f.svc.ListAccessRequests(c.UserContext(), pg.Principal, catalog.RequestListQuery{Role: "requester", State: state, Limit: 50})
	if err != nil {
		return err
	}
	return f.render(c, http.StatusOK, "requests", requestsPage{Page: pg, Items: items, Total: total, State: state})
}

func (f *Frontend) withdrawRequest(c *fiber.Ctx) error {
	if _, err := f.svc.WithdrawRequest(c.UserContext(), f.deps.Principal(c), c.Params("id"), c.FormValue("reason")); err != nil {
		return err
	}
	f.setFlash(c, "ok", "flash.request_withdrawn")
	return redirect(c, "/workspace/requests")
}

// reviewsPage lists the requests the user decides: their organisation's
// (providers) and, for the bureau, those awaiting its co-approval.
type reviewsPage struct {
	Page
	Items []catalog.AccessRequest
	Total int64
	Role  string
	State string
}

func (f *Frontend) reviews(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.reviews")
	role, state := "reviewer", c.Query("state", "open")
	if pg.Has(catalog.RoleBureau) && !pg.Has(catalog.RoleProvider) {
		role = "bureau"
		if c.Query("state") == "" {
			state = catalog.RequestAwaitingBureau
		}
	}
	if state == "all" {
		state = ""
	}
	items, total, err := f.svc.ListAccessRequests(c.UserContext(), pg.Principal, catalog.RequestListQuery{Role: role, State: state, Limit: 50})
	if err != nil {
		return err
	}
	return f.render(c, http.StatusOK, "reviews", reviewsPage{Page: pg, Items: items, Total: total, Role: role, State: state})
}

func (f *Frontend) decide(c *fiber.Ctx) error {
	approve := c.FormValue("approve") == "true"
	rev, _ := strconv.ParseInt(c.FormValue("rev"), 10, 64)
	r, err := f.svc.DecideRequest(c.UserContext(), f.deps.Principal(c), c.Params("id"), catalog.DecisionInput{Approve: &approve, Reason: c.FormValue("reason")}, rev)
	if err != nil {
		var de *catalog.Error
		if errors.As(err, &de) && (de.Kind == catalog.KindInvalid || de.Kind == catalog.KindConflict || de.Kind == catalog.KindPrecondition) {
			f.setFlash(c, "error", "flash.decision_failed", de.Message.In(f.deps.Lang(c)))
			return redirect(c, "/workspace/reviews")
		}
		return err
	}
	id := "flash.request_rejected"
	if approve {
		id = "flash.request_approved"
	}
	f.setFlash(c, "ok", id, r.RequesterName)
	return redirect(c, "/workspace/reviews")
}

// ---- grants and use reports ----

type grantsPage struct {
	Page
	Items []catalog.Grant
	Total int64
	Role  string
}

func (f *Frontend) grants(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.grants")
	role := c.Query("role", "grantee")
	if role != "grantee" && role != "provider" && role != "bureau" {
		role = "grantee"
	}
	items, total, err := f.svc.ListGrants(c.UserContext(), pg.Principal, catalog.GrantListQuery{Role: role, Limit: 50})
	if err != nil {
		return err
	}
	return f.render(c, http.StatusOK, "grants", grantsPage{Page: pg, Items: items, Total: total, Role: role})
}

func (f *Frontend) revokeGrant(c *fiber.Ctx) error {
	if _, err := f.svc.RevokeGrant(c.UserContext(), f.deps.Principal(c), c.Params("id"), c.FormValue("reason")); err != nil {
		var de *catalog.Error
		if errors.As(err, &de) && de.Kind == catalog.KindInvalid {
			f.setFlash(c, "error", "flash.reason_required")
			return redirect(c, "/workspace/grants?role="+url.QueryEscape(c.FormValue("role")))
		}
		return err
	}
	f.setFlash(c, "ok", "flash.grant_revoked")
	return redirect(c, "/workspace/grants?role="+url.QueryEscape(c.FormValue("role")))
}

func (f *Frontend) fileReport(c *fiber.Ctx) error {
	var models []catalog.ModelRef
	for _, line := range splitList(c.FormValue("models")) {
		name, version, _ := strings.Cut(line, "@")
		models = append(models, catalog.ModelRef{Name: strings.TrimSpace(name), Version: strings.TrimSpace(version)})
	}
	_, err := f.svc.FileUseReport(c.UserContext(), f.deps.Principal(c), c.Params("id"), catalog.NewUseReport{Models: models,
		PurposeMet: c.FormValue("purpose_met") == "on", Results: c.FormValue("results")})
	if err != nil {
		var de *catalog.Error
		if errors.As(err, &de) && (de.Kind == catalog.KindInvalid || de.Kind == catalog.KindConflict) {
			f.setFlash(c, "error", "flash.report_failed", de.Message.In(f.deps.Lang(c)))
			return redirect(c, "/workspace/grants")
		}
		return err
	}
	f.setFlash(c, "ok", "flash.report_filed")
	return redirect(c, "/workspace/grants")
}

// ---- lineage ----

type lineagePage struct {
	Page
	Items  []catalog.LineageDeclaration
	In     catalog.NewLineage
	Errors map[string][]catalog.Text
	Error  string
}

func (f *Frontend) lineageView(c *fiber.Ctx, v lineagePage, status int) error {
	items, _, err := f.svc.ListLineage(c.UserContext(), v.Principal, catalog.LineageQuery{Limit: 100})
	if err != nil {
		return err
	}
	v.Items = items
	return f.render(c, status, "lineage", v)
}

func (f *Frontend) lineage(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.lineage")
	return f.lineageView(c, lineagePage{Page: pg, In: catalog.NewLineage{Dataset: c.Query("dataset")}}, http.StatusOK)
}

func (f *Frontend) declareLineage(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.lineage")
	in := catalog.NewLineage{Dataset: c.FormValue("dataset"), DatasetVersion: c.FormValue("dataset_version"), Model: c.FormValue("model"),
		ModelVersion: c.FormValue("model_version"), Description: c.FormValue("description")}
	if _, err := f.svc.DeclareLineage(c.UserContext(), pg.Principal, in); err != nil {
		var de *catalog.Error
		if !errors.As(err, &de) || de.Kind == catalog.KindInternal || de.Kind == catalog.KindUnavailable {
			return err
		}
		fe, _ := fieldErrors(err)
		return f.lineageView(c, lineagePage{Page: pg, In: in, Errors: fe, Error: pg.L(de.Message)}, http.StatusUnprocessableEntity)
	}
	f.setFlash(c, "ok", "flash.lineage_declared", in.Model)
	return redirect(c, "/workspace/lineage")
}

// ---- notifications ----

type notificationsPage struct {
	Page
	N catalog.NotificationPage
}

func (f *Frontend) notifications(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.notifications")
	n, err := f.svc.Notifications(c.UserContext(), pg.Principal, false, 0, 100)
	if err != nil {
		return err
	}
	return f.render(c, http.StatusOK, "notifications", notificationsPage{Page: pg, N: n})
}

func (f *Frontend) readAll(c *fiber.Ctx) error {
	if _, err := f.svc.MarkAllRead(c.UserContext(), f.deps.Principal(c)); err != nil {
		return err
	}
	return redirect(c, "/workspace/notifications")
}

func (f *Frontend) readOne(c *fiber.Ctx) error {
	n, err := f.svc.MarkRead(c.UserContext(), f.deps.Principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	if l := pageLink(n); l != "" {
		return redirect(c, l)
	}
	return redirect(c, "/workspace/notifications")
}

// pageLink is the page a notification leads to. Notifications name the API
// object they are about; people go to the page that shows it.
func pageLink(n catalog.Notification) string {
	l := n.Link
	if !strings.HasPrefix(l, "/") || strings.HasPrefix(l, "//") {
		return ""
	}
	switch {
	case strings.HasPrefix(l, "/api/v1/datasets/"):
		return "/datasets/" + strings.TrimPrefix(l, "/api/v1/datasets/")
	case strings.HasPrefix(l, "/api/v1/access-requests/"):
		if n.Kind == "access-request.received" || n.Kind == "access-request.awaiting-bureau" || n.Kind == "access-request.withdrawn" {
			return "/workspace/reviews"
		}
		return "/workspace/requests"
	case strings.HasPrefix(l, "/api/v1/grants/"):
		if n.Kind == "use-report.filed" {
			return "/workspace/grants?role=provider"
		}
		return "/workspace/grants"
	case strings.HasPrefix(l, "/api/"):
		return ""
	}
	return l
}

// PageLink is pageLink for templates.
func (notificationsPage) PageLink(n catalog.Notification) string { return pageLink(n) }
