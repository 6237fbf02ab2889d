package app

import (
	"context"
	"time"

	"wartemarke/server/queue"
	"wartemarke/server/stats"
)

// Retention. A ticket's row (number, times, kiosk language) is pseudonymous
// data: it is kept for Config.RetentionDays, then its day is folded into
// anonymous aggregates per day, line and hour and the rows are deleted
// (queue.Service.Retire). The job runs at start and every hour; the event
// log is pruned on its own terms.

// Timing of the retention job.
const (
	// retentionEvery: a day is retired within an hour after it has aged
	// out, and a run with nothing to do costs one small query.
	retentionEvery = time.Hour
	// retentionTimeout bounds one run, so a stuck store cannot pile runs up.
	retentionTimeout = 5 * time.Minute
)

// runRetention retires old days now and then every retentionEvery, until
// ctx ends.
func (a *App) runRetention(ctx context.Context) {
	log := a.Logger.With("component", "retention")
	t := time.NewTicker(retentionEvery)
	defer t.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, retentionTimeout)
		days, err := a.Retire(rctx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("old tickets not retired; next try in an hour", "err", err)
		case len(days) > 0:
			log.Info("old tickets folded into statistics and deleted", "days", days, "retention_days", a.Config.RetentionDays)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Retire folds the tickets of days older than the retention period into
// anonymous aggregates and deletes them, and prunes the event log (which
// holds the same per-ticket data) to the same age; it returns the days
// retired.
func (a *App) Retire(ctx context.Context) ([]string, error) {
	loc := a.Service.Location
	days, err := a.Service.Retire(ctx, a.Config.RetentionDays, func(day string, ts []queue.StatsTicket) []queue.Aggregate {
		return stats.Aggregate(ts, loc)
	})
	if err != nil {
		return days, err
	}
	if p, ok := a.Store.(interface {
		PruneEvents(context.Context, time.Time) (int64, error)
	}); ok {
		before := a.Service.Now().AddDate(0, 0, -a.Config.RetentionDays)
		if n, err := p.PruneEvents(ctx, before); err != nil {
			return days, err
		} else if n > 0 {
			a.Logger.Info("old events pruned", "component", "retention", "events", n)
		}
	}
	return days, nil
}

// countTurnedAway counts a draw refused at the cut-off (the service's
// OnTurnedAway). A failure costs one count, never the kiosk's answer.
func (a *App) countTurnedAway(ctx context.Context, line string) {
	if err := a.Service.TurnedAway(ctx, line); err != nil {
		a.Logger.Warn("turn-away not counted", "component", "stats", "line", line, "err", err)
	}
}
