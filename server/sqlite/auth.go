package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"wartemarke/server/auth"
	"wartemarke/server/queue"
)

var _ auth.Store = (*Store)(nil)

func nullMillis(t *time.Time) any { return millis(t) }

func fromMillis(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := time.UnixMilli(n.Int64).UTC()
	return &t
}

// exec runs one statement in a write transaction and maps "nothing
// changed" to NotFound.
func (s *Store) exec(ctx context.Context, what string, query string, args ...any) error {
	return s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return queue.Errorf(queue.NotFound, "no %s", what)
		}
		return nil
	})
}

// CreateUser adds an account; a taken name is a Conflict.
func (s *Store) CreateUser(ctx context.Context, u auth.User) error {
	err := s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)`,
			u.Name, string(u.Role), u.PasswordHash, u.CreatedAt.UnixMilli())
		if err != nil && strings.Contains(err.Error(), "UNIQUE") {
			return queue.Errorf(queue.Conflict, "an account %q exists already", u.Name)
		}
		return err
	})
	return unavailable(err)
}

// User returns one account.
func (s *Store) User(ctx context.Context, name string) (auth.User, error) {
	var u auth.User
	var created int64
	err := s.r.QueryRowContext(ctx, `SELECT name, role, password_hash, created_at FROM users WHERE name = ?`, name).
		Scan(&u.Name, &u.Role, &u.PasswordHash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return u, queue.Errorf(queue.NotFound, "no account %q", name)
	}
	u.CreatedAt = time.UnixMilli(created).UTC()
	return u, unavailable(err)
}

// Users lists the accounts by name.
func (s *Store) Users(ctx context.Context) ([]auth.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, role, created_at FROM users ORDER BY name`)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := []auth.User{}
	for rows.Next() {
		var u auth.User
		var created int64
		if err := rows.Scan(&u.Name, &u.Role, &created); err != nil {
			return nil, unavailable(err)
		}
		u.CreatedAt = time.UnixMilli(created).UTC()
		out = append(out, u)
	}
	return out, unavailable(rows.Err())
}

// SetPassword replaces an account's password hash.
func (s *Store) SetPassword(ctx context.Context, name, hash string) error {
	return unavailable(s.exec(ctx, "account "+name, `UPDATE users SET password_hash = ? WHERE name = ?`, hash, name))
}

// DeleteUser removes an account and its sessions.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	err := s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE name = ?`, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return queue.Errorf(queue.NotFound, "no account %q", name)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user = ?`, name)
		return err
	})
	return unavailable(err)
}

// CreateSession stores a sign-in and drops expired ones.
func (s *Store) CreateSession(ctx context.Context, se auth.Session) error {
	err := s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, se.CreatedAt.UnixMilli()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user, role, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			se.TokenHash, se.User, string(se.Role), se.CreatedAt.UnixMilli(), se.ExpiresAt.UnixMilli())
		return err
	})
	return unavailable(err)
}

// Session returns an unexpired session.
func (s *Store) Session(ctx context.Context, tokenHash string, now time.Time) (auth.Session, error) {
	var se auth.Session
	var created, expires int64
	err := s.r.QueryRowContext(ctx, `SELECT token_hash, user, role, created_at, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?`,
		tokenHash, now.UnixMilli()).Scan(&se.TokenHash, &se.User, &se.Role, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return se, queue.Errorf(queue.NotFound, "no session")
	}
	se.CreatedAt, se.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
	return se, unavailable(err)
}

// DeleteSession ends one session; an unknown one is not an error.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	return unavailable(s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
		return err
	}))
}

