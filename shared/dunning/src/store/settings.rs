//! The company's dunning settings: name, sender, signature, postal address.

use chrono::{DateTime, Utc};
use relance_store::Database;

use crate::DunningError;
use crate::compose::CompanySettings;

/// The stored settings, or the defaults until the team saves its own.
pub fn get_settings(db: &impl Database) -> Result<CompanySettings, DunningError> {
    let rows = db.execute(
        "SELECT company_name, sender_name, sender_email, reply_to, signature, postal_address
         FROM dunning_settings WHERE id = 1",
        &[],
    )?;
    let Some(row) = rows.first() else {
        return Ok(CompanySettings::default());
    };

    Ok(CompanySettings {
        company_name: row.text("company_name")?.to_owned(),
        sender_name: row.text("sender_name")?.to_owned(),
        sender_email: row.text("sender_email")?.to_owned(),
        reply_to: row.optional_text("reply_to")?.map(str::to_owned),
        signature: row.text("signature")?.to_owned(),
        postal_address: row.text("postal_address")?.to_owned(),
    })
}

/// Replaces the settings; the sender address must look like one.
pub fn put_settings(
    db: &impl Database,
    settings: &CompanySettings,
    now: DateTime<Utc>,
) -> Result<CompanySettings, DunningError> {
    let looks_like_address = |text: &str| {
        text.split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
    };
    if !looks_like_address(&settings.sender_email) {
        return Err(DunningError::Invalid(format!(
            "sender_email {:?} is not an email address; give the address reminders come from",
            settings.sender_email
        )));
    }
    if settings.company_name.trim().is_empty() {
        return Err(DunningError::Invalid(
            "company_name is empty; give the name messages and letters are signed with".to_owned(),
        ));
    }

    db.execute(
        "INSERT INTO dunning_settings (id, company_name, sender_name, sender_email, reply_to,
            signature, postal_address, updated_at)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET company_name = excluded.company_name,
            sender_name = excluded.sender_name, sender_email = excluded.sender_email,
            reply_to = excluded.reply_to, signature = excluded.signature,
            postal_address = excluded.postal_address, updated_at = excluded.updated_at",
        &[
            settings.company_name.as_str().into(),
            settings.sender_name.as_str().into(),
            settings.sender_email.as_str().into(),
            settings.reply_to.as_deref().into(),
            settings.signature.as_str().into(),
            settings.postal_address.as_str().into(),
            now.into(),
        ],
    )?;
    get_settings(db)
}
