// Package redisstore is Wartemarke's shared store: tickets, the event log
// and idempotency keys in Redis, so that several server instances (several
// offices, a failover pair, a load balancer) serve one queue. It passes the
// same conformance suite (queuetest) as the embedded SQLite store.
//
// # Where the rules live
//
// The lifecycle rules stay in Go, in the domain: a change reads the
// tickets it rests on, lets queue.Apply, queue.CallTicket, queue.Expire or
// queue.SetPrint decide, and writes the outcome. Two mechanisms make that
// atomic across any number of instances:
//
//   - A draw decides nothing but a number, so it is one Lua script, one
//     round trip and never retried: it checks the idempotency key, takes
//     the line's next number (INCR) and the next seq (INCR), writes the
//     ticket, its indexes and its event. A draw is the hot path (a burst of
//     kiosks), and a script serialises draws inside Redis without conflicts.
//   - Next, the desk actions, SetPrint and the daily expiry read under
//     WATCH (the ticket keys and the index keys they consulted), decide in
//     Go, and commit with MULTI/EXEC. Inside the transaction one Lua script
//     writes the new fields, moves the ticket between indexes and appends
//     the events, because a seq must be taken (INCR) and used in the same
//     step. When another instance changed something that was read, EXEC
//     aborts and the change is decided again on fresh data. These are
//     desk-paced operations: conflicts are rare, and a retry is a few
//     round trips on the office network.
//
// The scripts encode no rule: they index a ticket by its stored fields
// (which sorted sets hold a waiting or called ticket) and append events.
//
// # Event log
//
// Events live in one Stream per site. A ticket event holds the ticket's
// fields; a desk.updated event holds one field, desk: the desk's state as
// JSON. The seq is a counter (the seq key) beside the stream, incremented
// in the same script that adds the event, and the entry is added under the
// stream ID "<seq>-0": EventsAfter is an XRANGE from "<after>-0", and
// stream IDs never leave this package. The stream is trimmed to about
// Options.MaxEvents entries (XADD MAXLEN ~); EventsAfter fails with
// queue.Gone when events after `after` were trimmed, as the SQLite store
// does after pruning. WaitEvents blocks in XREAD BLOCK on the
// stream, so an instance sees an event written by another one at once;
// after an event the instance wrote itself it returns without asking.
// The entries its XREAD returned answer the EventsAfter that follows, so
// a hub reads each event from Redis once.
//
// # Key layout
//
// Every key of a site starts with "wm:{site}:". The hash tag {site} keeps
// a site in one Redis Cluster slot, so scripts and transactions never span
// slots, and offices shard by site. The draw script is given every key it
// writes; the others build ticket key names from that prefix, which stays
// inside the slot.
//
//	wm:{site}:seq                   string  seq of the newest event
//	wm:{site}:events                stream  events, ID "<seq>-0"; fields type, at and the ticket's fields
//	wm:{site}:ticket:<id>           hash    one ticket (fields below)
//	wm:{site}:num:<day>:<line>      string  the line's last number on that day (expires 3 days after its first)
//	wm:{site}:open:<day>            zset    waiting and called tickets of the day, by place
//	wm:{site}:waiting:<day>:<line>  zset    waiting tickets of a line, by place
//	wm:{site}:called:<day>:<desk>   zset    the ticket called at a desk, by place
//	wm:{site}:calls:<day>           zset    the day's called tickets, by time of the latest call (recent calls)
//	wm:{site}:served:<day>          zset    the day's finished consultations (done after a call), by end time (the estimate)
//	wm:{site}:opendays              zset    days that may hold open tickets (score 0, by name), for the daily expiry
//	wm:{site}:desks:<day>           hash    desk label -> its queue.DeskState as JSON (expires after 3 days)
//	wm:{site}:idem:<key>            string  Idempotency-Key: "<body hash> <ticket id> <at>" (expires after the key's TTL; a hash of fields hash, ticket, at before)
//	wm:{site}:tickets:<day>         hash    every ticket of the day: id -> its idem key ("" for none), for retirement
//	wm:{site}:days                  zset    days with tickets or desk states (score 0, by name), for retirement
//	wm:{site}:dayindex              string  set once tickets of older versions were listed in tickets:<day>
//	wm:{site}:stats:<day>           hash    a retired day's aggregates: "<line>:<hour>" -> queue.Aggregate as JSON
//	wm:{site}:turnedaway:<day>      hash    draws refused at the cut-off: "<line>:<hour>" -> count
//	wm:{site}:statdays              zset    days with stats or turnedaway keys (score 0, by name)
//
// Ticket hash fields: id, day, line, issued_line, prefix, num, lang,
// status, place, desk, recalls, transfers, issued_at, called_at,
// finished_at (Unix milliseconds, "" for none), print, print_error,
// call_reason, token. A field that holds "" may be absent (a draw leaves
// them out), which reads the same.
//
// Reserved for what the service will store next, so that any instance can
// serve any request: wm:{site}:account:<id>, wm:{site}:session:<token>,
// wm:{site}:device:<id>.
//
// # Retention
//
// Retire folds each old day's tickets into stats:<day> and deletes the
// tickets with their token and idem keys and the day's indexes, counters
// and desk states, in one WATCH/MULTI transaction per day over the day's
// tickets hash. The event stream keeps its own trimming.
//
// # Redis version
//
// Redis 7.0 or later: the read-only scripts carry flags, and the draw takes
// its Idempotency-Key with SET NX GET.
//
// # Durability
//
// Redis acknowledges a write before it reaches the disk unless the server
// runs with appendonly yes and appendfsync always; only then does a ticket
// the kiosk has shown (the API answered 201) survive a crash of Redis or of
// its machine. With appendfsync everysec up to about a second of confirmed
// draws can be lost on a power cut, and their numbers would then be given
// again. The store does not change the server's configuration; the README
// says what the operator sets.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"wartemarke/server/queue"
)

