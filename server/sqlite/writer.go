package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync/atomic"

	"wartemarke/server/queue"
)

// Group commit.
//
// SQLite has one writer at a time, and with synchronous=FULL every COMMIT
// waits for an fsync of the write-ahead log. One transaction per request
// therefore caps the store at its single-commit rate (a few thousand a
// second on an ordinary disk), and a burst of kiosks queues behind the
// fsyncs. Instead, writes that find another one committing wait in a
// queue, and one writer goroutine takes every request waiting at that
// moment (up to maxBatch), runs each in its own SAVEPOINT of one
// transaction, and commits once: one fsync for the whole batch. A write
// that finds nobody committing and nobody waiting commits itself, on its
// caller's goroutine, the same way (a batch of one): that saves the switch
// to the writer and back, which on a virtual machine costs as much as
// the statements of a draw. A request that fails is rolled back
// to its savepoint and gets its own error; the others commit. Answers are
// given only after COMMIT returned, so an answer still means committed and
// on disk.
//
// While one batch commits, the next requests gather, so batches grow with
// the load by themselves: one kiosk at a time pays one fsync per draw, a
// burst of 64 shares each fsync among the draws that waited for it.

// maxBatch bounds a batch, so that one commit stays short and the requests
// that arrive during it wait for at most one more.
const maxBatch = 128

// txFunc is the work of one write request. It runs inside the batch's
// transaction with a context that is never cancelled: an interrupted
// statement would roll back the whole transaction, the other requests'
// work included. The store checks the request's own context before it
// starts the work.
type txFunc func(ctx context.Context, tx *batchTx) error

// The states of a write request.
const (
	reqQueued    int32 = iota // sent to the writer, not started
	reqTaken                  // the writer runs or has run it; its answer will come
	reqAbandoned              // the caller gave up before it started
)

// writeReq is one write waiting for the writer.
type writeReq struct {
	ctx context.Context
	fn  txFunc
	// draw marks a draw: it opens no ticket of an earlier day, so it
	// leaves the store's record of expired days in place (Store.expired).
	draw  bool
	state atomic.Int32
	// done receives the outcome once; it is buffered, so the writer never
	// waits for a caller.
	done chan error
}

// errClosed answers writes made while or after the store closes.
var errClosed = queue.Errorf(queue.Unavailable, "the ticket store is closed")

// tx runs fn as one request of a batch (see Group commit) and returns its
// error, or nil once the batch holding its work has been committed.
// A caller whose ctx ends before the writer started its work gets ctx's
// error and nothing of it is committed; once started, the answer follows
// within the batch.
func (s *Store) tx(ctx context.Context, fn txFunc) error {
	return s.submit(ctx, &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)})
}

// drawTx is tx for a draw.
func (s *Store) drawTx(ctx context.Context, fn txFunc) error {
	return s.submit(ctx, &writeReq{ctx: ctx, fn: fn, draw: true, done: make(chan error, 1)})
}

func (s *Store) submit(ctx context.Context, r *writeReq) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.qmu.Lock()
	if s.closed {
		s.qmu.Unlock()
		return errClosed
	}
	// Nobody writes and nobody waits: the caller commits its own write,
	// without two goroutine switches to the writer and back (most of the
	// time one kiosk at a time spends beside the fsync).
	if len(s.queue) == 0 && s.wlock.TryLock() {
		s.qmu.Unlock()
		s.commit([]*writeReq{r})
		s.wlock.Unlock()
		return <-r.done
	}
	s.queue = append(s.queue, r)
	s.waiting.Store(int64(len(s.queue)))
	s.qmu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default: // the writer has been told already
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return ctx.Err()
		}
		return <-r.done
	}
}

// closing tells whether Close has been called.
func (s *Store) closing() bool {
	select {
	case <-s.quit:
		return true
	default:
		return false
	}
}

