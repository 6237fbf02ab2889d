package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"wartemarke/server/queue"
)

// lineModes is the day's hand-set line modes:
// wm:{site}:linemodes:<day>   hash   line id -> its queue.LineMode as JSON
func (k keys) lineModes(day string) string { return k.base + "linemodes:" + day }

// SetLineMode stores a line's mode for the day and records line.updated in
// one script (the desk script: a hash field and an event carrying its JSON).
func (s *Store) SetLineMode(ctx context.Context, r queue.LineModeRequest) (queue.LineMode, error) {
	b, err := json.Marshal(r.Mode)
	if err != nil {
		return queue.LineMode{}, err
	}
	seq, err := deskScript.Run(ctx, s.rdb, []string{s.k.seq(), s.k.lineModes(r.Day)},
		s.k.base, s.maxEvents, r.Mode.Line, b, r.Now.UnixMilli(), numberTTL.Milliseconds(),
		string(queue.EventLineUpdated), r.Day).Int64()
	if err != nil {
		return queue.LineMode{}, s.fail(ctx, err)
	}
	s.wrote(seq)
	return r.Mode, nil
}

// LineModes returns the day's hand-set modes (not auto), by line.
func (s *Store) LineModes(ctx context.Context, day string) ([]queue.LineMode, error) {
	vals, err := s.rdb.HVals(ctx, s.k.lineModes(day)).Result()
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := []queue.LineMode{}
	for _, v := range vals {
		var m queue.LineMode
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return nil, fmt.Errorf("line mode %q: %w", v, err)
		}
		if m.Mode != queue.ModeAuto {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out, nil
}
