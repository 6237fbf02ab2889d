package api

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"wartemarke/server/queue"
)

// Metrics is the policy of GET /metrics: the metrics token as a Bearer
// token (what Prometheus sends, from metrics_token_file), or a signed-in
// admin. The token opens nothing else, and no other credential opens the
// metrics.
const Metrics Policy = "metrics"

// handleMetrics serves the Prometheus metrics (server/metrics).
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.Metrics == nil {
		writeError(w, r, s.Logger, queue.Errorf(queue.Unavailable, "metrics are not enabled"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Metrics.ServeHTTP(w, r)
}

// metricsGuard lets the metrics token through and asks anyone else to be
// an admin.
func (s *Server) metricsGuard(h http.HandlerFunc) http.HandlerFunc {
	admin := s.guard(AdminOnly, h)
	return func(w http.ResponseWriter, r *http.Request) {
		if s.MetricsToken != "" {
			if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok &&
				subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.MetricsToken)) == 1 {
				h(w, r)
				return
			}
		}
		admin(w, r)
	}
}
