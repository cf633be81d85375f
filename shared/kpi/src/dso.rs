//! Days sales outstanding, as finance teams compute it: by the countback
//! method, by the standard (average sales) method, Best Possible DSO and the
//! average days delinquent between the two.
//!
//! Amounts are in one reporting currency; day figures are exact decimals,
//! rounded only when shown.

use rust_decimal::Decimal;

/// Sales invoiced over one period and how many days it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodSales {
    /// Invoiced over the period, tax included, as receivables are.
    pub sales: Decimal,
    /// Days in the period.
    pub days: u32,
}

/// A DSO figure and whether the sales given were enough to explain the
/// receivables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dso {
    /// Days of sales the receivables represent.
    pub days: Decimal,
    /// False when the receivables exceed every period's sales put together:
    /// the figure is then a lower bound (the days of every period).
    pub complete: bool,
}

/// Countback DSO: starting with the most recent period, takes away each
/// period's sales from the receivables, counting its days in full, until what
/// is left is smaller than a period's sales, of which it counts the matching
/// share of days.
///
/// `periods` are the most recent first. With sales of 100k, 80k and 70k over
/// three 30-day months (most recent first) and receivables of 212k: 30 + 30
/// + 32/70 × 30 = 73.7 days.
pub fn countback_dso(receivables: Decimal, periods: &[PeriodSales]) -> Dso {
    let mut left = receivables.max(Decimal::ZERO);
    let mut days = Decimal::ZERO;

    for period in periods {
        if left.is_zero() {
            return Dso {
                days,
                complete: true,
            };
        }

        let period_days = Decimal::from(period.days);
        if left <= period.sales {
            days += left / period.sales * period_days;
            return Dso {
                days,
                complete: true,
            };
        }

        left -= period.sales;
        days += period_days;
    }

    Dso {
        days,
        complete: left.is_zero(),
    }
}

/// Standard DSO: receivables over the sales of the periods, times their days.
/// `None` when nothing was invoiced over the periods.
pub fn standard_dso(receivables: Decimal, periods: &[PeriodSales]) -> Option<Decimal> {
    let sales: Decimal = periods.iter().map(|p| p.sales).sum();
    let days: Decimal = periods.iter().map(|p| Decimal::from(p.days)).sum();

    (!sales.is_zero()).then(|| receivables / sales * days)
}

/// Best Possible DSO: the standard DSO of the receivables not yet due, what
/// DSO would be if every customer paid on time.
pub fn best_possible_dso(current_receivables: Decimal, periods: &[PeriodSales]) -> Option<Decimal> {
    standard_dso(current_receivables, periods)
}

/// Average days delinquent: DSO less Best Possible DSO, the days lost to late
/// payment.
pub fn average_days_delinquent(dso: Decimal, best_possible: Decimal) -> Decimal {
    dso - best_possible
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(text: &str) -> Decimal {
        text.parse().expect("valid amount")
    }

    fn months(sales: &[&str]) -> Vec<PeriodSales> {
        sales
            .iter()
            .map(|s| PeriodSales {
                sales: amount(s),
                days: 30,
            })
            .collect()
    }

    #[test]
    fn countback_takes_whole_months_then_a_share_of_the_last_one() {
        // (receivables, sales most recent first, expected days to 1 decimal, complete)
        let table = [
            // 212k - 100k - 80k = 32k left of 70k: 30 + 30 + 13.7
            ("212000", vec!["100000", "80000", "70000"], "73.7", true),
            // Less than the last month: 50/100 of 30 days.
            ("50000", vec!["100000", "80000", "70000"], "15.0", true),
            // Exactly two months of sales.
            ("180000", vec!["100000", "80000", "70000"], "60.0", true),
            // Nothing owed.
            ("0", vec!["100000"], "0.0", true),
            // More than every month put together: a lower bound.
            ("300000", vec!["100000", "80000", "70000"], "90.0", false),
            // A month without sales counts its days in full.
            ("150000", vec!["0", "100000", "100000"], "75.0", true),
        ];

        for (receivables, sales, expected, complete) in table {
            let dso = countback_dso(amount(receivables), &months(&sales));

            assert_eq!(dso.days.round_dp(1), amount(expected), "{receivables}");
            assert_eq!(dso.complete, complete, "{receivables}");
        }
    }

    #[test]
    fn standard_dso_spreads_receivables_over_average_daily_sales() {
        // 212k over 250k sold in 90 days: 76.3 days.
        let periods = months(&["100000", "80000", "70000"]);

        let dso = standard_dso(amount("212000"), &periods).expect("sales");

        assert_eq!(dso.round_dp(1), amount("76.3"));
        assert_eq!(standard_dso(amount("10"), &months(&["0", "0"])), None);
    }

    #[test]
    fn best_possible_dso_counts_only_what_is_not_yet_due_and_add_is_the_gap() {
        // 90k not due over 250k in 90 days: 32.4 days; DSO 76.3 gives ADD 43.9.
        let periods = months(&["100000", "80000", "70000"]);

        let best = best_possible_dso(amount("90000"), &periods).expect("sales");
        let dso = standard_dso(amount("212000"), &periods).expect("sales");

        assert_eq!(best.round_dp(1), amount("32.4"));
        assert_eq!(
            average_days_delinquent(dso, best).round_dp(1),
            amount("43.9")
        );
    }
}
