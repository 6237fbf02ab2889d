-- Personal accounts. Passwords as bcrypt hashes only.
CREATE TABLE users (
	name          TEXT PRIMARY KEY,
	role          TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	created_at    INTEGER NOT NULL
);

-- Sign-ins, by SHA-256 of the session token.
CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	user       TEXT NOT NULL,
	role       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user);

-- Paired kiosks and displays, by SHA-256 of their token and pairing code.
CREATE TABLE devices (
	id           TEXT PRIMARY KEY,
	kind         TEXT NOT NULL,
	name         TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	paired_at    INTEGER,
	pair_hash    TEXT NOT NULL DEFAULT '',
	pair_expires INTEGER,
	revoked_at   INTEGER,
	last_seen    INTEGER,
	token_hash   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX devices_token ON devices (token_hash);
CREATE INDEX devices_pair ON devices (pair_hash);
