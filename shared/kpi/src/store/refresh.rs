//! Keeps the ledger's history up to date: the invoices written since the
//! last read (marked stale by triggers, in the writers' transactions) are
//! rebuilt from their dated credit notes and payments before figures are read.

use std::collections::HashMap;

use chrono::NaiveDate;
use relance_ledger::money::{Currency, Money};
use relance_store::{Database, Row, Rows, StoreError, Value};

use super::{KpiError, STILL_OPEN, span_class, stored_currency};
use crate::history::{InvoiceDocuments, Reduction, open_periods};

/// Invoices rebuilt per transaction: small enough that writers wait little.
const BATCH: usize = 500;

/// Parameters per multi-row insert, well under SQLite's limit.
const PARAMETERS_PER_INSERT: usize = 6_000;

/// The stale invoices of this batch, every id up to the batch's last.
const STALE: &str = "(SELECT invoice_id FROM kpi_stale_invoices WHERE invoice_id <= ?)";

/// Rebuilds the history of every stale invoice; says how many were rebuilt.
/// Reads nothing for a write lock when nothing is stale.
pub fn refresh(db: &impl Database) -> Result<usize, KpiError> {
    let mut rebuilt = 0;

    loop {
        let pending = db.execute(
            "SELECT EXISTS (SELECT 1 FROM kpi_stale_invoices) AS pending",
            &[],
        )?;
        if !pending
            .first()
            .map(|row| row.boolean("pending"))
            .transpose()?
            .unwrap_or(false)
        {
            return Ok(rebuilt);
        }

        rebuilt += db.transaction(rebuild_batch)?;
    }
}

/// Rebuilds up to [`BATCH`] stale invoices in the caller's transaction.
fn rebuild_batch(db: &impl Database) -> Result<usize, KpiError> {
    let rows = db.execute(
        "SELECT COUNT(*) AS count, MAX(invoice_id) AS last FROM
            (SELECT invoice_id FROM kpi_stale_invoices ORDER BY invoice_id LIMIT ?)",
        &[Value::Integer(BATCH as i64)],
    )?;
    let Some(row) = rows.first() else {
        return Ok(0);
    };
    let Some(last) = row.optional_integer("last")? else {
        return Ok(0);
    };
    let count = usize::try_from(row.integer("count")?).unwrap_or(0);
    let stale = [Value::Integer(last)];

    let mut credits = reductions_by_invoice(db, &stale)?;
    let mut allocations = allocations_by_invoice(db, &stale)?;
    let invoices = db.execute(
        &format!(
            "SELECT id, customer_id, currency, issue_date, due_date, total, amount_paid,
                source_status, substr(version, 1, 10) AS version_day, dispute_opened_on,
                promised_on, promise_recorded_on, promised_amount, dunning_paused_until
             FROM invoices WHERE id IN {STALE}"
        ),
        &stale,
    )?;

    let mut history = History::default();
    for row in invoices.iter() {
        let id = row.integer("id")?;
        let documents = StoredDocuments {
            credits: credits.remove(&id).unwrap_or_default(),
            allocations: allocations.remove(&id).unwrap_or_default(),
        };
        history.add(&row, documents)?;
    }

    count_in_ledger_days(db, last, -1)?;
    mark_forecast_customers(db, &stale)?;
    for table in ["kpi_invoices", "kpi_open_periods", "kpi_payments"] {
        db.execute(
            &format!("DELETE FROM {table} WHERE invoice_id IN {STALE}"),
            &stale,
        )?;
    }
    history.write(db)?;
    count_in_ledger_days(db, last, 1)?;
    db.execute(
        "DELETE FROM kpi_stale_invoices WHERE invoice_id <= ?",
        &stale,
    )?;

    Ok(count)
}

