-- KPIs: the forecast's open amounts placed on their expected days, kept for
-- the last few `as_of` days asked for, so that a forecast reads days already
-- placed instead of placing every open invoice again.
-- Statements are separated by a semicolon at the end of a line.

-- The days whose open amounts are placed, in the order they were placed.
CREATE TABLE kpi_forecast_days (
    as_of TEXT PRIMARY KEY
);

-- The open amounts of each day placed: by currency, basis of the expected
-- date, expected day and due day (days since 1970-01-01), and customer.
CREATE TABLE kpi_forecast_legs (
    as_of TEXT NOT NULL,
    currency TEXT NOT NULL,
    basis TEXT NOT NULL,
    expected_day INTEGER NOT NULL,
    due_day INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL
);

CREATE INDEX kpi_forecast_legs_by_expected_day ON kpi_forecast_legs
    (as_of, currency, basis, expected_day, customer_id, amount_minor);

CREATE INDEX kpi_forecast_legs_by_due_day ON kpi_forecast_legs
    (as_of, currency, due_day, customer_id, amount_minor);

-- The customers whose amounts must be placed again on a day already placed:
-- marked when their invoices are rebuilt, and by the triggers below when an
-- invoice of theirs is scored.
CREATE TABLE kpi_forecast_stale_customers (
    as_of TEXT NOT NULL,
    customer_id INTEGER NOT NULL,
    PRIMARY KEY (as_of, customer_id)
) WITHOUT ROWID;

CREATE TRIGGER kpi_forecast_score_inserted AFTER INSERT ON invoice_scores
BEGIN INSERT OR IGNORE INTO kpi_forecast_stale_customers (as_of, customer_id)
    SELECT d.as_of, i.customer_id FROM kpi_forecast_days d, invoices i
    WHERE i.id = NEW.invoice_id; END;

CREATE TRIGGER kpi_forecast_score_updated AFTER UPDATE ON invoice_scores
BEGIN INSERT OR IGNORE INTO kpi_forecast_stale_customers (as_of, customer_id)
    SELECT d.as_of, i.customer_id FROM kpi_forecast_days d, invoices i
    WHERE i.id IN (NEW.invoice_id, OLD.invoice_id); END;

CREATE TRIGGER kpi_forecast_score_deleted AFTER DELETE ON invoice_scores
BEGIN INSERT OR IGNORE INTO kpi_forecast_stale_customers (as_of, customer_id)
    SELECT d.as_of, i.customer_id FROM kpi_forecast_days d, invoices i
    WHERE i.id = OLD.invoice_id; END;
