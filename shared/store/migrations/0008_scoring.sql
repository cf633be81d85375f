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
