//! The month-by-month generator: issues invoices, decides how and when each one
//! is settled, and books the payments as the bank would.
//!
//! Only what is still pending (payments and credit notes dated after the
//! current month, open invoices) stays in memory, so a million invoices
//! stream through in constant space per month.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use crate::config::GeneratorConfig;
use crate::country::Country;
use crate::creditor_reference::CreditorReference;
use crate::customers::{Customer, PaymentBehaviour, Segment, generate_customers};
use crate::error::{GeneratorError, add_days};
use crate::iban::Iban;
use crate::ledger::{
    Allocation, BankPayment, BankStatement, Channel, CreditNote, Invoice, LedgerMonth,
};
use crate::money::{Currency, Money};
use crate::random::SeededRandom;
use crate::remittance::{Instalment, PaidInvoice, write_remittance};
use crate::summary::{CustomerSummary, OpenInvoice, SummaryTally, summarise};

/// VAT on domestic sales, per mille.
const FRENCH_VAT_PER_MILLE: u32 = 200;

/// Days of the month on which customers paying in runs send their transfers.
const PAYMENT_RUN_DAYS: [u32; 2] = [10, 25];

/// One of the company's own bank accounts, one per invoicing currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyAccount {
    /// The account's currency.
    pub currency: Currency,
    /// The account.
    pub iban: Iban,
}

/// An invoice just issued, with its position among all invoices.
#[derive(Debug, Clone, Copy)]
struct PlannedInvoice<'a> {
    invoice: &'a Invoice,
    sequence: u64,
}

/// A payment the customer will make for one invoice, once its date comes.
#[derive(Debug, Clone)]
struct Settlement {
    invoice_sequence: u64,
    customer_index: usize,
    invoice_external_id: String,
    invoice_number: String,
    payment_reference: CreditorReference,
    due_date: NaiveDate,
    amount: Money,
    instalment: Option<Instalment>,
    groupable: bool,
}

/// A credit note that will be granted on an invoice, once its date comes.
#[derive(Debug, Clone)]
struct PendingCreditNote {
    invoice_sequence: u64,
    customer_index: usize,
    invoice_external_id: String,
    total: Money,
    reason: &'static str,
}

/// A yearly numbering sequence: `F2025-000001`, `F2025-000002`, then
/// `F2026-000001`.
#[derive(Debug, Clone)]
struct YearlySequence {
    prefix: &'static str,
    year: i32,
    last: u64,
}

impl YearlySequence {
    fn new(prefix: &'static str) -> Self {
        Self {
            prefix,
            year: 0,
            last: 0,
        }
    }

    /// The next number in `year`, and the sequence within the year.
    fn next(&mut self, year: i32) -> (String, u64) {
        if year != self.year {
            self.year = year;
            self.last = 0;
        }
        self.last += 1;
        (format!("{}{year}-{:06}", self.prefix, self.last), self.last)
    }
}

/// Generates the ledger month by month; iterate it to get each [`LedgerMonth`],
/// then ask [`LedgerHistory::customer_summaries`] for the expected figures.
#[derive(Debug)]
pub struct LedgerHistory {
    config: GeneratorConfig,
    end_date: NaiveDate,
    customers: Vec<Customer>,
    cumulative_weights: Vec<u64>,
    accounts: Vec<CompanyAccount>,
    balances: Vec<Money>,
    random: SeededRandom,
    next_month: u32,
    invoices_issued: u64,
    credit_notes_issued: u64,
    payments_booked: u64,
    invoice_numbers: YearlySequence,
    credit_note_numbers: YearlySequence,
    pending_settlements: BTreeMap<NaiveDate, Vec<Settlement>>,
    pending_credit_notes: BTreeMap<NaiveDate, Vec<PendingCreditNote>>,
    open_invoices: BTreeMap<u64, OpenInvoice>,
    tallies: Vec<SummaryTally>,
}

