package mongo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"dataportal/catalog"
)

var _ catalog.Blobs = (*Blobs)(nil)

// Blobs stores file contents in GridFS (bucket "blobs": collections
// blobs.files and blobs.chunks, in the standard layout, so mongofiles and
// other GridFS tools read them). The file's name is its content address,
// the hex SHA-256 of its bytes.
//
// The adapter writes and reads the chunks itself rather than through the
// driver's GridFS streams, for two reasons. The driver binds one context,
// capped by the client timeout, to the whole life of a stream, so an
// upload or a download that takes longer than 30 s would fail; here every
// operation has its own timeout and a transfer may take as long as it
// progresses. And the driver's Skip reads every chunk before the offset,
// so a Range request for the end of a 1 GB file would read 1 GB; here a
// range starts at the chunk that holds its first byte.
//
// Dedup without transactions: an upload writes its chunks under a fresh
// ObjectID and, once they are all stored, its files document. A content
// stored before is found by name and the new chunks are dropped. Two
// uploads of the same content racing past that check each insert a files
// document; then the one with the smaller _id wins, the other removes its
// own copy, and readers always pick the smallest _id, so all agree.
type Blobs struct {
	files, chunks *mongo.Collection
}

const (
	// blobChunkSize is GridFS's default chunk size (255 KiB, so that a
	// chunk document stays under 256 KiB).
	blobChunkSize = 255 * 1024
	// blobBatch chunks (~4 MiB) go to the server in one insert; it is
	// also the memory one upload holds.
	blobBatch = 16
	// blobReadBatch chunks come back per cursor batch on reads (the
	// default, 101, would hold ~25 MiB per download).
	blobReadBatch = 8
	// blobOpTimeout bounds each operation of a transfer.
	blobOpTimeout = 30 * time.Second
)

// Blobs returns the GridFS blob store of the database, creating its
// indexes (idempotent).
func (s *Store) Blobs(ctx context.Context) (*Blobs, error) {
	b := &Blobs{files: s.db.Collection("blobs.files"), chunks: s.db.Collection("blobs.chunks")}
	if _, err := b.chunks.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "files_id", Value: 1}, {Key: "n", Value: 1}}, Options: options.Index().SetUnique(true)}); err != nil {
		return nil, translate(ctx, err, "create blobs.chunks index")
	}
	if _, err := b.files.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "filename", Value: 1}, {Key: "uploadDate", Value: 1}}}); err != nil {
		return nil, translate(ctx, err, "create blobs.files index")
	}
	return b, nil
}

// blobFile is a document of blobs.files.
type blobFile struct {
	ID         bson.ObjectID `bson:"_id"`
	Length     int64         `bson:"length"`
	ChunkSize  int32         `bson:"chunkSize"`
	UploadDate time.Time     `bson:"uploadDate"`
	Filename   string        `bson:"filename"`
	Metadata   struct {
		SHA256 string `bson:"sha256"`
	} `bson:"metadata"`
}

// opCtx bounds one operation of a transfer; base carries cancellation.
func opCtx(base context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(base, blobOpTimeout)
}

