package redisstore

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// PruneEvents deletes events older than before from the site's stream,
// keeping at least the newest one (seq lives beside the stream anyway).
// The stream's IDs are <seq>-0 in time order, so it reads from the oldest
// until the first event at or after before and trims below it.
func (s *Store) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	cut := before.UnixMilli()
	start := "-"
	for {
		msgs, err := s.rdb.XRangeN(ctx, s.k.events(), start, "+", 500).Result()
		if err != nil {
			return 0, s.fail(ctx, err)
		}
		if len(msgs) == 0 {
			return 0, nil
		}
		for i, m := range msgs {
			at, _ := strconv.ParseInt(stringField(m.Values, "at"), 10, 64)
			last := len(msgs) < 500 && i == len(msgs)-1
			if at >= cut || last {
				n, err := s.rdb.XTrimMinID(ctx, s.k.events(), m.ID).Result()
				if err != nil {
					return 0, s.fail(ctx, err)
				}
				return n, nil
			}
		}
		seq, _, _ := strings.Cut(msgs[len(msgs)-1].ID, "-")
		n, _ := strconv.ParseInt(seq, 10, 64)
		start = strconv.FormatInt(n+1, 10) + "-0"
	}
}

func stringField(v map[string]any, k string) string {
	s, _ := v[k].(string)
	return s
}
