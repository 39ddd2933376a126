package server

import (
	"context"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestOpenAPIDocument(t *testing.T) {
	p := startPortal(t, testConfig(t.TempDir()))
	r := p.anon().want(t, 200, "GET", "/api/v1/openapi.json", nil)
	doc, err := openapi3.NewLoader().LoadFromData(r.body)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	// Every route Fiber serves under /api/v1 is described.
	for _, rt := range p.app.fiber.GetRoutes(true) {
		if !strings.HasPrefix(rt.Path, "/api/v1/") || rt.Path == "/api/v1/openapi.json" || rt.Method == "HEAD" || rt.Method == "USE" {
			continue
		}
		path := fiberParam.ReplaceAllString(strings.TrimPrefix(rt.Path, "/api/v1"), "{$1}")
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(rt.Method) == nil {
			t.Errorf("%s %s is not in the OpenAPI document", rt.Method, path)
		}
	}
	search := doc.Paths.Find("/search").Get
	if search.Parameters.GetByInAndName("query", "domain") == nil {
		t.Error("search lacks its facet parameters")
	}
}
