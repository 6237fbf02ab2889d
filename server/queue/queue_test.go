package queue

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		n      int
		want   string
	}{
		{"One", "M", 1, "M-001"},
		{"Twelve", "M", 12, "M-012"},
		{"ThreeDigits", "J", 999, "J-999"},
		{"FourDigits", "M", 1000, "M-1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatNumber(tt.prefix, tt.n); got != tt.want {
				t.Fatalf("FormatNumber(%q, %d)=%q, want %q", tt.prefix, tt.n, got, tt.want)
			}
		})
	}
}

var (
	t0 = time.Date(2026, 3, 11, 8, 0, 0, 0, time.UTC)
	t1 = t0.Add(10 * time.Minute)
	t2 = t0.Add(20 * time.Minute)
)

// ticketIn returns a ticket of line mbe as it looks in status s.
func ticketIn(s Status) Ticket {
	t := Ticket{
		ID: "abc", Number: "M-007", Line: "mbe", IssuedLine: "mbe", Lang: "de",
		Status: s, Day: "2026-03-11", IssuedAt: t0, Place: 42, Token: "secret",
	}
	switch s {
	case StatusCalled:
		t.Desk, t.CalledAt = "Raum 2.14", &t1
	case StatusDone, StatusNoShow:
		t.Desk, t.CalledAt, t.FinishedAt = "Raum 2.14", &t1, &t1
	case StatusExpired:
		t.FinishedAt = &t1
	}
	return t
}

var allStatuses = []Status{
	StatusWaiting, StatusCalled, StatusDone, StatusNoShow, StatusExpired,
}

func TestStatusOpen(t *testing.T) {
	for _, s := range allStatuses {
		t.Run(string(s), func(t *testing.T) {
			want := s == StatusWaiting || s == StatusCalled
			if got := s.Open(); got != want {
				t.Fatalf("Open()=%v, want %v", got, want)
			}
		})
	}
}

func TestApply(t *testing.T) {
	// allowed maps an action to the statuses it applies to and the check of
	// the changed ticket; every other status must be a Conflict.
	allowed := map[Action]struct {
		from  []Status
		event EventType
		check func(t *testing.T, before, got Ticket)
	}{
		ActRecall: {
			from:  []Status{StatusCalled},
			event: EventRecalled,
			check: func(t *testing.T, before, got Ticket) {
				want := before
				want.Recalls = before.Recalls + 1
				want.CalledAt = &t2
				assertTicket(t, got, want)
			},
		},
		ActDone: {
			from:  []Status{StatusCalled},
			event: EventDone,
			check: func(t *testing.T, before, got Ticket) {
				want := before
				want.Status = StatusDone
				want.FinishedAt = &t2
				assertTicket(t, got, want)
			},
		},
		ActNoShow: {
			from:  []Status{StatusCalled},
			event: EventNoShow,
			check: func(t *testing.T, before, got Ticket) {
				want := before
				want.Status = StatusNoShow
				want.FinishedAt = &t2
				assertTicket(t, got, want)
			},
		},
		ActTransfer: {
			from:  []Status{StatusWaiting, StatusCalled},
			event: EventTransferred,
			check: func(t *testing.T, before, got Ticket) {
				// The number, issuing line and place stay: the ticket keeps its place.
				want := before
				want.Line = "jmd"
				want.Status = StatusWaiting
				want.Desk = ""
				want.CalledAt = nil
				want.Transfers = before.Transfers + 1
				assertTicket(t, got, want)
			},
		},
	}
	for _, a := range []Action{ActRecall, ActDone, ActNoShow, ActTransfer} {
		for _, s := range allStatuses {
			t.Run(fmt.Sprintf("%s/%s", a, s), func(t *testing.T) {
				before := ticketIn(s)
				got, ev, err := Apply(before, a, "jmd", t2)
				rule := allowed[a]
				ok := false
				for _, from := range rule.from {
					ok = ok || from == s
				}
				if !ok {
					if code := ErrorCode(err); code != Conflict {
						t.Fatalf("error code=%q (err=%v), want %q", code, err, Conflict)
					}
					if ev != "" {
						t.Errorf("event=%q, want none", ev)
					}
					if !reflect.DeepEqual(got, before) {
						t.Errorf("ticket changed on a refused action:\n got %+v\nwant %+v", got, before)
					}
					return
				}
				if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				if ev != rule.event {
					t.Errorf("event=%q, want %q", ev, rule.event)
				}
				rule.check(t, before, got)
			})
		}
	}
}

