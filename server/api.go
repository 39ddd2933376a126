package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dataportal/catalog"
)

// route is one API endpoint: how Fiber serves it and how the OpenAPI
// document describes it. Both come from this one table.
type route struct {
	method, path string // Fiber path, :name for parameters
	summary      string
	tag          string
	signedIn     bool    // the coarse check; the service decides the rest
	body         any     // request body example type, nil for none
	resp         any     // 2xx response body example type, nil for none
	status       int     // success status, 200 by default
	query        []param // query parameters
	rawBody      string  // media type of a request body that is not JSON (an upload)
	rawResp      string  // media type of a response that is not JSON (a download)
	handler      fiber.Handler
}

type param struct {
	name, help string
	kind       string // string, integer, boolean
	required   bool
	many       bool // may repeat
}

// MeResponse is the signed-in user with their organisation.
type MeResponse struct {
	User      catalog.User          `json:"user"`
	Org       *catalog.Organization `json:"org,omitempty"`
	CSRFToken string                `json:"csrf_token,omitempty"`
}

// LoginRequest is the body of a sign-in.
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// LoginResponse carries the session token for API clients (the browser
// gets it as an HttpOnly cookie too) and the CSRF token for cookie use.
type LoginResponse struct {
	Token     string                `json:"token"`
	ExpiresAt time.Time             `json:"expires_at"`
	CSRFToken string                `json:"csrf_token"`
	User      catalog.User          `json:"user"`
	Org       *catalog.Organization `json:"org,omitempty"`
}

// TokenRequest is the body of a personal token creation.
type TokenRequest struct {
	Name          string `json:"name"`
	ExpiresInDays int    `json:"expires_in_days"`
}

// DatasetResponse is a dataset with what the caller may do with it.
type DatasetResponse struct {
	catalog.Dataset
	Permissions map[catalog.Action]bool `json:"permissions"`
}

// DatasetList is a page of datasets.
type DatasetList struct {
	Total   int64             `json:"total"`
	Page    int               `json:"page"`
	PerPage int               `json:"per_page"`
	Items   []catalog.Dataset `json:"items"`
}

// WithdrawRequest is the body of a withdrawal.
type WithdrawRequest struct {
	Reason string `json:"reason"`
}

// TierRequest is the body of a tier confirmation.
type TierRequest struct {
	Tier   catalog.Tier `json:"tier"`
	Reason string       `json:"reason"`
}

// VerifyRequest is the body of an organisation verification.
type VerifyRequest struct {
	Verified bool `json:"verified"`
}

// OrgList is a page of organisations.
type OrgList struct {
	Total int64                  `json:"total"`
	Items []catalog.Organization `json:"items"`
}

// Vocabularies are the controlled vocabularies with their labels.
type Vocabularies map[string]catalog.Vocabulary

