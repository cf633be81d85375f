//! Splits SWIFT MT940 / MT942 text into tagged fields, with their line numbers.
//!
//! Handles what banks wrap around the fields: `{1:...}{2:...}{4:` block
//! headers and `-}` trailers, bank-specific header lines before the first
//! field, CRLF or LF, control characters, and a tag broken after its first
//! colon (`:` on one line, `86:` on the next).

/// One field: its tag (`61`, `60F`, `NS`) and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// The tag between the colons.
    pub tag: String,
    /// The text after the tag on the first line, then each continuation line.
    pub lines: Vec<String>,
    /// 1-based line number of the tag in the file.
    pub line_number: usize,
}

impl Field {
    /// The lines joined without separator, as SWIFT wraps long values.
    pub fn joined(&self) -> String {
        self.lines.concat()
    }
}

/// Splits the text into fields, in file order.
pub(crate) fn split_fields(text: &str) -> Vec<Field> {
    let lines: Vec<(usize, String)> = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, clean_line(line)))
        .collect();

    let mut fields: Vec<Field> = Vec::new();
    let mut inside_message = false;
    let mut index = 0;
    while index < lines.len() {
        let (line_number, line) = &lines[index];
        let line = strip_block_header(line);

        // A tag broken after its first colon continues on the next line.
        let glued;
        let line = match lines.get(index + 1) {
            Some((_, next)) if line == ":" && tag_of(&format!(":{next}")).is_some() => {
                index += 1;
                glued = format!(":{next}");
                glued.as_str()
            }
            _ => line,
        };

        if let Some((tag, rest)) = tag_of(line) {
            fields.push(Field {
                tag: tag.to_owned(),
                lines: vec![rest.to_owned()],
                line_number: *line_number,
            });
            inside_message = true;
        } else if is_message_end(line) {
            inside_message = false;
        } else if let Some(field) = fields.last_mut().filter(|_| inside_message) {
            field.lines.push(line.to_owned());
        }
        index += 1;
    }
    fields
}

/// Turns tabs into spaces and removes other control characters (SOH / ETX
/// framing, the carriage return of CRLF).
fn clean_line(line: &str) -> String {
    line.chars()
        .map(|character| if character == '\t' { ' ' } else { character })
        .filter(|character| !character.is_control())
        .collect()
}

/// Drops `{1:...}{2:...}{3:...}{4:` from the start of a line.
fn strip_block_header(line: &str) -> &str {
    if line.starts_with('{')
        && let Some(position) = line.find("{4:")
    {
        return &line[position + 3..];
    }
    line
}

/// `-`, `-}` (block 4 end) or `-XXX` (bank trailer) end a message.
fn is_message_end(line: &str) -> bool {
    let line = line.trim_end();
    line == "-" || line.starts_with("-}") || line == "}" || {
        line.starts_with('-')
            && line.len() <= 5
            && line[1..].bytes().all(|byte| byte.is_ascii_uppercase())
    }
}

/// Recognises `:TAG:rest` with TAG two digits and an optional letter, or
/// `NS`. The `:940:` marker some banks write before a message is no field.
fn tag_of(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix(':')?;
    let end = rest.find(':')?;
    let tag = &rest[..end];
    let bytes = tag.as_bytes();
    let numeric_tag = (2..=3).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_digit)
        && bytes[2..].iter().all(u8::is_ascii_uppercase);
    (numeric_tag || tag == "NS").then(|| (tag, &rest[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(text: &str) -> Vec<(String, Vec<String>)> {
        split_fields(text)
            .into_iter()
            .map(|field| (field.tag, field.lines))
            .collect()
    }

    #[test]
    fn block_headers_and_bank_header_lines_are_skipped() {
        let text = ":940:\nABNANL2A\n940\n{1:F01X}{2:O940X}{4:\n:20:REF\n:86:one\ntwo\n-}{5:}\nJUNK\n:20:NEXT\n";
        assert_eq!(
            tags(text),
            vec![
                ("20".to_owned(), vec!["REF".to_owned()]),
                ("86".to_owned(), vec!["one".to_owned(), "two".to_owned()]),
                ("20".to_owned(), vec!["NEXT".to_owned()]),
            ]
        );
    }

    #[test]
    fn a_tag_broken_after_its_colon_is_rejoined() {
        let text = ":61:1811261126CR\n30,00N062NONREF\n:\n86:166?00GUTSCHR\n";
        let fields = split_fields(text);
        assert_eq!(fields[1].tag, "86");
        assert_eq!(fields[1].lines, vec!["166?00GUTSCHR".to_owned()]);
        assert_eq!(fields[0].lines.len(), 2);
    }

    #[test]
    fn crlf_and_control_characters_are_removed() {
        let fields = split_fields("\u{1}\r\n:20:A\r\n:25:B\r\n-\u{3}\r\n");
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[1].lines, vec!["B".to_owned()]);
        assert_eq!(fields[1].line_number, 3);
    }
}
