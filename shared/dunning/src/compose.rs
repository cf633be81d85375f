//! Dunning messages put together: the built-in French and English templates,
//! the variables a message provides (customer, contact, invoice list,
//! totals, days late, late charges, payment reference, signature), and the
//! message rendered as text, as HTML for email, and as a letter for print.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use relance_ledger::customer::Language;
use relance_ledger::money::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::interest::LateCharges;
use crate::policy::{Channel, DunningStep};
use crate::schedule::ChasedInvoice;
use crate::template::{Output, Template, TemplateError, escape_html};

/// Days a formal notice gives the customer to pay.
pub const FORMAL_NOTICE_DAYS: u64 = 8;

/// A template as stored or built in: a subject line and a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTemplate {
    /// The template's name, as policies refer to it.
    pub name: String,
    /// The language it is written in.
    pub language: Language,
    /// The subject line (a template too).
    pub subject: String,
    /// The body, plain text with template tags.
    pub body: String,
    /// Whether this is Relance's built-in text rather than the team's.
    #[serde(default)]
    pub built_in: bool,
}

impl MessageTemplate {
    /// Parses subject and body and checks every variable they use.
    pub fn check(&self) -> Result<(), TemplateError> {
        let sample = sample_context(self.language);
        Template::parse(&self.subject)?.check(&sample)?;
        Template::parse(&self.body)?.check(&sample)
    }

    /// Parses subject and body once, for rendering many messages.
    pub fn parse(&self) -> Result<ParsedTemplate, TemplateError> {
        Ok(ParsedTemplate {
            language: self.language,
            subject: Template::parse(&self.subject)?,
            body: Template::parse(&self.body)?,
        })
    }
}

/// A message template parsed, ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedTemplate {
    /// The language it is written in.
    pub language: Language,
    subject: Template,
    body: Template,
}

/// The templates Relance ships, by name: a courtesy notice before the due
/// date, a first reminder, a final reminder and the formal notice.
const BUILT_IN: [(&str, &str, &str); 4] = [
    (
        "courtesy",
        include_str!("../templates/courtesy.fr.txt"),
        include_str!("../templates/courtesy.en.txt"),
    ),
    (
        "reminder",
        include_str!("../templates/reminder.fr.txt"),
        include_str!("../templates/reminder.en.txt"),
    ),
    (
        "final_reminder",
        include_str!("../templates/final_reminder.fr.txt"),
        include_str!("../templates/final_reminder.en.txt"),
    ),
    (
        "formal_notice",
        include_str!("../templates/formal_notice.fr.txt"),
        include_str!("../templates/formal_notice.en.txt"),
    ),
];

/// Every built-in template, in both languages.
pub fn built_in_templates() -> Vec<MessageTemplate> {
    let mut templates = Vec::new();
    for (name, french, english) in BUILT_IN {
        templates.push(built_in(name, Language::French, french));
        templates.push(built_in(name, Language::English, english));
    }
    templates
}

/// The built-in template `name` in `language`, if Relance ships one.
pub fn built_in_template(name: &str, language: Language) -> Option<MessageTemplate> {
    built_in_templates()
        .into_iter()
        .find(|t| t.name == name && t.language == language)
}

/// Splits a built-in file: `Subject: …`, a blank line, the body.
fn built_in(name: &str, language: Language, file: &str) -> MessageTemplate {
    let (first, body) = file.split_once('\n').unwrap_or((file, ""));
    MessageTemplate {
        name: name.to_owned(),
        language,
        subject: first.trim_start_matches("Subject:").trim().to_owned(),
        body: body.trim_start_matches('\n').to_owned(),
        built_in: true,
    }
}

/// The company that chases, as messages and letters show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanySettings {
    /// The company's name.
    pub company_name: String,
    /// The name emails come from.
    pub sender_name: String,
    /// The address emails come from.
    pub sender_email: String,
    /// Where replies go, if not the sender.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// The signature under every message (several lines allowed).
    pub signature: String,
    /// The postal address printed on letters (several lines allowed).
    pub postal_address: String,
}

impl Default for CompanySettings {
    /// What applies until the team saves its own: no sender address, so
    /// emails wait in the outbox with a failure saying what to set.
    fn default() -> Self {
        CompanySettings {
            company_name: "Accounts receivable".to_owned(),
            sender_name: "Accounts receivable".to_owned(),
            sender_email: String::new(),
            reply_to: None,
            signature: "Accounts receivable".to_owned(),
            postal_address: String::new(),
        }
    }
}

