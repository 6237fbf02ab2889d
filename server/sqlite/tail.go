package sqlite

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"wartemarke/server/queue"
)

// The tail of the event log.
//
// The hub reads the log after every commit; on SQLite that was a read
// transaction and two queries per commit, a large share of a draw's cost.
// The writer knows the events it has just committed, so it keeps the newest
// of them in memory, as they were written, and EventsAfter answers from
// there when it can. The tail holds consecutive seqs only: when the log
// grew beside it (an admin command in another process) it starts over, and
// everything it does not hold is read from the file as before.

// tailMax bounds the events kept: a display that fell further behind reads
// the file.
const tailMax = 4096

// tailEvent is an event as stored: its payload is the JSON the events
// table holds, decoded by the same code whichever way it is read.
type tailEvent struct {
	seq     int64
	typ     queue.EventType
	at      int64 // unix milliseconds
	payload []byte
}

type tail struct {
	mu  sync.Mutex
	evs []tailEvent
}

// add appends the events of a committed transaction.
func (t *tail) add(evs []tailEvent) {
	if len(evs) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := len(t.evs); n > 0 && t.evs[n-1].seq+1 != evs[0].seq {
		t.evs = t.evs[:0] // a gap: events written beside this process
	}
	t.evs = append(t.evs, evs...)
	if len(t.evs) > 2*tailMax {
		t.evs = append(t.evs[:0:0], t.evs[len(t.evs)-tailMax:]...)
	}
}

// reset forgets every event kept.
func (t *tail) reset() {
	t.mu.Lock()
	t.evs = nil
	t.mu.Unlock()
}

// after returns up to limit events with seq > after, and whether the tail
// could tell: it must hold the event after `after`.
func (t *tail) after(after int64, limit int) ([]queue.Event, bool, error) {
	t.mu.Lock()
	if len(t.evs) == 0 || after+1 < t.evs[0].seq || after >= t.evs[len(t.evs)-1].seq {
		t.mu.Unlock()
		return nil, false, nil
	}
	from := t.evs[after+1-t.evs[0].seq:]
	part := from[:min(limit, len(from))]
	// The entries are never changed once added; only the slice is cut.
	t.mu.Unlock()
	out := make([]queue.Event, 0, len(part))
	for _, e := range part {
		ev, err := decodeEvent(e.seq, e.typ, e.at, e.payload)
		if err != nil {
			return nil, true, err
		}
		out = append(out, ev)
	}
	return out, true, nil
}

// decodeEvent builds an event from its stored columns. The payload holds
// the event's subject: a desk for desk.updated, a line's mode for
// line.updated, a ticket for every other type.
func decodeEvent(seq int64, typ queue.EventType, at int64, b []byte) (queue.Event, error) {
	ev := queue.Event{Seq: seq, Type: typ, At: time.UnixMilli(at).UTC()}
	var err error
	switch ev.Type {
	case queue.EventDeskUpdated:
		ev.Desk = &queue.DeskState{}
		err = json.Unmarshal(b, ev.Desk)
	case queue.EventLineUpdated:
		ev.LineMode = &queue.LineMode{}
		err = json.Unmarshal(b, ev.LineMode)
	default:
		err = json.Unmarshal(b, &ev.Ticket)
	}
	if err != nil {
		return queue.Event{}, fmt.Errorf("event %d: %w", ev.Seq, err)
	}
	return ev, nil
}
