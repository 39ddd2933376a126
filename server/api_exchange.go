package server

import (
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"dataportal/catalog"
)

// The exchange's endpoints: access requests, grants and use reports,
// notifications, lineage declarations.

// RequestList is a page of access requests.
type RequestList struct {
	Total   int64                   `json:"total"`
	Page    int                     `json:"page"`
	PerPage int                     `json:"per_page"`
	Items   []catalog.AccessRequest `json:"items"`
}

// GrantList is a page of grants.
type GrantList struct {
	Total   int64           `json:"total"`
	Page    int             `json:"page"`
	PerPage int             `json:"per_page"`
	Items   []catalog.Grant `json:"items"`
}

// LineageList is a page of lineage declarations.
type LineageList struct {
	Total   int64                        `json:"total"`
	Page    int                          `json:"page"`
	PerPage int                          `json:"per_page"`
	Items   []catalog.LineageDeclaration `json:"items"`
}

// ReasonRequest is a body carrying a reason (withdrawal, revocation).
type ReasonRequest struct {
	Reason string `json:"reason"`
}

// UnreadCount is the number of unread notifications.
type UnreadCount struct {
	Unread int64 `json:"unread"`
}

// MarkedRead says how many notifications were marked read.
type MarkedRead struct {
	Marked int `json:"marked"`
}

func (a *App) exchangeRoutes() []route {
	pageParams := []param{
		{name: "page", kind: "integer", help: "page number, from 1"},
		{name: "per_page", kind: "integer", help: "items per page, 1–100 (default 20)"},
	}
	return []route{
		{method: "GET", path: "/security-commitment", tag: "exchange", summary: "The security commitment (安全承诺书) in force, with its version", resp: catalog.Commitment{}, handler: a.securityCommitment},
		{method: "GET", path: "/datasets/:id/access-requests/eligibility", tag: "exchange", summary: "Before applying: the requirements met and missing, an open request, the longest duration, the terms to accept",
			resp: catalog.RequestEligibility{}, handler: a.requestEligibility},
		{method: "POST", path: "/datasets/:id/access-requests", tag: "exchange", summary: "Request access to a dataset", signedIn: true,
			body: catalog.NewAccessRequest{}, resp: catalog.AccessRequest{}, status: http.StatusCreated, handler: a.requestAccess},
		{method: "GET", path: "/access-requests", tag: "exchange", summary: "List access requests: mine (role=requester), my organisation's to decide (role=reviewer), the bureau's (role=bureau)", signedIn: true,
			query: append([]param{{name: "role", help: "requester (default), reviewer or bureau"}, {name: "state", help: "open, awaiting-provider, awaiting-bureau, approved, rejected, withdrawn or cancelled"},
				{name: "dataset", help: "dataset id"}}, pageParams...), resp: RequestList{}, handler: a.listRequests},
		{method: "GET", path: "/access-requests/:id", tag: "exchange", summary: "An access request (the requester, its provider organisation, the bureau)", signedIn: true, resp: catalog.AccessRequest{}, handler: a.getRequest},
		{method: "POST", path: "/access-requests/:id/decision", tag: "exchange", summary: "Approve or reject the stage awaiting a decision; If-Match with the request's ETag is optional", signedIn: true,
			body: catalog.DecisionInput{}, resp: catalog.AccessRequest{}, handler: a.decideRequest},
		{method: "POST", path: "/access-requests/:id/withdraw", tag: "exchange", summary: "Withdraw my open request", signedIn: true, body: ReasonRequest{}, resp: catalog.AccessRequest{}, handler: a.withdrawRequest},

		{method: "GET", path: "/grants", tag: "exchange", summary: "List grants: mine (role=grantee), to my organisation's datasets (role=provider), all (role=bureau)", signedIn: true,
			query: append([]param{{name: "role", help: "grantee (default), provider or bureau"}, {name: "state", help: "active, suspended, expired or revoked"},
				{name: "report", help: "due or filed: grants whose use report is in that state"}, {name: "dataset", help: "dataset id"}}, pageParams...), resp: GrantList{}, handler: a.listGrants},
		{method: "GET", path: "/grants/:id", tag: "exchange", summary: "A grant with its use report", signedIn: true, resp: catalog.Grant{}, handler: a.getGrant},
		{method: "POST", path: "/grants/:id/revoke", tag: "exchange", summary: "Revoke a grant with a reason (its provider organisation, the bureau)", signedIn: true, body: ReasonRequest{}, resp: catalog.Grant{}, handler: a.revokeGrant},
		{method: "POST", path: "/grants/:id/use-report", tag: "exchange", summary: "File the use report of an ended grant (the grantee)", signedIn: true, body: catalog.NewUseReport{}, resp: catalog.Grant{}, handler: a.fileUseReport},

		{method: "GET", path: "/notifications", tag: "notifications", summary: "My notifications, newest first, with the unread count", signedIn: true,
			query: append([]param{{name: "unread", kind: "boolean", help: "only unread ones"}}, pageParams...), resp: catalog.NotificationPage{}, handler: a.notifications},
		{method: "GET", path: "/notifications/unread-count", tag: "notifications", summary: "How many of my notifications are unread", signedIn: true, resp: UnreadCount{}, handler: a.unreadCount},
		{method: "POST", path: "/notifications/read-all", tag: "notifications", summary: "Mark all my notifications read", signedIn: true, resp: MarkedRead{}, handler: a.markAllRead},
		{method: "POST", path: "/notifications/:id/read", tag: "notifications", summary: "Mark one of my notifications read", signedIn: true, resp: catalog.Notification{}, handler: a.markRead},

		{method: "POST", path: "/lineage", tag: "exchange", summary: "Declare that a model was trained on a dataset version", signedIn: true,
			body: catalog.NewLineage{}, resp: catalog.LineageDeclaration{}, status: http.StatusCreated, handler: a.declareLineage},
		{method: "GET", path: "/lineage", tag: "exchange", summary: "Lineage declarations: mine, or a dataset's (its provider organisation, the bureau)", signedIn: true,
			query: append([]param{{name: "dataset", help: "dataset id; without it, my own declarations"}}, pageParams...), resp: LineageList{}, handler: a.listLineage},
	}
}

