package catalogtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"dataportal/catalog"
)

// NewBlobs returns a fresh, empty blob store for one test, released by
// the test's cleanup.
type NewBlobs func(t *testing.T) catalog.Blobs

// Generator is a deterministic stream of pseudo-random bytes: tests and
// benchmarks upload large contents without holding them in memory, and
// can produce the same content again to compare.
type Generator struct {
	r *rand.ChaCha8
}

// NewGenerator returns the stream for seed.
func NewGenerator(seed uint64) *Generator {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return &Generator{r: rand.NewChaCha8(s)}
}

func (g *Generator) Read(p []byte) (int, error) { return g.r.Read(p) }

// GeneratedSHA256 returns the hex SHA-256 of the first size bytes of the
// stream of seed.
func GeneratedSHA256(seed uint64, size int64) string {
	h := sha256.New()
	_, _ = io.Copy(h, io.LimitReader(NewGenerator(seed), size))
	return hex.EncodeToString(h.Sum(nil))
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// failingReader yields some bytes, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// TestBlobs runs the conformance suite for catalog.Blobs.
func TestBlobs(t *testing.T, newBlobs NewBlobs) {
	ctx := context.Background()
	// Larger than several GridFS chunks (255 KiB) and not a multiple of
	// any buffer size, so ranges cross chunk and buffer boundaries.
	big := make([]byte, 3*1024*1024+12345)
	_, _ = NewGenerator(7).Read(big)

	read := func(t *testing.T, b catalog.Blobs, addr string, off, n int64) []byte {
		t.Helper()
		r, err := b.Open(ctx, addr, off, n)
		if err != nil {
			t.Fatalf("Open(%d, %d): %v", off, n, err)
		}
		defer r.Close()
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("read (%d, %d): %v", off, n, err)
		}
		return got
	}

	t.Run("put, stat and read back", func(t *testing.T) {
		b := newBlobs(t)
		for _, content := range [][]byte{[]byte("姓名,城市\n张三,南京\n"), big, {}} {
			info, err := b.Put(ctx, bytes.NewReader(content))
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if info.Address != sum(content) || info.Size != int64(len(content)) || !info.Created {
				t.Fatalf("Put = %+v, want address %s size %d created", info, sum(content), len(content))
			}
			st, err := b.Stat(ctx, info.Address)
			if err != nil || st.Size != int64(len(content)) || st.Address != info.Address {
				t.Fatalf("Stat = %+v, %v", st, err)
			}
			if got := read(t, b, info.Address, 0, -1); !bytes.Equal(got, content) {
				t.Fatalf("read back %d bytes, want %d (equal: false)", len(got), len(content))
			}
		}
	})

	t.Run("ranges", func(t *testing.T) {
		b := newBlobs(t)
		info, err := b.Put(ctx, bytes.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		size := int64(len(big))
		const chunk = 255 * 1024
		cases := []struct{ off, n int64 }{
			{0, 1}, {0, size}, {1, 10}, {chunk - 3, 6}, {chunk, chunk}, {chunk - 1, 2*chunk + 2},
			{size - 1, 1}, {size - 100, -1}, {size, 0}, {size, -1}, {12345, -1}, {2 * chunk, 0},
		}
		for _, c := range cases {
			want := big[c.off:]
			if c.n >= 0 {
				want = want[:c.n]
			}
			if got := read(t, b, info.Address, c.off, c.n); !bytes.Equal(got, want) {
				t.Errorf("range (%d, %d): got %d bytes, want %d (equal: false)", c.off, c.n, len(got), len(want))
			}
		}
		for _, c := range []struct{ off, n int64 }{{size + 1, -1}, {size - 1, 2}, {-1, 5}, {0, size + 1}} {
			if _, err := b.Open(ctx, info.Address, c.off, c.n); !catalog.IsKind(err, catalog.KindInvalid) {
				t.Errorf("range (%d, %d) outside the blob: %v, want Invalid", c.off, c.n, err)
			}
		}
	})

	t.Run("same content is stored once", func(t *testing.T) {
		b := newBlobs(t)
		first, err := b.Put(ctx, bytes.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		again, err := b.Put(ctx, bytes.NewReader(big))
		if err != nil || again.Address != first.Address || again.Created {
			t.Fatalf("second Put = %+v, %v; want the same address, not created", again, err)
		}
		// Concurrent uploads of one content agree on one copy.
		content := []byte("同时上传的相同内容 " + hex.EncodeToString(big[:64]))
		var wg sync.WaitGroup
		infos := make([]catalog.BlobInfo, 4)
		errs := make([]error, 4)
		for i := range infos {
			wg.Add(1)
			go func() {
				defer wg.Done()
				infos[i], errs[i] = b.Put(ctx, bytes.NewReader(content))
			}()
		}
		wg.Wait()
		for i := range infos {
			if errs[i] != nil || infos[i].Address != sum(content) {
				t.Fatalf("concurrent Put %d = %+v, %v", i, infos[i], errs[i])
			}
		}
		if got := read(t, b, sum(content), 0, -1); !bytes.Equal(got, content) {
			t.Fatalf("after concurrent puts: %q", got)
		}
		if err := b.Delete(ctx, sum(content)); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Stat(ctx, sum(content)); !catalog.IsKind(err, catalog.KindNotFound) {
			t.Fatalf("a copy survived Delete: %v", err)
		}
	})

	t.Run("a failing reader stores nothing", func(t *testing.T) {
		b := newBlobs(t)
		limit := &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("文件过大", "too large")}
		_, err := b.Put(ctx, &failingReader{data: big, err: limit})
		if !errors.Is(err, limit) {
			t.Fatalf("Put with a reader failing with an *Error: %v, want that error", err)
		}
		_, err = b.Put(ctx, &failingReader{data: big[:1000], err: io.ErrClosedPipe})
		if !catalog.IsKind(err, catalog.KindInvalid) {
			t.Fatalf("Put with a broken reader: %v, want Invalid", err)
		}
		// The bytes read before the failure were not stored as a blob.
		for _, content := range [][]byte{big, big[:1000]} {
			if _, err := b.Stat(ctx, sum(content)); !catalog.IsKind(err, catalog.KindNotFound) {
				t.Fatalf("partial upload stored: %v", err)
			}
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := b.Put(cctx, bytes.NewReader(big)); err == nil {
			t.Fatal("Put with a cancelled context succeeded")
		}
		if _, err := b.Stat(ctx, sum(big)); !catalog.IsKind(err, catalog.KindNotFound) {
			t.Fatalf("cancelled upload stored: %v", err)
		}
	})

	t.Run("delete and unknown addresses", func(t *testing.T) {
		b := newBlobs(t)
		info, err := b.Put(ctx, bytes.NewReader([]byte("to be deleted")))
		if err != nil {
			t.Fatal(err)
		}
		r, err := b.Open(ctx, info.Address, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Delete(ctx, info.Address); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		r.Close()
		for name, fn := range map[string]func(addr string) error{
			"Stat":   func(a string) error { _, err := b.Stat(ctx, a); return err },
			"Open":   func(a string) error { _, err := b.Open(ctx, a, 0, -1); return err },
			"Delete": func(a string) error { return b.Delete(ctx, a) },
		} {
			for _, addr := range []string{info.Address, sum([]byte("never stored")), "../../etc/passwd", "", "ABCDEF"} {
				if err := fn(addr); !catalog.IsKind(err, catalog.KindNotFound) {
					t.Errorf("%s(%q): %v, want NotFound", name, addr, err)
				}
			}
		}
		// Content can be stored again after it was deleted.
		again, err := b.Put(ctx, bytes.NewReader([]byte("to be deleted")))
		if err != nil || !again.Created {
			t.Fatalf("Put after Delete = %+v, %v", again, err)
		}
	})
}
