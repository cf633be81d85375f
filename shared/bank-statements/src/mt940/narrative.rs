//! Reads the `:86:` information-to-account-owner field in its dialects.
//!
//! - German structured (DFÜ agreement, also used in Poland and Austria): a
//!   three-digit business code, then sub-fields behind a separator (`?`, or
//!   `>` at some Dutch banks): `?00` posting text, `?20`..`?29` and
//!   `?60`..`?63` purpose lines carrying the SEPA keywords `EREF+`, `KREF+`,
//!   `MREF+`, `SVWZ+`, ..., `?30` bank code, `?31` account or IBAN, `?32`/`?33`
//!   name, `?38` IBAN.
//! - Dutch slash tags (ING, ABN AMRO, Rabobank, Triodos):
//!   `/EREF/.../NAME/.../IBAN/.../REMI/...`, `/CNTP/iban/bic/name/city/`,
//!   `/TRTP/` transaction type.
//! - Anything else is free text, kept line by line.

use crate::text::{collapse_whitespace, compact_iban, looks_like_iban, non_empty};

/// What an `:86:` field says about a transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Narrative {
    /// The other party's name.
    pub counterparty_name: Option<String>,
    /// The other party's IBAN or account number.
    pub counterparty_account: Option<String>,
    /// The SEPA end-to-end reference.
    pub end_to_end_id: Option<String>,
    /// The account owner's own reference (`KREF+`).
    pub customer_reference: Option<String>,
    /// Free remittance lines.
    pub remittance_lines: Vec<String>,
    /// Structured creditor references.
    pub structured_references: Vec<String>,
}

/// SEPA keywords that open a section of German purpose lines.
const SEPA_KEYWORDS: [&str; 12] = [
    "EREF+", "KREF+", "MREF+", "CRED+", "DEBT+", "SVWZ+", "ABWA+", "ABWE+", "IBAN+", "BIC+",
    "COAM+", "OAMT+",
];

/// Tags of the Dutch slash dialect.
const SLASH_TAGS: [&str; 24] = [
    "EREF", "PREF", "MARF", "CSID", "CNTP", "REMI", "PURP", "ULTC", "ULTD", "ULTB", "NAME", "IBAN",
    "BIC", "TRTP", "BENM", "ORDP", "ISDT", "ADDR", "RTRN", "CREF", "ACCW", "BUSP", "SVCL", "CHGS",
];

/// Reads the field's lines in whichever dialect they are written.
pub(crate) fn read(lines: &[String]) -> Narrative {
    let joined = lines.concat();
    let trimmed = joined.trim_start();
    if let Some(separator) = german_separator(trimmed) {
        return read_german(trimmed, separator);
    }
    if trimmed.starts_with('/') && slash_tags(trimmed).len() >= 2 {
        return read_slash_tags(trimmed);
    }
    read_free_text(lines)
}

/// The separator when the text opens with a three-digit code and `?` or `>`.
fn german_separator(text: &str) -> Option<char> {
    let mut characters = text.chars();
    let code_is_digits = characters
        .by_ref()
        .take(3)
        .filter(char::is_ascii_digit)
        .count()
        == 3;
    let separator = characters.next()?;
    (code_is_digits && matches!(separator, '?' | '>')).then_some(separator)
}

/// Splits `166?00TEXT?20MORE` into `(0, "TEXT"), (20, "MORE")`.
fn german_subfields(text: &str, separator: char) -> Vec<(u8, String)> {
    text.split(separator)
        .skip(1)
        .filter_map(|piece| {
            let code = piece.get(..2)?.parse::<u8>().ok()?;
            Some((code, piece[2..].to_owned()))
        })
        .collect()
}

