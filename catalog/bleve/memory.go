package bleve

import (
	"context"
	"errors"

	bv "github.com/blevesearch/bleve/v2"

	"dataportal/catalog"
)

// Memory is a throw-away index held in memory, with the same mapping,
// analysis and queries as the on-disk Index: the service builds one per
// request to compare a few hundred short texts (data needs) with the
// engine's own scoring. It has no directory, so it cannot be rebuilt.
type Memory struct {
	*Index
}

var _ catalog.Index = Memory{}

// OpenMemory returns an empty in-memory index.
func OpenMemory() (Memory, error) {
	im, err := newMapping()
	if err != nil {
		return Memory{}, catalog.Internal(err, "bleve mapping")
	}
	idx, err := bv.NewMemOnly(im)
	if err != nil {
		return Memory{}, catalog.Internal(err, "bleve memory index")
	}
	return Memory{&Index{mapping: im, qb: newQueryBuilder(im), idx: idx, gen: "memory"}}, nil
}

// Scratch opens an in-memory index as a catalog.Index (catalog.Options.Scratch).
func Scratch() (catalog.Index, error) { return OpenMemory() }

// Close releases the memory.
func (m Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	return indexErr(m.idx.Close(), "close")
}

// Rebuild is not available on a memory index: build a new one instead.
func (m Memory) Rebuild(context.Context, func(add func(catalog.IndexDoc) error) error) error {
	return catalog.Internal(errors.New("a memory index is not rebuilt"), "bleve memory rebuild")
}
