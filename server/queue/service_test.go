package queue

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func mustBerlin(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		tb.Fatalf("load Europe/Berlin: %v", err)
	}
	return loc
}

func TestNewServiceLocation(t *testing.T) {
	s := NewService(nil, DefaultLines())
	if got, want := s.Location.String(), "Europe/Berlin"; got != want {
		t.Fatalf("location=%q, want %q (is tzdata missing?)", got, want)
	}
}

func TestServiceDay(t *testing.T) {
	s := NewService(nil, DefaultLines())
	berlin := mustBerlin(t)
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		// Winter time, UTC+1: Berlin's midnight is 23:00 UTC.
		{"WinterBeforeMidnight", time.Date(2026, 3, 10, 22, 59, 59, 999e6, time.UTC), "2026-03-10"},
		{"WinterMidnight", time.Date(2026, 3, 10, 23, 0, 0, 0, time.UTC), "2026-03-11"},
		{"WinterUTCDateBehind", time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC), "2026-03-11"},
		{"LocalInput", time.Date(2026, 3, 11, 0, 0, 0, 0, berlin), "2026-03-11"},
		{"OtherZoneInput", time.Date(2026, 3, 10, 19, 0, 0, 0, time.FixedZone("EST", -5*3600)), "2026-03-11"},
		// 2026-03-29: clocks jump from 02:00 CET to 03:00 CEST (01:00 UTC).
		{"SpringDayStart", time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC), "2026-03-29"},
		{"SpringBeforeJump", time.Date(2026, 3, 29, 0, 59, 59, 0, time.UTC), "2026-03-29"},
		{"SpringAfterJump", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), "2026-03-29"},
		{"SpringDayEnd", time.Date(2026, 3, 29, 21, 59, 59, 999e6, time.UTC), "2026-03-29"},
		{"SpringNextDay", time.Date(2026, 3, 29, 22, 0, 0, 0, time.UTC), "2026-03-30"},
		// 2026-10-25: clocks fall back from 03:00 CEST to 02:00 CET (01:00 UTC).
		{"AutumnDayBefore", time.Date(2026, 10, 24, 21, 59, 59, 0, time.UTC), "2026-10-24"},
		{"AutumnDayStart", time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC), "2026-10-25"},
		{"AutumnFirst0230", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), "2026-10-25"},
		{"AutumnSecond0230", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), "2026-10-25"},
		{"AutumnDayEnd", time.Date(2026, 10, 25, 22, 59, 59, 999e6, time.UTC), "2026-10-25"},
		{"AutumnNextDay", time.Date(2026, 10, 25, 23, 0, 0, 0, time.UTC), "2026-10-26"},
		// Summer time, UTC+2: 23:30 UTC is already tomorrow in Berlin.
		{"SummerUTCDateBehind", time.Date(2026, 7, 1, 22, 30, 0, 0, time.UTC), "2026-07-02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Day(tt.at); got != tt.want {
				t.Fatalf("Day(%s)=%q, want %q", tt.at.Format(time.RFC3339Nano), got, tt.want)
			}
		})
	}
}

func TestServiceLine(t *testing.T) {
	s := NewService(nil, DefaultLines())
	tests := []struct {
		id     string
		prefix string // "" means UnknownLine
	}{
		{"mbe", "M"},
		{"jmd", "J"},
		{"", ""},
		{"xyz", ""},
		{"MBE", ""},
	}
	for _, tt := range tests {
		t.Run("ID="+tt.id, func(t *testing.T) {
			l, err := s.Line(tt.id)
			if tt.prefix == "" {
				if code := ErrorCode(err); code != UnknownLine {
					t.Fatalf("error code=%q (err=%v), want %q", code, err, UnknownLine)
				}
				return
			}
			if err != nil {
				t.Fatalf("Line(%q): %v", tt.id, err)
			}
			if got, want := l.ID, tt.id; got != want {
				t.Errorf("id=%q, want %q", got, want)
			}
			if got, want := l.Prefix, tt.prefix; got != want {
				t.Errorf("prefix=%q, want %q", got, want)
			}
		})
	}
}

