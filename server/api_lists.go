package server

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dataportal/catalog"
	"dataportal/catalog/sheet"
)

// Construction lists, their items, imports and exports, responses,
// matching and progress.

// ListPage is a page of lists.
type ListPage struct {
	Total   int64                 `json:"total"`
	Page    int                   `json:"page"`
	PerPage int                   `json:"per_page"`
	Items   []catalog.ListSummary `json:"items"`
}

// ResponsePage is a page of responses.
type ResponsePage struct {
	Total   int64                  `json:"total"`
	Page    int                    `json:"page"`
	PerPage int                    `json:"per_page"`
	Items   []catalog.ResponseView `json:"items"`
}

// CloseRequest is the body of a list closure.
type CloseRequest struct {
	Reason string `json:"reason"`
}

// StateRequest is the body of a provider's move of its response.
type StateRequest struct {
	State   string `json:"state"` // building or delivered
	Comment string `json:"comment"`
}

// ReviewRequest is the bureau's decision on a delivery.
type ReviewRequest struct {
	Accept  *bool  `json:"accept"`
	Comment string `json:"comment"`
}

// ItemPatch documents the merge patch of an item (any ListItem field,
// and change_note for the changelog of a published list).
type ItemPatch struct {
	catalog.ListItem
	ChangeNote string `json:"change_note,omitempty"`
}

// ListPatch documents the merge patch of a list.
type ListPatch struct {
	catalog.ListFields
	ChangeNote string `json:"change_note,omitempty"`
}

