//! Dunning policies: the ordered steps a late customer goes through (when,
//! on which channel, with which template, assigned to whom) and the late
//! interest terms they are chased under.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The code of the policy that applies when no assignment names another.
pub const DEFAULT_POLICY_CODE: &str = "default";

/// What is wrong with a policy sent to the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A policy without steps chases nobody.
    #[error("policy {code:?} has no steps; give at least one step")]
    NoSteps {
        /// The policy's code.
        code: String,
    },

    /// Steps must be in the order they happen.
    #[error(
        "step {key:?} has offset {offset_days} days, not after the step before it ({previous} \
         days); list steps in increasing offset order, each on its own day"
    )]
    OffsetsNotIncreasing {
        /// The step out of order.
        key: String,
        /// Its offset.
        offset_days: i32,
        /// The offset of the step before it.
        previous: i32,
    },

    /// A step key names the step in the history; it must be unique.
    #[error("step key {key:?} is used twice; give each step its own key")]
    DuplicateKey {
        /// The repeated key.
        key: String,
    },

    /// Codes and keys are identifiers that appear in URLs and history.
    #[error(
        "{what} {value:?} is not a valid identifier; use 1 to 64 lower-case letters, digits, \
         `-` or `_`"
    )]
    InvalidIdentifier {
        /// `policy code`, `step key` or `template`.
        what: &'static str,
        /// The value received.
        value: String,
    },

    /// Offsets are bounded so that dates stay meaningful.
    #[error("step {key:?} has offset {offset_days} days; offsets go from -365 to 3650 days")]
    OffsetOutOfRange {
        /// The step.
        key: String,
        /// Its offset.
        offset_days: i32,
    },

    /// A message step needs a template to render.
    #[error("step {key:?} sends a {channel} but names no template; give `template`")]
    MissingTemplate {
        /// The step.
        key: String,
        /// Its channel.
        channel: Channel,
    },

    /// A contractual rate is a yearly percentage.
    #[error(
        "contract_interest_rate {rate} is not a yearly percentage from 0 to 100; \
         give e.g. \"12.5\" for 12.5 % a year, or leave it out for the legal rate"
    )]
    InvalidInterestRate {
        /// The rate received.
        rate: Decimal,
    },
}

/// How a step reaches the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// An email from the outbox.
    Email,
    /// A phone call: a task for the assignee.
    Call,
    /// A letter printed and posted by the assignee.
    Letter,
    /// A registered letter with acknowledgement of receipt.
    RegisteredLetter,
    /// The formal notice ("mise en demeure"), sent as a registered letter.
    FormalNotice,
    /// The file handed over to litigation: a task for the assignee.
    Litigation,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 6] = [
        Channel::Email,
        Channel::Call,
        Channel::Letter,
        Channel::RegisteredLetter,
        Channel::FormalNotice,
        Channel::Litigation,
    ];

    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Call => "call",
            Channel::Letter => "letter",
            Channel::RegisteredLetter => "registered_letter",
            Channel::FormalNotice => "formal_notice",
            Channel::Litigation => "litigation",
        }
    }

    /// Reads a stored channel name.
    pub fn parse(text: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// Whether the step renders a message from a template (an email or a
    /// letter), as opposed to a task alone.
    pub fn renders_message(self) -> bool {
        !matches!(self, Channel::Call | Channel::Litigation)
    }

    /// Whether the step is a letter to print and post.
    pub fn is_letter(self) -> bool {
        matches!(
            self,
            Channel::Letter | Channel::RegisteredLetter | Channel::FormalNotice
        )
    }

    /// Whether a person must act: calls, letters to post, litigation.
    pub fn makes_task(self) -> bool {
        self != Channel::Email
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who a step's task goes to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "person")]
pub enum Assignee {
    /// The customer's collector (unassigned when it has none).
    #[default]
    Collector,
    /// A named person, whoever the customer's collector is.
    Person(String),
}

/// One step of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DunningStep {
    /// Names the step in the history (`reminder-1`).
    pub key: String,
    /// Days from the due date: negative before it, positive after it.
    pub offset_days: i32,
    /// How it reaches the customer.
    pub channel: Channel,
    /// The template rendered (required for emails and letters).
    #[serde(default)]
    pub template: Option<String>,
    /// Who the task goes to, for steps a person carries out.
    #[serde(default)]
    pub assignee: Assignee,
    /// Whether the message states late interest and the recovery indemnity.
    #[serde(default)]
    pub states_late_charges: bool,
}

/// A dunning policy: steps in increasing offset order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DunningPolicy {
    /// Identifies the policy (`default`, `key-accounts`).
    pub code: String,
    /// What the team calls it.
    pub name: String,
    /// The steps, in the order they happen.
    pub steps: Vec<DunningStep>,
    /// A yearly late-interest rate agreed in the contract (percent); `None`
    /// applies the legal rate, the ECB rate plus 10 points.
    #[serde(default)]
    pub contract_interest_rate: Option<Decimal>,
}

