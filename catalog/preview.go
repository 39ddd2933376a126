package catalog

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"image"
	_ "image/gif" // registers the GIF decoder for samples
	"image/jpeg"
	"image/png"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers the WebP decoder for samples
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Sample previews: the first rows of a table, the start of a text, an
// image's dimensions and a thumbnail. Whoever may view a dataset may see
// its sample. Every preview reads a bounded prefix of the blob (a
// thumbnail reads the image, which is bounded in size and pixels), so a
// sample's size never decides the memory a request takes.

// Preview bounds.
const (
	previewPrefix   = 256 << 10 // bytes read for a table
	previewText     = 4 << 10   // bytes of a text shown
	previewRows     = 20        // default rows of a table
	MaxPreviewRows  = 100
	previewCols     = 50
	previewCell     = 200 // runes per cell
	thumbSize       = 320 // the thumbnail fits in thumbSize × thumbSize
	thumbMaxBytes   = 32 << 20
	thumbMaxPixels  = 16 << 20
	previewKindNone = "none"
)

// SamplePreview is what the API shows of a dataset's sample.
type SamplePreview struct {
	Dataset string       `json:"dataset"`
	File    Distribution `json:"file"`
	// Kind is table, text, image or none (a format the portal does not
	// preview; the file can still be downloaded).
	Kind string `json:"kind"`
	// Encoding is the text encoding the content was read in: utf-8 or
	// gb18030 (converted to UTF-8 here).
	Encoding  string     `json:"encoding,omitempty"`
	Columns   []string   `json:"columns,omitempty"`
	Rows      [][]string `json:"rows,omitempty"`
	Text      string     `json:"text,omitempty"`
	Image     *ImageInfo `json:"image,omitempty"`
	Truncated bool       `json:"truncated"`
}

// ImageInfo describes a sample image.
type ImageInfo struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Format string `json:"format"`
	// Thumbnail says whether a thumbnail can be had.
	Thumbnail bool `json:"thumbnail"`
}

// Thumbnail is a small rendering of a sample image.
type Thumbnail struct {
	Data      []byte
	MediaType string
	// ETag is a strong validator: it changes with the sample's content.
	ETag string
}

// previewKind tells how a sample is previewed from its media type and name.
func previewKind(d Distribution) string {
	base := mediaBase(d.MediaType)
	ext := strings.ToLower(filepath.Ext(d.FileName))
	switch {
	case base == "text/csv", base == "text/tab-separated-values", base == "application/x-ndjson":
		return "table"
	case (ext == ".csv" || ext == ".tsv" || ext == ".jsonl" || ext == ".ndjson") && isText(base):
		return "table"
	case base == "image/png", base == "image/jpeg", base == "image/gif", base == "image/webp":
		return "image"
	case isText(base):
		return "text"
	}
	return previewKindNone
}

func isText(base string) bool {
	return strings.HasPrefix(base, "text/") || base == "application/json" || base == "application/xml" ||
		base == "image/svg+xml" || base == "application/x-ndjson"
}

// sample loads the sample of a dataset the principal may view.
func (s *Service) sample(ctx context.Context, p Principal, id string) (Distribution, error) {
	if s.blobs == nil {
		return Distribution{}, errNoBlobs
	}
	rec, _, err := s.viewable(ctx, p, id)
	if err != nil {
		return Distribution{}, err
	}
	dist, ok := sampleOf(&rec.Dataset)
	if !ok {
		return Distribution{}, &Error{Kind: KindNotFound, Message: T("该数据集没有样例", "this dataset has no sample")}
	}
	return dist, nil
}

// readPrefix reads up to n bytes from the start of a blob.
func (s *Service) readPrefix(ctx context.Context, d Distribution, n int64) ([]byte, error) {
	r, err := s.blobs.Open(ctx, d.SHA256, 0, min(n, d.Bytes))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, Internal(err, "read sample %s", d.SHA256)
	}
	return b, nil
}