func TestServiceLineStates(t *testing.T) {
	at := time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC)
	tk := func(line string, s Status) Ticket { return Ticket{Line: line, Status: s} }
	call := func(number, line string, min int) Call {
		return Call{Number: number, Desk: "Platz 1", Line: line, At: at.Add(time.Duration(min) * time.Minute)}
	}
	tests := []struct {
		name string
		snap Snapshot
		// want holds waiting, called and recent calls per line, in configured order.
		want []LineState
	}{
		{
			name: "Empty",
			snap: Snapshot{},
			want: []LineState{{Waiting: 0, Called: 0, RecentCalls: []Call{}}, {RecentCalls: []Call{}}},
		},
		{
			name: "Counts",
			snap: Snapshot{Tickets: []Ticket{
				tk("mbe", StatusWaiting), tk("jmd", StatusCalled), tk("mbe", StatusCalled),
				tk("mbe", StatusWaiting), tk("jmd", StatusWaiting),
			}},
			want: []LineState{{Waiting: 2, Called: 1, RecentCalls: []Call{}}, {Waiting: 1, Called: 1, RecentCalls: []Call{}}},
		},
		{
			name: "UnknownLineIgnored",
			snap: Snapshot{
				Tickets: []Ticket{tk("xyz", StatusWaiting), tk("jmd", StatusWaiting)},
				Recent:  []Call{call("X-001", "xyz", 5)},
			},
			want: []LineState{{RecentCalls: []Call{}}, {Waiting: 1, RecentCalls: []Call{}}},
		},
		{
			name: "ClosedStatusesNotCounted",
			snap: Snapshot{Tickets: []Ticket{tk("mbe", StatusDone), tk("mbe", StatusNoShow), tk("mbe", StatusExpired)}},
			want: []LineState{{RecentCalls: []Call{}}, {RecentCalls: []Call{}}},
		},
		{
			name: "RecentSplitKeepsOrder",
			snap: Snapshot{Recent: []Call{
				call("M-003", "mbe", 4), call("J-002", "jmd", 3), call("M-002", "mbe", 2), call("J-001", "jmd", 1),
			}},
			want: []LineState{
				{RecentCalls: []Call{call("M-003", "mbe", 4), call("M-002", "mbe", 2)}},
				{RecentCalls: []Call{call("J-002", "jmd", 3), call("J-001", "jmd", 1)}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewService(nil, DefaultLines())
			got := s.LineStates(tt.snap)
			if got, want := len(got), len(s.Lines); got != want {
				t.Fatalf("len=%d, want %d", got, want)
			}
			for i, l := range s.Lines {
				want := tt.want[i]
				want.Line = l
				want.Open = true                // no hours configured: always open
				want.Estimate = got[i].Estimate // TestEstimateWait covers it
				if !reflect.DeepEqual(got[i], want) {
					t.Errorf("line %s:\n got %+v\nwant %+v", l.ID, got[i], want)
				}
				if got[i].RecentCalls == nil {
					t.Errorf("line %s: recent calls nil; want an empty list (JSON [])", l.ID)
				}
			}
		})
	}
}

// recordingStore is a Store that records the requests the Service makes.
type recordingStore struct {
	Store // nil: calling anything not overridden panics
	draw  *DrawRequest
	next  *NextRequest
	act   *ActRequest
}

func (s *recordingStore) Draw(_ context.Context, r DrawRequest) (Ticket, bool, error) {
	s.draw = &r
	return Ticket{ID: r.ID}, false, nil
}

// LineModes: no line is set by hand.
func (s *recordingStore) LineModes(context.Context, string) ([]LineMode, error) { return nil, nil }

func (s *recordingStore) Next(_ context.Context, r NextRequest) (Ticket, error) {
	s.next = &r
	return Ticket{}, nil
}

func (s *recordingStore) Act(_ context.Context, r ActRequest) (Ticket, error) {
	s.act = &r
	return Ticket{}, nil
}

// LastSeq says the log is empty: the draw's clock check has nothing to
// compare with.
func (s *recordingStore) LastSeq(context.Context) (int64, error) { return 0, nil }

func newRecordingService(tb testing.TB, now time.Time) (*Service, *recordingStore) {
	tb.Helper()
	st := &recordingStore{}
	s := NewService(st, DefaultLines())
	s.Now = func() time.Time { return now }
	return s, st
}

