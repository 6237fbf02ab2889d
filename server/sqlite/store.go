// Package sqlite is Wartemarke's embedded, durable store: one SQLite file in
// WAL mode, written through modernc.org/sqlite (pure Go, no cgo, nothing to
// install).
//
// Durability: every change commits tickets and their events in one
// transaction. The database runs with journal_mode=WAL and synchronous=FULL,
// so SQLite fsyncs the write-ahead log before COMMIT returns: a draw that the
// API answered with 201 is on disk and survives kill -9 and power loss.
// Writes are group-committed by one writer goroutine (writer.go): the
// changes waiting at the same moment share one transaction and one fsync,
// each in its own savepoint, and each is answered after that commit.
// (synchronous=NORMAL would be crash-safe for the process but could lose the
// last commits on power loss; we do not use it.)
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"wartemarke/server/queue"
)

// FileName is the database file's name inside the data folder.
const FileName = "wartemarke.db"

// pollInterval is how often WaitEvents looks at the file for commits made by
// another process (an admin command while the service runs).
const pollInterval = time.Second

// Store implements queue.Store on a SQLite file.
type Store struct {
	path string
	// w is the one writing connection: SQLite has one writer at a time, and
	// serialising in Go avoids busy retries inside the process.
	w *sql.DB
	// r is a pool of readers; WAL lets them read while w writes.
	r *readPool

	lastSeq atomic.Int64
	mu      sync.Mutex
	changed chan struct{} // closed and replaced after every commit

	// queue holds the write requests waiting for the writer (see Group
	// commit); kick tells the writer goroutine that some wait. closed is
	// set once the writer has answered the last of them at Close.
	qmu    sync.Mutex
	queue  []*writeReq
	closed bool
	kick   chan struct{}
	// wlock is held by whoever commits a batch: the writer goroutine, or
	// a caller that found it idle with nothing waiting and commits its own
	// write. It guards the writing connection and the fields below.
	wlock      sync.Mutex
	quit       chan struct{} // closed by Close
	closeOnce  sync.Once
	writerDone chan struct{} // closed when the writer has ended
	// prepared are the writer's statements by query; only the holder of
	// wlock uses them.
	prepared map[string]*sql.Stmt
	// waiting counts writes not yet taken by the writer; commits counts
	// the batches committed.
	waiting, commits atomic.Int64
	// tail holds the newest committed events (see tail.go).
	tail tail

	// Only the holder of wlock uses the fields below.

	// expired is the service day whose earlier days' open tickets a draw
	// has expired, while nothing but draws committed since; "" when
	// unknown. Any other write (which might reopen a ticket of an earlier
	// day), a rolled-back draw and a failed commit forget it.
	expired string
}

var _ queue.Store = (*Store)(nil)

// Open opens (creating when needed) the database in dir and migrates it.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, err)
	}
	return OpenFile(filepath.Join(dir, FileName))
}

// OpenFile opens the database at path.
func OpenFile(path string) (*Store, error) {
	dsn := func(txlock string) string {
		q := url.Values{}
		for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)", "temp_store(MEMORY)"} {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", txlock)
		return "file:" + path + "?" + q.Encode()
	}
	w, err := sql.Open("sqlite", dsn("immediate"))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", dsn("deferred"))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	s := &Store{path: path, w: w, r: newReadPool(r), changed: make(chan struct{}),
		kick: make(chan struct{}, 1), quit: make(chan struct{}), writerDone: make(chan struct{}),
		prepared: make(map[string]*sql.Stmt)}
	go s.write()
	ctx := context.Background()
	if err := migrate(ctx, w); err != nil {
		s.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	var mode string
	if err := w.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || !strings.EqualFold(mode, "wal") {
		s.Close()
		return nil, fmt.Errorf("open %s: WAL mode not active (%q, %v)", path, mode, err)
	}
	seq, err := s.LastSeq(ctx)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.lastSeq.Store(seq)
	return s, nil
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the database. The batch being committed is answered as
// usual; writes still waiting for the writer, and any made later, fail
// with Unavailable.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.quit) })
	<-s.writerDone
	// A caller may still commit its own write (submit's fast path).
	s.wlock.Lock()
	defer s.wlock.Unlock()
	for q, st := range s.prepared {
		st.Close()
		delete(s.prepared, q)
	}
	return errors.Join(s.r.Close(), s.w.Close())
}

