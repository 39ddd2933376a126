package sqlite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"dataportal/catalog"
)

var _ catalog.Blobs = (*Blobs)(nil)

// Blobs stores file contents on the embedded default: one file per
// content under a directory, named by its SHA-256 (<dir>/ab/cd/<sha256>).
// A content is written to a temporary file, fsynced, and renamed into
// place, so a name only ever holds complete, durable content: a crash
// leaves at most a temporary file, removed at the next start. Contents are
// immutable and kept once however often they are uploaded.
type Blobs struct {
	dir string
}

// tmpDir holds uploads in progress, inside the blob directory so that the
// final rename never crosses file systems.
const tmpDir = "tmp"

// staleTemp is the age after which a temporary file is an interrupted
// upload (no upload runs a day without writing; see OpenBlobs).
const staleTemp = 24 * time.Hour

// OpenBlobs opens (creating it if needed) the blob directory dir and
// removes what interrupted uploads left behind.
func OpenBlobs(dir string) (*Blobs, error) {
	if err := os.MkdirAll(filepath.Join(dir, tmpDir), 0o750); err != nil {
		return nil, catalog.Internal(err, "blobs: create %s", dir)
	}
	b := &Blobs{dir: dir}
	entries, err := os.ReadDir(filepath.Join(dir, tmpDir))
	if err != nil {
		return nil, catalog.Internal(err, "blobs: read %s", tmpDir)
	}
	for _, e := range entries {
		// Another process (a second portal on the same directory) may be
		// writing a recent one; only old files are certainly abandoned.
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleTemp {
			_ = os.Remove(filepath.Join(dir, tmpDir, e.Name()))
		}
	}
	return b, nil
}

// path is where the content with address a lives.
func (b *Blobs) path(a string) string {
	return filepath.Join(b.dir, a[0:2], a[2:4], a)
}

// copyBuffer is the size of the read and write buffer of one upload.
const copyBuffer = 256 << 10

// Put streams r into a temporary file while hashing it, makes the file
// durable and renames it to its content address.
func (b *Blobs) Put(ctx context.Context, r io.Reader) (info catalog.BlobInfo, err error) {
	tmp, err := os.CreateTemp(filepath.Join(b.dir, tmpDir), "put-*")
	if err != nil {
		return info, fileError(err, "create temporary file")
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	buf := make([]byte, copyBuffer)
	var size int64
	for {
		if err := ctx.Err(); err != nil {
			return info, catalog.Wrap(catalog.KindUnavailable, err, "请求已取消或超时", "the request was cancelled or timed out")
		}
		n, rerr := r.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			if _, err := tmp.Write(buf[:n]); err != nil {
				return info, fileError(err, "write")
			}
			size += int64(n)
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return info, catalog.BlobReadError(rerr)
		}
	}
	if err := tmp.Sync(); err != nil {
		return info, fileError(err, "sync")
	}
	if err := tmp.Close(); err != nil {
		return info, fileError(err, "close")
	}
	addr := hex.EncodeToString(h.Sum(nil))
	info = catalog.BlobInfo{Address: addr, Size: size}
	final := b.path(addr)
	if _, err := os.Stat(final); err == nil {
		// Stored before: the same bytes, since the name is their hash.
		_ = os.Remove(tmp.Name())
		return info, nil
	}
	if err := b.mkdirs(filepath.Dir(final)); err != nil {
		return info, err
	}
	// A concurrent Put of the same content may rename first; rename
	// replaces it with identical bytes, which is harmless.
	if err := os.Rename(tmp.Name(), final); err != nil {
		return info, fileError(err, "rename")
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		return info, fileError(err, "sync directory")
	}
	info.Created = true
	return info, nil
}

// mkdirs creates the two fan-out levels of a blob path, syncing each
// parent whose entries changed so that the new directories survive a
// crash together with the file renamed into them.
func (b *Blobs) mkdirs(dir string) error {
	for _, d := range []string{filepath.Dir(dir), dir} {
		if _, err := os.Stat(d); err == nil {
			continue
		}
		if err := os.Mkdir(d, 0o750); err != nil && !errors.Is(err, fs.ErrExist) {
			return fileError(err, "create directory")
		}
		if err := syncDir(filepath.Dir(d)); err != nil {
			return fileError(err, "sync directory")
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Open returns a reader of a range of the content.
func (b *Blobs) Open(ctx context.Context, address string, offset, length int64) (io.ReadCloser, error) {
	if !catalog.ValidBlobAddress(address) {
		return nil, catalog.BlobNotFound()
	}
	f, err := os.Open(b.path(address))
	if err != nil {
		return nil, fileError(err, "open")
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fileError(err, "stat")
	}
	n, err := catalog.BlobRange(st.Size(), offset, length)
	if err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, fileError(err, "seek")
	}
	return &rangeReader{Reader: io.LimitReader(f, n), f: f}, nil
}

type rangeReader struct {
	io.Reader
	f *os.File
}

func (r *rangeReader) Close() error { return r.f.Close() }

// Stat describes the content with the address.
func (b *Blobs) Stat(ctx context.Context, address string) (catalog.BlobInfo, error) {
	if !catalog.ValidBlobAddress(address) {
		return catalog.BlobInfo{}, catalog.BlobNotFound()
	}
	st, err := os.Stat(b.path(address))
	if err != nil {
		return catalog.BlobInfo{}, fileError(err, "stat")
	}
	return catalog.BlobInfo{Address: address, Size: st.Size()}, nil
}

// Delete removes the content with the address.
func (b *Blobs) Delete(ctx context.Context, address string) error {
	if !catalog.ValidBlobAddress(address) {
		return catalog.BlobNotFound()
	}
	if err := os.Remove(b.path(address)); err != nil {
		return fileError(err, "remove")
	}
	return nil
}

// fileError translates a file system error at the boundary.
func fileError(err error, op string) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return catalog.BlobNotFound()
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return catalog.Wrap(catalog.KindUnavailable, err, "存储空间已满", "the storage is full")
	}
	return catalog.Internal(err, "blobs: %s", op)
}