// SamplePreview previews the sample of a dataset the principal may view:
// up to rows rows of a table (0: the default), the start of a text, or an
// image's dimensions. NotFound if the dataset is hidden or has no sample.
func (s *Service) SamplePreview(ctx context.Context, p Principal, id string, rows int) (SamplePreview, error) {
	if rows < 0 || rows > MaxPreviewRows {
		return SamplePreview{}, &Error{Kind: KindInvalid, Message: T("行数须在 1–100 之间", "rows must be 1–100"),
			Fields: []FieldError{{Field: "rows", Code: "range", Message: T("1–100", "1–100")}}}
	}
	if rows == 0 {
		rows = previewRows
	}
	dist, err := s.sample(ctx, p, id)
	if err != nil {
		return SamplePreview{}, err
	}
	out := SamplePreview{Dataset: id, File: dist, Kind: previewKind(dist)}
	switch out.Kind {
	case "table":
		b, err := s.readPrefix(ctx, dist, previewPrefix)
		if err != nil {
			return out, err
		}
		complete := int64(len(b)) == dist.Bytes
		if !complete {
			// Whole lines only; a newline byte never occurs inside a
			// UTF-8 or GB18030 multi-byte character.
			if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
				b = b[:i+1]
			}
		}
		text, enc := decodeText(b, complete)
		out.Encoding = enc
		ext := strings.ToLower(filepath.Ext(dist.FileName))
		base := mediaBase(dist.MediaType)
		if base == "application/x-ndjson" || ext == ".jsonl" || ext == ".ndjson" {
			out.Columns, out.Rows, out.Truncated = jsonlTable(text, rows)
		} else {
			comma := ','
			if base == "text/tab-separated-values" || ext == ".tsv" {
				comma = '\t'
			}
			out.Columns, out.Rows, out.Truncated = csvTable(text, comma, rows)
		}
		out.Truncated = out.Truncated || !complete
	case "text":
		b, err := s.readPrefix(ctx, dist, previewText)
		if err != nil {
			return out, err
		}
		complete := int64(len(b)) == dist.Bytes
		out.Text, out.Encoding = decodeText(b, complete)
		out.Truncated = !complete
	case "image":
		r, err := s.blobs.Open(ctx, dist.SHA256, 0, -1)
		if err != nil {
			return out, err
		}
		cfg, format, err := image.DecodeConfig(r)
		r.Close()
		if err != nil {
			// Content that starts like an image but is not one: show it
			// as a file without a preview.
			out.Kind = previewKindNone
			return out, nil
		}
		out.Image = &ImageInfo{Width: cfg.Width, Height: cfg.Height, Format: format,
			Thumbnail: thumbnailable(dist, cfg)}
	}
	return out, nil
}

func thumbnailable(d Distribution, cfg image.Config) bool {
	return d.Bytes <= thumbMaxBytes && cfg.Width > 0 && cfg.Height > 0 && int64(cfg.Width)*int64(cfg.Height) <= thumbMaxPixels
}

// decodeText converts a prefix of a text to UTF-8, telling UTF-8 (with or
// without a byte-order mark) from GB18030. complete says whether b is the
// whole content; if not, a character cut at the end is dropped.
func decodeText(b []byte, complete bool) (string, string) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if s, ok := validUTF8(b, complete); ok {
		return s, "utf-8"
	}
	// GB18030 decodes any byte sequence, mapping what is not GB18030 to
	// U+FFFD; a text that decodes without any is GB18030.
	if dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b); err == nil {
		s := string(dec)
		if !complete {
			s = strings.TrimSuffix(s, "\ufffd")
		}
		if !strings.ContainsRune(s, utf8.RuneError) {
			return s, "gb18030"
		}
	}
	return strings.ToValidUTF8(string(b), "\ufffd"), "utf-8"
}

// validUTF8 reports whether b is UTF-8, allowing a character cut at the
// end of an incomplete prefix (which it drops).
func validUTF8(b []byte, complete bool) (string, bool) {
	if utf8.Valid(b) {
		return string(b), true
	}
	if complete {
		return "", false
	}
	for cut := 1; cut <= 3 && cut <= len(b); cut++ {
		if utf8.Valid(b[:len(b)-cut]) {
			return string(b[:len(b)-cut]), true
		}
	}
	return "", false
}

// clip bounds a cell to previewCell runes.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= previewCell {
		return s
	}
	r := []rune(s)
	return string(r[:previewCell]) + "…"
}

// csvTable reads a header and up to rows records. truncated is set when
// more records, columns or cell text exist than are shown.
func csvTable(text string, comma rune, rows int) ([]string, [][]string, bool) {
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma, cr.LazyQuotes, cr.FieldsPerRecord = comma, true, -1
	var cols []string
	var out [][]string
	truncated := false
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// Show what parsed; the rest is not a table this reader knows.
			truncated = true
			break
		}
		if cols == nil {
			cols = clipRow(rec, &truncated)
			continue
		}
		if len(out) == rows {
			truncated = true
			break
		}
		out = append(out, clipRow(rec, &truncated))
	}
	return cols, out, truncated
}

