package api

import (
	"net/http"
	"testing"

	"wartemarke/server/queue"
)

// TestClockStatus: a draw refused because the clock is behind the stored
// events is a 503 (the service cannot serve now; staff set the clock),
// with its own code so the cause shows in the logs and to clients.
func TestClockStatus(t *testing.T) {
	if got := statusOf(queue.ClockBehind); got != http.StatusServiceUnavailable {
		t.Fatalf("statusOf(clock) = %d, want 503", got)
	}
}
