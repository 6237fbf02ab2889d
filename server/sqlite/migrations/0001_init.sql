-- Tickets of the current and recent service days. Nothing about the person.
CREATE TABLE tickets (
	id          TEXT PRIMARY KEY,
	day         TEXT NOT NULL,             -- service day, YYYY-MM-DD, office time zone
	line        TEXT NOT NULL,             -- line it waits in now
	issued_line TEXT NOT NULL,             -- line whose numbering gave num
	num         INTEGER NOT NULL,
	number      TEXT NOT NULL,             -- "M-012"
	lang        TEXT NOT NULL,
	status      TEXT NOT NULL,
	place       INTEGER NOT NULL,          -- seq of the ticket.issued event
	desk        TEXT NOT NULL DEFAULT '',
	recalls     INTEGER NOT NULL DEFAULT 0,
	transfers   INTEGER NOT NULL DEFAULT 0,
	token       TEXT NOT NULL UNIQUE,
	issued_at   INTEGER NOT NULL,          -- unix milliseconds
	called_at   INTEGER,
	finished_at INTEGER,
	UNIQUE (day, issued_line, num)
);
CREATE INDEX tickets_open ON tickets (status, day, line, place);
CREATE INDEX tickets_called ON tickets (day, called_at);

-- The durable, ordered event log. seq comes from meta.seq, never reused.
CREATE TABLE events (
	seq    INTEGER PRIMARY KEY,
	type   TEXT NOT NULL,
	at     INTEGER NOT NULL,
	ticket TEXT NOT NULL                   -- the ticket as JSON, without its token
);

CREATE TABLE idempotency (
	key        TEXT PRIMARY KEY,
	body_hash  TEXT NOT NULL,
	ticket_id  TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX idempotency_created ON idempotency (created_at);

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('seq', 0);