func clipRow(rec []string, truncated *bool) []string {
	if len(rec) > previewCols {
		rec, *truncated = rec[:previewCols], true
	}
	row := make([]string, len(rec))
	for i, c := range rec {
		row[i] = clip(c)
		if row[i] != c {
			*truncated = true
		}
	}
	return row
}

// jsonlTable turns JSON lines into a table: the columns are the keys in
// the order they first appear; a value that is not a string is shown as
// JSON; a line that is not an object is shown in a "value" column.
func jsonlTable(text string, rows int) ([]string, [][]string, bool) {
	var cols []string
	index := map[string]int{}
	var objs []map[string]string
	truncated := false
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if len(objs) == rows {
			truncated = true
			break
		}
		keys, vals, ok := objectFields(line)
		if !ok {
			keys, vals = []string{"value"}, map[string]string{"value": line}
		}
		for _, k := range keys {
			if _, seen := index[k]; !seen {
				if len(cols) == previewCols {
					truncated = true
					continue
				}
				index[k] = len(cols)
				cols = append(cols, k)
			}
		}
		objs = append(objs, vals)
	}
	out := make([][]string, len(objs))
	for i, o := range objs {
		row := make([]string, len(cols))
		for j, k := range cols {
			row[j] = clip(o[k])
			if row[j] != o[k] {
				truncated = true
			}
		}
		out[i] = row
	}
	return cols, out, truncated
}

// objectFields decodes one JSON object, keeping the order of its keys.
func objectFields(line string) ([]string, map[string]string, bool) {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, false
	}
	var keys []string
	vals := map[string]string{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, false
		}
		k, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, false
		}
		if _, seen := vals[k]; !seen {
			keys = append(keys, k)
		}
		var str string
		if json.Unmarshal(raw, &str) == nil {
			vals[k] = str
		} else {
			var buf bytes.Buffer
			if json.Compact(&buf, raw) == nil {
				raw = buf.Bytes()
			}
			vals[k] = string(raw)
		}
	}
	return keys, vals, true
}

// SampleThumbnail renders the sample image of a dataset the principal may
// view, fitted into 320 × 320 pixels: PNG, or JPEG for a JPEG sample.
// NotFound when there is no sample or it has no thumbnail (not a PNG,
// JPEG, GIF or WebP image, or over 32 MiB or 16 megapixels). An SVG is
// never rendered.
func (s *Service) SampleThumbnail(ctx context.Context, p Principal, id string) (Thumbnail, error) {
	dist, err := s.sample(ctx, p, id)
	if err != nil {
		return Thumbnail{}, err
	}
	none := &Error{Kind: KindNotFound, Message: T("该样例没有缩略图（仅支持 32 MiB、1600 万像素以内的 PNG、JPEG、GIF、WebP 图像）",
		"this sample has no thumbnail (only PNG, JPEG, GIF and WebP images up to 32 MiB and 16 megapixels have one)")}
	if previewKind(dist) != "image" {
		return Thumbnail{}, none
	}
	r, err := s.blobs.Open(ctx, dist.SHA256, 0, -1)
	if err != nil {
		return Thumbnail{}, err
	}
	defer r.Close()
	var head bytes.Buffer
	cfg, _, err := image.DecodeConfig(io.TeeReader(r, &head))
	if err != nil || !thumbnailable(dist, cfg) {
		return Thumbnail{}, none
	}
	select {
	case s.thumbs <- struct{}{}:
		defer func() { <-s.thumbs }()
	case <-ctx.Done():
		return Thumbnail{}, Wrap(KindUnavailable, ctx.Err(), "服务繁忙，请稍后重试", "the service is busy; retry later")
	}
	src, format, err := image.Decode(io.MultiReader(&head, r))
	if err != nil {
		return Thumbnail{}, none
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > thumbSize || h > thumbSize {
		if w >= h {
			w, h = thumbSize, max(1, h*thumbSize/b.Dx())
		} else {
			w, h = max(1, w*thumbSize/b.Dy()), thumbSize
		}
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
	var out bytes.Buffer
	t := Thumbnail{MediaType: "image/png", ETag: `"thumb-` + dist.SHA256[:40] + `"`}
	if format == "jpeg" {
		t.MediaType = "image/jpeg"
		err = jpeg.Encode(&out, dst, &jpeg.Options{Quality: 82})
	} else {
		err = png.Encode(&out, dst)
	}
	if err != nil {
		return Thumbnail{}, Internal(err, "encode thumbnail")
	}
	t.Data = out.Bytes()
	return t, nil
}