func (a *App) listsRoutes() []route {
	pageParams := []param{
		{name: "page", kind: "integer", help: "page number, from 1"},
		{name: "per_page", kind: "integer", help: "items per page, 1–100 (default 20)"},
	}
	format := param{name: "format", help: "xlsx (default) or csv"}
	importParams := []param{{name: "dry_run", kind: "boolean", help: "check the file and show what would be stored, store nothing"}}
	newImport := append([]param{
		{name: "id", help: "the new list's id (default <year>-<batch>)"}, {name: "title", help: "title (default: the sheet's title row)"},
		{name: "title_en", help: "English title"}, {name: "description", help: "description"},
		{name: "year", kind: "integer", help: "year (default: from the title, “2026年”)"}, {name: "batch", kind: "integer", help: "batch (default: from the title, “第一批”, else 1)"},
	}, importParams...)
	return []route{
		{method: "GET", path: "/lists", tag: "lists", summary: "Construction lists the caller may read (drafts: the bureau), newest change first",
			query: append([]param{{name: "status", help: "draft, published or closed"}}, pageParams...), resp: ListPage{}, handler: a.listLists},
		{method: "POST", path: "/lists", tag: "lists", summary: "Create a draft list with its items (bureau)", signedIn: true, body: catalog.NewList{}, resp: catalog.ConstructionList{}, status: http.StatusCreated, handler: a.createList},
		{method: "GET", path: "/lists/template", tag: "lists", summary: "The import template: the list sheet with drop-down lists and the instructions (XLSX), or the header (CSV)",
			query: []param{format}, handler: a.listTemplate},
		{method: "POST", path: "/lists/import", tag: "lists", summary: "Create a draft list from an XLSX or CSV file (UTF-8 or GB18030) sent as the body or as the multipart field “file” (bureau); problems are named by row and column, and nothing is stored unless the whole file is right",
			signedIn: true, query: newImport, resp: catalog.ImportResult{}, status: http.StatusCreated, handler: a.importNewList},
		{method: "GET", path: "/lists/:id", tag: "lists", summary: "A list with its items; 404 for a draft the caller may not see", resp: catalog.ConstructionList{}, handler: a.getList},
		{method: "PATCH", path: "/lists/:id", tag: "lists", summary: "Change a list with a JSON merge patch (bureau); a published list gets a new revision, with change_note in its changelog; If-Match with the ETag",
			signedIn: true, body: ListPatch{}, resp: catalog.ConstructionList{}, handler: a.patchList},
		{method: "POST", path: "/lists/:id/publish", tag: "lists", summary: "Publish a draft list (bureau): it becomes public as revision 1", signedIn: true, resp: catalog.ConstructionList{}, handler: a.publishList},
		{method: "POST", path: "/lists/:id/close", tag: "lists", summary: "Close a published list (bureau): it stays public and takes no new responses", signedIn: true, body: CloseRequest{}, resp: catalog.ConstructionList{}, handler: a.closeList},
		{method: "GET", path: "/lists/:id/revisions", tag: "lists", summary: "The changelog of a list, newest revision first", resp: []catalog.ListChange{}, handler: a.listRevisions},
		{method: "GET", path: "/lists/:id/revisions/:rev", tag: "lists", summary: "The list as it was at a revision", resp: catalog.ConstructionList{}, handler: a.listRevision},
		{method: "POST", path: "/lists/:id/import", tag: "lists", summary: "Replace a list's items from an XLSX or CSV file (bureau); on a published list this makes a new revision and items may only be cancelled (条目状态 已取消), not left out",
			signedIn: true, query: append([]param{{name: "change_note", help: "note for the changelog"}}, importParams...), resp: catalog.ImportResult{}, handler: a.importIntoList},
		{method: "GET", path: "/lists/:id/export", tag: "lists", summary: "The list as XLSX (items and list information) or CSV (items), in the import format",
			query: []param{format, {name: "revision", kind: "integer", help: "an earlier revision (default: the current one)"}}, handler: a.exportList},
		{method: "GET", path: "/lists/:id/progress", tag: "lists", summary: "Progress: responses by state, coverage, overdue items, by domain and item, and a monthly timeline; linked datasets count only when the caller may see them",
			resp: catalog.ListProgress{}, handler: a.listProgress},
		{method: "GET", path: "/lists/:id/progress/export", tag: "lists", summary: "The progress report as XLSX (items and domains) or CSV (items)", query: []param{format}, handler: a.exportProgress},
		{method: "GET", path: "/lists/:id/matches", tag: "lists", summary: "Suggested datasets for every item (bureau: every organisation's; providers: their own), with scores and reasons", signedIn: true,
			query: []param{{name: "per_item", kind: "integer", help: "suggestions per item, 1–50 (default 3)"}}, resp: map[string][]catalog.ItemMatch{}, handler: a.matchList},

		{method: "POST", path: "/lists/:id/items", tag: "lists", summary: "Add an item (bureau)", signedIn: true, body: catalog.ItemChange{}, resp: catalog.ListItem{}, status: http.StatusCreated, handler: a.addItem},
		{method: "GET", path: "/lists/:id/items/:item", tag: "lists", summary: "An item with its responses; linked datasets the caller may not see are left out and not counted", resp: catalog.ItemView{}, handler: a.getItem},
		{method: "PATCH", path: "/lists/:id/items/:item", tag: "lists", summary: "Change an item with a JSON merge patch (bureau); cancel an item of a published list with {\"cancelled\": true, \"cancel_reason\": …}",
			signedIn: true, body: ItemPatch{}, resp: catalog.ListItem{}, handler: a.patchItem},
		{method: "DELETE", path: "/lists/:id/items/:item", tag: "lists", summary: "Delete an item of a draft list (bureau)", signedIn: true, status: http.StatusNoContent, handler: a.deleteItem},
		{method: "GET", path: "/lists/:id/items/:item/matches", tag: "lists", summary: "Suggested datasets for an item (bureau: every organisation's; providers: their own), with scores and reasons", signedIn: true,
			query: []param{{name: "limit", kind: "integer", help: "1–50 (default 10)"}}, resp: []catalog.ItemMatch{}, handler: a.matchItem},
		{method: "GET", path: "/lists/:id/items/:item/responses", tag: "lists", summary: "The responses to an item", resp: []catalog.ResponseView{}, handler: a.itemResponses},
		{method: "POST", path: "/lists/:id/items/:item/responses", tag: "lists", summary: "Answer an item for my organisation (providers of verified organisations), linking our datasets", signedIn: true,
			body: catalog.NewResponse{}, resp: catalog.ResponseView{}, status: http.StatusCreated, handler: a.respond},
		{method: "PATCH", path: "/lists/:id/items/:item/responses/:org", tag: "lists", summary: "Change my organisation's response: plan, expected date, linked datasets", signedIn: true,
			body: catalog.ResponsePatch{}, resp: catalog.ResponseView{}, handler: a.updateResponse},
		{method: "POST", path: "/lists/:id/items/:item/responses/:org/state", tag: "lists", summary: "Move my organisation's response to building or delivered", signedIn: true,
			body: StateRequest{}, resp: catalog.ResponseView{}, handler: a.moveResponse},
		{method: "POST", path: "/lists/:id/items/:item/responses/:org/review", tag: "lists", summary: "Accept or reject a delivery, with a comment (bureau)", signedIn: true,
			body: ReviewRequest{}, resp: catalog.ResponseView{}, handler: a.reviewResponse},
		{method: "GET", path: "/responses", tag: "lists", summary: "My organisation's responses (scope=mine) or every response for review (scope=review, bureau)", signedIn: true,
			query: append([]param{{name: "scope", help: "mine (default) or review"}, {name: "state", help: "proposed, building, delivered, accepted or rejected"}}, pageParams...),
			resp:  ResponsePage{}, handler: a.listResponses},
	}
}

