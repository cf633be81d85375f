-- The customer ledger: customers, the accounts they pay from, invoices,
-- credit notes and the payments allocated to invoices.
--
-- Money columns hold exact decimal text ('1440.00'), never floating point.
-- Dates are 'YYYY-MM-DD'; instants are fixed-width UTC RFC 3339 text, so
-- comparing the text compares the instants. `version` is the `occurred_at`
-- of the last change applied from the source platform.
--
-- An invoice keeps the status its platform sent (`source_status`) apart from
-- the status Relance derives once credit notes and allocated payments are
-- counted (`status`), so that undoing a payment can reopen it.
-- Statements are separated by a semicolon at the end of a line.

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    name TEXT NOT NULL,
    legal_entity TEXT,
    region TEXT,
    segment TEXT,
    owner TEXT,
    collector TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    language TEXT NOT NULL DEFAULT 'fr',
    country TEXT,
    vat_number TEXT,
    payment_terms_days INTEGER,
    invoicing_contact_name TEXT,
    invoicing_contact_email TEXT,
    invoicing_contact_phone TEXT,
    dunning_contact_name TEXT,
    dunning_contact_email TEXT,
    dunning_contact_phone TEXT,
    archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    version TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (source, external_id)
);

CREATE INDEX customers_by_owner ON customers (owner);
CREATE INDEX customers_by_collector ON customers (collector);
CREATE INDEX customers_by_segment ON customers (segment);
CREATE INDEX customers_by_region ON customers (region);
CREATE INDEX customers_by_legal_entity ON customers (legal_entity);
CREATE INDEX customers_by_name ON customers (name, id);

CREATE TABLE customer_bank_accounts (
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    iban TEXT NOT NULL,
    PRIMARY KEY (customer_id, iban)
);

CREATE INDEX customer_bank_accounts_by_iban ON customer_bank_accounts (iban);

CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    number TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    issue_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    currency TEXT NOT NULL,
    total TEXT NOT NULL,
    tax TEXT NOT NULL,
    amount_paid TEXT NOT NULL,
    credited TEXT NOT NULL,
    allocated TEXT NOT NULL,
    remaining TEXT NOT NULL,
    source_status TEXT NOT NULL CHECK (source_status IN
        ('draft', 'open', 'partially_paid', 'paid', 'void', 'uncollectible')),
    status TEXT NOT NULL CHECK (status IN
        ('draft', 'open', 'partially_paid', 'paid', 'void', 'uncollectible')),
    channel TEXT,
    payment_reference TEXT,
    dispute_opened_on TEXT,
    dispute_reason TEXT,
    promised_on TEXT,
    promised_amount TEXT,
    promise_recorded_on TEXT,
    dunning_paused_until TEXT,
    version TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (source, external_id)
);

CREATE INDEX invoices_by_customer ON invoices (customer_id);
CREATE INDEX invoices_by_status_due_date ON invoices (status, due_date);
CREATE INDEX invoices_by_due_date ON invoices (due_date, id);
CREATE INDEX invoices_by_issue_date ON invoices (issue_date, id);
CREATE INDEX invoices_by_number ON invoices (number, id);
CREATE INDEX invoices_by_payment_reference ON invoices (payment_reference);

CREATE TABLE credit_notes (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    number TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    invoice_external_id TEXT,
    issue_date TEXT NOT NULL,
    currency TEXT NOT NULL,
    total TEXT NOT NULL,
    reason TEXT,
    voided INTEGER NOT NULL DEFAULT 0 CHECK (voided IN (0, 1)),
    version TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (source, external_id)
);

CREATE INDEX credit_notes_by_invoice ON credit_notes (source, invoice_external_id);
CREATE INDEX credit_notes_by_customer ON credit_notes (customer_id);

CREATE TABLE allocations (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    invoice_id INTEGER NOT NULL REFERENCES invoices (id),
    currency TEXT NOT NULL,
    amount TEXT NOT NULL,
    paid_on TEXT NOT NULL,
    method TEXT NOT NULL,
    created_at TEXT NOT NULL,
    reversed_at TEXT,
    UNIQUE (source, external_id)
);

CREATE INDEX allocations_by_invoice ON allocations (invoice_id);