impl LedgerHistory {
    /// Prepares the customers and accounts of `config`; nothing else is
    /// generated until the months are iterated.
    pub fn new(config: GeneratorConfig) -> Result<Self, GeneratorError> {
        config.validate()?;
        let end_date = config.end_date()?;
        let random = SeededRandom::new(config.seed);

        let customers = generate_customers(&config, &mut random.fork(1));
        let cumulative_weights = customers
            .iter()
            .scan(0_u64, |total, customer| {
                *total += u64::from(customer.invoice_weight);
                Some(*total)
            })
            .collect();

        let mut account_random = random.fork(2);
        let accounts: Vec<CompanyAccount> = Currency::ALL
            .into_iter()
            .filter(|currency| {
                customers
                    .iter()
                    .any(|customer| customer.currency == *currency)
            })
            .map(|currency| CompanyAccount {
                currency,
                iban: Iban::generate(Country::France, &mut account_random),
            })
            .collect();
        let balances = accounts
            .iter()
            .map(|account| {
                let opening_cents = account_random.between(2_000_000, 15_000_000);
                Money::from_minor_units(opening_cents, account.currency)
            })
            .collect();
        let tallies = customers
            .iter()
            .map(|c| SummaryTally::new(c.currency))
            .collect();

        Ok(Self {
            config,
            end_date,
            customers,
            cumulative_weights,
            accounts,
            balances,
            random,
            next_month: 0,
            invoices_issued: 0,
            credit_notes_issued: 0,
            payments_booked: 0,
            invoice_numbers: YearlySequence::new("F"),
            credit_note_numbers: YearlySequence::new("AV"),
            pending_settlements: BTreeMap::new(),
            pending_credit_notes: BTreeMap::new(),
            open_invoices: BTreeMap::new(),
            tallies,
        })
    }

    /// The configuration this history follows.
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// Every customer, in `external_id` order.
    pub fn customers(&self) -> &[Customer] {
        &self.customers
    }

    /// The company's bank accounts, one per currency it invoices in.
    pub fn accounts(&self) -> &[CompanyAccount] {
        &self.accounts
    }

    /// The last day of the period: what the summaries are as of.
    pub fn end_date(&self) -> NaiveDate {
        self.end_date
    }

    /// The expected figures per customer as of the end of the last month
    /// generated so far (the whole period once iteration is over).
    pub fn customer_summaries(&self) -> Result<Vec<CustomerSummary>, GeneratorError> {
        let as_of = self.last_generated_day()?;
        let mut open_by_customer: Vec<Vec<&OpenInvoice>> = vec![Vec::new(); self.customers.len()];
        for open in self.open_invoices.values() {
            if let Some(list) = open_by_customer.get_mut(open.customer_index) {
                list.push(open);
            }
        }

        self.customers
            .iter()
            .zip(&self.tallies)
            .zip(open_by_customer)
            .map(|((customer, tally), open)| summarise(customer, tally, open.into_iter(), as_of))
            .collect()
    }

    /// Generates the next month, or `None` after the last one.
    pub fn next_month(&mut self) -> Result<Option<LedgerMonth>, GeneratorError> {
        if self.next_month >= self.config.months {
            return Ok(None);
        }
        let index = self.next_month;
        self.next_month += 1;

        let first_day = self.first_day_of(index)?;
        let last_day = self
            .first_day_of(index + 1)?
            .pred_opt()
            .unwrap_or(first_day);
        let mut random = self.random.fork(1_000 + u64::from(index));

        let invoices = self.issue_invoices(index, first_day, last_day, &mut random)?;
        let credit_notes = self.grant_due_credit_notes(last_day, &mut random)?;
        let payments = self.book_due_settlements(last_day, &mut random)?;
        let statements = self.close_statements(index, first_day, last_day, &payments)?;

        Ok(Some(LedgerMonth {
            index,
            first_day,
            last_day,
            invoices,
            credit_notes,
            payments,
            statements,
        }))
    }

    fn first_day_of(&self, index: u32) -> Result<NaiveDate, GeneratorError> {
        let start = self.config.start_date;
        start
            .checked_add_months(chrono::Months::new(index))
            .ok_or(GeneratorError::DateOutOfRange {
                date: start,
                days: i64::from(index) * 31,
            })
    }

