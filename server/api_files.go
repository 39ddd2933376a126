package server

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dataportal/catalog"
)

// SampleRequest is the body that marks a dataset's sample.
type SampleRequest struct {
	FileID string `json:"file_id"`
}

// SampleResponse is a sample preview with the addresses of the sample
// file and of its thumbnail.
type SampleResponse struct {
	catalog.SamplePreview
	DownloadURL  string `json:"download_url"`
	ThumbnailURL string `json:"thumbnail_url,omitempty"`
}

func (a *App) filesRoutes() []route {
	return []route{
		{method: "POST", path: "/datasets/:id/versions/:number/files", tag: "files", signedIn: true,
			summary: "Upload a file to a version (edit permission): the file itself is the request body, streamed to the blob store, up to PORTAL_UPLOAD_LIMIT; " +
				"its media type is told from its content and must agree with the name's extension",
			query: []param{{name: "filename", help: "the file's name (UTF-8; Chinese allowed); or send Content-Disposition: attachment; filename*=UTF-8''…"},
				{name: "sample", kind: "boolean", help: "mark the file as the dataset's public sample"}},
			rawBody: "application/octet-stream", resp: catalog.Distribution{}, status: http.StatusCreated, handler: a.uploadFile},
		{method: "POST", path: "/datasets/:id/versions/:number/links", tag: "files", signedIn: true,
			summary: "Add an external http(s) link to a version (edit permission); its address shows only to those who may download",
			body:    catalog.NewLink{}, resp: catalog.Distribution{}, status: http.StatusCreated, handler: a.addLink},
		{method: "GET", path: "/datasets/:id/files/:fid", tag: "files",
			summary: "Download a file (download permission; the sample: view permission). Single byte ranges (206, 416), ETag = SHA-256, If-None-Match, If-Range; " +
				"always an attachment. A link answers 303 to its URL. Every download and every refusal is audited",
			rawResp: "application/octet-stream", handler: a.downloadFile},
		{method: "DELETE", path: "/datasets/:id/files/:fid", tag: "files", signedIn: true,
			summary: "Remove a file or link from its version (edit permission)", status: http.StatusNoContent, handler: a.removeFile},
		{method: "PUT", path: "/datasets/:id/sample", tag: "files", signedIn: true,
			summary: "Mark an uploaded file as the dataset's public sample (edit permission)", body: SampleRequest{}, resp: DatasetResponse{}, handler: a.setSample},
		{method: "DELETE", path: "/datasets/:id/sample", tag: "files", signedIn: true,
			summary: "Unmark the dataset's sample (edit permission)", resp: DatasetResponse{}, handler: a.clearSample},
		{method: "GET", path: "/datasets/:id/sample", tag: "files",
			summary: "Preview the sample (view permission): the first rows of a CSV/TSV/JSONL table, the start of a text, or an image's size; UTF-8 and GB18030 are read",
			query:   []param{{name: "rows", kind: "integer", help: "table rows, 1–100 (default 20)"}}, resp: SampleResponse{}, handler: a.samplePreview},
		{method: "GET", path: "/datasets/:id/sample/thumbnail", tag: "files",
			summary: "A thumbnail (at most 320×320, PNG or JPEG) of an image sample (view permission)", rawResp: "image/png", handler: a.sampleThumbnail},
	}
}

// param copies a path parameter, percent-decoded (Fiber reuses its buffers
// and leaves escapes in place).
func pathParam(c *fiber.Ctx, name string) (string, error) {
	v, err := url.PathUnescape(c.Params(name))
	if err != nil {
		return "", &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("地址中的参数编码无效", "a parameter in the address is badly encoded"),
			Fields: []catalog.FieldError{{Field: name, Code: "encoding", Message: catalog.T("编码无效", "badly encoded")}}}
	}
	return strings.Clone(v), nil
}

// uploadName is the file name of an upload: the filename parameter, or
// the name in Content-Disposition (filename*, RFC 8187, wins over
// filename).
func uploadName(c *fiber.Ctx) string {
	if n := c.Query("filename"); n != "" {
		return strings.Clone(n)
	}
	if cd := c.Get(fiber.HeaderContentDisposition); cd != "" {
		if _, params, err := mime.ParseMediaType(cd); err == nil {
			return params["filename"]
		}
	}
	return ""
}

func (a *App) uploadFile(c *fiber.Ctx) error {
	body := &uploadBody{p: progress{conn: c.Context().Conn(), idle: a.cfg.RequestTimeout}}
	if s := c.Context().RequestBodyStream(); s != nil {
		body.r = s
	} else {
		body.r = bytes.NewReader(c.Body())
	}
	defer func() {
		// A body left unread would be taken for the next request on the
		// connection: read a little more so that the client gets the
		// answer, or close the connection after it.
		if !body.eof && !drainBody(body, 1<<20) {
			c.Context().SetConnectionClose()
		}
	}()
	id, err := pathParam(c, "id")
	if err != nil {
		return err
	}
	number, err := pathParam(c, "number")
	if err != nil {
		return err
	}
	sample := false
	if s := c.Query("sample"); s != "" {
		if sample, err = strconv.ParseBool(s); err != nil {
			return &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("sample 须为 true 或 false", "sample must be true or false"),
				Fields: []catalog.FieldError{{Field: "sample", Code: "boolean", Message: catalog.T("须为 true 或 false", "must be true or false")}}}
		}
	}
	// The transfer may outlast the request deadline; it is bounded by
	// its progress instead (see progress).
	ctx, cancel := context.WithCancel(context.WithoutCancel(c.UserContext()))
	defer cancel()
	d, err := a.svc.UploadFile(ctx, principal(c), id, catalog.NewFile{Version: number, FileName: uploadName(c), Sample: sample}, body)
	if err != nil {
		return err
	}
	c.Location("/api/v1/datasets/" + url.PathEscape(id) + "/files/" + d.ID)
	return c.Status(http.StatusCreated).JSON(d)
}

