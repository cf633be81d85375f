-- Bank accounts, their transactions from statement files and bank APIs, and
-- the connections the poller reads bank APIs through.
-- Statements are separated by a semicolon at the end of a line.

CREATE TABLE bank_accounts (
    id INTEGER PRIMARY KEY,
    -- The IBAN, else the account number, upper case without spaces.
    account_key TEXT NOT NULL UNIQUE,
    iban TEXT,
    number TEXT,
    bank_id TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE bank_transactions (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES bank_accounts (id),
    booking_date TEXT NOT NULL,
    value_date TEXT,
    -- Signed exact decimal: money received is positive.
    amount TEXT NOT NULL,
    currency TEXT,
    status TEXT NOT NULL CHECK (status IN ('booked', 'pending')),
    counterparty_name TEXT,
    counterparty_iban TEXT,
    end_to_end_id TEXT,
    customer_reference TEXT,
    bank_reference TEXT,
    -- {"unstructured": [...], "structured_references": [...]}
    remittance TEXT NOT NULL,
    reversal INTEGER NOT NULL DEFAULT 0 CHECK (reversal IN (0, 1)),
    bank_transaction_code TEXT,
    description TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL CHECK (source IN ('file', 'gocardless', 'berlin_group', 'plaid')),
    source_id TEXT,
    first_seen_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    reconciliation_status TEXT NOT NULL DEFAULT 'unmatched'
);

CREATE INDEX bank_transactions_by_date ON bank_transactions (booking_date, id);
CREATE INDEX bank_transactions_by_account ON bank_transactions (account_id, booking_date, id);
CREATE INDEX bank_transactions_by_source_id ON bank_transactions (source, source_id);

CREATE TABLE bank_connections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    provider TEXT NOT NULL CHECK (provider IN ('gocardless', 'berlin_group', 'plaid')),
    -- Provider settings; secrets are named by Spin variable, never stored.
    config TEXT NOT NULL,
    -- Where the next poll resumes, in the provider's terms (JSON).
    cursor TEXT,
    status TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'failing', 'consent_expired', 'disabled')),
    last_error TEXT,
    last_polled_at TEXT,
    consent_expires_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
