-- API bearer tokens. Only the SHA-256 of each secret is kept.
-- Statements are separated by a semicolon at the end of a line.

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL
        CHECK (role IN ('admin', 'manager', 'collector', 'sales', 'viewer')),
    scope_owner TEXT,
    scope_collector TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    CHECK (scope_owner IS NULL OR scope_collector IS NULL)
);
