package redisstore_test

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"wartemarke/server/auth"
	"wartemarke/server/auth/authtest"
	"wartemarke/server/queue"
	"wartemarke/server/queue/queuetest"
	"wartemarke/server/redisstore"
	"wartemarke/server/redisstore/redistest"
)

// MustOpen opens a store of a fresh site on srv; it is closed when tb ends.
func MustOpen(tb testing.TB, srv *redistest.Server, o redisstore.Options) *redisstore.Store {
	tb.Helper()
	s, err := redisstore.Open(tb.Context(), srv.URL(), srv.Site(tb), o)
	if err != nil {
		tb.Fatalf("open redis store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	srv := redistest.Start(t)
	queuetest.Run(t, func(t *testing.T) queue.Store {
		// The suite closes the store.
		s, err := redisstore.Open(t.Context(), srv.URL(), srv.Site(t), redisstore.Options{})
		if err != nil {
			t.Fatalf("open redis store: %v", err)
		}
		return s
	})
}

func TestAuthConformance(t *testing.T) {
	srv := redistest.Start(t)
	authtest.Run(t, func(t *testing.T) auth.Store {
		return MustOpen(t, srv, redisstore.Options{})
	})
}

func newService(s queue.Store) *queue.Service {
	svc := queue.NewService(s, queue.DefaultLines())
	svc.MinRecall = 0 // the interval is covered by the conformance suite
	return svc
}

// TestKeyLayout checks that every key a site uses carries its hash tag,
// so a Redis Cluster keeps a site in one slot.
func TestKeyLayout(t *testing.T) {
	srv := redistest.Start(t)
	s := MustOpen(t, srv, redisstore.Options{})
	svc := newService(s)
	a := queuetest.MustDraw(t, svc, "mbe")
	if _, _, err := svc.Draw(t.Context(), "jmd", "uk", "key-1", "h"); err != nil {
		t.Fatal(err)
	}
	queuetest.MustNext(t, svc, "Raum 2:14", "mbe")
	queuetest.MustAct(t, svc, a.ID, queue.ActRecall, "")
	rdb := rawClient(t, srv)
	prefix := "wm:{" + s.Site() + "}:"
	keys, err := rdb.Keys(t.Context(), "*"+s.Site()+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 8 {
		t.Fatalf("keys of the site: %v, want at least 8", keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			t.Errorf("key %q lacks the prefix %q", k, prefix)
		}
	}
	for _, want := range []string{"seq", "events", "opendays", "ticket:" + a.ID, "idem:key-1", "calls:" + a.Day, "called:" + a.Day + ":Raum 2:14"} {
		if !slices.Contains(keys, prefix+want) {
			t.Errorf("no key %q among %v", prefix+want, keys)
		}
	}
}

// rawClient is a plain client of srv, to look at the keys behind a store;
// it is closed when tb ends.
func rawClient(tb testing.TB, srv *redistest.Server) *redis.Client {
	tb.Helper()
	opt, err := redis.ParseURL(srv.URL())
	if err != nil {
		tb.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	tb.Cleanup(func() { rdb.Close() })
	return rdb
}

// TestEventsTrimmed checks the stream's trimming and that a resume from
// before the oldest kept event is Gone, as after pruning in SQLite.
func TestEventsTrimmed(t *testing.T) {
	srv := redistest.Start(t)
	s := MustOpen(t, srv, redisstore.Options{MaxEvents: 10})
	svc := newService(s)
	const n = 300
	for range n {
		queuetest.MustDraw(t, svc, "mbe")
	}
	last, err := s.LastSeq(t.Context())
	if err != nil || last != n {
		t.Fatalf("last seq=%d err=%v, want %d", last, err, n)
	}
	if _, err := s.EventsAfter(t.Context(), 0, 10); queue.ErrorCode(err) != queue.Gone {
		t.Fatalf("events after 0 of a trimmed stream: err=%v, want gone", err)
	}
	evs, err := s.EventsAfter(t.Context(), n-5, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 5 || evs[0].Seq != n-4 || evs[4].Seq != n {
		t.Fatalf("events after %d: %d events from %d", n-5, len(evs), evs[0].Seq)
	}
	// Up to date is never gone, however short the stream.
	if evs, err := s.EventsAfter(t.Context(), n, 100); err != nil || len(evs) != 0 {
		t.Fatalf("events after the last: %v %v", evs, err)
	}
	rdb := rawClient(t, srv)
	if l := rdb.XLen(t.Context(), "wm:{"+s.Site()+"}:events").Val(); l < 10 || l > 200 {
		t.Errorf("stream holds %d entries, want about 10 (trimmed in blocks)", l)
	}
}

// TestWaitAcrossInstances checks that a store waiting on the log wakes at
// once when another client (another server instance) adds an event.
func TestWaitAcrossInstances(t *testing.T) {
	srv := redistest.Start(t)
	a := MustOpen(t, srv, redisstore.Options{})
	b, err := redisstore.Open(t.Context(), srv.URL(), a.Site(), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	svcB := newService(b)
	queuetest.MustDraw(t, svcB, "mbe")
	for i := range 5 {
		after, err := a.LastSeq(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		woke := make(chan time.Time, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for a.WaitEvents(ctx, after) == nil {
				if evs, _ := a.EventsAfter(ctx, after, 1); len(evs) > 0 {
					woke <- time.Now()
					return
				}
			}
			close(woke)
		}()
		time.Sleep(50 * time.Millisecond) // let it block in XREAD
		start := time.Now()
		queuetest.MustDraw(t, svcB, "jmd")
		at, ok := <-woke
		if !ok {
			t.Fatalf("round %d: the waiting store never saw the other's event", i)
		}
		if d := at.Sub(start); d > 100*time.Millisecond {
			t.Errorf("round %d: woke %v after the other's draw, want milliseconds", i, d)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	srv := redistest.Start(t)
	for _, site := range []string{"", "a{b}", "a:b", "with space", strings.Repeat("x", 65)} {
		if s, err := redisstore.Open(t.Context(), srv.URL(), site, redisstore.Options{}); err == nil {
			s.Close()
			t.Errorf("site %q accepted", site)
		}
	}
	if _, err := redisstore.Open(t.Context(), "http://localhost/", "default", redisstore.Options{}); err == nil {
		t.Errorf("http URL accepted")
	}
	// Nothing listens on a port just freed: Open fails fast.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	if s, err := redisstore.Open(t.Context(), "redis://"+addr+"/0", "default", redisstore.Options{}); err == nil {
		s.Close()
		t.Fatalf("open on %s with nothing listening succeeded", addr)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("open on a dead address took %v", d)
	}
}

// TestOutage kills the Redis under a store: the store says Unavailable
// quickly, never a success or an internal error, and works again by itself
// once Redis is back, with every confirmed ticket kept.
func TestOutage(t *testing.T) {
	srv := redistest.Start(t)
	if !srv.Own() {
		t.Skip("kills its Redis; not with REDIS_URL")
	}
	s := MustOpen(t, srv, redisstore.Options{})
	svc := newService(s)
	var drawn []queue.Ticket
	for range 20 {
		drawn = append(drawn, queuetest.MustDraw(t, svc, "mbe"))
	}
	srv.Kill(t)

	start := time.Now()
	if err := s.Ping(t.Context()); queue.ErrorCode(err) != queue.Unavailable {
		t.Errorf("ping with Redis down: %v, want unavailable", err)
	}
	if _, _, err := svc.Draw(t.Context(), "mbe", "", "", ""); queue.ErrorCode(err) != queue.Unavailable {
		t.Errorf("draw with Redis down: %v, want unavailable", err)
	}
	if _, err := svc.Next(t.Context(), "Platz 1", []string{"mbe"}); queue.ErrorCode(err) != queue.Unavailable {
		t.Errorf("next with Redis down: %v, want unavailable", err)
	}
	if _, err := s.LastSeq(t.Context()); queue.ErrorCode(err) != queue.Unavailable {
		t.Errorf("last seq with Redis down: %v, want unavailable", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	if err := s.WaitEvents(ctx, 20); err == nil || (queue.ErrorCode(err) != queue.Unavailable && ctx.Err() == nil) {
		t.Errorf("wait with Redis down: %v, want unavailable", err)
	}
	cancel()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failing with Redis down took %v, want fast", d)
	}

	srv.Restart(t)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("ping after the restart: %v", err)
	}
	for _, d := range drawn {
		if got := queuetest.MustTicket(t, s, d.ID); got.Number != d.Number {
			t.Errorf("%s after the restart: %s", d.Number, got.Number)
		}
	}
	if got, want := queuetest.MustDraw(t, svc, "mbe").Number, "M-021"; got != want {
		t.Errorf("draw after the restart: %s, want %s", got, want)
	}
	if got := queuetest.MustNext(t, svc, "Platz 1", "mbe"); got.ID != drawn[0].ID {
		t.Errorf("next after the restart called %s, want %s", got.Number, drawn[0].Number)
	}
}
