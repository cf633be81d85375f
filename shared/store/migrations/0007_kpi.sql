-- KPIs: the exchange rates amounts are reported in.
-- Statements are separated by a semicolon at the end of a line.

-- One unit of `currency` is worth `rate` units of `reporting_currency` from
-- `valid_from` until the next rate of the pair.
CREATE TABLE fx_rates (
    currency TEXT NOT NULL,
    reporting_currency TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    rate TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (reporting_currency, currency, valid_from)
);

-- The ledger through time, rebuilt per invoice from its dated documents so
-- that figures can be read as of any day. Amounts are integer minor units
-- of the row's currency (cents for EUR): exact, and summed exactly by SQLite.
--
-- Invoices whose history must be rebuilt before figures are read. Every
-- write to an invoice marks it here, in the writer's own transaction:
-- credit notes and payments mark it too, since they recompute the invoice.
CREATE TABLE kpi_stale_invoices (
    invoice_id INTEGER PRIMARY KEY
);

INSERT INTO kpi_stale_invoices (invoice_id) SELECT id FROM invoices;

CREATE TRIGGER kpi_invoice_inserted AFTER INSERT ON invoices
BEGIN INSERT OR IGNORE INTO kpi_stale_invoices (invoice_id) VALUES (NEW.id); END;

CREATE TRIGGER kpi_invoice_updated AFTER UPDATE ON invoices
BEGIN INSERT OR IGNORE INTO kpi_stale_invoices (invoice_id) VALUES (NEW.id); END;

-- Each invoice that is a receivable (open, partly paid or paid), as sales
-- count it.
CREATE TABLE kpi_invoices (
    invoice_id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    currency TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    total_minor INTEGER NOT NULL
);

CREATE INDEX kpi_invoices_by_issue_date
    ON kpi_invoices (issue_date, currency, total_minor, customer_id);

CREATE INDEX kpi_invoices_by_customer ON kpi_invoices (customer_id, issue_date);

-- The runs of days over which an invoice owed the same amount, from
-- `open_from` up to but excluding `open_until` ('9999-12-31' while it still
-- owes it). `span_class` sorts runs by length (a run of n days has class
-- bits(n), capped at 12 for long and unfinished runs) so that the runs open
-- on a day are found by a few short ranges of the table, which is stored in
-- that order (an invoice's runs start on different days).
CREATE TABLE kpi_open_periods (
    invoice_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    currency TEXT NOT NULL,
    due_date TEXT NOT NULL,
    open_from TEXT NOT NULL,
    open_until TEXT NOT NULL,
    span_class INTEGER NOT NULL,
    open_minor INTEGER NOT NULL,
    disputed_on TEXT,
    promised_on TEXT,
    promise_recorded_on TEXT,
    promised_minor INTEGER,
    paused_until TEXT,
    PRIMARY KEY (span_class, open_from, invoice_id)
) WITHOUT ROWID;

CREATE INDEX kpi_open_periods_by_invoice ON kpi_open_periods (invoice_id);

-- The whole ledger day by day, kept with the tables above by the rebuild,
-- for the figures of every customer at once: the invoices issued that day
-- and their sales; the change that day in the runs open and in what they
-- owe (runs starting add, runs ending subtract), so that the sums of the
-- changes up to a day are the runs open on it and what they owe; the
-- payments received that day and never undone, their amount, and their
-- amount times their days after due.
CREATE TABLE kpi_ledger_days (
    day TEXT NOT NULL,
    currency TEXT NOT NULL,
    invoices_issued INTEGER NOT NULL,
    sales_minor INTEGER NOT NULL,
    runs_change INTEGER NOT NULL,
    owed_change_minor INTEGER NOT NULL,
    payments_kept INTEGER NOT NULL,
    kept_minor INTEGER NOT NULL,
    kept_days_minor INTEGER NOT NULL,
    PRIMARY KEY (day, currency)
) WITHOUT ROWID;

-- Payments received on receivables, with how many days after the due date
-- each came (negative when early) and the day it was undone, if it was.
CREATE TABLE kpi_payments (
    invoice_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    currency TEXT NOT NULL,
    paid_on TEXT NOT NULL,
    undone_on TEXT,
    days_after_due INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL
);

-- Both indexes hold every column the reads of payments over a period need.
CREATE INDEX kpi_payments_by_day ON kpi_payments
    (paid_on, undone_on, customer_id, currency, amount_minor, days_after_due);

CREATE INDEX kpi_payments_by_customer ON kpi_payments
    (customer_id, paid_on, undone_on, currency, amount_minor, days_after_due);

CREATE INDEX kpi_payments_by_invoice ON kpi_payments (invoice_id);

CREATE INDEX kpi_payments_undone ON kpi_payments (paid_on, undone_on)
    WHERE undone_on IS NOT NULL;
