//! Comparing payer names with customer names the way a person would:
//! ignoring case, accents, punctuation and legal forms (`SARL`, `GmbH`,
//! `B.V.`), accepting abbreviations (`LABO` for `LABORATOIRE`) and words in
//! another order.

use std::collections::{HashMap, HashSet};

/// Words that say what kind of company it is, not which company.
const LEGAL_FORMS: [&str; 36] = [
    "sa", "sas", "sasu", "sarl", "eurl", "sci", "snc", "scop", "selarl", "sca", "gie", "ets",
    "gmbh", "ag", "kg", "ohg", "ug", "ev", "co", "cie", "ltd", "limited", "llc", "llp", "plc",
    "inc", "corp", "bv", "nv", "srl", "sprl", "bvba", "spa", "sl", "ab", "as",
];

/// The shortest word counted as an abbreviation of a longer one it begins.
const MIN_ABBREVIATION_LENGTH: usize = 3;

/// How alike two words are when one abbreviates the other.
const ABBREVIATION_SIMILARITY: f64 = 0.95;

/// Names below this similarity are not offered as the payer.
pub const NAME_SIMILARITY_FLOOR: f64 = 0.85;

/// Block keys shared by more customers than this are too common to narrow
/// the search (`boulangerie`, `mairie`).
const MAX_CUSTOMERS_PER_BLOCK: usize = 200;

/// A name reduced to the words that identify the company: lower case,
/// without accents, punctuation or legal forms.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormalisedName {
    words: Vec<String>,
}

impl NormalisedName {
    /// Normalises `name`: `Boulangerie Martin S.A.R.L.` → `boulangerie martin`.
    pub fn new(name: &str) -> Self {
        let folded: String = name
            .chars()
            .filter(|character| *character != '.')
            .flat_map(char::to_lowercase)
            .map(fold_accent)
            .map(|character| {
                if character.is_alphanumeric() {
                    character
                } else {
                    ' '
                }
            })
            .collect();

        let words = folded
            .split_whitespace()
            .filter(|word| !LEGAL_FORMS.contains(word))
            .map(str::to_owned)
            .collect();
        Self { words }
    }

    /// The identifying words, in the order written.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The words joined by single spaces: the exact-match key.
    pub fn key(&self) -> String {
        self.words.join(" ")
    }

