//! Remittance information as payers really write it: exact, mangled, grouped,
//! structured, vague or missing.

use chrono::{Datelike, NaiveDate};

use crate::creditor_reference::CreditorReference;
use crate::customers::RemittanceHabit;
use crate::ledger::Remittance;
use crate::random::SeededRandom;

/// The longest unstructured remittance line SEPA transfers carry.
pub const MAX_UNSTRUCTURED_LENGTH: usize = 140;

/// What a payer knows about one invoice it is paying.
#[derive(Debug, Clone, Copy)]
pub struct PaidInvoice<'a> {
    /// Its number: `F2025-000123`.
    pub number: &'a str,
    /// Its creditor reference.
    pub reference: &'a CreditorReference,
    /// Its due date, which vague texts name the month of.
    pub due_date: NaiveDate,
}

/// Instalment `number` of `count`, when an invoice is paid in several goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instalment {
    /// This instalment, from 1.
    pub number: u32,
    /// How many instalments in all.
    pub count: u32,
}

const MONTHS_FR: [&str; 12] = [
    "JANVIER",
    "FEVRIER",
    "MARS",
    "AVRIL",
    "MAI",
    "JUIN",
    "JUILLET",
    "AOUT",
    "SEPTEMBRE",
    "OCTOBRE",
    "NOVEMBRE",
    "DECEMBRE",
];

const SINGLE_PREFIXES: [&str; 6] = ["", "", "FACTURE ", "FACT ", "Inv ", "PAIEMENT "];

const GROUP_PREFIXES: [&str; 4] = ["FACTURES ", "FACT ", "REGLEMENT ", ""];

