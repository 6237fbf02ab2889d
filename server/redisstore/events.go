package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"wartemarke/server/queue"
)

// streamSeq reads the seq out of a stream entry ID "<seq>-0".
func streamSeq(id string) (int64, error) {
	ms, _, _ := strings.Cut(id, "-")
	return strconv.ParseInt(ms, 10, 64)
}

// decodeEvent reads one stream entry.
func decodeEvent(m redis.XMessage) (queue.Event, error) {
	seq, err := streamSeq(m.ID)
	if err != nil {
		return queue.Event{}, fmt.Errorf("event ID %q: %w", m.ID, err)
	}
	f := make(map[string]string, len(m.Values))
	for k, v := range m.Values {
		s, ok := v.(string)
		if !ok {
			return queue.Event{}, fmt.Errorf("event %d: field %s is %T", seq, k, v)
		}
		f[k] = s
	}
	at, err := strconv.ParseInt(f["at"], 10, 64)
	if err != nil {
		return queue.Event{}, fmt.Errorf("event %d: at=%q: %w", seq, f["at"], err)
	}
	typ := queue.EventType(f["type"])
	if typ == queue.EventLineUpdated {
		// Written by the desk script too: the JSON is in the desk field.
		var m queue.LineMode
		if err := json.Unmarshal([]byte(f["desk"]), &m); err != nil {
			return queue.Event{}, fmt.Errorf("event %d: line mode: %w", seq, err)
		}
		return queue.Event{Seq: seq, Type: typ, At: time.UnixMilli(at).UTC(), LineMode: &m}, nil
	}
	if typ == queue.EventDeskUpdated {
		// A desk event carries the desk's state as JSON, and no ticket.
		var d queue.DeskState
		if err := json.Unmarshal([]byte(f["desk"]), &d); err != nil {
			return queue.Event{}, fmt.Errorf("event %d: desk: %w", seq, err)
		}
		return queue.Event{Seq: seq, Type: typ, At: time.UnixMilli(at).UTC(), Desk: &d}, nil
	}
	delete(f, "type")
	delete(f, "at")
	t, err := decodeTicket(f)
	if err != nil {
		return queue.Event{}, fmt.Errorf("event %d: %w", seq, err)
	}
	return queue.Event{Seq: seq, Type: typ, At: time.UnixMilli(at).UTC(), Ticket: t}, nil
}

// EventsAfter returns up to limit events with seq > after. It fails with
// Gone when the stream was trimmed past after.
//
// It reads the page with one XRANGE that starts at after's own entry:
// when the page starts with after or after+1, nothing after `after` was
// trimmed, which is the common case (a hub or a display reading on from
// its last event). Otherwise it reads again with the seq and the oldest
// entry, to tell a trimmed stream from one that simply ends.
func (s *Store) EventsAfter(ctx context.Context, after int64, limit int) ([]queue.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	if after >= 0 {
		msgs, err := s.rdb.XRangeN(ctx, s.k.events(), strconv.FormatInt(after, 10)+"-0", "+", int64(limit)+1).Result()
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		if len(msgs) > 0 {
			first, err := streamSeq(msgs[0].ID)
			if err != nil {
				return nil, fmt.Errorf("event ID %q: %w", msgs[0].ID, err)
			}
			if first == after {
				msgs = msgs[1:]
			}
			if first == after || first == after+1 {
				return s.decodePage(after, msgs[:min(len(msgs), limit)], limit)
			}
		}
	}
	var last *redis.StringCmd
	var first, page *redis.XMessageSliceCmd
	// MULTI/EXEC: the seq, the oldest kept entry and the page are one view.
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		last = p.Get(ctx, s.k.seq())
		first = p.XRangeN(ctx, s.k.events(), "-", "+", 1)
		page = p.XRangeN(ctx, s.k.events(), strconv.FormatInt(max(after+1, 0), 10)+"-0", "+", int64(limit))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, s.fail(ctx, err)
	}
	lastSeq, err := seqOf(last)
	if err == nil {
		err = errors.Join(first.Err(), page.Err())
	}
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if after < lastSeq {
		oldest := int64(0)
		if msgs := first.Val(); len(msgs) > 0 {
			if oldest, err = streamSeq(msgs[0].ID); err != nil {
				return nil, err
			}
		}
		if oldest == 0 || after+1 < oldest {
			return nil, queue.Errorf(queue.Gone, "events after %d are no longer kept", after)
		}
	}
	return s.decodePage(after, page.Val(), limit)
}

// decodePage decodes the events read after `after` with the given limit.
// A short page reached the end of the stream: the store's own newer
// events (written) were then all read, or lost.
func (s *Store) decodePage(after int64, msgs []redis.XMessage, limit int) ([]queue.Event, error) {
	out := make([]queue.Event, 0, len(msgs))
	for _, m := range msgs {
		ev, err := decodeEvent(m)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	if len(out) < limit {
		end := after
		if len(out) > 0 {
			end = out[len(out)-1].Seq
		}
		s.written.lower(end)
	}
	return out, nil
}

// seqOf reads the seq counter from a GET; a missing counter is 0.
func seqOf(c *redis.StringCmd) (int64, error) {
	v, err := c.Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

// LastSeq returns the seq of the newest event.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	seq, err := seqOf(s.rdb.Get(ctx, s.k.seq()))
	if err != nil {
		return 0, s.fail(ctx, err)
	}
	return seq, nil
}

// WaitEvents returns when an event after `after` exists or ctx ends. When
// this store wrote such an event itself (see written), it returns at once
// without asking Redis: the hub reads on after each of this instance's
// draws. Otherwise it blocks in XREAD on the stream, so an event added by
// any instance wakes it at once; each XREAD blocks at most waitBlock,
// after which it looks at ctx again.
func (s *Store) WaitEvents(ctx context.Context, after int64) error {
	from := strconv.FormatInt(max(after, 0), 10) + "-0"
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.written.load() > after {
			return nil
		}
		block := waitBlock
		dl, hasDeadline := ctx.Deadline()
		if hasDeadline {
			left := time.Until(dl)
			if left < time.Millisecond {
				<-ctx.Done()
				return ctx.Err()
			}
			block = min(block, left)
		}
		res, err := s.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{s.k.events(), from}, Count: 1, Block: block}).Result()
		switch {
		case err == nil && len(res) > 0 && len(res[0].Messages) > 0:
			return nil
		case err == nil || errors.Is(err, redis.Nil):
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case hasDeadline && time.Until(dl) < 10*time.Millisecond:
			// Redis ends a block only on its own clock tick (up to
			// 1/hz late), so the read may hit ctx's deadline first.
			<-ctx.Done()
			return ctx.Err()
		default:
			return s.fail(ctx, err)
		}
	}
}

// newestWritten is the seq of the newest event this store has written
// that a read of the log may not have reached yet: WaitEvents returns at
// once while it is above the caller's position. It only ever errs high
// when Redis lost writes (a restart without appendfsync always), and a
// read that reaches the end of the stream lowers it to what it found, so
// such a mistake costs one early return. It starts at 0, where WaitEvents
// asks Redis.
type newestWritten struct{ v atomic.Int64 }

func (w *newestWritten) load() int64 { return w.v.Load() }

// raise records that the event seq was written.
func (w *newestWritten) raise(seq int64) {
	for {
		cur := w.v.Load()
		if seq <= cur || w.v.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// lower records that the log ends at seq as far as a read saw: any event
// written later raises it again.
func (w *newestWritten) lower(seq int64) {
	for {
		cur := w.v.Load()
		if seq >= cur || w.v.CompareAndSwap(cur, seq) {
			return
		}
	}
}
