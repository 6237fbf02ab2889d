package sqlite

import (
	"context"
	"encoding/json"

	"wartemarke/server/queue"
)

// SetLineMode stores a line's hand-set mode for the day and records
// line.updated.
func (s *Store) SetLineMode(ctx context.Context, r queue.LineModeRequest) (queue.LineMode, error) {
	err := s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
		b, err := json.Marshal(r.Mode)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO line_modes (line, day, state) VALUES (?, ?, ?)
			ON CONFLICT (day, line) DO UPDATE SET state = excluded.state`, r.Mode.Line, r.Day, b); err != nil {
			return err
		}
		return recordState(ctx, tx, queue.EventLineUpdated, r.Now, b)
	})
	if err != nil {
		return queue.LineMode{}, unavailable(err)
	}
	return r.Mode, nil
}

// LineModes returns the day's hand-set modes (not auto).
func (s *Store) LineModes(ctx context.Context, day string) ([]queue.LineMode, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT state FROM line_modes WHERE day = ? ORDER BY line`, day)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := []queue.LineMode{}
	for rows.Next() {
		var b []byte
		var m queue.LineMode
		if err := rows.Scan(&b); err != nil {
			return nil, unavailable(err)
		}
		if err := json.Unmarshal(b, &m); err == nil && m.Mode != queue.ModeAuto {
			out = append(out, m)
		}
	}
	return out, unavailable(rows.Err())
}
