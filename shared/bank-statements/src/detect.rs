//! Recognises a statement format from the file's content, never its name.

use crate::error::StatementError;
use crate::model::StatementFormat;

/// How many characters of an unrecognised file an error message quotes.
const QUOTED_START: usize = 40;

/// Names the format of a statement file from its bytes.
///
/// XML with a camt.052/053/054 namespace (versions 02 to 08) is camt; a
/// document with an `<OFX>` element or an `OFXHEADER` is OFX; SWIFT fields
/// (`:20:`, `:25:`, `:61:`, ...) or a `{1:` block are MT940, or MT942 when
/// the file has the MT942 floor limit `:34F:` or an `{2:..942` header; other
/// delimited text is CSV.
pub fn detect_format(bytes: &[u8]) -> Result<StatementFormat, StatementError> {
    let text = decode_text(bytes);
    let trimmed = text.trim_start_matches(|character: char| {
        character.is_whitespace() || character.is_control() || character == '\u{feff}'
    });
    if trimmed.trim().is_empty() {
        return Err(StatementError::Empty);
    }

    if let Some(format) = detect_iso20022(trimmed)? {
        return Ok(format);
    }
    if is_ofx(trimmed) {
        return Ok(StatementFormat::Ofx);
    }
    if is_swift(trimmed) {
        return Ok(swift_kind(trimmed));
    }
    if is_delimited(trimmed) {
        return Ok(StatementFormat::Csv);
    }
    Err(StatementError::UnknownFormat {
        start: trimmed.chars().take(QUOTED_START).collect(),
    })
}

/// Decodes bytes as UTF-8, or as Latin-1 when they are not valid UTF-8
/// (older MT940 and OFX exports use ISO 8859-1 or Windows-1252).
pub(crate) fn decode_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&byte| char::from(byte)).collect(),
    }
}

/// camt when the ISO 20022 namespace says so; an error for other ISO 20022
/// messages or versions, so the user learns what is supported.
fn detect_iso20022(text: &str) -> Result<Option<StatementFormat>, StatementError> {
    const PREFIX: &str = "urn:iso:std:iso:20022:tech:xsd:";
    if !text.starts_with('<') {
        return Ok(None);
    }
    let Some(start) = text.find(PREFIX) else {
        return Ok(None);
    };
    let namespace: String = text[start..]
        .chars()
        .take_while(|character| !matches!(character, '"' | '\'' | ' ' | '>'))
        .collect();
    let message = &namespace[PREFIX.len()..];

    let format = match message.get(..12) {
        Some("camt.052.001") => StatementFormat::Camt052,
        Some("camt.053.001") => StatementFormat::Camt053,
        Some("camt.054.001") => StatementFormat::Camt054,
        _ => return Err(StatementError::UnsupportedCamtMessage { namespace }),
    };
    let version = message
        .get(13..)
        .and_then(|version| version.parse::<u8>().ok());
    match version {
        Some(2..=8) => Ok(Some(format)),
        _ => Err(StatementError::UnsupportedCamtMessage { namespace }),
    }
}

fn is_ofx(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(4096)
        .collect::<String>()
        .to_ascii_uppercase();
    head.starts_with("OFXHEADER") || head.contains("<OFX>") || head.contains("<?OFX ")
}

fn is_swift(text: &str) -> bool {
    if text.starts_with("{1:") {
        return true;
    }
    text.lines().take(60).any(|line| {
        let line = line.trim_start_matches(|character: char| character.is_control());
        [":20:", ":25:", ":28C:", ":60F:", ":61:", ":940:"]
            .iter()
            .any(|tag| line.starts_with(tag))
    })
}

fn swift_kind(text: &str) -> StatementFormat {
    let has_floor_limit = text.lines().any(|line| line.starts_with(":34F:"));
    let has_942_header = text.contains("{2:O942") || text.contains("{2:I942");
    if has_floor_limit || has_942_header {
        StatementFormat::Mt942
    } else {
        StatementFormat::Mt940
    }
}

/// Text whose first line splits into several fields on `;`, `,` or tab.
fn is_delimited(text: &str) -> bool {
    let first_line = text.lines().next().unwrap_or_default();
    [';', ',', '\t']
        .iter()
        .any(|delimiter| first_line.split(*delimiter).count() >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_apart_by_content() {
        let camt = |namespace: &str| {
            format!(
                "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:{namespace}\">"
            )
        };
        let cases: Vec<(String, Result<StatementFormat, &str>)> = vec![
            (camt("camt.053.001.02"), Ok(StatementFormat::Camt053)),
            (camt("camt.052.001.06"), Ok(StatementFormat::Camt052)),
            (camt("camt.054.001.08"), Ok(StatementFormat::Camt054)),
            (camt("camt.053.001.09"), Err("unsupported")),
            (camt("pain.001.001.03"), Err("unsupported")),
            (
                "OFXHEADER:100\nDATA:OFXSGML\n<OFX>".to_owned(),
                Ok(StatementFormat::Ofx),
            ),
            (
                "<?xml version=\"1.0\"?>\n<?OFX OFXHEADER=\"200\"?><OFX>".to_owned(),
                Ok(StatementFormat::Ofx),
            ),
            (
                ":20:REF\n:25:123\n:60F:C240101EUR1,00".to_owned(),
                Ok(StatementFormat::Mt940),
            ),
            (
                "{1:F01BANK}{2:O940BANK}{4:\n:20:X".to_owned(),
                Ok(StatementFormat::Mt940),
            ),
            (
                "\u{1}\n:20:X\n:34F:PLN0\n".to_owned(),
                Ok(StatementFormat::Mt942),
            ),
            (
                "date;amount;name\n2024-01-01;1,00;A".to_owned(),
                Ok(StatementFormat::Csv),
            ),
            ("hello".to_owned(), Err("unknown")),
            ("  \n ".to_owned(), Err("empty")),
        ];
        for (content, expected) in cases {
            let detected = detect_format(content.as_bytes());
            match (expected, detected) {
                (Ok(format), Ok(found)) => assert_eq!(found, format, "{content:?}"),
                (Err("unsupported"), Err(StatementError::UnsupportedCamtMessage { .. })) => {}
                (Err("unknown"), Err(StatementError::UnknownFormat { .. })) => {}
                (Err("empty"), Err(StatementError::Empty)) => {}
                (expected, found) => panic!("{content:?}: expected {expected:?}, got {found:?}"),
            }
        }
    }

    #[test]
    fn latin_1_bytes_are_decoded_instead_of_rejected() {
        assert_eq!(decode_text(b"Sch\xf6n"), "Schön");
    }
}
