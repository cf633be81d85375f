-- KPIs: a customer's payments in one currency over a period are one range
-- of the customer index, so that each customer's own payment delay is read
-- without sorting the payments of every customer.
-- Statements are separated by a semicolon at the end of a line.

DROP INDEX kpi_payments_by_customer;

CREATE INDEX kpi_payments_by_customer ON kpi_payments
    (customer_id, currency, paid_on, undone_on, amount_minor, days_after_due);