// Timings. Redis answers in well under a millisecond on the office
// network, so anything slower means it is gone, and the service should
// say 503 rather than hang a kiosk.
const (
	// dialTimeout bounds connecting: a Redis that is down is noticed fast.
	dialTimeout = time.Second
	// ioTimeout bounds one command's read or write.
	ioTimeout = 2 * time.Second
	// poolTimeout bounds waiting for a free connection in a burst.
	poolTimeout = 3 * time.Second
	// pingTimeout keeps /healthz quick while Redis is unreachable.
	pingTimeout = time.Second
	// waitBlock is the longest single XREAD BLOCK: a cancelled wait ends
	// within it, since a blocked read cannot be interrupted.
	waitBlock = 250 * time.Millisecond
	// maxConflicts is how often a change is decided again after another
	// instance changed what it read, before it gives up with 503.
	maxConflicts = 100
	// numberTTL keeps a day's number counters past any clock skew between
	// instances, then lets them go.
	numberTTL = 72 * time.Hour
	// recentCallsRead is how many of a day's calls a snapshot reads to pick
	// the newest per line.
	recentCallsRead = 200
)

// DefaultMaxEvents is how many events the stream keeps at least: several
// busy days, enough for any display to resume after a night offline.
const DefaultMaxEvents = 100_000

// Options tune a Store. Zero fields take their defaults.
type Options struct {
	// MaxEvents is how many events the stream keeps at least; Redis trims
	// older ones in whole blocks.
	MaxEvents int64
}

// Store implements queue.Store on Redis.
type Store struct {
	rdb       *redis.Client
	k         keys
	site      string
	maxEvents int64
	// written is the newest event this store wrote that a read of the
	// log may not have reached: WaitEvents returns at once while it is
	// above the caller's position. It errs high only when Redis lost
	// writes (a restart without appendfsync always); a read that reaches
	// the end of the stream lowers it to what it found, so that costs one
	// early return.
	written seqMark
	// known is the newest seq this store has written or read, for wake.
	known seqMark
	// wake is what WaitEvents's latest XREAD returned.
	wake wake
}