/// The customer a message is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    /// Relance's identifier.
    pub customer_id: i64,
    /// The customer's name.
    pub name: String,
    /// Its identifier at its platform (the account number it knows).
    pub reference: String,
    /// The language it is written to in.
    pub language: Language,
    /// The dunning contact (the invoicing contact when none).
    pub contact_name: Option<String>,
    /// The address emails go to.
    pub contact_email: Option<String>,
}

/// One invoice of a message, with its late charges on the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageLine<'a> {
    /// The invoice.
    pub invoice: &'a ChasedInvoice,
    /// Its late charges.
    pub charges: LateCharges,
}

/// A message rendered from its template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedMessage {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body: a complete document for email, or a letter for print.
    pub html: String,
}

/// The variables of one message.
pub fn message_context(
    recipient: &Recipient,
    company: &CompanySettings,
    step: &DunningStep,
    lines: &[MessageLine<'_>],
    as_of: NaiveDate,
) -> Value {
    let language = recipient.language;
    let mut remaining: BTreeMap<Currency, Decimal> = BTreeMap::new();
    let mut interest: BTreeMap<Currency, Decimal> = BTreeMap::new();
    let mut indemnities = 0_i64;
    let mut references = Vec::new();

    let invoices: Vec<Value> = lines
        .iter()
        .map(|line| {
            let invoice = line.invoice;
            let currency = invoice.remaining.currency();
            *remaining.entry(currency).or_default() += invoice.remaining.amount();
            *interest.entry(currency).or_default() += line.charges.interest.amount();
            indemnities += i64::from(line.charges.indemnity.is_some());
            let reference = invoice
                .payment_reference
                .clone()
                .unwrap_or_else(|| invoice.number.clone());
            if !references.contains(&reference) {
                references.push(reference.clone());
            }

            json!({
                "number": invoice.number,
                "issue_date": format_date(invoice.issue_date, language),
                "due_date": format_date(invoice.due_date, language),
                "days_late": line.charges.days_late,
                "total": format_money(invoice.total, language),
                "remaining": format_money(invoice.remaining, language),
                "currency": currency.code(),
                "late_interest": format_money(line.charges.interest, language),
                "payment_reference": reference,
            })
        })
        .collect();

    let indemnity_total = Money::from_minor_units(4000 * indemnities, Currency::EUR);
    let interest_rate = lines
        .iter()
        .filter_map(|line| line.charges.periods.last())
        .map(|period| period.annual_rate)
        .max()
        .map(|rate| format_rate(rate, language))
        .unwrap_or_default();

    json!({
        "customer": {"name": recipient.name, "reference": recipient.reference},
        "contact": {"name": recipient.contact_name, "email": recipient.contact_email},
        "company": {
            "name": company.company_name,
            "signature": company.signature,
            "postal_address": company.postal_address,
            "sender_email": company.sender_email,
        },
        "step": {"key": step.key, "channel": step.channel.as_str()},
        "as_of": format_date(as_of, language),
        "payment_deadline": format_date(
            as_of.checked_add_days(Days::new(FORMAL_NOTICE_DAYS)).unwrap_or(as_of),
            language,
        ),
        "invoices": invoices,
        "invoice_count": lines.len(),
        "days_late": lines.iter().map(|l| l.charges.days_late).max().unwrap_or(0),
        "total_remaining": format_totals(&remaining, language),
        "states_late_charges": step.states_late_charges,
        "late_interest_total": format_totals(&interest, language),
        "recovery_indemnity_total": format_money(indemnity_total, language),
        "interest_rate": interest_rate,
        "payment_reference": references.join(", "),
    })
}

/// Renders `template` with `context` as an email: subject, text and an
/// HTML document.
pub fn render_email(
    template: &ParsedTemplate,
    context: &Value,
) -> Result<RenderedMessage, TemplateError> {
    let subject = template.subject.render(context, Output::Text)?;
    let body = &template.body;
    let text = body.render(context, Output::Text)?;
    let html_body = paragraphs(&body.render(context, Output::Html)?);

    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family: Arial, sans-serif; font-size: 14px; line-height: 1.5\">\n\
         {html_body}</body></html>\n",
        template.language.as_str(),
        escape_html(&subject),
    );
    Ok(RenderedMessage {
        subject,
        text,
        html,
    })
}

