//! Company, person and payer names, in the style of each country.
//!
//! A payer name is how the customer's bank shows the account holder: upper
//! case, without accents, often abbreviated or without the legal form, so that
//! matching by name has to be tolerant.

use crate::country::Country;
use crate::customers::Segment;
use crate::random::SeededRandom;

/// A company name split in the parts payer names are derived from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyName {
    /// The trading name: `Boulangerie Martin`.
    pub trading_name: String,
    /// The legal form written after it (`SARL`), if any.
    pub legal_form: Option<&'static str>,
}

impl CompanyName {
    /// The registered name: `Boulangerie Martin SARL`.
    pub fn full(&self) -> String {
        match self.legal_form {
            Some(form) => format!("{} {form}", self.trading_name),
            None => self.trading_name.clone(),
        }
    }
}

struct NameStyle {
    family_names: &'static [&'static str],
    activities: &'static [&'static str],
    legal_forms: &'static [&'static str],
    activity_first: bool,
}

const FRENCH: NameStyle = NameStyle {
    family_names: &[
        "Martin",
        "Bernard",
        "Dubois",
        "Thomas",
        "Robert",
        "Richard",
        "Petit",
        "Durand",
        "Leroy",
        "Moreau",
        "Simon",
        "Laurent",
        "Lefebvre",
        "Michel",
        "Garcia",
        "David",
        "Bertrand",
        "Roux",
        "Vincent",
        "Fournier",
        "Morel",
        "Girard",
        "Mercier",
        "Dupont",
        "Lambert",
        "Bonnet",
        "Legrand",
        "Garnier",
        "Faure",
        "Rousseau",
        "Blanc",
        "Guérin",
        "Henry",
        "Roussel",
        "Perrin",
        "Morin",
        "Mathieu",
        "Clément",
        "Gauthier",
        "Fontaine",
        "Chevalier",
        "Robin",
    ],
    activities: &[
        "Boulangerie",
        "Transports",
        "Menuiserie",
        "Garage",
        "Imprimerie",
        "Pharmacie",
        "Plomberie",
        "Électricité",
        "Maçonnerie",
        "Fromagerie",
        "Librairie",
        "Hôtel",
        "Laboratoire",
        "Atelier",
        "Conseil",
        "Logistique",
        "Bâtiment",
        "Informatique",
        "Établissements",
        "Société",
    ],
    legal_forms: &["SARL", "SAS", "SA", "EURL", "SASU"],
    activity_first: true,
};

const BELGIAN: NameStyle = NameStyle {
    family_names: &[
        "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
        "Wouters", "Lambert", "Dumont", "Leclercq",
    ],
    activities: &[
        "Bouw",
        "Transport",
        "Techniek",
        "Services",
        "Construct",
        "Logistics",
    ],
    legal_forms: &["NV", "BV", "SRL", "SA"],
    activity_first: false,
};

const GERMAN: NameStyle = NameStyle {
    family_names: &[
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Hoffmann",
        "Schulz",
        "Koch",
        "Richter",
    ],
    activities: &[
        "Logistik",
        "Maschinenbau",
        "Elektrotechnik",
        "Bau",
        "Software",
        "Handel",
    ],
    legal_forms: &["GmbH", "AG", "GmbH & Co. KG"],
    activity_first: false,
};

const DUTCH: NameStyle = NameStyle {
    family_names: &[
        "de Jong",
        "Jansen",
        "de Vries",
        "van den Berg",
        "van Dijk",
        "Bakker",
        "Visser",
        "Smit",
        "Meijer",
        "de Boer",
    ],
    activities: &[
        "Techniek",
        "Installatie",
        "Transport",
        "Bouw",
        "Handel",
        "Advies",
    ],
    legal_forms: &["B.V.", "N.V."],
    activity_first: false,
};

const BRITISH: NameStyle = NameStyle {
    family_names: &[
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
        "Wright", "Harrison", "Clarke",
    ],
    activities: &[
        "Engineering",
        "Logistics",
        "Consulting",
        "Trading",
        "Systems",
        "Holdings",
    ],
    legal_forms: &["Ltd", "PLC", "LLP"],
    activity_first: false,
};

const SWISS: NameStyle = NameStyle {
    family_names: &[
        "Keller",
        "Meier",
        "Huber",
        "Favre",
        "Rochat",
        "Bernasconi",
        "Gerber",
        "Brunner",
        "Baumann",
        "Zimmermann",
    ],
    activities: &[
        "Präzision",
        "Uhren",
        "Immobilien",
        "Logistik",
        "Services",
        "Pharma",
    ],
    legal_forms: &["AG", "SA", "GmbH", "Sàrl"],
    activity_first: false,
};

