package meili

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"dataportal/catalog"
)

// batchSize is how many documents go into one task.
const batchSize = 1000

var errNoID = catalog.E(catalog.KindInvalid, "索引文档缺少标识", "index document without id")

// Upsert indexes docs. A document whose Rev is below the indexed one is
// left out, so a late retry cannot bring an old revision back; an equal
// Rev is indexed again (see the package comment for concurrent callers).
// Errors: Invalid for a document without a valid id (letters, digits, -
// and _); Unavailable when the engine cannot be reached or a task fails
// for a passing reason; Internal when the engine rejects the documents.
func (x *Index) Upsert(ctx context.Context, docs ...catalog.IndexDoc) error {
	if len(docs) == 0 {
		return nil
	}
	for _, d := range docs {
		if d.ID == "" {
			return errNoID
		}
		if !validID(d.ID) {
			return catalog.E(catalog.KindInvalid, "索引文档标识只能含字母、数字、- 和 _："+d.ID, "an index document id may only hold letters, digits, - and _: "+d.ID)
		}
	}
	if err := ctx.Err(); err != nil {
		return x.fail(err, "upsert")
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	if err := x.retry(ctx, func() error { return x.upsertInto(ctx, x.uid, docs) }); err != nil {
		return err
	}
	if x.next != "" {
		return x.upsertInto(ctx, x.next, docs)
	}
	return nil
}

// upsertInto writes docs into index uid in batches, leaving out revisions
// older than the indexed ones (and than later copies of an id in docs).
func (x *Index) upsertInto(ctx context.Context, uid string, docs []catalog.IndexDoc) error {
	for start := 0; start < len(docs); start += batchSize {
		chunk := docs[start:min(start+batchSize, len(docs))]
		newest := make(map[string]catalog.IndexDoc, len(chunk))
		var ids []string
		for _, d := range chunk {
			have, ok := newest[d.ID]
			if !ok {
				ids = append(ids, d.ID)
			}
			if !ok || d.Rev >= have.Rev {
				newest[d.ID] = d
			}
		}
		stored, err := x.storedRevs(ctx, uid, ids)
		if err != nil {
			return err
		}
		batch := make([]document, 0, len(ids))
		for _, id := range ids {
			d := newest[id]
			if have, ok := stored[id]; ok && d.Rev < have {
				continue
			}
			batch = append(batch, documentOf(d))
		}
		if len(batch) == 0 {
			continue
		}
		pk := aID
		ti, err := x.ms.Index(uid).AddDocuments(ctx, batch, &meilisearch.DocumentOptions{PrimaryKey: &pk})
		if err != nil {
			return x.fail(err, "add documents to "+uid)
		}
		if err := x.wait(ctx, ti, "add documents to "+uid); err != nil {
			return err
		}
	}
	return nil
}

// storedRevs returns the indexed revision of those ids that index uid
// holds, with one request.
func (x *Index) storedRevs(ctx context.Context, uid string, ids []string) (map[string]int64, error) {
	var res meilisearch.DocumentsResult
	err := x.ms.Index(uid).GetDocuments(ctx, &meilisearch.DocumentsQuery{
		Filter: in(aID, ids), Fields: []string{aID, aRev}, Limit: int64(len(ids)),
	}, &res)
	if err != nil {
		return nil, x.fail(err, "read revisions in "+uid)
	}
	out := make(map[string]int64, len(res.Results))
	for _, h := range res.Results {
		var id string
		var rev int64
		if json.Unmarshal(h[aID], &id) != nil || json.Unmarshal(h[aRev], &rev) != nil {
			continue // a document without a revision: any write replaces it
		}
		out[id] = rev
	}
	return out, nil
}

// Delete removes documents by id; unknown ids (and ids no document can
// have) are ignored. Errors as Upsert.
func (x *Index) Delete(ctx context.Context, ids ...string) error {
	var valid []string
	for _, id := range ids {
		if validID(id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return x.fail(err, "delete")
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	if err := x.retry(ctx, func() error { return x.deleteFrom(ctx, x.uid, valid) }); err != nil {
		return err
	}
	if x.next != "" {
		return x.deleteFrom(ctx, x.next, valid)
	}
	return nil
}

func (x *Index) deleteFrom(ctx context.Context, uid string, ids []string) error {
	for start := 0; start < len(ids); start += batchSize {
		chunk := ids[start:min(start+batchSize, len(ids))]
		ti, err := x.ms.Index(uid).DeleteDocuments(ctx, chunk, nil)
		if err != nil {
			return x.fail(err, "delete documents from "+uid)
		}
		if err := x.wait(ctx, ti, "delete documents from "+uid); err != nil {
			return err
		}
	}
	return nil
}

// Rebuild fills a new index from fill and swaps it with the live one in
// one task. Until the swap, searches and writes use the live index;
// writes made through this Index meanwhile go to the new one as well.
// When fill fails or ctx ends, the new index is deleted and the live one
// is unchanged.
func (x *Index) Rebuild(ctx context.Context, fill func(add func(catalog.IndexDoc) error) error) error {
	x.rebuildMu.Lock()
	defer x.rebuildMu.Unlock()
	if err := x.ensure(ctx); err != nil {
		return err
	}
	x.removeStale(ctx)

	tmp := x.rebuildPrefix() + time.Now().UTC().Format("20060102T150405") + "_" + randomSuffix()
	defer func() {
		// The index to drop holds the new documents if the rebuild
		// failed, the old ones after the swap. Done even when ctx ended.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), x.o.TaskTimeout)
		defer cancel()
		if ti, derr := x.ms.DeleteIndex(dctx, tmp); derr == nil {
			_ = x.wait(dctx, ti, "delete index "+tmp)
		}
	}()
	if err := x.prepare(ctx, tmp); err != nil {
		return err
	}
	x.writeMu.Lock()
	x.next = tmp
	x.writeMu.Unlock()
	defer func() {
		x.writeMu.Lock()
		x.next = ""
		x.writeMu.Unlock()
	}()

	batch := make([]catalog.IndexDoc, 0, batchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		// Under writeMu: a write of the same id through Upsert goes to
		// tmp before or after this batch, never in between its revision
		// check and its write.
		x.writeMu.Lock()
		defer x.writeMu.Unlock()
		err := x.upsertInto(ctx, tmp, batch)
		batch = batch[:0]
		return err
	}
	add := func(d catalog.IndexDoc) error {
		if err := ctx.Err(); err != nil {
			return x.fail(err, "rebuild")
		}
		if d.ID == "" {
			return errNoID
		}
		if !validID(d.ID) {
			return catalog.E(catalog.KindInvalid, "索引文档标识只能含字母、数字、- 和 _："+d.ID, "an index document id may only hold letters, digits, - and _: "+d.ID)
		}
		batch = append(batch, d)
		if len(batch) >= batchSize {
			return flush()
		}
		return nil
	}
	if err := fill(add); err != nil {
		return catalog.Internal(err, "rebuild search index")
	}
	if err := flush(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return x.fail(err, "rebuild")
	}

	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	ti, err := x.ms.SwapIndexes(ctx, []*meilisearch.SwapIndexesParams{{Indexes: []string{x.uid, tmp}}})
	if err != nil {
		return x.fail(err, "swap indexes")
	}
	if err := x.wait(ctx, ti, "swap "+x.uid+" and "+tmp); err != nil {
		return err
	}
	x.next = ""
	return nil
}

// staleAfter is the age at which an index left by a rebuild is deemed
// abandoned (its process died) and removed.
const staleAfter = time.Hour

// removeStale deletes indexes left by rebuilds that did not finish. Best
// effort: a failure leaves them for the next rebuild.
func (x *Index) removeStale(ctx context.Context) {
	list, err := x.ms.ListIndexes(ctx, &meilisearch.IndexesQuery{Limit: 1000})
	if err != nil {
		return
	}
	for _, ix := range list.Results {
		if strings.HasPrefix(ix.UID, x.rebuildPrefix()) && time.Since(ix.CreatedAt) > staleAfter {
			if ti, err := x.ms.DeleteIndex(ctx, ix.UID); err == nil {
				_ = x.wait(ctx, ti, "delete index "+ix.UID)
			}
		}
	}
}
