package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"wartemarke/server/sqlite"
)

// LockName is the lock file in the data folder. Every process that opens
// the embedded store (the service, admin commands, backup) holds a shared
// lock on it; restore takes it exclusively, so it refuses while anything
// has the store open, and nothing opens the store while a restore runs.
const LockName = "wartemarke.lock"

// errLocked says that the lock is held the other way.
var errLocked = errors.New("locked")

// dataLock is a held lock on the data folder.
type dataLock struct{ f *os.File }

// lockData takes the data folder's lock, shared or exclusive, without
// waiting.
func lockData(dir string, exclusive bool) (*dataLock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, LockName), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, err)
	}
	if err := flock(f, exclusive); err != nil {
		f.Close()
		return nil, err
	}
	return &dataLock{f}, nil
}

// Close releases the lock.
func (l *dataLock) Close() error { return l.f.Close() }

// lockedStore is the embedded store with the data folder's shared lock,
// released when the store closes.
type lockedStore struct {
	*sqlite.Store
	lock *dataLock
}

// Close closes the store, then releases the lock.
func (s lockedStore) Close() error {
	err := s.Store.Close()
	return errors.Join(err, s.lock.Close())
}

// openLocked opens the embedded store in dir under a shared lock.
func openLocked(dir string) (lockedStore, error) {
	lock, err := lockData(dir, false)
	if errors.Is(err, errLocked) {
		return lockedStore{}, fmt.Errorf("the data folder %s is being restored (wartemarke restore); start again when it has finished", dir)
	}
	if err != nil {
		return lockedStore{}, err
	}
	s, err := sqlite.Open(dir)
	if err != nil {
		lock.Close()
		return lockedStore{}, err
	}
	return lockedStore{s, lock}, nil
}