const FRENCH_PUBLIC_BODIES: [&str; 6] = [
    "Mairie de",
    "Centre hospitalier de",
    "Communauté de communes de",
    "Communauté d'agglomération de",
    "Lycée professionnel de",
    "Syndicat des eaux de",
];

const FRENCH_TOWNS: [&str; 20] = [
    "Lyon", "Nantes", "Rennes", "Lille", "Bordeaux", "Toulouse", "Grenoble", "Dijon", "Angers",
    "Tours", "Reims", "Metz", "Brest", "Limoges", "Amiens", "Annecy", "Pau", "Nîmes", "Caen",
    "Orléans",
];

const LARGE_COMPANY_PATTERNS: [&str; 5] = [
    "Groupe {}",
    "{} Industries",
    "{} Distribution",
    "{} Technologies",
    "{} Frères",
];

const FIRST_NAMES_FRENCH: [&str; 10] = [
    "Claire", "Julien", "Sophie", "Nicolas", "Camille", "Thomas", "Léa", "Antoine", "Marie", "Hugo",
];

const FIRST_NAMES_OTHER: [&str; 10] = [
    "Emma", "James", "Olivia", "Daniel", "Anna", "Lukas", "Sanne", "Pieter", "Laura", "Marc",
];

/// Words banks and accountants commonly shorten in account holder names.
const ABBREVIATIONS: [(&str, &str); 22] = [
    ("BOULANGERIE", "BOUL"),
    ("TRANSPORTS", "TRANSP"),
    ("ETABLISSEMENTS", "ETS"),
    ("SOCIETE", "STE"),
    ("COMPAGNIE", "CIE"),
    ("INFORMATIQUE", "INFO"),
    ("LABORATOIRE", "LABO"),
    ("LOGISTIQUE", "LOGIST"),
    ("ELECTRICITE", "ELEC"),
    ("MACONNERIE", "MACON"),
    ("GROUPE", "GRP"),
    ("INDUSTRIES", "IND"),
    ("DISTRIBUTION", "DISTRIB"),
    ("TECHNOLOGIES", "TECHNO"),
    ("FRERES", "FRS"),
    ("ENGINEERING", "ENG"),
    ("CONSULTING", "CONS"),
    ("LOGISTICS", "LOG"),
    ("MASCHINENBAU", "MASCH"),
    ("CENTRE", "CTRE"),
    ("HOSPITALIER", "HOSP"),
    ("COMMUNAUTE", "CTE"),
];

/// A company name for a customer of `country` and `segment`.
pub fn company_name(country: Country, segment: Segment, random: &mut SeededRandom) -> CompanyName {
    if segment == Segment::Public {
        let body = random
            .pick(&FRENCH_PUBLIC_BODIES)
            .copied()
            .unwrap_or("Mairie de");
        let town = random.pick(&FRENCH_TOWNS).copied().unwrap_or("Lyon");
        return CompanyName {
            trading_name: format!("{body} {town}"),
            legal_form: None,
        };
    }

    let style = style_of(country);
    let family = random.pick(style.family_names).copied().unwrap_or("Martin");
    let legal_form = random.pick(style.legal_forms).copied();

    let large = matches!(segment, Segment::Enterprise | Segment::MidMarket) && random.chance(500);
    let trading_name = if large {
        let pattern = random
            .pick(&LARGE_COMPANY_PATTERNS)
            .copied()
            .unwrap_or("Groupe {}");
        pattern.replace("{}", family)
    } else {
        let activity = random.pick(style.activities).copied().unwrap_or("Services");
        if style.activity_first {
            format!("{activity} {family}")
        } else {
            format!("{family} {activity}")
        }
    };

    CompanyName {
        trading_name,
        legal_form,
    }
}

/// A contact person's first and last name.
pub fn person_name(country: Country, random: &mut SeededRandom) -> (String, String) {
    let first_names: &[&str] = match country {
        Country::France | Country::Belgium => &FIRST_NAMES_FRENCH,
        _ => &FIRST_NAMES_OTHER,
    };
    let first = random.pick(first_names).copied().unwrap_or("Claire");
    let last = random
        .pick(style_of(country).family_names)
        .copied()
        .unwrap_or("Martin");
    (first.to_owned(), last.to_owned())
}

