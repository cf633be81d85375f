//! Customer ledger imports: the French FEC (Fichier des Écritures Comptables,
//! article A47 A-1 of the Livre des procédures fiscales) and a simple CSV
//! ledger, both turned into ledger changes with the source `ledger`.
//!
//! Identities are stable: a customer is its account number (`CompAuxNum` or
//! `customer_id`), an invoice its number, so importing the same file again
//! yields the same changes.
//!
//! How a FEC is read:
//! - Customer lines are those on accounts `411*`, the customer being in
//!   `CompAuxNum` / `CompAuxLib`.
//! - A debit on 411 is an invoice: `PieceRef` is its number, `PieceDate` its
//!   issue date (`EcritureDate` when empty). Opening entries (à-nouveaux)
//!   carry last year's unpaid invoices this way too.
//! - A credit on 411 is a payment when its entry has a bank or cash line
//!   (class 5), a credit note when it has a sales line (class 7), and another
//!   settlement (write-off, compensation) otherwise.
//! - A FEC has no due date: an invoice is due on its issue date plus the
//!   `payment_terms_days` given in [`ImportOptions`], or on its issue date.
//! - Lines sharing a lettering code (`EcritureLet`) for one customer were
//!   settled together. Their credits are allocated to their invoices oldest
//!   first; a balanced code (debits equal credits) marks its invoices paid.
//!   A credit note is attached to the first invoice it covers. Credits
//!   without a lettering code stay unallocated: matching them is the
//!   reconciliation's work, so they produce no change, except credit notes,
//!   which become credits on the customer's account.
//! - Debits on 411 against a bank account (returned payments, refunds) are
//!   not invoices and are left to the bank feed. `Montantdevise`, `Idevise`,
//!   `DateLet` and `ValidDate` are not needed: amounts are taken in the book
//!   currency and payments dated by their entry.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};

use crate::allocation::{Allocation, InvoiceLocator, PaymentMethod};
use crate::change::LedgerChange;
use crate::customer::{Customer, Segmentation, SourceRef};
use crate::invoice::{
    CreditNote, CreditNoteParts, Invoice, InvoiceNumber, InvoiceParts, InvoiceStatus,
};
use crate::money::{Currency, Money};

/// The source name of everything imported from a ledger file.
pub const SOURCE: &str = "ledger";

/// The 18 columns of a FEC, in their legal order.
pub const FEC_COLUMNS: [&str; 18] = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
];

/// The columns a CSV ledger must have, before the optional segmentation ones.
pub const CSV_COLUMNS: [&str; 8] = [
    "customer_id",
    "customer_name",
    "invoice_number",
    "issue_date",
    "due_date",
    "currency",
    "total",
    "amount_paid",
];

/// A problem in a ledger file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column `{column}`: {problem}")]
pub struct LedgerFileError {
    /// The line number, 1 being the header.
    pub line: usize,
    /// The column's name in the header.
    pub column: String,
    /// What is wrong, quoting the value.
    pub problem: String,
}

/// Choices a ledger file does not state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions {
    /// The book currency of a FEC.
    pub currency: Currency,
    /// Payment terms of the customers of a FEC, in days from the issue date.
    pub payment_terms_days: Option<u32>,
}

impl Default for ImportOptions {
    /// Euros, and invoices due on their issue date.
    fn default() -> Self {
        ImportOptions {
            currency: Currency::EUR,
            payment_terms_days: None,
        }
    }
}

/// Reads a FEC or a CSV ledger, told apart by the header. The text may be
/// UTF-8 or, as many accounting programs write FEC files, Latin-1.
pub fn parse_ledger_file(
    bytes: &[u8],
    options: ImportOptions,
) -> Result<Vec<LedgerChange>, LedgerFileError> {
    let text = decode(bytes);
    let header = text.lines().next().unwrap_or_default();

    if header.contains("JournalCode") {
        parse_fec(&text, options)
    } else {
        parse_csv(&text)
    }
}

/// UTF-8 when valid, else Latin-1 (every byte is one character).
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(bytes.iter().map(|&byte| char::from(byte)).collect()),
    }
}

/// One data line split into cells, with its header to name them.
struct Row<'a> {
    line: usize,
    header: &'a [String],
    cells: Vec<String>,
}