/// Renders `template` as a letter for print: an A4 page with the sender's
/// block, the recipient, place and date, the registered-mail mention when
/// the channel needs it, the subject and the body.
pub fn render_letter(
    template: &ParsedTemplate,
    context: &Value,
    recipient: &Recipient,
    company: &CompanySettings,
    channel: Channel,
    as_of: NaiveDate,
) -> Result<RenderedMessage, TemplateError> {
    let language = template.language;
    let subject = template.subject.render(context, Output::Text)?;
    let body = &template.body;
    let text = body.render(context, Output::Text)?;
    let html_body = paragraphs(&body.render(context, Output::Html)?);

    let registered = match (channel, language) {
        (Channel::RegisteredLetter | Channel::FormalNotice, Language::French) => {
            "<p class=\"mention\">Lettre recommandée avec accusé de réception</p>\n"
        }
        (Channel::RegisteredLetter | Channel::FormalNotice, Language::English) => {
            "<p class=\"mention\">Registered letter with acknowledgement of receipt</p>\n"
        }
        _ => "",
    };
    let (subject_label, dated) = match language {
        Language::French => ("Objet", "Le"),
        Language::English => ("Subject", "Date:"),
    };
    let contact = recipient
        .contact_name
        .as_deref()
        .map(|name| format!("{}<br>\n", escape_html(name)))
        .unwrap_or_default();

    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title>\n\
         <style>@page {{ size: A4; margin: 20mm }} body {{ font-family: serif; font-size: 11pt }}\n\
         .sender {{ float: left; width: 45% }} .recipient {{ margin-left: 55%; margin-top: 25mm }}\n\
         .date {{ clear: both; text-align: right; margin-top: 15mm }} .mention {{ font-weight: bold }}\n\
         </style></head><body>\n\
         <div class=\"sender\"><strong>{company}</strong><br>\n{address}</div>\n\
         <div class=\"recipient\"><strong>{customer}</strong><br>\n{contact}</div>\n\
         <p class=\"date\">{dated} {date}</p>\n{registered}\
         <p><strong>{subject_label} : {title}</strong></p>\n{html_body}</body></html>\n",
        lang = language.as_str(),
        title = escape_html(&subject),
        company = escape_html(&company.company_name),
        address = lines_html(&company.postal_address),
        customer = escape_html(&recipient.name),
        date = escape_html(&format_date(as_of, language)),
    );
    Ok(RenderedMessage {
        subject,
        text,
        html,
    })
}

/// Blank-line separated paragraphs as `<p>`, line breaks as `<br>`.
fn paragraphs(escaped: &str) -> String {
    escaped
        .split("\n\n")
        .map(str::trim)
        .filter(|paragraph| !paragraph.is_empty())
        .map(|paragraph| format!("<p>{}</p>\n", paragraph.replace('\n', "<br>\n")))
        .collect()
}

fn lines_html(text: &str) -> String {
    text.lines()
        .map(|line| format!("{}<br>\n", escape_html(line)))
        .collect()
}

/// An amount as the customer reads it: `1 440,00 EUR` in French (no-break
/// spaces), `1,440.00 EUR` in English.
pub fn format_money(money: Money, language: Language) -> String {
    let (thousands, decimal) = match language {
        Language::French => ('\u{a0}', ','),
        Language::English => (',', '.'),
    };
    let text = money.amount().abs().to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));

    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(thousands);
        }
        grouped.push(digit);
    }
    let sign = if money.is_negative() { "-" } else { "" };
    let fraction = if fraction.is_empty() {
        String::new()
    } else {
        format!("{decimal}{fraction}")
    };
    format!("{sign}{grouped}{fraction}\u{a0}{}", money.currency().code())
}

/// Amounts per currency joined with `+` (a customer may owe in several).
fn format_totals(totals: &BTreeMap<Currency, Decimal>, language: Language) -> String {
    let parts: Vec<String> = totals
        .iter()
        .map(|(currency, amount)| {
            format_money(Money::round_half_even(*amount, *currency), language)
        })
        .collect();
    parts.join(" + ")
}

/// A yearly rate: `12,15 %` in French, `12.15%` in English.
fn format_rate(rate: Decimal, language: Language) -> String {
    let text = rate.normalize().to_string();
    match language {
        Language::French => format!("{}\u{a0}%", text.replace('.', ",")),
        Language::English => format!("{text}%"),
    }
}

/// A date as the customer reads it: `15/03/2026` in French, `15 March 2026`
/// in English.
pub fn format_date(day: NaiveDate, language: Language) -> String {
    match language {
        Language::French => day.format("%d/%m/%Y").to_string(),
        Language::English => day.format("%-d %B %Y").to_string(),
    }
}

