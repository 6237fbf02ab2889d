package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"wartemarke/server/queue"
)

// A fixture is a change of representative rows made at a schema version:
// the rows a database of that version holds. When a migration adds a table
// or column, add its fixture here.
type fixture struct {
	version int
	apply   func(ctx context.Context, db *sql.DB) error
}

var (
	oldDay   = "2026-11-18"
	today    = "2026-11-25"
	berlin   = mustLoc("Europe/Berlin")
	morning  = time.Date(2026, 11, 25, 9, 0, 0, 0, berlin)
	lastWeek = time.Date(2026, 11, 18, 9, 0, 0, 0, berlin)
)

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// v1Ticket is a ticket of the first schema.
type v1Ticket struct {
	id, day, line, issuedLine string
	num                       int
	number, lang              string
	status                    queue.Status
	place                     int64
	desk                      string
	recalls, transfers        int
	token                     string
	issued                    time.Time
	called, finished          *time.Time
}

func at(t time.Time) *time.Time { return &t }

var v1Tickets = []v1Ticket{
	{"t-old-done", oldDay, "mbe", "mbe", 1, "M-001", "ar", queue.StatusDone, 1, "Raum 1", 1, 0, "tok-old-done", lastWeek, at(lastWeek.Add(20 * time.Minute)), at(lastWeek.Add(50 * time.Minute))},
	{"t-old-wait", oldDay, "jmd", "jmd", 1, "J-001", "fa", queue.StatusWaiting, 2, "", 0, 0, "tok-old-wait", lastWeek.Add(time.Minute), nil, nil},
	{"t-c", today, "mbe", "mbe", 1, "M-001", "tr", queue.StatusWaiting, 3, "", 0, 0, "tok-c", morning, nil, nil},
	{"t-d", today, "mbe", "jmd", 1, "J-001", "uk", queue.StatusWaiting, 4, "", 0, 1, "tok-d", morning.Add(time.Minute), nil, nil},
	{"t-e", today, "mbe", "mbe", 2, "M-002", "de", queue.StatusCalled, 5, "Empore", 0, 0, "tok-e", morning.Add(2 * time.Minute), at(morning.Add(10 * time.Minute)), nil},
}

func millisOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