impl Row<'_> {
    fn error(&self, column: &str, problem: impl Into<String>) -> LedgerFileError {
        LedgerFileError {
            line: self.line,
            column: column.to_string(),
            problem: problem.into(),
        }
    }

    /// The trimmed cell of a column; empty when the column is absent.
    fn get(&self, column: &str) -> &str {
        self.header
            .iter()
            .position(|name| name.eq_ignore_ascii_case(column))
            .and_then(|index| self.cells.get(index))
            .map_or("", |cell| cell.trim())
    }

    fn optional(&self, column: &str) -> Option<String> {
        Some(self.get(column))
            .filter(|cell| !cell.is_empty())
            .map(str::to_string)
    }

    fn required(&self, column: &str) -> Result<&str, LedgerFileError> {
        let cell = self.get(column);
        if cell.is_empty() {
            return Err(self.error(column, "is empty; this column is required on this line"));
        }
        Ok(cell)
    }

    /// A date in the given `chrono` format, named for the error message.
    fn date(&self, column: &str, format: &str, shape: &str) -> Result<NaiveDate, LedgerFileError> {
        let cell = self.required(column)?;
        NaiveDate::parse_from_str(cell, format)
            .ok()
            .filter(|_| cell.len() == shape.len())
            .ok_or_else(|| self.error(column, format!("{cell:?} is not a date: write {shape}")))
    }

    /// An amount with a dot or a comma as decimal separator; empty is zero.
    fn amount(&self, column: &str, currency: Currency) -> Result<Money, LedgerFileError> {
        let cell = self.get(column);
        if cell.is_empty() {
            return Ok(Money::zero(currency));
        }

        let money = Money::parse(&cell.replace(',', "."), currency)
            .map_err(|error| self.error(column, error.to_string()))?;
        if money.is_negative() {
            return Err(self.error(
                column,
                format!(
                    "{cell:?} is negative; amounts in a ledger file are never negative \
                 (a FEC books a reversal in the other column)"
                ),
            ));
        }
        Ok(money)
    }

    fn source_ref(&self, column: &str) -> Result<SourceRef, LedgerFileError> {
        let id = self.required(column)?;
        SourceRef::new(SOURCE, id).map_err(|error| self.error(column, error.to_string()))
    }

    fn number(&self, column: &str) -> Result<InvoiceNumber, LedgerFileError> {
        let number = self.required(column)?;
        InvoiceNumber::parse(number).map_err(|error| self.error(column, error.to_string()))
    }
}

/// The header cells, checked to hold every required column.
fn read_header(
    line: &str,
    separator: char,
    required: &[&str],
) -> Result<Vec<String>, LedgerFileError> {
    let header: Vec<String> = split_line(line, separator)
        .into_iter()
        .map(|name| name.trim().trim_start_matches('\u{feff}').to_string())
        .collect();

    for column in required {
        if !header.iter().any(|name| name.eq_ignore_ascii_case(column)) {
            return Err(LedgerFileError {
                line: 1,
                column: (*column).to_string(),
                problem: format!(
                    "is missing from the header; the columns are {}",
                    required.join(", ")
                ),
            });
        }
    }
    Ok(header)
}

/// The non-blank data lines as rows, numbered from 2.
fn rows<'a>(text: &'a str, header: &'a [String], separator: char) -> impl Iterator<Item = Row<'a>> {
    text.lines()
        .enumerate()
        .skip(1)
        .filter(|(_, line)| !line.trim().is_empty())
        .map(move |(index, line)| Row {
            line: index + 1,
            header,
            cells: split_line(line, separator),
        })
}

/// Splits on the separator, honouring double quotes (`""` is a quote).
fn split_line(line: &str, separator: char) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.trim_end_matches('\r').chars().peekable();

    while let Some(c) = chars.next() {
        let cell = cells.last_mut().expect("cells start with one");
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == separator && !quoted => cells.push(String::new()),
            c => cell.push(c),
        }
    }
    cells
}

/// What a credit on a customer account is, from the other lines of its entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CreditKind {
    Payment,
    CreditNote,
    OtherSettlement,
}

/// A line on a customer account (411*).
struct CustomerLine {
    line: usize,
    entry: String,
    entry_date: NaiveDate,
    customer: SourceRef,
    customer_name: String,
    piece: InvoiceNumber,
    piece_date: NaiveDate,
    debit: Money,
    credit: Money,
    lettering: Option<String>,
    against_bank: bool,
    against_sales: bool,
}

