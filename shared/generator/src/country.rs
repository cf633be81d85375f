//! The countries generated customers and bank accounts are in.

use serde::Serialize;

/// A country of the generated ledger, as its ISO 3166 alpha-2 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Country {
    /// France, the company's home country.
    #[serde(rename = "FR")]
    France,
    /// Belgium.
    #[serde(rename = "BE")]
    Belgium,
    /// Germany.
    #[serde(rename = "DE")]
    Germany,
    /// The Netherlands.
    #[serde(rename = "NL")]
    Netherlands,
    /// The United Kingdom.
    #[serde(rename = "GB")]
    UnitedKingdom,
    /// Switzerland.
    #[serde(rename = "CH")]
    Switzerland,
}

impl Country {
    /// The ISO 3166 alpha-2 code, also the first two letters of its IBANs.
    pub fn code(self) -> &'static str {
        match self {
            Country::France => "FR",
            Country::Belgium => "BE",
            Country::Germany => "DE",
            Country::Netherlands => "NL",
            Country::UnitedKingdom => "GB",
            Country::Switzerland => "CH",
        }
    }

    /// The international dialling prefix.
    pub fn dialling_code(self) -> &'static str {
        match self {
            Country::France => "+33",
            Country::Belgium => "+32",
            Country::Germany => "+49",
            Country::Netherlands => "+31",
            Country::UnitedKingdom => "+44",
            Country::Switzerland => "+41",
        }
    }
}