var fixtures = []fixture{
	{1, func(ctx context.Context, db *sql.DB) error {
		for _, t := range v1Tickets {
			if _, err := db.ExecContext(ctx, `INSERT INTO tickets (id, day, line, issued_line, num, number, lang, status, place, desk, recalls, transfers, token, issued_at, called_at, finished_at)
				VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, t.id, t.day, t.line, t.issuedLine, t.num, t.number, t.lang, string(t.status), t.place, t.desk,
				t.recalls, t.transfers, t.token, t.issued.UnixMilli(), millisOrNil(t.called), millisOrNil(t.finished)); err != nil {
				return err
			}
			b, _ := json.Marshal(queue.Ticket{ID: t.id, Day: t.day, Line: t.line, IssuedLine: t.issuedLine, Number: t.number, Lang: t.lang,
				Status: t.status, Place: t.place, Desk: t.desk, IssuedAt: t.issued.UTC(), CalledAt: t.called, FinishedAt: t.finished})
			if _, err := db.ExecContext(ctx, `INSERT INTO events (seq, type, at, ticket) VALUES (?, ?, ?, ?)`, t.place, string(queue.EventIssued), t.issued.UnixMilli(), b); err != nil {
				return err
			}
		}
		if _, err := db.ExecContext(ctx, `UPDATE meta SET value = 5 WHERE key = 'seq'`); err != nil {
			return err
		}
		_, err := db.ExecContext(ctx, `INSERT INTO idempotency (key, body_hash, ticket_id, created_at) VALUES ('tap-c', 'hash-c', 't-c', ?)`, morning.UnixMilli())
		return err
	}},
	{2, func(ctx context.Context, db *sql.DB) error {
		if _, err := db.ExecContext(ctx, `UPDATE tickets SET print = 'printed' WHERE id = 't-c'`); err != nil {
			return err
		}
		_, err := db.ExecContext(ctx, `UPDATE tickets SET print = 'failed', print_error = 'media-empty' WHERE id = 't-e'`)
		return err
	}},
	{3, func(ctx context.Context, db *sql.DB) error {
		for _, q := range []string{
			`INSERT INTO users (name, role, password_hash, created_at) VALUES ('admin', 'admin', '$2a$04$abcdefghijklmnopqrstuu5Hq2nHkAPhz8m0l9gP2bV3Yc8E6bYlS', 1764000000000)`,
			`INSERT INTO users (name, role, password_hash, created_at) VALUES ('berater1', 'counsellor', '$2a$04$abcdefghijklmnopqrstuuAbCdEfGhIjKlMnOpQrStUvWxYz01234', 1764000000001)`,
			`INSERT INTO sessions (token_hash, user, role, created_at, expires_at) VALUES ('sess-hash', 'berater1', 'counsellor', 1764000000000, 4102444800000)`,
			`INSERT INTO devices (id, kind, name, created_at, paired_at, token_hash) VALUES ('dev-kiosk', 'kiosk', 'Eingang', 1764000000000, 1764000001000, 'kiosk-token-hash')`,
			`INSERT INTO devices (id, kind, name, created_at, pair_hash, pair_expires) VALUES ('dev-display', 'display', 'Warteraum', 1764000000000, 'pair-hash', 4102444800000)`,
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}},
	{4, func(ctx context.Context, db *sql.DB) error {
		b, _ := json.Marshal(queue.DeskState{Label: "Empore", Lines: []string{"mbe", "jmd"}, Open: true})
		_, err := db.ExecContext(ctx, `INSERT INTO desks (label, day, state) VALUES ('Empore', ?, ?)`, today, b)
		return err
	}},
	{5, func(ctx context.Context, db *sql.DB) error {
		_, err := db.ExecContext(ctx, `UPDATE tickets SET call_reason = 'appointment' WHERE id = 't-e'`)
		return err
	}},
	// 6 (waiting_count) derives its rows from the tickets: checked below.
}

// dump returns every row of every table (but schema_migrations), with the
// columns each table has now.
func dump(ctx context.Context, t *testing.T, db *sql.DB) map[string][][]any {
	t.Helper()
	tables := map[string][]string{}
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		rows.Scan(&name)
		tables[name] = nil
	}
	rows.Close()
	for name := range tables {
		cols, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, name)
		if err != nil {
			t.Fatal(err)
		}
		for cols.Next() {
			var c string
			cols.Scan(&c)
			tables[name] = append(tables[name], c)
		}
		cols.Close()
	}
	return dumpCols(ctx, t, db, tables)
}

// dumpCols returns the rows of the given tables and columns, in a fixed order.
func dumpCols(ctx context.Context, t *testing.T, db *sql.DB, tables map[string][]string) map[string][][]any {
	t.Helper()
	out := map[string][][]any{}
	for name, cols := range tables {
		order := make([]string, len(cols))
		for i := range cols {
			order[i] = fmt.Sprint(i + 1)
		}
		rows, err := db.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+name+` ORDER BY `+strings.Join(order, ", "))
		if err != nil {
			t.Fatalf("table %s after migrating: %v", name, err)
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out[name] = append(out[name], vals)
		}
		rows.Close()
	}
	return out
}

func columns(ctx context.Context, t *testing.T, db *sql.DB) map[string][]string {
	t.Helper()
	d := map[string][]string{}
	rows, err := db.QueryContext(ctx, `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != 'schema_migrations' ORDER BY m.name, p.cid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var tb, c string
		rows.Scan(&tb, &c)
		d[tb] = append(d[tb], c)
	}
	return d
}

// TestMigrateFromEveryVersion stops the schema at each earlier version,
// fills it with the rows a database of that version holds, migrates it to
// the newest version through Open, and checks that nothing was lost: every
// row and column is still there, the store reads the tickets, accounts and
// devices, the derived waiting counts are right, and numbering goes on.
func TestMigrateFromEveryVersion(t *testing.T) {
	latest := SchemaVersion()
	if latest < 6 {
		t.Fatalf("schema version %d; the fixtures cover 1–6", latest)
	}
	for n := 0; n <= latest; n++ {
		t.Run(fmt.Sprintf("from_%d", n), func(t *testing.T) {
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), FileName)
			db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)")
			if err != nil {
				t.Fatal(err)
			}
			db.SetMaxOpenConns(1)
			if err := migrateUpTo(ctx, db, n); err != nil {
				t.Fatalf("migrate up to %d: %v", n, err)
			}
			for _, f := range fixtures {
				if f.version <= n {
					if err := f.apply(ctx, db); err != nil {
						t.Fatalf("fixture of version %d at version %d: %v", f.version, n, err)
					}
				}
			}
			before := dump(ctx, t, db)
			cols := columns(ctx, t, db)
			db.Close()

			s, err := OpenFile(path)
			if err != nil {
				t.Fatalf("open (migrating %d → %d): %v", n, latest, err)
			}
			defer s.Close()
			var v int
			s.w.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
			if v != latest {
				t.Fatalf("schema version after open: %d, want %d", v, latest)
			}
			if after := dumpCols(ctx, t, s.w, cols); !reflect.DeepEqual(before, after) {
				t.Fatalf("rows changed by migrating from %d:\nbefore %v\nafter  %v", n, before, after)
			}
			checkStore(ctx, t, s, n)
		})
	}
}

