package app

import (
	"context"
	"slices"
	"strings"
	"time"
)

// revokeSweepEvery is how often the service looks for devices revoked
// beside it (an admin command on the same data folder, another instance on
// the same Redis) whose websockets it still holds. A revoke through this
// service's own API closes them at once.
const revokeSweepEvery = 2 * time.Second

// sweepRevoked closes, every revokeSweepEvery until ctx ends, the event
// streams of devices that are no longer active in the store.
func (a *App) sweepRevoked(ctx context.Context) {
	t := time.NewTicker(revokeSweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if a.Hub.CountWhere(func(tag string) bool { return strings.HasPrefix(tag, "device:") }) == 0 {
			continue // no device holds a stream: nothing to read
		}
		devices, err := a.Auth.Store.Devices(ctx)
		if err != nil {
			continue // the store is away; the next sweep tries again
		}
		var gone []string
		for _, d := range devices {
			if !d.Active() {
				gone = append(gone, "device:"+d.ID)
			}
		}
		if len(gone) == 0 {
			continue
		}
		if n := a.Hub.CloseWhere(func(tag string) bool {
			return slices.ContainsFunc(strings.Fields(tag), func(w string) bool { return slices.Contains(gone, w) })
		}); n > 0 {
			a.Logger.Info("closed the event streams of revoked devices", "streams", n)
		}
	}
}
