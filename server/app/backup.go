package app

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, as the store uses it

	"wartemarke/server/sqlite"
)

// Backup and restore of the embedded store.
//
// backup copies the database with SQLite's VACUUM INTO: one read
// transaction, so the copy is consistent at one moment, and thanks to WAL
// the running service keeps drawing and calling meanwhile. The copy goes to
// a temporary file beside the target, is checked, fsynced and renamed over
// the target, so the target is always a whole backup.
//
// restore replaces the store with a backup. It takes the data folder's lock
// exclusively (see LockName), so it refuses while the service or an admin
// command has the store open, and the service does not start while it runs.
// The store it replaces is first saved beside it.

// backupBusyWait is how long backup and restore wait for the database when
// a write holds it (a write lasts milliseconds).
const backupBusyWait = 10 * time.Second

const backupUsage = `usage:
  wartemarke backup --to FILE [--data DIR] [--config FILE]    (while the service runs)
  wartemarke restore --from FILE [--data DIR] [--config FILE] (with the service stopped)`

// runBackupCommand runs backup or restore.
func runBackupCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("wartemarke "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	to := fs.String("to", "", "backup file to write (replaced when it exists)")
	from := fs.String("from", "", "backup file to restore")
	configOf := commandConfig(fs, getenv, stderr)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := configOf()
	if err != nil {
		return err
	}
	if cfg.Store != "" && cfg.Store != "sqlite" {
		return errors.New("backup and restore are for the embedded store; back up Redis with its own means (its append-only file or BGSAVE)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	switch {
	case args[0] == "backup" && *to != "" && *from == "":
		return Backup(ctx, cfg.Data, *to, stdout)
	case args[0] == "restore" && *from != "" && *to == "":
		return Restore(ctx, cfg.Data, *from, stdout)
	}
	return fmt.Errorf("%w\n%s", flag.ErrHelp, backupUsage)
}

// Backup writes a consistent copy of the store in dataDir to file.
func Backup(ctx context.Context, dataDir, file string, stdout io.Writer) error {
	lock, err := lockData(dataDir, false)
	if errors.Is(err, errLocked) {
		return fmt.Errorf("a restore is running in %s; back up after it", dataDir)
	}
	if err != nil {
		return err
	}
	defer lock.Close()
	src := filepath.Join(dataDir, sqlite.FileName)
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("no store to back up: %w", err)
	}
	file, err = filepath.Abs(file)
	if err != nil {
		return err
	}
	tmp, err := emptyTemp(file)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := vacuumInto(ctx, src, tmp); err != nil {
		return fmt.Errorf("backup of %s: %w", src, err)
	}
	sum, err := inspect(ctx, tmp)
	if err != nil {
		return fmt.Errorf("the backup does not read back: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, file); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(file)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of %s written to %s (%s)\n", src, file, sum)
	return nil
}

// Restore replaces the store in dataDir with the backup in file. It
// refuses while anything has the store open.
func Restore(ctx context.Context, dataDir, file string, stdout io.Writer) error {
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	lock, err := lockData(dataDir, true)
	if errors.Is(err, errLocked) {
		return fmt.Errorf("the store in %s is in use by the service or an admin command: stop the service first (systemctl stop wartemarke), then restore", dataDir)
	}
	if err != nil {
		return err
	}
	defer lock.Close()
	dst := filepath.Join(dataDir, sqlite.FileName)
	// Work on a copy inside the data folder: checking it may write (a
	// backup in WAL mode is checkpointed), and the final rename stays on
	// one file system.
	tmp, err := emptyTemp(dst)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := vacuumInto(ctx, file, tmp); err != nil {
		return fmt.Errorf("backup file %s: %w", file, err)
	}
	sum, err := inspect(ctx, tmp)
	if err != nil {
		return fmt.Errorf("backup file %s: %w", file, err)
	}
	if sum.schema > sqlite.SchemaVersion() {
		return fmt.Errorf("backup file %s has schema version %d, newer than this build's %d: restore it with the Wartemarke that made it", file, sum.schema, sqlite.SchemaVersion())
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	saved := ""
	if _, err := os.Stat(dst); err == nil {
		saved = dst + ".before-restore-" + time.Now().Format("20060102-150405")
		if err := os.WriteFile(saved, nil, 0o600); err != nil {
			return err
		}
		if err := vacuumInto(ctx, dst, saved); err != nil {
			os.Remove(saved)
			return fmt.Errorf("the current store could not be saved before the restore (%v); move %s* elsewhere by hand, then restore", err, dst)
		}
		if err := syncFile(saved); err != nil {
			return err
		}
	}
	// The old write-ahead log belongs to the old database: applied to the
	// restored one it would corrupt it.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(dst + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	if err := syncDir(dataDir); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s (%s)\n", file, dst, sum)
	if saved != "" {
		fmt.Fprintf(stdout, "the store before the restore is saved as %s\n", saved)
	}
	return nil
}

// openDB opens an existing database file (never creating one).
func openDB(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=rw&_pragma=busy_timeout("+fmt.Sprint(backupBusyWait.Milliseconds())+")")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// vacuumInto copies the database at src, consistently, into the empty file dst.
func vacuumInto(ctx context.Context, src, dst string) error {
	db, err := openDB(src)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, dst)
	return err
}

// summary is what a backup holds, in short.
type summary struct {
	schema                 int
	tickets, users, device int
	seq                    int64
}

func (s summary) String() string {
	return fmt.Sprintf("schema %d, tickets %d, events up to %d, accounts %d, devices %d", s.schema, s.tickets, s.seq, s.users, s.device)
}

// inspect checks a database file's integrity and counts what it holds.
func inspect(ctx context.Context, path string) (summary, error) {
	var s summary
	db, err := openDB(path)
	if err != nil {
		return s, err
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil {
		return s, err
	}
	if check != "ok" {
		return s, fmt.Errorf("integrity check: %s", check)
	}
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&s.schema); err != nil {
		return s, fmt.Errorf("not a Wartemarke store: %w", err)
	}
	if err := db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM tickets), (SELECT value FROM meta WHERE key = 'seq')`).Scan(&s.tickets, &s.seq); err != nil {
		return s, fmt.Errorf("not a Wartemarke store: %w", err)
	}
	// Accounts and devices exist from schema 3 on.
	db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM devices)`).Scan(&s.users, &s.device)
	return s, nil
}

// emptyTemp creates an empty file beside path, readable by the owner only
// (a store holds password and token hashes), for VACUUM INTO.
func emptyTemp(path string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", err
	}
	f.Close()
	return f.Name(), os.Chmod(f.Name(), 0o600)
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