// DeleteSessions ends every session of a user.
func (s *Store) DeleteSessions(ctx context.Context, user string) error {
	return unavailable(s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user = ?`, user)
		return err
	}))
}

const deviceCols = `id, kind, name, created_at, paired_at, pair_hash, pair_expires, revoked_at, last_seen, token_hash`

func scanDevice(row scanner) (auth.Device, error) {
	var d auth.Device
	var created int64
	var paired, pairExp, revoked, seen sql.NullInt64
	err := row.Scan(&d.ID, &d.Kind, &d.Name, &created, &paired, &d.PairHash, &pairExp, &revoked, &seen, &d.TokenHash)
	d.CreatedAt = time.UnixMilli(created).UTC()
	d.PairedAt, d.PairExpires, d.RevokedAt, d.LastSeen = fromMillis(paired), fromMillis(pairExp), fromMillis(revoked), fromMillis(seen)
	return d, err
}

// CreateDevice adds an unpaired device.
func (s *Store) CreateDevice(ctx context.Context, d auth.Device) error {
	return unavailable(s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO devices (`+deviceCols+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			d.ID, string(d.Kind), d.Name, d.CreatedAt.UnixMilli(), nullMillis(d.PairedAt), d.PairHash,
			nullMillis(d.PairExpires), nullMillis(d.RevokedAt), nullMillis(d.LastSeen), d.TokenHash)
		return err
	}))
}

// Devices lists every device, newest first.
func (s *Store) Devices(ctx context.Context) ([]auth.Device, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+deviceCols+` FROM devices ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := []auth.Device{}
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, unavailable(err)
		}
		out = append(out, d)
	}
	return out, unavailable(rows.Err())
}

func (s *Store) deviceWhere(ctx context.Context, cond string, arg any) (auth.Device, error) {
	d, err := scanDevice(s.r.QueryRowContext(ctx, `SELECT `+deviceCols+` FROM devices WHERE `+cond, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return d, queue.Errorf(queue.NotFound, "no such device")
	}
	return d, unavailable(err)
}

// Device returns one device.
func (s *Store) Device(ctx context.Context, id string) (auth.Device, error) {
	return s.deviceWhere(ctx, `id = ?`, id)
}

// DeviceByToken returns the device holding a token.
func (s *Store) DeviceByToken(ctx context.Context, tokenHash string) (auth.Device, error) {
	if tokenHash == "" {
		return auth.Device{}, queue.Errorf(queue.NotFound, "no such device")
	}
	return s.deviceWhere(ctx, `token_hash = ?`, tokenHash)
}

// Pair uses a one-time code.
func (s *Store) Pair(ctx context.Context, pairHash, tokenHash string, now time.Time) (auth.Device, error) {
	var d auth.Device
	err := s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
		var err error
		d, err = scanDevice(tx.QueryRowContext(ctx, `SELECT `+deviceCols+` FROM devices WHERE pair_hash = ? AND pair_hash != '' AND revoked_at IS NULL AND pair_expires > ?`,
			pairHash, now.UnixMilli()))
		if errors.Is(err, sql.ErrNoRows) {
			return queue.Errorf(queue.NotFound, "no device with this pairing code")
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE devices SET token_hash = ?, pair_hash = '', pair_expires = NULL, paired_at = ? WHERE id = ?`,
			tokenHash, now.UnixMilli(), d.ID)
		d.TokenHash, d.PairHash, d.PairExpires, d.PairedAt = tokenHash, "", nil, &now
		return err
	})
	return d, unavailable(err)
}

// Repair sets a fresh pairing code and drops the old token.
func (s *Store) Repair(ctx context.Context, id, pairHash string, expires time.Time) error {
	return unavailable(s.exec(ctx, "device "+id, `UPDATE devices SET pair_hash = ?, pair_expires = ?, token_hash = '', paired_at = NULL, revoked_at = NULL WHERE id = ?`,
		pairHash, expires.UnixMilli(), id))
}

// RevokeDevice cuts a device off.
func (s *Store) RevokeDevice(ctx context.Context, id string, now time.Time) error {
	return unavailable(s.exec(ctx, "device "+id, `UPDATE devices SET revoked_at = ?, token_hash = '', pair_hash = '', pair_expires = NULL WHERE id = ?`,
		now.UnixMilli(), id))
}

// SeenDevice records that a device was just heard from.
func (s *Store) SeenDevice(ctx context.Context, id string, now time.Time) error {
	return unavailable(s.exec(ctx, "device "+id, `UPDATE devices SET last_seen = ? WHERE id = ?`, now.UnixMilli(), id))
}
