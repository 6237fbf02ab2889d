package redisstore_test

import (
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"wartemarke/server/queue"
	"wartemarke/server/queue/queuetest"
	"wartemarke/server/redisstore"
	"wartemarke/server/redisstore/redistest"
)

// retireSetup opens a store on a fresh site, its service on a clock at
// 9:00 on 11 March 2026, and a plain client to look at the keys.
func retireSetup(t *testing.T) (*redisstore.Store, *queue.Service, *queuetest.Clock, *redis.Client) {
	t.Helper()
	srv := redistest.Start(t)
	s := MustOpen(t, srv, redisstore.Options{})
	svc := newService(s)
	clock := queuetest.NewClock(time.Date(2026, 3, 11, 9, 0, 0, 0, svc.Location))
	svc.Now = clock.Now
	return s, svc, clock, rawClient(t, srv)
}

// retireLater moves the clock to 20 March and retires the days older than
// 7 days, each aggregated as its count of tickets in line mbe.
func retireLater(t *testing.T, svc *queue.Service, clock *queuetest.Clock) ([]string, error) {
	clock.Set(time.Date(2026, 3, 20, 9, 0, 0, 0, svc.Location))
	count := func(day string, ts []queue.StatsTicket) []queue.Aggregate {
		return []queue.Aggregate{{Day: day, Line: "mbe", Drawn: len(ts)}}
	}
	return svc.Retire(t.Context(), 7, count)
}

// TestRetireUnindexed checks that tickets drawn before the store kept a
// list of each day's tickets are found and retired too.
func TestRetireUnindexed(t *testing.T) {
	s, svc, clock, rdb := retireSetup(t)
	a := queuetest.MustDraw(t, svc, "mbe")
	base := "wm:{" + s.Site() + "}:"
	// What an older version left: the ticket without the day's list.
	if err := rdb.Del(t.Context(), base+"tickets:"+a.Day, base+"days", base+"dayindex").Err(); err != nil {
		t.Fatal(err)
	}
	days, err := retireLater(t, svc, clock)
	if err != nil || len(days) != 1 || days[0] != a.Day {
		t.Fatalf("retired %v, %v", days, err)
	}
	if _, err := s.Ticket(t.Context(), a.ID); queue.ErrorCode(err) != queue.NotFound {
		t.Fatalf("ticket after retiring: %v", err)
	}
	if n := rdb.Exists(t.Context(), base+"ticket:"+a.ID, base+"token:"+a.Token).Val(); n != 0 {
		t.Fatalf("%d keys of the ticket left", n)
	}
}

// TestRetireLeavesNoDayKeys checks that retiring a day removes every key
// named after it: tickets, indexes (calls, served), desks, the day's list.
func TestRetireLeavesNoDayKeys(t *testing.T) {
	s, svc, clock, rdb := retireSetup(t)
	a := queuetest.MustDraw(t, svc, "mbe")
	queuetest.MustDraw(t, svc, "jmd")
	clock.Advance(time.Minute)
	queuetest.MustNext(t, svc, "Raum 1", "mbe")
	clock.Advance(10 * time.Minute)
	queuetest.MustAct(t, svc, a.ID, queue.ActDone, "")
	queuetest.MustNext(t, svc, "Raum 1", "jmd")
	base := "wm:{" + s.Site() + "}:"
	dayKeys := func() []string {
		keys, err := rdb.Keys(t.Context(), base+"*"+a.Day+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	if keys := dayKeys(); !slices.Contains(keys, base+"served:"+a.Day) || !slices.Contains(keys, base+"calls:"+a.Day) {
		t.Fatalf("keys of the day before retiring: %v", keys)
	}
	if days, err := retireLater(t, svc, clock); err != nil || len(days) != 1 {
		t.Fatalf("retired %v, %v", days, err)
	}
	// The day's figures stay; nothing else named after it.
	for _, k := range dayKeys() {
		if k != base+"stats:"+a.Day && k != base+"turnedaway:"+a.Day {
			t.Errorf("key %s left after retiring %s", k, a.Day)
		}
	}
}
