package redisstore_test

import (
	"testing"

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
