//! A small element tree over `quick-xml`, enough to walk camt and OFX 2.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::error::StatementError;
use crate::model::{Location, StatementFormat};

/// One XML element with its namespace prefix dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Element {
    /// Local name, without prefix.
    pub name: String,
    /// Attributes as (local name, unescaped value).
    pub attributes: Vec<(String, String)>,
    /// Text directly inside the element, entities resolved.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    /// All children with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// Follows a path of child names from this element.
    pub fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter()
            .try_fold(self, |element, name| element.child(name))
    }

    /// The trimmed, non-empty text at the end of a path.
    pub fn text_at(&self, path: &[&str]) -> Option<&str> {
        let text = self.at(path)?.text.trim();
        (!text.is_empty()).then_some(text)
    }

    /// The value of an attribute.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Parses a whole document and returns its root element.
pub(crate) fn parse_document(
    bytes: &[u8],
    format: StatementFormat,
) -> Result<Element, StatementError> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = vec![Element::default()];

    loop {
        let position = reader.buffer_position();
        let malformed = |reason: String| StatementError::Malformed {
            format,
            location: Location::Byte(position),
            reason,
        };
        let event = reader
            .read_event()
            .map_err(|error| malformed(format!("the XML is not well formed ({error})")))?;

        match event {
            Event::Start(start) => stack.push(open_element(&start, format)?),
            Event::Empty(start) => {
                let element = open_element(&start, format)?;
                append_child(&mut stack, element);
            }
            Event::End(_) => {
                let element = stack.pop().filter(|_| !stack.is_empty()).ok_or_else(|| {
                    malformed("a closing tag has no matching opening tag".to_owned())
                })?;
                append_child(&mut stack, element);
            }
            Event::Text(text) => {
                let text = text
                    .decode()
                    .map_err(|error| malformed(format!("text is not valid UTF-8 ({error})")))?;
                append_text(&mut stack, &text);
            }
            Event::CData(data) => {
                let text = data
                    .decode()
                    .map_err(|error| malformed(format!("CDATA is not valid UTF-8 ({error})")))?;
                append_text(&mut stack, &text);
            }
            Event::GeneralRef(reference) => {
                let resolved = resolve_reference(&reference)
                    .ok_or_else(|| malformed("an unknown entity reference".to_owned()))?;
                append_text(&mut stack, &resolved);
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }

    let document = stack.pop().filter(|_| stack.is_empty());
    document
        .and_then(|document| document.children.into_iter().next())
        .ok_or_else(|| StatementError::Malformed {
            format,
            location: Location::File,
            reason: "the XML document has no root element or is cut off before its end".to_owned(),
        })
}

fn open_element(
    start: &BytesStart<'_>,
    format: StatementFormat,
) -> Result<Element, StatementError> {
    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|error| StatementError::Malformed {
            format,
            location: Location::Element(name.clone()),
            reason: format!("an attribute is not well formed ({error})"),
        })?;
        let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        let value = attribute
            .unescape_value()
            .map_err(|error| StatementError::Malformed {
                format,
                location: Location::Element(name.clone()),
                reason: format!("attribute {key:?} is not well formed ({error})"),
            })?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Element {
        name,
        attributes,
        ..Element::default()
    })
}

fn append_child(stack: &mut [Element], element: Element) {
    if let Some(parent) = stack.last_mut() {
        parent.children.push(element);
    }
}

fn append_text(stack: &mut [Element], text: &str) {
    if let Some(current) = stack.last_mut() {
        current.text.push_str(text);
    }
}

fn resolve_reference(reference: &quick_xml::events::BytesRef<'_>) -> Option<String> {
    if let Ok(Some(character)) = reference.resolve_char_ref() {
        return Some(character.to_string());
    }
    let name = reference.decode().ok()?;
    let character = match name.as_ref() {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    };
    Some(character.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_dropped_and_entities_resolved() {
        let xml = br#"<?xml version="1.0"?><a:Doc xmlns:a="urn:x"><a:Nm>A &amp; B&#33;</a:Nm><Amt Ccy="EUR">1.5</Amt></a:Doc>"#;
        let root = parse_document(xml, StatementFormat::Camt053).expect("well-formed XML");

        assert_eq!(root.name, "Doc");
        assert_eq!(root.text_at(&["Nm"]), Some("A & B!"));
        assert_eq!(
            root.child("Amt").and_then(|amount| amount.attribute("Ccy")),
            Some("EUR")
        );
    }

    #[test]
    fn a_document_cut_off_is_reported_as_malformed() {
        let error = parse_document(b"<Doc><Stmt>", StatementFormat::Camt053)
            .expect_err("a truncated document must not parse");

        assert!(matches!(error, StatementError::Malformed { .. }), "{error}");
    }
}