    fn last_generated_day(&self) -> Result<NaiveDate, GeneratorError> {
        let after = self.first_day_of(self.next_month)?;
        Ok(after.pred_opt().unwrap_or(after))
    }

    /// How many of the configured invoices fall in month `index`.
    fn invoices_in_month(&self, index: u32) -> u64 {
        let months = u64::from(self.config.months);
        let base = self.config.invoices / months;
        let extra = u64::from(u64::from(index) < self.config.invoices % months);
        base + extra
    }

    fn issue_invoices(
        &mut self,
        index: u32,
        first_day: NaiveDate,
        last_day: NaiveDate,
        random: &mut SeededRandom,
    ) -> Result<Vec<Invoice>, GeneratorError> {
        // Draw who is invoiced on which working day, then number in date order.
        let working_days = working_days(first_day, last_day);
        let mut drafts: Vec<(NaiveDate, usize)> = (0..self.invoices_in_month(index))
            .map(|_| {
                let day = random.pick(&working_days).copied().unwrap_or(first_day);
                (day, self.draw_customer(random))
            })
            .collect();
        drafts.sort_by_key(|(day, _)| *day);

        let mut invoices = Vec::with_capacity(drafts.len());
        for (issue_date, customer_index) in drafts {
            let invoice = self.draft_invoice(issue_date, customer_index, random)?;
            let planned = PlannedInvoice {
                invoice: &invoice,
                sequence: self.invoices_issued,
            };
            self.plan_settlement(planned, index, random)?;
            invoices.push(invoice);
        }
        Ok(invoices)
    }

    fn draw_customer(&self, random: &mut SeededRandom) -> usize {
        let total = self.cumulative_weights.last().copied().unwrap_or(0);
        let ticket = random.below(total);
        self.cumulative_weights
            .partition_point(|cumulative| *cumulative <= ticket)
    }

    fn draft_invoice(
        &mut self,
        issue_date: NaiveDate,
        customer_index: usize,
        random: &mut SeededRandom,
    ) -> Result<Invoice, GeneratorError> {
        let customer = &self.customers[customer_index];
        self.invoices_issued += 1;
        let (number, sequence_in_year) = self.invoice_numbers.next(issue_date.year());
        let reference_body = format!("{}{sequence_in_year:06}", issue_date.year());

        let net = invoice_net_amount(customer.segment, customer.currency, random);
        let tax = if customer.country == Country::France {
            net.per_mille(FRENCH_VAT_PER_MILLE)?
        } else {
            Money::zero(customer.currency)
        };
        let total = net.checked_add(tax)?;
        let due_date = add_days(issue_date, i64::from(customer.payment_terms_days))?;

        let disputed = customer.behaviour == PaymentBehaviour::Disputing && random.chance(300);
        let tally = &mut self.tallies[customer_index];
        tally.invoices += 1;
        tally.invoiced = tally.invoiced.checked_add(total)?;
        tally.disputed_invoices += u64::from(disputed);
        self.open_invoices.insert(
            self.invoices_issued,
            OpenInvoice {
                customer_index,
                due_date,
                remaining: total,
            },
        );

        Ok(Invoice {
            external_id: format!("inv_{:07}", self.invoices_issued),
            number,
            customer_index,
            issue_date,
            issued_at: instant_on(issue_date, random),
            due_date,
            net,
            tax,
            total,
            channel: draw_channel(customer.segment, random),
            payment_reference: CreditorReference::for_reference(&reference_body)?,
            disputed,
        })
    }

