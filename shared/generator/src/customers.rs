//! Customers: segmentation, contacts, bank accounts and how each one pays.

use serde::Serialize;

use crate::config::GeneratorConfig;
use crate::country::Country;
use crate::iban::Iban;
use crate::money::Currency;
use crate::names::{self, CompanyName};
use crate::random::SeededRandom;

/// The customer type finance teams segment their ledger by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Segment {
    /// Small business.
    Smb,
    /// Mid-market company.
    MidMarket,
    /// Large account.
    Enterprise,
    /// Public body (town hall, hospital, school).
    Public,
}

impl Segment {
    /// Every segment, smallest first.
    pub const ALL: [Segment; 4] = [
        Segment::Smb,
        Segment::MidMarket,
        Segment::Enterprise,
        Segment::Public,
    ];

    /// The segment's name in the canonical JSON: `mid-market`.
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::Smb => "smb",
            Segment::MidMarket => "mid-market",
            Segment::Enterprise => "enterprise",
            Segment::Public => "public",
        }
    }
}

/// How a customer pays its invoices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentBehaviour {
    /// On the due date, give or take a few days.
    Prompt,
    /// Late by a steady number of days.
    HabituallyLate,
    /// Later and later as the months go by.
    Deteriorating,
    /// Disputes some invoices, which are then paid much later or credited.
    Disputing,
    /// In several instalments per invoice.
    PartialPayer,
}

impl PaymentBehaviour {
    /// Every behaviour, in the order of [`crate::BehaviourMix::weights`].
    pub const ALL: [PaymentBehaviour; 5] = [
        PaymentBehaviour::Prompt,
        PaymentBehaviour::HabituallyLate,
        PaymentBehaviour::Deteriorating,
        PaymentBehaviour::Disputing,
        PaymentBehaviour::PartialPayer,
    ];
}

/// How a customer usually writes the remittance information of its transfers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemittanceHabit {
    /// The invoice number exactly: `F2025-000123`.
    ExactNumber,
    /// The number without its dash: `F2025000123`.
    NumberWithoutDash,
    /// The number with its leading zeros dropped: `F2025-123`.
    LeadingZerosDropped,
    /// The invoice's ISO 11649 creditor reference, as structured remittance.
    CreditorReference,
    /// Only free text: `VIREMENT FACTURES MARS`.
    FreeTextOnly,
    /// No remittance information at all.
    Nothing,
}

impl RemittanceHabit {
    const ALL: [RemittanceHabit; 6] = [
        RemittanceHabit::ExactNumber,
        RemittanceHabit::NumberWithoutDash,
        RemittanceHabit::LeadingZerosDropped,
        RemittanceHabit::CreditorReference,
        RemittanceHabit::FreeTextOnly,
        RemittanceHabit::Nothing,
    ];
    const WEIGHTS: [u32; 6] = [34, 12, 12, 16, 16, 10];

    /// A habit drawn with realistic frequencies.
    pub fn draw(random: &mut SeededRandom) -> RemittanceHabit {
        let index = random.weighted_index(&Self::WEIGHTS).unwrap_or(0);
        Self::ALL[index]
    }
}

/// The language reminders are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// French.
    Fr,
    /// English.
    En,
}

/// A person or department to write to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    /// Their name or the department's.
    pub name: String,
    /// Their e-mail address.
    pub email: String,
    /// Their phone number, international format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// The customer's contacts, by purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contacts {
    /// Where invoices are sent.
    pub invoicing: Contact,
    /// Whom reminders go to.
    pub dunning: Contact,
}

