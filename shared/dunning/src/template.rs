//! The template language of dunning messages, small enough for a collector
//! to edit: `{{ customer.name }}` inserts a value, `{{#invoices}}…{{/invoices}}`
//! repeats for each invoice (or shows its content when a value is set and
//! not false), `{{^contact.name}}…{{/contact.name}}` shows its content when
//! a value is missing or false.
//!
//! A template is parsed once and checked against the variables messages
//! provide, so an edit with a misspelt variable is refused when it is saved,
//! not when the run sends it.

use serde_json::Value;

/// What is wrong with a template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A `{{` without its `}}`.
    #[error("a `{{{{` at line {line} is never closed with `}}}}`")]
    Unclosed {
        /// The line of the opening braces.
        line: usize,
    },

    /// A section closed that was not the one open.
    #[error("`{{{{/{found}}}}}` at line {line} closes a section that is not open{expected}")]
    Mismatched {
        /// The name closed.
        found: String,
        /// The line.
        line: usize,
        /// What was open, in words (empty when nothing was).
        expected: String,
    },

    /// A section left open at the end of the template.
    #[error("the section `{{{{#{name}}}}}` is never closed; add `{{{{/{name}}}}}`")]
    SectionNotClosed {
        /// The section's name.
        name: String,
    },

    /// `{{}}` or a name with spaces or odd characters.
    #[error(
        "`{{{{{tag}}}}}` at line {line} is not a variable; names are letters, digits, `_` \
         and `.` between parts, such as customer.name"
    )]
    InvalidName {
        /// The tag's content.
        tag: String,
        /// The line.
        line: usize,
    },

    /// A variable messages do not provide.
    #[error(
        "the template uses `{{{{{name}}}}}`, which messages do not provide; use one of {known}"
    )]
    UnknownVariable {
        /// The variable.
        name: String,
        /// The variables available there.
        known: String,
    },
}

/// How inserted values and the template's own text are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Plain text, as written.
    Text,
    /// HTML: every character that means something in HTML is escaped.
    Html,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Text(String),
    Variable {
        name: String,
        line: usize,
    },
    Section {
        name: String,
        inverted: bool,
        line: usize,
        children: Vec<Node>,
    },
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    nodes: Vec<Node>,
}

impl Template {
    /// Parses template source.
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        // Each open section: its name, inversion, line and the nodes before it.
        let mut stack: Vec<(String, bool, usize, Vec<Node>)> = Vec::new();
        let mut nodes = Vec::new();
        let mut rest = source;
        let mut line = 1;

        while let Some(start) = rest.find("{{") {
            let (text, after) = rest.split_at(start);
            push_text(&mut nodes, text);
            line += text.matches('\n').count();

            let end = after.find("}}").ok_or(TemplateError::Unclosed { line })?;
            let tag = after[2..end].trim();
            rest = &after[end + 2..];

            match tag.chars().next() {
                Some(kind @ ('#' | '^')) => {
                    let name = checked_name(&tag[1..], line)?;
                    stack.push((name, kind == '^', line, std::mem::take(&mut nodes)));
                }
                Some('/') => {
                    let name = checked_name(&tag[1..], line)?;
                    let Some((open, inverted, opened_at, before)) = stack.pop() else {
                        return Err(mismatched(name, line, String::new()));
                    };
                    if open != name {
                        return Err(mismatched(name, line, format!("; `{open}` is open")));
                    }
                    let children = std::mem::replace(&mut nodes, before);
                    nodes.push(Node::Section {
                        name,
                        inverted,
                        line: opened_at,
                        children,
                    });
                }
                _ => nodes.push(Node::Variable {
                    name: checked_name(tag, line)?,
                    line,
                }),
            }
        }
        push_text(&mut nodes, rest);

        match stack.pop() {
            Some((name, ..)) => Err(TemplateError::SectionNotClosed { name }),
            None => Ok(Template { nodes }),
        }
    }

    /// Renders the template with `context`. A variable the context lacks
    /// is an error; a `null` one renders as nothing.
    pub fn render(&self, context: &Value, output: Output) -> Result<String, TemplateError> {
        let mut rendered = String::new();
        render_nodes(&self.nodes, &[context], output, &mut rendered)?;
        Ok(rendered)
    }

    /// Checks every variable against a sample context holding every
    /// variable messages provide (each section with at least one item).
    pub fn check(&self, sample: &Value) -> Result<(), TemplateError> {
        self.render(sample, Output::Text).map(|_| ())
    }
}

fn push_text(nodes: &mut Vec<Node>, text: &str) {
    if !text.is_empty() {
        nodes.push(Node::Text(text.to_owned()));
    }
}

fn mismatched(found: String, line: usize, expected: String) -> TemplateError {
    TemplateError::Mismatched {
        found,
        line,
        expected,
    }
}

fn checked_name(tag: &str, line: usize) -> Result<String, TemplateError> {
    let name = tag.trim();
    let valid = !name.is_empty()
        && name.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if valid {
        Ok(name.to_owned())
    } else {
        Err(TemplateError::InvalidName {
            tag: tag.to_owned(),
            line,
        })
    }
}

