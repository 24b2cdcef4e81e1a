-- Duties one process at a time should perform (the janitor): whoever holds
-- the row's unexpired lease leads; any process takes it over once it lapses.

CREATE TABLE leaders (
    duty       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