// Ping tells whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.w.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return queue.Errorf(queue.Unavailable, "store unavailable")
	}
	return nil
}

func unavailable(err error) error {
	if err == nil {
		return nil
	}
	var qe *queue.Error
	if errors.As(err, &qe) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: %v", queue.Errorf(queue.Unavailable, "the ticket store is not available"), err)
}

// record appends one event for t and returns it.
func record(ctx context.Context, tx *batchTx, typ queue.EventType, at time.Time, t queue.Ticket) (queue.Event, error) {
	seq, err := tx.nextSeq(ctx)
	if err != nil {
		return queue.Event{}, err
	}
	return recordAt(ctx, tx, seq, typ, at, t)
}

// recordAt appends the event for t with a seq taken by nextSeq.
func recordAt(ctx context.Context, tx *batchTx, seq int64, typ queue.EventType, at time.Time, t queue.Ticket) (queue.Event, error) {
	t.Ahead = nil
	b, err := json.Marshal(t)
	if err != nil {
		return queue.Event{}, err
	}
	if err := insertEvent(ctx, tx, seq, typ, at, b); err != nil {
		return queue.Event{}, err
	}
	return queue.Event{Seq: seq, Type: typ, At: at, Ticket: t}, nil
}

// recordState appends an event carrying b, a desk's or a line's state as
// JSON, with the next seq.
func recordState(ctx context.Context, tx *batchTx, typ queue.EventType, at time.Time, b []byte) error {
	seq, err := tx.nextSeq(ctx)
	if err != nil {
		return err
	}
	return insertEvent(ctx, tx, seq, typ, at, b)
}

