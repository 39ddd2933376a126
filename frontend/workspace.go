package frontend

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dataportal/catalog"
)

// registerWorkspace adds the pages of signed-in users: providers' datasets,
// tokens, the bureau's queues and the audit log, administration.
func (f *Frontend) registerWorkspace(r fiber.Router) {
	w := r.Group("/workspace", f.requireSignIn)
	w.Get("/", f.workspace)
	w.Get("/datasets", f.myDatasets)
	w.Get("/datasets/new", f.newDatasetForm)
	w.Post("/datasets", f.createDataset)
	w.Get("/datasets/:id/edit", f.editDatasetForm)
	w.Post("/datasets/:id/edit", f.editDataset)
	w.Post("/datasets/:id/publish", f.publishDataset)
	w.Post("/datasets/:id/withdraw", f.withdrawDataset)
	w.Get("/account", f.account)
	w.Post("/account/password", f.changePassword)
	w.Get("/tokens", f.tokens)
	w.Post("/tokens", f.createToken)
	w.Post("/tokens/:id/revoke", f.revokeToken)
	w.Get("/tiers", f.tierQueue)
	w.Post("/tiers/:id", f.confirmTier)
	w.Get("/audit", f.auditLog)
	w.Get("/orgs", f.orgs)
	w.Post("/orgs", f.createOrg)
	w.Post("/orgs/:id/verify", f.verifyOrg)
	w.Get("/users", f.users)
	w.Post("/users", f.createUser)
	w.Post("/users/:id/status", f.setUserStatus)
	f.registerExchange(w)
	f.registerListEditor(w)
	f.registerResponses(w)
	f.registerListWork(w)
}

// requireSignIn sends anonymous visitors to the sign-in page and back.
func (f *Frontend) requireSignIn(c *fiber.Ctx) error {
	if !f.deps.Principal(c).SignedIn() {
		return redirect(c, "/signin?next="+url.QueryEscape(c.OriginalURL()))
	}
	return c.Next()
}

// workspacePage is the dashboard: the sections the user's roles open.
type workspacePage struct {
	Page
	Sections []string
}