/// Reads a FEC, tab- or pipe-separated (told by the header).
pub fn parse_fec(text: &str, options: ImportOptions) -> Result<Vec<LedgerChange>, LedgerFileError> {
    let header_line = text.lines().next().unwrap_or_default();
    let separator = if header_line.contains('\t') {
        '\t'
    } else {
        '|'
    };
    let header = read_header(header_line, separator, &FEC_COLUMNS)?;

    // Which account classes each entry touches, to tell payments from credit notes.
    let rows: Vec<Row> = rows(text, &header, separator).collect();
    let mut classes: BTreeMap<String, BTreeSet<char>> = BTreeMap::new();
    for row in &rows {
        let account = row.required("CompteNum")?;
        let class = account.chars().next().unwrap_or('0');
        classes.entry(entry_key(row)).or_default().insert(class);
    }

    let mut lines = Vec::new();
    for row in rows
        .iter()
        .filter(|row| row.get("CompteNum").starts_with("411"))
    {
        let entry_classes = &classes[&entry_key(row)];
        lines.push(customer_line(row, options.currency, entry_classes)?);
    }

    fec_changes(&lines, options)
}

fn entry_key(row: &Row) -> String {
    format!("{}-{}", row.get("JournalCode"), row.get("EcritureNum"))
}

fn customer_line(
    row: &Row,
    currency: Currency,
    entry_classes: &BTreeSet<char>,
) -> Result<CustomerLine, LedgerFileError> {
    let entry_date = row.date("EcritureDate", "%Y%m%d", "YYYYMMDD")?;
    let piece_date = match row.get("PieceDate") {
        "" => entry_date,
        _ => row.date("PieceDate", "%Y%m%d", "YYYYMMDD")?,
    };
    let customer = row.source_ref("CompAuxNum")?;

    Ok(CustomerLine {
        line: row.line,
        entry: entry_key(row),
        entry_date,
        customer_name: row
            .optional("CompAuxLib")
            .unwrap_or_else(|| customer.external_id.clone()),
        customer,
        piece: row.number("PieceRef")?,
        piece_date,
        debit: row.amount("Debit", currency)?,
        credit: row.amount("Credit", currency)?,
        lettering: row.optional("EcritureLet"),
        against_bank: entry_classes.contains(&'5'),
        against_sales: entry_classes.contains(&'7'),
    })
}

impl CustomerLine {
    fn is_invoice(&self) -> bool {
        !self.debit.is_zero() && !self.against_bank
    }

    fn credit_kind(&self) -> Option<CreditKind> {
        if self.credit.is_zero() {
            None
        } else if self.against_bank {
            Some(CreditKind::Payment)
        } else if self.against_sales {
            Some(CreditKind::CreditNote)
        } else {
            Some(CreditKind::OtherSettlement)
        }
    }
}

/// An invoice being assembled from its lines and settlements.
struct InvoiceDraft {
    first_line: usize,
    customer: SourceRef,
    issue_date: NaiveDate,
    total: Money,
    paid: Money,
    settled: bool,
}

