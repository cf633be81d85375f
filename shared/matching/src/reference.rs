//! Finding invoice numbers in what payers write, however they write them:
//! without dashes or spaces (`F2025000123`), without leading zeros
//! (`F2025-123`), in lower case, several on a line, among other words.
//!
//! Each invoice number is indexed under normalised keys once; remittance text
//! is cut into words and every run of up to four consecutive words is looked
//! up by the same keys, so finding numbers costs the length of the text, not
//! the number of open invoices.

use std::collections::HashMap;

/// The most consecutive words one written invoice number may span
/// (`F 2025 - 000 123`).
const MAX_WORDS_PER_NUMBER: usize = 4;

/// Digit-only writings shorter than this are too easily an amount or a date
/// to be read as an invoice number.
const MIN_DIGITS_ONLY_LENGTH: usize = 6;

/// How faithfully the payer wrote an invoice number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NumberQuality {
    /// Only its digits, without the letters (`2025000123`).
    DigitsOnly,
    /// Its letters and digits with separators or leading zeros lost.
    Normalised,
    /// Exactly as printed, apart from letter case.
    Exact,
}

/// An invoice number found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberHit<T> {
    /// What the index holds for that number.
    pub value: T,
    /// The words as the payer wrote them.
    pub written: String,
    /// How faithfully.
    pub quality: NumberQuality,
}

/// Invoice numbers under their normalised keys, for finding them in text.
#[derive(Debug, Clone)]
pub struct InvoiceNumberIndex<T> {
    by_key: HashMap<String, Vec<(String, T)>>,
    by_digits: HashMap<String, Vec<T>>,
}

impl<T> Default for InvoiceNumberIndex<T> {
    fn default() -> Self {
        Self {
            by_key: HashMap::new(),
            by_digits: HashMap::new(),
        }
    }
}

impl<T: Clone + PartialEq> InvoiceNumberIndex<T> {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Indexes `number` (as printed) with `value`.
    pub fn insert(&mut self, number: &str, value: T) {
        let exact = exact_form(number);
        let segments = segments(number);

        for key in [compact_key(&segments), loose_key(&segments)] {
            push_unique(
                self.by_key.entry(key).or_default(),
                (exact.clone(), value.clone()),
            );
        }

        let digits: Vec<&str> = segments
            .iter()
            .copied()
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
            .collect();
        for key in [compact_key(&digits), loose_key(&digits)] {
            if key.len() >= MIN_DIGITS_ONLY_LENGTH {
                push_unique(self.by_digits.entry(key).or_default(), value.clone());
            }
        }
    }

    /// Every indexed number written in `text`, in reading order.
    ///
    /// At each word the longest run of words that reads as a known number
    /// wins, and reading resumes after it.
    pub fn find_in(&self, text: &str) -> Vec<NumberHit<T>> {
        let words = words(text);
        let mut hits = Vec::new();

        let mut start = 0;
        while start < words.len() {
            let longest = (1..=MAX_WORDS_PER_NUMBER.min(words.len() - start))
                .rev()
                .map(|count| (count, self.lookup(&words[start..start + count], text)))
                .find(|(_, found)| !found.is_empty());

            match longest {
                Some((count, found)) => {
                    hits.extend(found);
                    start += count;
                }
                None => start += 1,
            }
        }
        hits
    }

