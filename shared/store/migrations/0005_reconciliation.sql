-- Reconciliation: the matches proposed for bank transactions and the team's
-- decisions on them, the allocations a match made, and the payer accounts
-- and names those decisions taught.
-- Statements are separated by a semicolon at the end of a line.

CREATE TABLE reconciliation_matches (
    id INTEGER PRIMARY KEY,
    bank_transaction_id INTEGER NOT NULL REFERENCES bank_transactions (id),
    -- 'suggested' waits for a person; 'applied' made allocations, by the
    -- matcher or by a person; 'rejected' and 'undone' are never proposed
    -- again for the same transaction; 'superseded' lost to another match.
    status TEXT NOT NULL CHECK (status IN
        ('suggested', 'applied', 'rejected', 'undone', 'superseded')),
    -- 'matcher' for automatic matches, else the id of the token that decided.
    decided_by TEXT,
    -- The candidate's place among the transaction's suggestions, best first.
    rank INTEGER NOT NULL,
    confidence REAL NOT NULL,
    explanation TEXT NOT NULL,
    -- JSON: the rules that fired.
    evidence TEXT NOT NULL,
    -- JSON: [{"kind": "invoice" | "credit_note", "id", "number", "amount"}].
    allocations TEXT NOT NULL,
    -- Sorted item keys ('i12 c3'): how two matches are known to be the same.
    items_key TEXT NOT NULL,
    -- Payment minus what the items had left: negative when short.
    residual TEXT NOT NULL,
    currency TEXT NOT NULL,
    -- 1 when the payment is short by a bank fee or exchange difference
    -- within tolerance: applying the match writes the shortfall off.
    writes_off_shortfall INTEGER NOT NULL DEFAULT 0 CHECK (writes_off_shortfall IN (0, 1)),
    created_at TEXT NOT NULL,
    decided_at TEXT
);

CREATE INDEX reconciliation_matches_by_status ON reconciliation_matches (status, id);
CREATE INDEX reconciliation_matches_by_transaction
    ON reconciliation_matches (bank_transaction_id, status);

ALTER TABLE allocations ADD COLUMN bank_transaction_id INTEGER REFERENCES bank_transactions (id);

ALTER TABLE allocations ADD COLUMN match_id INTEGER REFERENCES reconciliation_matches (id);

CREATE INDEX allocations_by_match ON allocations (match_id);

CREATE INDEX allocations_by_bank_transaction ON allocations (bank_transaction_id);

-- A credit note netted off an invoice by a match, so undoing the match
-- frees it again.
ALTER TABLE credit_notes ADD COLUMN netted_by_match_id INTEGER
    REFERENCES reconciliation_matches (id);

-- Why the last reconciliation left the transaction unmatched.
ALTER TABLE bank_transactions ADD COLUMN reconciliation_note TEXT;

CREATE INDEX bank_transactions_by_reconciliation_status
    ON bank_transactions (reconciliation_status, booking_date, id);

-- Payer accounts and names the team confirmed for a customer. Kept apart from
-- the customer's own accounts, which its platform and edits replace.
CREATE TABLE payer_mappings (
    kind TEXT NOT NULL CHECK (kind IN ('iban', 'name')),
    payer TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    learned_at TEXT NOT NULL,
    PRIMARY KEY (kind, payer, customer_id)
);