var _ queue.Store = (*Store)(nil)

// Open connects to the Redis at url (redis://host:port/db, rediss:// for
// TLS, unix:///path.sock?db=N) and returns the store of site. It fails when
// Redis does not answer or holds an inconsistent log for the site.
// Timeouts given in the URL (dial_timeout, read_timeout, …) win over the
// store's short defaults.
func Open(ctx context.Context, url, site string, o Options) (*Store, error) {
	if !ValidSite(site) {
		return nil, fmt.Errorf("site %q: use 1 to 64 letters, digits, dots, dashes or underscores", site)
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis URL: %w", err)
	}
	if opt.DialTimeout == 0 {
		opt.DialTimeout = dialTimeout
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = ioTimeout
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = ioTimeout
	}
	if opt.DialerRetries == 0 {
		// One attempt per dial: while Redis is down, answer 503 at once.
		opt.DialerRetries = 1
	}
	if opt.PoolTimeout == 0 {
		opt.PoolTimeout = poolTimeout
	}
	if opt.MaxRetries == 0 {
		// No silent retries: a draw whose answer was lost must not be
		// drawn again behind the kiosk's back. The kiosk retries with its
		// Idempotency-Key, which is safe.
		opt.MaxRetries = -1
	}
	opt.ContextTimeoutEnabled = true
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	if o.MaxEvents <= 0 {
		o.MaxEvents = DefaultMaxEvents
	}
	s := &Store{rdb: redis.NewClient(opt), k: newKeys(site), site: site, maxEvents: o.MaxEvents}
	if err := s.check(ctx); err != nil {
		s.rdb.Close()
		return nil, err
	}
	return s, nil
}

// check pings Redis and makes sure the seq counter is not behind the
// stream, which would make the next event's ID collide.
func (s *Store) check(ctx context.Context) error {
	if err := s.Ping(ctx); err != nil {
		return fmt.Errorf("redis at %s: %w", s.rdb.Options().Addr, err)
	}
	last, err := s.LastSeq(ctx)
	if err != nil {
		return err
	}
	msgs, err := s.rdb.XRevRangeN(ctx, s.k.events(), "+", "-", 1).Result()
	if err != nil {
		return s.fail(ctx, err)
	}
	if len(msgs) > 0 {
		if seq, err := streamSeq(msgs[0].ID); err != nil || seq > last {
			return fmt.Errorf("site %s: event stream ends at %s but seq is %d; the keys were changed by hand", s.site, msgs[0].ID, last)
		}
	}
	return nil
}

// Site is the site whose keys the store uses.
func (s *Store) Site() string { return s.site }

// Close closes the connections.
func (s *Store) Close() error { return s.rdb.Close() }

// Ping tells whether Redis answers, within a second.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("%w: %v", queue.Errorf(queue.Unavailable, "store unavailable"), err)
	}
	return nil
}

// unavailableReplies are the error replies of a Redis that cannot serve
// now (loading its data after a restart, out of memory, unable to write
// its append-only file, …) rather than of a wrong command.
var unavailableReplies = []string{"LOADING", "BUSY", "MASTERDOWN", "MISCONF", "TRYAGAIN", "CLUSTERDOWN",
	"READONLY", "OOM", "NOREPLICAS", "ERR max number of clients"}

// fail turns a Redis client error into a domain error: Unavailable when
// Redis cannot be reached or cannot serve now, the caller's own context
// error when that ended, and an internal error for anything else (a bug).
func (s *Store) fail(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var qe *queue.Error
	if errors.As(err, &qe) {
		return err
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return ctx.Err()
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		msg := rerr.Error()
		for _, p := range unavailableReplies {
			if strings.HasPrefix(msg, p) {
				return unavailable(err)
			}
		}
		// A reply error that is not about availability is a bug: a wrong
		// command or a failing script.
		return fmt.Errorf("redis: %w", err)
	}
	// Network errors, timeouts, a closed client, an exhausted pool.
	return unavailable(err)
}

