package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"wartemarke/server/queue"
)

// Statistics: turn-away counters (turnedaway:<day>), the aggregates of
// retired days (stats:<day>) with their index (statdays), and the
// retirement of old tickets, which finds them through the days index and
// each day's tickets hash (see queue.StatsStore).

// TurnAway counts one draw refused at the cut-off.
func (s *Store) TurnAway(ctx context.Context, r queue.TurnAwayRequest) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HIncrBy(ctx, s.k.turnedAway(r.Day), r.Line+":"+strconv.Itoa(r.Hour), 1)
		p.ZAdd(ctx, s.k.statDays(), redis.Z{Member: r.Day})
		return nil
	})
	return s.fail(ctx, err)
}

// statsScript reads what is kept of a range of days in one step, so that
// no day is missed or counted twice while another instance retires it.
// KEYS: 1 days, 2 statdays. ARGV: 1 base, 2 from, 3 to. It answers
// {tickets as {day, issued_line, lang, status, issued_at, called_at,
// finished_at, transfers}, {day, aggregates as JSON} per day with
// aggregates, {day, turn-away field/count pairs} per day}.
var statsScript = redis.NewScript("#!lua flags=no-writes\n" + `
local base, from, to = ARGV[1], ARGV[2], ARGV[3]
local tickets, aggs, turned = {}, {}, {}
for _, day in ipairs(redis.call('ZRANGEBYLEX', KEYS[1], '[' .. from, '[' .. to)) do
  for _, id in ipairs(redis.call('HKEYS', base .. 'tickets:' .. day)) do
    local f = redis.call('HMGET', base .. 'ticket:' .. id, 'day', 'issued_line', 'lang', 'status', 'issued_at', 'called_at', 'finished_at', 'transfers')
    if f[1] then tickets[#tickets + 1] = f end
  end
end
for _, day in ipairs(redis.call('ZRANGEBYLEX', KEYS[2], '[' .. from, '[' .. to)) do
  aggs[#aggs + 1] = {day, redis.call('HVALS', base .. 'stats:' .. day)}
  turned[#turned + 1] = {day, redis.call('HGETALL', base .. 'turnedaway:' .. day)}
end
return {tickets, aggs, turned}
`)

// Stats returns the tickets, stored aggregates and turn-away counts of
// days from..to.
func (s *Store) Stats(ctx context.Context, from, to string) (queue.StatsData, error) {
	var d queue.StatsData
	res, err := statsScript.Run(ctx, s.rdb, []string{s.k.days(), s.k.statDays()}, s.k.base, from, to).Slice()
	if err != nil {
		return d, s.fail(ctx, err)
	}
	if len(res) != 3 {
		return d, fmt.Errorf("stats script answered %d parts", len(res))
	}
	tickets, _ := res[0].([]any)
	for _, v := range tickets {
		f, _ := v.([]any)
		str := make([]string, 8)
		for i := range min(len(f), 8) {
			str[i], _ = f[i].(string)
		}
		t, err := decodeStatsTicket(str)
		if err != nil {
			return d, err
		}
		d.Tickets = append(d.Tickets, t)
	}
	aggs, _ := res[1].([]any)
	for _, v := range aggs {
		pair, _ := v.([]any)
		if len(pair) != 2 {
			continue
		}
		list, _ := pair[1].([]any)
		for _, j := range list {
			b, _ := j.(string)
			var a queue.Aggregate
			if err := json.Unmarshal([]byte(b), &a); err != nil {
				return d, fmt.Errorf("stored aggregate %q: %w", b, err)
			}
			d.Aggregates = append(d.Aggregates, a)
		}
	}
	turned, _ := res[2].([]any)
	for _, v := range turned {
		pair, _ := v.([]any)
		if len(pair) != 2 {
			continue
		}
		day, _ := pair[0].(string)
		m, err := fieldMap(pair[1])
		if err != nil {
			return d, err
		}
		for field, n := range m {
			line, hour, ok := strings.Cut(field, ":")
			h, err1 := strconv.Atoi(hour)
			c, err2 := strconv.Atoi(n)
			if !ok || err1 != nil || err2 != nil {
				return d, fmt.Errorf("turn-away count %s=%s of %s", field, n, day)
			}
			d.TurnedAway = append(d.TurnedAway, queue.TurnAwayCount{Day: day, Line: line, Hour: h, N: c})
		}
	}
	return d, nil
}