// Put uploads r as GridFS chunks while hashing it, then records the file.
func (b *Blobs) Put(ctx context.Context, r io.Reader) (info catalog.BlobInfo, err error) {
	id := bson.NewObjectID()
	written := false
	defer func() {
		if err != nil && written {
			b.dropChunks(ctx, id)
		}
	}()
	h := sha256.New()
	buf := make([]byte, blobChunkSize*blobBatch)
	var size int64
	var n int32
	for eof := false; !eof; {
		if err := ctx.Err(); err != nil {
			return info, catalog.Wrap(catalog.KindUnavailable, err, "请求已取消或超时", "the request was cancelled or timed out")
		}
		filled, rerr := io.ReadFull(r, buf)
		switch {
		case errors.Is(rerr, io.EOF), errors.Is(rerr, io.ErrUnexpectedEOF):
			eof = true
		case rerr != nil:
			return info, catalog.BlobReadError(rerr)
		}
		if filled == 0 {
			break
		}
		h.Write(buf[:filled])
		docs := make([]any, 0, blobBatch)
		for off := 0; off < filled; off += blobChunkSize {
			end := min(off+blobChunkSize, filled)
			docs = append(docs, bson.D{{Key: "files_id", Value: id}, {Key: "n", Value: n}, {Key: "data", Value: bson.Binary{Data: buf[off:end]}}})
			n++
		}
		written = true
		octx, cancel := opCtx(ctx)
		_, err := b.chunks.InsertMany(octx, docs)
		cancel()
		if err != nil {
			return info, translate(ctx, err, "insert blob chunks")
		}
		size += int64(filled)
	}
	addr := hex.EncodeToString(h.Sum(nil))
	info = catalog.BlobInfo{Address: addr, Size: size}
	if _, err := b.find(ctx, addr); err == nil {
		b.dropChunks(ctx, id)
		return info, nil
	} else if !catalog.IsKind(err, catalog.KindNotFound) {
		return info, err
	}
	f := blobFile{ID: id, Length: size, ChunkSize: blobChunkSize, UploadDate: time.Now().UTC().Truncate(time.Millisecond), Filename: addr}
	f.Metadata.SHA256 = addr
	octx, cancel := opCtx(ctx)
	_, err = b.files.InsertOne(octx, f)
	cancel()
	if err != nil {
		return info, translate(ctx, err, "insert blob file")
	}
	first, err := b.find(ctx, addr)
	if err != nil {
		return info, err
	}
	if first.ID != id {
		// A concurrent upload of the same content got the smaller id.
		b.drop(ctx, id)
		return info, nil
	}
	info.Created = true
	return info, nil
}

// find returns the file every reader uses for addr: the one with the
// smallest _id.
func (b *Blobs) find(ctx context.Context, addr string) (blobFile, error) {
	var f blobFile
	if !catalog.ValidBlobAddress(addr) {
		return f, catalog.BlobNotFound()
	}
	octx, cancel := opCtx(ctx)
	defer cancel()
	err := b.files.FindOne(octx, bson.D{{Key: "filename", Value: addr}}, options.FindOne().SetSort(bson.D{{Key: "_id", Value: 1}})).Decode(&f)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return f, catalog.BlobNotFound()
	}
	if err != nil {
		return f, translate(ctx, err, "find blob")
	}
	return f, nil
}

// dropChunks removes the chunks of an upload that is not kept. It runs
// even when the request was cancelled (that is often why); what it cannot
// remove is only unreferenced space.
func (b *Blobs) dropChunks(ctx context.Context, id bson.ObjectID) {
	octx, cancel := opCtx(context.WithoutCancel(ctx))
	defer cancel()
	_, _ = b.chunks.DeleteMany(octx, bson.D{{Key: "files_id", Value: id}})
}

// drop removes a file document and then its chunks: without the document
// nobody reads the chunks, so the order leaves no reader half a file.
func (b *Blobs) drop(ctx context.Context, id bson.ObjectID) error {
	octx, cancel := opCtx(context.WithoutCancel(ctx))
	_, err := b.files.DeleteOne(octx, bson.D{{Key: "_id", Value: id}})
	cancel()
	if err != nil {
		return translate(ctx, err, "delete blob file")
	}
	b.dropChunks(ctx, id)
	return nil
}