/// Marks the stale invoices' customers, as stored before the rebuild and as
/// written now, to be placed again on the forecast days already placed.
fn mark_forecast_customers(db: &impl Database, stale: &[Value]) -> Result<(), StoreError> {
    db.execute(
        &format!(
            "INSERT OR IGNORE INTO kpi_forecast_stale_customers (as_of, customer_id)
             SELECT d.as_of, k.customer_id FROM kpi_forecast_days d,
                (SELECT customer_id FROM invoices WHERE id IN {STALE}
                 UNION SELECT customer_id FROM kpi_open_periods WHERE invoice_id IN {STALE}
                 UNION SELECT customer_id FROM kpi_payments WHERE invoice_id IN {STALE}) k"
        ),
        &[stale, stale, stale].concat(),
    )?;
    Ok(())
}

/// Adds the stale invoices' rebuilt rows to the ledger's days (`sign` 1),
/// or takes them away (`sign` -1) before they are deleted.
fn count_in_ledger_days(db: &impl Database, last: i64, sign: i64) -> Result<(), StoreError> {
    let mut params = vec![Value::Integer(sign); 7];
    params.extend(vec![Value::Integer(last); 4]);

    db.execute(
        &format!(
            "INSERT INTO kpi_ledger_days
                (day, currency, invoices_issued, sales_minor, runs_change, owed_change_minor,
                 payments_kept, kept_minor, kept_days_minor)
             SELECT day, currency, ? * SUM(issued), ? * SUM(sales), ? * SUM(runs),
                ? * SUM(owed), ? * SUM(kept), ? * SUM(kept_minor), ? * SUM(kept_days)
             FROM (SELECT issue_date AS day, currency, 1 AS issued, total_minor AS sales,
                       0 AS runs, 0 AS owed, 0 AS kept, 0 AS kept_minor, 0 AS kept_days
                   FROM kpi_invoices WHERE invoice_id IN {STALE}
                   UNION ALL
                   SELECT open_from, currency, 0, 0, 1, open_minor, 0, 0, 0
                   FROM kpi_open_periods WHERE invoice_id IN {STALE}
                   UNION ALL
                   SELECT open_until, currency, 0, 0, -1, -open_minor, 0, 0, 0
                   FROM kpi_open_periods WHERE invoice_id IN {STALE}
                   UNION ALL
                   SELECT paid_on, currency, 0, 0, 0, 0, 1, amount_minor,
                       amount_minor * days_after_due
                   FROM kpi_payments WHERE invoice_id IN {STALE} AND undone_on IS NULL)
             WHERE true
             GROUP BY day, currency
             ON CONFLICT (day, currency) DO UPDATE SET
                invoices_issued = invoices_issued + excluded.invoices_issued,
                sales_minor = sales_minor + excluded.sales_minor,
                runs_change = runs_change + excluded.runs_change,
                owed_change_minor = owed_change_minor + excluded.owed_change_minor,
                payments_kept = payments_kept + excluded.payments_kept,
                kept_minor = kept_minor + excluded.kept_minor,
                kept_days_minor = kept_days_minor + excluded.kept_days_minor"
        ),
        &params,
    )?;
    Ok(())
}

/// A credit note or payment as stored, amounts still text.
struct StoredReduction {
    amount: String,
    on: NaiveDate,
    undone_on: Option<NaiveDate>,
    from_platform: bool,
}

/// An invoice's stored credit notes and payments.
struct StoredDocuments {
    credits: Vec<StoredReduction>,
    allocations: Vec<StoredReduction>,
}

fn reductions_by_invoice(
    db: &impl Database,
    stale: &[Value],
) -> Result<HashMap<i64, Vec<StoredReduction>>, StoreError> {
    let rows = db.execute(
        &format!(
            "SELECT i.id AS invoice_id, n.total AS amount, n.issue_date AS on_day,
                NULL AS undone_on, 0 AS from_platform
             FROM invoices i
             JOIN credit_notes n ON n.source = i.source AND n.invoice_external_id = i.external_id
             WHERE i.id IN {STALE} AND n.voided = 0"
        ),
        stale,
    )?;
    grouped_by_invoice(&rows)
}

fn allocations_by_invoice(
    db: &impl Database,
    stale: &[Value],
) -> Result<HashMap<i64, Vec<StoredReduction>>, StoreError> {
    let rows = db.execute(
        &format!(
            "SELECT a.invoice_id, a.amount, a.paid_on AS on_day,
                substr(a.reversed_at, 1, 10) AS undone_on,
                (a.source = i.source) AS from_platform
             FROM allocations a JOIN invoices i ON i.id = a.invoice_id
             WHERE a.invoice_id IN {STALE}"
        ),
        stale,
    )?;
    grouped_by_invoice(&rows)
}

