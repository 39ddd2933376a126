package catalog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Importing datasets in bulk (`portal import FILE`): a JSONL file of
// datasets in the API's shape, or a CKAN package_search (or package_list
// of packages) dump harvested from another portal. The whole file is read
// and checked first; if any record is wrong, every problem is reported
// with its line or position and nothing is stored.

// ImportDefaults fill what the source does not say (CKAN has no domain,
// modality or tier). Extras named domain, modality and tier override them.
type ImportDefaults struct {
	Domain   string
	Modality string
	Tier     Tier
	License  string
	Publish  bool
}

// ImportProblem is one wrong record.
type ImportProblem struct {
	Record int          `json:"record"` // 1-based line (JSONL) or position (CKAN)
	ID     string       `json:"id,omitempty"`
	Fields []FieldError `json:"fields"`
}

// ImportReport says what an import did.
type ImportReport struct {
	Format   string          `json:"format"` // jsonl or ckan
	Read     int             `json:"read"`
	Created  []string        `json:"created"`
	Skipped  []string        `json:"skipped"` // ids taken already
	Problems []ImportProblem `json:"problems,omitempty"`
}

type importRecord struct {
	in    NewDataset
	links []NewLink
}

// ImportDatasets registers the datasets of r for the principal's
// organisation (as drafts, or published with defaults.Publish). Invalid if
// any record is wrong, with the report listing them all.
func (s *Service) ImportDatasets(ctx context.Context, p Principal, r io.Reader, defaults ImportDefaults) (ImportReport, error) {
	data, err := io.ReadAll(io.LimitReader(r, 512<<20))
	if err != nil {
		return ImportReport{}, Wrap(KindInvalid, err, "无法读取导入文件", "the import file cannot be read")
	}
	var rep ImportReport
	var recs []importRecord
	if pkgs, ok := ckanPackages(data); ok {
		rep.Format = "ckan"
		for _, pkg := range pkgs {
			recs = append(recs, fromCKAN(pkg, defaults))
		}
	} else {
		rep.Format = "jsonl"
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		line := 0
		for sc.Scan() {
			line++
			text := strings.TrimSpace(sc.Text())
			if text == "" {
				recs = append(recs, importRecord{}) // keeps record numbers equal to line numbers
				continue
			}
			var in NewDataset
			if err := DecodeStrict([]byte(text), &in); err != nil {
				de, _ := err.(*Error)
				fields := []FieldError{{Field: "", Code: "json", Message: de.Message}}
				if len(de.Fields) > 0 {
					fields = de.Fields
				}
				rep.Problems = append(rep.Problems, ImportProblem{Record: line, Fields: fields})
				recs = append(recs, importRecord{})
				continue
			}
			recs = append(recs, importRecord{in: in})
		}
		if err := sc.Err(); err != nil {
			return rep, Wrap(KindInvalid, err, "导入文件的某一行过长", "a line of the import file is too long")
		}
	}
	// Check every record before storing any.
	for i, rec := range recs {
		if rec.in.ID == "" && rec.in.Title == "" {
			continue // a blank line, or a line already reported
		}
		d := Dataset{ID: rec.in.ID, DatasetFields: rec.in.DatasetFields}
		d.Normalize()
		var fields []FieldError
		if err := d.Validate(); err != nil {
			fields = err.(*Error).Fields
		}
		if len(rec.in.ListItems) > 0 {
			fields = append(fields, FieldError{Field: "list_items", Code: "read_only", Message: T("清单条目通过响应关联，不能导入", "list items come from responses and cannot be imported")})
		}
		if len(fields) > 0 {
			rep.Problems = append(rep.Problems, ImportProblem{Record: i + 1, ID: rec.in.ID, Fields: fields})
		}
	}
	for _, rec := range recs {
		if rec.in.ID != "" || rec.in.Title != "" {
			rep.Read++
		}
	}
	if len(rep.Problems) > 0 {
		return rep, &Error{Kind: KindInvalid, Message: T(fmt.Sprintf("%d 条记录有误，未导入任何数据集", len(rep.Problems)),
			fmt.Sprintf("%d records are wrong; nothing was imported", len(rep.Problems))), Detail: rep}
	}
	for _, rec := range recs {
		if rec.in.ID == "" && rec.in.Title == "" {
			continue
		}
		d, err := s.CreateDataset(ctx, p, rec.in)
		if IsKind(err, KindConflict) {
			rep.Skipped = append(rep.Skipped, rec.in.ID)
			continue
		}
		if err != nil {
			return rep, err
		}
		if len(rec.links) > 0 {
			if _, err := s.AddVersion(ctx, p, d.ID, NewVersion{Number: "1", Changelog: "导入 / imported"}, 0); err != nil {
				return rep, err
			}
			for _, l := range rec.links {
				if _, err := s.AddLink(ctx, p, d.ID, "1", l); err != nil && !IsKind(err, KindInvalid) {
					return rep, err
				}
			}
		}
		if defaults.Publish {
			if _, err := s.PublishDataset(ctx, p, d.ID, 0); err != nil {
				return rep, err
			}
		}
		rep.Created = append(rep.Created, d.ID)
	}
	return rep, nil
}