func (f *Frontend) workspace(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.title")
	v := workspacePage{Page: pg}
	if pg.Has(catalog.RoleProvider) {
		v.Sections = append(v.Sections, "datasets", "reviews", "responses", "matches")
	}
	if pg.Has(catalog.RoleBureau) {
		v.Sections = append(v.Sections, "reviews", "tiers", "lists", "deliveries", "need-groups", "matches", "stats", "audit")
	}
	if pg.Has(catalog.RoleAdmin) {
		v.Sections = append(v.Sections, "orgs", "users", "stats", "audit")
	}
	if pg.Has(catalog.RoleDeveloper) {
		v.Sections = append(v.Sections, "needs")
	}
	v.Sections = append(v.Sections, "requests", "grants", "lineage", "notifications", "tokens", "account")
	seen := map[string]bool{}
	out := v.Sections[:0]
	for _, s := range v.Sections {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	v.Sections = out
	return f.render(c, http.StatusOK, "workspace", v)
}

// ---- datasets of my organisation ----

type datasetsPage struct {
	Page
	Items   []catalog.Dataset
	Total   int64
	Status  string
	PageNo  int
	HasNext bool
}

func pageNumber(c *fiber.Ctx) int {
	n, err := strconv.Atoi(c.Query("page", "1"))
	if err != nil || n < 1 || n > 100000 {
		return 1
	}
	return n
}

func (f *Frontend) myDatasets(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.datasets")
	n, status := pageNumber(c), c.Query("status")
	items, total, err := f.svc.ListDatasets(c.UserContext(), pg.Principal, catalog.DatasetListQuery{Scope: "mine", Status: status, Offset: (n - 1) * 20, Limit: 20})
	if err != nil {
		return err
	}
	return f.render(c, http.StatusOK, "my_datasets", datasetsPage{Page: pg, Items: items, Total: total, Status: status, PageNo: n, HasNext: int64(n*20) < total})
}

// datasetForm is the data of the register/edit form.
type datasetForm struct {
	Page
	Edit   bool
	ID     string
	Rev    int64
	F      catalog.DatasetFields
	Text   map[string]string // list fields as typed
	Errors map[string][]catalog.Text
	Error  string
}

// listSplit splits a typed list on commas (ASCII or Chinese), semicolons,
// the ideographic enumeration comma and line breaks.
var listSplit = regexp.MustCompile(`[,，;；、\n\r]+`)

func splitList(s string) []string {
	var out []string
	for _, p := range listSplit.Split(s, -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// formFields reads the dataset form. Numbers that do not parse are
// reported like any other field error.
func formFields(c *fiber.Ctx) (catalog.DatasetFields, map[string]string, *catalog.Validation) {
	var v catalog.Validation
	text := map[string]string{}
	for _, k := range []string{"languages", "keywords", "formats", "list_items", "records", "bytes"} {
		text[k] = c.FormValue(k)
	}
	f := catalog.DatasetFields{
		Title: c.FormValue("title"), TitleEn: c.FormValue("title_en"),
		Description: c.FormValue("description"), DescriptionEn: c.FormValue("description_en"),
		Domain: c.FormValue("domain"), Modality: c.FormValue("modality"), Tier: catalog.Tier(c.FormValue("tier")),
		License: c.FormValue("license"), PersonalInfo: c.FormValue("personal_info") == "on",
		Languages: splitList(text["languages"]), Keywords: splitList(text["keywords"]),
		Formats: splitList(text["formats"]), ListItems: splitList(text["list_items"]),
	}
	for _, t := range c.Context().PostArgs().PeekMulti("tasks") {
		f.Tasks = append(f.Tasks, string(t))
	}
	if m, by, at := c.FormValue("deid_method"), c.FormValue("deid_by"), c.FormValue("deid_at"); m != "" || by != "" || at != "" {
		f.Deidentification = &catalog.Deidentification{Method: m, AttestedBy: by, AttestedAt: at}
	}
	if n, r, d := c.FormValue("ip_number"), c.FormValue("ip_registry"), c.FormValue("ip_date"); n != "" || r != "" || d != "" {
		f.IPRegistration = &catalog.IPRegistration{Number: n, Registry: r, Date: d}
	}
	for _, n := range []struct {
		key   string
		field string
		dst   *int64
	}{{"records", "size.records", &f.Size.Records}, {"bytes", "size.bytes", &f.Size.Bytes}} {
		if s := strings.TrimSpace(text[n.key]); s != "" {
			x, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
			if err != nil {
				v.Add(n.field, "integer", "须为整数", "must be a whole number")
			}
			*n.dst = x
		}
	}
	return f, text, &v
}

func textOf(f catalog.DatasetFields) map[string]string {
	return map[string]string{
		"languages": strings.Join(f.Languages, ", "), "keywords": strings.Join(f.Keywords, ", "),
		"formats": strings.Join(f.Formats, ", "), "list_items": strings.Join(f.ListItems, ", "),
		"records": strconv.FormatInt(f.Size.Records, 10), "bytes": strconv.FormatInt(f.Size.Bytes, 10),
	}
}

func (f *Frontend) newDatasetForm(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	if _, err := f.svc.MayRegisterDataset(c.UserContext(), pg.Principal, catalog.TierOpen); err != nil {
		return err
	}
	pg.Title = pg.T("ws.new_dataset")
	return f.render(c, http.StatusOK, "dataset_form", datasetForm{Page: pg, F: catalog.DatasetFields{Tier: catalog.TierOpen, License: "CC-BY-4.0"}, Text: map[string]string{}})
}

// formError re-renders the form with the errors next to their fields, or
// returns the error when it is not about the input.
func (f *Frontend) formError(c *fiber.Ctx, v datasetForm, err error) error {
	if fe, ok := fieldErrors(err); ok {
		v.Errors = fe
		v.Error = v.L(err.(*catalog.Error).Message)
		return f.render(c, http.StatusUnprocessableEntity, "dataset_form", v)
	}
	var de *catalog.Error
	if e, ok := err.(*catalog.Error); ok {
		de = e
	}
	if de != nil && (de.Kind == catalog.KindPrecondition || de.Kind == catalog.KindConflict || de.Kind == catalog.KindInvalid) {
		v.Error = v.L(de.Message)
		return f.render(c, http.StatusConflict, "dataset_form", v)
	}
	return err
}

func (f *Frontend) createDataset(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.new_dataset")
	fields, text, val := formFields(c)
	v := datasetForm{Page: pg, ID: strings.TrimSpace(c.FormValue("id")), F: fields, Text: text}
	if err := val.Err(); err != nil {
		return f.formError(c, v, err)
	}
	d, err := f.svc.CreateDataset(c.UserContext(), pg.Principal, catalog.NewDataset{ID: v.ID, DatasetFields: fields})
	if err != nil {
		return f.formError(c, v, err)
	}
	f.setFlash(c, "ok", "flash.dataset_created", d.Title)
	return redirect(c, "/datasets/"+url.PathEscape(d.ID))
}

func (f *Frontend) editDatasetForm(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	d, err := f.svc.Dataset(c.UserContext(), pg.Principal, c.Params("id"))
	if err != nil {
		return err
	}
	pg.Title = pg.T("ws.edit_dataset", "T", d.Title)
	return f.render(c, http.StatusOK, "dataset_form", datasetForm{Page: pg, Edit: true, ID: d.ID, Rev: d.Rev, F: d.DatasetFields, Text: textOf(d.DatasetFields)})
}

func (f *Frontend) editDataset(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	id := c.Params("id")
	fields, text, val := formFields(c)
	rev, _ := strconv.ParseInt(c.FormValue("rev"), 10, 64)
	pg.Title = pg.T("ws.edit_dataset", "T", fields.Title)
	v := datasetForm{Page: pg, Edit: true, ID: id, Rev: rev, F: fields, Text: text}
	if err := val.Err(); err != nil {
		return f.formError(c, v, err)
	}
	patch, err := json.Marshal(fields)
	if err != nil {
		return catalog.Internal(err, "encode form")
	}
	// The form holds every writable field: a merge patch of all of them,
	// with null for the optional records the form left empty.
	var m map[string]any
	_ = json.Unmarshal(patch, &m)
	for _, k := range []string{"deidentification", "ip_registration"} {
		if _, ok := m[k]; !ok {
			m[k] = nil
		}
	}
	patch, _ = json.Marshal(m)
	d, err := f.svc.PatchDataset(c.UserContext(), pg.Principal, id, rev, patch)
	if err != nil {
		return f.formError(c, v, err)
	}
	f.setFlash(c, "ok", "flash.dataset_saved", d.Title)
	return redirect(c, "/datasets/"+url.PathEscape(d.ID))
}

func (f *Frontend) publishDataset(c *fiber.Ctx) error {
	p := f.deps.Principal(c)
	d, err := f.svc.PublishDataset(c.UserContext(), p, c.Params("id"), 0)
	if err != nil {
		return err
	}
	f.setFlash(c, "ok", "flash.dataset_published", d.Title)
	return redirect(c, "/datasets/"+url.PathEscape(d.ID))
}

func (f *Frontend) withdrawDataset(c *fiber.Ctx) error {
	p := f.deps.Principal(c)
	d, err := f.svc.WithdrawDataset(c.UserContext(), p, c.Params("id"), c.FormValue("reason"), 0)
	if err != nil {
		if fe, ok := fieldErrors(err); ok && len(fe["reason"]) > 0 {
			f.setFlash(c, "error", "flash.reason_required")
			return redirect(c, "/datasets/"+url.PathEscape(c.Params("id")))
		}
		return err
	}
	f.setFlash(c, "ok", "flash.dataset_withdrawn", d.Title)
	return redirect(c, "/datasets/"+url.PathEscape(d.ID))
}

// ---- personal API tokens ----

type tokensPage struct {
	Page
	Tokens []catalog.APIToken
	// Secret is a token just created: shown on this response only.
	Secret string
	Errors map[string][]catalog.Text
}

func (f *Frontend) tokens(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.tokens")
	ts, err := f.svc.Tokens(c.UserContext(), pg.Principal)
	if err != nil {
		return err
	}
	return f.render(c, http.StatusOK, "tokens", tokensPage{Page: pg, Tokens: ts})
}

func (f *Frontend) createToken(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.tokens")
	days, _ := strconv.Atoi(c.FormValue("days", "0"))
	nt, err := f.svc.CreateToken(c.UserContext(), pg.Principal, c.FormValue("name"), time.Duration(days)*24*time.Hour)
	v := tokensPage{Page: pg}
	if err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			return err
		}
		v.Errors = fe
	} else {
		v.Secret = nt.Secret
	}
	if v.Tokens, err = f.svc.Tokens(c.UserContext(), pg.Principal); err != nil {
		return err
	}
	// The secret is in this page only: never cached, never redirected to.
	c.Set(fiber.HeaderCacheControl, "no-store")
	status := http.StatusCreated
	if v.Errors != nil {
		status = http.StatusUnprocessableEntity
	}
	return f.render(c, status, "tokens", v)
}

func (f *Frontend) revokeToken(c *fiber.Ctx) error {
	if err := f.svc.RevokeToken(c.UserContext(), f.deps.Principal(c), c.Params("id")); err != nil {
		return err
	}
	f.setFlash(c, "ok", "flash.token_revoked")
	return redirect(c, "/workspace/tokens")
}

// ---- the bureau: tier confirmation queue and audit log ----

type tierQueuePage struct {
	Page
	Items []catalog.Dataset
	Total int64
}

func (f *Frontend) tierQueue(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.tiers")
	items, total, err := f.svc.ListDatasets(c.UserContext(), pg.Principal, catalog.DatasetListQuery{Scope: "awaiting", Limit: 100})
	if err != nil {
		return err
	}
	return f.render(c, http.StatusOK, "tiers", tierQueuePage{Page: pg, Items: items, Total: total})
}

func (f *Frontend) confirmTier(c *fiber.Ctx) error {
	p := f.deps.Principal(c)
	d, err := f.svc.ConfirmTier(c.UserContext(), p, c.Params("id"), catalog.Tier(c.FormValue("tier")), c.FormValue("reason"), 0)
	if err != nil {
		return err
	}
	f.setFlash(c, "ok", "flash.tier_confirmed", d.Title)
	return redirect(c, "/workspace/tiers")
}

type auditPage struct {
	Page
	Q      catalog.AuditQuery
	Events []catalog.AuditEvent
	Next   int64
	Error  string
}

func (f *Frontend) auditLog(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.audit")
	q := catalog.AuditQuery{Object: strings.TrimSpace(c.Query("object")), Actor: strings.TrimSpace(c.Query("actor")), Limit: 50}
	q.After, _ = strconv.ParseInt(c.Query("after"), 10, 64)
	v := auditPage{Page: pg, Q: q}
	for _, d := range []struct {
		key string
		dst *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := c.Query(d.key); s != "" {
			t, err := time.ParseInLocation("2006-01-02", s, shanghai)
			if err != nil {
				v.Error = pg.T("audit.bad_date")
				continue
			}
			if d.key == "to" {
				t = t.AddDate(0, 0, 1)
			}
			*d.dst = t
		}
	}
	res, err := f.svc.AuditLog(c.UserContext(), pg.Principal, q)
	if err != nil {
		return err
	}
	v.Events, v.Next = res.Events, res.Next
	return f.render(c, http.StatusOK, "audit", v)
}

// ---- administration: organisations and users ----

type orgsPage struct {
	Page
	Orgs   []catalog.Organization
	Total  int64
	In     catalog.NewOrganization
	Errors map[string][]catalog.Text
	Error  string
}

func (f *Frontend) orgsView(c *fiber.Ctx, v orgsPage, status int) error {
	orgs, total, err := f.svc.Organizations(c.UserContext(), "", 0, 100)
	if err != nil {
		return err
	}
	v.Orgs, v.Total = orgs, total
	return f.render(c, status, "orgs", v)
}

func (f *Frontend) orgs(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	if err := f.svc.MayVerifyOrganizations(c.UserContext(), pg.Principal); err != nil {
		return err
	}
	pg.Title = pg.T("ws.orgs")
	return f.orgsView(c, orgsPage{Page: pg, In: catalog.NewOrganization{Kind: "provider"}}, http.StatusOK)
}

func (f *Frontend) createOrg(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.orgs")
	in := catalog.NewOrganization{Name: c.FormValue("name"), NameEn: c.FormValue("name_en"), CreditCode: c.FormValue("credit_code"),
		Kind: c.FormValue("kind"), Verified: c.FormValue("verified") == "on"}
	if _, err := f.svc.CreateOrganization(c.UserContext(), pg.Principal, in); err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			return err
		}
		return f.orgsView(c, orgsPage{Page: pg, In: in, Errors: fe, Error: pg.L(err.(*catalog.Error).Message)}, http.StatusUnprocessableEntity)
	}
	f.setFlash(c, "ok", "flash.org_created", in.Name)
	return redirect(c, "/workspace/orgs")
}

