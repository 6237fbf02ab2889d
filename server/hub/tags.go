package hub

// CountWhere returns how many live connections have a tag that match
// accepts, e.g. to show staff which displays are connected.
func (h *Hub) CountWhere(match func(tag string) bool) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for c := range h.clients {
		if !c.stopped && match(c.tag) {
			n++
		}
	}
	return n
}