func (a *App) routes() []route {
	pageParams := []param{
		{name: "page", kind: "integer", help: "page number, from 1"},
		{name: "per_page", kind: "integer", help: "items per page, 1–100 (default 20)"},
	}
	searchParams := append([]param{
		{name: "q", help: "query text, Chinese or English"},
		{name: "sort", help: "relevance, newest or title"},
		{name: "status", help: "published (default); draft or withdrawn for those allowed to see them"},
	}, pageParams...)
	for _, f := range catalog.Facets {
		searchParams = append(searchParams, param{name: f, many: true, help: "filter on the " + f + " facet; repeat or separate with commas for alternatives"})
	}
	routes := []route{
		{method: "POST", path: "/auth/login", tag: "auth", summary: "Sign in; sets the session cookie and returns a bearer token", body: LoginRequest{}, resp: LoginResponse{}, handler: a.login},
		{method: "POST", path: "/auth/logout", tag: "auth", summary: "End the current session", status: http.StatusNoContent, handler: a.logout},
		{method: "GET", path: "/me", tag: "auth", summary: "The signed-in user", signedIn: true, resp: MeResponse{}, handler: a.me},
		{method: "POST", path: "/me/password", tag: "auth", summary: "Change my password; my other sessions end", signedIn: true, body: PasswordChange{}, status: http.StatusNoContent, handler: a.changePassword},
		{method: "POST", path: "/users/:id/password", tag: "accounts", summary: "Set a user's password (administrators); the user's sessions end", signedIn: true, body: PasswordSet{}, status: http.StatusNoContent, handler: a.setPassword},
		{method: "POST", path: "/tokens", tag: "auth", summary: "Create a personal API token (shown once)", signedIn: true, body: TokenRequest{}, resp: catalog.NewToken{}, status: http.StatusCreated, handler: a.createToken},
		{method: "GET", path: "/tokens", tag: "auth", summary: "List my API tokens", signedIn: true, resp: []catalog.APIToken{}, handler: a.listTokens},
		{method: "DELETE", path: "/tokens/:id", tag: "auth", summary: "Revoke one of my API tokens", signedIn: true, status: http.StatusNoContent, handler: a.revokeToken},

		{method: "GET", path: "/search", tag: "search", summary: "Search datasets; hits, total and facets only count what the caller may see", query: searchParams, resp: catalog.SearchResponse{}, handler: a.search},
		{method: "GET", path: "/suggest", tag: "search", summary: "Search-as-you-type proposals, filtered like search", query: []param{{name: "q", help: "partly typed query"}}, resp: []catalog.Suggestion{}, handler: a.suggest},
		{method: "GET", path: "/vocabularies", tag: "search", summary: "Controlled vocabularies with Chinese and English labels", resp: Vocabularies{}, handler: a.vocabularies},

		{method: "POST", path: "/datasets", tag: "datasets", summary: "Register a draft dataset (providers)", signedIn: true, body: catalog.NewDataset{}, resp: DatasetResponse{}, status: http.StatusCreated, handler: a.createDataset},
		{method: "GET", path: "/datasets", tag: "datasets", summary: "List my organisation's datasets (scope=mine) or the bureau's tier queue (scope=awaiting)", signedIn: true,
			query: append([]param{{name: "scope", help: "mine (default) or awaiting"}, {name: "status", help: "draft, published or withdrawn"}}, pageParams...), resp: DatasetList{}, handler: a.listDatasets},
		{method: "GET", path: "/datasets/:id", tag: "datasets", summary: "A dataset; 404 when it does not exist or the caller may not see it", resp: DatasetResponse{}, handler: a.getDataset},
		{method: "PATCH", path: "/datasets/:id", tag: "datasets", summary: "Change a dataset with a JSON merge patch; send If-Match with the ETag", signedIn: true, body: catalog.DatasetFields{}, resp: DatasetResponse{}, handler: a.patchDataset},
		{method: "POST", path: "/datasets/:id/publish", tag: "datasets", summary: "Publish a draft", signedIn: true, resp: DatasetResponse{}, handler: a.publishDataset},
		{method: "POST", path: "/datasets/:id/withdraw", tag: "datasets", summary: "Withdraw a published dataset", signedIn: true, body: WithdrawRequest{}, resp: DatasetResponse{}, handler: a.withdrawDataset},
		{method: "POST", path: "/datasets/:id/tier-confirmation", tag: "datasets", summary: "Confirm, raise or lower the tier (bureau)", signedIn: true, body: TierRequest{}, resp: DatasetResponse{}, handler: a.confirmTier},
		{method: "POST", path: "/datasets/:id/versions", tag: "datasets", summary: "Record a new version", signedIn: true, body: catalog.NewVersion{}, resp: DatasetResponse{}, status: http.StatusCreated, handler: a.addVersion},
		{method: "GET", path: "/datasets/:id/explain", tag: "datasets", summary: "Whether the caller may do an action, the rule that decided and why",
			query: []param{{name: "action", required: true, help: "view, download, edit, publish, withdraw, request, decide, confirm-tier, lower-tier"}}, resp: catalog.Decision{}, handler: a.explain},

		{method: "GET", path: "/audit", tag: "audit", summary: "Page through the audit trail by object, actor and time range (bureau, administrators)", signedIn: true,
			query: []param{{name: "object", help: "e.g. dataset:js-ct-2026"}, {name: "actor", help: "user id"}, {name: "from", help: "RFC 3339 time, inclusive"},
				{name: "to", help: "RFC 3339 time, exclusive"}, {name: "after", kind: "integer", help: "continue after this sequence number"}, {name: "per_page", kind: "integer", help: "1–500 (default 100)"}},
			resp: catalog.AuditPage{}, handler: a.auditLog},
		{method: "GET", path: "/orgs", tag: "accounts", summary: "List organisations", query: append([]param{{name: "kind", help: "provider, developer, bureau or operator"}}, pageParams...), resp: OrgList{}, handler: a.listOrgs},
		{method: "GET", path: "/orgs/:id", tag: "accounts", summary: "An organisation", resp: catalog.Organization{}, handler: a.getOrg},
		{method: "POST", path: "/orgs", tag: "accounts", summary: "Register an organisation (administrators)", signedIn: true, body: catalog.NewOrganization{}, resp: catalog.Organization{}, status: http.StatusCreated, handler: a.createOrg},
		{method: "POST", path: "/orgs/:id/verification", tag: "accounts", summary: "Verify an organisation (bureau, administrators)", signedIn: true, body: VerifyRequest{}, resp: catalog.Organization{}, handler: a.verifyOrg},
		{method: "POST", path: "/users", tag: "accounts", summary: "Create a user (administrators)", signedIn: true, body: catalog.NewUser{}, resp: catalog.User{}, status: http.StatusCreated, handler: a.createUser},
	}
	// Each feature's routes (server/api_<feature>.go), one line each.
	routes = append(routes, a.filesRoutes()...)
	routes = append(routes, a.exportRoutes()...)
	routes = append(routes, a.exchangeRoutes()...)
	routes = append(routes, append(a.listsRoutes(), a.needsRoutes()...)...)
	return routes
}