    /// Decides how `invoice` will be settled and queues the payments and
    /// credit notes on their dates.
    fn plan_settlement(
        &mut self,
        planned: PlannedInvoice<'_>,
        month_index: u32,
        random: &mut SeededRandom,
    ) -> Result<(), GeneratorError> {
        let invoice = planned.invoice;
        let customer = &self.customers[invoice.customer_index];
        let behaviour = customer.behaviour;
        let delay = payment_delay(customer, month_index, random);
        let pays_in_runs = customer.pays_in_runs;

        if invoice.disputed {
            return self.plan_disputed(planned, random);
        }
        if behaviour == PaymentBehaviour::PartialPayer {
            return self.plan_instalments(planned, delay, random);
        }

        let bad_debt = matches!(
            behaviour,
            PaymentBehaviour::HabituallyLate | PaymentBehaviour::Deteriorating
        ) && random.chance(20);
        if bad_debt {
            return Ok(());
        }

        let mut remaining = invoice.total;
        if random.chance(20) {
            let credit = invoice.total.per_mille(random.between(50, 150) as u32)?;
            let date = add_days(invoice.issue_date, random.between(2, 15))?;
            self.queue_credit_note(planned, date, credit, "remise commerciale");
            remaining = remaining.checked_sub(credit)?;
        }

        let target = add_days(invoice.due_date, delay)?;
        let date = payment_day(target, invoice.issue_date, pays_in_runs)?;
        self.queue_settlement(planned, date, remaining, None, pays_in_runs);
        Ok(())
    }

    /// A disputed invoice is credited in full, credited in part and the rest
    /// paid much later, or paid in full much later.
    fn plan_disputed(
        &mut self,
        planned: PlannedInvoice<'_>,
        random: &mut SeededRandom,
    ) -> Result<(), GeneratorError> {
        let invoice = planned.invoice;
        let credit_date = add_days(invoice.issue_date, random.between(20, 60))?;
        let late_payment = add_days(invoice.due_date, random.between(60, 150))?;
        let late_payment = payment_day(late_payment, invoice.issue_date, false)?;

        match random.below(10) {
            0..=3 => {
                self.queue_credit_note(planned, credit_date, invoice.total, "litige: avoir total");
            }
            4..=6 => {
                let credit = invoice.total.per_mille(random.between(100, 400) as u32)?;
                self.queue_credit_note(planned, credit_date, credit, "litige: avoir partiel");
                let rest = invoice.total.checked_sub(credit)?;
                self.queue_settlement(planned, late_payment, rest, None, false);
            }
            _ => self.queue_settlement(planned, late_payment, invoice.total, None, false),
        }
        Ok(())
    }

    /// Two to four instalments, two to five weeks apart.
    fn plan_instalments(
        &mut self,
        planned: PlannedInvoice<'_>,
        delay: i64,
        random: &mut SeededRandom,
    ) -> Result<(), GeneratorError> {
        let invoice = planned.invoice;
        let count = random.between(2, 4) as u32;
        let mut target = add_days(invoice.due_date, delay)?;

        for (position, amount) in invoice.total.split_evenly(count)?.into_iter().enumerate() {
            let date = payment_day(target, invoice.issue_date, false)?;
            let instalment = Instalment {
                number: position as u32 + 1,
                count,
            };
            self.queue_settlement(planned, date, amount, Some(instalment), false);
            target = add_days(date, random.between(14, 35))?;
        }
        Ok(())
    }

    fn queue_settlement(
        &mut self,
        planned: PlannedInvoice<'_>,
        date: NaiveDate,
        amount: Money,
        instalment: Option<Instalment>,
        groupable: bool,
    ) {
        let invoice = planned.invoice;
        self.pending_settlements
            .entry(date)
            .or_default()
            .push(Settlement {
                invoice_sequence: planned.sequence,
                customer_index: invoice.customer_index,
                invoice_external_id: invoice.external_id.clone(),
                invoice_number: invoice.number.clone(),
                payment_reference: invoice.payment_reference.clone(),
                due_date: invoice.due_date,
                amount,
                instalment,
                groupable,
            });
    }

    fn queue_credit_note(
        &mut self,
        planned: PlannedInvoice<'_>,
        date: NaiveDate,
        total: Money,
        reason: &'static str,
    ) {
        let invoice = planned.invoice;
        self.pending_credit_notes
            .entry(date)
            .or_default()
            .push(PendingCreditNote {
                invoice_sequence: planned.sequence,
                customer_index: invoice.customer_index,
                invoice_external_id: invoice.external_id.clone(),
                total,
                reason,
            });
    }