fn render_nodes(
    nodes: &[Node],
    scopes: &[&Value],
    output: Output,
    rendered: &mut String,
) -> Result<(), TemplateError> {
    for node in nodes {
        match node {
            Node::Text(text) => write(rendered, text, output),
            Node::Variable { name, .. } => {
                let value = lookup(scopes, name)?;
                write(rendered, &display(value), output);
            }
            Node::Section {
                name,
                inverted,
                children,
                ..
            } => {
                let value = lookup(scopes, name)?;
                render_section(value, *inverted, children, scopes, output, rendered)?;
            }
        }
    }
    Ok(())
}

fn render_section(
    value: &Value,
    inverted: bool,
    children: &[Node],
    scopes: &[&Value],
    output: Output,
    rendered: &mut String,
) -> Result<(), TemplateError> {
    if inverted {
        if !is_set(value) {
            render_nodes(children, scopes, output, rendered)?;
        }
        return Ok(());
    }

    match value {
        Value::Array(items) => {
            for item in items {
                let mut inner = scopes.to_vec();
                inner.push(item);
                render_nodes(children, &inner, output, rendered)?;
            }
            Ok(())
        }
        _ if is_set(value) => {
            let mut inner = scopes.to_vec();
            inner.push(value);
            render_nodes(children, &inner, output, rendered)
        }
        _ => Ok(()),
    }
}

/// Finds a dotted name, innermost scope first.
fn lookup<'a>(scopes: &[&'a Value], name: &str) -> Result<&'a Value, TemplateError> {
    for scope in scopes.iter().rev() {
        let mut found = Some(*scope);
        for part in name.split('.') {
            found = found.and_then(|value| value.get(part));
        }
        if let Some(value) = found {
            return Ok(value);
        }
    }

    let mut known: Vec<String> = Vec::new();
    for scope in scopes {
        collect_names(scope, "", &mut known);
    }
    known.sort();
    known.dedup();
    Err(TemplateError::UnknownVariable {
        name: name.to_owned(),
        known: known.join(", "),
    })
}

fn collect_names(value: &Value, prefix: &str, names: &mut Vec<String>) {
    let Value::Object(fields) = value else {
        return;
    };
    for (key, field) in fields {
        let name = format!("{prefix}{key}");
        if field.is_object() {
            collect_names(field, &format!("{name}."), names);
        } else {
            names.push(name);
        }
    }
}

fn is_set(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => false,
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => true,
    }
}

fn display(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn write(rendered: &mut String, text: &str, output: Output) {
    match output {
        Output::Text => rendered.push_str(text),
        Output::Html => rendered.push_str(&escape_html(text)),
    }
}

/// Escapes the characters that mean something in HTML text and attributes.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn context() -> Value {
        json!({
            "customer": {"name": "ACME <SA>"},
            "contact": {"name": null},
            "late": true,
            "invoices": [
                {"number": "F-1", "remaining": "100.00"},
                {"number": "F-2", "remaining": "50.00"}
            ]
        })
    }

    fn render(source: &str, output: Output) -> Result<String, TemplateError> {
        Template::parse(source)?.render(&context(), output)
    }

    #[test]
    fn variables_sections_and_inverted_sections_render() {
        let table = [
            ("Dear {{ customer.name }},", "Dear ACME <SA>,"),
            (
                "{{#invoices}}{{number}}={{remaining}};{{/invoices}}",
                "F-1=100.00;F-2=50.00;",
            ),
            ("{{#late}}late{{/late}}{{^late}}on time{{/late}}", "late"),
            ("{{^contact.name}}Madam, Sir{{/contact.name}}", "Madam, Sir"),
            (
                "{{#invoices}}{{customer.name}}|{{/invoices}}",
                "ACME <SA>|ACME <SA>|",
            ),
            ("[{{contact.name}}]", "[]"),
            ("no tags at all", "no tags at all"),
        ];

        for (source, expected) in table {
            assert_eq!(
                render(source, Output::Text).as_deref(),
                Ok(expected),
                "{source}"
            );
        }
    }

    #[test]
    fn html_output_escapes_values_and_text() {
        let rendered = render("<{{customer.name}}> & co", Output::Html).expect("renders");

        assert_eq!(rendered, "&lt;ACME &lt;SA&gt;&gt; &amp; co");
    }

    #[test]
    fn broken_templates_are_refused_saying_where() {
        let table = [
            ("Hello {{customer.name", "line 1 is never closed"),
            (
                "{{#invoices}}\n{{/late}}",
                "at line 2 closes a section that is not open; `invoices`",
            ),
            ("{{#invoices}} x", "never closed; add `{{/invoices}}`"),
            ("a\nb {{ customer name }}", "at line 2 is not a variable"),
            ("{{/late}}", "closes a section that is not open"),
        ];

        for (source, expected) in table {
            let error = Template::parse(source).expect_err(source).to_string();
            assert!(error.contains(expected), "{source}: {error}");
        }
    }

    #[test]
    fn a_misspelt_variable_is_refused_with_the_names_available() {
        let template = Template::parse("{{customer.nmae}}").expect("parses");

        let error = template.check(&context()).expect_err("unknown").to_string();

        assert!(error.contains("customer.nmae"), "{error}");
        assert!(error.contains("customer.name"), "{error}");
    }
}