// take removes up to maxBatch waiting requests from the queue.
func (s *Store) take() []*writeReq {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	n := min(len(s.queue), maxBatch)
	batch := slices.Clone(s.queue[:n])
	s.queue = slices.Delete(s.queue, 0, n)
	s.waiting.Store(int64(len(s.queue)))
	return batch
}

// putBack returns requests not run to the front of the queue.
func (s *Store) putBack(rs []*writeReq) {
	s.qmu.Lock()
	s.queue = append(rs, s.queue...)
	s.waiting.Store(int64(len(s.queue)))
	s.qmu.Unlock()
}

// write is the writer goroutine: told that writes wait, it takes the
// writing lock and commits them in batches until none waits. It ends when
// the store closes: the batch being committed then is answered as usual,
// every request still waiting gets errClosed.
func (s *Store) write() {
	defer close(s.writerDone)
	for {
		select {
		case <-s.kick:
		case <-s.quit:
			s.qmu.Lock()
			s.closed = true
			rest := s.queue
			s.queue = nil
			s.waiting.Store(0)
			s.qmu.Unlock()
			for _, r := range rest {
				if r.state.CompareAndSwap(reqQueued, reqTaken) {
					r.done <- errClosed
				}
			}
			return
		}
		s.wlock.Lock()
		for !s.closing() {
			batch := s.take()
			if len(batch) == 0 {
				break
			}
			if rest := s.commit(batch); len(rest) > 0 {
				s.putBack(rest)
			}
		}
		s.wlock.Unlock()
	}
}

// commit runs batch in one transaction and answers each request. When the
// transaction itself breaks, the requests that ran are answered with the
// error and those not yet run are returned, for the next batch.
func (s *Store) commit(batch []*writeReq) (rest []*writeReq) {
	// The transaction's own context is not any caller's: one caller
	// giving up must not roll back the others.
	ctx := context.Background()
	sqltx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		for _, r := range batch {
			if r.state.CompareAndSwap(reqQueued, reqTaken) {
				r.done <- unavailable(err)
			}
		}
		return nil
	}
	tx := &batchTx{Tx: sqltx, s: s}
	// Prepare what this batch ran unprepared, once the connection is free
	// again.
	defer func() { s.prepare(tx.misses) }()
	ran := make([]*writeReq, 0, len(batch))
	broken := func(i int, err error) []*writeReq {
		tx.Rollback()
		s.expired = ""
		for _, r := range ran {
			r.done <- unavailable(err)
		}
		return batch[i+1:]
	}
	for i, r := range batch {
		if !r.state.CompareAndSwap(reqQueued, reqTaken) {
			continue
		}
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		// A request alone in its batch needs no savepoint: when it
		// fails, the whole transaction is rolled back.
		alone := len(batch) == 1
		if !alone {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT request`); err != nil {
				r.done <- unavailable(err)
				return broken(i, err)
			}
		}
		mark := tx.mark()
		ferr := r.fn(context.WithoutCancel(r.ctx), tx)
		if !r.draw || ferr != nil {
			s.expired = ""
		}
		if ferr != nil {
			// Nothing of a failed request is committed, so its answer
			// need not wait for the commit.
			r.done <- ferr
			if alone {
				tx.Rollback()
				return nil
			}
			tx.rollbackTo(mark)
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO request`); err != nil {
				// SQLite rolled back the whole transaction (a full
				// disk, an I/O error): the others' work is gone too.
				return broken(i, err)
			}
			if _, err := tx.ExecContext(ctx, `RELEASE request`); err != nil {
				return broken(i, err)
			}
			continue
		}
		if !alone {
			if _, err := tx.ExecContext(ctx, `RELEASE request`); err != nil {
				ran = append(ran, r)
				return broken(i, err)
			}
		}
		ran = append(ran, r)
	}
	if len(ran) == 0 {
		tx.Rollback()
		return nil
	}
	seq, err := tx.flushSeq(ctx)
	if err != nil {
		return broken(len(batch)-1, err)
	}
	if err := tx.Commit(); err != nil {
		s.expired = ""
		for _, r := range ran {
			r.done <- unavailable(err)
		}
		return nil
	}
	s.commits.Add(1)
	s.tail.add(tx.events)
	s.committed(seq)
	for _, r := range ran {
		r.done <- nil
	}
	return nil
}

