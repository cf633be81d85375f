-- KPIs as of today: the runs of days not ended, by currency then customer,
-- so that balances by currency (the whole portfolio's) are summed straight
-- off the index, as balances by customer are, without sorting the runs.
-- Statements are separated by a semicolon at the end of a line.

DROP INDEX kpi_open_periods_still_open;

CREATE INDEX kpi_open_periods_still_open ON kpi_open_periods
    (currency, customer_id, due_date, open_minor, disputed_on, promised_on,
     promise_recorded_on, promised_minor, paused_until, invoice_id, open_from,
     open_until)
    WHERE open_until = '9999-12-31';
