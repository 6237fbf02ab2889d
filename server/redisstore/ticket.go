package redisstore

import (
	"fmt"
	"strconv"
	"time"

	"wartemarke/server/queue"
)

// A ticket is stored as a hash of strings, and each event carries the same
// fields (less the token), so one decoder reads both. Times are Unix
// milliseconds, "" for none; an absent field reads as "". The number is
// kept as the line's prefix and the count, and formatted by
// queue.FormatNumber when read.

// newFields are the hash fields of a ticket about to be drawn but its
// token, which the draw script keys, and num and place, which it takes.
// Fields that hold "" are left out (desk, called_at, print, … of a new
// ticket), as an absent field reads as "": a draw writes each field twice
// (the hash and the event), and a change writes them all.
func newFields(t queue.Ticket, prefix string) []any {
	all := append([]any{
		"id", t.ID, "day", t.Day, "issued_line", t.IssuedLine, "prefix", prefix,
		"lang", t.Lang, "issued_at", t.IssuedAt.UnixMilli(),
	}, changedFields(t)...)
	f := all[:0]
	for i := 0; i < len(all); i += 2 {
		if v, ok := all[i+1].(string); ok && v == "" {
			continue
		}
		f = append(f, all[i], all[i+1])
	}
	return f
}

// changedFields are the hash fields that change over a ticket's life.
func changedFields(t queue.Ticket) []any {
	f := []any{
		"line", t.Line, "status", string(t.Status), "desk", t.Desk,
		"recalls", t.Recalls, "transfers", t.Transfers,
		"called_at", millis(t.CalledAt), "finished_at", millis(t.FinishedAt),
		"print", string(t.Print), "print_error", t.PrintError, "call_reason", t.CallReason,
	}
	// A drawn ticket gets its place from the draw script; a ticket put
	// back at the end of its line moves to a new one.
	if t.Place > 0 {
		f = append(f, "place", t.Place)
	}
	return f
}

func millis(t *time.Time) string {
	if t == nil {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// decodeTicket reads a ticket from its hash fields or an event's fields.
func decodeTicket(f map[string]string) (queue.Ticket, error) {
	t := queue.Ticket{
		ID: f["id"], Day: f["day"], Line: f["line"], IssuedLine: f["issued_line"], Lang: f["lang"],
		Status: queue.Status(f["status"]), Desk: f["desk"], Token: f["token"],
		Print: queue.PrintState(f["print"]), PrintError: f["print_error"],
	}
	if t.ID == "" {
		return t, fmt.Errorf("ticket without an id")
	}
	var err error
	num := func(name string) int64 {
		n, e := strconv.ParseInt(f[name], 10, 64)
		if e != nil && err == nil {
			err = fmt.Errorf("ticket %s: field %s=%q: %v", t.ID, name, f[name], e)
		}
		return n
	}
	tm := func(name string) *time.Time {
		if f[name] == "" {
			return nil
		}
		v := time.UnixMilli(num(name)).UTC()
		return &v
	}
	t.Number = queue.FormatNumber(f["prefix"], int(num("num")))
	t.Place = num("place")
	t.CallReason = f["call_reason"]
	t.Recalls = int(num("recalls"))
	t.Transfers = int(num("transfers"))
	t.IssuedAt = time.UnixMilli(num("issued_at")).UTC()
	t.CalledAt = tm("called_at")
	t.FinishedAt = tm("finished_at")
	return t, err
}

// fieldMap turns a flat [name, value, …] reply (HGETALL in a script) into
// a map.
func fieldMap(v any) (map[string]string, error) {
	list, ok := v.([]any)
	if !ok || len(list)%2 != 0 {
		return nil, fmt.Errorf("unexpected field list %T", v)
	}
	m := make(map[string]string, len(list)/2)
	for i := 0; i < len(list); i += 2 {
		k, ok1 := list[i].(string)
		val, ok2 := list[i+1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("unexpected field %v=%v", list[i], list[i+1])
		}
		m[k] = val
	}
	return m, nil
}

// withAhead sets t.Ahead from a script's answer, where -1 means that the
// ticket does not wait.
func withAhead(t queue.Ticket, ahead any) queue.Ticket {
	if n, ok := ahead.(int64); ok && n >= 0 {
		a := int(n)
		t.Ahead = &a
	}
	return t
}