func unavailable(err error) error {
	return fmt.Errorf("%w: %v", queue.Errorf(queue.Unavailable, "the ticket store is not available"), err)
}

// Draw issues the next number of the line for the day.
func (s *Store) Draw(ctx context.Context, r queue.DrawRequest) (queue.Ticket, bool, error) {
	t := queue.Ticket{
		ID: r.ID, Line: r.Line.ID, IssuedLine: r.Line.ID, Lang: r.Lang,
		Status: queue.StatusWaiting, Day: r.Day, IssuedAt: r.Now, Token: r.Token,
	}
	ks := []string{s.k.seq(), s.k.openDays(), s.k.number(r.Day, r.Line.ID), s.k.ticket(r.ID),
		s.k.open(r.Day), s.k.waiting(r.Day, r.Line.ID), s.k.token(r.Token), s.k.dayTickets(r.Day),
		s.k.days(), s.k.events()}
	if r.IdemKey != "" {
		ks = append(ks, s.k.idem(r.IdemKey))
	}
	// The key is kept in Redis a day past the window the service honours,
	// which the script checks itself.
	keyTTL := r.Now.Sub(r.IdemSince)
	if keyTTL <= 0 {
		keyTTL = queue.IdempotencyTTL
	}
	replayOnly := "0"
	if r.ReplayOnly {
		replayOnly = "1"
	}
	args := append([]any{
		s.k.base, s.maxEvents, r.Day, r.Now.UnixMilli(), r.IdemHash, r.IdemSince.UnixMilli(),
		(keyTTL + 24*time.Hour).Milliseconds(), numberTTL.Milliseconds(), replayOnly,
		string(queue.EventIssued), r.ID, r.Token,
	}, newFields(t, r.Line.Prefix)...)
	for range maxConflicts {
		res, err := drawScript.Run(ctx, s.rdb, ks, args...).Slice()
		if err != nil {
			return queue.Ticket{}, false, s.fail(ctx, err)
		}
		switch res[0] {
		case "stale":
			if _, err := s.update(ctx, r.Day, r.Now, nil); err != nil {
				return queue.Ticket{}, false, err
			}
			continue
		case "mismatch":
			return queue.Ticket{}, false, queue.Errorf(queue.IdempotencyMismatch, "this Idempotency-Key was used for a different request")
		case "unknown":
			return queue.Ticket{}, false, queue.Errorf(queue.NotFound, "no draw with this Idempotency-Key")
		case "replay":
			f, err := fieldMap(res[1])
			if err != nil {
				return queue.Ticket{}, false, err
			}
			old, err := decodeTicket(f)
			if err != nil {
				return queue.Ticket{}, false, err
			}
			return withAhead(old, res[2]), true, nil
		case "ok":
			num, _ := res[1].(int64)
			t.Number = queue.FormatNumber(r.Line.Prefix, int(num))
			t.Place, _ = res[2].(int64)
			s.wrote(t.Place) // a new ticket's place is its event's seq
			return withAhead(t, res[3]), false, nil
		}
		return queue.Ticket{}, false, fmt.Errorf("draw script answered %v", res[0])
	}
	return queue.Ticket{}, false, queue.Errorf(queue.Unavailable, "the ticket store is too busy")
}

// change is one decided ticket change: its new state and its event.
type change struct {
	t   queue.Ticket
	typ queue.EventType
	at  time.Time
}

// decideFunc reads what a change rests on through tx (WATCHing it first)
// and decides the changes. expired holds the open tickets of earlier days
// that update expires in the same transaction, by id, already expired.
type decideFunc func(tx *redis.Tx, expired map[string]queue.Ticket) ([]change, error)