fn read_german(text: &str, separator: char) -> Narrative {
    let subfields = german_subfields(text, separator);
    let joined_codes = |codes: &[u8]| -> String {
        subfields
            .iter()
            .filter(|(code, _)| codes.contains(code))
            .map(|(_, value)| value.as_str())
            .collect()
    };

    let purpose_codes: Vec<u8> = (20..=29).chain(60..=63).collect();
    let purpose_parts: Vec<&str> = subfields
        .iter()
        .filter(|(code, _)| purpose_codes.contains(code))
        .map(|(_, value)| value.as_str())
        .collect();

    let mut narrative = Narrative {
        counterparty_name: non_empty(&collapse_whitespace(&joined_codes(&[32, 33]))),
        ..Narrative::default()
    };
    let account = non_empty(&joined_codes(&[38])).or_else(|| non_empty(&joined_codes(&[31])));
    narrative.counterparty_account = account.map(|account| {
        let compact = compact_iban(&account);
        if looks_like_iban(&compact) {
            compact
        } else {
            account.trim().to_owned()
        }
    });

    let purpose: String = purpose_parts.concat();
    let sections = sepa_sections(&purpose);
    if sections.is_empty() {
        narrative.remittance_lines = purpose_parts
            .iter()
            .filter_map(|part| non_empty(part))
            .collect();
        return narrative;
    }
    for (keyword, value) in sections {
        let value = value.trim().to_owned();
        match keyword {
            "EREF+" if value != "NOTPROVIDED" => narrative.end_to_end_id = non_empty(&value),
            "KREF+" => narrative.customer_reference = non_empty(&value),
            "SVWZ+" | "" => narrative.remittance_lines.extend(non_empty(&value)),
            "IBAN+" if narrative.counterparty_account.is_none() => {
                narrative.counterparty_account = non_empty(&compact_iban(&value));
            }
            _ => {}
        }
    }
    narrative
}