    /// True when nothing identifying is left.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

/// How alike two names are, from 0 (nothing in common) to 1 (the same
/// words): each word is paired with its most similar word in the other name,
/// both ways, and the two averages are averaged.
pub fn name_similarity(left: &NormalisedName, right: &NormalisedName) -> f64 {
    if left.is_empty() || right.is_empty() {
        return 0.0;
    }
    if left.key() == right.key() {
        return 1.0;
    }

    let forward = best_pairing_average(&left.words, &right.words);
    let backward = best_pairing_average(&right.words, &left.words);
    (forward + backward) / 2.0
}

fn best_pairing_average(from: &[String], to: &[String]) -> f64 {
    let total: f64 = from
        .iter()
        .map(|word| {
            to.iter()
                .map(|other| word_similarity(word, other))
                .fold(0.0, f64::max)
        })
        .sum();
    total / from.len() as f64
}

/// How alike two words are: 1 when equal, high when one abbreviates the
/// other, else their Jaro-Winkler similarity.
fn word_similarity(left: &str, right: &str) -> f64 {
    if left == right {
        return 1.0;
    }

    let (short, long) = if left.len() <= right.len() {
        (left, right)
    } else {
        (right, left)
    };
    if short.chars().count() >= MIN_ABBREVIATION_LENGTH && long.starts_with(short) {
        return ABBREVIATION_SIMILARITY;
    }
    jaro_winkler(left, right)
}

/// The Jaro-Winkler similarity of two strings, from 0 to 1.
pub fn jaro_winkler(left: &str, right: &str) -> f64 {
    let left: Vec<char> = left.chars().collect();
    let right: Vec<char> = right.chars().collect();
    let jaro = jaro(&left, &right);

    let common_prefix = left
        .iter()
        .zip(&right)
        .take(4)
        .take_while(|(a, b)| a == b)
        .count() as f64;
    jaro + common_prefix * 0.1 * (1.0 - jaro)
}

/// The Jaro similarity: matching characters within a window, and how many
/// of them are out of order.
fn jaro(left: &[char], right: &[char]) -> f64 {
    if left.is_empty() && right.is_empty() {
        return 1.0;
    }
    if left.is_empty() || right.is_empty() {
        return 0.0;
    }

    let window = (left.len().max(right.len()) / 2).saturating_sub(1);
    let mut right_taken = vec![false; right.len()];
    let mut left_matches = Vec::new();
    for (position, character) in left.iter().enumerate() {
        let from = position.saturating_sub(window);
        let to = (position + window + 1).min(right.len());
        let found = (from..to).find(|&other| !right_taken[other] && right[other] == *character);
        if let Some(other) = found {
            right_taken[other] = true;
            left_matches.push(*character);
        }
    }

    let matches = left_matches.len() as f64;
    if matches == 0.0 {
        return 0.0;
    }
    let right_matches = right
        .iter()
        .zip(&right_taken)
        .filter(|(_, taken)| **taken)
        .map(|(c, _)| c);
    let transpositions = left_matches
        .iter()
        .zip(right_matches)
        .filter(|(a, b)| a != b)
        .count() as f64
        / 2.0;

    (matches / left.len() as f64
        + matches / right.len() as f64
        + (matches - transpositions) / matches)
        / 3.0
}

/// Latin letters with accents to their bare letter, so `Sàrl` reads `sarl`.
fn fold_accent(character: char) -> char {
    match character {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' => 'u',
        'ý' | 'ÿ' => 'y',
        'ś' | 'š' => 's',
        'ź' | 'ż' | 'ž' => 'z',
        'ł' => 'l',
        'ř' => 'r',
        'ß' => 's',
        other => other,
    }
}

/// Customer names indexed for fuzzy lookup: exact normalised names, and
/// blocks of customers sharing a word's first letters, so a payer name is
/// only compared with customers it could plausibly be.
#[derive(Debug, Clone, Default)]
pub struct NameIndex {
    exact: HashMap<String, Vec<String>>,
    blocks: HashMap<String, Vec<String>>,
    names: HashMap<String, NormalisedName>,
}

/// A customer whose name resembles the payer's.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarName {
    /// The customer.
    pub customer_id: String,
    /// How alike the names are, from [`NAME_SIMILARITY_FLOOR`] to 1.
    pub similarity: f64,
}

impl NameIndex {
    /// Adds a customer's name; a customer added twice keeps its first name.
    pub fn insert(&mut self, customer_id: &str, name: &str) {
        if self.names.contains_key(customer_id) {
            return;
        }
        let normalised = NormalisedName::new(name);
        if normalised.is_empty() {
            return;
        }

        self.exact
            .entry(normalised.key())
            .or_default()
            .push(customer_id.to_owned());
        for block in block_keys(&normalised) {
            self.blocks
                .entry(block)
                .or_default()
                .push(customer_id.to_owned());
        }
        self.names.insert(customer_id.to_owned(), normalised);
    }

    /// The customers whose name resembles `payer_name`, most alike first:
    /// exact normalised names when there are any, else fuzzy ones above
    /// [`NAME_SIMILARITY_FLOOR`].
    pub fn similar(&self, payer_name: &str) -> Vec<SimilarName> {
        let payer = NormalisedName::new(payer_name);
        if payer.is_empty() {
            return Vec::new();
        }
        if let Some(customers) = self.exact.get(&payer.key()) {
            return customers
                .iter()
                .map(|customer_id| SimilarName {
                    customer_id: customer_id.clone(),
                    similarity: 1.0,
                })
                .collect();
        }

        let mut similar: Vec<SimilarName> = self
            .block_candidates(&payer)
            .into_iter()
            .filter_map(|customer_id| {
                let similarity = name_similarity(&payer, self.names.get(customer_id)?);
                (similarity >= NAME_SIMILARITY_FLOOR).then(|| SimilarName {
                    customer_id: customer_id.to_owned(),
                    similarity,
                })
            })
            .collect();
        similar.sort_by(|a, b| {
            b.similarity
                .total_cmp(&a.similarity)
                .then_with(|| a.customer_id.cmp(&b.customer_id))
        });
        similar
    }