    fn grant_due_credit_notes(
        &mut self,
        last_day: NaiveDate,
        random: &mut SeededRandom,
    ) -> Result<Vec<CreditNote>, GeneratorError> {
        let due = take_until(&mut self.pending_credit_notes, last_day);

        let mut credit_notes = Vec::new();
        for (issue_date, pending) in due {
            for note in pending {
                self.credit_notes_issued += 1;
                let (number, _) = self.credit_note_numbers.next(issue_date.year());
                self.apply_to_invoice(note.invoice_sequence, note.total)?;
                let tally = &mut self.tallies[note.customer_index];
                tally.credited = tally.credited.checked_add(note.total)?;

                credit_notes.push(CreditNote {
                    external_id: format!("cn_{:07}", self.credit_notes_issued),
                    number,
                    customer_index: note.customer_index,
                    invoice_external_id: note.invoice_external_id,
                    issue_date,
                    issued_at: instant_on(issue_date, random),
                    total: note.total,
                    reason: note.reason,
                });
            }
        }
        Ok(credit_notes)
    }

    fn book_due_settlements(
        &mut self,
        last_day: NaiveDate,
        random: &mut SeededRandom,
    ) -> Result<Vec<BankPayment>, GeneratorError> {
        let due = take_until(&mut self.pending_settlements, last_day);

        let mut payments = Vec::new();
        for (date, settlements) in due {
            for transfer in group_into_transfers(settlements) {
                payments.push(self.book_transfer(date, transfer, random)?);
            }
        }
        Ok(payments)
    }

    /// Books one transfer paying `settlements` (one customer, one day).
    fn book_transfer(
        &mut self,
        date: NaiveDate,
        settlements: Vec<Settlement>,
        random: &mut SeededRandom,
    ) -> Result<BankPayment, GeneratorError> {
        let customer_index = settlements.first().map_or(0, |s| s.customer_index);
        let customer = &self.customers[customer_index];
        let currency = customer.currency;

        let paid: Vec<PaidInvoice<'_>> = settlements
            .iter()
            .map(|settlement| PaidInvoice {
                number: &settlement.invoice_number,
                reference: &settlement.payment_reference,
                due_date: settlement.due_date,
            })
            .collect();
        let instalment = settlements
            .first()
            .and_then(|settlement| settlement.instalment);
        let remittance = write_remittance(customer.remittance_habit, &paid, instalment, random);
        let end_to_end_id = end_to_end_id(&settlements, date, random);
        let payer_iban = random
            .pick(&customer.bank_accounts)
            .cloned()
            .unwrap_or_else(|| Iban::generate(customer.country, random));
        let payer_name = customer.payer_name.clone();
        let customer_id = customer.external_id.clone();

        let mut gross = Money::zero(currency);
        let mut allocations = Vec::with_capacity(settlements.len());
        for settlement in settlements {
            gross = gross.checked_add(settlement.amount)?;
            self.record_settlement(&settlement, date)?;
            allocations.push(Allocation {
                invoice: settlement.invoice_external_id,
                number: settlement.invoice_number,
                amount: settlement.amount,
            });
        }

        let fee = bank_fee(gross, random);
        let tally = &mut self.tallies[customer_index];
        tally.fees = tally.fees.checked_add(fee)?;
        self.payments_booked += 1;

        Ok(BankPayment {
            id: format!("PAY{:09}", self.payments_booked),
            customer: customer_id,
            booking_date: date,
            value_date: date,
            payer_name,
            payer_iban,
            currency,
            amount: gross.checked_sub(fee)?,
            fee,
            end_to_end_id,
            remittance,
            allocations,
        })
    }

