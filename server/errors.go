package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"dataportal/catalog"
)

// Problem is an RFC 9457 problem details body. Detail is in the request's
// language; Messages carries both languages for clients that switch.
type Problem struct {
	Type      string               `json:"type"`
	Title     string               `json:"title"`
	Status    int                  `json:"status"`
	Detail    string               `json:"detail"`
	Instance  string               `json:"instance,omitempty"`
	RequestID string               `json:"request_id,omitempty"`
	Messages  catalog.Text         `json:"messages"`
	Errors    []catalog.FieldError `json:"errors,omitempty"`
	Decision  *catalog.Decision    `json:"decision,omitempty"`
	Extra     map[string]any       `json:"-"`
}

// kindStatus is the one table from error kinds to HTTP statuses.
var kindStatus = map[catalog.Kind]int{
	catalog.KindInternal:        http.StatusInternalServerError,
	catalog.KindInvalid:         http.StatusBadRequest,
	catalog.KindNotFound:        http.StatusNotFound,
	catalog.KindUnauthenticated: http.StatusUnauthorized,
	catalog.KindForbidden:       http.StatusForbidden,
	catalog.KindConflict:        http.StatusConflict,
	catalog.KindPrecondition:    http.StatusPreconditionFailed,
	catalog.KindTooMany:         http.StatusTooManyRequests,
	catalog.KindUnavailable:     http.StatusServiceUnavailable,
}

// kindTitles are the problem titles per kind.
var kindTitles = map[catalog.Kind]catalog.Text{
	catalog.KindInternal:        catalog.T("内部错误", "Internal error"),
	catalog.KindInvalid:         catalog.T("请求无效", "Invalid request"),
	catalog.KindNotFound:        catalog.T("未找到", "Not found"),
	catalog.KindUnauthenticated: catalog.T("需要登录", "Sign-in required"),
	catalog.KindForbidden:       catalog.T("无权操作", "Forbidden"),
	catalog.KindConflict:        catalog.T("冲突", "Conflict"),
	catalog.KindPrecondition:    catalog.T("版本不匹配", "Precondition failed"),
	catalog.KindTooMany:         catalog.T("请求过多", "Too many requests"),
	catalog.KindUnavailable:     catalog.T("服务暂不可用", "Service unavailable"),
}

// statusKinds maps statuses raised by Fiber itself (unknown route, body too
// large, ...) back to a kind and a message.
func fiberProblem(fe *fiber.Error) (catalog.Kind, catalog.Text, int) {
	switch fe.Code {
	case http.StatusNotFound:
		return catalog.KindNotFound, catalog.T("没有这个地址", "no such address"), fe.Code
	case http.StatusMethodNotAllowed:
		return catalog.KindInvalid, catalog.T("该地址不支持此请求方法", "this method is not allowed here"), fe.Code
	case http.StatusRequestEntityTooLarge:
		return catalog.KindInvalid, catalog.T("请求体过大", "the request body is too large"), fe.Code
	case http.StatusUnsupportedMediaType:
		return catalog.KindInvalid, catalog.T("请求体须为 JSON（Content-Type: application/json）", "the body must be JSON (Content-Type: application/json)"), fe.Code
	case http.StatusRequestedRangeNotSatisfiable:
		return catalog.KindInvalid, catalog.T("请求的字节范围超出文件大小（见 Content-Range）", "the requested byte range lies beyond the end of the file (see Content-Range)"), fe.Code
	case http.StatusRequestTimeout:
		return catalog.KindUnavailable, catalog.T("请求超时", "the request timed out"), fe.Code
	}
	if fe.Code >= 400 && fe.Code < 500 {
		return catalog.KindInvalid, catalog.T("请求无效", "invalid request"), fe.Code
	}
	return catalog.KindInternal, catalog.Text{}, http.StatusInternalServerError
}

// problemFor builds the problem for err. Internal errors show only a
// generic message and the request id; the cause goes to the log.
func problemFor(err error, lang, path, reqID string) (Problem, catalog.Kind) {
	var (
		kind   catalog.Kind
		msg    catalog.Text
		status int
		de     *catalog.Error
		fe     *fiber.Error
		p      Problem
	)
	switch {
	case errors.As(err, &de):
		kind, msg = de.Kind, de.Message
		status = kindStatus[kind]
		if kind == catalog.KindInvalid && len(de.Fields) > 0 {
			status = http.StatusUnprocessableEntity
		}
		p.Errors = de.Fields
		if d, ok := de.Detail.(catalog.Decision); ok {
			p.Decision = &d
		}
	case errors.As(err, &fe):
		kind, msg, status = fiberProblem(fe)
	default:
		kind, status = catalog.KindInternal, http.StatusInternalServerError
	}
	if kind == catalog.KindInternal {
		msg = catalog.T("服务器内部错误，请凭请求编号 "+reqID+" 联系运维人员", "internal error; quote request id "+reqID+" to the operators")
		p.Errors, p.Decision = nil, nil
	}
	if msg.IsZero() {
		msg = kindTitles[kind]
	}
	if status == 0 {
		status = http.StatusInternalServerError
	}
	p.Type = "/problems/" + kind.String()
	p.Title = kindTitles[kind].In(lang)
	p.Status = status
	p.Detail = msg.In(lang)
	p.Messages = msg
	p.Instance = path
	p.RequestID = reqID
	return p, kind
}

// errorHandler is Fiber's ErrorHandler: the one place where errors become
// HTTP responses.
func (a *App) errorHandler(c *fiber.Ctx, err error) error {
	reqID := requestID(c)
	if reqID == "" {
		// Fiber refused the request before any middleware ran (a body
		// over the limit, say): give the problem an id all the same.
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		reqID = hex.EncodeToString(b)
		c.Set(fiber.HeaderXRequestID, reqID)
	}
	p, kind := problemFor(err, lang(c), c.Path(), reqID)
	if kind == catalog.KindInternal || kind == catalog.KindUnavailable {
		a.log.Error("request failed", "request_id", reqID, "method", c.Method(), "path", c.Path(), "err", err)
	} else {
		a.log.Debug("request refused", "request_id", reqID, "status", p.Status, "err", err)
	}
	var de *catalog.Error
	if errors.As(err, &de) {
		if ra, ok := de.Detail.(catalog.RetryAfter); ok {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(ra)))
		}
	}
	if p.Status == http.StatusUnauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="dataportal"`)
	}
	if a.frontend != nil && wantsHTML(c) {
		return a.frontend.ErrorPage(c, p.Status, p.Title, p.Detail, p.Decision, reqID)
	}
	c.Set(fiber.HeaderContentType, "application/problem+json; charset=utf-8")
	return c.Status(p.Status).JSON(p, "application/problem+json; charset=utf-8")
}