func TestServiceDrawRequest(t *testing.T) {
	// 23:30:00.123456789 UTC on 10 March is 00:30 on 11 March in Berlin.
	now := time.Date(2026, 3, 10, 23, 30, 0, 123456789, time.UTC)
	wantNow := time.Date(2026, 3, 10, 23, 30, 0, 123e6, time.UTC)
	s, st := newRecordingService(t, now.In(mustBerlin(t)))
	if _, _, err := s.Draw(t.Context(), "jmd", "", "key-1", "hash-1"); err != nil {
		t.Fatalf("Draw: %v", err)
	}
	r := st.draw
	if r == nil {
		t.Fatal("store not called")
	}
	if got, want := r.Line.Prefix, "J"; got != want {
		t.Errorf("line prefix=%q, want %q", got, want)
	}
	if got, want := r.Lang, "de"; got != want {
		t.Errorf("lang=%q, want %q", got, want)
	}
	if !r.Now.Equal(wantNow) || r.Now.Location() != time.UTC {
		t.Errorf("now=%v, want %v in UTC, truncated to milliseconds", r.Now, wantNow)
	}
	if got, want := r.Day, "2026-03-11"; got != want {
		t.Errorf("day=%q, want %q", got, want)
	}
	if got, want := r.IdemSince, wantNow.Add(-IdempotencyTTL); !got.Equal(want) {
		t.Errorf("idem_since=%v, want %v", got, want)
	}
	if IdempotencyTTL < 24*time.Hour {
		t.Errorf("IdempotencyTTL=%v; the contract promises at least 24h", IdempotencyTTL)
	}
	if r.IdemKey != "key-1" || r.IdemHash != "hash-1" {
		t.Errorf("idem key/hash=%q/%q, want key-1/hash-1", r.IdemKey, r.IdemHash)
	}
	if r.ID == "" || len(r.Token) < 20 || r.ID == r.Token {
		t.Errorf("id=%q token=%q; want an id and a distinct token of at least 20 characters", r.ID, r.Token)
	}
}

func TestServiceNextRequest(t *testing.T) {
	now := time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC)
	s, st := newRecordingService(t, now)
	if _, err := s.Next(t.Context(), "  Raum 2.14 ", []string{"jmd", "mbe", "jmd"}); err != nil {
		t.Fatalf("Next: %v", err)
	}
	r := st.next
	if r == nil {
		t.Fatal("store not called")
	}
	if got, want := r.Desk, "Raum 2.14"; got != want {
		t.Errorf("desk=%q, want %q", got, want)
	}
	if got, want := r.Lines, []string{"jmd", "mbe"}; !reflect.DeepEqual(got, want) {
		t.Errorf("lines=%q, want %q", got, want)
	}
	if got, want := r.Day, "2026-03-11"; got != want {
		t.Errorf("day=%q, want %q", got, want)
	}
	if !r.Now.Equal(now) {
		t.Errorf("now=%v, want %v", r.Now, now)
	}
}

func TestServiceActRequest(t *testing.T) {
	now := time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC)
	s, st := newRecordingService(t, now)
	if _, err := s.Act(t.Context(), "abc", ActTransfer, "jmd"); err != nil {
		t.Fatalf("Act: %v", err)
	}
	want := ActRequest{ID: "abc", Action: ActTransfer, ToLine: "jmd", Now: now, Day: "2026-03-11",
		MinRecall: DefaultMinRecall, Grace: DefaultNoShowGrace}
	if got := st.act; got == nil || !reflect.DeepEqual(*got, want) {
		t.Fatalf("request=%+v, want %+v", got, want)
	}
}

// TestServiceRefuses checks the validation the Service does before a store
// is ever asked: a store that is called panics.
func TestServiceRefuses(t *testing.T) {
	tests := []struct {
		name string
		call func(ctx context.Context, s *Service) error
		want Code
	}{
		{"DrawUnknownLine", func(ctx context.Context, s *Service) error { _, _, err := s.Draw(ctx, "xyz", "", "", ""); return err }, UnknownLine},
		{"DrawBadLang", func(ctx context.Context, s *Service) error {
			_, _, err := s.Draw(ctx, "mbe", "de_DE", "", "")
			return err
		}, Invalid},
		{"DrawLongKey", func(ctx context.Context, s *Service) error {
			_, _, err := s.Draw(ctx, "mbe", "", string(make([]byte, 201)), "")
			return err
		}, Invalid},
		{"NextBadDesk", func(ctx context.Context, s *Service) error { _, err := s.Next(ctx, " ", []string{"mbe"}); return err }, Invalid},
		{"NextNoLines", func(ctx context.Context, s *Service) error { _, err := s.Next(ctx, "Empore", nil); return err }, Invalid},
		{"NextUnknownLine", func(ctx context.Context, s *Service) error {
			_, err := s.Next(ctx, "Empore", []string{"mbe", "xyz"})
			return err
		}, UnknownLine},
		{"TransferUnknownLine", func(ctx context.Context, s *Service) error {
			_, err := s.Act(ctx, "abc", ActTransfer, "xyz")
			return err
		}, UnknownLine},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewService(panicStore{}, DefaultLines())
			if code := ErrorCode(tt.call(t.Context(), s)); code != tt.want {
				t.Fatalf("error code=%q, want %q", code, tt.want)
			}
		})
	}
}

// panicStore fails the test on any use: its nil Store panics.
type panicStore struct{ Store }