// checkStore reads the fixtures of version n back through the store's API.
func checkStore(ctx context.Context, t *testing.T, s *Store, n int) {
	t.Helper()
	var bad int
	if err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM (
		SELECT day, line, COUNT(*) AS n FROM tickets WHERE status = 'waiting' GROUP BY day, line
		EXCEPT SELECT day, line, n FROM waiting_count WHERE n > 0)`).Scan(&bad); err != nil || bad != 0 {
		t.Fatalf("waiting_count disagrees with the tickets in %d (day, line) groups (%v)", bad, err)
	}
	svc := queue.NewService(s, queue.DefaultLines())
	svc.Location = berlin
	now := morning.Add(time.Hour)
	svc.Now = func() time.Time { return now }
	if n >= 1 {
		c, err := s.Ticket(ctx, "t-c")
		if err != nil || c.Number != "M-001" || c.Status != queue.StatusWaiting || c.Lang != "tr" || c.Token != "tok-c" {
			t.Fatalf("ticket t-c: %+v %v", c, err)
		}
		if c.Ahead == nil || *c.Ahead != 0 {
			t.Fatalf("ticket t-c ahead=%v, want 0", c.Ahead)
		}
		d, err := s.Ticket(ctx, "t-d")
		if err != nil || d.Line != "mbe" || d.IssuedLine != "jmd" || d.Transfers != 1 || d.Ahead == nil || *d.Ahead != 1 {
			t.Fatalf("ticket t-d (transferred): %+v %v", d, err)
		}
		e, err := s.TicketByToken(ctx, "tok-e")
		if err != nil || e.Status != queue.StatusCalled || e.Desk != "Empore" || e.CalledAt == nil {
			t.Fatalf("ticket t-e: %+v %v", e, err)
		}
		if n >= 2 && (e.Print != "failed" || e.PrintError != "media-empty") {
			t.Fatalf("ticket t-e print=%q %q", e.Print, e.PrintError)
		}
		if n >= 5 && e.CallReason != "appointment" {
			t.Fatalf("ticket t-e call reason %q", e.CallReason)
		}
		evs, err := s.EventsAfter(ctx, 0, 100)
		if err != nil || len(evs) != 5 || evs[4].Ticket.ID != "t-e" {
			t.Fatalf("events: %d %v", len(evs), err)
		}
		// The idempotency key still answers with its ticket.
		again, replay, err := svc.Draw(ctx, "mbe", "tr", "tap-c", "hash-c")
		if err != nil || !replay || again.ID != "t-c" {
			t.Fatalf("retry of tap-c: %+v %v %v", again, replay, err)
		}
	}
	if n >= 3 {
		users, err := s.Users(ctx)
		if err != nil || len(users) != 2 {
			t.Fatalf("users: %+v %v", users, err)
		}
		devices, err := s.Devices(ctx)
		if err != nil || len(devices) != 2 {
			t.Fatalf("devices: %+v %v", devices, err)
		}
	}
	if n >= 4 {
		snap, err := s.Snapshot(ctx, today)
		if err != nil || len(snap.Desks) != 1 || snap.Desks[0].Label != "Empore" {
			t.Fatalf("desks: %+v %v", snap.Desks, err)
		}
	}
	// Numbering goes on after the migrated tickets; last week's open ticket
	// expires with the day's first change.
	tk, _, err := svc.Draw(ctx, "mbe", "de", "", "")
	if err != nil {
		t.Fatal(err)
	}
	want, wantPlace := "M-001", int64(1)
	if n >= 1 {
		want, wantPlace = "M-003", 6
	}
	if tk.Number != want || tk.Place < wantPlace {
		t.Fatalf("draw after migrating: %s place %d, want %s from place %d", tk.Number, tk.Place, want, wantPlace)
	}
	if n >= 1 {
		old, err := s.Ticket(ctx, "t-old-wait")
		if err != nil || old.Status != queue.StatusExpired {
			t.Fatalf("last week's waiting ticket: %+v %v", old, err)
		}
	}
}

// TestNewerSchemaRefused checks that a database written by a newer
// Wartemarke (a schema version this build does not know) is not opened.
func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`INSERT INTO schema_migrations (version, name) VALUES (?, 'future.sql')`, SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("open of a newer schema: %v", err)
	}
}