func TestApplyTransferSameLine(t *testing.T) {
	for _, s := range []Status{StatusWaiting, StatusCalled} {
		t.Run(string(s), func(t *testing.T) {
			before := ticketIn(s)
			got, ev, err := Apply(before, ActTransfer, "mbe", t2)
			if code := ErrorCode(err); code != Conflict {
				t.Fatalf("error code=%q (err=%v), want %q", code, err, Conflict)
			}
			if ev != "" {
				t.Errorf("event=%q, want none", ev)
			}
			if !reflect.DeepEqual(got, before) {
				t.Errorf("ticket changed:\n got %+v\nwant %+v", got, before)
			}
		})
	}
}

func TestApplyTransferNoLine(t *testing.T) {
	before := ticketIn(StatusWaiting)
	got, ev, err := Apply(before, ActTransfer, "", t2)
	if code := ErrorCode(err); code != Invalid || ev != "" || !reflect.DeepEqual(got, before) {
		t.Fatalf("transfer to no line: code=%q ev=%q changed=%v", code, ev, !reflect.DeepEqual(got, before))
	}
}

func TestApplyTransferBack(t *testing.T) {
	tk := ticketIn(StatusWaiting)
	tk, _, err := Apply(tk, ActTransfer, "jmd", t1)
	if err != nil {
		t.Fatal(err)
	}
	tk, _, err = Apply(tk, ActTransfer, "mbe", t2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tk.Line, "mbe"; got != want {
		t.Errorf("line=%q, want %q", got, want)
	}
	if got, want := tk.Transfers, 2; got != want {
		t.Errorf("transfers=%d, want %d", got, want)
	}
	if got, want := tk.Place, int64(42); got != want {
		t.Errorf("place=%d, want %d", got, want)
	}
}

func TestApplyUnknownAction(t *testing.T) {
	before := ticketIn(StatusCalled)
	got, ev, err := Apply(before, "reactivate", "", t2)
	if code := ErrorCode(err); code != Invalid {
		t.Fatalf("error code=%q (err=%v), want %q", code, err, Invalid)
	}
	if ev != "" {
		t.Errorf("event=%q, want none", ev)
	}
	if !reflect.DeepEqual(got, before) {
		t.Errorf("ticket changed:\n got %+v\nwant %+v", got, before)
	}
}

func TestApplyRecallCounts(t *testing.T) {
	tk := ticketIn(StatusCalled)
	for i := 1; i <= 3; i++ {
		now := t1.Add(time.Duration(i) * time.Minute)
		var err error
		var ev EventType
		tk, ev, err = Apply(tk, ActRecall, "", now)
		if err != nil {
			t.Fatalf("recall %d: %v", i, err)
		}
		if ev != EventRecalled {
			t.Fatalf("recall %d: event=%q, want %q", i, ev, EventRecalled)
		}
		if got, want := tk.Recalls, i; got != want {
			t.Fatalf("recalls=%d, want %d", got, want)
		}
		if tk.CalledAt == nil || !tk.CalledAt.Equal(now) {
			t.Fatalf("called_at=%v, want %v", tk.CalledAt, now)
		}
		if got, want := tk.Status, StatusCalled; got != want {
			t.Fatalf("status=%q, want %q", got, want)
		}
	}
}

func TestCallTicket(t *testing.T) {
	for _, s := range allStatuses {
		t.Run(string(s), func(t *testing.T) {
			before := ticketIn(s)
			got, err := CallTicket(before, "Empore", t2)
			if s != StatusWaiting {
				if code := ErrorCode(err); code != Conflict {
					t.Fatalf("error code=%q (err=%v), want %q", code, err, Conflict)
				}
				if !reflect.DeepEqual(got, before) {
					t.Errorf("ticket changed:\n got %+v\nwant %+v", got, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("CallTicket: %v", err)
			}
			want := before
			want.Status = StatusCalled
			want.Desk = "Empore"
			want.CalledAt = &t2
			assertTicket(t, got, want)
		})
	}
}

func TestExpire(t *testing.T) {
	for _, s := range []Status{StatusWaiting, StatusCalled} {
		t.Run(string(s), func(t *testing.T) {
			before := ticketIn(s)
			want := before
			want.Status = StatusExpired
			want.FinishedAt = &t2
			assertTicket(t, Expire(before, t2), want)
		})
	}
}

func TestCleanDesk(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" means Invalid
	}{
		{"Empty", "", ""},
		{"OnlySpaces", " \t\n ", ""},
		{"Room", "Raum 2.14", "Raum 2.14"},
		{"Trimmed", "  Raum 2.14\t\n", "Raum 2.14"},
		{"Umlauts", "Büro Ö", "Büro Ö"},
		{"Runes40", strings.Repeat("ä", 40), strings.Repeat("ä", 40)},
		{"Runes41", strings.Repeat("ä", 41), ""},
		{"Runes40Mixed", "Beratungsplatz Größe " + strings.Repeat("ü", 19), "Beratungsplatz Größe " + strings.Repeat("ü", 19)},
		{"Runes40AfterTrim", "  " + strings.Repeat("Ö", 40) + "  ", strings.Repeat("Ö", 40)},
		{"NUL", "Raum\x002", ""},
		{"Newline", "Raum\n2", ""},
		{"Tab", "Raum\t2", ""},
		{"Escape", "Raum \x1b[31m2", ""},
		{"C1", "Raum\u009b2", ""},
		{"Delete", "Raum\x7f", ""},
		{"InvalidUTF8", "Raum \xff", ""},
		{"DirectionOverride", "Raum \u202e41.2", ""},
		{"ZeroWidthSpace", "Raum\u200b2", ""},
		{"LineSeparator", "Raum\u20282", ""},
		{"Arabic", "غرفة ٢", "غرفة ٢"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CleanDesk(tt.in)
			if tt.want == "" {
				if code := ErrorCode(err); code != Invalid {
					t.Fatalf("CleanDesk(%q): error code=%q (err=%v), want %q", tt.in, code, err, Invalid)
				}
				return
			}
			if err != nil {
				t.Fatalf("CleanDesk(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("CleanDesk(%q)=%q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanLang(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" means Invalid
	}{
		{"EmptyIsGerman", "", "de"},
		{"German", "de", "de"},
		{"Turkish", "tr", "tr"},
		{"Region", "en-GB", "en-GB"},
		{"Script", "sr-Latn", "sr-Latn"},
		{"ScriptRegion", "zh-Hant-TW", "zh-Hant-TW"},
		{"ThreeLetters", "ckb", "ckb"},
		{"Max35", "en-abcdefgh-abcdefgh-abcdefgh-abcde", "en-abcdefgh-abcdefgh-abcdefgh-abcde"},
		{"TooLong", "en-abcdefgh-abcdefgh-abcdefgh-abcdef", ""},
		{"OneLetter", "d", ""},
		{"Word", "deutsch", ""},
		{"Underscore", "de_DE", ""},
		{"TrailingDash", "de-", ""},
		{"LeadingDash", "-de", ""},
		{"Digits", "12", ""},
		{"Space", "de DE", ""},
		{"TrailingNewline", "de\n", ""},
		{"Markup", "<b>", ""},
		{"LongSubtag", "de-abcdefghi", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CleanLang(tt.in)
			if tt.want == "" {
				if code := ErrorCode(err); code != Invalid {
					t.Fatalf("CleanLang(%q): error code=%q (err=%v), want %q", tt.in, code, err, Invalid)
				}
				return
			}
			if err != nil {
				t.Fatalf("CleanLang(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("CleanLang(%q)=%q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewID(t *testing.T) {
	seen := make(map[string]bool)
	for range 100 {
		id := NewID(20)
		if got, want := len(id), 32; got != want {
			t.Fatalf("len(NewID(20))=%d, want %d", got, want)
		}
		if seen[id] {
			t.Fatalf("NewID repeated %q", id)
		}
		seen[id] = true
	}
}

// TestTicketIDsSortByTime checks that ticket ids and tokens sort as their
// draw times do, differ when drawn at the same moment, and keep their
// random part.
func TestTicketIDsSortByTime(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for _, mk := range []struct {
		name string
		f    func(time.Time) string
		n    int
	}{{"ID", NewTicketID, 25}, {"Token", NewToken, 33}} {
		t.Run(mk.name, func(t *testing.T) {
			prev := ""
			seen := map[string]bool{}
			for i := range 2000 {
				at := t0.Add(time.Duration(i/3) * time.Millisecond) // three per millisecond
				id := mk.f(at)
				if len(id) != mk.n {
					t.Fatalf("%q: %d characters, want %d", id, len(id), mk.n)
				}
				if seen[id] {
					t.Fatalf("%q made twice", id)
				}
				seen[id] = true
				if i%3 == 0 && id[:9] <= prev[:min(9, len(prev))] {
					t.Fatalf("%q (at %s) does not sort after %q", id, at, prev)
				}
				prev = id
			}
			// Years apart, too.
			if a, b := mk.f(t0), mk.f(t0.AddDate(30, 0, 0)); a >= b {
				t.Fatalf("%q >= %q", a, b)
			}
		})
	}
}

func TestErrorCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Code
	}{
		{"Nil", nil, ""},
		{"Domain", Errorf(NotFound, "no ticket"), NotFound},
		{"Wrapped", fmt.Errorf("store: %w", Errorf(Empty, "nobody waits")), Empty},
		{"Other", fmt.Errorf("disk on fire"), Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(tt.err); got != tt.want {
				t.Fatalf("ErrorCode=%q, want %q", got, tt.want)
			}
		})
	}
	if got, want := ErrorMessage(fmt.Errorf("secret path /var/db")), "internal error"; got != want {
		t.Errorf("ErrorMessage=%q, want %q", got, want)
	}
}

// assertTicket compares every field; times by instant.
func assertTicket(tb testing.TB, got, want Ticket) {
	tb.Helper()
	if !timeEq(got.CalledAt, want.CalledAt) {
		tb.Errorf("called_at=%v, want %v", fmtTime(got.CalledAt), fmtTime(want.CalledAt))
	}
	if !timeEq(got.FinishedAt, want.FinishedAt) {
		tb.Errorf("finished_at=%v, want %v", fmtTime(got.FinishedAt), fmtTime(want.FinishedAt))
	}
	got.CalledAt, want.CalledAt, got.FinishedAt, want.FinishedAt = nil, nil, nil, nil
	if !reflect.DeepEqual(got, want) {
		tb.Errorf("ticket:\n got %+v\nwant %+v", got, want)
	}
}

func timeEq(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "<nil>"
	}
	return t.Format(time.RFC3339Nano)
}

func TestSetPrint(t *testing.T) {
	for _, tc := range []struct {
		name       string
		state      PrintState
		reason     string
		wantEvent  EventType
		wantReason string
		wantCode   Code
	}{
		{"printed", PrintDone, "", EventPrinted, "", ""},
		{"printed clears reason", PrintDone, "ignored", EventPrinted, "", ""},
		{"failed", PrintFailed, "media-empty", EventPrintFailed, "media-empty", ""},
		{"failed without reason", PrintFailed, "", EventPrintFailed, "unknown", ""},
		{"unknown state", "smudged", "", "", "", Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range []Status{StatusWaiting, StatusCalled, StatusDone} {
				before := ticketIn(s)
				before.PrintError = "old"
				got, ev, err := SetPrint(before, tc.state, tc.reason)
				if ErrorCode(err) != tc.wantCode {
					t.Fatalf("%s: err=%v, want code %q", s, err, tc.wantCode)
				}
				if tc.wantCode != "" {
					continue
				}
				if ev != tc.wantEvent || got.Print != tc.state || got.PrintError != tc.wantReason || got.Status != s {
					t.Fatalf("%s: ev=%q ticket=%+v", s, ev, got)
				}
			}
		})
	}
}

func TestApplyRequestNewActions(t *testing.T) {
	at := func(min int) time.Time { return t1.Add(time.Duration(min) * time.Minute) }
	called := ticketIn(StatusCalled)
	called.Place = 5
	calledAt := at(0)
	called.CalledAt = &calledAt
	noShow := ticketIn(StatusNoShow)
	noShow.Place = 7
	marked := at(0)
	noShow.FinishedAt = &marked
	for _, tc := range []struct {
		name    string
		t       Ticket
		r       ActRequest
		code    Code
		ev      EventType
		status  Status
		place   int64
		checkFn func(t *testing.T, got Ticket)
	}{
		{name: "call out of order", t: ticketIn(StatusWaiting), r: ActRequest{Action: ActCall, Desk: "Empore", Reason: "appointment", Now: at(1)},
			ev: EventCalled, status: StatusCalled, checkFn: func(t *testing.T, got Ticket) {
				if got.Desk != "Empore" || got.CallReason != "appointment" {
					t.Fatalf("desk=%q reason=%q", got.Desk, got.CallReason)
				}
			}},
		{name: "call a called ticket", t: called, r: ActRequest{Action: ActCall, Desk: "Empore", Reason: "urgent", Now: at(1)}, code: Conflict},
		{name: "call without reason", t: ticketIn(StatusWaiting), r: ActRequest{Action: ActCall, Desk: "Empore", Now: at(1)}, code: Invalid},
		{name: "put back at its place", t: called, r: ActRequest{Action: ActPutBack, Now: at(2), NextSeq: 40}, ev: EventPutBack, status: StatusWaiting, place: 5},
		{name: "put back at the end", t: called, r: ActRequest{Action: ActPutBack, AtEnd: true, Now: at(2), NextSeq: 40}, ev: EventPutBack, status: StatusWaiting, place: 40},
		{name: "put back a waiting ticket", t: ticketIn(StatusWaiting), r: ActRequest{Action: ActPutBack, Now: at(2)}, code: Conflict},
		{name: "reactivate within grace", t: noShow, r: ActRequest{Action: ActReactivate, Now: at(29), Grace: 30 * time.Minute}, ev: EventReactivated, status: StatusWaiting, place: 7},
		{name: "reactivate too late", t: noShow, r: ActRequest{Action: ActReactivate, Now: at(31), Grace: 30 * time.Minute}, code: Conflict},
		{name: "reactivate a done ticket", t: ticketIn(StatusDone), r: ActRequest{Action: ActReactivate, Now: at(1), Grace: time.Hour}, code: Conflict},
		{name: "recall too soon", t: called, r: ActRequest{Action: ActRecall, Now: at(0).Add(5 * time.Second), MinRecall: 15 * time.Second}, code: Conflict},
		{name: "recall after the interval", t: called, r: ActRequest{Action: ActRecall, Now: at(0).Add(20 * time.Second), MinRecall: 15 * time.Second}, ev: EventRecalled, status: StatusCalled, place: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ev, err := ApplyRequest(tc.t, tc.r)
			if ErrorCode(err) != tc.code {
				t.Fatalf("err=%v, want code %q", err, tc.code)
			}
			if tc.code != "" {
				if !reflect.DeepEqual(got, tc.t) {
					t.Fatalf("a refused action changed the ticket")
				}
				return
			}
			if ev != tc.ev || got.Status != tc.status {
				t.Fatalf("ev=%q status=%q", ev, got.Status)
			}
			if tc.place != 0 && got.Place != tc.place {
				t.Fatalf("place=%d, want %d", got.Place, tc.place)
			}
			if tc.checkFn != nil {
				tc.checkFn(t, got)
			}
		})
	}
}