fn fec_changes(
    lines: &[CustomerLine],
    options: ImportOptions,
) -> Result<Vec<LedgerChange>, LedgerFileError> {
    let currency = options.currency;
    let amount_error = |line: &CustomerLine, error: crate::money::MoneyError| LedgerFileError {
        line: line.line,
        column: "Debit".to_string(),
        problem: error.to_string(),
    };

    // Customers and invoices (several debit lines of one piece add up).
    let mut customers: BTreeMap<SourceRef, String> = BTreeMap::new();
    let mut invoices: BTreeMap<InvoiceNumber, InvoiceDraft> = BTreeMap::new();
    for line in lines {
        customers
            .entry(line.customer.clone())
            .or_insert_with(|| line.customer_name.clone());
        if !line.is_invoice() {
            continue;
        }
        let draft = invoices
            .entry(line.piece.clone())
            .or_insert_with(|| InvoiceDraft {
                first_line: line.line,
                customer: line.customer.clone(),
                issue_date: line.piece_date,
                total: Money::zero(currency),
                paid: Money::zero(currency),
                settled: false,
            });
        if draft.customer != line.customer {
            return Err(LedgerFileError {
                line: line.line,
                column: "CompAuxNum".to_string(),
                problem: format!(
                    "invoice {} is already booked to customer {} on line {}",
                    line.piece, draft.customer.external_id, draft.first_line
                ),
            });
        }
        draft.total = draft
            .total
            .checked_add(line.debit)
            .map_err(|e| amount_error(line, e))?;
    }

    // Lettering: settle each code's invoices with its credits, oldest first.
    let mut groups: BTreeMap<(SourceRef, String), Vec<&CustomerLine>> = BTreeMap::new();
    for line in lines {
        if let Some(code) = &line.lettering {
            groups
                .entry((line.customer.clone(), code.clone()))
                .or_default()
                .push(line);
        }
    }
    let mut allocations = Vec::new();
    let mut credit_note_targets: BTreeMap<InvoiceNumber, InvoiceNumber> = BTreeMap::new();
    for group in groups.values() {
        settle_group(
            group,
            &mut invoices,
            &mut allocations,
            &mut credit_note_targets,
        )
        .map_err(|(line, error)| amount_error(line, error))?;
    }

    // Credit notes, lettered or not.
    let mut credit_notes: BTreeMap<InvoiceNumber, (&CustomerLine, Money)> = BTreeMap::new();
    for line in lines
        .iter()
        .filter(|l| l.credit_kind() == Some(CreditKind::CreditNote))
    {
        let (_, total) = credit_notes
            .entry(line.piece.clone())
            .or_insert((line, Money::zero(currency)));
        *total = total
            .checked_add(line.credit)
            .map_err(|e| amount_error(line, e))?;
    }

    let mut changes: Vec<LedgerChange> = customers
        .into_iter()
        .map(|(source_ref, name)| {
            let mut customer = Customer::stub(source_ref, &name);
            customer.payment_terms_days = options.payment_terms_days;
            LedgerChange::UpsertCustomer(customer)
        })
        .collect();
    for (number, draft) in invoices {
        changes.push(LedgerChange::UpsertInvoice(fec_invoice(
            number, draft, options,
        )?));
    }
    for (number, (line, total)) in credit_notes {
        let invoice = credit_note_targets.get(&number).map(invoice_ref);
        changes.push(LedgerChange::UpsertCreditNote(fec_credit_note(
            number, line, total, invoice,
        )?));
    }
    changes.extend(allocations.into_iter().map(LedgerChange::RecordAllocation));
    Ok(changes)
}

/// Allocates one lettering group's credits to its invoices, oldest first.
fn settle_group<'a>(
    group: &[&'a CustomerLine],
    invoices: &mut BTreeMap<InvoiceNumber, InvoiceDraft>,
    allocations: &mut Vec<Allocation>,
    credit_note_targets: &mut BTreeMap<InvoiceNumber, InvoiceNumber>,
) -> Result<(), (&'a CustomerLine, crate::money::MoneyError)> {
    let debts: BTreeSet<(NaiveDate, InvoiceNumber)> = group
        .iter()
        .filter(|line| line.is_invoice())
        .map(|line| (line.piece_date, line.piece.clone()))
        .collect();
    let mut credits: Vec<&CustomerLine> = group
        .iter()
        .copied()
        .filter(|l| l.credit_kind().is_some())
        .collect();
    credits.sort_by_key(|line| (line.entry_date, line.line));

    let debits = sum(
        group
            .iter()
            .copied()
            .filter(|l| l.is_invoice())
            .map(|l| l.debit),
        group,
    )?;
    let credited = sum(credits.iter().map(|l| l.credit), group)?;
    let balanced = debits == credited;

    // What each invoice of the group still has open, in allocation order.
    let mut open: Vec<(InvoiceNumber, Money)> = Vec::new();
    for (_, number) in debts {
        if let Some(draft) = invoices.get_mut(&number) {
            draft.settled |= balanced;
            open.push((number, draft.total));
        }
    }

    for credit in credits {
        let mut left = credit.credit;
        for (number, still_open) in open.iter_mut().filter(|(_, o)| !o.is_zero()) {
            if left.is_zero() {
                break;
            }
            let applied = left.checked_min(*still_open).map_err(|e| (credit, e))?;
            left = left.checked_sub(applied).map_err(|e| (credit, e))?;
            *still_open = still_open.checked_sub(applied).map_err(|e| (credit, e))?;
            record_settlement(
                credit,
                number,
                applied,
                invoices,
                allocations,
                credit_note_targets,
            )
            .map_err(|e| (credit, e))?;
        }
    }
    Ok(())
}