func (a *App) addLink(c *fiber.Ctx) error {
	number, err := pathParam(c, "number")
	if err != nil {
		return err
	}
	var in catalog.NewLink
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	d, err := a.svc.AddLink(c.UserContext(), principal(c), c.Params("id"), number, in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/datasets/" + url.PathEscape(c.Params("id")) + "/files/" + d.ID)
	return c.Status(http.StatusCreated).JSON(d)
}

func (a *App) downloadFile(c *fiber.Ctx) error {
	ctx := c.UserContext()
	dl, err := a.svc.Download(ctx, principal(c), c.Params("id"), c.Params("fid"))
	if err != nil {
		return err
	}
	f := dl.File
	// Revalidated every time, so that a revoked permission takes effect.
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	if f.Kind == catalog.DistURL {
		u, err := dl.Follow(ctx)
		if err != nil {
			return err
		}
		return c.Redirect(u, http.StatusSeeOther)
	}
	etag := `"` + f.SHA256 + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatch(inm, etag) {
		c.Status(http.StatusNotModified)
		return nil
	}
	offset, length, status := int64(0), f.Bytes, http.StatusOK
	if rh := c.Get(fiber.HeaderRange); rh != "" && ifRange(c.Get(fiber.HeaderIfRange), etag) {
		off, n, ok, satisfiable := parseRange(rh, f.Bytes)
		if ok && !satisfiable {
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes */%d", f.Bytes))
			return fiber.NewError(http.StatusRequestedRangeNotSatisfiable)
		}
		if ok {
			offset, length, status = off, n, http.StatusPartialContent
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, f.Bytes))
		}
	}
	// Audited before the first byte leaves.
	r, err := dl.Open(ctx, offset, length)
	if err != nil {
		c.Response().Header.Del(fiber.HeaderContentRange)
		return err
	}
	c.Set(fiber.HeaderContentType, f.DeliveryType())
	c.Set(fiber.HeaderContentDisposition, contentDisposition("attachment", f.FileName))
	// Even a client that ignored the attachment would run nothing.
	c.Set(fiber.HeaderContentSecurityPolicy, "sandbox; default-src 'none'")
	c.Status(status)
	// Fasthttp writes the body after the handler returned, reading it as
	// it goes; the reader does not depend on the request's context.
	c.Context().SetBodyStream(&downloadBody{r: r, p: progress{conn: c.Context().Conn(), idle: a.cfg.RequestTimeout, write: true}}, int(length))
	return nil
}

func (a *App) removeFile(c *fiber.Ctx) error {
	if err := a.svc.RemoveFile(c.UserContext(), principal(c), c.Params("id"), c.Params("fid")); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

func (a *App) setSample(c *fiber.Ctx) error {
	var in SampleRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.FileID) == "" {
		return &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("缺少文件标识", "file_id is required"),
			Fields: []catalog.FieldError{{Field: "file_id", Code: "required", Message: catalog.T("必填", "required")}}}
	}
	d, err := a.svc.SetSample(c.UserContext(), principal(c), c.Params("id"), in.FileID)
	if err != nil {
		return err
	}
	return a.datasetResponse(c, d, http.StatusOK)
}

func (a *App) clearSample(c *fiber.Ctx) error {
	d, err := a.svc.SetSample(c.UserContext(), principal(c), c.Params("id"), "")
	if err != nil {
		return err
	}
	return a.datasetResponse(c, d, http.StatusOK)
}

func (a *App) samplePreview(c *fiber.Ctx) error {
	rows := 0
	if s := c.Query("rows"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("rows 须为整数", "rows must be an integer"),
				Fields: []catalog.FieldError{{Field: "rows", Code: "integer", Message: catalog.T("须为整数", "must be an integer")}}}
		}
		if n <= 0 {
			n = -1 // out of range: the service says so
		}
		rows = n
	}
	p, err := a.svc.SamplePreview(c.UserContext(), principal(c), c.Params("id"), rows)
	if err != nil {
		return err
	}
	base := "/api/v1/datasets/" + url.PathEscape(p.Dataset)
	out := SampleResponse{SamplePreview: p, DownloadURL: base + "/files/" + p.File.ID}
	if p.Image != nil && p.Image.Thumbnail {
		out.ThumbnailURL = base + "/sample/thumbnail"
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(out)
}

func (a *App) sampleThumbnail(c *fiber.Ctx) error {
	t, err := a.svc.SampleThumbnail(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, t.ETag)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatch(inm, t.ETag) {
		c.Status(http.StatusNotModified)
		return nil
	}
	ext := ".png"
	if t.MediaType == "image/jpeg" {
		ext = ".jpg"
	}
	c.Set(fiber.HeaderContentDisposition, contentDisposition("inline", "thumbnail"+ext))
	c.Set(fiber.HeaderContentType, t.MediaType)
	return c.Send(t.Data)
}
