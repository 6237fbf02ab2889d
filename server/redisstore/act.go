package redisstore

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"wartemarke/server/queue"
)

// actFull applies the whole lifecycle of queue.ApplyRequest to one ticket.
// Calling out of order first finishes the ticket still called at that desk
// (as Next does); putting back at the end takes the next seq as the new
// place, read under WATCH so that it is the seq of its own event.
func (s *Store) actFull(ctx context.Context, r queue.ActRequest) (queue.Ticket, error) {
	var result queue.Ticket
	aheads, err := s.update(ctx, r.Day, r.Now, func(tx *redis.Tx, expired map[string]queue.Ticket) ([]change, error) {
		result = queue.Ticket{}
		watch := []string{s.k.seq()}
		if r.Action == queue.ActCall {
			watch = append(watch, s.k.called(r.Day, r.Desk))
		}
		if err := tx.Watch(ctx, watch...).Err(); err != nil {
			return nil, err
		}
		seq, err := tx.Get(ctx, s.k.seq()).Int64()
		if err != nil && err != redis.Nil {
			return nil, err
		}
		var curID string
		if r.Action == queue.ActCall {
			z, err := tx.ZRange(ctx, s.k.called(r.Day, r.Desk), 0, 0).Result()
			if err != nil {
				return nil, err
			}
			if len(z) > 0 && z[0] != r.ID {
				curID = z[0]
			}
		}
		ids := []string{r.ID}
		if curID != "" {
			ids = append(ids, curID)
		}
		ts, err := s.watchTickets(ctx, tx, ids...)
		if err != nil {
			return nil, err
		}
		cur := ts[0]
		if e, ok := expired[r.ID]; ok {
			cur = &e
		}
		if cur == nil {
			return nil, queue.Errorf(queue.NotFound, "no ticket %q", r.ID)
		}
		var changes []change
		if curID != "" && cur.Status == queue.StatusWaiting {
			if ts[1] == nil {
				return nil, fmt.Errorf("the desk's call index refers to a missing ticket")
			}
			done, typ, err := queue.Apply(*ts[1], queue.ActDone, "", r.Now)
			if err != nil {
				return nil, err
			}
			changes = append(changes, change{t: done, typ: typ, at: r.Now})
		}
		r.NextSeq = seq + int64(len(changes)) + 1
		next, typ, err := queue.ApplyRequest(*cur, r)
		if err != nil {
			return nil, err
		}
		result = next
		return append(changes, change{t: next, typ: typ, at: r.Now}), nil
	})
	if err != nil {
		return queue.Ticket{}, err
	}
	result.Ahead = nil
	if len(aheads) > 0 {
		result = withAhead(result, aheads[len(aheads)-1])
	}
	return result, nil
}