fn record_settlement(
    credit: &CustomerLine,
    number: &InvoiceNumber,
    applied: Money,
    invoices: &mut BTreeMap<InvoiceNumber, InvoiceDraft>,
    allocations: &mut Vec<Allocation>,
    credit_note_targets: &mut BTreeMap<InvoiceNumber, InvoiceNumber>,
) -> Result<(), crate::money::MoneyError> {
    let method = match credit.credit_kind() {
        Some(CreditKind::CreditNote) => {
            credit_note_targets
                .entry(credit.piece.clone())
                .or_insert_with(|| number.clone());
            return Ok(());
        }
        Some(CreditKind::Payment) => PaymentMethod::BankTransfer,
        _ => PaymentMethod::Other,
    };

    if let Some(draft) = invoices.get_mut(number) {
        draft.paid = draft.paid.checked_add(applied)?;
    }
    allocations.push(Allocation {
        source_ref: SourceRef {
            source: SOURCE.to_string(),
            external_id: format!("{number}/{}", credit.entry),
        },
        invoice: InvoiceLocator::Source(invoice_ref(number)),
        amount: applied,
        paid_on: credit.entry_date,
        method,
    });
    Ok(())
}

fn sum<'a>(
    mut amounts: impl Iterator<Item = Money>,
    group: &[&'a CustomerLine],
) -> Result<Money, (&'a CustomerLine, crate::money::MoneyError)> {
    let first = group[0];
    amounts.try_fold(Money::zero(first.debit.currency()), |total, amount| {
        total.checked_add(amount).map_err(|error| (first, error))
    })
}

fn invoice_ref(number: &InvoiceNumber) -> SourceRef {
    SourceRef {
        source: SOURCE.to_string(),
        external_id: number.to_string(),
    }
}

fn fec_invoice(
    number: InvoiceNumber,
    draft: InvoiceDraft,
    options: ImportOptions,
) -> Result<Invoice, LedgerFileError> {
    let terms = Days::new(u64::from(options.payment_terms_days.unwrap_or(0)));
    let due_date = draft
        .issue_date
        .checked_add_days(terms)
        .unwrap_or(draft.issue_date);
    let status = if draft.settled {
        InvoiceStatus::Paid
    } else {
        InvoiceStatus::Open
    };

    Invoice::new(InvoiceParts {
        source_ref: invoice_ref(&number),
        customer: draft.customer,
        issue_date: draft.issue_date,
        due_date,
        total: draft.total,
        tax: None,
        amount_paid: draft.paid,
        status,
        channel: None,
        payment_reference: None,
        dispute: None,
        promise_to_pay: None,
        dunning_paused_until: None,
        number,
    })
    .map_err(|error| LedgerFileError {
        line: draft.first_line,
        column: "Debit".to_string(),
        problem: error.to_string(),
    })
}

fn fec_credit_note(
    number: InvoiceNumber,
    line: &CustomerLine,
    total: Money,
    invoice: Option<SourceRef>,
) -> Result<CreditNote, LedgerFileError> {
    CreditNote::new(CreditNoteParts {
        source_ref: invoice_ref(&number),
        number,
        customer: line.customer.clone(),
        invoice,
        issue_date: line.piece_date,
        total,
        reason: None,
        voided: false,
    })
    .map_err(|error| LedgerFileError {
        line: line.line,
        column: "Credit".to_string(),
        problem: error.to_string(),
    })
}