func (f *Frontend) verifyOrg(c *fiber.Ctx) error {
	o, err := f.svc.VerifyOrganization(c.UserContext(), f.deps.Principal(c), c.Params("id"), c.FormValue("verified") == "true")
	if err != nil {
		return err
	}
	f.setFlash(c, "ok", "flash.org_verified", o.Name)
	return redirect(c, "/workspace/orgs")
}

type usersPage struct {
	Page
	Users  []catalog.User
	Total  int64
	Orgs   []catalog.Organization
	In     catalog.NewUser
	Errors map[string][]catalog.Text
	Error  string
}

func (f *Frontend) usersView(c *fiber.Ctx, v usersPage, status int) error {
	users, total, err := f.svc.Users(c.UserContext(), v.Principal, 0, 100)
	if err != nil {
		return err
	}
	orgs, _, err := f.svc.Organizations(c.UserContext(), "", 0, 200)
	if err != nil {
		return err
	}
	v.Users, v.Total, v.Orgs = users, total, orgs
	return f.render(c, status, "users", v)
}

func (f *Frontend) users(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.users")
	return f.usersView(c, usersPage{Page: pg, In: catalog.NewUser{Roles: []string{catalog.RoleDeveloper}}}, http.StatusOK)
}

func (f *Frontend) createUser(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.users")
	in := catalog.NewUser{Email: c.FormValue("email"), Name: c.FormValue("name"), Password: c.FormValue("password"), OrgID: c.FormValue("org_id")}
	for _, r := range c.Context().PostArgs().PeekMulti("roles") {
		in.Roles = append(in.Roles, string(r))
	}
	if _, err := f.svc.CreateUser(c.UserContext(), pg.Principal, in); err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			return err
		}
		in.Password = ""
		return f.usersView(c, usersPage{Page: pg, In: in, Errors: fe, Error: pg.L(err.(*catalog.Error).Message)}, http.StatusUnprocessableEntity)
	}
	f.setFlash(c, "ok", "flash.user_created", in.Email)
	return redirect(c, "/workspace/users")
}

