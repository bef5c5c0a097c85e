package ratelimit

// len returns how many windows are held.
func (m *Memory) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.windows)
}
