package server

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dataportal/catalog"
)

// Catalogue exports in the formats other portals and tools read: DCAT
// (JSON-LD) for open-data catalogues, Croissant (JSON-LD) for machine-
// learning tooling, a CKAN-compatible read API for harvesters, and a
// sitemap. Each lists only what the caller may view: they are built from
// the same service calls as the pages, so the tier rules apply unchanged
// (anonymous harvesters see open and conditional metadata only).

func (a *App) exportRoutes() []route {
	return []route{
		{method: "GET", path: "/dcat", tag: "exports", summary: "The datasets the caller may view as a DCAT catalogue (JSON-LD), 500 a page",
			query: []param{{name: "after", help: "the next cursor of the previous page"}}, resp: jsonLD{}, handler: a.dcat},
		{method: "GET", path: "/datasets/:id/croissant", tag: "exports", summary: "A dataset's Croissant metadata (JSON-LD) for ML tooling",
			resp: jsonLD{}, handler: a.croissant},
	}
}

// jsonLD is a JSON-LD document.
type jsonLD map[string]any

// baseURL is the portal's public address: PORTAL_BASE_URL, or the address
// the request came to.
func (a *App) baseURL(c *fiber.Ctx) string {
	if a.cfg.BaseURL != "" {
		return strings.TrimRight(a.cfg.BaseURL, "/")
	}
	return c.BaseURL()
}

func langValues(zh, en string) []map[string]string {
	out := []map[string]string{{"@value": zh, "@language": "zh"}}
	if en != "" {
		out = append(out, map[string]string{"@value": en, "@language": "en"})
	}
	return out
}

// licenseURI turns an SPDX id into the URI catalogues expect.
func licenseURI(id string) string {
	if id == "proprietary" || id == "" || strings.ContainsAny(id, " ()") {
		return id
	}
	return "https://spdx.org/licenses/" + url.PathEscape(id) + ".html"
}

func (a *App) dcatDataset(base string, d *catalog.Dataset) jsonLD {
	page := base + "/datasets/" + url.PathEscape(d.ID)
	ds := jsonLD{
		"@id": page, "@type": "dcat:Dataset",
		"dct:identifier": d.ID, "dct:title": langValues(d.Title, d.TitleEn), "dct:description": langValues(d.Description, d.DescriptionEn),
		"dcat:keyword": d.Keywords, "dct:language": d.Languages, "dct:license": licenseURI(d.License),
		"dct:publisher": jsonLD{"@type": "foaf:Organization", "foaf:name": langValues(d.PublisherName, d.PublisherEn)},
		"dcat:theme":    d.Domain, "dct:type": d.Modality, "dct:accessRights": string(d.Tier),
		"dct:modified": d.UpdatedAt.Format(time.RFC3339), "dcat:landingPage": page,
	}
	if d.PublishedAt != nil {
		ds["dct:issued"] = d.PublishedAt.Format(time.RFC3339)
	}
	var dists []jsonLD
	for _, v := range d.Versions {
		for _, f := range v.Distributions {
			dist := jsonLD{"@type": "dcat:Distribution", "dct:identifier": f.ID, "dcat:mediaType": f.MediaType, "dcat:byteSize": f.Bytes, "dct:hasVersion": v.Number}
			if f.Kind == catalog.DistURL {
				dist["dcat:accessURL"] = f.URL
				dist["dct:title"] = f.Title
			} else {
				dist["dcat:downloadURL"] = base + "/api/v1/datasets/" + url.PathEscape(d.ID) + "/files/" + url.PathEscape(f.ID)
				dist["dct:title"] = f.FileName
				dist["spdx:checksum"] = jsonLD{"spdx:algorithm": "spdx:checksumAlgorithm_sha256", "spdx:checksumValue": f.SHA256}
			}
			dists = append(dists, dist)
		}
	}
	if len(dists) > 0 {
		ds["dcat:distribution"] = dists
	}
	return ds
}