    fn record_settlement(
        &mut self,
        settlement: &Settlement,
        date: NaiveDate,
    ) -> Result<(), GeneratorError> {
        let tally = &mut self.tallies[settlement.customer_index];
        tally.paid = tally.paid.checked_add(settlement.amount)?;

        let settled_in_full =
            self.apply_to_invoice(settlement.invoice_sequence, settlement.amount)?;
        if settled_in_full {
            let tally = &mut self.tallies[settlement.customer_index];
            tally.paid_invoices += 1;
            tally.delay_days_total += (date - settlement.due_date).num_days();
        }
        Ok(())
    }

    /// Takes `amount` off what remains due on an invoice; true when nothing
    /// remains.
    fn apply_to_invoice(&mut self, sequence: u64, amount: Money) -> Result<bool, GeneratorError> {
        let Some(open) = self.open_invoices.get_mut(&sequence) else {
            return Ok(false);
        };
        open.remaining = open.remaining.checked_sub(amount)?;

        let settled = open.remaining.is_zero();
        if settled {
            self.open_invoices.remove(&sequence);
        }
        Ok(settled)
    }

    fn close_statements(
        &mut self,
        index: u32,
        first_day: NaiveDate,
        last_day: NaiveDate,
        payments: &[BankPayment],
    ) -> Result<Vec<BankStatement>, GeneratorError> {
        let mut statements = Vec::with_capacity(self.accounts.len());
        for (account, balance) in self.accounts.iter().zip(self.balances.iter_mut()) {
            let entries: Vec<usize> = payments
                .iter()
                .enumerate()
                .filter(|(_, payment)| payment.amount.currency() == account.currency)
                .map(|(position, _)| position)
                .collect();

            let opening_balance = *balance;
            for position in &entries {
                *balance = balance.checked_add(payments[*position].amount)?;
            }

            statements.push(BankStatement {
                sequence_number: index + 1,
                account: account.iban.clone(),
                currency: account.currency,
                from_date: first_day,
                to_date: last_day,
                opening_balance,
                closing_balance: *balance,
                entries,
            });
        }
        Ok(statements)
    }
}

impl Iterator for LedgerHistory {
    type Item = Result<LedgerMonth, GeneratorError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_month().transpose()
    }
}

/// Removes and returns every entry dated on or before `last_day`, in date order.
fn take_until<T>(
    pending: &mut BTreeMap<NaiveDate, T>,
    last_day: NaiveDate,
) -> BTreeMap<NaiveDate, T> {
    match last_day.succ_opt() {
        Some(next_day) => {
            let later = pending.split_off(&next_day);
            std::mem::replace(pending, later)
        }
        None => std::mem::take(pending),
    }
}

/// One transfer per settlement, except that groupable settlements of the same
/// customer on the same day travel together.
fn group_into_transfers(settlements: Vec<Settlement>) -> Vec<Vec<Settlement>> {
    let mut transfers: Vec<Vec<Settlement>> = Vec::new();
    let mut run_of_customer: BTreeMap<usize, usize> = BTreeMap::new();

    for settlement in settlements {
        if settlement.groupable {
            if let Some(position) = run_of_customer.get(&settlement.customer_index) {
                transfers[*position].push(settlement);
                continue;
            }
            run_of_customer.insert(settlement.customer_index, transfers.len());
        }
        transfers.push(vec![settlement]);
    }
    transfers
}

/// Monday to Friday of the month.
fn working_days(first_day: NaiveDate, last_day: NaiveDate) -> Vec<NaiveDate> {
    first_day
        .iter_days()
        .take_while(|day| *day <= last_day)
        .filter(|day| !matches!(day.weekday(), Weekday::Sat | Weekday::Sun))
        .collect()
}

/// An instant during office hours on `date`.
fn instant_on(date: NaiveDate, random: &mut SeededRandom) -> NaiveDateTime {
    let hour = 7 + random.below(10) as u32;
    let minute = random.below(60) as u32;
    let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN);
    date.and_time(time)
}

