package server

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"dataportal/catalog"
)

// Data needs, and the statistics of Article 41.

// NeedPage is a page of data needs.
type NeedPage struct {
	Total   int64              `json:"total"`
	Page    int                `json:"page"`
	PerPage int                `json:"per_page"`
	Items   []catalog.DataNeed `json:"items"`
}

// MergeRequest is the body of a merge of needs.
type MergeRequest struct {
	Into  string   `json:"into"`
	Needs []string `json:"needs"`
}

func (a *App) needsRoutes() []route {
	pageParams := []param{
		{name: "page", kind: "integer", help: "page number, from 1"},
		{name: "per_page", kind: "integer", help: "items per page, 1–100 (default 20)"},
	}
	return []route{
		{method: "POST", path: "/needs", tag: "needs", summary: "Tell the bureau about data that is missing (developers)", signedIn: true,
			body: catalog.NeedFields{}, resp: catalog.DataNeed{}, status: http.StatusCreated, handler: a.fileNeed},
		{method: "GET", path: "/needs", tag: "needs", summary: "My needs (scope=mine) or every need (scope=all, bureau), newest first", signedIn: true,
			query: append([]param{{name: "scope", help: "mine (default) or all"}, {name: "status", help: "open, merged, planned, fulfilled or closed"},
				{name: "domain", help: "a domain"}}, pageParams...), resp: NeedPage{}, handler: a.listNeeds},
		{method: "GET", path: "/needs/groups", tag: "needs", summary: "Open needs grouped by similarity, with a suggested list item per group (bureau)", signedIn: true,
			query: []param{{name: "domain", help: "one domain only"}}, resp: []catalog.NeedGroup{}, handler: a.needGroups},
		{method: "POST", path: "/needs/merge", tag: "needs", summary: "Merge needs into one (bureau)", signedIn: true, body: MergeRequest{}, resp: catalog.DataNeed{}, handler: a.mergeNeeds},
		{method: "POST", path: "/needs/to-item", tag: "needs", summary: "Turn needs (and those merged into them) into a new or an existing list item (bureau); their authors are notified when a delivery is accepted",
			signedIn: true, body: catalog.NeedsToItem{}, resp: catalog.ItemView{}, status: http.StatusCreated, handler: a.needsToItem},
		{method: "GET", path: "/needs/:id", tag: "needs", summary: "A need (its author, the bureau)", signedIn: true, resp: catalog.DataNeed{}, handler: a.getNeed},
		{method: "POST", path: "/needs/:id/withdraw", tag: "needs", summary: "Withdraw my open need", signedIn: true, resp: catalog.DataNeed{}, handler: a.withdrawNeed},

		{method: "GET", path: "/stats", tag: "statistics", summary: "Statistics: datasets by domain, modality, tier and month, providers, list coverage; for the bureau also access requests, downloads and needs; the caller's organisation's own figures",
			resp: catalog.Stats{}, handler: a.stats},
	}
}

func (a *App) fileNeed(c *fiber.Ctx) error {
	var in catalog.NeedFields
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	n, err := a.svc.FileNeed(c.UserContext(), principal(c), in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/needs/" + n.ID)
	return c.Status(http.StatusCreated).JSON(n)
}

func (a *App) listNeeds(c *fiber.Ctx) error {
	page, perPage, err := pageQuery(c)
	if err != nil {
		return err
	}
	items, total, err := a.svc.Needs(c.UserContext(), principal(c), catalog.NeedQuery{Scope: c.Query("scope"), Status: c.Query("status"),
		Domain: c.Query("domain"), Offset: (page - 1) * perPage, Limit: perPage})
	if err != nil {
		return err
	}
	if items == nil {
		items = []catalog.DataNeed{}
	}
	return c.JSON(NeedPage{Total: total, Page: page, PerPage: perPage, Items: items})
}

func (a *App) needGroups(c *fiber.Ctx) error {
	out, err := a.svc.NeedGroups(c.UserContext(), principal(c), c.Query("domain"))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *App) mergeNeeds(c *fiber.Ctx) error {
	var in MergeRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	n, err := a.svc.MergeNeeds(c.UserContext(), principal(c), in.Into, in.Needs)
	if err != nil {
		return err
	}
	return c.JSON(n)
}

func (a *App) needsToItem(c *fiber.Ctx) error {
	var in catalog.NeedsToItem
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	v, err := a.svc.NeedsToListItem(c.UserContext(), principal(c), in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/lists/" + v.ListID + "/items/" + v.Item.Code)
	return c.Status(http.StatusCreated).JSON(v)
}

func (a *App) getNeed(c *fiber.Ctx) error {
	n, err := a.svc.Need(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(n)
}

func (a *App) withdrawNeed(c *fiber.Ctx) error {
	n, err := a.svc.WithdrawNeed(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(n)
}

func (a *App) stats(c *fiber.Ctx) error {
	st, err := a.svc.Statistics(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, max-age=60")
	return c.JSON(st)
}