impl DunningPolicy {
    /// Checks a policy received from the API.
    pub fn validate(&self) -> Result<(), PolicyError> {
        check_identifier("policy code", &self.code)?;
        if self.steps.is_empty() {
            return Err(PolicyError::NoSteps {
                code: self.code.clone(),
            });
        }

        let mut previous: Option<&DunningStep> = None;
        for step in &self.steps {
            check_step(step)?;
            if self.steps.iter().filter(|s| s.key == step.key).count() > 1 {
                return Err(PolicyError::DuplicateKey {
                    key: step.key.clone(),
                });
            }
            if let Some(before) = previous
                && step.offset_days <= before.offset_days
            {
                return Err(PolicyError::OffsetsNotIncreasing {
                    key: step.key.clone(),
                    offset_days: step.offset_days,
                    previous: before.offset_days,
                });
            }
            previous = Some(step);
        }

        if let Some(rate) = self.contract_interest_rate
            && !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&rate)
        {
            return Err(PolicyError::InvalidInterestRate { rate });
        }
        Ok(())
    }

    /// The step with this key.
    pub fn step(&self, key: &str) -> Option<&DunningStep> {
        self.steps.iter().find(|step| step.key == key)
    }

    /// The earliest offset of any step: no invoice due later than
    /// `as_of - earliest_offset` can have a step due.
    pub fn earliest_offset(&self) -> i32 {
        self.steps.first().map_or(0, |step| step.offset_days)
    }
}

fn check_step(step: &DunningStep) -> Result<(), PolicyError> {
    check_identifier("step key", &step.key)?;
    if !(-365..=3650).contains(&step.offset_days) {
        return Err(PolicyError::OffsetOutOfRange {
            key: step.key.clone(),
            offset_days: step.offset_days,
        });
    }

    match &step.template {
        Some(template) => check_identifier("template", template),
        None if step.channel.renders_message() => Err(PolicyError::MissingTemplate {
            key: step.key.clone(),
            channel: step.channel,
        }),
        None => Ok(()),
    }
}

/// Checks a code, key or template name: 1 to 64 of `a-z0-9-_`.
pub fn check_identifier(what: &'static str, value: &str) -> Result<(), PolicyError> {
    let valid = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(PolicyError::InvalidIdentifier {
            what,
            value: value.to_owned(),
        })
    }
}

/// The policy that applies when the team has stored none: a courtesy notice
/// five days before the due date, a reminder three days after, a firmer one
/// stating late charges at fifteen days, a call at twenty-five, the formal
/// notice by registered letter at forty, and litigation at sixty.
pub fn default_policy() -> DunningPolicy {
    let step = |key: &str, offset_days, channel, template: Option<&str>, charges| DunningStep {
        key: key.to_owned(),
        offset_days,
        channel,
        template: template.map(str::to_owned),
        assignee: Assignee::Collector,
        states_late_charges: charges,
    };

    DunningPolicy {
        code: DEFAULT_POLICY_CODE.to_owned(),
        name: "Standard".to_owned(),
        steps: vec![
            step("courtesy", -5, Channel::Email, Some("courtesy"), false),
            step("reminder-1", 3, Channel::Email, Some("reminder"), false),
            step(
                "reminder-2",
                15,
                Channel::Email,
                Some("final_reminder"),
                true,
            ),
            step("call", 25, Channel::Call, None, false),
            step(
                "formal-notice",
                40,
                Channel::FormalNotice,
                Some("formal_notice"),
                true,
            ),
            step("litigation", 60, Channel::Litigation, None, false),
        ],
        contract_interest_rate: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_is_valid_and_ends_in_litigation() {
        let policy = default_policy();

        assert_eq!(policy.validate(), Ok(()));
        assert_eq!(policy.earliest_offset(), -5);
        assert_eq!(
            policy.steps.last().map(|s| s.channel),
            Some(Channel::Litigation)
        );
    }

    #[test]
    fn policies_that_cannot_be_followed_are_refused() {
        let mut unordered = default_policy();
        unordered.steps.swap(1, 2);
        let mut same_day = default_policy();
        same_day.steps[2].offset_days = 3;
        let mut twice = default_policy();
        twice.steps[2].key = "reminder-1".into();
        let mut no_template = default_policy();
        no_template.steps[1].template = None;
        let mut bad_code = default_policy();
        bad_code.code = "Key Accounts".into();
        let mut empty = default_policy();
        empty.steps.clear();
        let mut rate = default_policy();
        rate.contract_interest_rate = Some(Decimal::from(150));

        let table = [
            (unordered, "increasing offset"),
            (same_day, "increasing offset"),
            (twice, "used twice"),
            (no_template, "names no template"),
            (bad_code, "not a valid identifier"),
            (empty, "no steps"),
            (rate, "yearly percentage"),
        ];
        for (policy, expected) in table {
            let error = policy.validate().expect_err(expected);
            assert!(error.to_string().contains(expected), "{error}");
        }
    }

    #[test]
    fn calls_and_litigation_need_no_template() {
        let policy = default_policy();

        assert!(policy.step("call").is_some_and(|s| s.template.is_none()));
        assert!(!Channel::Call.renders_message());
        assert!(Channel::FormalNotice.is_letter() && Channel::FormalNotice.makes_task());
        assert!(!Channel::Email.makes_task());
    }
}