/// Reads a CSV ledger: one invoice per line, comma- or semicolon-separated
/// (told by the header), with the columns of [`CSV_COLUMNS`] and optionally
/// `owner`, `segment`, `region`, `legal_entity` and `collector`. Dates are
/// `YYYY-MM-DD`; amounts take a dot or, when quoted or `;`-separated, a comma;
/// an empty `amount_paid` is zero. A customer's name and segmentation are
/// taken from its first line.
pub fn parse_csv(text: &str) -> Result<Vec<LedgerChange>, LedgerFileError> {
    let header_line = text.lines().next().unwrap_or_default();
    let separator = if header_line.contains(';') && !header_line.contains(',') {
        ';'
    } else {
        ','
    };
    let header = read_header(header_line, separator, &CSV_COLUMNS)?;

    let mut customers: BTreeMap<SourceRef, Customer> = BTreeMap::new();
    let mut invoices: BTreeMap<InvoiceNumber, (usize, Invoice)> = BTreeMap::new();
    for row in rows(text, &header, separator) {
        let customer = csv_customer(&row)?;
        let invoice = csv_invoice(&row, &customer.source_ref)?;

        if let Some((first_line, _)) = invoices.get(invoice.number()) {
            return Err(row.error(
                "invoice_number",
                format!("{} already appears on line {first_line}", invoice.number()),
            ));
        }
        customers
            .entry(customer.source_ref.clone())
            .or_insert(customer);
        invoices.insert(invoice.number().clone(), (row.line, invoice));
    }

    let customers = customers.into_values().map(LedgerChange::UpsertCustomer);
    let invoices = invoices
        .into_values()
        .map(|(_, invoice)| LedgerChange::UpsertInvoice(invoice));
    Ok(customers.chain(invoices).collect())
}

fn csv_customer(row: &Row) -> Result<Customer, LedgerFileError> {
    let mut customer = Customer::stub(
        row.source_ref("customer_id")?,
        row.required("customer_name")?,
    );
    customer.segmentation = Segmentation {
        legal_entity: row.optional("legal_entity"),
        region: row.optional("region"),
        segment: row.optional("segment"),
        owner: row.optional("owner"),
        collector: row.optional("collector"),
        tags: Vec::new(),
    };
    Ok(customer)
}