/// A context holding every variable a message provides, to check templates.
fn sample_context(language: Language) -> Value {
    use crate::interest::{InterestPeriod, recovery_indemnity};
    use crate::policy::Assignee;
    use relance_ledger::invoice::InvoiceStatus;

    let day = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap_or_default();
    let amount = Money::from_minor_units(144_000, Currency::EUR);
    let invoice = ChasedInvoice {
        id: 1,
        number: "F-1".to_owned(),
        issue_date: day,
        due_date: day,
        total: amount,
        remaining: amount,
        status: InvoiceStatus::Open,
        payment_reference: Some("RF18539007547034".to_owned()),
        disputed: false,
        promised_on: None,
        paused_until: None,
        last_step: None,
    };
    let line = MessageLine {
        invoice: &invoice,
        charges: LateCharges {
            days_late: 10,
            interest: Money::from_minor_units(479, Currency::EUR),
            indemnity: Some(recovery_indemnity()),
            periods: vec![InterestPeriod {
                from: day,
                to: day,
                days: 10,
                annual_rate: Decimal::new(1215, 2),
            }],
        },
    };
    let recipient = Recipient {
        customer_id: 1,
        name: "ACME SA".to_owned(),
        reference: "C-1".to_owned(),
        language,
        contact_name: Some("Jeanne Martin".to_owned()),
        contact_email: Some("compta@acme.example".to_owned()),
    };
    let step = DunningStep {
        key: "reminder-1".to_owned(),
        offset_days: 3,
        channel: Channel::Email,
        template: Some("reminder".to_owned()),
        assignee: Assignee::Collector,
        states_late_charges: true,
    };
    message_context(&recipient, &CompanySettings::default(), &step, &[line], day)
}

#[cfg(test)]
mod tests {
    use relance_ledger::invoice::InvoiceStatus;

    use super::*;
    use crate::interest::{ReferenceRates, late_charges};
    use crate::policy::default_policy;

