package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"wartemarke/server/queue"
)

// Statistics: turn-away counters (turned_away), the aggregates of retired
// days (stats_hourly, one row per day, line and hour) and the retirement
// of old tickets (see queue.StatsStore).

// TurnAway counts one draw refused at the cut-off.
func (s *Store) TurnAway(ctx context.Context, r queue.TurnAwayRequest) error {
	return unavailable(s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO turned_away (day, line, hour, n) VALUES (?, ?, ?, 1)
			ON CONFLICT (day, line, hour) DO UPDATE SET n = n + 1`, r.Day, r.Line, r.Hour)
		return err
	}))
}

const statsTicketCols = `day, issued_line, lang, status, issued_at, called_at, finished_at, transfers`

func scanStatsTicket(row scanner) (queue.StatsTicket, error) {
	var t queue.StatsTicket
	var issued int64
	var called, finished sql.NullInt64
	if err := row.Scan(&t.Day, &t.Line, &t.Lang, &t.Status, &issued, &called, &finished, &t.Transfers); err != nil {
		return t, err
	}
	t.IssuedAt = time.UnixMilli(issued).UTC()
	t.CalledAt, t.FinishedAt = fromMillis(called), fromMillis(finished)
	return t, nil
}

type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// statsTickets reads the statistics rows of the tickets of days from..to.
func statsTickets(ctx context.Context, q rowsQuerier, from, to string) ([]queue.StatsTicket, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+statsTicketCols+` FROM tickets WHERE day >= ? AND day <= ? ORDER BY day, place`, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []queue.StatsTicket
	for rows.Next() {
		t, err := scanStatsTicket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// aggregates reads the stored aggregates of days from..to.
func aggregates(ctx context.Context, q rowsQuerier, from, to string) ([]queue.Aggregate, error) {
	rows, err := q.QueryContext(ctx, `SELECT aggregate FROM stats_hourly WHERE day >= ? AND day <= ? ORDER BY day, line, hour`, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []queue.Aggregate
	for rows.Next() {
		var b []byte
		var a queue.Aggregate
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, fmt.Errorf("stored aggregate %s: %w", b, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Stats returns the tickets, stored aggregates and turn-away counts of
// days from..to, read in one transaction.
func (s *Store) Stats(ctx context.Context, from, to string) (queue.StatsData, error) {
	var d queue.StatsData
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return d, unavailable(err)
	}
	defer tx.Rollback()
	if d.Tickets, err = statsTickets(ctx, tx, from, to); err != nil {
		return d, unavailable(err)
	}
	if d.Aggregates, err = aggregates(ctx, tx, from, to); err != nil {
		return d, unavailable(err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT day, line, hour, n FROM turned_away WHERE day >= ? AND day <= ? ORDER BY day, line, hour`, from, to)
	if err != nil {
		return d, unavailable(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c queue.TurnAwayCount
		if err := rows.Scan(&c.Day, &c.Line, &c.Hour, &c.N); err != nil {
			return d, unavailable(err)
		}
		d.TurnedAway = append(d.TurnedAway, c)
	}
	return d, unavailable(rows.Err())
}

// Retire folds the tickets of each day before r.Before into stored
// aggregates and deletes them with their idempotency keys, and deletes
// the desk states of those days. Each day is one write request, so a
// first run over months of tickets does not hold up the draws behind it.
func (s *Store) Retire(ctx context.Context, r queue.RetireRequest) ([]string, error) {
	if r.Aggregate == nil || r.Before > r.Day {
		return nil, queue.Errorf(queue.Invalid, "retire: days before %s, today %s, with an aggregate function", r.Before, r.Day)
	}
	days, err := s.oldDays(ctx, r.Before)
	if err != nil {
		return nil, unavailable(err)
	}
	var retired []string
	for _, day := range days {
		if err := ctx.Err(); err != nil {
			return retired, err
		}
		had := false
		err := s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
			var err error
			had, err = retireDay(ctx, tx, r, day)
			return err
		})
		if err != nil {
			return retired, unavailable(err)
		}
		if had {
			retired = append(retired, day)
		}
	}
	return retired, nil
}

// oldDays lists the days before before that still hold tickets or desk
// states.
func (s *Store) oldDays(ctx context.Context, before string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT day FROM tickets WHERE day < ?
		UNION SELECT day FROM desks WHERE day < ? UNION SELECT day FROM waiting_count WHERE day < ? ORDER BY day`, before, before, before)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// retireDay retires one day inside a write request and tells whether the
// day had tickets.
func retireDay(ctx context.Context, tx *batchTx, r queue.RetireRequest, day string) (bool, error) {
	// An open ticket of an old day is expired first, as by any change, so
	// it is counted as it ends.
	if err := expire(ctx, tx, r.Day, r.Now); err != nil {
		return false, err
	}
	ts, err := statsTickets(ctx, tx, day, day)
	if err != nil {
		return false, err
	}
	if len(ts) > 0 {
		old, err := aggregates(ctx, tx, day, day)
		if err != nil {
			return false, err
		}
		type key struct {
			line string
			hour int
		}
		merged := map[key]*queue.Aggregate{}
		for _, a := range append(old, r.Aggregate(day, ts)...) {
			if a.Day != day {
				return false, fmt.Errorf("retire %s: the aggregate function gave day %s", day, a.Day)
			}
			a.TurnedAway = 0 // kept by the turn-away counters only
			k := key{a.Line, a.Hour}
			if merged[k] == nil {
				merged[k] = &queue.Aggregate{Day: day, Line: a.Line, Hour: a.Hour}
			}
			merged[k].Add(a)
		}
		for _, a := range merged {
			b, err := json.Marshal(a)
			if err != nil {
				return false, err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO stats_hourly (day, line, hour, aggregate) VALUES (?, ?, ?, ?)
				ON CONFLICT (day, line, hour) DO UPDATE SET aggregate = excluded.aggregate`, day, a.Line, a.Hour, b); err != nil {
				return false, err
			}
		}
	}
	for _, q := range []string{
		`DELETE FROM idempotency WHERE ticket_id IN (SELECT id FROM tickets WHERE day = ?)`,
		`DELETE FROM tickets WHERE day = ?`,
		`DELETE FROM desks WHERE day = ?`,
		`DELETE FROM waiting_count WHERE day = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, day); err != nil {
			return false, err
		}
	}
	return len(ts) > 0, nil
}