// listETag answers with a list's ETag.
func listETag(c *fiber.Ctx, l catalog.ConstructionList) {
	c.Set(fiber.HeaderETag, `"`+strconv.FormatInt(l.Rev, 10)+`"`)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
}

func (a *App) listLists(c *fiber.Ctx) error {
	page, perPage, err := pageQuery(c)
	if err != nil {
		return err
	}
	items, total, err := a.svc.Lists(c.UserContext(), principal(c), c.Query("status"), (page-1)*perPage, perPage)
	if err != nil {
		return err
	}
	return c.JSON(ListPage{Total: total, Page: page, PerPage: perPage, Items: items})
}

func (a *App) createList(c *fiber.Ctx) error {
	var in catalog.NewList
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	l, err := a.svc.CreateList(c.UserContext(), principal(c), in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/lists/" + l.ID)
	listETag(c, l)
	return c.Status(http.StatusCreated).JSON(l)
}

func (a *App) getList(c *fiber.Ctx) error {
	l, err := a.svc.List(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm == `"`+strconv.FormatInt(l.Rev, 10)+`"` {
		c.Set(fiber.HeaderETag, inm)
		return c.SendStatus(http.StatusNotModified)
	}
	listETag(c, l)
	return c.JSON(l)
}

func mergePatchBody(c *fiber.Ctx) error {
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	if ct != "" && !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/merge-patch+json") {
		return fiber.NewError(http.StatusUnsupportedMediaType)
	}
	return nil
}

func (a *App) patchList(c *fiber.Ctx) error {
	rev, err := ifMatch(c)
	if err != nil {
		return err
	}
	if err := mergePatchBody(c); err != nil {
		return err
	}
	l, err := a.svc.PatchList(c.UserContext(), principal(c), c.Params("id"), rev, c.Body())
	if err != nil {
		return err
	}
	listETag(c, l)
	return c.JSON(l)
}

func (a *App) publishList(c *fiber.Ctx) error {
	rev, err := ifMatch(c)
	if err != nil {
		return err
	}
	l, err := a.svc.PublishList(c.UserContext(), principal(c), c.Params("id"), rev)
	if err != nil {
		return err
	}
	listETag(c, l)
	return c.JSON(l)
}

func (a *App) closeList(c *fiber.Ctx) error {
	rev, err := ifMatch(c)
	if err != nil {
		return err
	}
	var in CloseRequest
	if len(c.Body()) > 0 {
		if err := decodeBody(c, &in); err != nil {
			return err
		}
	}
	l, err := a.svc.CloseList(c.UserContext(), principal(c), c.Params("id"), in.Reason, rev)
	if err != nil {
		return err
	}
	listETag(c, l)
	return c.JSON(l)
}

func (a *App) listRevisions(c *fiber.Ctx) error {
	out, err := a.svc.Revisions(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func revisionParam(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("版本号须为正整数", "the revision must be a positive integer"),
			Fields: []catalog.FieldError{{Field: "revision", Code: "integer", Message: catalog.T("须为正整数", "a positive integer")}}}
	}
	return n, nil
}

func (a *App) listRevision(c *fiber.Ctx) error {
	n, err := revisionParam(c.Params("rev"))
	if err != nil {
		return err
	}
	l, err := a.svc.ListRevision(c.UserContext(), principal(c), c.Params("id"), n)
	if err != nil {
		return err
	}
	return c.JSON(l)
}

// uploadedSheets reads the spreadsheet of an import: the request body,
// or the multipart field "file". The body limit (PORTAL_BODY_LIMIT)
// bounds it.
func uploadedSheets(c *fiber.Ctx) ([]catalog.Sheet, error) {
	data := c.Body()
	if strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEMultipartForm) {
		fh, err := c.FormFile("file")
		if err != nil {
			return nil, &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("表单中缺少文件字段 file", "the form has no file field “file”"),
				Fields: []catalog.FieldError{{Field: "file", Code: "required", Message: catalog.T("必填", "required")}}}
		}
		f, err := fh.Open()
		if err != nil {
			return nil, catalog.Internal(err, "open uploaded file")
		}
		defer f.Close()
		if data, err = io.ReadAll(f); err != nil {
			return nil, catalog.Internal(err, "read uploaded file")
		}
	}
	// The sheets are parsed from a copy: Fiber reuses the body's buffer.
	return sheet.Read(bytes.Clone(data), sheet.DefaultLimits)
}