var dcatContext = jsonLD{
	"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/", "foaf": "http://xmlns.com/foaf/0.1/",
	"spdx": "http://spdx.org/rdf/terms#", "hydra": "http://www.w3.org/ns/hydra/core#",
}

func (a *App) dcat(c *fiber.Ctx) error {
	items, next, err := a.svc.VisibleDatasets(c.UserContext(), principal(c), c.Query("after"), 500)
	if err != nil {
		return err
	}
	base := a.baseURL(c)
	var ds []jsonLD
	for i := range items {
		ds = append(ds, a.dcatDataset(base, &items[i]))
	}
	doc := jsonLD{"@context": dcatContext, "@id": base + "/api/v1/dcat", "@type": "dcat:Catalog",
		"dct:title": langValues("江苏省高质量数据集目录", "Jiangsu high-quality dataset catalogue"), "dcat:dataset": ds}
	if next != "" {
		doc["hydra:next"] = base + "/api/v1/dcat?after=" + url.QueryEscape(next)
	}
	c.Set(fiber.HeaderContentType, "application/ld+json; charset=utf-8")
	return c.JSON(doc, "application/ld+json; charset=utf-8")
}

// croissantContext is the Croissant 1.0 JSON-LD context (the part used here).
var croissantContext = jsonLD{
	"@language": "zh", "@vocab": "https://schema.org/", "sc": "https://schema.org/", "cr": "http://mlcommons.org/croissant/",
	"dct": "http://purl.org/dc/terms/", "conformsTo": "dct:conformsTo", "md5": "cr:md5", "sha256": "cr:sha256",
	"contentUrl": "cr:contentUrl", "encodingFormat": "cr:encodingFormat", "fileObject": "cr:fileObject",
}

func (a *App) croissant(c *fiber.Ctx) error {
	d, err := a.svc.Dataset(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	base := a.baseURL(c)
	page := base + "/datasets/" + url.PathEscape(d.ID)
	doc := jsonLD{
		"@context": croissantContext, "@type": "sc:Dataset", "conformsTo": "http://mlcommons.org/croissant/1.0",
		"@id": page, "name": d.Title, "alternateName": d.TitleEn, "description": d.Description, "url": page,
		"license": licenseURI(d.License), "keywords": d.Keywords, "inLanguage": d.Languages,
		"creator": jsonLD{"@type": "sc:Organization", "name": d.PublisherName}, "dateModified": d.UpdatedAt.Format(time.RFC3339),
		"isAccessibleForFree": d.Tier == catalog.TierOpen, "conditionsOfAccess": string(d.Tier),
	}
	if d.PublishedAt != nil {
		doc["datePublished"] = d.PublishedAt.Format(time.RFC3339)
	}
	var files []jsonLD
	for _, v := range d.Versions {
		doc["version"] = v.Number
		for _, f := range v.Distributions {
			if f.Kind != catalog.DistFile {
				continue
			}
			files = append(files, jsonLD{"@type": "cr:FileObject", "@id": f.ID, "name": f.FileName, "encodingFormat": f.MediaType,
				"contentSize": strconv.FormatInt(f.Bytes, 10) + " B", "sha256": f.SHA256,
				"contentUrl": base + "/api/v1/datasets/" + url.PathEscape(d.ID) + "/files/" + url.PathEscape(f.ID)})
		}
	}
	if len(files) > 0 {
		doc["distribution"] = files
	}
	c.Set(fiber.HeaderContentType, "application/ld+json; charset=utf-8")
	return c.JSON(doc, "application/ld+json; charset=utf-8")
}

// sitemap lists the pages of what anonymous visitors may see: published
// datasets of the open tiers and published lists. Never more than the
// 50,000 addresses a sitemap may hold.
func (a *App) sitemap(c *fiber.Ctx) error {
	type loc struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod,omitempty"`
	}
	type urlset struct {
		XMLName xml.Name `xml:"urlset"`
		NS      string   `xml:"xmlns,attr"`
		URLs    []loc    `xml:"url"`
	}
	ctx := c.UserContext()
	base := a.baseURL(c)
	set := urlset{NS: "http://www.sitemaps.org/schemas/sitemap/0.9", URLs: []loc{{Loc: base + "/"}, {Loc: base + "/search"}}}
	after := ""
	for len(set.URLs) < 50000 {
		items, next, err := a.svc.VisibleDatasets(ctx, catalog.Anonymous, after, 500)
		if err != nil {
			return err
		}
		for _, d := range items {
			set.URLs = append(set.URLs, loc{Loc: base + "/datasets/" + url.PathEscape(d.ID), LastMod: d.UpdatedAt.Format("2006-01-02")})
		}
		if next == "" {
			break
		}
		after = next
	}
	lists, _, err := a.svc.Lists(ctx, catalog.Anonymous, "", 0, 100)
	if err != nil {
		return err
	}
	for _, l := range lists {
		set.URLs = append(set.URLs, loc{Loc: base + "/lists/" + url.PathEscape(l.ID), LastMod: l.UpdatedAt.Format("2006-01-02")})
	}
	if len(set.URLs) > 50000 {
		set.URLs = set.URLs[:50000]
	}
	b, err := xml.MarshalIndent(set, "", " ")
	if err != nil {
		return catalog.Internal(err, "sitemap")
	}
	c.Set(fiber.HeaderContentType, "application/xml; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(append([]byte(xml.Header), b...))
}

func (a *App) robots(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	return c.SendString("User-agent: *\nDisallow: /workspace/\nDisallow: /api/\nSitemap: " + a.baseURL(c) + "/sitemap.xml\n")
}

// ---- a CKAN-compatible read API (action API v3), for harvesters ----

type ckanTag struct {
	Name string `json:"name"`
}

type ckanResource struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	URL      string `json:"url"`
	Format   string `json:"format"`
	Mimetype string `json:"mimetype"`
	Size     int64  `json:"size"`
	Hash     string `json:"hash"`
}

