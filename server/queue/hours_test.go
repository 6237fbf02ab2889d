package queue

import (
	"context"
	"testing"
	"time"
)

func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Period
		ok   bool
	}{
		{"wed 09:00-12:00", Period{time.Wednesday, 9 * 60, 12 * 60}, true},
		{"  Wed 9:00 - 12:30 ", Period{time.Wednesday, 9 * 60, 12*60 + 30}, true},
		{"sun 00:00-24:00", Period{time.Sunday, 0, 24 * 60}, true},
		{"wed 12:00-09:00", Period{}, false},
		{"wed 09:00-09:00", Period{}, false},
		{"mittwoch 09:00-12:00", Period{}, false},
		{"wed 09:00", Period{}, false},
		{"wed 9-12", Period{}, false},
		{"wed 09:60-12:00", Period{}, false},
		{"wed 24:30-25:00", Period{}, false},
		{"", Period{}, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParsePeriod(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("err=%v, want ok=%v", err, tc.ok)
			}
			if tc.ok && got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			if !tc.ok && ErrorCode(err) != Invalid {
				t.Fatalf("code=%q, want invalid", ErrorCode(err))
			}
		})
	}
}

func TestOpening(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, berlin) }
	s := NewService(nil, nil)
	s.Location = berlin
	s.ClosedDays = []string{"2026-12-23"}
	mbe := Line{ID: "mbe", Hours: []string{"wed 09:00-12:00"}}
	twice := Line{ID: "x", Hours: []string{"wed 13:00-15:00", "wed 09:00-12:00", "fri 08:00-09:00"}}
	for _, tc := range []struct {
		name     string
		line     Line
		t        time.Time
		open     bool
		wantNext time.Time
	}{
		{"no hours: always open", Line{ID: "free"}, at(2026, 11, 29, 3, 0), true, time.Time{}},
		{"Wednesday 9:00 opens", mbe, at(2026, 11, 25, 9, 0), true, time.Time{}},
		{"Wednesday 11:59", mbe, at(2026, 11, 25, 11, 59), true, time.Time{}},
		{"Wednesday 12:00 closed", mbe, at(2026, 11, 25, 12, 0), false, at(2026, 12, 2, 9, 0)},
		{"Wednesday 8:59 closed", mbe, at(2026, 11, 25, 8, 59), false, at(2026, 11, 25, 9, 0)},
		{"Thursday", mbe, at(2026, 11, 26, 10, 0), false, at(2026, 12, 2, 9, 0)},
		{"closed day skipped", mbe, at(2026, 12, 17, 12, 30), false, at(2026, 12, 30, 9, 0)},
		{"closed day itself", mbe, at(2026, 12, 23, 10, 0), false, at(2026, 12, 30, 9, 0)},
		{"between two periods", twice, at(2026, 11, 25, 12, 30), false, at(2026, 11, 25, 13, 0)},
		{"second period", twice, at(2026, 11, 25, 14, 0), true, time.Time{}},
		{"after the last of the day", twice, at(2026, 11, 25, 16, 0), false, at(2026, 11, 27, 8, 0)},
		// Summer time begins Sunday 29 March 2026 and ends Sunday 25 October.
		{"into summer time", mbe, at(2026, 3, 26, 10, 0), false, at(2026, 4, 1, 9, 0)},
		{"into winter time", mbe, at(2026, 10, 22, 10, 0), false, at(2026, 10, 28, 9, 0)},
		{"summer Wednesday open", mbe, at(2026, 7, 1, 11, 0), true, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			open, next := s.Opening(tc.line, tc.t)
			if open != tc.open || !next.Equal(tc.wantNext) {
				t.Fatalf("Opening(%v)=%v, %v; want %v, %v", tc.t, open, next, tc.open, tc.wantNext)
			}
			if !next.IsZero() && next.In(berlin).Hour() != tc.wantNext.Hour() {
				t.Fatalf("next opening at %v Berlin time", next.In(berlin))
			}
		})
	}
}

// TestDrawClosed checks that the service refuses draws for a closed line
// without touching the store.
func TestDrawClosed(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	s := NewService(&recordingStore{}, []Line{{ID: "mbe", Prefix: "M", Name: "MBE", Hours: []string{"wed 09:00-12:00"}}})
	s.Location = berlin
	s.Now = func() time.Time { return time.Date(2026, 11, 25, 12, 5, 0, 0, berlin) }
	_, _, err := s.Draw(context.Background(), "mbe", "de", "", "")
	if ErrorCode(err) != Closed {
		t.Fatalf("draw after closing: err=%v, want code closed", err)
	}
	states := s.LineStates(Snapshot{})
	if states[0].Open || states[0].NextOpen == nil || !states[0].NextOpen.Equal(time.Date(2026, 12, 2, 9, 0, 0, 0, berlin)) {
		t.Fatalf("line state=%+v", states[0])
	}
}
