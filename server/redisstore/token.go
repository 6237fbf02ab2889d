package redisstore

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"

	"wartemarke/server/queue"
)

// tokenKey maps a ticket's status token to its id: wm:{site}:token:<token>
// (written by the draw script with the ticket).
func (k keys) token(token string) string { return k.base + "token:" + token }

// TicketByToken returns the ticket behind a phone status link.
func (s *Store) TicketByToken(ctx context.Context, token string) (queue.Ticket, error) {
	id, err := s.rdb.Get(ctx, s.k.token(token)).Result()
	if errors.Is(err, redis.Nil) {
		return queue.Ticket{}, queue.Errorf(queue.NotFound, "no such ticket")
	}
	if err != nil {
		return queue.Ticket{}, s.fail(ctx, err)
	}
	return s.Ticket(ctx, id)
}