// committed publishes seq as the newest committed event and wakes the
// event waiters.
func (s *Store) committed(seq int64) {
	for {
		old := s.lastSeq.Load()
		if seq <= old || s.lastSeq.CompareAndSwap(old, seq) {
			break
		}
	}
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// batchTx is the batch's transaction as a request's work sees it. It runs
// statements the writer has prepared before on its connection: with the
// pure-Go SQLite, parsing a statement costs about as much as running it,
// and a draw runs about ten.
type batchTx struct {
	*sql.Tx
	s *Store
	// stmts are this transaction's handles of prepared statements.
	stmts map[string]*sql.Stmt
	// misses are the queries run unprepared, to prepare after the batch.
	misses []string
	// seq is the newest event seq taken in this transaction, read from
	// meta at the first event (seqRead) and written back once, before the
	// commit (seqTaken): one statement per batch instead of one per event.
	seq               int64
	seqRead, seqTaken bool
	// events are the events recorded in this transaction, in seq order,
	// for the store's tail once it commits.
	events []tailEvent
}

// txMark is what a request's SAVEPOINT must restore in the Go state of
// the transaction when the request is rolled back.
type txMark struct {
	seq    int64
	events int
}

func (t *batchTx) mark() txMark { return txMark{seq: t.seq, events: len(t.events)} }

func (t *batchTx) rollbackTo(m txMark) {
	t.seq, t.events = m.seq, t.events[:m.events]
}

// lastSeq is the newest seq taken, this transaction's included.
func (t *batchTx) lastSeq(ctx context.Context) (int64, error) {
	if !t.seqRead {
		if err := t.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'seq'`).Scan(&t.seq); err != nil {
			return 0, fmt.Errorf("read seq: %w", err)
		}
		t.seqRead = true
	}
	return t.seq, nil
}

// nextSeq takes the next event seq.
func (t *batchTx) nextSeq(ctx context.Context) (int64, error) {
	if _, err := t.lastSeq(ctx); err != nil {
		return 0, err
	}
	t.seq++
	t.seqTaken = true
	return t.seq, nil
}

// flushSeq writes the seqs taken back to meta and returns the newest.
func (t *batchTx) flushSeq(ctx context.Context) (int64, error) {
	seq, err := t.lastSeq(ctx)
	if err != nil || !t.seqTaken {
		return seq, err
	}
	if _, err := t.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'seq'`, seq); err != nil {
		return 0, fmt.Errorf("write seq: %w", err)
	}
	return seq, nil
}

// maxPrepared bounds the prepared statements kept. The store's queries are
// a fixed set, but a few are built for their arguments (a desk's lines).
const maxPrepared = 200

// stmt returns query's prepared statement in this transaction, or nil when
// it is not prepared yet. It runs on the writer goroutine only.
func (t *batchTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := t.stmts[query]; ok {
		return st
	}
	p, ok := t.s.prepared[query]
	if !ok {
		t.misses = append(t.misses, query)
		return nil
	}
	if t.stmts == nil {
		t.stmts = make(map[string]*sql.Stmt)
	}
	// The statement was prepared on this very connection (the writing
	// pool has one), so this only binds it to the transaction.
	st := t.Tx.StmtContext(ctx, p)
	t.stmts[query] = st
	return st
}

// ExecContext runs a statement that returns no rows.
func (t *batchTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query.
func (t *batchTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query that returns at most one row.
func (t *batchTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

// prepare prepares queries on the writing connection, which must be free.
// A query that fails to prepare is left to run unprepared.
func (s *Store) prepare(queries []string) {
	for _, q := range queries {
		if _, ok := s.prepared[q]; ok || len(s.prepared) >= maxPrepared {
			continue
		}
		if st, err := s.w.Prepare(q); err == nil {
			s.prepared[q] = st
		}
	}
}
