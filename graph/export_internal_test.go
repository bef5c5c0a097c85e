package graph

// stats returns the entries and estimated bytes held.
func (c *docCache) stats() (entries, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len(), c.bytes
}
