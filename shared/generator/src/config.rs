//! What to generate: seed, size, period and the mix of payment behaviours.

use chrono::{Datelike, NaiveDate};

/// How often each payment behaviour occurs among customers, as relative weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BehaviourMix {
    /// Pays on the due date, give or take a few days.
    pub prompt: u32,
    /// Pays late by a steady, customer-specific number of days.
    pub habitually_late: u32,
    /// Pays later and later as the months go by.
    pub deteriorating: u32,
    /// Disputes some invoices, which are then paid much later or credited.
    pub disputing: u32,
    /// Pays each invoice in several instalments.
    pub partial_payer: u32,
}

impl Default for BehaviourMix {
    fn default() -> Self {
        Self {
            prompt: 40,
            habitually_late: 25,
            deteriorating: 10,
            disputing: 10,
            partial_payer: 15,
        }
    }
}

impl BehaviourMix {
    /// The weights in the order of [`crate::PaymentBehaviour::ALL`].
    pub fn weights(&self) -> [u32; 5] {
        [
            self.prompt,
            self.habitually_late,
            self.deteriorating,
            self.disputing,
            self.partial_payer,
        ]
    }
}

/// Everything that decides the generated ledger; the same configuration always
/// gives the same ledger, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// The seed of every random draw.
    pub seed: u64,
    /// How many customers.
    pub customers: u32,
    /// How many invoices over the whole period (exactly this many are issued).
    pub invoices: u64,
    /// First day of the first month invoiced; must be the 1st of a month.
    pub start_date: NaiveDate,
    /// How many calendar months are invoiced.
    pub months: u32,
    /// Share of customers invoiced in GBP, USD or CHF instead of EUR, per mille.
    pub foreign_currency_per_mille: u32,
    /// The mix of payment behaviours.
    pub behaviours: BehaviourMix,
    /// Name of the invoicing platform in the events' `source`.
    pub source: String,
    /// Name of the company the ledger belongs to (the statements' account owner).
    pub company_name: String,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            customers: 300,
            invoices: 10_000,
            start_date: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
            months: 24,
            foreign_currency_per_mille: 60,
            behaviours: BehaviourMix::default(),
            source: "generator".to_owned(),
            company_name: "Atelier Relance SAS".to_owned(),
        }
    }
}

/// Why a configuration cannot generate a ledger.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No customers to invoice.
    #[error("customers is 0: ask for at least one customer")]
    NoCustomers,
    /// No month to invoice in.
    #[error("months is 0: ask for at least one month")]
    NoMonths,
    /// The period does not start on the first of a month.
    #[error("start date {0} is not the first of a month: use {1}")]
    StartNotFirstOfMonth(NaiveDate, NaiveDate),
    /// Every behaviour weight is zero.
    #[error("every payment behaviour has weight 0: give at least one a positive weight")]
    NoBehaviour,
    /// The foreign-currency share is above 1000 per mille.
    #[error("foreign currency share {0}‰ is above 1000‰: give a share between 0 and 1000")]
    ForeignShareAboveWhole(u32),
    /// The source name has characters the canonical format refuses.
    #[error("source {0:?} must be lower-case letters, digits, '_' or '-'")]
    InvalidSource(String),
    /// The period runs past the calendar chrono supports.
    #[error("{months} months from {start} runs past the supported calendar: ask for fewer")]
    PeriodTooLong {
        /// The first day.
        start: NaiveDate,
        /// The number of months asked for.
        months: u32,
    },
}

impl GeneratorConfig {
    /// Checks the configuration, saying what to change when it cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.customers == 0 {
            return Err(ConfigError::NoCustomers);
        }
        if self.months == 0 {
            return Err(ConfigError::NoMonths);
        }
        if self.start_date.day() != 1 {
            let first = self.start_date.with_day(1).unwrap_or(self.start_date);
            return Err(ConfigError::StartNotFirstOfMonth(self.start_date, first));
        }
        if self.behaviours.weights().iter().all(|weight| *weight == 0) {
            return Err(ConfigError::NoBehaviour);
        }
        if self.foreign_currency_per_mille > 1000 {
            return Err(ConfigError::ForeignShareAboveWhole(
                self.foreign_currency_per_mille,
            ));
        }

        let valid_source = !self.source.is_empty()
            && self
                .source
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !valid_source {
            return Err(ConfigError::InvalidSource(self.source.clone()));
        }

        self.end_date().map(|_| ())
    }

    /// The last day of the last month invoiced: the date the ledger is as of.
    pub fn end_date(&self) -> Result<NaiveDate, ConfigError> {
        let too_long = ConfigError::PeriodTooLong {
            start: self.start_date,
            months: self.months,
        };
        let after_end = self
            .start_date
            .checked_add_months(chrono::Months::new(self.months))
            .ok_or(too_long.clone())?;
        after_end.pred_opt().ok_or(too_long)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("valid date")
    }

    #[test]
    fn default_configuration_covers_two_full_years() {
        let config = GeneratorConfig::default();

        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.end_date(), Ok(date(2025, 12, 31)));
    }

    #[test]
    fn unusable_configurations_are_refused_with_what_to_change() {
        let base = GeneratorConfig::default();
        let cases = [
            (
                GeneratorConfig {
                    customers: 0,
                    ..base.clone()
                },
                "at least one customer",
            ),
            (
                GeneratorConfig {
                    months: 0,
                    ..base.clone()
                },
                "at least one month",
            ),
            (
                GeneratorConfig {
                    start_date: date(2024, 3, 15),
                    ..base.clone()
                },
                "use 2024-03-01",
            ),
            (
                GeneratorConfig {
                    behaviours: BehaviourMix {
                        prompt: 0,
                        habitually_late: 0,
                        deteriorating: 0,
                        disputing: 0,
                        partial_payer: 0,
                    },
                    ..base.clone()
                },
                "positive weight",
            ),
            (
                GeneratorConfig {
                    foreign_currency_per_mille: 1001,
                    ..base.clone()
                },
                "between 0 and 1000",
            ),
            (
                GeneratorConfig {
                    source: "Sellsy".to_owned(),
                    ..base.clone()
                },
                "lower-case",
            ),
        ];

        for (config, advice) in cases {
            let error = config.validate().expect_err(advice);
            assert!(error.to_string().contains(advice), "{error}");
        }
    }
}
