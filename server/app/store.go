package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"wartemarke/server/queue"
	"wartemarke/server/redisstore"
)

// storeOpenWait bounds connecting to Redis at start.
const storeOpenWait = 10 * time.Second

// openStore opens the configured store: the embedded SQLite store in the
// data folder, or the Redis store of the configured site, which several
// instances share.
func openStore(cfg Config) (queue.Store, error) {
	if cfg.Store == "" || cfg.Store == "sqlite" {
		s, err := openLocked(cfg.Data)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeOpenWait)
	defer cancel()
	s, err := redisstore.Open(ctx, cfg.Store, cfg.Site, redisstore.Options{})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// checkStore validates the store setting without connecting.
func checkStore(s string) error {
	switch {
	case s == "" || s == "sqlite":
		return nil
	case strings.HasPrefix(s, "redis://"), strings.HasPrefix(s, "rediss://"), strings.HasPrefix(s, "unix://"):
		return redisstore.CheckURL(s)
	}
	return errors.New("use sqlite or a Redis URL such as redis://127.0.0.1:6379/0")
}
