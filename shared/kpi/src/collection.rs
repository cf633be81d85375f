//! How well money comes in: the collection effectiveness index, the
//! amount-weighted average payment delay, and shares of the receivables
//! (overdue, at risk).

use rust_decimal::Decimal;

/// Collection effectiveness index over a period, in percent: what was
/// collected out of what could have been, counting current receivables as
/// not yet collectable.
///
/// `(beginning + sales − ending total) / (beginning + sales − ending current) × 100`.
/// `None` when nothing was collectable (the denominator is zero).
pub fn collection_effectiveness_index(
    beginning_receivables: Decimal,
    sales: Decimal,
    ending_receivables: Decimal,
    ending_current_receivables: Decimal,
) -> Option<Decimal> {
    let available = beginning_receivables + sales;
    let collectable = available - ending_current_receivables;
    if collectable.is_zero() {
        return None;
    }

    Some((available - ending_receivables) / collectable * Decimal::ONE_HUNDRED)
}

/// `part` as a percentage of `whole`; `None` when `whole` is zero.
pub fn share_percent(part: Decimal, whole: Decimal) -> Option<Decimal> {
    (!whole.is_zero()).then(|| part / whole * Decimal::ONE_HUNDRED)
}

/// Accumulates payments to give the amount-weighted average of the days each
/// was paid after its due date (negative for early payments).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaymentDelay {
    /// Sum of the amounts paid.
    pub amount: Decimal,
    /// Sum of each amount times its days after due.
    pub amount_days: Decimal,
}

impl PaymentDelay {
    /// Counts a payment of `amount` made `days_after_due` days after the due date.
    pub fn add(&mut self, amount: Decimal, days_after_due: i64) {
        self.amount += amount;
        self.amount_days += amount * Decimal::from(days_after_due);
    }

    /// Adds another accumulation to this one.
    pub fn merge(&mut self, other: PaymentDelay) {
        self.amount += other.amount;
        self.amount_days += other.amount_days;
    }

    /// The weighted average delay in days; `None` without payments.
    pub fn average_days(&self) -> Option<Decimal> {
        (!self.amount.is_zero()).then(|| self.amount_days / self.amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(text: &str) -> Decimal {
        text.parse().expect("valid amount")
    }

    #[test]
    fn cei_compares_what_was_collected_with_what_was_collectable() {
        // (beginning, sales, ending total, ending current, expected %)
        let table = [
            // 200k + 100k available, 120k left of which 80k current:
            // collected 180k out of 220k collectable = 81.8 %.
            ("200000", "100000", "120000", "80000", Some("81.8")),
            // Everything collectable was collected.
            ("100000", "50000", "40000", "40000", Some("100.0")),
            // Nothing collected.
            ("100000", "0", "100000", "0", Some("0.0")),
            // Nothing was collectable.
            ("0", "50000", "50000", "50000", None),
        ];

        for (beginning, sales, ending, current, expected) in table {
            let cei = collection_effectiveness_index(
                amount(beginning),
                amount(sales),
                amount(ending),
                amount(current),
            );

            assert_eq!(
                cei.map(|c| c.round_dp(1)),
                expected.map(amount),
                "{beginning}"
            );
        }
    }

    #[test]
    fn payment_delay_weights_each_payment_by_its_amount() {
        // 1000 paid 10 days late and 3000 paid 2 days early:
        // (10 000 − 6 000) / 4 000 = 1 day.
        let mut delay = PaymentDelay::default();
        delay.add(amount("1000"), 10);
        delay.add(amount("3000"), -2);

        assert_eq!(delay.average_days(), Some(amount("1")));
        assert_eq!(PaymentDelay::default().average_days(), None);
    }

    #[test]
    fn merged_delays_equal_the_delay_of_all_payments_together() {
        let mut early = PaymentDelay::default();
        early.add(amount("500"), 30);
        let mut late = PaymentDelay::default();
        late.add(amount("1500"), 50);

        early.merge(late);

        // (15 000 + 75 000) / 2 000 = 45 days.
        assert_eq!(early.average_days(), Some(amount("45")));
    }

    #[test]
    fn shares_are_percentages_and_undefined_over_nothing() {
        assert_eq!(
            share_percent(amount("25"), amount("200")),
            Some(amount("12.5"))
        );
        assert_eq!(share_percent(amount("25"), Decimal::ZERO), None);
    }
}
