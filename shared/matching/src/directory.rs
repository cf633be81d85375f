//! Who pays for whom: the accounts and names payers were seen with, taught
//! by the matches the finance team accepted.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::names::NormalisedName;

/// Known payer accounts and names, each mapped to the customers they paid
/// for. A group's treasury paying for several subsidiaries maps to all of
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayerDirectory {
    by_iban: HashMap<String, Vec<String>>,
    by_name: HashMap<String, Vec<String>>,
}

impl PayerDirectory {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that a payment from `iban` and/or `name` was for
    /// `customer_id`: what an accepted match teaches.
    pub fn learn(&mut self, iban: Option<&str>, name: Option<&str>, customer_id: &str) {
        if let Some(iban) = iban.map(normalise_iban).filter(|iban| !iban.is_empty()) {
            add_customer(self.by_iban.entry(iban).or_default(), customer_id);
        }

        let name_key = name.map(|name| NormalisedName::new(name).key());
        if let Some(key) = name_key.filter(|key| !key.is_empty()) {
            add_customer(self.by_name.entry(key).or_default(), customer_id);
        }
    }

    /// The customers payments from `iban` were for.
    pub fn customers_for_iban(&self, iban: &str) -> &[String] {
        self.by_iban
            .get(&normalise_iban(iban))
            .map_or(&[], Vec::as_slice)
    }

    /// The customers payments from a payer called `name` were for, compared
    /// after normalisation (case, accents, legal forms).
    pub fn customers_for_name(&self, name: &str) -> &[String] {
        self.by_name
            .get(&NormalisedName::new(name).key())
            .map_or(&[], Vec::as_slice)
    }
}

/// An IBAN upper-cased without spaces, as banks compare them.
pub(crate) fn normalise_iban(iban: &str) -> String {
    iban.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn add_customer(customers: &mut Vec<String>, customer_id: &str) {
    if !customers.iter().any(|known| known == customer_id) {
        customers.push(customer_id.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_matches_teach_accounts_and_names() {
        let mut directory = PayerDirectory::new();

        directory.learn(
            Some("FR76 3000 6000 0112 3456 7890 189"),
            Some("BOULANGERIE MARTIN"),
            "c1",
        );

        assert_eq!(
            directory.customers_for_iban("fr7630006000011234567890189"),
            ["c1"]
        );
        assert_eq!(
            directory.customers_for_name("Boulangerie Martin SARL"),
            ["c1"]
        );
        assert!(
            directory
                .customers_for_iban("DE89370400440532013000")
                .is_empty()
        );
    }

    #[test]
    fn a_treasury_paying_for_two_subsidiaries_maps_to_both_once() {
        let mut directory = PayerDirectory::new();

        directory.learn(Some("DE89370400440532013000"), None, "north");
        directory.learn(Some("DE89370400440532013000"), None, "south");
        directory.learn(Some("DE89370400440532013000"), None, "north");

        assert_eq!(
            directory.customers_for_iban("DE89370400440532013000"),
            ["north", "south"]
        );
    }

    #[test]
    fn names_made_only_of_legal_forms_teach_nothing() {
        let mut directory = PayerDirectory::new();

        directory.learn(None, Some("SARL"), "c1");

        assert_eq!(directory, PayerDirectory::new());
    }
}
