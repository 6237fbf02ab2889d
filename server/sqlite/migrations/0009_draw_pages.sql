-- Fewer pages written per draw. Every commit writes each B-tree page a draw
-- touched to the write-ahead log; a draw touched twelve.
--
-- The idempotency keys become one B-tree keyed by the key (no rowid table
-- beside it) without an index on created_at: a lookup ignores keys past
-- their time, and the keys go with their tickets when a day is retired.
CREATE TABLE idempotency_new (
	key        TEXT PRIMARY KEY,
	body_hash  TEXT NOT NULL,
	ticket_id  TEXT NOT NULL,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO idempotency_new (key, body_hash, ticket_id, created_at)
	SELECT key, body_hash, ticket_id, created_at FROM idempotency;
DROP TABLE idempotency;
ALTER TABLE idempotency_new RENAME TO idempotency;

-- The calls index holds called tickets only: a draw (not called yet) no
-- longer writes to it. Its queries all ask for called_at IS NOT NULL.
DROP INDEX tickets_called;
CREATE INDEX tickets_called ON tickets (day, called_at) WHERE called_at IS NOT NULL;