// insertEvent writes the event seq with its payload b.
func insertEvent(ctx context.Context, tx *batchTx, seq int64, typ queue.EventType, at time.Time, b []byte) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (seq, type, at, ticket) VALUES (?, ?, ?, ?)`, seq, string(typ), at.UnixMilli(), b); err != nil {
		return fmt.Errorf("insert event: %w", err)
	}
	tx.events = append(tx.events, tailEvent{seq: seq, typ: typ, at: at.UnixMilli(), payload: b})
	return nil
}

const ticketCols = `id, day, line, issued_line, num, number, lang, status, place, desk, recalls, transfers, token, issued_at, called_at, finished_at, print, print_error, call_reason`

type scanner interface{ Scan(...any) error }

func scanTicket(row scanner) (queue.Ticket, error) {
	var t queue.Ticket
	var num int
	var issued int64
	var called, finished sql.NullInt64
	err := row.Scan(&t.ID, &t.Day, &t.Line, &t.IssuedLine, &num, &t.Number, &t.Lang, &t.Status, &t.Place,
		&t.Desk, &t.Recalls, &t.Transfers, &t.Token, &issued, &called, &finished, &t.Print, &t.PrintError, &t.CallReason)
	if err != nil {
		return t, err
	}
	t.IssuedAt = time.UnixMilli(issued).UTC()
	t.CalledAt, t.FinishedAt = fromMillis(called), fromMillis(finished)
	return t, nil
}

func millis(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

// update writes the mutable fields of t.
func update(ctx context.Context, tx *batchTx, t queue.Ticket) error {
	_, err := tx.ExecContext(ctx, `UPDATE tickets SET line = ?, status = ?, desk = ?, recalls = ?, transfers = ?, called_at = ?, finished_at = ?, print = ?, print_error = ?, call_reason = ?, place = ? WHERE id = ?`,
		t.Line, string(t.Status), t.Desk, t.Recalls, t.Transfers, millis(t.CalledAt), millis(t.FinishedAt), string(t.Print), t.PrintError, t.CallReason, t.Place, t.ID)
	return err
}

// expire marks open tickets of days before day expired, one event each.
func expire(ctx context.Context, tx *batchTx, day string, now time.Time) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE status IN ('waiting','called') AND day < ? ORDER BY place`, day)
	if err != nil {
		return err
	}
	var old []queue.Ticket
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			rows.Close()
			return err
		}
		old = append(old, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range old {
		t = queue.Expire(t, now)
		if err := update(ctx, tx, t); err != nil {
			return err
		}
		if _, err := record(ctx, tx, queue.EventExpired, now, t); err != nil {
			return err
		}
	}
	return nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getTicket(ctx context.Context, q querier, id string) (queue.Ticket, error) {
	t, err := scanTicket(q.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, queue.Errorf(queue.NotFound, "no ticket %q", id)
	}
	return t, err
}

// withAhead fills in how many wait before t in its line.
func withAhead(ctx context.Context, q querier, t queue.Ticket) (queue.Ticket, error) {
	if t.Status != queue.StatusWaiting {
		return t, nil
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets WHERE status = 'waiting' AND day = ? AND line = ? AND place < ?`,
		t.Day, t.Line, t.Place).Scan(&n); err != nil {
		return t, err
	}
	t.Ahead = &n
	return t, nil
}

// Draw issues the next number of the line for the day.
func (s *Store) Draw(ctx context.Context, r queue.DrawRequest) (queue.Ticket, bool, error) {
	var t queue.Ticket
	var replay bool
	err := s.drawTx(ctx, func(ctx context.Context, tx *batchTx) error {
		// A burst of draws shares a batch: the first one expires the
		// earlier days' tickets, the others know it is done.
		if s.expired != r.Day {
			if err := expire(ctx, tx, r.Day, r.Now); err != nil {
				return err
			}
			s.expired = r.Day
		}
		if r.IdemKey != "" {
			claimed := false
			if !r.ReplayOnly {
				// Claim the key first: a new key, or one past its time,
				// becomes this draw's (undone with the draw if it fails);
				// a live one stays and is read below. One statement for
				// the usual case.
				res, err := tx.ExecContext(ctx, `INSERT INTO idempotency (key, body_hash, ticket_id, created_at) VALUES (?, ?, ?, ?)
					ON CONFLICT (key) DO UPDATE SET body_hash = excluded.body_hash, ticket_id = excluded.ticket_id, created_at = excluded.created_at
					WHERE idempotency.created_at < ?`,
					r.IdemKey, r.IdemHash, r.ID, r.Now.UnixMilli(), r.IdemSince.UnixMilli())
				if err != nil {
					return err
				}
				n, err := res.RowsAffected()
				if err != nil {
					return err
				}
				claimed = n == 1
			}
			if !claimed {
				var hash, id string
				err := tx.QueryRowContext(ctx, `SELECT body_hash, ticket_id FROM idempotency WHERE key = ? AND created_at >= ?`,
					r.IdemKey, r.IdemSince.UnixMilli()).Scan(&hash, &id)
				switch {
				case err == nil && hash != r.IdemHash:
					return queue.Errorf(queue.IdempotencyMismatch, "this Idempotency-Key was used for a different request")
				case err == nil:
					old, err := getTicket(ctx, tx, id)
					if err != nil {
						return err
					}
					t, err = withAhead(ctx, tx, old)
					replay = true
					return err
				case !errors.Is(err, sql.ErrNoRows):
					return err
				}
			}
		}
		if r.ReplayOnly {
			return queue.Errorf(queue.NotFound, "no draw with this Idempotency-Key")
		}
		// The line's next number, and how many wait in it: every other
		// waiting ticket of the line has a lower place (an earlier seq),
		// so all of them are ahead of this one. One statement for both.
		var num, ahead int
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COALESCE(MAX(num), 0) + 1 FROM tickets WHERE day = ?1 AND issued_line = ?2),
			COALESCE((SELECT n FROM waiting_count WHERE day = ?1 AND line = ?2), 0)`,
			r.Day, r.Line.ID).Scan(&num, &ahead); err != nil {
			return fmt.Errorf("next number: %w", err)
		}
		t = queue.Ticket{
			ID: r.ID, Number: queue.FormatNumber(r.Line.Prefix, num), Line: r.Line.ID, IssuedLine: r.Line.ID,
			Lang: r.Lang, Status: queue.StatusWaiting, Day: r.Day, IssuedAt: r.Now, Token: r.Token,
		}
		// The issued event's seq is the ticket's place; take it first so
		// the event carries it too.
		seq, err := tx.nextSeq(ctx)
		if err != nil {
			return err
		}
		t.Place = seq
		// The other columns start at their defaults (no desk, no calls).
		if _, err := tx.ExecContext(ctx, `INSERT INTO tickets (id, day, line, issued_line, num, number, lang, status, place, token, issued_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
			t.ID, t.Day, t.Line, t.IssuedLine, num, t.Number, t.Lang, string(t.Status), t.Place, t.Token,
			t.IssuedAt.UnixMilli()); err != nil {
			return fmt.Errorf("insert ticket: %w", err)
		}
		if _, err := recordAt(ctx, tx, seq, queue.EventIssued, r.Now, t); err != nil {
			return err
		}
		t.Ahead = &ahead
		return nil
	})
	if err != nil {
		return queue.Ticket{}, false, unavailable(err)
	}
	return t, replay, nil
}

// finishDesk marks the ticket still called at desk done, if there is one.
func finishDesk(ctx context.Context, tx *batchTx, day, desk string, now time.Time) error {
	cur, err := scanTicket(tx.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE status = 'called' AND day = ? AND desk = ? ORDER BY place`, day, desk))
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	done, _, err := queue.Apply(cur, queue.ActDone, "", now)
	if err != nil {
		return err
	}
	if err := update(ctx, tx, done); err != nil {
		return err
	}
	_, err = record(ctx, tx, queue.EventDone, now, done)
	return err
}

