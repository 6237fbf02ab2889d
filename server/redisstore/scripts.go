package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts know no lifecycle rule. They number a draw, keep the
// indexes that follow from a ticket's stored fields, and append events;
// every decision about a ticket is made in Go by the domain (queue.Apply,
// queue.CallTicket, queue.Expire, queue.SetPrint) before a script runs.

// prelude holds the helpers that the scripts share.
const prelude = `
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

// drawScript issues a ticket in one step: idempotency, number, seq, the
// ticket, its indexes and its event.
//
// A draw is the hot path, and Redis runs scripts one at a time, so it does
// only what a new ticket needs, with as few calls and as little Lua as it
// can: it is given every key and the ticket's fields, reads nothing back
// and builds no tables. The ticket's indexes are those memberships gives a
// waiting ticket (open:<day>, waiting:<day>:<line>, the day in opendays);
// the number counter's expiry, the day in days and the day in opendays are
// set when missing, not on every draw. The event holds the ticket's fields
// less its token, as append writes it.
//
// KEYS: 1 seq, 2 opendays, 3 the line's number counter for the day,
// 4 the new ticket, 5 open:<day>, 6 waiting:<day>:<line>, 7 the ticket's
// token key, 8 tickets:<day> (for retirement: the ticket and its
// Idempotency-Key), 9 days, 10 events, 11 the Idempotency-Key (only when
// there is one).
// ARGV: 1 base, 2 maxlen, 3 day, 4 now (ms), 5 body hash, 6 oldest key
// time honoured (ms), 7 key TTL (ms), 8 counter TTL (ms), 9 replay only
// (1/0), 10 event type, 11 ticket id, 12 token, 13… the new ticket's
// other fields but num and place, as pairs.
//
// It answers {"stale"} while open tickets of earlier days wait to be
// expired (the caller expires them and runs it again), {"mismatch"},
// {"unknown"} (replay only, key not known), {"replay", fields, ahead} or
// {"ok", num, place, ahead}.
var drawScript = redis.NewScript(prelude + `
local day, now, id = ARGV[3], ARGV[4], ARGV[11]
-- The earliest day that may hold open tickets: an earlier one than today
-- must be expired first; none means today must be listed.
local first = redis.call('ZRANGEBYLEX', KEYS[2], '-', '[' .. day, 'LIMIT', 0, 1)[1]
if first and first ~= day then
  return {'stale'}
end
local idem = KEYS[11]
if idem then
  -- The key is taken for this draw unless it is known (SET NX GET
  -- answers the value it keeps); a known key too old to be honoured is
  -- taken over below.
  local mine = ARGV[5] .. ' ' .. id .. ' ' .. now
  local h
  if ARGV[9] == '1' then
    h = redis.pcall('GET', idem)
  else
    h = redis.pcall('SET', idem, mine, 'PX', ARGV[7], 'NX', 'GET')
  end
  if type(h) == 'table' and h.err then
    if not string.find(h.err, 'WRONGTYPE', 1, true) then return h end
    -- Not a string: a hash, as the previous version wrote keys.
    local v = redis.call('HMGET', idem, 'hash', 'ticket', 'at')
    h = v[1] and v
  elseif h then
    h = {string.match(h, '^(.*) (%S+) (%d+)$')}
  end
  if h and tonumber(h[3]) >= tonumber(ARGV[6]) then
    if h[1] ~= ARGV[5] then return {'mismatch'} end
    local tkey = ARGV[1] .. 'ticket:' .. h[2]
    return {'replay', redis.call('HGETALL', tkey), ahead(ARGV[1], tkey)}
  end
  if h and ARGV[9] ~= '1' then
    redis.call('SET', idem, mine, 'PX', ARGV[7])
  end