/// Rows of `invoice_id, amount, on_day, undone_on, from_platform`, grouped
/// by invoice.
fn grouped_by_invoice(rows: &Rows) -> Result<HashMap<i64, Vec<StoredReduction>>, StoreError> {
    let mut by_invoice: HashMap<i64, Vec<StoredReduction>> = HashMap::new();
    for row in rows.iter() {
        by_invoice
            .entry(row.integer("invoice_id")?)
            .or_default()
            .push(StoredReduction {
                amount: row.text("amount")?.to_owned(),
                on: row.date("on_day")?,
                undone_on: row.optional_date("undone_on")?,
                from_platform: row.boolean("from_platform")?,
            });
    }
    Ok(by_invoice)
}

/// The rows the rebuilt invoices give, ready to insert.
#[derive(Default)]
struct History {
    invoices: Vec<Vec<Value>>,
    periods: Vec<Vec<Value>>,
    payments: Vec<Vec<Value>>,
}

impl History {
    /// Adds the history of one stored invoice. Drafts, void and written-off
    /// invoices are no receivables and add nothing.
    fn add(&mut self, row: &Row<'_>, documents: StoredDocuments) -> Result<(), KpiError> {
        let status = row.text("source_status")?;
        if !matches!(status, "open" | "partially_paid" | "paid") {
            return Ok(());
        }

        let invoice_id = row.integer("id")?;
        let customer_id = row.integer("customer_id")?;
        let currency = stored_currency(row.text("currency")?)?;
        let issue_date = row.date("issue_date")?;
        let due_date = row.date("due_date")?;
        let total = minor_units(row.text("total")?, currency, "total")?;

        let mut reductions = Vec::new();
        let mut credited = 0_i64;
        for credit in &documents.credits {
            let amount = minor_units(&credit.amount, currency, "credit_notes.total")?;
            credited = credited.saturating_add(amount);
            reductions.push(Reduction {
                on: credit.on,
                undone_on: None,
                amount,
            });
        }

        let mut paid_on_platform = 0_i64;
        let mut paid_elsewhere = 0_i64;
        for allocation in &documents.allocations {
            let amount = minor_units(&allocation.amount, currency, "allocations.amount")?;
            if allocation.undone_on.is_none() {
                if allocation.from_platform {
                    paid_on_platform = paid_on_platform.saturating_add(amount);
                } else {
                    paid_elsewhere = paid_elsewhere.saturating_add(amount);
                }
            }
            reductions.push(Reduction {
                on: allocation.on,
                undone_on: allocation.undone_on,
                amount,
            });
        }

        // What the platform reports as paid beyond the payments it dated is
        // dated by the platform's last change, when it reported it.
        let reported = if status == "paid" {
            total
        } else {
            minor_units(row.text("amount_paid")?, currency, "amount_paid")?
        };
        let unexplained = total
            .saturating_sub(credited)
            .saturating_sub(paid_elsewhere)
            .saturating_sub(paid_on_platform);
        let undated = reported
            .saturating_sub(paid_on_platform)
            .min(unexplained)
            .max(0);
        if undated > 0 {
            reductions.push(Reduction {
                on: row.date("version_day")?,
                undone_on: None,
                amount: undated,
            });
        }

        let documents_total = InvoiceDocuments {
            issue_date,
            total,
            reductions: reductions.clone(),
        };
        let periods = open_periods(&documents_total)
            .map_err(|source| KpiError::Balance { invoice_id, source })?;

        self.invoices.push(vec![
            Value::Integer(invoice_id),
            Value::Integer(customer_id),
            currency.code().into(),
            issue_date.into(),
            due_date.into(),
            Value::Integer(total),
        ]);

        let promised_minor = row
            .optional_text("promised_amount")?
            .map(|amount| minor_units(amount, currency, "promised_amount"))
            .transpose()?;
        for period in periods {
            self.periods.push(vec![
                Value::Integer(invoice_id),
                Value::Integer(customer_id),
                currency.code().into(),
                due_date.into(),
                period.from.into(),
                period.until.map_or_else(|| STILL_OPEN.into(), Value::from),
                Value::from(span_class(period.from, period.until)),
                Value::Integer(period.open),
                row.value("dispute_opened_on")?.clone(),
                row.value("promised_on")?.clone(),
                row.value("promise_recorded_on")?.clone(),
                promised_minor.map_or(Value::Null, Value::Integer),
                row.value("dunning_paused_until")?.clone(),
            ]);
        }

        let payments = reductions
            .iter()
            .skip(documents.credits.len())
            .filter(|payment| payment.undone_on.is_none_or(|undone| undone > payment.on));
        for payment in payments {
            let paid_on = payment.on.max(issue_date);
            self.payments.push(vec![
                Value::Integer(invoice_id),
                Value::Integer(customer_id),
                currency.code().into(),
                paid_on.into(),
                payment.undone_on.into(),
                Value::Integer((paid_on - due_date).num_days()),
                Value::Integer(payment.amount),
            ]);
        }
        Ok(())
    }