// Next calls the oldest waiting ticket of the desk's lines.
func (s *Store) Next(ctx context.Context, r queue.NextRequest) (queue.Ticket, error) {
	var t queue.Ticket
	var empty bool
	err := s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
		if err := expire(ctx, tx, r.Day, r.Now); err != nil {
			return err
		}
		if err := finishDesk(ctx, tx, r.Day, r.Desk, r.Now); err != nil {
			return err
		}
		args := []any{r.Day}
		for _, l := range r.Lines {
			args = append(args, l)
		}
		in := strings.TrimSuffix(strings.Repeat("?,", len(r.Lines)), ",")
		next, err := scanTicket(tx.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE status = 'waiting' AND day = ? AND line IN (`+in+`) ORDER BY place LIMIT 1`, args...))
		if errors.Is(err, sql.ErrNoRows) {
			empty = true
			return nil
		}
		if err != nil {
			return err
		}
		t, err = queue.CallTicket(next, r.Desk, r.Now)
		if err != nil {
			return err
		}
		if err := update(ctx, tx, t); err != nil {
			return err
		}
		_, err = record(ctx, tx, queue.EventCalled, r.Now, t)
		return err
	})
	if err != nil {
		return queue.Ticket{}, unavailable(err)
	}
	if empty {
		return queue.Ticket{}, queue.Errorf(queue.Empty, "nobody is waiting in %s", strings.Join(r.Lines, ", "))
	}
	return t, nil
}

// Act applies an action to one ticket.
func (s *Store) Act(ctx context.Context, r queue.ActRequest) (queue.Ticket, error) {
	var t queue.Ticket
	err := s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
		if err := expire(ctx, tx, r.Day, r.Now); err != nil {
			return err
		}
		cur, err := getTicket(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		last, err := tx.lastSeq(ctx)
		if err != nil {
			return err
		}
		r.NextSeq = last + 1
		if r.Action == queue.ActCall && cur.Status == queue.StatusWaiting {
			// As with Next: the desk's current ticket is done first.
			if err := finishDesk(ctx, tx, r.Day, r.Desk, r.Now); err != nil {
				return err
			}
		}
		next, typ, err := queue.ApplyRequest(cur, r)
		if err != nil {
			return err
		}
		t, err = save(ctx, tx, next, typ, r.Now)
		return err
	})
	if err != nil {
		return queue.Ticket{}, unavailable(err)
	}
	return t, nil
}

// save writes a changed ticket and its event and returns it with Ahead.
func save(ctx context.Context, tx *batchTx, t queue.Ticket, typ queue.EventType, now time.Time) (queue.Ticket, error) {
	if err := update(ctx, tx, t); err != nil {
		return t, err
	}
	if _, err := record(ctx, tx, typ, now, t); err != nil {
		return t, err
	}
	return withAhead(ctx, tx, t)
}

// SetPrint records the outcome of a ticket's slip.
func (s *Store) SetPrint(ctx context.Context, r queue.PrintRequest) (queue.Ticket, error) {
	var t queue.Ticket
	err := s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
		cur, err := getTicket(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		next, typ, err := queue.SetPrint(cur, r.State, r.Reason)
		if err != nil {
			return err
		}
		t, err = save(ctx, tx, next, typ, r.Now)
		return err
	})
	if err != nil {
		return queue.Ticket{}, unavailable(err)
	}
	return t, nil
}

// SetDesk stores a desk's state and records desk.updated.
func (s *Store) SetDesk(ctx context.Context, r queue.DeskRequest) (queue.DeskState, error) {
	err := s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
		b, err := json.Marshal(r.State)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO desks (label, day, state) VALUES (?, ?, ?)
			ON CONFLICT (day, label) DO UPDATE SET state = excluded.state`, r.State.Label, r.Day, b); err != nil {
			return err
		}
		return recordState(ctx, tx, queue.EventDeskUpdated, r.Now, b)
	})
	if err != nil {
		return queue.DeskState{}, unavailable(err)
	}
	return r.State, nil
}