/// Splits purpose text on SEPA keywords; text before the first keyword is
/// returned under the empty keyword. No keyword at all gives no sections.
fn sepa_sections(text: &str) -> Vec<(&'static str, &str)> {
    let mut starts: Vec<(usize, &'static str)> = SEPA_KEYWORDS
        .iter()
        .flat_map(|keyword| {
            text.match_indices(keyword)
                .map(|(position, _)| (position, *keyword))
        })
        .collect();
    if starts.is_empty() {
        return Vec::new();
    }
    starts.sort_unstable();

    let mut sections = Vec::new();
    if starts[0].0 > 0 {
        sections.push(("", &text[..starts[0].0]));
    }
    for (index, (position, keyword)) in starts.iter().enumerate() {
        let end = starts.get(index + 1).map_or(text.len(), |(next, _)| *next);
        sections.push((*keyword, &text[position + keyword.len()..end]));
    }
    sections
}

/// Positions of `/TAG/` occurrences for the known Dutch tags, in order.
fn slash_tags(text: &str) -> Vec<(usize, &'static str)> {
    let mut found: Vec<(usize, &'static str)> = SLASH_TAGS
        .iter()
        .flat_map(|tag| {
            let marker = format!("/{tag}/");
            text.match_indices(&marker)
                .map(move |(position, _)| (position, *tag))
                .collect::<Vec<_>>()
        })
        .collect();
    found.sort_unstable();
    found
}

fn read_slash_tags(text: &str) -> Narrative {
    let tags = slash_tags(text);
    let mut narrative = Narrative::default();
    for (index, (position, tag)) in tags.iter().enumerate() {
        let start = position + tag.len() + 2;
        let end = tags.get(index + 1).map_or(text.len(), |(next, _)| *next);
        let value = text
            .get(start..end.max(start))
            .unwrap_or_default()
            .trim_end_matches('/')
            .trim();
        apply_slash_tag(&mut narrative, tag, value);
    }
    narrative
}

fn apply_slash_tag(narrative: &mut Narrative, tag: &str, value: &str) {
    match tag {
        "EREF" if value != "NOTPROVIDED" => narrative.end_to_end_id = non_empty(value),
        "NAME" => {
            narrative.counterparty_name = narrative
                .counterparty_name
                .take()
                .or_else(|| non_empty(value))
        }
        "IBAN" => narrative.counterparty_account = non_empty(&compact_iban(value)),
        "CNTP" => {
            let mut parts = value.split('/');
            let account = parts.next().unwrap_or_default();
            let name = parts.nth(1).unwrap_or_default();
            narrative.counterparty_account = non_empty(&compact_iban(account));
            narrative.counterparty_name = non_empty(name);
        }
        "REMI" => read_remi(narrative, value),
        _ => {}
    }
}

/// `/REMI/` is free text, `USTD//text` or `STRD/CUR/reference`.
fn read_remi(narrative: &mut Narrative, value: &str) {
    if let Some(text) = value.strip_prefix("USTD//") {
        narrative.remittance_lines.extend(non_empty(text));
    } else if let Some(structured) = value.strip_prefix("STRD/") {
        let reference = structured
            .rsplit('/')
            .find(|part| !part.is_empty())
            .unwrap_or_default();
        narrative.structured_references.extend(non_empty(reference));
    } else {
        narrative.remittance_lines.extend(non_empty(value));
    }
}

fn read_free_text(lines: &[String]) -> Narrative {
    Narrative {
        remittance_lines: lines
            .iter()
            .filter_map(|line| non_empty(&collapse_whitespace(line)))
            .collect(),
        ..Narrative::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn each_dialect_yields_name_account_reference_and_purpose() {
        struct Case {
            field: &'static str,
            name: Option<&'static str>,
            account: Option<&'static str>,
            end_to_end_id: Option<&'static str>,
            remittance: &'static [&'static str],
        }
        let cases = [
            Case {
                field: "166?00GUTSCHRIFT?100399?20EREF+E2E-42?21SVWZ+RE 2024-17 Danke?30PBNKDEFF?31DE42100100100043921105?32Richter Re\nnate?33 GmbH",
                name: Some("Richter Renate GmbH"),
                account: Some("DE42100100100043921105"),
                end_to_end_id: Some("E2E-42"),
                remittance: &["RE 2024-17 Danke"],
            },
            Case {
                field: "008?00DAUERAUFTRAG?100599?20Miete November?3010020030?31234567?32MUELLER",
                name: Some("MUELLER"),
                account: Some("234567"),
                end_to_end_id: None,
                remittance: &["Miete November"],
            },
            Case {
                field: "000>100987654321\n>20 HUUR>21 KANTOOR - FEB 2010",
                name: None,
                account: None,
                end_to_end_id: None,
                remittance: &["HUUR", "KANTOOR - FEB 2010"],
            },
            Case {
                field: "/EREF/01-01-2013 12:00 0030000987654321/BENM//NAME/CONTRA ACCOUN\nT HOLDER/REMI//ISDT/2013-07-11",
                name: Some("CONTRA ACCOUNT HOLDER"),
                account: None,
                end_to_end_id: Some("01-01-2013 12:00 0030000987654321"),
                remittance: &[],
            },
            Case {
                field: "/TRTP/SEPA OVERBOEKING/IBAN/NL08 INGB 0000001234/BIC/INGBNL2A/NAME/ACME BV/REMI/Factuur 2024-001/EREF/NOTPROVIDED",
                name: Some("ACME BV"),
                account: Some("NL08INGB0000001234"),
                end_to_end_id: None,
                remittance: &["Factuur 2024-001"],
            },
            Case {
                field: "/EREF/E1//CNTP/NL08INGB0000001234/INGBNL2A/ING Testrekening/AMSTERDAM//REMI/USTD//Order 9/",
                name: Some("ING Testrekening"),
                account: Some("NL08INGB0000001234"),
                end_to_end_id: Some("E1"),
                remittance: &["Order 9"],
            },
            Case {
                field: "FACTUUR 201403110, 201403113\nREK: NL65INGB0123456789/NAAM: PICQER",
                name: None,
                account: None,
                end_to_end_id: None,
                remittance: &[
                    "FACTUUR 201403110, 201403113",
                    "REK: NL65INGB0123456789/NAAM: PICQER",
                ],
            },
        ];
        for case in cases {
            let narrative = read(&lines(case.field));
            assert_eq!(
                narrative.counterparty_name.as_deref(),
                case.name,
                "name of {:?}",
                case.field
            );
            assert_eq!(
                narrative.counterparty_account.as_deref(),
                case.account,
                "account of {:?}",
                case.field
            );
            assert_eq!(
                narrative.end_to_end_id.as_deref(),
                case.end_to_end_id,
                "e2e of {:?}",
                case.field
            );
            assert_eq!(
                narrative.remittance_lines, case.remittance,
                "remittance of {:?}",
                case.field
            );
        }
    }

    #[test]
    fn structured_creditor_references_are_kept_apart_from_free_text() {
        let narrative = read(&lines("/REMI/STRD/CUR/RF18539007547034/EREF/X1"));
        assert_eq!(
            narrative.structured_references,
            vec!["RF18539007547034".to_owned()]
        );
        assert!(narrative.remittance_lines.is_empty());
    }
}