/// A generated customer, with the hidden facts that drive its payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// Position in the customer list.
    pub index: usize,
    /// Identity at the source: `C-00042`.
    pub external_id: String,
    /// Registered name: `Boulangerie Martin SARL`.
    pub name: String,
    /// How its bank names it on transfers: `BOUL MARTIN`.
    pub payer_name: String,
    /// The company's legal entity invoicing it: `FR01`.
    pub legal_entity: &'static str,
    /// Its region.
    pub region: &'static str,
    /// Its customer type.
    pub segment: Segment,
    /// The salesperson owning the account.
    pub owner: &'static str,
    /// The collector in charge of it.
    pub collector: &'static str,
    /// Free tags.
    pub tags: Vec<&'static str>,
    /// Reminder language.
    pub language: Language,
    /// Its country.
    pub country: Country,
    /// The currency it is invoiced in.
    pub currency: Currency,
    /// Its VAT number.
    pub vat_number: String,
    /// Days between issue and due date.
    pub payment_terms_days: u32,
    /// Its contacts.
    pub contacts: Contacts,
    /// IBANs it pays from.
    pub bank_accounts: Vec<Iban>,
    /// How it pays.
    pub behaviour: PaymentBehaviour,
    /// Its usual delay after the due date, in days, at the start of the period.
    pub usual_delay_days: i64,
    /// Days its delay grows by each month (deteriorating payers only).
    pub delay_growth_days_per_month: i64,
    /// True when it pays in runs on the 10th and 25th, one transfer for
    /// everything due.
    pub pays_in_runs: bool,
    /// How it usually writes remittance information.
    pub remittance_habit: RemittanceHabit,
    /// Its relative share of the invoices.
    pub invoice_weight: u32,
}

const OWNERS: [&str; 6] = [
    "alice@example.com",
    "bastien@example.com",
    "chloe@example.com",
    "damien@example.com",
    "elodie@example.com",
    "farid@example.com",
];

const COLLECTORS: [&str; 3] = [
    "bruno@example.com",
    "sandrine@example.com",
    "yanis@example.com",
];

const TAGS: [&str; 7] = [
    "key-account",
    "reseller",
    "subscription",
    "services",
    "hardware",
    "strategic",
    "new-customer",
];

/// Generates the `config.customers` customers, the same ones for the same seed.
pub fn generate_customers(config: &GeneratorConfig, random: &mut SeededRandom) -> Vec<Customer> {
    (0..config.customers as usize)
        .map(|index| generate_customer(index, config, &mut random.fork(index as u64)))
        .collect()
}

fn generate_customer(
    index: usize,
    config: &GeneratorConfig,
    random: &mut SeededRandom,
) -> Customer {
    let segment = draw_segment(random);
    let (country, currency) = draw_country_and_currency(segment, config, random);
    let company = names::company_name(country, segment, random);
    let region = draw_region(country, random);
    let behaviour = draw_behaviour(config, random);
    let (usual_delay_days, delay_growth_days_per_month) = draw_delay(behaviour, random);

    let mut bank_accounts = vec![Iban::generate(country, random)];
    if random.chance(150) {
        bank_accounts.push(Iban::generate(country, random));
    }

    Customer {
        index,
        external_id: format!("C-{:05}", index + 1),
        name: company.full(),
        payer_name: names::payer_name(&company, random),
        legal_entity: legal_entity(country, random),
        region,
        segment,
        owner: random.pick(&OWNERS).copied().unwrap_or(OWNERS[0]),
        collector: random.pick(&COLLECTORS).copied().unwrap_or(COLLECTORS[0]),
        tags: draw_tags(currency, random),
        language: language(country, region, random),
        country,
        currency,
        vat_number: vat_number(country, random),
        payment_terms_days: draw_payment_terms(segment, random),
        contacts: contacts(&company, country, random),
        bank_accounts,
        behaviour,
        usual_delay_days,
        delay_growth_days_per_month,
        pays_in_runs: draw_pays_in_runs(segment, behaviour, random),
        remittance_habit: RemittanceHabit::draw(random),
        invoice_weight: invoice_weight(segment, random),
    }
}

fn draw_segment(random: &mut SeededRandom) -> Segment {
    let index = random.weighted_index(&[55, 25, 8, 12]).unwrap_or(0);
    Segment::ALL[index]
}

fn draw_country_and_currency(
    segment: Segment,
    config: &GeneratorConfig,
    random: &mut SeededRandom,
) -> (Country, Currency) {
    let foreign = random.chance(config.foreign_currency_per_mille);
    if segment == Segment::Public {
        return (Country::France, Currency::Eur);
    }

    if foreign {
        return match random.weighted_index(&[45, 30, 25]) {
            Some(0) => (Country::UnitedKingdom, Currency::Gbp),
            Some(1) if random.chance(500) => (Country::Netherlands, Currency::Usd),
            Some(1) => (Country::UnitedKingdom, Currency::Usd),
            _ => (Country::Switzerland, Currency::Chf),
        };
    }

    let country = match random.weighted_index(&[80, 9, 6, 5]) {
        Some(1) => Country::Belgium,
        Some(2) => Country::Germany,
        Some(3) => Country::Netherlands,
        _ => Country::France,
    };
    (country, Currency::Eur)
}

