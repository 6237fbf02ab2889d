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

// Tags returns the tags of the live connections, one per connection.
func (h *Hub) Tags() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	tags := make([]string, 0, len(h.clients))
	for c := range h.clients {
		if !c.stopped {
			tags = append(tags, c.tag)
		}
	}
	return tags
}
