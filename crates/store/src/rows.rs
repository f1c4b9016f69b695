//! Conversions between stored values and domain values, shared by every query module.

use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Result, StoreError};

/// An instant as stored: UTC microseconds since the Unix epoch.
pub(crate) fn micros(at: Timestamp) -> i64 {
    at.as_microsecond()
}

/// A stored instant.
pub(crate) fn instant(us: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(format!("instant {us}: {e}")))
}

/// An optional stored instant.
pub(crate) fn opt_instant(us: Option<i64>) -> Result<Option<Timestamp>> {
    us.map(instant).transpose()
}

/// A value stored as JSON text.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Corrupt(format!("cannot encode JSON: {e}")))
}

/// A value read from JSON text.
pub(crate) fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// A value parsed from stored text with `FromStr`.
pub(crate) fn parse<T: std::str::FromStr<Err = String>>(text: &str) -> Result<T> {
    text.parse().map_err(StoreError::Corrupt)
}

/// Marks SQL assembled with `format!` from this crate's own constant fragments (column lists,
/// `FOR UPDATE`) as safe; never pass it text that came from a user.
pub(crate) fn sql(text: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(text)
}