// update runs one optimistic transaction: it WATCHes and reads the open
// tickets of days before day, expires them, lets decide (when not nil) add
// its changes, and commits all of them with their events in MULTI/EXEC.
// When another client changed a watched key, EXEC aborts and update starts
// over. It returns the ahead of each committed change (-1 when the ticket
// does not wait). A domain error from decide commits nothing.
func (s *Store) update(ctx context.Context, day string, now time.Time, decide decideFunc) ([]int64, error) {
	for attempt := range maxConflicts {
		var aheads []int64
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			expired, dropDays, err := s.readStale(ctx, tx, day)
			if err != nil {
				return err
			}
			var changes []change
			for _, t := range expired {
				changes = append(changes, change{t: queue.Expire(t, now), typ: queue.EventExpired, at: now})
			}
			byID := make(map[string]queue.Ticket, len(changes))
			for _, c := range changes {
				byID[c.t.ID] = c.t
			}
			if decide != nil {
				more, err := decide(tx, byID)
				var qe *queue.Error
				if errors.As(err, &qe) {
					// A refusal (a conflict, a missing ticket) may rest on
					// reads that another client has made stale meanwhile.
					if cerr := s.confirm(ctx, tx); cerr != nil {
						return cerr
					}
					return err
				}
				if err != nil {
					return err
				}
				changes = append(changes, more...)
			}
			if len(changes) == 0 && len(dropDays) == 0 {
				return s.confirm(ctx, tx)
			}
			args := []any{s.k.base, s.maxEvents, len(changes)}
			for _, c := range changes {
				f := changedFields(c.t)
				args = append(args, c.t.ID, string(c.typ), c.at.UnixMilli(), len(f)/2)
				args = append(args, f...)
			}
			for _, d := range dropDays {
				args = append(args, d)
			}
			var res *redis.Cmd
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				// EVAL, not EVALSHA: inside MULTI a NOSCRIPT (after a Redis
				// restart) would fail the transaction instead of falling back.
				res = commitScript.Eval(ctx, p, []string{s.k.seq(), s.k.openDays()}, args...)
				return nil
			})
			if err != nil {
				return err
			}
			out, err := res.Int64Slice()
			if err != nil || len(out) == 0 {
				return err
			}
			// The script answers the aheads, then the seq of its last
			// event (0 when it wrote none).
			aheads = out[:len(out)-1]
			s.wrote(out[len(out)-1])
			return nil
		}, s.k.openDays())
		if errors.Is(err, redis.TxFailedErr) {
			// Someone else changed what we read: decide again, after a
			// short random pause so that desks pressing at once spread out.
			time.Sleep(time.Duration(rand.Int64N(int64(time.Millisecond) * int64(min(attempt+1, 10)))))
			continue
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		return aheads, nil
	}
	return nil, queue.Errorf(queue.Unavailable, "the ticket store is too busy")
}

// confirm runs an EXEC that changes nothing: it fails with TxFailedErr
// when a key read under WATCH has changed since, so that update decides
// again instead of answering from a stale read.
func (s *Store) confirm(ctx context.Context, tx *redis.Tx) error {
	_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Exists(ctx, s.k.seq())
		return nil
	})
	return err
}

// readStale WATCHes and reads the open tickets of days before day. It
// returns them by place and the days they belong to; those days hold no
// open ticket once the tickets are expired.
func (s *Store) readStale(ctx context.Context, tx *redis.Tx, day string) ([]queue.Ticket, []string, error) {
	days, err := tx.ZRangeByLex(ctx, s.k.openDays(), &redis.ZRangeBy{Min: "-", Max: "(" + day}).Result()
	if err != nil || len(days) == 0 {
		return nil, nil, err
	}
	sets := make([]string, len(days))
	for i, d := range days {
		sets[i] = s.k.open(d)
	}
	if err := tx.Watch(ctx, sets...).Err(); err != nil {
		return nil, nil, err
	}
	cmds := make([]*redis.StringSliceCmd, len(sets))
	if _, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, set := range sets {
			cmds[i] = p.ZRange(ctx, set, 0, -1)
		}
		return nil
	}); err != nil {
		return nil, nil, err
	}
	var ids []string
	for _, c := range cmds {
		ids = append(ids, c.Val()...)
	}
	ts, err := s.watchTickets(ctx, tx, ids...)
	if err != nil {
		return nil, nil, err
	}
	out := make([]queue.Ticket, 0, len(ts))
	for _, t := range ts {
		if t != nil {
			out = append(out, *t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Place < out[j].Place })
	return out, days, nil
}