type ckanPackage struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	Title            string         `json:"title"`
	Notes            string         `json:"notes"`
	LicenseID        string         `json:"license_id"`
	URL              string         `json:"url"`
	Version          string         `json:"version"`
	MetadataCreated  string         `json:"metadata_created"`
	MetadataModified string         `json:"metadata_modified"`
	Organization     map[string]any `json:"organization"`
	Tags             []ckanTag      `json:"tags"`
	Resources        []ckanResource `json:"resources"`
	Extras           []ckanExtra    `json:"extras"`
	State            string         `json:"state"`
	Private          bool           `json:"private"`
}

type ckanExtra struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func (a *App) ckanPackage(base string, d *catalog.Dataset) ckanPackage {
	p := ckanPackage{ID: d.ID, Name: d.ID, Title: d.Title, Notes: d.Description, LicenseID: d.License,
		URL: base + "/datasets/" + url.PathEscape(d.ID), MetadataCreated: d.CreatedAt.Format("2006-01-02T15:04:05.000000"),
		MetadataModified: d.UpdatedAt.Format("2006-01-02T15:04:05.000000"), State: "active",
		Organization: map[string]any{"name": d.Publisher, "title": d.PublisherName}, Tags: []ckanTag{}, Resources: []ckanResource{},
		Extras: []ckanExtra{{"title_en", d.TitleEn}, {"domain", d.Domain}, {"modality", d.Modality}, {"tier", string(d.Tier)}}}
	for _, k := range d.Keywords {
		p.Tags = append(p.Tags, ckanTag{Name: k})
	}
	for _, v := range d.Versions {
		p.Version = v.Number
		for _, f := range v.Distributions {
			r := ckanResource{ID: f.ID, Name: f.FileName, Mimetype: f.MediaType, Size: f.Bytes, Hash: f.SHA256}
			if f.Kind == catalog.DistURL {
				r.Name, r.URL = f.Title, f.URL
			} else {
				r.URL = base + "/api/v1/datasets/" + url.PathEscape(d.ID) + "/files/" + url.PathEscape(f.ID)
			}
			if i := strings.LastIndexByte(r.Name, '.'); i >= 0 {
				r.Format = strings.ToUpper(r.Name[i+1:])
			}
			p.Resources = append(p.Resources, r)
		}
	}
	return p
}

