-- What became of each ticket's slip: '' (unknown or no printer), printed, failed.
ALTER TABLE tickets ADD COLUMN print TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN print_error TEXT NOT NULL DEFAULT '';
