package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"wartemarke/server/queue"
)

// holdWriter occupies the writer with a request that waits until the
// returned function is called, so that the writes made meanwhile queue up
// and are taken as one batch.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, hold := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.tx(context.Background(), func(context.Context, *batchTx) error {
			close(started)
			<-hold
			return nil
		})
	}()
	<-started
	return func() {
		close(hold)
		if err := <-done; err != nil {
			t.Errorf("holding request: %v", err)
		}
	}
}

// awaitWaiting waits until n writes wait for the writer.
func awaitWaiting(t *testing.T, s *Store, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.waiting.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes waiting, want %d", s.waiting.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func newService(t *testing.T) (*Store, *queue.Service) {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, queue.NewService(s, queue.DefaultLines())
}

// TestBatchKeepsErrorsApart draws in one batch, every third draw with a key
// already used for another body: those fail with their own error, the
// others commit with consecutive numbers, one event each, in one commit.
func TestBatchKeepsErrorsApart(t *testing.T) {
	s, svc := newService(t)
	ctx := context.Background()
	if _, _, err := svc.Draw(ctx, "mbe", "de", "used", "h1"); err != nil {
		t.Fatal(err)
	}
	seq0, _ := s.LastSeq(ctx)
	commits0 := s.commits.Load()
	release := holdWriter(t, s)
	const n = 30
	type result struct {
		t   queue.Ticket
		err error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			key := fmt.Sprintf("k%d", i)
			if i%3 == 0 {
				key = "used"
			}
			tk, _, err := svc.Draw(ctx, "mbe", "de", key, "h2")
			results[i] = result{tk, err}
		})
	}
	awaitWaiting(t, s, n)
	release()
	wg.Wait()
	if got, want := s.commits.Load()-commits0, int64(2); got != want {
		t.Errorf("commits=%d, want %d (the holding request's and one batch)", got, want)
	}
	nums := map[string]bool{}
	for i, r := range results {
		if i%3 == 0 {
			if queue.ErrorCode(r.err) != queue.IdempotencyMismatch {
				t.Errorf("draw %d with a reused key: err=%v, want idempotency_mismatch", i, r.err)
			}
			continue
		}
		if r.err != nil {
			t.Fatalf("draw %d: %v", i, r.err)
		}
		nums[r.t.Number] = true
	}
	for k := 2; k <= 1+n-n/3; k++ {
		if num := queue.FormatNumber("M", k); !nums[num] {
			t.Errorf("number %s missing from %v", num, nums)
		}
	}
	evs, err := s.EventsAfter(ctx, seq0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(evs), n-n/3; got != want {
		t.Fatalf("events=%d, want %d", got, want)
	}
	for i, e := range evs {
		if e.Seq != seq0+int64(i)+1 || e.Type != queue.EventIssued {
			t.Fatalf("event %d: seq=%d type=%s", i, e.Seq, e.Type)
		}
		if e.Ticket.Place != e.Seq {
			t.Errorf("event %d: place=%d", e.Seq, e.Ticket.Place)
		}
	}
	for _, r := range results {
		if r.err == nil {
			if got, err := svc.Ticket(ctx, r.t.ID); err != nil || got.Number != r.t.Number {
				t.Errorf("ticket %s read back: %+v, %v", r.t.Number, got, err)
			}
		}
	}
}

// TestBatchAheadCounts checks that draws of one batch see each other:
// each one has all earlier draws of its line ahead of it.
func TestBatchAheadCounts(t *testing.T) {
	s, svc := newService(t)
	ctx := context.Background()
	release := holdWriter(t, s)
	const n = 20
	aheads := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			tk, _, err := svc.Draw(ctx, "jmd", "de", "", "")
			if err != nil || tk.Ahead == nil {
				t.Errorf("draw: %+v, %v", tk, err)
				return
			}
			aheads <- *tk.Ahead
		})
	}
	awaitWaiting(t, s, n)
	release()
	wg.Wait()
	close(aheads)
	seen := map[int]bool{}
	for a := range aheads {
		seen[a] = true
	}
	for a := range n {
		if !seen[a] {
			t.Errorf("no draw with %d ahead: %v", a, seen)
		}
	}
}

// TestGivenUpBeforeStart checks that a write whose caller gave up while it
// waited is not made.
func TestGivenUpBeforeStart(t *testing.T) {
	s, svc := newService(t)
	release := holdWriter(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := svc.Draw(ctx, "mbe", "de", "", "")
		done <- err
	}()
	awaitWaiting(t, s, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("draw after cancel: err=%v, want context.Canceled", err)
	}
	release()
	if _, _, err := svc.Draw(context.Background(), "mbe", "de", "", ""); err != nil {
		t.Fatal(err)
	}
	evs, err := s.EventsAfter(context.Background(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Ticket.Number != "M-001" {
		t.Fatalf("events=%+v, want only the second draw, M-001", evs)
	}
}

// TestCloseWithQueuedWrites closes the store while a batch runs and more
// writes wait: the running one commits, the waiting ones and any later
// one fail with Unavailable, and nothing hangs.
func TestCloseWithQueuedWrites(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc := queue.NewService(s, queue.DefaultLines())
	ctx := context.Background()
	release := holdWriter(t, s)
	const n = 5
	errs := make(chan error, n)
	for range n {
		go func() {
			_, _, err := svc.Draw(ctx, "mbe", "de", "", "")
			errs <- err
		}()
	}
	awaitWaiting(t, s, n)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	// Close waits for the batch in flight.
	select {
	case err := <-closed:
		t.Fatalf("Close returned before the running batch ended: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	release()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs")
	}
	for range n {
		if err := <-errs; queue.ErrorCode(err) != queue.Unavailable {
			t.Errorf("queued draw at close: err=%v, want unavailable", err)
		}
	}
	if _, _, err := svc.Draw(ctx, "mbe", "de", "", ""); queue.ErrorCode(err) != queue.Unavailable {
		t.Errorf("draw after close: err=%v, want unavailable", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}
