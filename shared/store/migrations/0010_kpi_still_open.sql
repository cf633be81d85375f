-- KPIs as of today: the runs of days not ended, in customer order, with
-- every column the reads of open balances use (the condition's own column
-- included, or SQLite reads the table too), so that figures by customer are
-- summed straight off this index.
-- Statements are separated by a semicolon at the end of a line.

CREATE INDEX kpi_open_periods_still_open ON kpi_open_periods
    (customer_id, currency, due_date, open_minor, disputed_on, promised_on,
     promise_recorded_on, promised_minor, paused_until, invoice_id, open_from,
     open_until)
    WHERE open_until = '9999-12-31';