func (a *App) securityCommitment(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.JSON(catalog.SecurityCommitment())
}

func (a *App) requestEligibility(c *fiber.Ctx) error {
	e, err := a.svc.RequestEligibility(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(e)
}

// requestResponse answers with a request and its ETag.
func requestResponse(c *fiber.Ctx, r catalog.AccessRequest, status int) error {
	c.Set(fiber.HeaderETag, `"`+strconv.FormatInt(r.Rev, 10)+`"`)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.Status(status).JSON(r)
}

func (a *App) requestAccess(c *fiber.Ctx) error {
	var in catalog.NewAccessRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	r, err := a.svc.RequestAccess(c.UserContext(), principal(c), c.Params("id"), in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/access-requests/" + r.ID)
	return requestResponse(c, r, http.StatusCreated)
}

func (a *App) listRequests(c *fiber.Ctx) error {
	page, perPage, err := pageQuery(c)
	if err != nil {
		return err
	}
	items, total, err := a.svc.ListAccessRequests(c.UserContext(), principal(c), catalog.RequestListQuery{
		Role: c.Query("role"), State: c.Query("state"), Dataset: c.Query("dataset"), Offset: (page - 1) * perPage, Limit: perPage})
	if err != nil {
		return err
	}
	return c.JSON(RequestList{Total: total, Page: page, PerPage: perPage, Items: items})
}

func (a *App) getRequest(c *fiber.Ctx) error {
	r, err := a.svc.AccessRequestByID(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return requestResponse(c, r, http.StatusOK)
}

func (a *App) decideRequest(c *fiber.Ctx) error {
	rev, err := ifMatch(c)
	if err != nil {
		return err
	}
	var in catalog.DecisionInput
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	r, err := a.svc.DecideRequest(c.UserContext(), principal(c), c.Params("id"), in, rev)
	if err != nil {
		return err
	}
	return requestResponse(c, r, http.StatusOK)
}

func (a *App) withdrawRequest(c *fiber.Ctx) error {
	var in ReasonRequest
	if len(c.Body()) > 0 {
		if err := decodeBody(c, &in); err != nil {
			return err
		}
	}
	r, err := a.svc.WithdrawRequest(c.UserContext(), principal(c), c.Params("id"), in.Reason)
	if err != nil {
		return err
	}
	return requestResponse(c, r, http.StatusOK)
}

func (a *App) listGrants(c *fiber.Ctx) error {
	page, perPage, err := pageQuery(c)
	if err != nil {
		return err
	}
	items, total, err := a.svc.ListGrants(c.UserContext(), principal(c), catalog.GrantListQuery{
		Role: c.Query("role"), State: c.Query("state"), Report: c.Query("report"), Dataset: c.Query("dataset"), Offset: (page - 1) * perPage, Limit: perPage})
	if err != nil {
		return err
	}
	return c.JSON(GrantList{Total: total, Page: page, PerPage: perPage, Items: items})
}

func (a *App) getGrant(c *fiber.Ctx) error {
	g, err := a.svc.GrantByID(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(g)
}

func (a *App) revokeGrant(c *fiber.Ctx) error {
	var in ReasonRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	g, err := a.svc.RevokeGrant(c.UserContext(), principal(c), c.Params("id"), in.Reason)
	if err != nil {
		return err
	}
	return c.JSON(g)
}

func (a *App) fileUseReport(c *fiber.Ctx) error {
	var in catalog.NewUseReport
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	g, err := a.svc.FileUseReport(c.UserContext(), principal(c), c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(g)
}

func (a *App) notifications(c *fiber.Ctx) error {
	page, perPage, err := pageQuery(c)
	if err != nil {
		return err
	}
	unread := false
	if s := c.Query("unread"); s != "" {
		if unread, err = strconv.ParseBool(s); err != nil {
			return &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("unread 须为 true 或 false", "unread must be true or false"),
				Fields: []catalog.FieldError{{Field: "unread", Code: "boolean", Message: catalog.T("须为 true 或 false", "must be true or false")}}}
		}
	}
	out, err := a.svc.Notifications(c.UserContext(), principal(c), unread, (page-1)*perPage, perPage)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(out)
}

func (a *App) unreadCount(c *fiber.Ctx) error {
	n, err := a.svc.UnreadCount(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(UnreadCount{Unread: n})
}

func (a *App) markRead(c *fiber.Ctx) error {
	n, err := a.svc.MarkRead(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(n)
}

func (a *App) markAllRead(c *fiber.Ctx) error {
	n, err := a.svc.MarkAllRead(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(MarkedRead{Marked: n})
}

func (a *App) declareLineage(c *fiber.Ctx) error {
	var in catalog.NewLineage
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	l, err := a.svc.DeclareLineage(c.UserContext(), principal(c), in)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(l)
}

func (a *App) listLineage(c *fiber.Ctx) error {
	page, perPage, err := pageQuery(c)
	if err != nil {
		return err
	}
	items, total, err := a.svc.ListLineage(c.UserContext(), principal(c), catalog.LineageQuery{Dataset: c.Query("dataset"), Offset: (page - 1) * perPage, Limit: perPage})
	if err != nil {
		return err
	}
	return c.JSON(LineageList{Total: total, Page: page, PerPage: perPage, Items: items})
}
