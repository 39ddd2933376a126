package catalog

import (
	"mime"
	"path/filepath"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// sniffLen is how much of an upload the content check reads
// (mimetype's own detection limit).
const sniffLen = 3072

// extClaim is what a file extension says the content is: one of types,
// either exactly (for text formats, where every format is a kind of plain
// text and "a CSV that is really HTML" must not pass) or also any more
// specific type (a .zip may hold a .jar or a .docx).
type extClaim struct {
	types []string
	exact bool
}

// extClaims lists the extensions whose content can be told from its first
// bytes. Other extensions (.npy, .pt, .tfrecord, ...) claim nothing the
// portal can check, and are accepted with the type the content shows.
var extClaims = map[string]extClaim{
	".csv":     {[]string{"text/csv", "text/tab-separated-values", "text/plain"}, true},
	".tsv":     {[]string{"text/tab-separated-values", "text/csv", "text/plain"}, true},
	".json":    {[]string{"application/json", "application/x-ndjson", "text/plain"}, true},
	".jsonl":   {[]string{"application/x-ndjson", "application/json", "text/plain"}, true},
	".ndjson":  {[]string{"application/x-ndjson", "application/json", "text/plain"}, true},
	".txt":     {[]string{"text/plain"}, false},
	".md":      {[]string{"text/plain"}, false},
	".log":     {[]string{"text/plain"}, false},
	".xml":     {[]string{"text/xml", "application/xml"}, false},
	".html":    {[]string{"text/html"}, true},
	".htm":     {[]string{"text/html"}, true},
	".svg":     {[]string{"image/svg+xml"}, true},
	".png":     {[]string{"image/png"}, false},
	".jpg":     {[]string{"image/jpeg"}, false},
	".jpeg":    {[]string{"image/jpeg"}, false},
	".gif":     {[]string{"image/gif"}, false},
	".bmp":     {[]string{"image/bmp"}, false},
	".webp":    {[]string{"image/webp"}, false},
	".tif":     {[]string{"image/tiff"}, false},
	".tiff":    {[]string{"image/tiff"}, false},
	".pdf":     {[]string{"application/pdf"}, false},
	".zip":     {[]string{"application/zip"}, false},
	".gz":      {[]string{"application/gzip"}, false},
	".tgz":     {[]string{"application/gzip"}, false},
	".tar":     {[]string{"application/x-tar"}, false},
	".7z":      {[]string{"application/x-7z-compressed"}, false},
	".bz2":     {[]string{"application/x-bzip2"}, false},
	".xz":      {[]string{"application/x-xz"}, false},
	".zst":     {[]string{"application/zstd"}, false},
	".parquet": {[]string{"application/vnd.apache.parquet"}, false},
	".xlsx":    {[]string{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/zip"}, false},
	".docx":    {[]string{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/zip"}, false},
	".mp3":     {[]string{"audio/mpeg"}, false},
	".wav":     {[]string{"audio/wav"}, false},
	".flac":    {[]string{"audio/flac"}, false},
	".mp4":     {[]string{"video/mp4", "audio/mp4", "video/quicktime", "video/x-m4v"}, false},
	".dcm":     {[]string{"application/dicom"}, false},
}

// detectMediaType tells the media type of a content from its first bytes
// and checks it against the file name's extension. It returns the type
// and, on a mismatch, an Invalid error that says both.
func detectMediaType(head []byte, fileName string) (string, error) {
	m := mimetype.Detect(head)
	ext := strings.ToLower(filepath.Ext(fileName))
	claim, ok := extClaims[ext]
	if !ok || contentMatches(m, claim) {
		return m.String(), nil
	}
	base := mediaBase(m.String())
	msg := T("文件内容为 "+base+"，与扩展名 "+ext+" 不符；请检查文件或改正文件名",
		"the content is "+base+", which does not match the extension "+ext+"; check the file or correct its name")
	return "", &Error{Kind: KindInvalid, Message: msg, Fields: []FieldError{{Field: "filename", Code: "media_type_mismatch", Message: msg}}}
}

func contentMatches(m *mimetype.MIME, c extClaim) bool {
	for _, t := range c.types {
		if c.exact {
			if m.Is(t) {
				return true
			}
			continue
		}
		for x := m; x != nil; x = x.Parent() {
			if x.Is(t) {
				return true
			}
		}
	}
	return false
}

// mediaBase returns a media type without its parameters.
func mediaBase(t string) string {
	base, _, err := mime.ParseMediaType(t)
	if err != nil {
		base, _, _ = strings.Cut(t, ";")
		base = strings.ToLower(strings.TrimSpace(base))
	}
	return base
}

// activeTypes are media types a browser would run or render as a page
// (scripts can run in HTML, SVG and XML documents). Files of these types
// are delivered as application/octet-stream, besides always as
// attachments, so that no client ever shows them inline.
var activeTypes = map[string]bool{
	"text/html": true, "application/xhtml+xml": true, "image/svg+xml": true,
	"text/xml": true, "application/xml": true, "text/javascript": true,
	"application/javascript": true, "application/x-javascript": true,
	"application/ecmascript": true, "text/ecmascript": true,
}

// DeliveryType is the Content-Type a file is delivered with: its media
// type, except for types that browsers render actively (HTML, SVG, XML,
// scripts), which are delivered as opaque bytes.
func (d Distribution) DeliveryType() string {
	if d.MediaType == "" || activeTypes[mediaBase(d.MediaType)] {
		return "application/octet-stream"
	}
	return d.MediaType
}
