package mongo_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"dataportal/catalog"
	"dataportal/catalog/catalogtest"
	"dataportal/catalog/mongo"
	"dataportal/catalog/mongo/mongotest"
)

func TestMain(m *testing.M) { os.Exit(mongotest.Main(m)) }

// newStore opens a store on a fresh database of the test server (FerretDB
// in-process, or PORTAL_MONGODB_URI), dropped when the test ends.
func newStore(t *testing.T) catalog.Store {
	t.Helper()
	s, err := mongo.Open(context.Background(), mongotest.URI(t), mongotest.Database(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	catalogtest.TestStore(t, newStore)
}

// TestNoFerretDBInPackage keeps the test server out of the portal binary:
// only test code may import mongotest.
func TestNoFerretDBInPackage(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "dataportal/catalog/mongo").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.Contains(p, "FerretDB") || strings.HasSuffix(p, "/mongotest") {
			t.Errorf("dataportal/catalog/mongo depends on %s", p)
		}
	}
}