// Open returns a reader of a range of the content.
func (b *Blobs) Open(ctx context.Context, address string, offset, length int64) (io.ReadCloser, error) {
	f, err := b.find(ctx, address)
	if err != nil {
		return nil, err
	}
	n, err := catalog.BlobRange(f.Length, offset, length)
	if err != nil {
		return nil, err
	}
	base, stop := context.WithCancel(context.WithoutCancel(ctx))
	r := &chunkReader{b: b, f: f, pos: offset, end: offset + n, base: base, stop: stop}
	if n == 0 {
		return r, nil
	}
	cs := int64(f.ChunkSize)
	if cs <= 0 {
		stop()
		return nil, catalog.Internal(errors.New("chunk size missing"), "open blob %s", address)
	}
	r.next = int32(offset / cs)
	last := int32((r.end - 1) / cs)
	octx, cancel := opCtx(base)
	defer cancel()
	r.cur, err = b.chunks.Find(octx, bson.D{{Key: "files_id", Value: f.ID}, {Key: "n", Value: bson.D{{Key: "$gte", Value: r.next}, {Key: "$lte", Value: last}}}},
		options.Find().SetSort(bson.D{{Key: "n", Value: 1}}).SetBatchSize(blobReadBatch))
	if err != nil {
		stop()
		return nil, translate(ctx, err, "find blob chunks")
	}
	return r, nil
}

// chunkReader reads the chunks of one range in order, checking that none
// is missing or of the wrong size.
type chunkReader struct {
	b        *Blobs
	f        blobFile
	cur      *mongo.Cursor
	next     int32 // the chunk expected next
	pos, end int64 // file offsets still to deliver
	buf      []byte
	base     context.Context
	stop     context.CancelFunc
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.pos >= r.end {
		return 0, io.EOF
	}
	if len(r.buf) == 0 {
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	r.pos += int64(n)
	return n, nil
}

func (r *chunkReader) fill() error {
	ctx, cancel := opCtx(r.base)
	defer cancel()
	if !r.cur.Next(ctx) {
		if err := r.cur.Err(); err != nil {
			return translate(ctx, err, "read blob chunks")
		}
		return catalog.Internal(errors.New("missing chunk"), "blob %s: chunk %d", r.f.Filename, r.next)
	}
	var c struct {
		N    int32  `bson:"n"`
		Data []byte `bson:"data"`
	}
	if err := r.cur.Decode(&c); err != nil {
		return catalog.Internal(err, "blob %s: decode chunk", r.f.Filename)
	}
	cs := int64(r.f.ChunkSize)
	start := int64(c.N) * cs
	want := min(cs, r.f.Length-start)
	if c.N != r.next || int64(len(c.Data)) != want {
		return catalog.Internal(errors.New("chunk out of order or of the wrong size"), "blob %s: chunk %d", r.f.Filename, c.N)
	}
	r.next++
	data := c.Data[r.pos-start:]
	if rest := r.end - r.pos; int64(len(data)) > rest {
		data = data[:rest]
	}
	r.buf = data
	return nil
}

func (r *chunkReader) Close() error {
	defer r.stop()
	if r.cur != nil {
		ctx, cancel := opCtx(context.Background())
		defer cancel()
		return r.cur.Close(ctx)
	}
	return nil
}

// Stat describes the content with the address.
func (b *Blobs) Stat(ctx context.Context, address string) (catalog.BlobInfo, error) {
	f, err := b.find(ctx, address)
	if err != nil {
		return catalog.BlobInfo{}, err
	}
	return catalog.BlobInfo{Address: address, Size: f.Length}, nil
}

// Delete removes every copy of the content (a race between uploads may
// briefly leave two).
func (b *Blobs) Delete(ctx context.Context, address string) error {
	if !catalog.ValidBlobAddress(address) {
		return catalog.BlobNotFound()
	}
	octx, cancel := opCtx(ctx)
	cur, err := b.files.Find(octx, bson.D{{Key: "filename", Value: address}}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		cancel()
		return translate(ctx, err, "find blob")
	}
	var ids []struct {
		ID bson.ObjectID `bson:"_id"`
	}
	err = cur.All(octx, &ids)
	cancel()
	if err != nil {
		return translate(ctx, err, "find blob")
	}
	if len(ids) == 0 {
		return catalog.BlobNotFound()
	}
	for _, x := range ids {
		if err := b.drop(ctx, x.ID); err != nil {
			return err
		}
	}
	return nil
}