func boolQuery(c *fiber.Ctx, name string) (bool, error) {
	s := c.Query(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T(name+" 须为 true 或 false", name+" must be true or false"),
			Fields: []catalog.FieldError{{Field: name, Code: "boolean", Message: catalog.T("true 或 false", "true or false")}}}
	}
	return b, nil
}

func intQuery(c *fiber.Ctx, name string, def int) (int, error) {
	s := c.Query(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T(name+" 须为整数", name+" must be an integer"),
			Fields: []catalog.FieldError{{Field: name, Code: "integer", Message: catalog.T("须为整数", "an integer")}}}
	}
	return n, nil
}

func (a *App) importNewList(c *fiber.Ctx) error {
	in := catalog.ListImport{ID: c.Query("id"), Title: c.Query("title"), TitleEn: c.Query("title_en"), Description: c.Query("description")}
	var err error
	if in.DryRun, err = boolQuery(c, "dry_run"); err != nil {
		return err
	}
	if in.Year, err = intQuery(c, "year", 0); err != nil {
		return err
	}
	if in.Batch, err = intQuery(c, "batch", 0); err != nil {
		return err
	}
	return a.runImport(c, in)
}

func (a *App) importIntoList(c *fiber.Ctx) error {
	in := catalog.ListImport{ID: c.Params("id"), Replace: true, ChangeNote: c.Query("change_note")}
	var err error
	if in.DryRun, err = boolQuery(c, "dry_run"); err != nil {
		return err
	}
	return a.runImport(c, in)
}

