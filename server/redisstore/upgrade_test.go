package redisstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"wartemarke/server/queue"
	"wartemarke/server/redisstore/redistest"
)

// The previous version's draw script (as of commit 0d9de0c), to write
// data as an instance of that version does: an office upgrades one
// instance at a time, mid-day, over the same keys.
var v1DrawScript = redis.NewScript(v1Prelude + `
local base, maxlen, day = ARGV[1], ARGV[2], ARGV[3]
if #redis.call('ZRANGEBYLEX', KEYS[2], '-', '(' .. day, 'LIMIT', 0, 1) > 0 then
  return {'stale'}
end
if KEYS[5] then
  local h = redis.call('HMGET', KEYS[5], 'hash', 'ticket', 'at')
  if h[1] and tonumber(h[3]) >= tonumber(ARGV[6]) then
    if h[1] ~= ARGV[5] then return {'mismatch'} end
    local tkey = base .. 'ticket:' .. h[2]
    return {'replay', redis.call('HGETALL', tkey), ahead(base, tkey)}
  end
end
if ARGV[9] == '1' then return {'unknown'} end
local num = redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[8])
local seq = redis.call('INCR', KEYS[1])
local f = {'HSET', KEYS[4], 'num', num, 'place', seq}
for i = 12, #ARGV do f[#f + 1] = ARGV[i] end
redis.call(unpack(f))
reindex(base, ARGV[11], {}, index_fields(KEYS[4]))
local tok = redis.call('HGET', KEYS[4], 'token')
if tok then redis.call('SET', base .. 'token:' .. tok, ARGV[11]) end
redis.call('HSET', base .. 'tickets:' .. day, ARGV[11], KEYS[5] or '')
redis.call('ZADD', base .. 'days', 0, day)
append(base, maxlen, seq, ARGV[10], ARGV[4], KEYS[4])
if KEYS[5] then
  redis.call('HSET', KEYS[5], 'hash', ARGV[5], 'ticket', ARGV[11], 'at', ARGV[4])
  redis.call('PEXPIRE', KEYS[5], ARGV[7])
end
return {'ok', num, seq, ahead(base, KEYS[4])}
`)

// v1Prelude is the previous version's prelude, which v1DrawScript uses.
const v1Prelude = `
-- index_fields reads the fields of the ticket at tkey that decide its
-- indexes; a missing ticket gives a table of false values.
local function index_fields(tkey)
  local v = redis.call('HMGET', tkey, 'status', 'day', 'line', 'desk', 'place', 'called_at', 'finished_at')
  return {status = v[1], day = v[2], line = v[3], desk = v[4], place = v[5], called_at = v[6], finished_at = v[7]}
end

-- memberships lists the sorted sets a ticket with fields t belongs to, as
-- key -> score.
local function memberships(base, t)
  local m = {}
  if not t.status then return m end
  if t.status == 'waiting' or t.status == 'called' then
    m[base .. 'open:' .. t.day] = t.place
  end
  if t.status == 'waiting' then
    m[base .. 'waiting:' .. t.day .. ':' .. t.line] = t.place
  end
  if t.status == 'called' then
    m[base .. 'called:' .. t.day .. ':' .. t.desk] = t.place
  end
  if t.called_at and t.called_at ~= '' then
    m[base .. 'calls:' .. t.day] = t.called_at
    if t.status == 'done' and t.finished_at and t.finished_at ~= '' then
      m[base .. 'served:' .. t.day] = t.finished_at
    end
  end
  return m
end

-- reindex moves ticket id from the sorted sets of its old fields to those
-- of its new ones, touching only the sets that change.
local function reindex(base, id, before, after)
  local old, new = memberships(base, before), memberships(base, after)
  for k in pairs(old) do
    if new[k] == nil then redis.call('ZREM', k, id) end
  end
  for k, score in pairs(new) do
    if old[k] ~= score then redis.call('ZADD', k, score, id) end
  end
  if after.status == 'waiting' or after.status == 'called' then
    redis.call('ZADD', base .. 'opendays', 0, after.day)
  end
end

-- append adds the event with this seq to the stream, under the ID
-- "<seq>-0", holding the ticket's fields as stored, less its token.
local function append(base, maxlen, seq, typ, at, tkey)
  local f = redis.call('HGETALL', tkey)
  local args = {'XADD', base .. 'events', 'MAXLEN', '~', maxlen, seq .. '-0', 'type', typ, 'at', at}
  for i = 1, #f, 2 do
    if f[i] ~= 'token' then
      args[#args + 1] = f[i]
      args[#args + 1] = f[i + 1]
    end
  end
  redis.call(unpack(args))
end

-- ahead counts the tickets waiting before the ticket at tkey in its line,
-- or gives -1 when it does not wait.
local function ahead(base, tkey)
  local t = index_fields(tkey)
  if t.status ~= 'waiting' then return -1 end
  return redis.call('ZCOUNT', base .. 'waiting:' .. t.day .. ':' .. t.line, '-inf', '(' .. t.place)
end
`