    fn write(self, db: &impl Database) -> Result<(), StoreError> {
        insert(
            db,
            "kpi_invoices (invoice_id, customer_id, currency, issue_date, due_date, total_minor)",
            self.invoices,
        )?;
        insert(
            db,
            "kpi_open_periods (invoice_id, customer_id, currency, due_date, open_from,
                open_until, span_class, open_minor, disputed_on, promised_on,
                promise_recorded_on, promised_minor, paused_until)",
            self.periods,
        )?;
        insert(
            db,
            "kpi_payments (invoice_id, customer_id, currency, paid_on, undone_on,
                days_after_due, amount_minor)",
            self.payments,
        )
    }
}

/// Inserts rows of equal width with as few statements as the parameter
/// limit allows.
fn insert(db: &impl Database, target: &str, rows: Vec<Vec<Value>>) -> Result<(), StoreError> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    let placeholders = format!("({})", vec!["?"; width].join(", "));
    let per_statement = (PARAMETERS_PER_INSERT / width).max(1);

    for chunk in rows.chunks(per_statement) {
        let values = vec![placeholders.as_str(); chunk.len()].join(", ");
        let params: Vec<Value> = chunk.iter().flatten().cloned().collect();
        db.execute(&format!("INSERT INTO {target} VALUES {values}"), &params)?;
    }
    Ok(())
}

/// A stored amount as integer minor units of `currency`.
fn minor_units(text: &str, currency: Currency, column: &str) -> Result<i64, StoreError> {
    Money::parse(text, currency)
        .ok()
        .and_then(|money| money.to_minor_units())
        .ok_or_else(|| StoreError::UnexpectedValue {
            column: column.to_owned(),
            expected: "an amount in the invoice's currency",
            found: format!("{text:?}"),
        })
}

#[cfg(test)]
mod tests {
    use relance_store::NativeDatabase;

    use super::*;
    use crate::store::test_ledger::{add_invoice, add_payment, database_with_a_customer};
    use crate::store::{nothing_changes_after, open_by_span_class, open_on, still_open};