// ckanPackage is the part of a CKAN package the import reads.
type ckanPackage struct {
	Name      string `json:"name"`
	Title     string `json:"title"`
	Notes     string `json:"notes"`
	LicenseID string `json:"license_id"`
	Tags      []struct {
		Name string `json:"name"`
	} `json:"tags"`
	Resources []struct {
		Name   string `json:"name"`
		URL    string `json:"url"`
		Format string `json:"format"`
	} `json:"resources"`
	Extras []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"extras"`
}

// ckanPackages recognises a CKAN action API response holding packages.
func ckanPackages(data []byte) ([]ckanPackage, bool) {
	var env struct {
		Success *bool           `json:"success"`
		Result  json.RawMessage `json:"result"`
	}
	if json.Unmarshal(data, &env) != nil || env.Success == nil || len(env.Result) == 0 {
		return nil, false
	}
	var search struct {
		Results []ckanPackage `json:"results"`
	}
	if json.Unmarshal(env.Result, &search) == nil && search.Results != nil {
		return search.Results, true
	}
	var list []ckanPackage
	if json.Unmarshal(env.Result, &list) == nil {
		return list, true
	}
	var one ckanPackage
	if json.Unmarshal(env.Result, &one) == nil && one.Name != "" {
		return []ckanPackage{one}, true
	}
	return nil, false
}

var notSlug = regexp.MustCompile(`[^a-z0-9]+`)

// ckanLicenses maps CKAN's licence ids to SPDX.
var ckanLicenses = map[string]string{
	"cc-by": "CC-BY-4.0", "cc-by-sa": "CC-BY-SA-4.0", "cc-zero": "CC0-1.0", "cc-nc": "CC-BY-NC-4.0",
	"odc-by": "ODC-By-1.0", "odc-odbl": "ODbL-1.0", "odc-pddl": "PDDL-1.0", "gfdl": "GFDL-1.3-or-later",
	"other-closed": "proprietary", "notspecified": "",
}

func fromCKAN(pkg ckanPackage, def ImportDefaults) importRecord {
	in := NewDataset{ID: strings.Trim(notSlug.ReplaceAllString(strings.ToLower(pkg.Name), "-"), "-"), DatasetFields: DatasetFields{
		Title: pkg.Title, Description: pkg.Notes, Domain: def.Domain, Modality: def.Modality, Tier: def.Tier, License: def.License}}
	if in.Description == "" {
		in.Description = pkg.Title
	}
	if l, ok := ckanLicenses[strings.ToLower(pkg.LicenseID)]; ok {
		if l != "" {
			in.License = l
		}
	} else if n, ok := NormalizeLicense(pkg.LicenseID); ok {
		in.License = n
	}
	for _, t := range pkg.Tags {
		in.Keywords = append(in.Keywords, t.Name)
	}
	for _, e := range pkg.Extras {
		switch e.Key {
		case "domain":
			in.Domain = e.Value
		case "modality":
			in.Modality = e.Value
		case "tier":
			in.Tier = Tier(e.Value)
		case "title_en":
			in.TitleEn = e.Value
		}
	}
	rec := importRecord{in: in}
	for _, r := range pkg.Resources {
		if strings.HasPrefix(r.URL, "http://") || strings.HasPrefix(r.URL, "https://") {
			rec.links = append(rec.links, NewLink{URL: r.URL, Title: r.Name})
		}
		if f := strings.ToUpper(strings.TrimSpace(r.Format)); f != "" {
			rec.in.Formats = append(rec.in.Formats, f)
		}
	}
	return rec
}