// v1Draw draws r on s's site as the previous version did; it answers the
// script's reply.
func v1Draw(ctx context.Context, s *Store, r queue.DrawRequest) ([]any, error) {
	t := queue.Ticket{
		ID: r.ID, Line: r.Line.ID, IssuedLine: r.Line.ID, Lang: r.Lang,
		Status: queue.StatusWaiting, Day: r.Day, IssuedAt: r.Now, Token: r.Token,
	}
	ks := []string{s.k.seq(), s.k.openDays(), s.k.number(r.Day, r.Line.ID), s.k.ticket(r.ID)}
	if r.IdemKey != "" {
		ks = append(ks, s.k.idem(r.IdemKey))
	}
	args := append([]any{
		s.k.base, s.maxEvents, r.Day, r.Now.UnixMilli(), r.IdemHash, r.IdemSince.UnixMilli(),
		(r.Now.Sub(r.IdemSince) + 24*time.Hour).Milliseconds(), numberTTL.Milliseconds(), "0",
		string(queue.EventIssued), r.ID,
		// The previous version's newFields: every field, "" included.
		"id", t.ID, "day", t.Day, "issued_line", t.IssuedLine, "prefix", r.Line.Prefix,
		"lang", t.Lang, "issued_at", t.IssuedAt.UnixMilli(), "token", t.Token,
	}, changedFields(t)...)
	return v1DrawScript.Run(ctx, s.rdb, ks, args...).Slice()
}

// dump describes every key of s's site, with the site's name replaced by
// SITE: its content in a fixed order, and whether it expires. It shows
// what the store reads: a field that holds "" as absent, and an
// Idempotency-Key (a hash before, a string now) as "hash ticket at".
func dump(t *testing.T, s *Store) map[string]string {
	t.Helper()
	ctx := t.Context()
	norm := func(v string) string { return strings.ReplaceAll(v, s.k.base, "wm:{SITE}:") }
	keys, err := s.rdb.Keys(ctx, s.k.base+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		var v string
		switch typ := s.rdb.Type(ctx, k).Val(); typ {
		case "string":
			v = s.rdb.Get(ctx, k).Val()
		case "hash":
			f := s.rdb.HGetAll(ctx, k).Val()
			if strings.HasPrefix(k, s.k.idem("")) {
				v = f["hash"] + " " + f["ticket"] + " " + f["at"]
				break
			}
			v = pairs(f)
		case "zset":
			for _, z := range s.rdb.ZRangeWithScores(ctx, k, 0, -1).Val() {
				v += fmt.Sprintf("%v=%v ", z.Member, z.Score)
			}
		case "stream":
			for _, m := range s.rdb.XRange(ctx, k, "-", "+").Val() {
				f := map[string]string{}
				for name, val := range m.Values {
					f[name] = fmt.Sprint(val)
				}
				v += m.ID + "{" + pairs(f) + "} "
			}
		default:
			t.Fatalf("key %s of type %s", k, typ)
		}
		if s.rdb.PTTL(ctx, k).Val() > 0 {
			v += " (expires)"
		}
		out[norm(k)] = norm(v)
	}
	return out
}