// watchTickets WATCHes the tickets with ids and reads them; a missing one
// is nil.
func (s *Store) watchTickets(ctx context.Context, tx *redis.Tx, ids ...string) ([]*queue.Ticket, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	tkeys := make([]string, len(ids))
	for i, id := range ids {
		tkeys[i] = s.k.ticket(id)
	}
	if err := tx.Watch(ctx, tkeys...).Err(); err != nil {
		return nil, err
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	if _, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range tkeys {
			cmds[i] = p.HGetAll(ctx, k)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]*queue.Ticket, len(ids))
	for i, c := range cmds {
		if len(c.Val()) == 0 {
			continue
		}
		t, err := decodeTicket(c.Val())
		if err != nil {
			return nil, err
		}
		out[i] = &t
	}
	return out, nil
}

// Next calls the oldest waiting ticket of the desk's lines.
func (s *Store) Next(ctx context.Context, r queue.NextRequest) (queue.Ticket, error) {
	var called queue.Ticket
	var empty bool
	_, err := s.update(ctx, r.Day, r.Now, func(tx *redis.Tx, _ map[string]queue.Ticket) ([]change, error) {
		called, empty = queue.Ticket{}, false
		deskKey := s.k.called(r.Day, r.Desk)
		watch := []string{deskKey}
		for _, l := range r.Lines {
			watch = append(watch, s.k.waiting(r.Day, l))
		}
		if err := tx.Watch(ctx, watch...).Err(); err != nil {
			return nil, err
		}
		heads := make([]*redis.ZSliceCmd, len(watch))
		if _, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range watch {
				heads[i] = p.ZRangeWithScores(ctx, k, 0, 0)
			}
			return nil
		}); err != nil {
			return nil, err
		}
		// heads[0] is the desk's current call; the others the lines'
		// oldest waiting tickets, of which the lowest place is next.
		var curID, nextID string
		if z := heads[0].Val(); len(z) > 0 {
			curID, _ = z[0].Member.(string)
		}
		best := 0.0
		for _, h := range heads[1:] {
			if z := h.Val(); len(z) > 0 && (nextID == "" || z[0].Score < best) {
				nextID, _ = z[0].Member.(string)
				best = z[0].Score
			}
		}
		var ids []string
		for _, id := range []string{curID, nextID} {
			if id != "" {
				ids = append(ids, id)
			}
		}
		ts, err := s.watchTickets(ctx, tx, ids...)
		if err != nil {
			return nil, err
		}
		var cur, next *queue.Ticket
		for _, t := range ts {
			switch {
			case t == nil:
				return nil, fmt.Errorf("index of %s refers to a missing ticket", r.Day)
			case t.ID == curID:
				cur = t
			default:
				next = t
			}
		}
		var changes []change
		if cur != nil {
			done, typ, err := queue.Apply(*cur, queue.ActDone, "", r.Now)
			if err != nil {
				return nil, err
			}
			changes = append(changes, change{t: done, typ: typ, at: r.Now})
		}
		if next == nil {
			empty = true
			return changes, nil
		}
		called, err = queue.CallTicket(*next, r.Desk, r.Now)
		if err != nil {
			return nil, err
		}
		return append(changes, change{t: called, typ: queue.EventCalled, at: r.Now}), nil
	})
	if err != nil {
		return queue.Ticket{}, err
	}
	if empty {
		return queue.Ticket{}, queue.Errorf(queue.Empty, "nobody is waiting in %s", strings.Join(r.Lines, ", "))
	}
	return called, nil
}

