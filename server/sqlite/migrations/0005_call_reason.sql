-- Why a ticket was called out of order (a key of the configured list).
ALTER TABLE tickets ADD COLUMN call_reason TEXT NOT NULL DEFAULT '';