func (f *Frontend) setUserStatus(c *fiber.Ctx) error {
	u, err := f.svc.SetUserStatus(c.UserContext(), f.deps.Principal(c), c.Params("id"), c.FormValue("status"))
	if err != nil {
		return err
	}
	f.setFlash(c, "ok", "flash.user_status", u.Email)
	return redirect(c, "/workspace/users")
}

// accountPage shows the signed-in user's account and the password form.
type accountPage struct {
	Page
	Errors map[string][]catalog.Text
	Error  string
}

func (f *Frontend) account(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.account")
	return f.render(c, http.StatusOK, "account", accountPage{Page: pg})
}

func (f *Frontend) changePassword(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.account")
	if c.FormValue("password") != c.FormValue("password2") {
		return f.render(c, http.StatusUnprocessableEntity, "account", accountPage{Page: pg,
			Errors: map[string][]catalog.Text{"password2": {catalog.T("两次输入的新密码不一致", "the two new passwords differ")}}})
	}
	if err := f.svc.ChangePassword(c.UserContext(), pg.Principal, c.FormValue("current_password"), c.FormValue("password")); err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			return err
		}
		return f.render(c, http.StatusUnprocessableEntity, "account", accountPage{Page: pg, Errors: fe, Error: pg.L(err.(*catalog.Error).Message)})
	}
	f.setFlash(c, "ok", "flash.password_changed")
	return redirect(c, "/workspace/account")
}