// decodeBody reads a JSON request body strictly into v.
func decodeBody(c *fiber.Ctx, v any) error {
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	if ct != "" && !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/merge-patch+json") {
		return fiber.NewError(http.StatusUnsupportedMediaType)
	}
	return catalog.DecodeStrict(c.Body(), v)
}

// ifMatch parses If-Match into a content revision; 0 when absent or "*".
func ifMatch(c *fiber.Ctx) (int64, error) {
	h := strings.TrimSpace(c.Get(fiber.HeaderIfMatch))
	if h == "" || h == "*" {
		return 0, nil
	}
	h = strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	n, err := strconv.ParseInt(h, 10, 64)
	if err != nil || n <= 0 {
		return 0, &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("If-Match 须为数据集的 ETag", "If-Match must be the dataset's ETag")}
	}
	return n, nil
}

// pageQuery reads page and per_page.
func pageQuery(c *fiber.Ctx) (page, perPage int, err error) {
	var v catalog.Validation
	page, perPage = 1, 20
	if s := c.Query("page"); s != "" {
		if page, err = strconv.Atoi(s); err != nil || page < 1 {
			v.Add("page", "integer", "页码须为正整数", "page must be a positive integer")
		}
	}
	if s := c.Query("per_page"); s != "" {
		if perPage, err = strconv.Atoi(s); err != nil || perPage < 1 || perPage > 100 {
			v.Add("per_page", "range", "每页条数须为 1–100 的整数", "per_page must be an integer from 1 to 100")
		}
	}
	if page > 1_000_000 {
		v.Add("page", "range", "页码过大", "page is too large")
	}
	return page, perPage, v.Err()
}

func (a *App) login(c *fiber.Ctx) error {
	var in LoginRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	res, err := a.svc.Login(c.UserContext(), in.Email, in.Password, c.IP(), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	a.setSessionCookie(c, res.Token, res.Session.ExpiresAt)
	return c.JSON(LoginResponse{Token: res.Token, ExpiresAt: res.Session.ExpiresAt, CSRFToken: res.Session.CSRF, User: res.User, Org: res.Org})
}

func (a *App) logout(c *fiber.Ctx) error {
	if err := a.svc.Logout(c.UserContext(), principal(c)); err != nil {
		return err
	}
	a.clearSessionCookie(c)
	return c.SendStatus(http.StatusNoContent)
}

func (a *App) me(c *fiber.Ctx) error {
	p := principal(c)
	return c.JSON(MeResponse{User: *p.User, Org: p.Org, CSRFToken: p.CSRF})
}

func (a *App) createToken(c *fiber.Ctx) error {
	var in TokenRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if in.ExpiresInDays < 0 || in.ExpiresInDays > 1825 {
		return &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("有效期须在 0–1825 天之间", "expiry must be 0–1825 days"),
			Fields: []catalog.FieldError{{Field: "expires_in_days", Code: "range", Message: catalog.T("0–1825 天", "0–1825 days")}}}
	}
	t, err := a.svc.CreateToken(c.UserContext(), principal(c), in.Name, time.Duration(in.ExpiresInDays)*24*time.Hour)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(http.StatusCreated).JSON(t)
}

