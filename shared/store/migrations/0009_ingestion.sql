-- Ingestion: every index on invoices is written with each invoice stored.
-- Statements are separated by a semicolon at the end of a line.

-- Payments are matched to references in memory, never looked up by
-- reference in SQL: the index cost every invoice write and served no read.
DROP INDEX invoices_by_payment_reference;