// ckanAnswer writes CKAN's response envelope.
func ckanAnswer(c *fiber.Ctx, help string, result any) error {
	return c.JSON(fiber.Map{"help": help, "success": true, "result": result})
}

// ckanError writes CKAN's error envelope with the portal's message.
func ckanError(c *fiber.Ctx, status int, kind, msg string) error {
	return c.Status(status).JSON(fiber.Map{"help": "", "success": false, "error": fiber.Map{"__type": kind, "message": msg}})
}

// ckanSearch answers package_search: q, fq (only organization: and
// tags: terms are understood), rows (≤ 100), start. It is the portal's own
// search, so visibility and totals are those of the caller.
func (a *App) ckanSearch(c *fiber.Ctx) error {
	rows, err1 := strconv.Atoi(c.Query("rows", "10"))
	start, err2 := strconv.Atoi(c.Query("start", "0"))
	if err1 != nil || err2 != nil || rows < 0 || rows > 100 || start < 0 || start%max(rows, 1) != 0 {
		return ckanError(c, http.StatusBadRequest, "Validation Error", "rows must be 0–100 and start a multiple of rows")
	}
	r := catalog.SearchRequest{Q: c.Query("q"), Filters: map[string][]string{}, Page: start/max(rows, 1) + 1, PerPage: max(rows, 1)}
	for _, term := range strings.Fields(c.Query("fq")) {
		if v, ok := strings.CutPrefix(term, "organization:"); ok {
			r.Filters[catalog.FacetPublisher] = append(r.Filters[catalog.FacetPublisher], strings.Trim(v, `"`))
		}
		if v, ok := strings.CutPrefix(term, "tags:"); ok && r.Q == "" {
			r.Q = strings.Trim(v, `"`)
		}
	}
	res, err := a.svc.Search(c.UserContext(), principal(c), r)
	if err != nil {
		if catalog.IsKind(err, catalog.KindInvalid) {
			return ckanError(c, http.StatusBadRequest, "Validation Error", err.Error())
		}
		return err
	}
	base := a.baseURL(c)
	results := []ckanPackage{}
	if rows > 0 {
		for i := range res.Hits {
			results = append(results, a.ckanPackage(base, &res.Hits[i].Dataset))
		}
	}
	return ckanAnswer(c, base+"/api/3/action/help_show?name=package_search", fiber.Map{"count": res.Total, "results": results, "sort": "score desc", "facets": fiber.Map{}})
}

func (a *App) ckanShow(c *fiber.Ctx) error {
	d, err := a.svc.Dataset(c.UserContext(), principal(c), c.Query("id"))
	if catalog.IsKind(err, catalog.KindNotFound) {
		return ckanError(c, http.StatusNotFound, "Not Found Error", "Not found")
	}
	if err != nil {
		return err
	}
	return ckanAnswer(c, a.baseURL(c)+"/api/3/action/help_show?name=package_show", a.ckanPackage(a.baseURL(c), &d))
}

// ckanList answers package_list with the names the caller may view.
func (a *App) ckanList(c *fiber.Ctx) error {
	names := []string{}
	after := ""
	for len(names) < 10000 {
		items, next, err := a.svc.VisibleDatasets(c.UserContext(), principal(c), after, 500)
		if err != nil {
			return err
		}
		for _, d := range items {
			names = append(names, d.ID)
		}
		if next == "" {
			break
		}
		after = next
	}
	return ckanAnswer(c, a.baseURL(c)+"/api/3/action/help_show?name=package_list", names)
}
