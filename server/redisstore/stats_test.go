package redisstore_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"wartemarke/server/queue"
	"wartemarke/server/queue/queuetest"
	"wartemarke/server/redisstore"
	"wartemarke/server/redisstore/redistest"
)

// TestRetireUnindexed checks that tickets drawn before the store kept a
// list of each day's tickets are found and retired too.
func TestRetireUnindexed(t *testing.T) {
	srv := redistest.Start(t)
	s := MustOpen(t, srv, redisstore.Options{})
	svc := newService(s)
	clock := queuetest.NewClock(time.Date(2026, 3, 11, 9, 0, 0, 0, svc.Location))
	svc.Now = clock.Now
	a := queuetest.MustDraw(t, svc, "mbe")
	rdb := redis.NewClient(mustParse(t, srv.URL()))
	defer rdb.Close()
	base := "wm:{" + s.Site() + "}:"
	// What an older version left: the ticket without the day's list.
	if err := rdb.Del(t.Context(), base+"tickets:"+a.Day, base+"days", base+"dayindex").Err(); err != nil {
		t.Fatal(err)
	}
	clock.Set(time.Date(2026, 3, 20, 9, 0, 0, 0, svc.Location))
	count := func(day string, ts []queue.StatsTicket) []queue.Aggregate {
		return []queue.Aggregate{{Day: day, Line: "mbe", Drawn: len(ts)}}
	}
	days, err := svc.Retire(t.Context(), 7, count)
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