func (a *App) listTokens(c *fiber.Ctx) error {
	ts, err := a.svc.Tokens(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(ts)
}

func (a *App) revokeToken(c *fiber.Ctx) error {
	if err := a.svc.RevokeToken(c.UserContext(), principal(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

// searchRequest reads the search parameters; facet filters may repeat or
// be comma-separated.
func searchRequest(c *fiber.Ctx) (catalog.SearchRequest, error) {
	page, perPage, err := pageQuery(c)
	if err != nil {
		return catalog.SearchRequest{}, err
	}
	r := catalog.SearchRequest{Q: c.Query("q"), Sort: c.Query("sort"), Status: c.Query("status"), Page: page, PerPage: perPage, Filters: map[string][]string{}}
	args := c.Context().QueryArgs()
	for _, f := range catalog.Facets {
		for _, raw := range args.PeekMulti(f) {
			for _, v := range strings.Split(string(raw), ",") {
				if v = strings.TrimSpace(v); v != "" {
					r.Filters[f] = append(r.Filters[f], v)
				}
			}
		}
	}
	return r, nil
}

func (a *App) search(c *fiber.Ctx) error {
	r, err := searchRequest(c)
	if err != nil {
		return err
	}
	res, err := a.svc.Search(c.UserContext(), principal(c), r)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (a *App) vocabularies(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.JSON(Vocabularies{"domain": catalog.Domains, "modality": catalog.Modalities, "tier": catalog.Tiers,
		"task": catalog.Tasks, "status": catalog.Statuses, "org_kind": catalog.OrgKinds, "role": catalog.Roles})
}

// datasetResponse answers with the dataset, its ETag and the caller's permissions.
func (a *App) datasetResponse(c *fiber.Ctx, d catalog.Dataset, status int) error {
	perms, err := a.svc.Permissions(c.UserContext(), principal(c), &d)
	if err != nil {
		return err
	}
	resp := DatasetResponse{Dataset: d, Permissions: map[catalog.Action]bool{}}
	for act, dec := range perms {
		resp.Permissions[act] = dec.Allowed
	}
	c.Set(fiber.HeaderETag, `"`+strconv.FormatInt(d.Rev, 10)+`"`)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.Status(status).JSON(resp)
}

func (a *App) createDataset(c *fiber.Ctx) error {
	var in catalog.NewDataset
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	d, err := a.svc.CreateDataset(c.UserContext(), principal(c), in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/datasets/" + d.ID)
	return a.datasetResponse(c, d, http.StatusCreated)
}

func (a *App) listDatasets(c *fiber.Ctx) error {
	page, perPage, err := pageQuery(c)
	if err != nil {
		return err
	}
	items, total, err := a.svc.ListDatasets(c.UserContext(), principal(c), catalog.DatasetListQuery{
		Scope: c.Query("scope"), Status: c.Query("status"), Offset: (page - 1) * perPage, Limit: perPage})
	if err != nil {
		return err
	}
	if items == nil {
		items = []catalog.Dataset{}
	}
	return c.JSON(DatasetList{Total: total, Page: page, PerPage: perPage, Items: items})
}

func (a *App) getDataset(c *fiber.Ctx) error {
	d, err := a.svc.Dataset(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm == `"`+strconv.FormatInt(d.Rev, 10)+`"` {
		c.Set(fiber.HeaderETag, inm)
		return c.SendStatus(http.StatusNotModified)
	}
	return a.datasetResponse(c, d, http.StatusOK)
}

func (a *App) patchDataset(c *fiber.Ctx) error {
	rev, err := ifMatch(c)
	if err != nil {
		return err
	}
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	if ct != "" && !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/merge-patch+json") {
		return fiber.NewError(http.StatusUnsupportedMediaType)
	}
	d, err := a.svc.PatchDataset(c.UserContext(), principal(c), c.Params("id"), rev, c.Body())
	if err != nil {
		return err
	}
	return a.datasetResponse(c, d, http.StatusOK)
}

func (a *App) publishDataset(c *fiber.Ctx) error {
	rev, err := ifMatch(c)
	if err != nil {
		return err
	}
	d, err := a.svc.PublishDataset(c.UserContext(), principal(c), c.Params("id"), rev)
	if err != nil {
		return err
	}
	return a.datasetResponse(c, d, http.StatusOK)
}

func (a *App) withdrawDataset(c *fiber.Ctx) error {
	rev, err := ifMatch(c)
	if err != nil {
		return err
	}
	var in WithdrawRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	d, err := a.svc.WithdrawDataset(c.UserContext(), principal(c), c.Params("id"), in.Reason, rev)
	if err != nil {
		return err
	}
	return a.datasetResponse(c, d, http.StatusOK)
}

func (a *App) confirmTier(c *fiber.Ctx) error {
	rev, err := ifMatch(c)
	if err != nil {
		return err
	}
	var in TierRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	d, err := a.svc.ConfirmTier(c.UserContext(), principal(c), c.Params("id"), in.Tier, in.Reason, rev)
	if err != nil {
		return err
	}
	return a.datasetResponse(c, d, http.StatusOK)
}

func (a *App) addVersion(c *fiber.Ctx) error {
	rev, err := ifMatch(c)
	if err != nil {
		return err
	}
	var in catalog.NewVersion
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	d, err := a.svc.AddVersion(c.UserContext(), principal(c), c.Params("id"), in, rev)
	if err != nil {
		return err
	}
	return a.datasetResponse(c, d, http.StatusCreated)
}

func (a *App) explain(c *fiber.Ctx) error {
	act := c.Query("action")
	if act == "" {
		return &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("缺少 action 参数", "the action parameter is required"),
			Fields: []catalog.FieldError{{Field: "action", Code: "required", Message: catalog.T("必填", "required")}}}
	}
	d, err := a.svc.Explain(c.UserContext(), principal(c), c.Params("id"), catalog.Action(act))
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (a *App) listOrgs(c *fiber.Ctx) error {
	page, perPage, err := pageQuery(c)
	if err != nil {
		return err
	}
	kind := c.Query("kind")
	if kind != "" && !catalog.OrgKinds.Has(kind) {
		return &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("未知的机构类型", "unknown organisation kind"),
			Fields: []catalog.FieldError{{Field: "kind", Code: "vocabulary", Message: catalog.T("未知的机构类型", "unknown kind")}}}
	}
	items, total, err := a.svc.Organizations(c.UserContext(), kind, (page-1)*perPage, perPage)
	if err != nil {
		return err
	}
	return c.JSON(OrgList{Total: total, Items: items})
}

func (a *App) getOrg(c *fiber.Ctx) error {
	o, err := a.svc.Organization(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(o)
}

func (a *App) createOrg(c *fiber.Ctx) error {
	var in catalog.NewOrganization
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	o, err := a.svc.CreateOrganization(c.UserContext(), principal(c), in)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(o)
}

func (a *App) verifyOrg(c *fiber.Ctx) error {
	var in VerifyRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	o, err := a.svc.VerifyOrganization(c.UserContext(), principal(c), c.Params("id"), in.Verified)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

func (a *App) createUser(c *fiber.Ctx) error {
	var in catalog.NewUser
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	u, err := a.svc.CreateUser(c.UserContext(), principal(c), in)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(u)
}

// health answers /healthz: the process is alive.
func (a *App) health(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

func (a *App) auditLog(c *fiber.Ctx) error {
	var v catalog.Validation
	q := catalog.AuditQuery{Object: c.Query("object"), Actor: c.Query("actor"), Limit: 100}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := c.Query(f.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				v.Add(f.name, "time", "须为 RFC 3339 时间，如 2026-11-01T00:00:00+08:00", "must be an RFC 3339 time such as 2026-11-01T00:00:00+08:00")
			}
			*f.dst = t
		}
	}
	if s := c.Query("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			v.Add("after", "integer", "须为非负整数", "must be a non-negative integer")
		}
		q.After = n
	}
	if s := c.Query("per_page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			v.Add("per_page", "integer", "须为整数", "must be an integer")
		}
		q.Limit = n
	}
	if err := v.Err(); err != nil {
		return err
	}
	page, err := a.svc.AuditLog(c.UserContext(), principal(c), q)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (a *App) suggest(c *fiber.Ctx) error {
	out, err := a.svc.Suggest(c.UserContext(), principal(c), c.Query("q"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, max-age=30")
	return c.JSON(out)
}

// PasswordChange is the body of a password change.
type PasswordChange struct {
	CurrentPassword string `json:"current_password"`
	Password        string `json:"password"`
}

// PasswordSet is the body of an administrator's password reset.
type PasswordSet struct {
	Password string `json:"password"`
}

func (a *App) changePassword(c *fiber.Ctx) error {
	var in PasswordChange
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if err := a.svc.ChangePassword(c.UserContext(), principal(c), in.CurrentPassword, in.Password); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

func (a *App) setPassword(c *fiber.Ctx) error {
	var in PasswordSet
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if err := a.svc.SetPassword(c.UserContext(), principal(c), c.Params("id"), in.Password); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}
