package graph

import (
	"container/list"
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// The query cache keeps parsed and validated documents, so a repeated
// query skips both. It is bounded by entries and by bytes: a document is
// kept only if its text is at most maxCachedQueryBytes, and the texts kept
// add up to at most a budget, each counted docBytesPerByte times: at least
// what text and parsed document take in memory together. Measured, that
// is 1.1 times the text for a document that is mostly a comment or a
// string, 20 times for GraphiQL's introspection query, 35 times for a
// dense selection of fields with arguments.
const (
	maxCachedQueryBytes = 16 << 10
	docBytesPerByte     = 40
)

// docCache is an LRU of documents by query text. It is also gqlgen's
// query cache: Get answers the document the guard just prepared for this
// request (docSlot), so gqlgen never parses or validates by itself.
type docCache struct {
	mu         sync.Mutex
	entries    map[string]*list.Element
	order      *list.List // of *cacheEntry, most recent first
	maxEntries int
	maxBytes   int
	bytes      int
}

type cacheEntry struct {
	query string
	doc   *ast.QueryDocument
}

var _ graphql.Cache[*ast.QueryDocument] = (*docCache)(nil)

func newDocCache(maxEntries, maxBytes int) *docCache {
	return &docCache{entries: map[string]*list.Element{}, order: list.New(), maxEntries: maxEntries, maxBytes: maxBytes}
}

func entryBytes(query string) int { return len(query) * docBytesPerByte }

func (c *docCache) get(query string) (*ast.QueryDocument, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[query]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry).doc, true
}

func (c *docCache) add(query string, doc *ast.QueryDocument) {
	size := entryBytes(query)
	if len(query) > maxCachedQueryBytes || size > c.maxBytes || c.maxEntries <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[query]; ok {
		c.order.MoveToFront(el)
		return
	}
	c.entries[query] = c.order.PushFront(&cacheEntry{query: query, doc: doc})
	c.bytes += size
	for c.bytes > c.maxBytes || c.order.Len() > c.maxEntries {
		oldest := c.order.Back()
		e := oldest.Value.(*cacheEntry)
		c.order.Remove(oldest)
		delete(c.entries, e.query)
		c.bytes -= entryBytes(e.query)
	}
}

// Get is gqlgen's look-up: the document prepared for this request. A
// request that did not go through the guard gets an empty document, which
// gqlgen refuses (no such operation), rather than a miss that would make
// gqlgen parse and validate it unguarded.
func (c *docCache) Get(ctx context.Context, query string) (*ast.QueryDocument, bool) {
	if slot, ok := ctx.Value(docSlotKey{}).(*docSlot); ok && slot.query == query {
		return slot.doc, true
	}
	return &ast.QueryDocument{}, true
}

// Add is gqlgen's: the guard has already cached what is worth caching.
func (c *docCache) Add(context.Context, string, *ast.QueryDocument) {}
