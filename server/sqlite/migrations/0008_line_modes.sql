-- Lines opened or closed by hand for a day (an admin's choice).
CREATE TABLE line_modes (
	line  TEXT NOT NULL,
	day   TEXT NOT NULL,
	state TEXT NOT NULL,      -- the queue.LineMode as JSON
	PRIMARY KEY (day, line)
);
