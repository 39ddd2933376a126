package mongo_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	drv "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"dataportal/catalog"
	"dataportal/catalog/catalogtest"
	"dataportal/catalog/mongo"
	"dataportal/catalog/mongo/mongotest"
)

// TestBlobConformance runs the blob suite on GridFS (an in-process
// FerretDB, or PORTAL_MONGODB_URI).
func TestBlobConformance(t *testing.T) {
	catalogtest.TestBlobs(t, func(t *testing.T) catalog.Blobs {
		b, err := newStore(t).(*mongo.Store).Blobs(context.Background())
		if err != nil {
			t.Fatalf("Blobs: %v", err)
		}
		return b
	})
}

type brokenReader struct{ left int }

func (r *brokenReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, errors.New("connection reset")
	}
	n := min(len(p), r.left)
	r.left -= n
	return n, nil
}

// TestBlobChunksOfFailedUploads checks that an upload that breaks off, or
// that stores a content already there, leaves no chunks behind.
func TestBlobChunksOfFailedUploads(t *testing.T) {
	ctx := context.Background()
	uri, name := mongotest.URI(t), mongotest.Database(t)
	s, err := mongo.Open(ctx, uri, name)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := s.Blobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	content := bytes.Repeat([]byte("分块"), 400_000) // 2.4 MB: several inserts
	if _, err := b.Put(ctx, bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, &brokenReader{left: 5 << 20}); !catalog.IsKind(err, catalog.KindInvalid) {
		t.Fatalf("broken upload: %v", err)
	}
	c, err := drv.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(ctx)
	files, err := c.Database(name).Collection("blobs.files").CountDocuments(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := c.Database(name).Collection("blobs.chunks").CountDocuments(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	want := int64((len(content) + 255*1024 - 1) / (255 * 1024))
	if files != 1 || chunks != want {
		t.Fatalf("%d files and %d chunks stored, want 1 and %d", files, chunks, want)
	}
}
