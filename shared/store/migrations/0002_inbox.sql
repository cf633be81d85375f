-- Everything received, stored raw before it is applied, and the events
-- already applied (so that an event seen twice is applied once).
-- Statements are separated by a semicolon at the end of a line.

CREATE TABLE inbox (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    body BLOB NOT NULL,
    received_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'received'
        CHECK (status IN ('received', 'applied', 'duplicate', 'stale', 'failed')),
    error TEXT,
    applied_at TEXT
);

CREATE INDEX inbox_by_status ON inbox (status, id);
CREATE INDEX inbox_by_content_hash ON inbox (content_hash);

CREATE TABLE processed_events (
    source TEXT NOT NULL,
    event_id TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'stale')),
    processed_at TEXT NOT NULL,
    PRIMARY KEY (source, event_id)
);