// TicketByToken returns the ticket with a status token.
func (s *Store) TicketByToken(ctx context.Context, token string) (queue.Ticket, error) {
	t, err := scanTicket(s.r.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE token = ?`, token))
	if errors.Is(err, sql.ErrNoRows) {
		return t, queue.Errorf(queue.NotFound, "no such ticket")
	}
	if err != nil {
		return t, unavailable(err)
	}
	t, err = withAhead(ctx, s.r, t)
	return t, unavailable(err)
}

// Ticket returns one ticket.
func (s *Store) Ticket(ctx context.Context, id string) (queue.Ticket, error) {
	t, err := getTicket(ctx, s.r, id)
	if err != nil {
		return t, unavailable(err)
	}
	t, err = withAhead(ctx, s.r, t)
	return t, unavailable(err)
}

// Snapshot returns the day's open tickets and recent calls as of one seq.
func (s *Store) Snapshot(ctx context.Context, day string) (queue.Snapshot, error) {
	snap := queue.Snapshot{Tickets: []queue.Ticket{}, Recent: []queue.Call{}, Desks: []queue.DeskState{}}
	// One read transaction: WAL gives it one consistent view of the file.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return snap, unavailable(err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'seq'`).Scan(&snap.Seq); err != nil {
		return snap, unavailable(err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE status IN ('waiting','called') AND day = ? ORDER BY place`, day)
	if err != nil {
		return snap, unavailable(err)
	}
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			rows.Close()
			return snap, unavailable(err)
		}
		snap.Tickets = append(snap.Tickets, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return snap, unavailable(err)
	}
	srows, err := tx.QueryContext(ctx, `SELECT line, called_at, finished_at FROM tickets
		WHERE day = ? AND status = 'done' AND called_at IS NOT NULL AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 200`, day)
	if err != nil {
		return snap, unavailable(err)
	}
	servedPerLine := map[string]int{}
	for srows.Next() {
		var sv queue.Served
		var c, f int64
		if err := srows.Scan(&sv.Line, &c, &f); err != nil {
			srows.Close()
			return snap, unavailable(err)
		}
		if servedPerLine[sv.Line] >= queue.ServedPerLine {
			continue
		}
		servedPerLine[sv.Line]++
		sv.CalledAt, sv.FinishedAt = time.UnixMilli(c).UTC(), time.UnixMilli(f).UTC()
		snap.Served = append(snap.Served, sv)
	}
	srows.Close()
	slices.Reverse(snap.Served)
	mrows, err := tx.QueryContext(ctx, `SELECT state FROM line_modes WHERE day = ? ORDER BY line`, day)
	if err != nil {
		return snap, unavailable(err)
	}
	for mrows.Next() {
		var b []byte
		var m queue.LineMode
		if err := mrows.Scan(&b); err != nil {
			mrows.Close()
			return snap, unavailable(err)
		}
		if json.Unmarshal(b, &m) == nil && m.Mode != queue.ModeAuto {
			snap.LineModes = append(snap.LineModes, m)
		}
	}
	mrows.Close()
	drows, err := tx.QueryContext(ctx, `SELECT state FROM desks WHERE day = ? ORDER BY label`, day)
	if err != nil {
		return snap, unavailable(err)
	}
	for drows.Next() {
		var b []byte
		var d queue.DeskState
		if err := drows.Scan(&b); err != nil {
			drows.Close()
			return snap, unavailable(err)
		}
		if err := json.Unmarshal(b, &d); err == nil && d.Open {
			snap.Desks = append(snap.Desks, d)
		}
	}
	drows.Close()
	rows, err = tx.QueryContext(ctx, `SELECT line, number, desk, called_at FROM tickets WHERE day = ? AND called_at IS NOT NULL ORDER BY called_at DESC, place DESC LIMIT 200`, day)
	if err != nil {
		return snap, unavailable(err)
	}
	defer rows.Close()
	perLine := map[string]int{}
	for rows.Next() {
		var c queue.Call
		var at int64
		if err := rows.Scan(&c.Line, &c.Number, &c.Desk, &at); err != nil {
			return snap, unavailable(err)
		}
		if perLine[c.Line] >= queue.RecentCalls {
			continue
		}
		perLine[c.Line]++
		c.At = time.UnixMilli(at).UTC()
		snap.Recent = append(snap.Recent, c)
	}
	return snap, unavailable(rows.Err())
}

// EventsAfter returns up to limit events with seq > after: from the tail
// this process committed when it holds them, else from the file.
func (s *Store) EventsAfter(ctx context.Context, after int64, limit int) ([]queue.Event, error) {
	if evs, ok, err := s.tail.after(after, limit); ok {
		return evs, err
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, unavailable(err)
	}
	defer tx.Rollback()
	var last int64
	var first sql.NullInt64
	// The hub reads here when the tail cannot tell: prepared statements.
	bounds := s.r.inTx(ctx, tx, `SELECT (SELECT value FROM meta WHERE key = 'seq'), (SELECT MIN(seq) FROM events)`)
	page := s.r.inTx(ctx, tx, `SELECT seq, type, at, ticket FROM events WHERE seq > ? ORDER BY seq LIMIT ?`)
	if bounds == nil || page == nil {
		return nil, unavailable(errors.New("cannot prepare the event reads"))
	}
	if err := bounds.QueryRowContext(ctx).Scan(&last, &first); err != nil {
		return nil, unavailable(err)
	}
	if after < last && (!first.Valid || after+1 < first.Int64) {
		return nil, queue.Errorf(queue.Gone, "events after %d are no longer kept", after)
	}
	rows, err := page.QueryContext(ctx, after, limit)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []queue.Event
	for rows.Next() {
		var seq, at int64
		var typ queue.EventType
		var b []byte
		if err := rows.Scan(&seq, &typ, &at, &b); err != nil {
			return nil, unavailable(err)
		}
		ev, err := decodeEvent(seq, typ, at, b)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, unavailable(rows.Err())
}

// LastSeq returns the seq of the newest event.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'seq'`).Scan(&seq); err != nil {
		return 0, unavailable(err)
	}
	return seq, nil
}

// WaitEvents returns when an event after `after` exists or ctx ends. Commits
// of this process wake it at once; those of another process within
// pollInterval.
func (s *Store) WaitEvents(ctx context.Context, after int64) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if s.lastSeq.Load() > after {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		case <-t.C:
			seq, err := s.LastSeq(ctx)
			if err != nil {
				return err
			}
			if seq > after {
				s.lastSeq.Store(max(seq, s.lastSeq.Load()))
				return nil
			}
		}
	}
}

// PruneEvents deletes events older than before, keeping at least the newest
// one so seq stays known. It returns how many it deleted.
func (s *Store) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
		last, err := tx.lastSeq(ctx)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE at < ? AND seq < ?`, before.UnixMilli(), last)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if n > 0 {
		// The tail may hold some of them: what is gone from the file is
		// gone from the tail too.
		s.tail.reset()
	}
	return n, err
}
