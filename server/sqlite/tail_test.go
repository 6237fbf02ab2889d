package sqlite

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"wartemarke/server/queue"
)

// TestTailMatchesFile checks that the events EventsAfter answers from the
// tail are those the file holds, event for event, for every kind of event;
// and that events written beside the store (another process on the same
// file) are read from the file, in order, with no gap.
func TestTailMatchesFile(t *testing.T) {
	s, svc := newService(t)
	ctx := context.Background()
	a, _, err := svc.Draw(ctx, "mbe", "ar", "k1", "h1")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Draw(ctx, "jmd", "uk", "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetDesk(ctx, "Raum 1", []string{"mbe", "jmd"}, true, false, "anna"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Next(ctx, "Raum 1", []string{"mbe"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Act(ctx, a.ID, queue.ActTransfer, "jmd"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetLineMode(ctx, "mbe", queue.ModeClosed, "anna"); err != nil {
		t.Fatal(err)
	}
	last, _ := s.LastSeq(ctx)
	fromTail, ok, err := s.tail.after(0, 100)
	if !ok || err != nil || int64(len(fromTail)) != last {
		t.Fatalf("tail: %d events, ok=%v, err=%v; want all %d", len(fromTail), ok, err, last)
	}

	// A second store on the file reads it from the file: its tail is empty.
	other, err := OpenFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	fromFile, err := other.EventsAfter(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromTail, fromFile) {
		t.Fatalf("the tail and the file differ:\ntail %+v\nfile %+v", fromTail, fromFile)
	}

	// The other store draws: the first one's tail does not hold that
	// event and must not hide it; its next draw follows on from it.
	b, _, err := queue.NewService(other, queue.DefaultLines()).Draw(ctx, "jmd", "de", "", "")
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := svc.Draw(ctx, "jmd", "de", "", "")
	if err != nil {
		t.Fatal(err)
	}
	evs, err := s.EventsAfter(ctx, last, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Seq != last+1 || evs[0].Ticket.ID != b.ID || evs[1].Seq != last+2 || evs[1].Ticket.ID != c.ID {
		t.Fatalf("events after %d: %+v; want %s's then %s's issue, seq %d and %d", last, evs, b.Number, c.Number, last+1, last+2)
	}
	if c.Place != last+2 {
		t.Errorf("place of the draw after the other process's: %d, want %d", c.Place, last+2)
	}
}

// TestFailedRequestGivesBackItsSeq checks that a request that took a seq
// and then failed gives it back: the batch's other events stay
// consecutive, in the file and in the tail, and the seq is right on disk.
func TestFailedRequestGivesBackItsSeq(t *testing.T) {
	s, svc := newService(t)
	ctx := context.Background()
	seq0, _ := s.LastSeq(ctx)
	release := holdWriter(t, s)
	var wg sync.WaitGroup
	var first, second queue.Ticket
	var errs [3]error
	wg.Go(func() { first, _, errs[0] = svc.Draw(ctx, "mbe", "de", "", "") })
	awaitWaiting(t, s, 1)
	boom := errors.New("boom")
	wg.Go(func() {
		errs[1] = s.tx(ctx, func(ctx context.Context, tx *batchTx) error {
			if err := recordState(ctx, tx, queue.EventDeskUpdated, time.Now(), []byte(`{"desk":"x"}`)); err != nil {
				return err
			}
			return boom
		})
	})
	awaitWaiting(t, s, 2)
	wg.Go(func() { second, _, errs[2] = svc.Draw(ctx, "mbe", "de", "", "") })
	awaitWaiting(t, s, 3)
	release()
	wg.Wait()
	if errs[0] != nil || !errors.Is(errs[1], boom) || errs[2] != nil {
		t.Fatalf("errors %v, want nil, boom, nil", errs)
	}
	if first.Place != seq0+1 || second.Place != seq0+2 {
		t.Errorf("places %d and %d, want %d and %d", first.Place, second.Place, seq0+1, seq0+2)
	}
	if seq, _ := s.LastSeq(ctx); seq != seq0+2 {
		t.Errorf("seq on disk %d, want %d", seq, seq0+2)
	}
	evs, err := s.EventsAfter(ctx, seq0, 10)
	if err != nil || len(evs) != 2 || evs[0].Ticket.ID != first.ID || evs[1].Ticket.ID != second.ID {
		t.Fatalf("events %+v, %v; want the two issues", evs, err)
	}
	other, err := OpenFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if fromFile, err := other.EventsAfter(ctx, seq0, 10); err != nil || !reflect.DeepEqual(fromFile, evs) {
		t.Fatalf("file %+v, %v; tail %+v", fromFile, err, evs)
	}
}
