//! Reading JSON objects field by field, so that every error names the field
//! (with its path, such as `data.total`) and says what is wrong with it.

use std::fmt::Display;

use chrono::NaiveDate;
use serde_json::{Map, Value};

/// A field of a JSON object that is missing, of the wrong type or invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}`: {problem}")]
pub struct FieldError {
    /// The field's path, such as `data.contacts.dunning.email`.
    pub field: String,
    /// What is wrong, quoting the value received.
    pub problem: String,
}

/// A JSON object being read, with the path that leads to it.
pub(crate) struct Fields<'a> {
    object: &'a Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    /// Reads `value` as an object found at `path` (empty for the root).
    pub(crate) fn of(value: &'a Value, path: &str) -> Result<Fields<'a>, FieldError> {
        match value {
            Value::Object(object) => Ok(Fields {
                object,
                path: path.to_string(),
            }),
            other => Err(FieldError {
                field: if path.is_empty() {
                    "(body)".to_string()
                } else {
                    path.to_string()
                },
                problem: format!("expected an object, found {}", describe(other)),
            }),
        }
    }

    /// The full path of one of this object's fields.
    pub(crate) fn path_of(&self, field: &str) -> String {
        if self.path.is_empty() {
            field.to_string()
        } else {
            format!("{}.{field}", self.path)
        }
    }

    /// An error about one of this object's fields.
    pub(crate) fn error(&self, field: &str, problem: impl Into<String>) -> FieldError {
        FieldError {
            field: self.path_of(field),
            problem: problem.into(),
        }
    }

    /// The field's value; `None` when absent or `null`.
    pub(crate) fn get(&self, field: &str) -> Option<&'a Value> {
        self.object.get(field).filter(|value| !value.is_null())
    }

    /// A string field that must be present and not blank.
    pub(crate) fn required_str(&self, field: &str) -> Result<&'a str, FieldError> {
        self.optional_str(field)?
            .filter(|text| !text.trim().is_empty())
            .ok_or_else(|| self.error(field, "is missing or blank; this field is required"))
    }

    /// A string field that may be absent or `null`.
    pub(crate) fn optional_str(&self, field: &str) -> Result<Option<&'a str>, FieldError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(self.error(
                field,
                format!("expected a string, found {}", describe(other)),
            )),
        }
    }

    /// An integer field that must be present.
    pub(crate) fn required_i64(&self, field: &str) -> Result<i64, FieldError> {
        self.optional_i64(field)?
            .ok_or_else(|| self.error(field, "is missing; this field is required"))
    }

    /// An integer field that may be absent or `null`.
    pub(crate) fn optional_i64(&self, field: &str) -> Result<Option<i64>, FieldError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Number(number)) => number
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.error(field, format!("expected an integer, found {number}"))),
            Some(other) => Err(self.error(
                field,
                format!("expected an integer, found {}", describe(other)),
            )),
        }
    }

    /// A nested object, when present.
    pub(crate) fn object(&self, field: &str) -> Result<Option<Fields<'a>>, FieldError> {
        self.get(field)
            .map(|value| Fields::of(value, &self.path_of(field)))
            .transpose()
    }

    /// An array field; an absent field is an empty array.
    pub(crate) fn array(&self, field: &str) -> Result<&'a [Value], FieldError> {
        match self.get(field) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(self.error(
                field,
                format!("expected an array, found {}", describe(other)),
            )),
        }
    }

    /// A required `YYYY-MM-DD` date.
    pub(crate) fn required_date(&self, field: &str) -> Result<NaiveDate, FieldError> {
        let text = self.required_str(field)?;
        parse_date(text).ok_or_else(|| {
            self.error(
                field,
                format!("{text:?} is not a date: write it as YYYY-MM-DD"),
            )
        })
    }

    /// Runs a domain parser on a field's text, prefixing its error with the
    /// field's name.
    pub(crate) fn parse_with<T, E: Display>(
        &self,
        field: &str,
        text: &str,
        parser: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, FieldError> {
        parser(text).map_err(|error| self.error(field, error.to_string()))
    }
}

/// A `YYYY-MM-DD` date, exactly ten characters.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    if text.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// A short description of a JSON value for error messages.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => format!("a boolean ({flag})"),
        Value::Number(number) => format!("a number ({number})"),
        Value::String(text) => format!("a string ({text:?})"),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}