func (a *App) runImport(c *fiber.Ctx, in catalog.ListImport) error {
	if !principal(c).SignedIn() {
		return &catalog.Error{Kind: catalog.KindUnauthenticated, Message: catalog.T("请先登录", "sign in first")}
	}
	sheets, err := uploadedSheets(c)
	if err != nil {
		return err
	}
	in.Sheets = sheets
	res, err := a.svc.ImportList(c.UserContext(), principal(c), in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Stored && !in.Replace {
		status = http.StatusCreated
		c.Location("/api/v1/lists/" + res.List.ID)
	}
	return c.Status(status).JSON(res)
}

func formatQuery(c *fiber.Ctx) (string, error) {
	f := strings.ToLower(c.Query("format", sheet.XLSX))
	if f != sheet.XLSX && f != sheet.CSV {
		return "", &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("格式须为 xlsx 或 csv", "format must be xlsx or csv"),
			Fields: []catalog.FieldError{{Field: "format", Code: "vocabulary", Message: catalog.T("xlsx 或 csv", "xlsx or csv")}}}
	}
	return f, nil
}

// sendSheet answers with tables as a spreadsheet download. The file is
// built in memory first, so a failure is a clean error, not half a file.
func sendSheet(c *fiber.Ctx, format, name, nameZh string, tables []catalog.Table) error {
	var buf bytes.Buffer
	if err := sheet.Write(&buf, format, tables); err != nil {
		return catalog.Internal(err, "write %s", format)
	}
	file := name + "." + format
	c.Set(fiber.HeaderContentType, sheet.ContentType(format))
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+file+`"; filename*=UTF-8''`+url.PathEscape(nameZh+"."+format))
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.Send(buf.Bytes())
}

func (a *App) listTemplate(c *fiber.Ctx) error {
	format, err := formatQuery(c)
	if err != nil {
		return err
	}
	return sendSheet(c, format, "construction-list-template", "建设清单导入模板", catalog.TemplateTables())
}

func (a *App) exportList(c *fiber.Ctx) error {
	format, err := formatQuery(c)
	if err != nil {
		return err
	}
	var l catalog.ConstructionList
	if s := c.Query("revision"); s != "" {
		n, err := revisionParam(s)
		if err != nil {
			return err
		}
		l, err = a.svc.ListRevision(c.UserContext(), principal(c), c.Params("id"), n)
		if err != nil {
			return err
		}
	} else if l, err = a.svc.List(c.UserContext(), principal(c), c.Params("id")); err != nil {
		return err
	}
	name := "list-" + l.ID + "-r" + strconv.Itoa(l.Revision)
	return sendSheet(c, format, name, l.Title, []catalog.Table{catalog.ListTable(&l), catalog.ListInfoTable(&l)})
}