// change1 runs a change of the one ticket id: decide gets its current state
// (expired first when it was open on an earlier day) and returns the new
// state and event type. It returns the new state with Ahead.
func (s *Store) change1(ctx context.Context, id, day string, now time.Time, expire bool,
	decide func(queue.Ticket) (queue.Ticket, queue.EventType, error)) (queue.Ticket, error) {
	var t queue.Ticket
	fn := func(tx *redis.Tx, expired map[string]queue.Ticket) ([]change, error) {
		cur, ok := expired[id]
		if !ok {
			ts, err := s.watchTickets(ctx, tx, id)
			if err != nil {
				return nil, err
			}
			if ts[0] == nil {
				return nil, queue.Errorf(queue.NotFound, "no ticket %q", id)
			}
			cur = *ts[0]
		}
		next, typ, err := decide(cur)
		if err != nil {
			return nil, err
		}
		t = next
		return []change{{t: next, typ: typ, at: now}}, nil
	}
	if !expire {
		// An empty day sorts before every day: nothing counts as stale.
		day = ""
	}
	aheads, err := s.update(ctx, day, now, fn)
	if err != nil {
		return queue.Ticket{}, err
	}
	t.Ahead = nil
	if len(aheads) > 0 {
		t = withAhead(t, aheads[len(aheads)-1])
	}
	return t, nil
}

// Act applies an action to one ticket.
func (s *Store) Act(ctx context.Context, r queue.ActRequest) (queue.Ticket, error) {
	return s.actFull(ctx, r)
}

// SetPrint records the outcome of a ticket's slip. It expires nothing.
func (s *Store) SetPrint(ctx context.Context, r queue.PrintRequest) (queue.Ticket, error) {
	return s.change1(ctx, r.ID, r.Day, r.Now, false, func(cur queue.Ticket) (queue.Ticket, queue.EventType, error) {
		return queue.SetPrint(cur, r.State, r.Reason)
	})
}

// SetDesk stores a desk's state under the day's desks key and records
// desk.updated, in one script. Like SetPrint it expires nothing: it
// changes no ticket.
func (s *Store) SetDesk(ctx context.Context, r queue.DeskRequest) (queue.DeskState, error) {
	b, err := json.Marshal(r.State)
	if err != nil {
		return queue.DeskState{}, err
	}
	seq, err := deskScript.Run(ctx, s.rdb, []string{s.k.seq(), s.k.desks(r.Day)},
		s.k.base, s.maxEvents, r.State.Label, b, r.Now.UnixMilli(), numberTTL.Milliseconds(),
		string(queue.EventDeskUpdated), r.Day).Int64()
	if err != nil {
		return queue.DeskState{}, s.fail(ctx, err)
	}
	s.wrote(seq)
	return r.State, nil
}

// Ticket returns one ticket with Ahead when it waits.
func (s *Store) Ticket(ctx context.Context, id string) (queue.Ticket, error) {
	res, err := ticketScript.Run(ctx, s.rdb, []string{s.k.ticket(id)}, s.k.base).Slice()
	if err != nil {
		return queue.Ticket{}, s.fail(ctx, err)
	}
	if len(res) < 2 {
		return queue.Ticket{}, queue.Errorf(queue.NotFound, "no ticket %q", id)
	}
	f, err := fieldMap(res[0])
	if err != nil {
		return queue.Ticket{}, err
	}
	t, err := decodeTicket(f)
	if err != nil {
		return queue.Ticket{}, err
	}
	return withAhead(t, res[1]), nil
}