// pairs lists the fields of m that are not "", sorted.
func pairs(m map[string]string) string {
	var out []string
	for k, v := range m {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// draws are the draws the upgrade tests make: two lines, with and without
// an Idempotency-Key, and a retry.
func draws(day string, now time.Time) []queue.DrawRequest {
	lines := queue.DefaultLines()
	var out []queue.DrawRequest
	for i := range 6 {
		r := queue.DrawRequest{
			Line: lines[i%2], Lang: "de", Now: now.Add(time.Duration(i) * time.Second), Day: day,
			ID: fmt.Sprintf("id%d", i), Token: fmt.Sprintf("tok%d", i),
		}
		if i%3 != 2 {
			r.IdemKey, r.IdemHash = fmt.Sprintf("key%d", i), "hash"
		}
		r.IdemSince = r.Now.Add(-queue.IdempotencyTTL)
		out = append(out, r)
	}
	retry := out[1]
	retry.ID, retry.Token, retry.Now = "retry", "tokretry", retry.Now.Add(time.Minute)
	return append(out, retry)
}

// TestDrawKeysAsBefore checks that a draw writes the keys the previous
// version wrote, with the same contents as the store reads them (see
// dump).
func TestDrawKeysAsBefore(t *testing.T) {
	srv := redistest.Start(t)
	open := func() *Store { return openSite(t, srv, "") }
	v1, cur := open(), open()
	now := time.Date(2026, 3, 4, 8, 0, 0, 0, time.UTC)
	for _, r := range draws("2026-03-04", now) {
		if _, err := v1Draw(t.Context(), v1, r); err != nil {
			t.Fatalf("previous version's draw %s: %v", r.ID, err)
		}
		if _, _, err := cur.Draw(t.Context(), r); err != nil {
			t.Fatalf("draw %s: %v", r.ID, err)
		}
	}
	want, got := dump(t, v1), dump(t, cur)
	for k, w := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("key %s missing; the previous version wrote %s", k, w)
		} else if g != w {
			t.Errorf("key %s:\n got %s\nwant %s", k, g, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("key %s = %s, which the previous version did not write", k, g)
		}
	}
}

// TestDrawAfterUpgrade checks that tickets and Idempotency-Keys written by
// the previous version are read by this one: a kiosk's retry after the
// upgrade gets its ticket, and numbers go on.
func TestDrawAfterUpgrade(t *testing.T) {
	srv := redistest.Start(t)
	s := openSite(t, srv, "")
	now := time.Date(2026, 3, 4, 8, 0, 0, 0, time.UTC)
	rs := draws("2026-03-04", now)
	for _, r := range rs[:3] {
		if _, err := v1Draw(t.Context(), s, r); err != nil {
			t.Fatalf("previous version's draw %s: %v", r.ID, err)
		}
	}
	retry := rs[0]
	retry.ID, retry.Now = "again", now.Add(time.Minute)
	got, replay, err := s.Draw(t.Context(), retry)
	if err != nil || !replay || got.ID != rs[0].ID || got.Number != "M-001" {
		t.Fatalf("retry of a key of the previous version: %s %s replay=%v err=%v, want %s M-001 replayed", got.ID, got.Number, replay, err, rs[0].ID)
	}
	wrong := retry
	wrong.IdemHash = "other"
	if _, _, err := s.Draw(t.Context(), wrong); queue.ErrorCode(err) != queue.IdempotencyMismatch {
		t.Fatalf("key of the previous version with another body: err=%v, want mismatch", err)
	}
	next := rs[3]
	got, replay, err = s.Draw(t.Context(), next)
	if err != nil || replay || got.Number != "J-002" || got.Place != 4 {
		t.Fatalf("draw after the upgrade: %s place %d replay=%v err=%v, want J-002 place 4", got.Number, got.Place, replay, err)
	}
	evs, err := s.EventsAfter(t.Context(), 0, 100)
	if err != nil || len(evs) != 4 {
		t.Fatalf("events after the upgrade: %d, err=%v, want 4", len(evs), err)
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) || ev.Ticket.ID != rs[i].ID || ev.Ticket.Token != "" {
			t.Errorf("event %d: seq %d ticket %s token %q", i, ev.Seq, ev.Ticket.ID, ev.Ticket.Token)
		}
	}
}

// TestOldKeyTakenOver checks Idempotency-Keys too old to be honoured, in
// either form: a draw with one gets a new ticket and keeps the key for
// itself, as a string.
func TestOldKeyTakenOver(t *testing.T) {
	srv := redistest.Start(t)
	s := openSite(t, srv, "")
	now := time.Date(2026, 3, 4, 8, 0, 0, 0, time.UTC)
	rs := draws("2026-03-04", now)
	if _, err := v1Draw(t.Context(), s, rs[0]); err != nil { // key0, a hash
		t.Fatal(err)
	}
	if _, _, err := s.Draw(t.Context(), rs[1]); err != nil { // key1, a string
		t.Fatal(err)
	}
	for i, key := range []string{"key0", "key1"} {
		r := rs[3]
		r.ID, r.IdemKey, r.IdemHash = fmt.Sprintf("new%d", i), key, "other"
		r.IdemSince = now.Add(time.Hour) // both keys are older
		only := r
		only.ReplayOnly = true
		if _, _, err := s.Draw(t.Context(), only); queue.ErrorCode(err) != queue.NotFound {
			t.Errorf("replay of %s, too old: err=%v, want not found", key, err)
		}
		got, replay, err := s.Draw(t.Context(), r)
		if err != nil || replay || got.ID != r.ID {
			t.Fatalf("draw with %s, too old: %s replay=%v err=%v, want a new ticket %s", key, got.ID, replay, err, r.ID)
		}
		v, err := s.rdb.Get(t.Context(), s.k.idem(key)).Result()
		if err != nil || !strings.HasPrefix(v, "other "+r.ID+" ") {
			t.Errorf("%s after the draw: %q, err=%v, want it taken by %s", key, v, err, r.ID)
		}
		if ttl := s.rdb.PTTL(t.Context(), s.k.idem(key)).Val(); ttl <= 0 {
			t.Errorf("%s after the draw: TTL %v, want one", key, ttl)
		}
		only.IdemSince = r.Now
		got, replay, err = s.Draw(t.Context(), only)
		if err != nil || !replay || got.ID != r.ID {
			t.Errorf("replay of %s after it was taken: %s replay=%v err=%v, want %s", key, got.ID, replay, err, r.ID)
		}
	}
}
