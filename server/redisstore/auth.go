package redisstore

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"wartemarke/server/auth"
	"wartemarke/server/queue"
)

// Accounts, sessions and devices live beside the queue, under the same
// site prefix, so that any instance can sign a counsellor in or recognise
// a kiosk:
//
//	wm:{site}:user:<name>             hash    name, role, password_hash, created_at
//	wm:{site}:users                   zset    account names (score 0, by name)
//	wm:{site}:session:<token hash>    hash    user, role, created_at, expires_at (expires with the session)
//	wm:{site}:sessions:<name>         set     the token hashes of an account's sessions
//	wm:{site}:device:<id>             hash    id, kind, name, created_at, paired_at, pair_hash,
//	                                          pair_expires, revoked_at, last_seen, token_hash
//	wm:{site}:devices                 zset    device ids by created_at
//	wm:{site}:devtoken:<token hash>   string  the id of the device holding that token
//	wm:{site}:devpair:<code hash>     string  the id of the device with that pairing code
//
// Each change is one Lua script, so the lookups (devtoken, devpair,
// sessions) never disagree with the hashes they point to.

var _ auth.Store = (*Store)(nil)

func (k keys) user(name string) string        { return k.base + "user:" + name }
func (k keys) users() string                  { return k.base + "users" }
func (k keys) session(hash string) string     { return k.base + "session:" + hash }
func (k keys) sessions(user string) string    { return k.base + "sessions:" + user }
func (k keys) device(id string) string        { return k.base + "device:" + id }
func (k keys) devices() string                { return k.base + "devices" }
func (k keys) deviceToken(hash string) string { return k.base + "devtoken:" + hash }
func (k keys) devicePair(hash string) string  { return k.base + "devpair:" + hash }

// The auth scripts answer 1 for done, 0 for not found and -1 for a
// conflict.
var (
	createUserScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'role', ARGV[2], 'password_hash', ARGV[3], 'created_at', ARGV[4])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 1
`)
	// KEYS: user, sessions of the user, users. ARGV: base, name.
	deleteUserScript = redis.NewScript(`
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[3], ARGV[2])
for _, h in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  redis.call('DEL', ARGV[1] .. 'session:' .. h)
end
redis.call('DEL', KEYS[2])
return 1
`)
	setPasswordScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'password_hash', ARGV[1])
return 1
`)
	// KEYS: session, sessions of the user. ARGV: hash, user, role,
	// created_at, expires_at, TTL (ms), base.
	createSessionScript = redis.NewScript(`
redis.call('HSET', KEYS[1], 'user', ARGV[2], 'role', ARGV[3], 'created_at', ARGV[4], 'expires_at', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
-- Forget the hashes of sessions that Redis has already expired.
for _, h in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[7] .. 'session:' .. h) == 0 then redis.call('SREM', KEYS[2], h) end
end
redis.call('SADD', KEYS[2], ARGV[1])
return 1
`)
	// KEYS: session. ARGV: base, hash.
	deleteSessionScript = redis.NewScript(`
local user = redis.call('HGET', KEYS[1], 'user')
redis.call('DEL', KEYS[1])
if user then redis.call('SREM', ARGV[1] .. 'sessions:' .. user, ARGV[2]) end
return 1
`)
	// KEYS: sessions of the user. ARGV: base.
	deleteSessionsScript = redis.NewScript(`
for _, h in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  redis.call('DEL', ARGV[1] .. 'session:' .. h)
end
redis.call('DEL', KEYS[1])
return 1
`)
	// KEYS: device, devices. ARGV: base, id, created_at, token hash,
	// pair hash, then the fields.
	createDeviceScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local f = {'HSET', KEYS[1]}
for i = 6, #ARGV do f[#f + 1] = ARGV[i] end
redis.call(unpack(f))
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
if ARGV[4] ~= '' then redis.call('SET', ARGV[1] .. 'devtoken:' .. ARGV[4], ARGV[2]) end
if ARGV[5] ~= '' then redis.call('SET', ARGV[1] .. 'devpair:' .. ARGV[5], ARGV[2]) end
return 1
`)
	// deviceLookup reads the device a lookup key points to, when the
	// device still holds that hash in field ARGV[2]. KEYS: the lookup.
	// ARGV: base, field, hash.
	deviceLookupScript = redis.NewScript("#!lua flags=no-writes\n" + `