    /// The numbers the consecutive `words` of `text` read as.
    fn lookup(&self, words: &[Word], text: &str) -> Vec<NumberHit<T>> {
        let (Some(first), Some(last)) = (words.first(), words.last()) else {
            return Vec::new();
        };
        let written = text
            .get(first.start..last.end)
            .unwrap_or_default()
            .to_owned();
        let written_exact = exact_form(&written);
        let segments: Vec<&str> = words.iter().flat_map(|word| segments(&word.text)).collect();

        for key in [compact_key(&segments), loose_key(&segments)] {
            if let Some(entries) = self.by_key.get(&key) {
                return entries
                    .iter()
                    .map(|(exact, value)| NumberHit {
                        value: value.clone(),
                        written: written.clone(),
                        quality: if *exact == written_exact {
                            NumberQuality::Exact
                        } else {
                            NumberQuality::Normalised
                        },
                    })
                    .collect();
            }
        }

        let all_digits = segments
            .iter()
            .all(|s| s.bytes().all(|b| b.is_ascii_digit()));
        if !all_digits {
            return Vec::new();
        }
        self.by_digits
            .get(&compact_key(&segments))
            .or_else(|| self.by_digits.get(&loose_key(&segments)))
            .map(|values| {
                values
                    .iter()
                    .map(|value| NumberHit {
                        value: value.clone(),
                        written: written.clone(),
                        quality: NumberQuality::DigitsOnly,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A run of letters and digits in a text, with its byte span.
#[derive(Debug, Clone)]
struct Word {
    text: String,
    start: usize,
    end: usize,
}

/// The words of `text`: runs of letters and digits, upper-cased.
fn words(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Option<Word> = None;

    for (offset, character) in text.char_indices() {
        if character.is_alphanumeric() {
            let word = current.get_or_insert_with(|| Word {
                text: String::new(),
                start: offset,
                end: offset,
            });
            word.text.extend(character.to_uppercase());
            word.end = offset + character.len_utf8();
        } else if let Some(word) = current.take() {
            words.push(word);
        }
    }
    words.extend(current);
    words
}

/// `number` upper-cased with its separators kept, for telling an exact
/// writing from a normalised one.
fn exact_form(number: &str) -> String {
    number.trim().to_uppercase()
}

/// The runs of letters and the runs of digits of `text`, in order:
/// `F2025-000123` → `F`, `2025`, `000123`.
fn segments(text: &str) -> Vec<&str> {
    let mut segments = Vec::new();
    let mut run: Option<(usize, bool)> = None;

    for (offset, character) in text.char_indices() {
        let kind = character
            .is_alphanumeric()
            .then(|| character.is_ascii_digit());
        match (run, kind) {
            (Some((_, run_is_digits)), Some(is_digit)) if run_is_digits == is_digit => {}
            (Some((start, _)), _) => {
                segments.extend(text.get(start..offset));
                run = kind.map(|is_digit| (offset, is_digit));
            }
            (None, _) => run = kind.map(|is_digit| (offset, is_digit)),
        }
    }
    if let Some((start, _)) = run {
        segments.extend(text.get(start..));
    }
    segments
}

/// The segments joined, upper-cased: separators dropped.
fn compact_key(segments: &[&str]) -> String {
    segments
        .iter()
        .map(|segment| segment.to_uppercase())
        .collect()
}

/// The segments joined with each run of digits stripped of its leading zeros.
fn loose_key(segments: &[&str]) -> String {
    segments
        .iter()
        .map(|segment| {
            if segment.bytes().all(|b| b.is_ascii_digit()) {
                let trimmed = segment.trim_start_matches('0');
                if trimmed.is_empty() {
                    "0".to_owned()
                } else {
                    trimmed.to_owned()
                }
            } else {
                segment.to_uppercase()
            }
        })
        .collect()
}

fn push_unique<V: PartialEq>(values: &mut Vec<V>, value: V) {
    if !values.contains(&value) {
        values.push(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> InvoiceNumberIndex<&'static str> {
        let mut index = InvoiceNumberIndex::new();
        for number in [
            "F2025-000123",
            "F2025-000124",
            "F2025-001230",
            "AV2025-000009",
            "INV/77/B",
        ] {
            index.insert(number, number);
        }
        index
    }

    fn found(text: &str) -> Vec<(&'static str, NumberQuality)> {
        index()
            .find_in(text)
            .into_iter()
            .map(|hit| (hit.value, hit.quality))
            .collect()
    }

    #[test]
    fn invoice_numbers_are_found_through_ocr_style_noise() {
        use NumberQuality::{DigitsOnly, Exact, Normalised};

        // (remittance text, numbers found)
        let table: [(&str, &[(&str, NumberQuality)]); 16] = [
            ("F2025-000123", &[("F2025-000123", Exact)]),
            ("f2025-000123", &[("F2025-000123", Exact)]),
            ("F2025000123", &[("F2025-000123", Normalised)]),
            ("F2025-123", &[("F2025-000123", Normalised)]),
            ("F2025123", &[("F2025-000123", Normalised)]),
            ("F 2025 000123", &[("F2025-000123", Normalised)]),
            ("F2025/000123", &[("F2025-000123", Normalised)]),
            (
                "FACTURE F2025-000123 ACOMPTE 1/3",
                &[("F2025-000123", Exact)],
            ),
            (
                "FACT F2025-000123 ET F2025-000124",
                &[("F2025-000123", Exact), ("F2025-000124", Exact)],
            ),
            (
                "FACTURES F2025-123, F2025-1230",
                &[("F2025-000123", Normalised), ("F2025-001230", Normalised)],
            ),
            ("Inv 2025000123", &[("F2025-000123", DigitsOnly)]),
            ("REGLEMENT AV2025-9", &[("AV2025-000009", Normalised)]),
            ("inv 77 b", &[("INV/77/B", Normalised)]),
            ("F2025-000999", &[]),
            ("VIREMENT FACTURES MARS 2025", &[]),
            ("MONTANT 123.00 EUR", &[]),
        ];

        for (text, expected) in table {
            assert_eq!(found(text), expected, "{text}");
        }
    }

    #[test]
    fn digits_are_split_from_letters_into_segments() {
        assert_eq!(segments("F2025-000123"), ["F", "2025", "000123"]);
        assert_eq!(segments("AV2025000009x"), ["AV", "2025000009", "x"]);
        assert_eq!(loose_key(&segments("F2025-000000")), "F20250");
    }

    #[test]
    fn the_written_form_is_kept_for_explanations() {
        let hits = index().find_in("paiement f2025 123 merci");

        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].written, "f2025 123");
    }
}
