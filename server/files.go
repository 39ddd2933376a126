package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"dataportal/catalog"
	"dataportal/catalog/mongo"
	"dataportal/catalog/sqlite"
	"dataportal/frontend"
)

// OpenBlobs opens the blob store that goes with the store: GridFS in the
// MongoDB database, or content-addressed files under <data>/blobs.
func OpenBlobs(ctx context.Context, cfg Config, store catalog.Store) (catalog.Blobs, error) {
	if ms, ok := store.(*mongo.Store); ok {
		return ms.Blobs(ctx)
	}
	return sqlite.OpenBlobs(filepath.Join(cfg.DataDir, "blobs"))
}

// Request bodies. Fiber streams request bodies (StreamRequestBody), so
// that an upload of gigabytes flows into the blob store without being held
// in memory. Streaming turns the body limit into a prefetch size, so it is
// enforced here instead, in two places:
//
//   - limitBodies looks at the headers of each request before its body is
//     read. A body declared larger than allowed (PORTAL_BODY_LIMIT, or the
//     upload limit on the upload route) is refused from the headers alone:
//     the request is marked and its body is not read.
//   - boundBody, the first middleware after the request id, answers marked
//     requests (and closes the connection, whose unread body would
//     otherwise be taken for the next request), and reads every other
//     body but an upload's into memory, bounded by PORTAL_BODY_LIMIT, so
//     that handlers, and the CSRF check, read JSON and forms as before.
//     Chunked bodies, whose size is not declared, are bounded the same way.

// tooLargeHeader marks a request whose declared body is over its limit.
// Any value a client sends is removed first.
const tooLargeHeader = "X-Portal-Body-Too-Large"

// uploadPath matches the upload route (Fiber matches paths case-
// insensitively and with an optional trailing slash; so does this).
var uploadPath = regexp.MustCompile(`(?i)^/api/v1/datasets/[^/]+/versions/[^/]+/files/?$`)

func isUpload(method, path string) bool {
	return method == http.MethodPost && (uploadPath.MatchString(path) || frontend.UploadPath.MatchString(path))
}

// limitBodies installs the header check on Fiber's server.
func (a *App) limitBodies(f *fiber.App) {
	f.Server().HeaderReceived = func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		h.Del(tooLargeHeader)
		limit := int64(a.cfg.BodyLimit)
		if isUpload(string(h.Method()), string(h.RequestURI()[:pathEnd(h.RequestURI())])) {
			limit = a.svc.UploadLimit()
		}
		if n := h.ContentLength(); n > 0 && int64(n) > limit {
			h.Set(tooLargeHeader, "1")
			h.SetContentLength(0) // do not read it
		}
		return fasthttp.RequestConfig{}
	}
}

func pathEnd(uri []byte) int {
	for i, b := range uri {
		if b == '?' || b == '#' {
			return i
		}
	}
	return len(uri)
}

// boundBody enforces the body limits (see above).
func (a *App) boundBody(c *fiber.Ctx) error {
	upload := isUpload(c.Method(), c.Path())
	if c.Get(tooLargeHeader) != "" {
		c.Context().SetConnectionClose()
		if upload {
			return catalog.FileTooLarge(a.svc.UploadLimit())
		}
		return fiber.ErrRequestEntityTooLarge
	}
	if upload {
		// Forms would be parsed into memory by the CSRF check; an upload
		// is the file itself.
		ct := strings.ToLower(c.Get(fiber.HeaderContentType))
		// The page form streams a multipart body, whose parts the page
		// handler reads one by one; the API takes the file itself.
		pageForm := frontend.UploadPath.MatchString(c.Path()) && strings.HasPrefix(ct, fiber.MIMEMultipartForm)
		if !pageForm && (strings.HasPrefix(ct, fiber.MIMEMultipartForm) || strings.HasPrefix(ct, fiber.MIMEApplicationForm)) {
			c.Context().SetConnectionClose()
			msg := catalog.T("请直接以请求体发送文件内容（Content-Type 为文件的类型或 application/octet-stream），不要用表单编码",
				"send the file itself as the request body (Content-Type: the file's type or application/octet-stream), not form-encoded")
			return &catalog.Error{Kind: catalog.KindInvalid, Message: msg, Fields: []catalog.FieldError{{Field: "Content-Type", Code: "form", Message: msg}}}
		}
		return c.Next()
	}
	req := c.Request()
	if req.IsBodyStream() && req.Header.ContentLength() != 0 {
		limit := int64(a.cfg.BodyLimit)
		stream := c.Context().RequestBodyStream()
		b, err := io.ReadAll(io.LimitReader(stream, limit+1))
		if err != nil {
			c.Context().SetConnectionClose()
			return &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("请求体读取失败", "the request body could not be read"), Err: err}
		}
		if int64(len(b)) > limit {
			// A chunked body over the limit: let a client that is still
			// sending see the answer, then close.
			drainBody(stream, 1<<20)
			c.Context().SetConnectionClose()
			return fiber.ErrRequestEntityTooLarge
		}
		req.SetBody(b)
	}
	return c.Next()
}