local id = redis.call('GET', KEYS[1])
if not id then return {} end
local key = ARGV[1] .. 'device:' .. id
if redis.call('HGET', key, ARGV[2]) ~= ARGV[3] then return {} end
return redis.call('HGETALL', key)
`)
	// KEYS: the pairing code's lookup. ARGV: base, code hash, token hash,
	// now (ms). Answers the paired device's fields, or {}.
	pairScript = redis.NewScript(`
local id = redis.call('GET', KEYS[1])
if not id then return {} end
local key = ARGV[1] .. 'device:' .. id
local d = redis.call('HMGET', key, 'pair_hash', 'revoked_at', 'pair_expires', 'token_hash')
if d[1] ~= ARGV[2] or d[2] ~= '' or d[3] == '' or tonumber(d[3]) <= tonumber(ARGV[4]) then return {} end
redis.call('DEL', KEYS[1])
if d[4] and d[4] ~= '' then redis.call('DEL', ARGV[1] .. 'devtoken:' .. d[4]) end
redis.call('HSET', key, 'token_hash', ARGV[3], 'pair_hash', '', 'pair_expires', '', 'paired_at', ARGV[4])
redis.call('SET', ARGV[1] .. 'devtoken:' .. ARGV[3], id)
return redis.call('HGETALL', key)
`)
	// resetDevice drops a device's token and code and sets fields. KEYS:
	// device. ARGV: base, new pair hash ('' for none), then the fields.
	resetDeviceScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local id = redis.call('HGET', KEYS[1], 'id')
local old = redis.call('HMGET', KEYS[1], 'token_hash', 'pair_hash')
if old[1] and old[1] ~= '' then redis.call('DEL', ARGV[1] .. 'devtoken:' .. old[1]) end
if old[2] and old[2] ~= '' then redis.call('DEL', ARGV[1] .. 'devpair:' .. old[2]) end
local f = {'HSET', KEYS[1]}
for i = 3, #ARGV do f[#f + 1] = ARGV[i] end
redis.call(unpack(f))
if ARGV[2] ~= '' then redis.call('SET', ARGV[1] .. 'devpair:' .. ARGV[2], id) end
return 1
`)
	seenDeviceScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'last_seen', ARGV[1])
