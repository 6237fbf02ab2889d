package app

import (
	"context"
	"slices"
	"strings"
	"time"

	"wartemarke/server/queue"
)

// revokeSweepEvery is how often the service looks for event streams whose
// device or sign-in ended beside it (an admin command on the same data
// folder, another instance on the same Redis: a revoked device, a signed-out
// session, a removed account or changed password). A revoke or sign-out
// through this service's own API closes them at once.
const revokeSweepEvery = 2 * time.Second

// sweepRevoked closes, every revokeSweepEvery until ctx ends, the event
// streams of devices that are no longer active and of sessions that no
// longer exist in the store.
func (a *App) sweepRevoked(ctx context.Context) {
	t := time.NewTicker(revokeSweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		gone := a.endedStreams(ctx, a.Hub.Tags())
		if len(gone) == 0 {
			continue
		}
		if n := a.Hub.CloseWhere(func(tag string) bool {
			return slices.ContainsFunc(strings.Fields(tag), func(w string) bool { return slices.Contains(gone, w) })
		}); n > 0 {
			a.Logger.Info("closed the event streams of revoked devices or ended sessions", "streams", n)
		}
	}
}

// endedStreams returns the words of tags ("device:ID", "session:HASH") whose
// device or session has ended in the store. What cannot be read now (the
// store is away) counts as not ended: the next sweep tries again.
func (a *App) endedStreams(ctx context.Context, tags []string) []string {
	var devices, sessions []string
	for _, tag := range tags {
		for _, w := range strings.Fields(tag) {
			switch {
			case strings.HasPrefix(w, "device:"):
				devices = append(devices, w)
			case strings.HasPrefix(w, "session:"):
				if !slices.Contains(sessions, w) {
					sessions = append(sessions, w)
				}
			}
		}
	}
	var gone []string
	if len(devices) > 0 {
		if ds, err := a.Auth.Store.Devices(ctx); err == nil {
			for _, d := range ds {
				if w := "device:" + d.ID; !d.Active() && slices.Contains(devices, w) {
					gone = append(gone, w)
				}
			}
		}
	}
	now := time.Now()
	for _, w := range sessions {
		_, err := a.Auth.Store.Session(ctx, strings.TrimPrefix(w, "session:"), now)
		if queue.ErrorCode(err) == queue.NotFound {
			gone = append(gone, w)
		}
	}
	return gone
}