fn draw_region(country: Country, random: &mut SeededRandom) -> &'static str {
    let regions: &[&'static str] = match country {
        Country::France => &[
            "Île-de-France",
            "Auvergne-Rhône-Alpes",
            "Nouvelle-Aquitaine",
            "Occitanie",
            "Hauts-de-France",
            "Grand Est",
            "Provence-Alpes-Côte d'Azur",
            "Bretagne",
            "Pays de la Loire",
            "Normandie",
        ],
        Country::Belgium => &["Bruxelles-Capitale", "Wallonie", "Flandre"],
        Country::Germany => &[
            "Bayern",
            "Hessen",
            "Nordrhein-Westfalen",
            "Baden-Württemberg",
        ],
        Country::Netherlands => &["Noord-Holland", "Zuid-Holland", "Utrecht"],
        Country::UnitedKingdom => &["London", "North West", "Scotland"],
        Country::Switzerland => &["Genève", "Vaud", "Zürich"],
    };
    random.pick(regions).copied().unwrap_or("Île-de-France")
}

fn draw_behaviour(config: &GeneratorConfig, random: &mut SeededRandom) -> PaymentBehaviour {
    let index = random
        .weighted_index(&config.behaviours.weights())
        .unwrap_or(0);
    PaymentBehaviour::ALL[index]
}

/// The usual delay at the start and its monthly growth, in days.
fn draw_delay(behaviour: PaymentBehaviour, random: &mut SeededRandom) -> (i64, i64) {
    match behaviour {
        PaymentBehaviour::Prompt => (0, 0),
        PaymentBehaviour::HabituallyLate => (random.between(10, 45), 0),
        PaymentBehaviour::Deteriorating => (random.between(0, 5), random.between(2, 4)),
        PaymentBehaviour::Disputing => (random.between(0, 15), 0),
        PaymentBehaviour::PartialPayer => (random.between(-2, 10), 0),
    }
}

fn legal_entity(country: Country, random: &mut SeededRandom) -> &'static str {
    match country {
        Country::France if random.chance(350) => "FR02",
        Country::Belgium => "BE01",
        _ => "FR01",
    }
}

fn draw_tags(currency: Currency, random: &mut SeededRandom) -> Vec<&'static str> {
    let mut tags = Vec::new();
    for _ in 0..random.below(3) {
        let tag = random.pick(&TAGS).copied().unwrap_or(TAGS[0]);
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if currency != Currency::Eur {
        tags.push("export");
    }
    tags
}

fn language(country: Country, region: &str, random: &mut SeededRandom) -> Language {
    match country {
        Country::France => Language::Fr,
        Country::Belgium if random.chance(600) => Language::Fr,
        Country::Switzerland if region != "Zürich" => Language::Fr,
        _ => Language::En,
    }
}

/// A VAT number; French and Belgian ones carry their real check digits.
fn vat_number(country: Country, random: &mut SeededRandom) -> String {
    match country {
        Country::France => {
            let siren = luhn_valid_siren(random);
            format!("FR{:02}{siren:09}", french_vat_key(siren))
        }
        Country::Belgium => {
            let body = random.between(2_000_000, 9_999_999) as u64;
            let check = 97 - body % 97;
            format!("BE0{body:07}{check:02}")
        }
        Country::Germany => format!("DE{}", random.between(100_000_000, 999_999_999)),
        Country::Netherlands => format!("NL{}B01", random.between(100_000_000, 999_999_999)),
        Country::UnitedKingdom => format!("GB{}", random.between(100_000_000, 999_999_999)),
        Country::Switzerland => {
            let number = random.between(100_000_000, 999_999_999);
            format!("CHE{number}MWST")
        }
    }
}

/// The French VAT key: (12 + 3 × (SIREN mod 97)) mod 97.
fn french_vat_key(siren: u64) -> u64 {
    (12 + 3 * (siren % 97)) % 97
}

/// A nine-digit SIREN passing the Luhn check, as every real one does.
fn luhn_valid_siren(random: &mut SeededRandom) -> u64 {
    let body = random.between(10_000_000, 99_999_999) as u64;
    (0..10)
        .map(|check| body * 10 + check)
        .find(|candidate| luhn_sum(*candidate).is_multiple_of(10))
        .unwrap_or(body * 10)
}