    fn block_candidates(&self, payer: &NormalisedName) -> HashSet<&str> {
        block_keys(payer)
            .iter()
            .filter_map(|block| self.blocks.get(block))
            .filter(|customers| customers.len() <= MAX_CUSTOMERS_PER_BLOCK)
            .flatten()
            .map(String::as_str)
            .collect()
    }
}

/// The first three letters of each word long enough to abbreviate.
fn block_keys(name: &NormalisedName) -> Vec<String> {
    name.words
        .iter()
        .filter(|word| word.chars().count() >= MIN_ABBREVIATION_LENGTH)
        .map(|word| word.chars().take(MIN_ABBREVIATION_LENGTH).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_case_accents_punctuation_and_legal_forms() {
        // (name, normalised key)
        let table = [
            ("Boulangerie Martin SARL", "boulangerie martin"),
            ("BOULANGERIE MARTIN S.A.R.L.", "boulangerie martin"),
            ("Müller Maschinenbau GmbH & Co. KG", "muller maschinenbau"),
            ("Électricité Dupré Sàrl", "electricite dupre"),
            ("Van Dijk Logistics B.V.", "van dijk logistics"),
            ("Smith-Jones Ltd", "smith jones"),
            ("SAS", ""),
        ];

        for (name, key) in table {
            assert_eq!(NormalisedName::new(name).key(), key, "{name}");
        }
    }

    #[test]
    fn payer_names_are_compared_as_people_read_them() {
        // (payer name, customer name, at least, at most)
        let table = [
            ("BOULANGERIE MARTIN", "Boulangerie Martin SARL", 1.0, 1.0),
            ("MARTIN BOULANGERIE", "Boulangerie Martin SARL", 1.0, 1.0),
            ("LABO MARTIN", "Laboratoire Martin SAS", 0.95, 0.99),
            ("BOULANGERIE MARTNI", "Boulangerie Martin", 0.9, 0.99),
            ("ELEC DUPRE SARL", "Électricité Dupré", 0.95, 0.99),
            ("BOULANGERIE MARTIN", "Boucherie Durand", 0.0, 0.8),
            ("GARAGE LEROY", "Pharmacie Bernard", 0.0, 0.7),
        ];

        for (payer, customer, low, high) in table {
            let similarity =
                name_similarity(&NormalisedName::new(payer), &NormalisedName::new(customer));
            assert!(
                (low..=high).contains(&similarity),
                "{payer} vs {customer}: {similarity}"
            );
        }
    }

    #[test]
    fn jaro_winkler_agrees_with_its_textbook_values() {
        // (left, right, similarity to three places)
        let table = [
            ("martha", "marhta", 0.961),
            ("dwayne", "duane", 0.84),
            ("dixon", "dicksonx", 0.813),
        ];

        for (left, right, expected) in table {
            let similarity = jaro_winkler(left, right);
            assert!(
                (similarity - expected).abs() < 0.001,
                "{left}/{right}: {similarity}"
            );
        }
        assert_eq!(jaro_winkler("", "abc"), 0.0);
    }

    #[test]
    fn the_index_finds_customers_by_exact_then_fuzzy_name() {
        let mut index = NameIndex::default();
        index.insert("c1", "Boulangerie Martin SARL");
        index.insert("c2", "Laboratoire Martin SAS");
        index.insert("c3", "Garage Leroy");

        let exact = index.similar("BOULANGERIE MARTIN");
        let fuzzy = index.similar("LABO MARTIN");
        let none = index.similar("Pharmacie Bernard");

        assert_eq!(
            exact,
            [SimilarName {
                customer_id: "c1".into(),
                similarity: 1.0
            }]
        );
        assert_eq!(fuzzy.first().map(|s| s.customer_id.as_str()), Some("c2"));
        assert!(none.is_empty());
    }
}
