package catalog

import (
	"context"
	"errors"
	"io"
	"os"
	"regexp"
)

// Blobs stores file contents by content address: the lower-case hex
// SHA-256 of the bytes. Contents are immutable, and a content that is
// stored twice is kept once. Implementations: catalog/sqlite (files under
// the data directory) and catalog/mongo (GridFS). Errors are *Error with
// the kinds named below; a storage failure is Unavailable or Internal.
type Blobs interface {
	// Put streams r into storage, computing the SHA-256 and the size on
	// the way (the content is never held whole in memory), and returns
	// what was stored. An error from r ends the upload and nothing is
	// kept; it is returned as it is when it is an *Error (a size limit,
	// say). Unavailable when ctx ends or the storage fails.
	Put(ctx context.Context, r io.Reader) (BlobInfo, error)
	// Open returns a reader of length bytes of the blob starting at
	// offset; length < 0 reads to the end. The reader does not depend on
	// ctx once Open returned (an HTTP server streams a body after its
	// handler returned) and must be closed. NotFound if no blob has the
	// address; Invalid if the range does not lie within the blob.
	Open(ctx context.Context, address string, offset, length int64) (io.ReadCloser, error)
	// Stat describes the blob. NotFound if there is none.
	Stat(ctx context.Context, address string) (BlobInfo, error)
	// Delete removes the blob. NotFound if there is none. Callers make
	// sure that nothing refers to it any more: contents are shared.
	Delete(ctx context.Context, address string) error
}

// BlobInfo describes a stored blob.
type BlobInfo struct {
	// Address is the content address: the lower-case hex SHA-256.
	Address string
	Size    int64
	// Created is set by Put when the content was not stored before.
	Created bool
}

var blobAddress = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ValidBlobAddress reports whether s is a well-formed content address.
// Implementations answer NotFound for malformed addresses (they name no
// blob) and must check before building a path or a query from one.
func ValidBlobAddress(s string) bool { return blobAddress.MatchString(s) }

// BlobNotFound is the error for a missing blob.
func BlobNotFound() error { return NotFound(T("文件内容", "file content")) }

// BlobRange checks a requested range against a blob of size bytes and
// returns the length to read (length < 0 means to the end). Invalid if the
// range does not lie within the blob.
func BlobRange(size, offset, length int64) (int64, error) {
	if length < 0 {
		length = size - offset
	}
	if offset < 0 || length < 0 || offset > size || length > size-offset {
		return 0, &Error{Kind: KindInvalid, Message: T("请求的字节范围超出文件", "the requested byte range lies outside the file")}
	}
	return length, nil
}

// BlobReadError is what Put returns when its reader fails: the caller's
// own *Error as it is (a size limit, say), anything else as the client's
// upload breaking off or stalling.
func BlobReadError(err error) error {
	var de *Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return Wrap(KindInvalid, err, "上传超时：长时间未收到数据，文件未保存", "the upload timed out: no data arrived for too long; the file was not saved")
	}
	return Wrap(KindInvalid, err, "上传中断，文件未保存", "the upload broke off; the file was not saved")
}
