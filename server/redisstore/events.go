package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
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
// It reads the page with one XRANGE from just after after's entry: when
// the page starts with after+1, nothing after `after` was trimmed, which
// is the common case (a hub or a display reading on from its last event).
// Otherwise (an empty page, or one that starts later) it reads again with
// the seq and the oldest entry, to tell a trimmed stream from one that
// ends or has a hole.
func (s *Store) EventsAfter(ctx context.Context, after int64, limit int) ([]queue.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	if msgs := s.wake.take(after, limit, s.known.load()); msgs != nil {
		return s.decodePage(after, msgs, limit)
	}
	if after >= 0 {
		msgs, err := s.rdb.XRangeN(ctx, s.k.events(), "("+strconv.FormatInt(after, 10)+"-0", "+", int64(limit)).Result()
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		if len(msgs) > 0 {
			first, err := streamSeq(msgs[0].ID)
			if err != nil {
				return nil, fmt.Errorf("event ID %q: %w", msgs[0].ID, err)
			}
			if first == after+1 {
				return s.decodePage(after, msgs, limit)
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
	s.known.raise(lastSeq)
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
	if len(out) > 0 {
		s.known.raise(out[len(out)-1].Seq)
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
	s.known.raise(seq)
	return seq, nil
}

// WaitEvents returns when an event after `after` exists or ctx ends. When
// this store wrote such an event itself (see written), it returns at once
// without asking Redis: the hub reads on after each of this instance's
// draws. Otherwise it blocks in XREAD on the stream, so an event added by
// any instance wakes it at once; each XREAD blocks at most waitBlock,
// after which it looks at ctx again. The entries the XREAD returned are
// kept for the EventsAfter that follows (see wake).
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
		res, err := s.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{s.k.events(), from}, Count: wakeCount, Block: block}).Result()
		switch {
		case err == nil && len(res) > 0 && len(res[0].Messages) > 0:
			s.woke(after, res[0].Messages)
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

// woke keeps the entries an XREAD after `after` returned, when they start
// at after+1, and notes their seqs as known.
func (s *Store) woke(after int64, msgs []redis.XMessage) {
	first, err1 := streamSeq(msgs[0].ID)
	last, err2 := streamSeq(msgs[len(msgs)-1].ID)
	if err1 != nil || err2 != nil {
		return
	}
	s.known.raise(last)
	if after >= 0 && first == after+1 {
		s.wake.put(after, msgs, last)
	}
}

// wakeCount is how many entries one XREAD of WaitEvents returns at most:
// enough for a hub woken by a few draws, few for a phone's long poll,
// which only needs to know that something happened.
const wakeCount = 16

// wakeFresh is how long the entries of a wake serve EventsAfter.
const wakeFresh = time.Second

// wake holds the entries the latest XREAD of WaitEvents returned, so that
// the EventsAfter a hub makes next answers from them instead of reading
// them again (an XRANGE seeks through a stream node: as costly in Redis as
// the XREAD, and a second round trip).
//
// The entries are the log as of the XREAD, and EventsAfter may serve them
// only while that is all the log the process can know of: the log must not
// have been seen (read or written through this store) beyond them, and the
// XREAD must have returned fewer than wakeCount (else the log may go on)
// or at least the limit asked for. So a reader that learned of an event
// through this store (a hub that broadcast up to L, then reads a display's
// backlog up to L) always gets it. Each EventsAfter takes the wake or drops
// it, and an old one is not used: entries stay immutable, but a Redis that
// lost writes could give a seq to another event.
type wake struct {
	mu    sync.Mutex
	after int64
	msgs  []redis.XMessage
	last  int64
	at    time.Time
}

func (w *wake) put(after int64, msgs []redis.XMessage, last int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.after, w.msgs, w.last, w.at = after, msgs, last, time.Now()
}

// take returns the kept entries for EventsAfter(after, limit) when they
// may serve it (see wake), given the newest seq known; nil otherwise. It
// drops what it holds either way.
func (w *wake) take(after int64, limit int, known int64) []redis.XMessage {
	w.mu.Lock()
	msgs, ok := w.msgs, w.after == after && w.last >= known && time.Since(w.at) < wakeFresh
	w.msgs = nil
	w.mu.Unlock()
	switch {
	case !ok || len(msgs) == 0:
		return nil
	case len(msgs) >= limit:
		return msgs[:limit]
	case len(msgs) < wakeCount:
		return msgs
	}
	return nil
}

// seqMark is a seq that goes up as events are written or seen; written
// can also be lowered.
type seqMark struct{ v atomic.Int64 }

func (w *seqMark) load() int64 { return w.v.Load() }

// raise records that the event seq was written or seen.
func (w *seqMark) raise(seq int64) {
	for {
		cur := w.v.Load()
		if seq <= cur || w.v.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// lower records that the log ends at seq as far as a read saw: any event
// written later raises it again.
func (w *seqMark) lower(seq int64) {
	for {
		cur := w.v.Load()
		if seq >= cur || w.v.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// wrote notes that this store added the event seq.
func (s *Store) wrote(seq int64) {
	s.written.raise(seq)
	s.known.raise(seq)
}