// decodeStatsTicket reads the fields the stats script gives for a ticket.
func decodeStatsTicket(f []string) (queue.StatsTicket, error) {
	t := queue.StatsTicket{Day: f[0], Line: f[1], Lang: f[2], Status: queue.Status(f[3])}
	var errs []error
	ms := func(s string) *time.Time {
		if s == "" {
			return nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		errs = append(errs, err)
		v := time.UnixMilli(n).UTC()
		return &v
	}
	if at := ms(f[4]); at != nil {
		t.IssuedAt = *at
	}
	t.CalledAt, t.FinishedAt = ms(f[5]), ms(f[6])
	if f[7] != "" {
		n, err := strconv.Atoi(f[7])
		errs = append(errs, err)
		t.Transfers = n
	}
	if err := errors.Join(errs...); err != nil {
		return t, fmt.Errorf("ticket of %s: %w", t.Day, err)
	}
	return t, nil
}

// Retire folds the tickets of each day before r.Before into the day's
// stored aggregates and deletes them with their token and Idempotency-Key
// keys, and the day's indexes, counters and desk states. Each day is one
// optimistic transaction over the day's tickets hash and its tickets.
func (s *Store) Retire(ctx context.Context, r queue.RetireRequest) ([]string, error) {
	if r.Aggregate == nil || r.Before > r.Day {
		return nil, queue.Errorf(queue.Invalid, "retire: days before %s, today %s, with an aggregate function", r.Before, r.Day)
	}
	if err := s.indexDays(ctx); err != nil {
		return nil, err
	}
	// Open tickets of earlier days are expired first, as by any change.
	if _, err := s.update(ctx, r.Day, r.Now, nil); err != nil {
		return nil, err
	}
	days, err := s.rdb.ZRangeByLex(ctx, s.k.days(), &redis.ZRangeBy{Min: "-", Max: "(" + r.Before}).Result()
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	var retired []string
	for _, day := range days {
		had, err := s.retireDay(ctx, r, day)
		if err != nil {
			return retired, err
		}
		if had {
			retired = append(retired, day)
		}
	}
	return retired, nil
}

// retireDay retires one day and tells whether it had tickets.
func (s *Store) retireDay(ctx context.Context, r queue.RetireRequest, day string) (bool, error) {
	idx, statsKey := s.k.dayTickets(day), s.k.stats(day)
	for attempt := range maxConflicts {
		had := false
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			m, err := tx.HGetAll(ctx, idx).Result()
			if err != nil {
				return err
			}
			ids := make([]string, 0, len(m))
			for id := range m {
				ids = append(ids, id)
			}
			ts, err := s.watchTickets(ctx, tx, ids...)
			if err != nil {
				return err
			}
			old, err := tx.HGetAll(ctx, statsKey).Result()
			if err != nil {
				return err
			}
			dels := []string{idx, s.k.desks(day), s.k.calls(day), s.k.served(day), s.k.open(day)}
			var rows []queue.StatsTicket
			lines, desks := map[string]bool{}, map[string]bool{}
			for i, t := range ts {
				if idem := m[ids[i]]; idem != "" && strings.HasPrefix(idem, s.k.base) {
					dels = append(dels, idem)
				}
				if t == nil {
					continue
				}
				if t.Status.Open() {
					return queue.Errorf(queue.Conflict, "day %s still has open tickets", day)
				}
				rows = append(rows, queue.StatsTicket{Day: t.Day, Line: t.IssuedLine, Lang: t.Lang, Status: t.Status,
					IssuedAt: t.IssuedAt, CalledAt: t.CalledAt, FinishedAt: t.FinishedAt, Transfers: t.Transfers})
				dels = append(dels, s.k.ticket(t.ID))
				if t.Token != "" {
					dels = append(dels, s.k.token(t.Token))
				}
				lines[t.Line], lines[t.IssuedLine], desks[t.Desk] = true, true, true
			}
			for l := range lines {
				dels = append(dels, s.k.waiting(day, l), s.k.number(day, l))
			}
			for d := range desks {
				if d != "" {
					dels = append(dels, s.k.called(day, d))
				}
			}
			merged := map[string]*queue.Aggregate{}
			var stored []queue.Aggregate
			for _, b := range old {
				var a queue.Aggregate
				if err := json.Unmarshal([]byte(b), &a); err != nil {
					return fmt.Errorf("stored aggregate %q: %w", b, err)
				}
				stored = append(stored, a)
			}
			if len(rows) > 0 {
				stored = append(stored, r.Aggregate(day, rows)...)
			}
			for _, a := range stored {
				if a.Day != day {
					return fmt.Errorf("retire %s: the aggregate function gave day %s", day, a.Day)
				}
				a.TurnedAway = 0 // kept by the turn-away counters only
				f := a.Line + ":" + strconv.Itoa(a.Hour)
				if merged[f] == nil {
					merged[f] = &queue.Aggregate{Day: day, Line: a.Line, Hour: a.Hour}
				}
				merged[f].Add(a)
			}
			had = len(rows) > 0
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				if had {
					for f, a := range merged {
						b, err := json.Marshal(a)
						if err != nil {
							return err
						}
						p.HSet(ctx, statsKey, f, b)
					}
					p.ZAdd(ctx, s.k.statDays(), redis.Z{Member: day})
				}
				p.Del(ctx, dels...)
				p.ZRem(ctx, s.k.days(), day)
				return nil
			})
			return err
		}, idx, statsKey)
		if errors.Is(err, redis.TxFailedErr) {
			time.Sleep(time.Duration(rand.Int64N(int64(time.Millisecond) * int64(min(attempt+1, 10)))))
			continue
		}
		if err != nil {
			return false, s.fail(ctx, err)
		}
		return had, nil
	}
	return false, queue.Errorf(queue.Unavailable, "the ticket store is too busy")
}

// indexDays lists, once per site, the tickets drawn before the draw script
// kept the days index and each day's tickets hash, so that retirement
// finds them too. A draw meanwhile indexes its ticket itself.
func (s *Store) indexDays(ctx context.Context) error {
	n, err := s.rdb.Exists(ctx, s.k.dayIndexed()).Result()
	if err != nil || n > 0 {
		return s.fail(ctx, err)
	}
	iter := s.rdb.Scan(ctx, 0, s.k.base+"ticket:*", 500).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		id := strings.TrimPrefix(key, s.k.base+"ticket:")
		day, err := s.rdb.HGet(ctx, key, "day").Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return s.fail(ctx, err)
		}
		if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSetNX(ctx, s.k.dayTickets(day), id, "")
			p.ZAdd(ctx, s.k.days(), redis.Z{Member: day})
			return nil
		}); err != nil {
			return s.fail(ctx, err)
		}
	}
	if err := iter.Err(); err != nil {
		return s.fail(ctx, err)
	}
	return s.fail(ctx, s.rdb.Set(ctx, s.k.dayIndexed(), "1", 0).Err())
}