fn csv_invoice(row: &Row, customer: &SourceRef) -> Result<Invoice, LedgerFileError> {
    let code = row.required("currency")?;
    let currency =
        Currency::parse(code).map_err(|error| row.error("currency", error.to_string()))?;
    let number = row.number("invoice_number")?;

    let parts = InvoiceParts {
        source_ref: invoice_ref(&number),
        number,
        customer: customer.clone(),
        issue_date: row.date("issue_date", "%Y-%m-%d", "YYYY-MM-DD")?,
        due_date: row.date("due_date", "%Y-%m-%d", "YYYY-MM-DD")?,
        total: row.amount("total", currency)?,
        tax: None,
        amount_paid: row.amount("amount_paid", currency)?,
        status: InvoiceStatus::Open,
        channel: None,
        payment_reference: None,
        dispute: None,
        promise_to_pay: None,
        dunning_paused_until: None,
    };

    Invoice::new(parts).map_err(|error| {
        let column = match error.field() {
            Some("due_date") => "due_date",
            Some("amount_paid") => "amount_paid",
            _ => "total",
        };
        row.error(column, error.to_string())
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const FEC: &str = include_str!("../tests/data/fec_sample.txt");
    const CSV: &str = include_str!("../tests/data/csv_sample.csv");

    /// One line per change, to compare imports at a glance.
    fn summary(changes: &[LedgerChange]) -> Vec<String> {
        changes
            .iter()
            .map(|change| match change {
                LedgerChange::UpsertCustomer(c) => format!(
                    "customer {} {} terms={:?} owner={:?}",
                    c.source_ref, c.name, c.payment_terms_days, c.segmentation.owner
                ),
                LedgerChange::UpsertInvoice(i) => format!(
                    "invoice {} of {} {}..{} {} paid {} {}",
                    i.number(),
                    i.customer().external_id,
                    i.issue_date(),
                    i.due_date(),
                    i.total(),
                    i.amount_paid(),
                    i.status()
                ),
                LedgerChange::UpsertCreditNote(n) => format!(
                    "credit note {} of {} {} on {:?}",
                    n.number(),
                    n.customer().external_id,
                    n.total(),
                    n.invoice().map(|i| i.external_id.as_str())
                ),
                LedgerChange::RecordAllocation(a) => format!(
                    "allocation {} {} on {} by {}",
                    a.source_ref.external_id,
                    a.amount,
                    a.paid_on,
                    a.method.as_str()
                ),
                other => format!("{other:?}"),
            })
            .collect()
    }

    fn thirty_days() -> ImportOptions {
        ImportOptions {
            payment_terms_days: Some(30),
            ..ImportOptions::default()
        }
    }

    #[test]
    fn the_fec_sample_gives_invoices_settlements_and_credit_notes() {
        let changes = parse_ledger_file(FEC.as_bytes(), thirty_days()).unwrap();

        assert_eq!(
            summary(&changes),
            [
                "customer ledger:C0001 Boulangerie Martin terms=Some(30) owner=None",
                "customer ledger:C0002 Garage Dupuis terms=Some(30) owner=None",
                "customer ledger:C0003 Librairie Lemoine terms=Some(30) owner=None",
                "invoice F2025-0950 of C0002 2025-12-15..2026-01-14 840.00 EUR paid 840.00 EUR paid",
                "invoice F2026-0001 of C0001 2026-01-05..2026-02-04 1200.00 EUR paid 1200.00 EUR paid",
                "invoice F2026-0002 of C0002 2026-01-10..2026-02-09 1800.00 EUR paid 1000.00 EUR partially_paid",
                "invoice F2026-0003 of C0001 2026-01-15..2026-02-14 600.00 EUR paid 0.00 EUR open",
                "invoice F2026-0004 of C0003 2026-01-20..2026-02-19 2400.00 EUR paid 2160.00 EUR paid",
                "invoice F2026-0006 of C0001 2026-01-28..2026-02-27 300.00 EUR paid 300.00 EUR paid",
                "credit note AV2026-0001 of C0003 240.00 EUR on Some(\"F2026-0004\")",
                "allocation F2026-0001/BQ-BQ000002 1200.00 EUR on 2026-02-04 by bank_transfer",
                "allocation F2026-0006/BQ-BQ000002 300.00 EUR on 2026-02-04 by bank_transfer",
                "allocation F2026-0002/BQ-BQ000003 1000.00 EUR on 2026-02-12 by bank_transfer",
                "allocation F2025-0950/BQ-BQ000001 840.00 EUR on 2026-01-08 by bank_transfer",
                "allocation F2026-0004/BQ-BQ000004 2160.00 EUR on 2026-02-20 by bank_transfer",
            ]
        );
    }

    #[test]
    fn pipe_separated_fec_with_dot_decimals_reads_the_same() {
        let piped = FEC.replace('\t', "|").replace(",00", ".00");
        let from_tabs = parse_fec(FEC, thirty_days()).unwrap();
        let from_pipes = parse_fec(&piped, thirty_days()).unwrap();

        assert_eq!(from_pipes, from_tabs);
    }

    #[test]
    fn reimporting_the_same_file_yields_the_same_changes() {
        let first = parse_ledger_file(FEC.as_bytes(), thirty_days()).unwrap();
        let second = parse_ledger_file(FEC.as_bytes(), thirty_days()).unwrap();
        assert_eq!(first, second);

        let first = parse_ledger_file(CSV.as_bytes(), ImportOptions::default()).unwrap();
        let second = parse_ledger_file(CSV.as_bytes(), ImportOptions::default()).unwrap();
        assert_eq!(first, second);
    }

    #[test]
    fn without_payment_terms_a_fec_invoice_is_due_when_issued() {
        let changes = parse_fec(FEC, ImportOptions::default()).unwrap();
        let LedgerChange::UpsertInvoice(invoice) = &changes[3] else {
            panic!("expected an invoice, got {:?}", changes[3]);
        };
        assert_eq!(invoice.due_date(), invoice.issue_date());
    }

    #[test]
    fn latin_1_fec_files_are_decoded() {
        let text = FEC.replace("Prestations de services", "Prestations réalisées");
        let latin_1: Vec<u8> = text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect();
        assert!(std::str::from_utf8(&latin_1).is_err());

        let changes = parse_ledger_file(&latin_1, thirty_days()).unwrap();
        assert_eq!(changes, parse_fec(FEC, thirty_days()).unwrap());
    }

    #[test]
    fn the_csv_sample_gives_customers_with_segmentation_and_invoices() {
        let changes = parse_ledger_file(CSV.as_bytes(), ImportOptions::default()).unwrap();

        assert_eq!(
            summary(&changes),
            [
                "customer ledger:C-100 Dupont & Fils, SARL terms=None owner=Some(\"alice@example.com\")",
                "customer ledger:C-200 Northwind Ltd terms=None owner=Some(\"carol@example.com\")",
                "customer ledger:C-300 Tokyo Trading KK terms=None owner=Some(\"carol@example.com\")",
                "customer ledger:C-400 Mairie de Sceaux terms=None owner=None",
                "invoice INV-2026-101 of C-100 2026-02-01..2026-03-03 1440.00 EUR paid 0.00 EUR open",
                "invoice INV-2026-102 of C-100 2026-02-15..2026-03-17 720.00 EUR paid 720.00 EUR paid",
                "invoice INV-2026-103 of C-200 2026-02-10..2026-03-12 2500.00 GBP paid 1000.00 GBP partially_paid",
                "invoice INV-2026-104 of C-300 2026-02-20..2026-04-20 150000 JPY paid 0 JPY open",
                "invoice INV-2026-105 of C-400 2026-02-25..2026-04-26 3600.00 EUR paid 0.00 EUR open",
            ]
        );
        let LedgerChange::UpsertCustomer(dupont) = &changes[0] else {
            panic!("expected a customer");
        };
        assert_eq!(dupont.segmentation.region.as_deref(), Some("Île-de-France"));
        assert_eq!(
            dupont.segmentation.collector.as_deref(),
            Some("bruno@example.com")
        );
    }

    #[test]
    fn semicolon_separated_csv_with_comma_decimals_is_read() {
        let text = "customer_id;customer_name;invoice_number;issue_date;due_date;currency;total;amount_paid\n\
                    C-1;Dupont;F-1;2026-01-10;2026-02-09;EUR;1 200,50;0\n";
        let error = parse_csv(text).unwrap_err();
        assert_eq!(error.line, 2);
        assert_eq!(error.column, "total");

        let text = text.replace("1 200,50", "1200,50");
        let changes = parse_csv(&text).unwrap();
        let LedgerChange::UpsertInvoice(invoice) = &changes[1] else {
            panic!("expected an invoice");
        };
        assert_eq!(invoice.total().to_string(), "1200.50 EUR");
    }

    #[test]
    fn errors_give_the_line_and_the_column() {
        let table = [
            (
                CSV.replacen("2026-03-03", "03/03/2026", 1),
                2,
                "due_date",
                "\"03/03/2026\" is not a date: write YYYY-MM-DD",
            ),
            (
                CSV.replacen("GBP", "GBX", 1),
                4,
                "currency",
                "unknown currency \"GBX\"",
            ),
            (
                CSV.replacen("150000,0", "150000.5,0", 1),
                5,
                "total",
                "\"150000.5\" has more decimals than JPY allows (0)",
            ),
            (
                CSV.replacen("2500.00,1000.00", "2500.00,3000.00", 1),
                4,
                "amount_paid",
                "amount_paid (3000.00 GBP) is more than the total",
            ),
            (
                CSV.replacen("2026-03-12", "2026-01-12", 1),
                4,
                "due_date",
                "due date 2026-01-12 is before issue date 2026-02-10",
            ),
            (
                CSV.replacen("INV-2026-102", "INV-2026-101", 1),
                3,
                "invoice_number",
                "INV-2026-101 already appears on line 2",
            ),
            (
                CSV.replacen("customer_name", "name", 1),
                1,
                "customer_name",
                "is missing from the header",
            ),
            (CSV.replacen("C-200", "", 1), 4, "customer_id", "is empty"),
            (
                FEC.replacen("20260110", "2026-01-10", 1),
                7,
                "EcritureDate",
                "\"2026-01-10\" is not a date: write YYYYMMDD",
            ),
            (
                FEC.replacen("1800,00", "1800,005", 1),
                7,
                "Debit",
                "\"1800.005\" has more decimals than EUR allows (2)",
            ),
            (
                FEC.replacen("1800,00", "-1800,00", 1),
                7,
                "Debit",
                "\"-1800,00\" is negative",
            ),
            (
                FEC.replacen(
                    "\tC0002\tGarage Dupuis\tF2026-0002",
                    "\t\tGarage Dupuis\tF2026-0002",
                    1,
                ),
                7,
                "CompAuxNum",
                "is empty",
            ),
            (
                FEC.replacen("Idevise", "Devise", 1),
                1,
                "Idevise",
                "is missing from the header",
            ),
        ];
        for (text, line, column, problem) in table {
            let error = parse_ledger_file(text.as_bytes(), thirty_days()).unwrap_err();
            assert_eq!(
                (error.line, error.column.as_str()),
                (line, column),
                "{error}"
            );
            assert!(error.problem.starts_with(problem), "{error}");
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("line {line}, column `{column}`: "))
            );
        }
    }
}
