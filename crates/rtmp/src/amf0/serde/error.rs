//! Why a value could not be turned into a user type, or a user type into a
//! value.

use std::fmt;

/// A failure of [`from_value`](super::from_value) (and of the helpers built
/// on it): the value does not have the shape of the target type.
///
/// The message says what was found and what was expected; the path says
/// where, from the top value: `videocodecid` or `streams[2].name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeError {
    message: String,
    path: String,
}

impl DeError {
    /// What went wrong, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where it went wrong: property names joined by `.`, array indices in
    /// brackets; empty when the top value itself did not fit.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The same error one level further out: under property `key`.
    pub(super) fn in_property(mut self, key: &str) -> DeError {
        self.path = match self.path.is_empty() {
            true => key.to_owned(),
            false if self.path.starts_with('[') => format!("{key}{}", self.path),
            false => format!("{key}.{}", self.path),
        };
        self
    }

    /// The same error one level further out: at array index `index`.
    pub(super) fn in_element(mut self, index: usize) -> DeError {
        self.path = match self.path.is_empty() || self.path.starts_with('[') {
            true => format!("[{index}]{}", self.path),
            false => format!("[{index}].{}", self.path),
        };
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path.is_empty() {
            true => write!(f, "{}", self.message),
            false => write!(f, "{} at `{}`", self.message, self.path),
        }
    }
}

impl std::error::Error for DeError {}

impl serde::de::Error for DeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        DeError {
            message: message.to_string(),
            path: String::new(),
        }
    }
}

/// A failure of [`to_value`](super::to_value): the user type has a part
/// AMF0 cannot hold (a map key that is not text, an integer too large for
/// an f64 to hold exactly, or a custom error of a `Serialize` impl).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SerError(String);

impl serde::ser::Error for SerError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        SerError(message.to_string())
    }
}