end
if ARGV[9] == '1' then return {'unknown'} end
local num = redis.call('INCR', KEYS[3])
if num == 1 then
  -- A line's first number of the day: the counter's expiry, and the day
  -- for retirement (which deletes the day's counters with the day).
  redis.call('PEXPIRE', KEYS[3], ARGV[8])
  redis.call('ZADD', KEYS[9], 0, day)
end
local seq = redis.call('INCR', KEYS[1])
-- Lua turns a number into a string with sprintf on each use: once here.
local nums, seqs = tostring(num), tostring(seq)
redis.call('HSET', KEYS[4], 'num', nums, 'place', seqs, 'token', ARGV[12], unpack(ARGV, 13))
redis.call('ZADD', KEYS[5], seqs, id)
redis.call('ZADD', KEYS[6], seqs, id)
if not first then redis.call('ZADD', KEYS[2], 0, day) end
redis.call('SET', KEYS[7], id)
redis.call('HSET', KEYS[8], id, idem or '')
redis.call('XADD', KEYS[10], 'MAXLEN', '~', ARGV[2], seqs .. '-0', 'type', ARGV[10], 'at', now,
  'num', nums, 'place', seqs, unpack(ARGV, 13))
return {'ok', num, seq, redis.call('ZCOUNT', KEYS[6], '-inf', '(' .. seqs)}
`)

// commitScript writes changes that Go has decided, inside MULTI/EXEC after
// the reads they rest on were WATCHed: for each change the ticket's new
// fields, its indexes and one event. It answers each changed ticket's
// ahead (-1 when it does not wait), then the seq of its last event (0 when
// it wrote none).
//
// KEYS: 1 seq, 2 opendays.
// ARGV: 1 base, 2 maxlen, 3 number of changes; per change: id, event type,
// at (ms), number of field pairs, the pairs; then the days to drop from
// opendays once they hold no open ticket.
var commitScript = redis.NewScript(prelude + `
local base, maxlen = ARGV[1], ARGV[2]
local i, out, seq = 4, {}, 0
for _ = 1, tonumber(ARGV[3]) do
  local id, typ, at, m = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  i = i + 4
  local tkey = base .. 'ticket:' .. id
  local before = index_fields(tkey)
  local f = {'HSET', tkey}
  for j = i, i + 2 * m - 1 do f[#f + 1] = ARGV[j] end
  i = i + 2 * m
  redis.call(unpack(f))
  reindex(base, id, before, index_fields(tkey))
  seq = redis.call('INCR', KEYS[1])
  append(base, maxlen, seq, typ, at, tkey)
  out[#out + 1] = ahead(base, tkey)
end
for j = i, #ARGV do
  if redis.call('ZCARD', base .. 'open:' .. ARGV[j]) == 0 then
    redis.call('ZREM', KEYS[2], ARGV[j])
  end
end
out[#out + 1] = seq
return out
`)

// deskScript records a desk's state and its desk.updated event in one
// step.
//
// KEYS: 1 seq, 2 desks:<day>. ARGV: 1 base, 2 maxlen, 3 label, 4 the
// state as JSON, 5 at (ms), 6 TTL of the day's desks (ms), 7 event type,
// 8 the day (for the days index that retirement reads).
// It answers the event's seq.
var deskScript = redis.NewScript(`
local base, maxlen = ARGV[1], ARGV[2]
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
redis.call('ZADD', base .. 'days', 0, ARGV[8])
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', base .. 'events', 'MAXLEN', '~', maxlen, seq .. '-0', 'type', ARGV[7], 'at', ARGV[5], 'desk', ARGV[4])
return seq
`)

// ticketScript reads one ticket and its ahead in one consistent step.
// KEYS: 1 the ticket. ARGV: 1 base. It answers {} or {fields, ahead}.
var ticketScript = redis.NewScript("#!lua flags=no-writes\n" + prelude + `
local f = redis.call('HGETALL', KEYS[1])
if #f == 0 then return {} end
return {f, ahead(ARGV[1], KEYS[1])}
`)

// snapshotScript reads a day's state as of one seq.
// KEYS: 1 seq, 2 open:<day>, 3 calls:<day>, 4 desks:<day>, 5 served:<day>.
// ARGV: 1 base, 2 how many calls to read, 3 how many consultations to read.
// It answers {seq, open tickets' fields in place order, recent calls as
// {line, prefix, num, desk, called_at, place}, newest first, the day's desk
// states as JSON, finished consultations as {line, called_at, finished_at},
// newest first}.
var snapshotScript = redis.NewScript("#!lua flags=no-writes\n" + `
local base = ARGV[1]
local open, calls = {}, {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  open[#open + 1] = redis.call('HGETALL', base .. 'ticket:' .. id)
end
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[3], 0, tonumber(ARGV[2]) - 1)) do
  calls[#calls + 1] = redis.call('HMGET', base .. 'ticket:' .. id, 'line', 'prefix', 'num', 'desk', 'called_at', 'place')
end
local served = {}
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[5], 0, tonumber(ARGV[3]) - 1)) do
  served[#served + 1] = redis.call('HMGET', base .. 'ticket:' .. id, 'line', 'called_at', 'finished_at')
end
return {redis.call('GET', KEYS[1]) or '0', open, calls, redis.call('HVALS', KEYS[4]), served}
`)