/// The remittance a payer with `habit` writes for `invoices` (one transfer);
/// four times in five the payer follows its habit, otherwise anything goes.
pub fn write_remittance(
    habit: RemittanceHabit,
    invoices: &[PaidInvoice<'_>],
    instalment: Option<Instalment>,
    random: &mut SeededRandom,
) -> Remittance {
    let habit = if random.chance(800) {
        habit
    } else {
        RemittanceHabit::draw(random)
    };
    let Some(first) = invoices.first() else {
        return Remittance::Nothing;
    };

    match habit {
        RemittanceHabit::Nothing => Remittance::Nothing,
        RemittanceHabit::FreeTextOnly => Remittance::Unstructured(vague_text(first, random)),
        RemittanceHabit::CreditorReference if invoices.len() == 1 => {
            Remittance::Structured(first.reference.clone())
        }
        RemittanceHabit::CreditorReference => {
            Remittance::Unstructured(numbers_line(invoices, RemittanceHabit::ExactNumber, random))
        }
        numbered if invoices.len() == 1 => {
            let prefix = random.pick(&SINGLE_PREFIXES).copied().unwrap_or("");
            let mut line = format!("{prefix}{}", number_as_written(first.number, numbered));
            if let Some(instalment) = instalment {
                line.push_str(&format!(
                    " ACOMPTE {}/{}",
                    instalment.number, instalment.count
                ));
            }
            Remittance::Unstructured(line)
        }
        numbered => Remittance::Unstructured(numbers_line(invoices, numbered, random)),
    }
}

/// `number` (`F2025-000123`) written the way `habit` writes it.
pub fn number_as_written(number: &str, habit: RemittanceHabit) -> String {
    match habit {
        RemittanceHabit::NumberWithoutDash => number.replace('-', ""),
        RemittanceHabit::LeadingZerosDropped => drop_leading_zeros(number),
        _ => number.to_owned(),
    }
}

/// `F2025-000123` → `F2025-123`: the sequence after the dash loses its zeros.
fn drop_leading_zeros(number: &str) -> String {
    match number.split_once('-') {
        Some((prefix, sequence)) => {
            let trimmed = sequence.trim_start_matches('0');
            let sequence = if trimmed.is_empty() { "0" } else { trimmed };
            format!("{prefix}-{sequence}")
        }
        None => number.to_owned(),
    }
}

/// Several invoice numbers on one line, cut to what a transfer can carry.
fn numbers_line(
    invoices: &[PaidInvoice<'_>],
    habit: RemittanceHabit,
    random: &mut SeededRandom,
) -> String {
    let prefix = random.pick(&GROUP_PREFIXES).copied().unwrap_or("");
    let separator = if random.chance(500) { " " } else { ", " };

    let mut line = prefix.to_owned();
    for (position, invoice) in invoices.iter().enumerate() {
        let written = number_as_written(invoice.number, habit);
        let extra = if position == 0 { 0 } else { separator.len() };
        if line.len() + extra + written.len() > MAX_UNSTRUCTURED_LENGTH {
            break;
        }
        if position > 0 {
            line.push_str(separator);
        }
        line.push_str(&written);
    }
    line.trim_end().to_owned()
}

/// Text naming no invoice: `VIREMENT FACTURES MARS`.
fn vague_text(invoice: &PaidInvoice<'_>, random: &mut SeededRandom) -> String {
    let month_index = invoice.due_date.month0() as usize;
    let month = MONTHS_FR.get(month_index).copied().unwrap_or("JANVIER");
    let year = invoice.due_date.year();

    match random.below(4) {
        0 => format!("VIREMENT FACTURES {month}"),
        1 => format!("REGLEMENT {month} {year}"),
        2 => "PAIEMENT FOURNISSEUR".to_owned(),
        _ => format!("ECHEANCE {month}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> CreditorReference {
        CreditorReference::for_reference("2025000123").expect("valid body")
    }

    fn invoice<'a>(number: &'a str, reference: &'a CreditorReference) -> PaidInvoice<'a> {
        PaidInvoice {
            number,
            reference,
            due_date: NaiveDate::from_ymd_opt(2025, 3, 31).expect("valid date"),
        }
    }

    #[test]
    fn invoice_numbers_are_mangled_the_way_payers_do() {
        let cases = [
            (RemittanceHabit::ExactNumber, "F2025-000123"),
            (RemittanceHabit::NumberWithoutDash, "F2025000123"),
            (RemittanceHabit::LeadingZerosDropped, "F2025-123"),
        ];

        for (habit, expected) in cases {
            assert_eq!(number_as_written("F2025-000123", habit), expected);
        }
        assert_eq!(drop_leading_zeros("F2025-000000"), "F2025-0");
    }

    #[test]
    fn grouped_payments_name_every_invoice_on_one_line() {
        let reference = reference();
        let invoices = [
            invoice("F2025-000123", &reference),
            invoice("F2025-000130", &reference),
        ];
        let mut random = SeededRandom::new(1);

        let line = numbers_line(&invoices, RemittanceHabit::ExactNumber, &mut random);

        assert!(line.contains("F2025-000123"), "{line}");
        assert!(line.contains("F2025-000130"), "{line}");
    }

    #[test]
    fn long_groups_are_cut_to_the_transfer_limit() {
        let reference = reference();
        let numbers: Vec<String> = (0..40).map(|n| format!("F2025-{n:06}")).collect();
        let invoices: Vec<PaidInvoice<'_>> = numbers
            .iter()
            .map(|number| invoice(number, &reference))
            .collect();
        let mut random = SeededRandom::new(2);

        let line = numbers_line(&invoices, RemittanceHabit::ExactNumber, &mut random);

        assert!(line.len() <= MAX_UNSTRUCTURED_LENGTH);
        assert!(line.contains("F2025-000000"));
    }

    #[test]
    fn a_single_invoice_paid_by_reference_carries_the_structured_reference() {
        let reference = reference();
        let paid = [invoice("F2025-000123", &reference)];
        let mut random = SeededRandom::new(3);

        let structured = (0..50)
            .map(|_| write_remittance(RemittanceHabit::CreditorReference, &paid, None, &mut random))
            .filter(|remittance| *remittance == Remittance::Structured(reference.clone()))
            .count();

        assert!(
            structured >= 30,
            "the habit wins most of the time: {structured}/50"
        );
    }
}
