//! What can go wrong when the matcher is set up or told about an allocation.

use rust_decimal::Decimal;

/// An error from the matching engine, quoting the bad value and saying how
/// to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MatchingError {
    /// A creditor reference is not `RF`, two digits and 1 to 21 letters or
    /// digits.
    #[error(
        "creditor reference {reference:?} is malformed: write RF, two check digits and 1 to 21 \
         letters or digits"
    )]
    MalformedCreditorReference {
        /// The text, upper-cased and without spaces.
        reference: String,
    },

    /// A creditor reference fails its mod-97 check.
    #[error(
        "creditor reference {reference:?} fails its mod-97 check: a character was mistyped, \
         check it against the invoice"
    )]
    WrongCreditorReferenceCheck {
        /// The text, upper-cased and without spaces.
        reference: String,
    },

    /// A matching policy setting is out of its range.
    #[error("matching policy setting {setting} = {value} is invalid: {expected}")]
    InvalidPolicy {
        /// The setting's name.
        setting: &'static str,
        /// The value given.
        value: String,
        /// What the setting accepts.
        expected: &'static str,
    },

    /// Two open items share an id.
    #[error("open item {invoice_id:?} is listed twice: pass each invoice or credit note once")]
    DuplicateOpenItem {
        /// The repeated id.
        invoice_id: String,
    },

    /// An invoice with a negative remaining amount, or a credit note with a
    /// positive one.
    #[error(
        "open item {invoice_id:?} has remaining amount {remaining} of the wrong sign: invoices \
         are positive, credit notes negative"
    )]
    RemainingOfWrongSign {
        /// The item's id.
        invoice_id: String,
        /// Its remaining amount.
        remaining: Decimal,
    },

    /// An amount beyond what any invoice plausibly asks for.
    #[error(
        "open item {invoice_id:?} has remaining amount {remaining}, beyond the largest amount \
         handled (10^15): check the amount's decimal separator"
    )]
    ImplausibleAmount {
        /// The item's id.
        invoice_id: String,
        /// Its remaining amount.
        remaining: Decimal,
    },

    /// An allocation names an item the matcher does not hold.
    #[error("allocation names unknown open item {invoice_id:?}: load it before allocating")]
    UnknownOpenItem {
        /// The id named.
        invoice_id: String,
    },

    /// An allocation asks for more than an item has left, or has the
    /// wrong sign for it: the proposal is stale.
    #[error(
        "allocation of {amount} to {invoice_id:?} does not fit its remaining {remaining}: \
         propose again for this payment"
    )]
    AllocationExceedsRemaining {
        /// The item's id.
        invoice_id: String,
        /// The amount asked for.
        amount: Decimal,
        /// What the item has left.
        remaining: Decimal,
    },
}
