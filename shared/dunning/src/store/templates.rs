//! Message templates: the team's own texts over Relance's built-in ones,
//! per template name and language, checked before they are saved.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use relance_ledger::customer::Language;
use relance_store::{Database, Row, StoreError, Value};

use crate::DunningError;
use crate::compose::{MessageTemplate, ParsedTemplate, built_in_templates};
use crate::policy::check_identifier;

/// Every template: the stored ones, and the built-in ones not replaced.
pub fn list_templates(db: &impl Database) -> Result<Vec<MessageTemplate>, DunningError> {
    let rows = db.execute(
        "SELECT template, language, subject, body FROM dunning_templates
         ORDER BY template, language",
        &[],
    )?;
    let stored: Vec<MessageTemplate> = rows
        .iter()
        .map(|row| stored_template(&row))
        .collect::<Result<_, _>>()?;

    let mut templates: Vec<MessageTemplate> = built_in_templates()
        .into_iter()
        .filter(|b| {
            !stored
                .iter()
                .any(|s| s.name == b.name && s.language == b.language)
        })
        .collect();
    templates.extend(stored);
    templates.sort_by(|a, b| (&a.name, a.language.as_str()).cmp(&(&b.name, b.language.as_str())));
    Ok(templates)
}

/// One template in one language.
pub fn get_template(
    db: &impl Database,
    name: &str,
    language: Language,
) -> Result<MessageTemplate, DunningError> {
    list_templates(db)?
        .into_iter()
        .find(|t| t.name == name && t.language == language)
        .ok_or_else(|| DunningError::NotFound {
            what: "template",
            id: format!("{name}/{}", language.as_str()),
        })
}

/// Whether a template of this name exists in some language.
pub fn template_exists(db: &impl Database, name: &str) -> Result<bool, DunningError> {
    Ok(list_templates(db)?.iter().any(|t| t.name == name))
}

/// Saves a template after checking that it parses and uses only the
/// variables messages provide.
pub fn put_template(
    db: &impl Database,
    template: &MessageTemplate,
    token_id: i64,
    now: DateTime<Utc>,
) -> Result<MessageTemplate, DunningError> {
    check_identifier("template", &template.name)?;
    template.check()?;

    db.execute(
        "INSERT INTO dunning_templates (template, language, subject, body, updated_at, updated_by)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (template, language) DO UPDATE SET subject = excluded.subject,
            body = excluded.body, updated_at = excluded.updated_at,
            updated_by = excluded.updated_by",
        &[
            template.name.as_str().into(),
            template.language.as_str().into(),
            template.subject.as_str().into(),
            template.body.as_str().into(),
            now.into(),
            Value::Integer(token_id),
        ],
    )?;
    get_template(db, &template.name, template.language)
}

fn stored_template(row: &Row<'_>) -> Result<MessageTemplate, DunningError> {
    let language = row.text("language")?;
    Ok(MessageTemplate {
        name: row.text("template")?.to_owned(),
        language: Language::parse(language).map_err(|_| StoreError::UnexpectedValue {
            column: "dunning_templates.language".to_owned(),
            expected: "fr or en",
            found: format!("{language:?}"),
        })?,
        subject: row.text("subject")?.to_owned(),
        body: row.text("body")?.to_owned(),
        built_in: false,
    })
}

/// Every template, read and parsed once per run, by name and language.
#[derive(Debug, Clone, Default)]
pub struct TemplateBook {
    templates: HashMap<(String, &'static str), ParsedTemplate>,
}

impl TemplateBook {
    /// Reads and parses every template.
    pub fn load(db: &impl Database) -> Result<TemplateBook, DunningError> {
        let mut templates = HashMap::new();
        for template in list_templates(db)? {
            let parsed = template.parse()?;
            templates.insert((template.name, template.language.as_str()), parsed);
        }
        Ok(TemplateBook { templates })
    }

    /// The template in the customer's language, else in the other one.
    pub fn find(&self, name: &str, language: Language) -> Option<&ParsedTemplate> {
        let other = match language {
            Language::French => Language::English,
            Language::English => Language::French,
        };
        self.templates
            .get(&(name.to_owned(), language.as_str()))
            .or_else(|| self.templates.get(&(name.to_owned(), other.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use relance_store::NativeDatabase;

    use super::*;

    #[test]
    fn an_edited_template_replaces_the_built_in_one_in_its_language_only() {
        let db = NativeDatabase::open_in_memory().expect("database");
        let edited = MessageTemplate {
            name: "reminder".into(),
            language: Language::English,
            subject: "Overdue: {{customer.name}}".into(),
            body: "Please pay {{total_remaining}}.\n{{company.signature}}".into(),
            built_in: false,
        };

        put_template(&db, &edited, 1, Utc::now()).expect("saved");
        let book = TemplateBook::load(&db).expect("book");

        let english = get_template(&db, "reminder", Language::English).expect("english");
        assert_eq!(english.subject, "Overdue: {{customer.name}}");
        assert!(!english.built_in);
        assert!(
            get_template(&db, "reminder", Language::French)
                .expect("french")
                .built_in
        );
        assert_eq!(list_templates(&db).expect("list").len(), 8);
        let parsed = book.find("reminder", Language::English).expect("parsed");
        assert_eq!(parsed.language, Language::English);
    }

    #[test]
    fn a_template_with_an_unknown_variable_is_not_saved() {
        let db = NativeDatabase::open_in_memory().expect("database");
        let broken = MessageTemplate {
            name: "gentle".into(),
            language: Language::French,
            subject: "Bonjour".into(),
            body: "Montant : {{amount_due}}".into(),
            built_in: false,
        };

        let error = put_template(&db, &broken, 1, Utc::now()).expect_err("unknown variable");

        assert!(error.to_string().contains("amount_due"), "{error}");
        assert!(!template_exists(&db, "gentle").expect("read"));
    }
}