func (a *App) listProgress(c *fiber.Ctx) error {
	pr, err := a.svc.Progress(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(pr)
}

func (a *App) exportProgress(c *fiber.Ctx) error {
	format, err := formatQuery(c)
	if err != nil {
		return err
	}
	pr, err := a.svc.Progress(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return sendSheet(c, format, "progress-"+pr.ListID+"-"+pr.AsOf, pr.Title+" 进度 "+pr.AsOf, catalog.ProgressTables(pr))
}

func (a *App) matchList(c *fiber.Ctx) error {
	n, err := intQuery(c, "per_item", 3)
	if err != nil {
		return err
	}
	out, err := a.svc.MatchList(c.UserContext(), principal(c), c.Params("id"), n)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *App) matchItem(c *fiber.Ctx) error {
	n, err := intQuery(c, "limit", 10)
	if err != nil {
		return err
	}
	out, err := a.svc.MatchItem(c.UserContext(), principal(c), c.Params("id"), c.Params("item"), n)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *App) addItem(c *fiber.Ctx) error {
	rev, err := ifMatch(c)
	if err != nil {
		return err
	}
	var in catalog.ItemChange
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	l, it, err := a.svc.AddItem(c.UserContext(), principal(c), c.Params("id"), in, rev)
	if err != nil {
		return err
	}
	listETag(c, l)
	c.Location("/api/v1/lists/" + l.ID + "/items/" + it.Code)
	return c.Status(http.StatusCreated).JSON(it)
}

func (a *App) getItem(c *fiber.Ctx) error {
	v, err := a.svc.Item(c.UserContext(), principal(c), c.Params("id"), c.Params("item"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(v)
}

func (a *App) patchItem(c *fiber.Ctx) error {
	rev, err := ifMatch(c)
	if err != nil {
		return err
	}
	if err := mergePatchBody(c); err != nil {
		return err
	}
	l, it, err := a.svc.PatchItem(c.UserContext(), principal(c), c.Params("id"), c.Params("item"), rev, c.Body())
	if err != nil {
		return err
	}
	listETag(c, l)
	return c.JSON(it)
}

func (a *App) deleteItem(c *fiber.Ctx) error {
	rev, err := ifMatch(c)
	if err != nil {
		return err
	}
	l, err := a.svc.DeleteItem(c.UserContext(), principal(c), c.Params("id"), c.Params("item"), rev)
	if err != nil {
		return err
	}
	listETag(c, l)
	return c.SendStatus(http.StatusNoContent)
}

func (a *App) itemResponses(c *fiber.Ctx) error {
	out, err := a.svc.ItemResponses(c.UserContext(), principal(c), c.Params("id"), c.Params("item"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(out)
}

func responseETag(c *fiber.Ctx, r catalog.ResponseView) {
	c.Set(fiber.HeaderETag, `"`+strconv.FormatInt(r.Rev, 10)+`"`)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
}

func (a *App) respond(c *fiber.Ctx) error {
	var in catalog.NewResponse
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	r, err := a.svc.RespondToItem(c.UserContext(), principal(c), c.Params("id"), c.Params("item"), in)
	if err != nil {
		return err
	}
	responseETag(c, r)
	c.Location("/api/v1/lists/" + r.ListID + "/items/" + r.Item + "/responses/" + r.Org)
	return c.Status(http.StatusCreated).JSON(r)
}

func (a *App) updateResponse(c *fiber.Ctx) error {
	rev, err := ifMatch(c)
	if err != nil {
		return err
	}
	var in catalog.ResponsePatch
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	r, err := a.svc.UpdateResponse(c.UserContext(), principal(c), c.Params("id"), c.Params("item"), c.Params("org"), in, rev)
	if err != nil {
		return err
	}
	responseETag(c, r)
	return c.JSON(r)
}

func (a *App) moveResponse(c *fiber.Ctx) error {
	rev, err := ifMatch(c)
	if err != nil {
		return err
	}
	var in StateRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	r, err := a.svc.MoveResponse(c.UserContext(), principal(c), c.Params("id"), c.Params("item"), c.Params("org"), in.State, in.Comment, rev)
	if err != nil {
		return err
	}
	responseETag(c, r)
	return c.JSON(r)
}

func (a *App) reviewResponse(c *fiber.Ctx) error {
	rev, err := ifMatch(c)
	if err != nil {
		return err
	}
	var in ReviewRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if in.Accept == nil {
		return &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("请说明验收（accept: true）或退回（accept: false）", "say accept: true or accept: false"),
			Fields: []catalog.FieldError{{Field: "accept", Code: "required", Message: catalog.T("必填", "required")}}}
	}
	r, err := a.svc.ReviewResponse(c.UserContext(), principal(c), c.Params("id"), c.Params("item"), c.Params("org"), *in.Accept, in.Comment, rev)
	if err != nil {
		return err
	}
	responseETag(c, r)
	return c.JSON(r)
}

func (a *App) listResponses(c *fiber.Ctx) error {
	page, perPage, err := pageQuery(c)
	if err != nil {
		return err
	}
	items, total, err := a.svc.Responses(c.UserContext(), principal(c), catalog.ResponseQuery{Scope: c.Query("scope"), State: c.Query("state"),
		Offset: (page - 1) * perPage, Limit: perPage})
	if err != nil {
		return err
	}
	if items == nil {
		items = []catalog.ResponseView{}
	}
	return c.JSON(ResponsePage{Total: total, Page: page, PerPage: perPage, Items: items})
}
