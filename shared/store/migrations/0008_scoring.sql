-- Scoring: trained models, invoice and customer scores, alerts.
-- Statements are separated by a semicolon at the end of a line.

-- The latest prediction for each open invoice: the probability it is paid
-- after its due date and the date it is expected to be paid.
CREATE TABLE invoice_scores (
    invoice_id INTEGER PRIMARY KEY REFERENCES invoices (id) ON DELETE CASCADE,
    model_version INTEGER NOT NULL,
    probability_late REAL NOT NULL,
    expected_payment_date TEXT NOT NULL,
    scored_at TEXT NOT NULL
);

CREATE INDEX invoice_scores_by_expected_payment_date ON invoice_scores (expected_payment_date);

-- The latest score of each customer: the probability that its next invoice
-- is paid late (0 to 1, higher is riskier).
CREATE TABLE customer_scores (
    customer_id INTEGER PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
    model_version INTEGER NOT NULL,
    risk REAL NOT NULL,
    scored_at TEXT NOT NULL
);

-- Every trained payment model, by version: the choice made, what it was
-- trained on (the examples' fingerprint, so training twice on the same
-- history adds no version), its evaluation metrics and the model itself,
-- both as JSON. The highest version is the one in use.
CREATE TABLE scoring_models (
    version INTEGER PRIMARY KEY,
    as_of TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    classifier TEXT NOT NULL,
    regressor TEXT NOT NULL,
    training_invoices INTEGER NOT NULL,
    metrics TEXT NOT NULL,
    model TEXT NOT NULL,
    trained_at TEXT NOT NULL
);

-- Each customer's score on each day it was scored, with the reasons given
-- (JSON), for trends and for explaining the score.
CREATE TABLE customer_score_history (
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    scored_on TEXT NOT NULL,
    model_version INTEGER NOT NULL,
    risk REAL NOT NULL,
    reasons TEXT NOT NULL,
    scored_at TEXT NOT NULL,
    PRIMARY KEY (customer_id, scored_on)
);

-- Customers a person should look at: risk past the threshold, risk rising
-- sharply, a payment habit broken. `subject` makes raising idempotent (the
-- invoice for a broken habit, the day for a risk alert). Alerts are only
-- ever reviewed by a person; nothing acts on them by itself.
CREATE TABLE scoring_alerts (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('risk_above_threshold', 'risk_rose_sharply', 'broke_habit')),
    subject TEXT NOT NULL,
    invoice_id INTEGER REFERENCES invoices (id) ON DELETE SET NULL,
    raised_on TEXT NOT NULL,
    risk REAL NOT NULL,
    message TEXT NOT NULL,
    model_version INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'reviewed')),
    reviewed_at TEXT,
    reviewed_by INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (customer_id, kind, subject)
);

CREATE INDEX scoring_alerts_by_status ON scoring_alerts (status, id);

-- Each scoring refresh: the day scored, the model used, whether every
-- customer was rescored or only those whose ledger changed since the
-- previous refresh started.
CREATE TABLE scoring_refreshes (
    id INTEGER PRIMARY KEY,
    as_of TEXT NOT NULL,
    model_version INTEGER NOT NULL,
    complete INTEGER NOT NULL CHECK (complete IN (0, 1)),
    customers_scored INTEGER NOT NULL,
    invoices_scored INTEGER NOT NULL,
    alerts_raised INTEGER NOT NULL,
    started_at TEXT NOT NULL
);