/// How the customer's bank writes the account holder: never exactly the
/// customer's name.
pub fn payer_name(name: &CompanyName, random: &mut SeededRandom) -> String {
    let trading = fold_to_ascii_upper(&name.trading_name);
    let form = name.legal_form.map(fold_to_ascii_upper);

    let variant = random.below(5);
    let payer = match (variant, form) {
        (0, Some(form)) => format!("{trading} {form}"),
        (1, Some(form)) => format!("{form} {trading}"),
        (2, _) => abbreviate(&trading),
        (3, _) => truncate(&fold_to_ascii_upper(&name.full()), 22),
        _ => trading,
    };
    payer.trim().to_owned()
}

/// `text` in upper case with accents removed and `&` spelled out, as banks
/// transmit names (SWIFT's character set has neither accents nor `&`).
pub fn fold_to_ascii_upper(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            'à' | 'â' | 'ä' | 'À' | 'Â' | 'Ä' => folded.push('A'),
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => folded.push('E'),
            'î' | 'ï' | 'Î' | 'Ï' => folded.push('I'),
            'ô' | 'ö' | 'Ô' | 'Ö' => folded.push('O'),
            'ù' | 'û' | 'ü' | 'Ù' | 'Û' | 'Ü' => folded.push('U'),
            'ç' | 'Ç' => folded.push('C'),
            'ß' => folded.push_str("SS"),
            '&' => folded.push_str("ET"),
            other if other.is_ascii() => folded.push(other.to_ascii_uppercase()),
            _ => {}
        }
    }
    folded
}

/// A lower-case domain label made from a name: `boulangerie-martin`.
pub fn domain_label(text: &str) -> String {
    let folded = fold_to_ascii_upper(text).to_ascii_lowercase();
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect();
    words.join("-")
}

fn style_of(country: Country) -> &'static NameStyle {
    match country {
        Country::France => &FRENCH,
        Country::Belgium => &BELGIAN,
        Country::Germany => &GERMAN,
        Country::Netherlands => &DUTCH,
        Country::UnitedKingdom => &BRITISH,
        Country::Switzerland => &SWISS,
    }
}

fn abbreviate(upper: &str) -> String {
    let words: Vec<String> = upper
        .split(' ')
        .map(|word| {
            ABBREVIATIONS
                .iter()
                .find(|(long, _)| *long == word)
                .map_or_else(|| word.to_owned(), |(_, short)| (*short).to_owned())
        })
        .collect();
    let shortened = words.join(" ");

    if shortened != upper {
        return shortened;
    }
    // No known abbreviation: initials of all words but the last, as in "J SMITH".
    let mut parts: Vec<&str> = upper.split(' ').collect();
    let last = parts.pop().unwrap_or_default();
    let initials: String = parts
        .iter()
        .filter_map(|word| word.chars().next())
        .collect();
    format!("{initials} {last}")
}

fn truncate(text: &str, length: usize) -> String {
    text.chars().take(length).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bank_names_are_folded_to_upper_case_ascii() {
        let cases = [
            ("Électricité Guérin", "ELECTRICITE GUERIN"),
            ("Müller Bau GmbH & Co. KG", "MULLER BAU GMBH ET CO. KG"),
            (
                "Communauté d'agglomération de Nîmes",
                "COMMUNAUTE D'AGGLOMERATION DE NIMES",
            ),
        ];

        for (name, expected) in cases {
            assert_eq!(fold_to_ascii_upper(name), expected);
        }
    }

    #[test]
    fn abbreviations_shorten_known_words_or_fall_back_to_initials() {
        let cases = [
            ("BOULANGERIE MARTIN", "BOUL MARTIN"),
            ("GROUPE DUBOIS", "GRP DUBOIS"),
            ("HARRISON TRADING", "H TRADING"),
        ];

        for (name, expected) in cases {
            assert_eq!(abbreviate(name), expected);
        }
    }

    #[test]
    fn payer_names_never_equal_the_registered_name() {
        let mut random = SeededRandom::new(5);
        let segments = [
            Segment::Smb,
            Segment::MidMarket,
            Segment::Enterprise,
            Segment::Public,
        ];

        for segment in segments {
            for _ in 0..200 {
                let name = company_name(Country::France, segment, &mut random);
                let payer = payer_name(&name, &mut random);
                assert_ne!(payer, name.full());
                assert!(payer.is_ascii(), "{payer}");
            }
        }
    }

    #[test]
    fn domain_labels_keep_only_letters_digits_and_dashes() {
        assert_eq!(
            domain_label("Boulangerie Guérin SARL"),
            "boulangerie-guerin-sarl"
        );
        assert_eq!(domain_label("van den Berg B.V."), "van-den-berg-b-v");
    }
}
