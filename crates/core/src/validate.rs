//! One error type for bad input, so a form can show each message beside its field and the
//! API can name the field, whatever the rule that refused it.

use std::fmt;

/// One thing wrong with one input field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field's name as the form and the API call it (`title`, `languages`, …).
    pub field: String,
    /// What is wrong and how to fix it, in plain words.
    pub message: String,
}

/// Input that was refused: every field error found, not only the first.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Invalid {
    /// The errors, in the order the fields were checked.
    pub errors: Vec<FieldError>,
}

impl Invalid {
    /// An error on a single field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut invalid = Self::default();
        invalid.push(field, message);
        invalid
    }

    /// Records an error on `field`.
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// `Ok(value)` when nothing was recorded, so checks can be chained and reported together.
    pub fn into_result<T>(self, value: T) -> Result<T, Self> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// The message recorded for `field`, if any.
    pub fn message_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Invalid {}

/// Checks that a required text field is present and not longer than `max` characters.
pub(crate) fn required_text(invalid: &mut Invalid, field: &str, value: &str, max: usize) {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        invalid.push(field, "is required");
    } else if trimmed.chars().count() > max {
        invalid.push(field, format!("is too long: at most {max} characters"));
    }
}

/// Checks that an optional text field is not longer than `max` characters.
pub(crate) fn optional_text(invalid: &mut Invalid, field: &str, value: &str, max: usize) {
    if value.trim().chars().count() > max {
        invalid.push(field, format!("is too long: at most {max} characters"));
    }
}