// drainBody reads what is left of a request body, up to max bytes, so
// that a client still sending gets the answer rather than a reset
// connection, and reports whether the body was read to its end.
func drainBody(r io.Reader, max int64) bool {
	n, err := io.Copy(io.Discard, io.LimitReader(r, max+1))
	return err == nil && n <= max
}

// progress extends a connection's deadline as a transfer moves: a client
// may take as long as it needs for a large file, but not stall for longer
// than idle. Server-wide read and write timeouts would cut every transfer
// that takes longer than they do.
type progress struct {
	conn  net.Conn
	idle  time.Duration
	write bool
	next  time.Time
}

func (p *progress) touch() {
	if p.conn == nil {
		return
	}
	if now := time.Now(); now.After(p.next) {
		if p.write {
			_ = p.conn.SetWriteDeadline(now.Add(p.idle))
		} else {
			_ = p.conn.SetReadDeadline(now.Add(p.idle))
		}
		p.next = now.Add(time.Second)
	}
}

// uploadBody is a request body read with a moving read deadline; eof says
// whether it was read to its end.
type uploadBody struct {
	r   io.Reader
	p   progress
	eof bool
}

func (u *uploadBody) Read(b []byte) (int, error) {
	// EOF is final: fasthttp's chunked body stream, read again after its
	// end, would wait for a next chunk (reading the connection's next
	// request), and bufio.Reader.Peek hands an EOF on only once.
	if u.eof {
		return 0, io.EOF
	}
	u.p.touch()
	n, err := u.r.Read(b)
	if err == io.EOF {
		u.eof = true
	}
	return n, err
}

// downloadBody is a response body written with a moving write deadline.
type downloadBody struct {
	r io.ReadCloser
	p progress
}

func (d *downloadBody) Read(b []byte) (int, error) {
	d.p.touch()
	return d.r.Read(b)
}

func (d *downloadBody) Close() error { return d.r.Close() }

// contentDisposition builds an RFC 6266 attachment header: an ASCII
// fallback name for old clients and the exact UTF-8 name (RFC 8187) for
// the rest, so Chinese names arrive intact.
func contentDisposition(disposition, name string) string {
	return fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, disposition, asciiFallback(name), encodeRFC8187(name))
}

// asciiFallback keeps printable ASCII, turns each run of anything else
// into one underscore, and keeps the extension when nothing else is left.
func asciiFallback(name string) string {
	var b strings.Builder
	under := false
	for _, r := range name {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			if !under {
				b.WriteByte('_')
				under = true
			}
			continue
		}
		b.WriteRune(r)
		under = false
	}
	s := b.String()
	if strings.Trim(s, "_.") == "" {
		ext := filepath.Ext(s)
		if strings.Trim(ext, "_.") == "" {
			ext = ""
		}
		return "download" + ext
	}
	return s
}

// encodeRFC8187 percent-encodes every byte that is not an attr-char.
func encodeRFC8187(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// parseRange reads a single byte range ("bytes=a-b", "bytes=a-",
// "bytes=-n") against a file of size bytes. ok is false when the header
// is to be ignored (malformed, another unit, several ranges: the whole
// file is sent, as RFC 9110 allows); satisfiable is false when the range
// starts past the end (416).
func parseRange(h string, size int64) (off, n int64, ok, satisfiable bool) {
	unit, spec, found := strings.Cut(h, "=")
	if !found || !strings.EqualFold(strings.TrimSpace(unit), "bytes") || strings.Contains(spec, ",") {
		return 0, 0, false, false
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, false
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" {
		suffix, err := parseDigits(last)
		if err != nil {
			return 0, 0, false, false
		}
		if suffix == 0 || size == 0 {
			return 0, 0, true, false
		}
		suffix = min(suffix, size)
		return size - suffix, suffix, true, true
	}
	a, err := parseDigits(first)
	if err != nil {
		return 0, 0, false, false
	}
	end := size - 1
	if last != "" {
		b, err := parseDigits(last)
		if err != nil || b < a {
			return 0, 0, false, false
		}
		end = min(b, size-1)
	}
	if a >= size {
		return 0, 0, true, false
	}
	return a, end - a + 1, true, true
}

func parseDigits(s string) (int64, error) {
	if s == "" || len(s) > 18 {
		return 0, fmt.Errorf("not a byte position")
	}
	var n int64
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("not a byte position")
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// etagMatch reports whether an If-None-Match list names etag (weak
// comparison, RFC 9110 §13.1.2).
func etagMatch(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// ifRange reports whether a Range request may be answered with a part:
// no If-Range, or one naming the current entity tag (strong comparison).
// A date is never a strong enough validator here (files have no
// Last-Modified), so it gets the whole file.
func ifRange(h, etag string) bool {
	h = strings.TrimSpace(h)
	return h == "" || h == etag
}