/// Days after the due date the customer pays this invoice (negative: early).
fn payment_delay(customer: &Customer, month_index: u32, random: &mut SeededRandom) -> i64 {
    let usual = customer.usual_delay_days;
    match customer.behaviour {
        PaymentBehaviour::Prompt => random.between(-4, 3),
        PaymentBehaviour::HabituallyLate => usual + random.between(-5, 5),
        PaymentBehaviour::Deteriorating => {
            let growth = customer.delay_growth_days_per_month * i64::from(month_index);
            usual + growth + random.between(-3, 3)
        }
        PaymentBehaviour::Disputing | PaymentBehaviour::PartialPayer => {
            usual + random.between(-3, 5)
        }
    }
}

/// The day a payment planned for `planned` is booked: after the issue date,
/// on the nearest payment run for customers who pay in runs, and moved from a
/// weekend to the Monday.
fn payment_day(
    planned: NaiveDate,
    issue_date: NaiveDate,
    pays_in_runs: bool,
) -> Result<NaiveDate, GeneratorError> {
    let mut day = planned.max(add_days(issue_date, 1)?);

    if pays_in_runs && let Some(run) = nearest_run_day(day).filter(|run| *run > issue_date) {
        day = run;
    }

    match day.weekday() {
        Weekday::Sat => add_days(day, 2),
        Weekday::Sun => add_days(day, 1),
        _ => Ok(day),
    }
}

/// The payment run day (10th or 25th) closest to `day`, the earlier on a tie.
fn nearest_run_day(day: NaiveDate) -> Option<NaiveDate> {
    // The next month's first run is never the closest: the last run of this
    // month is at most six days back.
    let this_month = PAYMENT_RUN_DAYS.iter().filter_map(|run| day.with_day(*run));
    let previous_month = day
        .with_day(1)
        .and_then(|first| first.checked_sub_months(chrono::Months::new(1)))
        .and_then(|first| first.with_day(PAYMENT_RUN_DAYS[1]));

    this_month
        .chain(previous_month)
        .min_by_key(|run| ((*run - day).num_days().abs(), *run))
}

/// Net amount of an invoice: three bands per segment (small, usual, large),
/// uniform within a band, often rounded as price lists are.
fn invoice_net_amount(segment: Segment, currency: Currency, random: &mut SeededRandom) -> Money {
    let bands: [(i64, i64, u32); 3] = match segment {
        Segment::Smb => [
            (8_000, 40_000, 45),
            (40_000, 150_000, 40),
            (150_000, 600_000, 15),
        ],
        Segment::MidMarket => [
            (50_000, 250_000, 45),
            (250_000, 1_000_000, 40),
            (1_000_000, 4_000_000, 15),
        ],
        Segment::Enterprise => [
            (200_000, 1_000_000, 40),
            (1_000_000, 5_000_000, 45),
            (5_000_000, 25_000_000, 15),
        ],
        Segment::Public => [
            (100_000, 500_000, 40),
            (500_000, 2_500_000, 45),
            (2_500_000, 12_000_000, 15),
        ],
    };
    let weights = bands.map(|(_, _, weight)| weight);
    let (low, high, _) = bands[random.weighted_index(&weights).unwrap_or(0)];

    let cents = random.between(low, high);
    let rounded = match random.below(100) {
        0..=29 => cents - cents % 100,
        30..=44 => cents - cents % 1_000,
        _ => cents,
    };
    Money::from_minor_units(rounded.max(100), currency)
}

fn draw_channel(segment: Segment, random: &mut SeededRandom) -> Channel {
    let weights = match segment {
        Segment::Smb => [85, 0, 15, 0],
        Segment::MidMarket => [70, 15, 5, 10],
        Segment::Enterprise => [40, 30, 0, 30],
        Segment::Public => [10, 85, 5, 0],
    };
    match random.weighted_index(&weights) {
        Some(1) => Channel::Portal,
        Some(2) => Channel::Post,
        Some(3) => Channel::Edi,
        _ => Channel::Email,
    }
}

/// The payer's end-to-end id: mostly absent, sometimes its own payment id,
/// sometimes the invoice number.
fn end_to_end_id(settlements: &[Settlement], date: NaiveDate, random: &mut SeededRandom) -> String {
    match random.below(100) {
        0..=54 => "NOTPROVIDED".to_owned(),
        55..=84 => format!("PMT{}-{:05}", date.format("%Y%m%d"), random.below(100_000)),
        _ => settlements
            .first()
            .map_or_else(|| "NOTPROVIDED".to_owned(), |s| s.invoice_number.clone()),
    }
}

