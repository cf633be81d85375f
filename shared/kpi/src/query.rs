//! The query strings of the KPI endpoints: the day figures are computed as
//! of, the segmentation filters, the reporting currency, and each endpoint's
//! own options. Every refusal is a 400 naming the parameter and what it takes.

use chrono::NaiveDate;
use relance_api::{ApiError, QueryParameters, SegmentFilter, invalid_parameter};
use relance_ledger::money::Currency;
use serde_json::json;

/// The parameters every KPI endpoint takes.
pub const COMMON_PARAMETERS: &[&str] = &[
    "as_of",
    "entity",
    "region",
    "segment",
    "owner",
    "collector",
    "currency",
];

/// What every KPI endpoint is asked for: which day, which slice of the
/// ledger, in which currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiFilter {
    /// The day the figures are as of.
    pub as_of: NaiveDate,
    /// Only customers in these segments.
    pub segments: SegmentFilter,
    /// The currency amounts are reported in; `None` for the app's default.
    pub currency: Option<Currency>,
}

/// A KPI query string, decoded: the common filter, then the endpoint's own
/// parameters taken out one by one with [`KpiQuery::finish`] at the end.
pub struct KpiQuery {
    parameters: QueryParameters,
    /// The common filter.
    pub filter: KpiFilter,
}

impl KpiQuery {
    /// Decodes `query` (without `?`) for an endpoint that also accepts
    /// `extra` parameters; `today` is the default `as_of`.
    pub fn parse(query: &str, extra: &[&str], today: NaiveDate) -> Result<KpiQuery, ApiError> {
        let allowed: Vec<&str> = COMMON_PARAMETERS.iter().chain(extra).copied().collect();
        let mut parameters = QueryParameters::parse(query, &allowed)?;

        let as_of = parameters.date("as_of")?.unwrap_or(today);
        let segments = SegmentFilter {
            entity: parameters.take("entity")?,
            region: parameters.take("region")?,
            segment: parameters.take("segment")?,
            owner: parameters.take("owner")?,
            collector: parameters.take("collector")?,
        };
        let currency = parameters
            .take("currency")?
            .map(|code| parse_currency("currency", &code))
            .transpose()?;

        Ok(KpiQuery {
            parameters,
            filter: KpiFilter {
                as_of,
                segments,
                currency,
            },
        })
    }

    /// A whole number from `min` to `max`, `default` when absent.
    pub fn number(
        &mut self,
        name: &str,
        min: u32,
        max: u32,
        default: u32,
    ) -> Result<u32, ApiError> {
        let Some(text) = self.parameters.take(name)? else {
            return Ok(default);
        };

        text.parse::<u32>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                invalid_parameter(
                    name,
                    &text,
                    &format!("must be a whole number from {min} to {max}"),
                )
            })
    }

    /// One of `choices` by name, `default` when absent.
    pub fn choice<T: Copy>(
        &mut self,
        name: &str,
        choices: &[(&'static str, T)],
        default: T,
    ) -> Result<T, ApiError> {
        let Some(text) = self.parameters.take(name)? else {
            return Ok(default);
        };

        choices
            .iter()
            .find(|(label, _)| *label == text)
            .map(|(_, value)| *value)
            .ok_or_else(|| {
                let allowed: Vec<&str> = choices.iter().map(|(label, _)| *label).collect();
                invalid_parameter(
                    name,
                    &text,
                    &format!("must be one of {}", allowed.join(", ")),
                )
                .with_details(json!({ "parameter": name, "value": text, "allowed": allowed }))
            })
    }

    /// The filter, once every parameter was read.
    pub fn finish(self) -> KpiFilter {
        self.filter
    }
}

/// An ISO 4217 code given as parameter `name`.
pub fn parse_currency(name: &str, code: &str) -> Result<Currency, ApiError> {
    Currency::parse(code).map_err(|_| {
        invalid_parameter(
            name,
            code,
            "is not an ISO 4217 currency; use a code such as EUR, USD or GBP",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        "2026-03-31".parse().expect("valid date")
    }

    #[test]
    fn the_common_filter_is_read_with_today_as_the_default_day() {
        let query = KpiQuery::parse("owner=alice&region=Nord&currency=usd", &[], today())
            .expect("valid query");

        let filter = query.finish();
        assert_eq!(filter.as_of, today());
        assert_eq!(filter.segments.owner.as_deref(), Some("alice"));
        assert_eq!(filter.segments.region.as_deref(), Some("Nord"));
        assert_eq!(filter.currency.map(|c| c.code()), Some("USD"));
    }

    #[test]
    fn bad_filters_and_dates_are_refused_naming_the_parameter() {
        // (query, parameter at fault)
        let table = [
            ("as_of=31/03/2026", "as_of"),
            ("as_of=2026-02-30", "as_of"),
            ("currency=EURO", "currency"),
            ("owner=", "owner"),
            ("months=0", "months"),
            ("months=37", "months"),
            ("method=average", "method"),
            ("grouping=customer", "grouping"),
        ];

        for (text, parameter) in table {
            let error = KpiQuery::parse(text, &["months", "method"], today()).and_then(|mut q| {
                q.number("months", 1, 36, 12)?;
                q.choice("method", &[("countback", 1), ("standard", 2)], 1)?;
                Ok(q.finish())
            });

            let error = error.expect_err(text);
            assert_eq!(error.status, 400, "{text}");
            assert_eq!(error.details["parameter"], parameter, "{text}");
            assert!(
                error.message.contains(parameter),
                "{text}: {}",
                error.message
            );
        }
    }

    #[test]
    fn endpoint_options_take_their_defaults_when_absent() {
        let mut query = KpiQuery::parse("method=standard", &["months", "method"], today())
            .expect("valid query");

        assert_eq!(query.number("months", 1, 36, 12), Ok(12));
        assert_eq!(
            query.choice("method", &[("countback", 1), ("standard", 2)], 1),
            Ok(2)
        );
    }
}