    /// The ledger's days as kept, and as summed again from the rebuilt rows.
    fn ledger_days(db: &NativeDatabase) -> (Vec<String>, Vec<String>) {
        let read = |sql: &str| -> Vec<String> {
            db.execute(sql, &[])
                .expect("read")
                .iter()
                .map(|row| {
                    format!(
                        "{} {} {} {} {} {} {} {} {}",
                        row.text("day").expect("day"),
                        row.text("currency").expect("currency"),
                        row.integer("a").expect("a"),
                        row.integer("b").expect("b"),
                        row.integer("c").expect("c"),
                        row.integer("d").expect("d"),
                        row.integer("e").expect("e"),
                        row.integer("f").expect("f"),
                        row.integer("g").expect("g"),
                    )
                })
                .collect()
        };
        let kept = read(
            "SELECT day, currency, invoices_issued AS a, sales_minor AS b, runs_change AS c,
                owed_change_minor AS d, payments_kept AS e, kept_minor AS f,
                kept_days_minor AS g
             FROM kpi_ledger_days
             WHERE invoices_issued <> 0 OR runs_change <> 0 OR owed_change_minor <> 0
                OR payments_kept <> 0
             ORDER BY day, currency",
        );
        let summed = read(
            "SELECT day, currency, SUM(a) AS a, SUM(b) AS b, SUM(c) AS c, SUM(d) AS d,
                SUM(e) AS e, SUM(f) AS f, SUM(g) AS g
             FROM (SELECT issue_date AS day, currency, 1 AS a, total_minor AS b, 0 AS c,
                       0 AS d, 0 AS e, 0 AS f, 0 AS g FROM kpi_invoices
                   UNION ALL
                   SELECT open_from, currency, 0, 0, 1, open_minor, 0, 0, 0
                   FROM kpi_open_periods
                   UNION ALL
                   SELECT open_until, currency, 0, 0, -1, -open_minor, 0, 0, 0
                   FROM kpi_open_periods
                   UNION ALL
                   SELECT paid_on, currency, 0, 0, 0, 0, 1, amount_minor,
                       amount_minor * days_after_due
                   FROM kpi_payments WHERE undone_on IS NULL)
             GROUP BY day, currency
             HAVING SUM(a) <> 0 OR SUM(c) <> 0 OR SUM(d) <> 0 OR SUM(e) <> 0
             ORDER BY day, currency",
        );
        (kept, summed)
    }

    #[test]
    fn the_ledger_days_follow_the_rebuilt_rows_when_an_invoice_is_rebuilt_again() {
        let db = database_with_a_customer();
        add_invoice(&db, 1, "EUR", "2026-01-05", "2026-02-04");
        add_invoice(&db, 2, "USD", "2026-01-20", "2026-02-19");
        add_payment(&db, 1, "EUR", "2026-02-10");
        refresh(&db).expect("first rebuild");

        let (kept, summed) = ledger_days(&db);
        assert!(!kept.is_empty());
        assert_eq!(kept, summed);

        add_payment(&db, 1, "EUR", "2026-02-20");
        add_payment(&db, 2, "USD", "2026-02-25");
        assert_eq!(refresh(&db).expect("second rebuild"), 2);

        let (kept, summed) = ledger_days(&db);
        assert_eq!(kept, summed);
    }

    #[test]
    fn after_the_last_change_the_runs_not_ended_are_the_runs_open() {
        let db = database_with_a_customer();
        add_invoice(&db, 1, "EUR", "2026-01-05", "2026-02-04");
        add_invoice(&db, 2, "USD", "2026-01-20", "2026-02-19");
        add_invoice(&db, 3, "EUR", "2026-02-01", "2026-03-03");
        add_payment(&db, 1, "EUR", "2026-02-10");
        add_payment(&db, 3, "EUR", "2026-02-27");
        refresh(&db).expect("rebuild");

        let runs = |(open, params): (String, Vec<Value>)| -> Vec<String> {
            db.execute(
                &format!(
                    "SELECT invoice_id, open_from, open_minor FROM {open}
                     ORDER BY invoice_id, open_from"
                ),
                &params,
            )
            .expect("runs")
            .iter()
            .map(|row| {
                format!(
                    "{} {} {}",
                    row.integer("invoice_id").expect("invoice"),
                    row.text("open_from").expect("from"),
                    row.integer("open_minor").expect("owed")
                )
            })
            .collect()
        };

        for day in ["2026-02-27", "2026-03-01", "2027-01-01"] {
            let day: NaiveDate = day.parse().expect("day");
            assert!(nothing_changes_after(&db, day).expect("read"), "{day}");
            assert_eq!(
                runs((still_open(), Vec::new())),
                runs(open_by_span_class(day)),
                "{day}"
            );
        }
        let day = "2026-02-26".parse().expect("day");
        assert!(!nothing_changes_after(&db, day).expect("read"));
        assert_eq!(
            runs(open_on(&db, day).expect("open")),
            runs(open_by_span_class(day))
        );
    }
}
