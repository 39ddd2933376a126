package catalog

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Versions and their distributions: uploaded files, whose contents live in
// the blob store under their SHA-256, and external links.
//
// Distributions live in the dataset document, inside their version. Every
// change of a dataset's files is then one single-document write that
// carries its audit event and the index state (saveDataset), "one sample
// per dataset" is an invariant of one document, and a dataset page needs
// no second query. The price is document size, so a dataset holds at most
// MaxDistributions of them (about 400 bytes each): training data is
// delivered as archives or shards, not as one distribution per record. A
// catalogue that needs more would move them to their own collection keyed
// by dataset and version, with an outbox of its own.

// Distribution kinds.
const (
	DistFile = "file" // an uploaded file in the blob store
	DistURL  = "url"  // an external link
)

// MaxDistributions bounds the files and links of one dataset.
const MaxDistributions = 500

// DefaultUploadLimit is the default largest upload: 10 GiB.
const DefaultUploadLimit int64 = 10 << 30

// Distribution is one way to obtain a version's data: an uploaded file or
// an external URL.
type Distribution struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// FileName is the name the file was uploaded with (any script, Chinese
	// included) and is downloaded with.
	FileName string `json:"file_name,omitempty"`
	Title    string `json:"title,omitempty"`
	// MediaType is told from the content, not from what the client said.
	MediaType string `json:"media_type,omitempty"`
	Bytes     int64  `json:"bytes"`
	// SHA256 is the hex SHA-256 of the content, computed while it was
	// stored; it is also the content's address in the blob store and the
	// download's ETag.
	SHA256 string `json:"sha256,omitempty"`
	// URL is where an external distribution lives. Links are published
	// metadata (like DCAT's accessURL): they must lead to a service that
	// applies its own access rules.
	URL string `json:"url,omitempty"`
	// Sample marks the dataset's public sample: an uploaded file that
	// whoever may view the dataset may preview and download.
	Sample    bool      `json:"sample,omitempty"`
	Version   string    `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
}

// NewFile describes an upload; its content comes as a stream.
type NewFile struct {
	Version  string
	FileName string
	Sample   bool
}

// NewLink is the body of an external link.
type NewLink struct {
	URL       string `json:"url"`
	Title     string `json:"title"`
	MediaType string `json:"media_type"`
}

var (
	versionName = T("版本", "version")
	distName    = T("文件", "file")
	errNoBlobs  = E(KindUnavailable, "文件存储未配置", "file storage is not configured")
)

// FileTooLarge is the error for an upload over limit bytes.
func FileTooLarge(limit int64) error {
	msg := T("文件超过上传上限 "+humanBytes(limit)+"，未保存", "the file exceeds the upload limit of "+humanBytes(limit)+" and was not saved")
	return &Error{Kind: KindInvalid, Message: msg, Fields: []FieldError{{Field: "file", Code: "too_large", Message: msg}}}
}

func humanBytes(n int64) string {
	for _, u := range []struct {
		unit string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%(u.size/1024) == 0 {
			return strconv.FormatFloat(float64(n)/float64(u.size), 'f', -1, 64) + " " + u.unit
		}
	}
	return strconv.FormatInt(n, 10) + " B"
}

// UploadLimit is the largest file an upload may carry, in bytes.
func (s *Service) UploadLimit() int64 { return s.opts.UploadLimit }

// limitedUpload fails with the too-large error once more than left bytes
// came through.
type limitedUpload struct {
	r     io.Reader
	left  int64
	limit int64
}

func (l *limitedUpload) Read(p []byte) (int, error) {
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, FileTooLarge(l.limit)
	}
	return n, err
}

// cleanFileName keeps the last element of a client's path and checks the
// rest: 1–255 bytes of valid UTF-8 without control characters.
func cleanFileName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = strings.TrimSpace(name[i+1:])
	}
	var v Validation
	switch {
	case name == "" || name == "." || name == "..":
		v.Add("filename", "required", "缺少文件名（filename 参数或 Content-Disposition）", "the file name is missing (filename parameter or Content-Disposition)")
	case !utf8.ValidString(name):
		v.Add("filename", "encoding", "文件名不是有效的 UTF-8 文本", "the file name is not valid UTF-8")
	case len(name) > 255:
		v.Add("filename", "too_long", "文件名过长（最多 255 字节）", "the file name is too long (at most 255 bytes)")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		v.Add("filename", "control", "文件名不能包含控制字符", "the file name must not contain control characters")
	}
	return name, v.Err()
}

// findVersion returns the index of version number in d.
func findVersion(d *Dataset, number string) (int, error) {
	for i := range d.Versions {
		if d.Versions[i].Number == number {
			return i, nil
		}
	}
	return -1, NotFound(versionName)
}

// findDistribution returns the version and distribution index of id.
func findDistribution(d *Dataset, id string) (int, int, bool) {
	for i := range d.Versions {
		for j := range d.Versions[i].Distributions {
			if d.Versions[i].Distributions[j].ID == id {
				return i, j, true
			}
		}
	}
	return -1, -1, false
}

func countDistributions(d *Dataset) int {
	n := 0
	for _, v := range d.Versions {
		n += len(v.Distributions)
	}
	return n
}

var errTooManyFiles = &Error{Kind: KindConflict, Message: T(
	fmt.Sprintf("一个数据集最多 %d 个文件和链接；请将文件打包后上传", MaxDistributions),
	fmt.Sprintf("a dataset holds at most %d files and links; upload archives or shards instead", MaxDistributions))}

// setSample makes id the dataset's only sample ("" for none).
func setSample(d *Dataset, id string) {
	for i := range d.Versions {
		for j := range d.Versions[i].Distributions {
			dist := &d.Versions[i].Distributions[j]
			dist.Sample = dist.ID == id
		}
	}
}

// changeFiles is the read-check-modify-write cycle of a change to a
// dataset's files, like changeDataset, with an audit event that names
// the file. fn returns the event's detail.
func (s *Service) changeFiles(ctx context.Context, p Principal, id, action string, fn func(d *Dataset) (map[string]string, error)) (Dataset, error) {
	for attempt := 0; ; attempt++ {
		rec, storeRev, err := s.viewable(ctx, p, id)
		if err != nil {
			return Dataset{}, err
		}
		d := &rec.Dataset
		dec, err := s.decide(ctx, p, ActEdit, s.resource(ctx, p, d))
		if err != nil {
			return Dataset{}, err
		}
		detail, err := fn(d)
		if err != nil {
			return Dataset{}, err
		}
		d.Rev++
		d.UpdatedAt = s.now()
		if detail == nil {
			detail = map[string]string{}
		}
		detail["rev"] = strconv.FormatInt(d.Rev, 10)
		ev := s.newAuditEvent(p, action, "dataset:"+d.ID, dec, detail)
		_, err = s.saveDataset(ctx, &rec, storeRev, ev)
		if err == nil {
			return *d, nil
		}
		if !errors.Is(err, ErrStale) || attempt >= maxStaleRetries {
			return Dataset{}, err
		}
		staleWait(attempt)
	}
}

// UploadFile stores an uploaded file as a distribution of a version. The
// caller needs the edit permission, checked before any byte is stored.
// The content is streamed into the blob store (hashed on the way, never
// held whole in memory); its media type is told from its first bytes and
// must agree with the file name's extension. Invalid for a bad name, a
// mismatch or a file over the upload limit; NotFound for an unknown
// dataset or version; Conflict when the dataset has too many files.
func (s *Service) UploadFile(ctx context.Context, p Principal, datasetID string, in NewFile, body io.Reader) (Distribution, error) {
	if s.blobs == nil {
		return Distribution{}, errNoBlobs
	}
	name, err := cleanFileName(in.FileName)
	if err != nil {
		return Distribution{}, err
	}
	// Refuse before reading: nobody may fill the store with files for a
	// dataset they cannot edit.
	rec, _, err := s.viewable(ctx, p, datasetID)
	if err != nil {
		return Distribution{}, err
	}
	if _, err := s.decide(ctx, p, ActEdit, s.resource(ctx, p, &rec.Dataset)); err != nil {
		return Distribution{}, err
	}
	if _, err := findVersion(&rec.Dataset, in.Version); err != nil {
		return Distribution{}, err
	}
	if countDistributions(&rec.Dataset) >= MaxDistributions {
		return Distribution{}, errTooManyFiles
	}
	br := bufio.NewReaderSize(body, sniffLen)
	head, err := br.Peek(sniffLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return Distribution{}, BlobReadError(err)
	}
	mediaType, err := detectMediaType(head, name)
	if err != nil {
		return Distribution{}, err
	}
	info, err := s.blobs.Put(ctx, &limitedUpload{r: br, left: s.opts.UploadLimit, limit: s.opts.UploadLimit})
	if err != nil {
		return Distribution{}, err
	}
	// The blob stays if the write below fails: contents are shared by
	// address, so it may already serve another distribution.
	dist := Distribution{ID: newID("f"), Kind: DistFile, FileName: name, MediaType: mediaType, Bytes: info.Size,
		SHA256: info.Address, Sample: in.Sample, Version: in.Version, CreatedAt: s.now(), CreatedBy: p.User.ID}
	_, err = s.changeFiles(ctx, p, datasetID, "dataset.file.add", func(d *Dataset) (map[string]string, error) {
		vi, err := findVersion(d, in.Version)
		if err != nil {
			return nil, err
		}
		if countDistributions(d) >= MaxDistributions {
			return nil, errTooManyFiles
		}
		d.Versions[vi].Distributions = append(d.Versions[vi].Distributions, dist)
		if dist.Sample {
			setSample(d, dist.ID)
		}
		return map[string]string{"file": dist.ID, "file_name": name, "version": in.Version, "sha256": info.Address,
			"bytes": strconv.FormatInt(info.Size, 10), "media_type": mediaType, "sample": strconv.FormatBool(dist.Sample)}, nil
	})
	return dist, err
}

// AddLink records an external URL (http or https) as a distribution of a
// version. Invalid for a bad URL; NotFound for an unknown dataset or version.
func (s *Service) AddLink(ctx context.Context, p Principal, datasetID, version string, in NewLink) (Distribution, error) {
	in.URL, in.Title, in.MediaType = strings.TrimSpace(in.URL), strings.TrimSpace(in.Title), strings.TrimSpace(in.MediaType)
	var v Validation
	checkLink(&v, in.URL)
	checkText(&v, "title", in.Title, 0, 200, "标题", "Title")
	if in.MediaType != "" {
		if _, _, err := mime.ParseMediaType(in.MediaType); err != nil || len(in.MediaType) > 100 {
			v.Add("media_type", "format", "媒体类型格式无效，如 text/csv", "the media type is malformed; for example text/csv")
		}
	}
	if err := v.Err(); err != nil {
		return Distribution{}, err
	}
	dist := Distribution{ID: newID("f"), Kind: DistURL, URL: in.URL, Title: in.Title, MediaType: in.MediaType,
		Version: version, CreatedAt: s.now()}
	_, err := s.changeFiles(ctx, p, datasetID, "dataset.link.add", func(d *Dataset) (map[string]string, error) {
		dist.CreatedBy = p.User.ID // signed in: the edit permission was granted
		vi, err := findVersion(d, version)
		if err != nil {
			return nil, err
		}
		if countDistributions(d) >= MaxDistributions {
			return nil, errTooManyFiles
		}
		d.Versions[vi].Distributions = append(d.Versions[vi].Distributions, dist)
		return map[string]string{"file": dist.ID, "url": in.URL, "version": version}, nil
	})
	return dist, err
}

// checkLink accepts absolute http and https URLs with a host and without
// credentials (a password in a published link would be a leak).
func checkLink(v *Validation, raw string) {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		v.Add("url", "required", "链接必填", "the URL is required")
	case len(raw) > 2000:
		v.Add("url", "too_long", "链接过长（最多 2000 字符）", "the URL is too long (at most 2000 characters)")
	case err != nil || strings.IndexFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		v.Add("url", "format", "链接格式无效", "the URL is malformed")
	case u.Scheme != "http" && u.Scheme != "https":
		v.Add("url", "scheme", "链接须以 http:// 或 https:// 开头", "the URL must start with http:// or https://")
	case u.Host == "" || u.Hostname() == "":
		v.Add("url", "host", "链接缺少主机名", "the URL has no host")
	case u.User != nil:
		v.Add("url", "credentials", "链接不能包含用户名或密码", "the URL must not contain a user name or password")
	}
}

// RemoveFile removes a distribution from its version. The content stays
// in the blob store: it is addressed by its hash and may serve another
// distribution (collecting unreferenced contents is a separate sweep).
func (s *Service) RemoveFile(ctx context.Context, p Principal, datasetID, fileID string) error {
	_, err := s.changeFiles(ctx, p, datasetID, "dataset.file.remove", func(d *Dataset) (map[string]string, error) {
		vi, fi, ok := findDistribution(d, fileID)
		if !ok {
			return nil, NotFound(distName)
		}
		v := &d.Versions[vi]
		old := v.Distributions[fi]
		v.Distributions = append(v.Distributions[:fi:fi], v.Distributions[fi+1:]...)
		return map[string]string{"file": old.ID, "file_name": old.FileName, "url": old.URL, "sha256": old.SHA256, "version": v.Number}, nil
	})
	return err
}

// SetSample marks an uploaded file as the dataset's public sample, or
// clears the mark (fileID ""). Invalid for a link: a sample is previewed
// from its content.
func (s *Service) SetSample(ctx context.Context, p Principal, datasetID, fileID string) (Dataset, error) {
	action := "dataset.sample.set"
	if fileID == "" {
		action = "dataset.sample.clear"
	}
	return s.changeFiles(ctx, p, datasetID, action, func(d *Dataset) (map[string]string, error) {
		if fileID != "" {
			vi, fi, ok := findDistribution(d, fileID)
			if !ok {
				return nil, NotFound(distName)
			}
			if d.Versions[vi].Distributions[fi].Kind != DistFile {
				return nil, &Error{Kind: KindInvalid, Message: T("只有上传的文件可以作为样例", "only an uploaded file can be the sample"),
					Fields: []FieldError{{Field: "file_id", Code: "not_a_file", Message: T("须为上传的文件", "must be an uploaded file")}}}
			}
		}
		setSample(d, fileID)
		return map[string]string{"file": fileID}, nil
	})
}

// sampleOf returns the dataset's sample distribution.
func sampleOf(d *Dataset) (Distribution, bool) {
	for _, v := range d.Versions {
		for _, dist := range v.Distributions {
			if dist.Sample && dist.Kind == DistFile {
				return dist, true
			}
		}
	}
	return Distribution{}, false
}

// Download is an authorised download of one distribution: the decision is
// made, the transfer is not yet audited.
type Download struct {
	DatasetID string
	File      Distribution
	s         *Service
	p         Principal
	dec       Decision
}

// Download decides whether p may download a distribution of a dataset:
// the download permission, or for the dataset's sample the view
// permission. NotFound for an unknown dataset or file, and for a dataset
// the caller may not see; Unauthenticated or Forbidden, with the decision
// that explains it, otherwise. Refused attempts are in the audit trail.
func (s *Service) Download(ctx context.Context, p Principal, datasetID, fileID string) (*Download, error) {
	if s.blobs == nil {
		return nil, errNoBlobs
	}
	rec, _, err := s.datasets.get(ctx, datasetID)
	if err != nil {
		return nil, err
	}
	d := &rec.Dataset
	vi, fi, found := findDistribution(d, fileID)
	var dist Distribution
	act := ActDownload
	if found {
		dist = d.Versions[vi].Distributions[fi]
		if dist.Sample && dist.Kind == DistFile {
			act = ActView
		}
	}
	// Decided before the file is looked at: whoever may not see the
	// dataset learns nothing about its files.
	dec, err := s.decide(ctx, p, act, s.resource(ctx, p, d))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, NotFound(distName)
	}
	return &Download{DatasetID: d.ID, File: dist, s: s, p: p, dec: dec}, nil
}

// Open audits the transfer of length bytes from offset (length < 0: to
// the end) and opens them. The event is appended before any byte leaves:
// if the audit trail cannot take it, the download is refused
// (Unavailable). The reader outlives ctx and must be closed.
func (dl *Download) Open(ctx context.Context, offset, length int64) (io.ReadCloser, error) {
	if dl.File.Kind != DistFile {
		return nil, &Error{Kind: KindInvalid, Message: T("这是外部链接，不是文件", "this is an external link, not a file")}
	}
	n, err := BlobRange(dl.File.Bytes, offset, length)
	if err != nil {
		return nil, err
	}
	detail := map[string]string{"file": dl.File.ID, "file_name": dl.File.FileName, "version": dl.File.Version,
		"sha256": dl.File.SHA256, "bytes": strconv.FormatInt(n, 10)}
	if n != dl.File.Bytes {
		detail["range"] = fmt.Sprintf("%d-%d/%d", offset, offset+n-1, dl.File.Bytes)
	}
	if dl.File.Sample {
		detail["sample"] = "true"
	}
	if err := dl.s.audit(ctx, dl.p, "download", "dataset:"+dl.DatasetID, dl.dec, detail); err != nil {
		return nil, err
	}
	return dl.s.blobs.Open(ctx, dl.File.SHA256, offset, n)
}

// Follow audits the use of an external link and returns its URL.
func (dl *Download) Follow(ctx context.Context) (string, error) {
	if dl.File.Kind != DistURL {
		return "", &Error{Kind: KindInvalid, Message: T("这是文件，不是外部链接", "this is a file, not an external link")}
	}
	detail := map[string]string{"file": dl.File.ID, "url": dl.File.URL, "version": dl.File.Version}
	if err := dl.s.audit(ctx, dl.p, "download", "dataset:"+dl.DatasetID, dl.dec, detail); err != nil {
		return "", err
	}
	return dl.File.URL, nil
}