// Snapshot returns the day's open tickets and recent calls as of one seq,
// read in one script, so nothing changes between the parts.
func (s *Store) Snapshot(ctx context.Context, day string) (queue.Snapshot, error) {
	snap := queue.Snapshot{Tickets: []queue.Ticket{}, Recent: []queue.Call{}, Desks: []queue.DeskState{}}
	res, err := snapshotScript.Run(ctx, s.rdb, []string{s.k.seq(), s.k.open(day), s.k.calls(day), s.k.desks(day), s.k.served(day)},
		s.k.base, recentCallsRead, servedRead).Slice()
	if err != nil {
		return snap, s.fail(ctx, err)
	}
	if len(res) != 5 {
		return snap, fmt.Errorf("snapshot script answered %d parts", len(res))
	}
	seq, _ := res[0].(string)
	if snap.Seq, err = strconv.ParseInt(seq, 10, 64); err != nil {
		return snap, fmt.Errorf("seq %q: %w", seq, err)
	}
	s.known.raise(snap.Seq)
	open, _ := res[1].([]any)
	for _, v := range open {
		f, err := fieldMap(v)
		if err != nil {
			return snap, err
		}
		t, err := decodeTicket(f)
		if err != nil {
			return snap, err
		}
		snap.Tickets = append(snap.Tickets, t)
	}
	desks, _ := res[3].([]any)
	for _, v := range desks {
		b, _ := v.(string)
		var d queue.DeskState
		if err := json.Unmarshal([]byte(b), &d); err != nil {
			return snap, fmt.Errorf("desk state %q: %w", b, err)
		}
		if d.Open {
			snap.Desks = append(snap.Desks, d)
		}
	}
	sort.Slice(snap.Desks, func(i, j int) bool { return snap.Desks[i].Label < snap.Desks[j].Label })
	// Hand-set line modes change rarely and carry their own event; read
	// beside the script.
	if snap.LineModes, err = s.LineModes(ctx, day); err != nil {
		return snap, err
	}
	type call struct {
		queue.Call
		place int64
	}
	var calls []call
	list, _ := res[2].([]any)
	for _, v := range list {
		// line, prefix, num, desk, called_at, place
		f, _ := v.([]any)
		str := make([]string, 6)
		for i := range min(len(f), 6) {
			str[i], _ = f[i].(string)
		}
		num, err1 := strconv.Atoi(str[2])
		at, err2 := strconv.ParseInt(str[4], 10, 64)
		place, err3 := strconv.ParseInt(str[5], 10, 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return snap, fmt.Errorf("recent call %v: %w", f, err)
		}
		calls = append(calls, call{Call: queue.Call{
			Number: queue.FormatNumber(str[1], num), Desk: str[3], At: time.UnixMilli(at).UTC(), Line: str[0],
		}, place: place})
	}
	sort.SliceStable(calls, func(i, j int) bool {
		if !calls[i].At.Equal(calls[j].At) {
			return calls[i].At.After(calls[j].At)
		}
		return calls[i].place > calls[j].place
	})
	perLine := map[string]int{}
	for _, c := range calls {
		if perLine[c.Line] >= queue.RecentCalls {
			continue
		}
		perLine[c.Line]++
		snap.Recent = append(snap.Recent, c.Call)
	}
	if snap.Served, err = decodeServed(res[4]); err != nil {
		return snap, err
	}
	return snap, nil
}

// servedRead is how many of a day's latest consultations a snapshot reads,
// of which it keeps queue.ServedPerLine per line (as the SQLite store).
const servedRead = 200

// decodeServed turns the snapshot script's consultations, newest first,
// into Snapshot.Served: oldest first, at most queue.ServedPerLine per line.
func decodeServed(v any) ([]queue.Served, error) {
	list, _ := v.([]any)
	out := []queue.Served{}
	perLine := map[string]int{}
	for _, x := range list {
		f, _ := x.([]any)
		str := make([]string, 3)
		for i := range min(len(f), 3) {
			str[i], _ = f[i].(string)
		}
		if str[0] == "" {
			continue // retired with its day meanwhile
		}
		called, err1 := strconv.ParseInt(str[1], 10, 64)
		finished, err2 := strconv.ParseInt(str[2], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("served consultation %v: %w", f, err)
		}
		if perLine[str[0]] >= queue.ServedPerLine {
			continue
		}
		perLine[str[0]]++
		out = append(out, queue.Served{Line: str[0], CalledAt: time.UnixMilli(called).UTC(), FinishedAt: time.UnixMilli(finished).UTC()})
	}
	slices.Reverse(out)
	return out, nil
}