fn luhn_sum(number: u64) -> u64 {
    let mut sum = 0;
    let mut rest = number;
    let mut double = false;
    while rest > 0 {
        let digit = rest % 10;
        sum += match (double, digit * 2) {
            (true, doubled) if doubled > 9 => doubled - 9,
            (true, doubled) => doubled,
            (false, _) => digit,
        };
        double = !double;
        rest /= 10;
    }
    sum
}

fn draw_payment_terms(segment: Segment, random: &mut SeededRandom) -> u32 {
    let (terms, weights): ([u32; 3], [u32; 3]) = match segment {
        Segment::Smb => ([30, 45, 60], [70, 30, 0]),
        Segment::MidMarket => ([30, 45, 60], [40, 40, 20]),
        Segment::Enterprise => ([30, 45, 60], [0, 40, 60]),
        Segment::Public => ([30, 45, 60], [100, 0, 0]),
    };
    terms[random.weighted_index(&weights).unwrap_or(0)]
}

fn contacts(company: &CompanyName, country: Country, random: &mut SeededRandom) -> Contacts {
    let domain = format!("{}.example", names::domain_label(&company.trading_name));
    let (first, last) = names::person_name(country, random);
    let mailbox = names::domain_label(&format!("{first} {last}")).replace('-', ".");

    let invoicing_name = if country == Country::France {
        "Service comptable"
    } else {
        "Accounts payable"
    };
    let phone = format!(
        "{} {} {:02} {:02} {:02} {:02}",
        country.dialling_code(),
        random.between(1, 9),
        random.below(100),
        random.below(100),
        random.below(100),
        random.below(100)
    );

    Contacts {
        invoicing: Contact {
            name: invoicing_name.to_owned(),
            email: format!("compta@{domain}"),
            phone: None,
        },
        dunning: Contact {
            name: format!("{first} {last}"),
            email: format!("{mailbox}@{domain}"),
            phone: Some(phone),
        },
    }
}

fn draw_pays_in_runs(
    segment: Segment,
    behaviour: PaymentBehaviour,
    random: &mut SeededRandom,
) -> bool {
    if behaviour == PaymentBehaviour::PartialPayer {
        return false;
    }
    let per_mille = if segment == Segment::Smb { 100 } else { 400 };
    random.chance(per_mille)
}

fn invoice_weight(segment: Segment, random: &mut SeededRandom) -> u32 {
    let base = match segment {
        Segment::Smb => 2,
        Segment::MidMarket => 5,
        Segment::Enterprise => 12,
        Segment::Public => 6,
    };
    base * random.between(1, 5) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_vat_key_matches_a_published_number() {
        // FR40 303265045 is a real, published French VAT number.
        assert_eq!(french_vat_key(303_265_045), 40);
        assert!(luhn_sum(303_265_045).is_multiple_of(10));
    }

    #[test]
    fn generated_sirens_pass_the_luhn_check() {
        let mut random = SeededRandom::new(11);

        for _ in 0..500 {
            let siren = luhn_valid_siren(&mut random);
            assert!(luhn_sum(siren).is_multiple_of(10), "{siren}");
            assert!((100_000_000..1_000_000_000).contains(&siren));
        }
    }

    #[test]
    fn every_behaviour_and_segment_appears_among_many_customers() {
        let config = GeneratorConfig {
            customers: 400,
            ..GeneratorConfig::default()
        };
        let customers = generate_customers(&config, &mut SeededRandom::new(config.seed));

        for behaviour in PaymentBehaviour::ALL {
            assert!(
                customers
                    .iter()
                    .any(|customer| customer.behaviour == behaviour)
            );
        }
        for segment in Segment::ALL {
            assert!(customers.iter().any(|customer| customer.segment == segment));
        }
        assert!(
            customers
                .iter()
                .any(|customer| customer.currency != Currency::Eur)
        );
    }

    #[test]
    fn public_bodies_are_french_and_invoiced_in_euros() {
        let config = GeneratorConfig {
            customers: 300,
            foreign_currency_per_mille: 1000,
            ..GeneratorConfig::default()
        };
        let customers = generate_customers(&config, &mut SeededRandom::new(3));

        for customer in customers.iter().filter(|c| c.segment == Segment::Public) {
            assert_eq!(
                (customer.country, customer.currency),
                (Country::France, Currency::Eur)
            );
        }
    }
}
