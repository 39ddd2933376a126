package server

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
)

var fiberParam = regexp.MustCompile(`:([a-z_]+)`)

// openAPIDocument describes the API from the same route table that Fiber
// serves, with schemas generated from the Go types of bodies and responses.
func openAPIDocument(routes []route) ([]byte, error) {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{
			Title:       "dataportal API",
			Version:     "1",
			Description: "高质量数据集目录与交换门户 · Catalogue and exchange portal for high-quality AI training datasets. Errors are RFC 9457 problem documents (application/problem+json).",
		},
		Servers:    openapi3.Servers{{URL: "/api/v1"}},
		Paths:      openapi3.NewPaths(),
		Components: &openapi3.Components{Schemas: openapi3.Schemas{}, SecuritySchemes: openapi3.SecuritySchemes{}},
	}
	doc.Components.SecuritySchemes["bearer"] = &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().WithType("http").WithScheme("bearer")}
	doc.Components.SecuritySchemes["session"] = &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().WithType("apiKey").WithIn("cookie").WithName(sessionCookie)}

	gen := openapi3gen.NewGenerator(openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{ExportComponentSchemas: true}))
	schema := func(v any) (*openapi3.SchemaRef, error) {
		return gen.NewSchemaRefForValue(v, doc.Components.Schemas)
	}
	problem, err := schema(Problem{})
	if err != nil {
		return nil, err
	}
	problemResp := &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription("problem details (RFC 9457)").
		WithContent(openapi3.Content{"application/problem+json": &openapi3.MediaType{Schema: problem}})}

	for _, r := range routes {
		path := fiberParam.ReplaceAllString(r.path, "{$1}")
		op := openapi3.NewOperation()
		op.Summary = r.summary
		op.Tags = []string{r.tag}
		op.OperationID = strings.ToLower(r.method) + strings.NewReplacer("/", "_", ":", "", "-", "_").Replace(r.path)
		for _, m := range fiberParam.FindAllStringSubmatch(r.path, -1) {
			op.AddParameter(openapi3.NewPathParameter(m[1]).WithSchema(openapi3.NewStringSchema()))
		}
		for _, q := range r.query {
			var s *openapi3.Schema
			switch q.kind {
			case "integer":
				s = openapi3.NewIntegerSchema()
			case "boolean":
				s = openapi3.NewBoolSchema()
			default:
				s = openapi3.NewStringSchema()
			}
			if q.many {
				s = openapi3.NewArraySchema().WithItems(s)
			}
			p := openapi3.NewQueryParameter(q.name).WithSchema(s).WithDescription(q.help)
			p.Required = q.required
			op.AddParameter(p)
		}
		if r.body != nil {
			s, err := schema(r.body)
			if err != nil {
				return nil, err
			}
			ct := "application/json"
			if r.method == http.MethodPatch {
				ct = "application/merge-patch+json"
			}
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
				WithContent(openapi3.Content{ct: &openapi3.MediaType{Schema: s}})}
		}
		if r.rawBody != "" {
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
				WithContent(openapi3.Content{r.rawBody: &openapi3.MediaType{Schema: openapi3.NewStringSchema().WithFormat("binary").NewRef()}})}
		}
		status := r.status
		if status == 0 {
			status = http.StatusOK
		}
		ok := openapi3.NewResponse().WithDescription(http.StatusText(status))
		if r.resp != nil {
			s, err := schema(r.resp)
			if err != nil {
				return nil, err
			}
			ok = ok.WithJSONSchemaRef(s)
		}
		if r.rawResp != "" {
			ok = ok.WithContent(openapi3.Content{r.rawResp: &openapi3.MediaType{Schema: openapi3.NewStringSchema().WithFormat("binary").NewRef()}})
		}
		op.Responses = openapi3.NewResponses()
		op.Responses.Set(strconv.Itoa(status), &openapi3.ResponseRef{Value: ok})
		op.Responses.Set("default", problemResp)
		if r.signedIn {
			op.Security = &openapi3.SecurityRequirements{{"bearer": {}}, {"session": {}}}
		}
		doc.AddOperation(path, r.method, op)
	}
	return json.MarshalIndent(doc, "", "  ")
}
