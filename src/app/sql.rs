//! A SQL statement as data: text with `?` placeholders and the values to bind, in order.

use serde::Serialize;

use crate::domain::money::Vnd;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SqlValue {
    Int(i64),
    Text(String),
    Null,
}

impl From<i64> for SqlValue {
    fn from(n: i64) -> Self {
        SqlValue::Int(n)
    }
}

/// An amount binds as its đồng, the integer its column stores.
impl From<Vnd> for SqlValue {
    fn from(v: Vnd) -> Self {
        SqlValue::Int(v.minor())
    }
}

impl From<Option<Vnd>> for SqlValue {
    fn from(v: Option<Vnd>) -> Self {
        v.map_or(SqlValue::Null, SqlValue::from)
    }
}

impl From<&str> for SqlValue {
    fn from(s: &str) -> Self {
        SqlValue::Text(s.to_string())
    }
}

impl From<Option<&str>> for SqlValue {
    fn from(s: Option<&str>) -> Self {
        s.map_or(SqlValue::Null, SqlValue::from)
    }
}

impl From<String> for SqlValue {
    fn from(s: String) -> Self {
        SqlValue::Text(s)
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Sql {
    pub text: String,
    pub params: Vec<SqlValue>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Sql {
        Sql { text: text.into(), params: Vec::new() }
    }

    pub fn bind(mut self, value: impl Into<SqlValue>) -> Sql {
        self.params.push(value.into());
        self
    }

    /// Appends text and its values; placeholders stay in step with values by construction.
    pub fn push(&mut self, text: &str, values: impl IntoIterator<Item = SqlValue>) {
        self.text.push_str(text);
        self.params.extend(values);
    }

    /// `?, ?, ?` for an `IN (...)` list of `n` values.
    pub fn placeholders(n: usize) -> String {
        vec!["?"; n].join(", ")
    }

    pub fn placeholder_count(&self) -> usize {
        self.text.matches('?').count()
    }
}