    #[test]
    fn dates_read_as_each_language_writes_them() {
        let cases = [
            ((2026, 3, 15), Language::French, "15/03/2026"),
            ((2026, 3, 5), Language::French, "05/03/2026"),
            ((2026, 3, 5), Language::English, "5 March 2026"),
            ((2025, 12, 31), Language::English, "31 December 2025"),
        ];

        for ((year, month, day), language, expected) in cases {
            let date = NaiveDate::from_ymd_opt(year, month, day).expect("date");
            assert_eq!(format_date(date, language), expected);
        }
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    fn eur(amount: &str) -> Money {
        Money::parse(amount, Currency::EUR).expect("an amount")
    }

    fn invoice(number: &str, remaining: &str) -> ChasedInvoice {
        ChasedInvoice {
            id: 1,
            number: number.to_owned(),
            issue_date: day("2025-06-01"),
            due_date: day("2025-07-01"),
            total: eur("1440.00"),
            remaining: eur(remaining),
            status: InvoiceStatus::PartiallyPaid,
            payment_reference: None,
            disputed: false,
            promised_on: None,
            paused_until: None,
            last_step: None,
        }
    }

    fn recipient(language: Language) -> Recipient {
        Recipient {
            customer_id: 7,
            name: "Dupont & Fils".to_owned(),
            reference: "C-7".to_owned(),
            language,
            contact_name: None,
            contact_email: Some("compta@dupont.example".to_owned()),
        }
    }

    fn rendered(step_key: &str, template: &str, language: Language) -> RenderedMessage {
        let rates =
            ReferenceRates::new([(day("2025-07-01"), Decimal::new(215, 2))]).expect("rates");
        let policy = default_policy();
        let step = policy.step(step_key).expect("step");
        let first = invoice("F-1", "1040.00");
        let second = invoice("F-2", "1440.00");
        let as_of = day("2025-07-31");
        let lines: Vec<MessageLine<'_>> = [&first, &second]
            .into_iter()
            .map(|invoice| MessageLine {
                invoice,
                charges: late_charges(invoice.remaining, invoice.due_date, as_of, &rates, None)
                    .expect("charges"),
            })
            .collect();
        let context = message_context(
            &recipient(language),
            &CompanySettings::default(),
            step,
            &lines,
            as_of,
        );
        let template = built_in_template(template, language).expect("built in");
        render_email(&template.parse().expect("parses"), &context).expect("renders")
    }

    #[test]
    fn every_built_in_template_uses_only_variables_messages_provide() {
        let templates = built_in_templates();

        assert_eq!(templates.len(), 8);
        for template in templates {
            assert_eq!(
                template.check(),
                Ok(()),
                "{} {:?}",
                template.name,
                template.language
            );
            assert!(!template.subject.is_empty() && !template.body.starts_with('\n'));
        }
    }

    #[test]
    fn a_reminder_lists_every_invoice_with_what_remains_in_the_customers_language() {
        let french = rendered("reminder-1", "reminder", Language::French);
        let english = rendered("reminder-1", "reminder", Language::English);

        assert!(
            french.subject.starts_with("Relance : 2 facture(s)"),
            "{}",
            french.subject
        );
        assert!(
            french.text.starts_with("Madame, Monsieur,"),
            "{}",
            french.text
        );
        assert!(
            french.text.contains("Facture F-1 du 01/06/2025"),
            "{}",
            french.text
        );
        assert!(
            french.text.contains("reste dû 1\u{a0}040,00\u{a0}EUR"),
            "{}",
            french.text
        );
        assert!(
            french
                .text
                .contains("Total restant dû : 2\u{a0}480,00\u{a0}EUR")
        );
        assert!(
            !french.text.contains("L441-10"),
            "the first reminder states no charges"
        );
        assert!(
            english.text.contains("due on 1 July 2025 (30 days late)"),
            "{}",
            english.text
        );
        assert!(
            english
                .text
                .contains("Total outstanding: 2,480.00\u{a0}EUR")
        );
    }

    #[test]
    fn the_final_reminder_states_interest_and_the_indemnity() {
        let message = rendered("reminder-2", "final_reminder", Language::French);

        // 1,040 × 12.15 % × 30/365 = 10.39; 1,440 × 12.15 % × 30/365 = 14.38
        assert!(
            message.text.contains("intérêts de retard 10,39\u{a0}EUR"),
            "{}",
            message.text
        );
        assert!(message.text.contains("intérêts de retard 14,38\u{a0}EUR"));
        assert!(
            message.text.contains("12,15\u{a0}% l'an"),
            "{}",
            message.text
        );
        assert!(
            message.text.contains(" : 24,77\u{a0}EUR"),
            "{}",
            message.text
        );
        assert!(message.text.contains("(40 € par facture) : 80,00\u{a0}EUR"));
    }

    #[test]
    fn html_bodies_escape_names_and_keep_paragraphs() {
        let message = rendered("reminder-1", "reminder", Language::English);

        assert!(
            message.html.contains("Dupont &amp; Fils"),
            "{}",
            message.html
        );
        assert!(
            message.html.contains("<p>Dear Sir or Madam,</p>"),
            "{}",
            message.html
        );
        assert!(message.html.starts_with("<!DOCTYPE html>"));
    }

    #[test]
    fn a_formal_notice_prints_as_a_registered_letter() {
        let template = built_in_template("formal_notice", Language::French).expect("built in");
        let context = sample_context(Language::French);
        let company = CompanySettings {
            postal_address: "12 rue de la Paix\n75002 Paris".to_owned(),
            ..CompanySettings::default()
        };

        let letter = render_letter(
            &template.parse().expect("parses"),
            &context,
            &recipient(Language::French),
            &company,
            Channel::FormalNotice,
            day("2026-04-10"),
        )
        .expect("renders");

        assert!(letter.html.contains("@page { size: A4"));
        assert!(
            letter
                .html
                .contains("Lettre recommandée avec accusé de réception")
        );
        assert!(letter.html.contains("12 rue de la Paix<br>\n75002 Paris"));
        assert!(letter.html.contains("Le 10/04/2026"));
        assert!(
            letter.text.contains("avant le 08/04/2026"),
            "{}",
            letter.text
        );
    }

    #[test]
    fn amounts_and_dates_read_as_each_language_writes_them() {
        let table = [
            (
                "1234567.89",
                Language::French,
                "1\u{a0}234\u{a0}567,89\u{a0}EUR",
            ),
            ("1234567.89", Language::English, "1,234,567.89\u{a0}EUR"),
            ("40.00", Language::French, "40,00\u{a0}EUR"),
            ("999.50", Language::English, "999.50\u{a0}EUR"),
        ];
        for (amount, language, expected) in table {
            assert_eq!(format_money(eur(amount), language), expected);
        }

        assert_eq!(
            format_date(day("2026-03-05"), Language::French),
            "05/03/2026"
        );
        assert_eq!(
            format_date(day("2026-03-05"), Language::English),
            "5 March 2026"
        );
    }
}