return 1
`)
)

// run runs a script that answers 1, 0 (NotFound, with notFound's text) or
// -1 (Conflict, with conflict's text).
func (s *Store) run(ctx context.Context, sc *redis.Script, ks []string, notFound, conflict string, args ...any) error {
	n, err := sc.Run(ctx, s.rdb, ks, args...).Int64()
	switch {
	case err != nil:
		return s.fail(ctx, err)
	case n == 0:
		return queue.Errorf(queue.NotFound, "%s", notFound)
	case n < 0:
		return queue.Errorf(queue.Conflict, "%s", conflict)
	}
	return nil
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// fromMs reads an optional time field.
func fromMs(v string) *time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	if v == "" || err != nil {
		return nil
	}
	t := time.UnixMilli(n).UTC()
	return &t
}

func atMs(v string) time.Time {
	if t := fromMs(v); t != nil {
		return *t
	}
	return time.Time{}
}

// CreateUser adds an account; a taken name is a Conflict.
func (s *Store) CreateUser(ctx context.Context, u auth.User) error {
	return s.run(ctx, createUserScript, []string{s.k.user(u.Name), s.k.users()}, "",
		"an account "+strconv.Quote(u.Name)+" exists already",
		u.Name, string(u.Role), u.PasswordHash, ms(u.CreatedAt))
}

func decodeUser(f map[string]string) auth.User {
	return auth.User{Name: f["name"], Role: auth.Role(f["role"]), PasswordHash: f["password_hash"], CreatedAt: atMs(f["created_at"])}
}

// User returns one account.
func (s *Store) User(ctx context.Context, name string) (auth.User, error) {
	f, err := s.rdb.HGetAll(ctx, s.k.user(name)).Result()
	if err != nil {
		return auth.User{}, s.fail(ctx, err)
	}
	if len(f) == 0 {
		return auth.User{}, queue.Errorf(queue.NotFound, "no account %q", name)
	}
	return decodeUser(f), nil
}

// Users lists the accounts by name, without their password hashes.
func (s *Store) Users(ctx context.Context) ([]auth.User, error) {
	names, err := s.rdb.ZRange(ctx, s.k.users(), 0, -1).Result()
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	maps, err := s.hashes(ctx, names, s.k.user)
	if err != nil {
		return nil, err
	}
	out := []auth.User{}
	for _, f := range maps {
		u := decodeUser(f)
		u.PasswordHash = ""
		out = append(out, u)
	}
	return out, nil
}

// hashes reads the hashes of ids in one round trip, skipping missing ones.
func (s *Store) hashes(ctx context.Context, ids []string, key func(string) string) ([]map[string]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, key(id))
		}
		return nil
	}); err != nil {
		return nil, s.fail(ctx, err)
	}
	var out []map[string]string
	for _, c := range cmds {
		if len(c.Val()) > 0 {
			out = append(out, c.Val())
		}
	}
	return out, nil
}

// SetPassword replaces an account's password hash.
func (s *Store) SetPassword(ctx context.Context, name, hash string) error {
	return s.run(ctx, setPasswordScript, []string{s.k.user(name)}, "no account "+strconv.Quote(name), "", hash)
}

// DeleteUser removes an account and its sessions.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	return s.run(ctx, deleteUserScript, []string{s.k.user(name), s.k.sessions(name), s.k.users()},
		"no account "+strconv.Quote(name), "", s.k.base, name)
}

// CreateSession stores a sign-in; Redis drops it when it expires.
func (s *Store) CreateSession(ctx context.Context, se auth.Session) error {
	ttl := se.ExpiresAt.Sub(se.CreatedAt)
	if ttl < time.Second {
		ttl = time.Second
	}
	return s.run(ctx, createSessionScript, []string{s.k.session(se.TokenHash), s.k.sessions(se.User)}, "", "",
		se.TokenHash, se.User, string(se.Role), ms(se.CreatedAt), ms(se.ExpiresAt), ttl.Milliseconds(), s.k.base)
}

// Session returns an unexpired session.
func (s *Store) Session(ctx context.Context, tokenHash string, now time.Time) (auth.Session, error) {
	f, err := s.rdb.HGetAll(ctx, s.k.session(tokenHash)).Result()
	if err != nil {
		return auth.Session{}, s.fail(ctx, err)
	}
	se := auth.Session{TokenHash: tokenHash, User: f["user"], Role: auth.Role(f["role"]),
		CreatedAt: atMs(f["created_at"]), ExpiresAt: atMs(f["expires_at"])}
	if len(f) == 0 || !se.ExpiresAt.After(now) {
		return auth.Session{}, queue.Errorf(queue.NotFound, "no session")
	}
	return se, nil
}

// DeleteSession ends one session; an unknown one is not an error.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	return s.run(ctx, deleteSessionScript, []string{s.k.session(tokenHash)}, "", "", s.k.base, tokenHash)
}

// DeleteSessions ends every session of a user.
func (s *Store) DeleteSessions(ctx context.Context, user string) error {
	return s.run(ctx, deleteSessionsScript, []string{s.k.sessions(user)}, "", "", s.k.base)
}

func optMs(t *time.Time) string {
	if t == nil {
		return ""
	}
	return ms(*t)
}

func deviceFields(d auth.Device) []any {
	return []any{
		"id", d.ID, "kind", string(d.Kind), "name", d.Name, "created_at", ms(d.CreatedAt),
		"paired_at", optMs(d.PairedAt), "pair_hash", d.PairHash, "pair_expires", optMs(d.PairExpires),
		"revoked_at", optMs(d.RevokedAt), "last_seen", optMs(d.LastSeen), "token_hash", d.TokenHash,
	}
}

func decodeDevice(f map[string]string) auth.Device {
	return auth.Device{
		ID: f["id"], Kind: auth.DeviceKind(f["kind"]), Name: f["name"], CreatedAt: atMs(f["created_at"]),
		PairedAt: fromMs(f["paired_at"]), PairHash: f["pair_hash"], PairExpires: fromMs(f["pair_expires"]),
		RevokedAt: fromMs(f["revoked_at"]), LastSeen: fromMs(f["last_seen"]), TokenHash: f["token_hash"],
	}
}

// CreateDevice adds a device.
func (s *Store) CreateDevice(ctx context.Context, d auth.Device) error {
	args := append([]any{s.k.base, d.ID, d.CreatedAt.UnixMilli(), d.TokenHash, d.PairHash}, deviceFields(d)...)
	return s.run(ctx, createDeviceScript, []string{s.k.device(d.ID), s.k.devices()}, "",
		"a device "+strconv.Quote(d.ID)+" exists already", args...)
}

// Devices lists every device, newest first.
func (s *Store) Devices(ctx context.Context) ([]auth.Device, error) {
	ids, err := s.rdb.ZRange(ctx, s.k.devices(), 0, -1).Result()
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	maps, err := s.hashes(ctx, ids, s.k.device)
	if err != nil {
		return nil, err
	}
	out := []auth.Device{}
	for _, f := range maps {
		out = append(out, decodeDevice(f))
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Device returns one device.
func (s *Store) Device(ctx context.Context, id string) (auth.Device, error) {
	f, err := s.rdb.HGetAll(ctx, s.k.device(id)).Result()
	if err != nil {
		return auth.Device{}, s.fail(ctx, err)
	}
	if len(f) == 0 {
		return auth.Device{}, queue.Errorf(queue.NotFound, "no such device")
	}
	return decodeDevice(f), nil
}

// deviceReply decodes a script's device fields; none is NotFound.
func (s *Store) deviceReply(ctx context.Context, c *redis.Cmd, notFound string) (auth.Device, error) {
	v, err := c.Result()
	if err != nil {
		return auth.Device{}, s.fail(ctx, err)
	}
	f, err := fieldMap(v)
	if err != nil {
		return auth.Device{}, err
	}
	if len(f) == 0 {
		return auth.Device{}, queue.Errorf(queue.NotFound, "%s", notFound)
	}
	return decodeDevice(f), nil
}

// DeviceByToken returns the device holding a token.
func (s *Store) DeviceByToken(ctx context.Context, tokenHash string) (auth.Device, error) {
	if tokenHash == "" {
		return auth.Device{}, queue.Errorf(queue.NotFound, "no such device")
	}
	c := deviceLookupScript.Run(ctx, s.rdb, []string{s.k.deviceToken(tokenHash)}, s.k.base, "token_hash", tokenHash)
	return s.deviceReply(ctx, c, "no such device")
}

// Pair uses a one-time pairing code.
func (s *Store) Pair(ctx context.Context, pairHash, tokenHash string, now time.Time) (auth.Device, error) {
	if pairHash == "" {
		return auth.Device{}, queue.Errorf(queue.NotFound, "no device with this pairing code")
	}
	c := pairScript.Run(ctx, s.rdb, []string{s.k.devicePair(pairHash)}, s.k.base, pairHash, tokenHash, now.UnixMilli())
	return s.deviceReply(ctx, c, "no device with this pairing code")
}

// Repair gives a device a fresh pairing code and drops its token.
func (s *Store) Repair(ctx context.Context, id, pairHash string, expires time.Time) error {
	return s.run(ctx, resetDeviceScript, []string{s.k.device(id)}, "no device "+strconv.Quote(id), "",
		s.k.base, pairHash, "pair_hash", pairHash, "pair_expires", ms(expires),
		"token_hash", "", "paired_at", "", "revoked_at", "")
}

// RevokeDevice cuts a device off.
func (s *Store) RevokeDevice(ctx context.Context, id string, now time.Time) error {
	return s.run(ctx, resetDeviceScript, []string{s.k.device(id)}, "no device "+strconv.Quote(id), "",
		s.k.base, "", "revoked_at", ms(now), "token_hash", "", "pair_hash", "", "pair_expires", "")
}

// SeenDevice records that a device was just heard from.
func (s *Store) SeenDevice(ctx context.Context, id string, now time.Time) error {
	return s.run(ctx, seenDeviceScript, []string{s.k.device(id)}, "no device "+strconv.Quote(id), "", ms(now))
}
