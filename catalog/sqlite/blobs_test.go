package sqlite_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dataportal/catalog"
	"dataportal/catalog/catalogtest"
	"dataportal/catalog/sqlite"
)

func TestBlobConformance(t *testing.T) {
	catalogtest.TestBlobs(t, func(t *testing.T) catalog.Blobs {
		b, err := sqlite.OpenBlobs(filepath.Join(t.TempDir(), "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

// TestBlobFiles checks the layout on disk: content-addressed files under
// two fan-out levels, nothing left in the temporary directory after
// uploads (complete or failed), and stale temporary files removed at open.
func TestBlobFiles(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "blobs")
	b, err := sqlite.OpenBlobs(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := b.Put(ctx, bytes.NewReader([]byte("内容寻址")))
	if err != nil {
		t.Fatal(err)
	}
	a := info.Address
	if got, err := os.ReadFile(filepath.Join(dir, a[:2], a[2:4], a)); err != nil || string(got) != "内容寻址" {
		t.Fatalf("file at the content address: %q, %v", got, err)
	}
	if _, err := b.Put(ctx, iotestErr{}); err == nil {
		t.Fatal("a failing upload succeeded")
	}
	tmp, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	if len(tmp) != 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
	stale := filepath.Join(dir, "tmp", "put-stale")
	fresh := filepath.Join(dir, "tmp", "put-fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.OpenBlobs(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale temporary file kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("recent temporary file (an upload in progress elsewhere) removed: %v", err)
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, os.ErrClosed }