/// Fees a correspondent bank takes off the transfer: usual on foreign
/// currencies, rare on euro transfers, never the whole amount.
fn bank_fee(gross: Money, random: &mut SeededRandom) -> Money {
    let currency = gross.currency();
    let fee_cents = match currency {
        Currency::Eur if random.chance(30) => random.between(50, 1_500),
        Currency::Eur => 0,
        _ if random.chance(700) => random.between(500, 2_500),
        _ => 0,
    };
    let fee = Money::from_minor_units(fee_cents, currency);
    if fee.amount() * rust_decimal::Decimal::TEN < gross.amount() {
        fee
    } else {
        Money::zero(currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("valid date")
    }

    #[test]
    fn payments_avoid_weekends_and_never_precede_the_invoice() {
        let issue = date(2025, 3, 3);
        let cases = [
            (date(2025, 4, 5), false, date(2025, 4, 7)), // Saturday → Monday
            (date(2025, 4, 6), false, date(2025, 4, 7)), // Sunday → Monday
            (date(2025, 4, 2), false, date(2025, 4, 2)), // Wednesday stays
            (date(2025, 3, 1), false, date(2025, 3, 4)), // before issue → next day
            (date(2025, 4, 13), true, date(2025, 4, 10)), // nearest run: the 10th
            (date(2025, 4, 19), true, date(2025, 4, 25)), // nearest run: the 25th
            (date(2025, 4, 30), true, date(2025, 4, 25)),
        ];

        for (planned, runs, expected) in cases {
            assert_eq!(payment_day(planned, issue, runs), Ok(expected), "{planned}");
        }
    }

    #[test]
    fn nearest_run_day_crosses_month_boundaries() {
        let cases = [
            (date(2025, 1, 1), date(2024, 12, 25)),
            (date(2025, 1, 3), date(2025, 1, 10)),
            (date(2025, 1, 31), date(2025, 1, 25)),
            (date(2025, 2, 28), date(2025, 2, 25)),
            (date(2025, 2, 17), date(2025, 2, 10)),
            (date(2025, 2, 18), date(2025, 2, 25)),
        ];

        for (day, expected) in cases {
            assert_eq!(nearest_run_day(day), Some(expected), "{day}");
        }
    }

    #[test]
    fn yearly_sequences_restart_each_year() {
        let mut numbers = YearlySequence::new("F");

        assert_eq!(numbers.next(2025).0, "F2025-000001");
        assert_eq!(numbers.next(2025).0, "F2025-000002");
        assert_eq!(numbers.next(2026).0, "F2026-000001");
    }

    #[test]
    fn invoice_amounts_stay_within_their_segment_bands() {
        let mut random = SeededRandom::new(4);
        let cases = [
            (Segment::Smb, 80, 6_000),
            (Segment::MidMarket, 500, 40_000),
            (Segment::Enterprise, 2_000, 250_000),
            (Segment::Public, 1_000, 120_000),
        ];

        for (segment, low, high) in cases {
            for _ in 0..500 {
                let net = invoice_net_amount(segment, Currency::Eur, &mut random);
                let range =
                    rust_decimal::Decimal::from(low - 10)..=rust_decimal::Decimal::from(high);
                assert!(range.contains(&net.amount()), "{segment:?} {net}");
            }
        }
    }

    #[test]
    fn bank_fees_are_never_a_large_part_of_the_transfer() {
        let mut random = SeededRandom::new(8);

        for cents in [100, 1_000, 10_000, 1_000_000] {
            for _ in 0..200 {
                let gross = Money::from_minor_units(cents, Currency::Gbp);
                let fee = bank_fee(gross, &mut random);
                assert!(
                    fee.amount() * rust_decimal::Decimal::TEN < gross.amount() || fee.is_zero()
                );
            }
        }
    }
}
