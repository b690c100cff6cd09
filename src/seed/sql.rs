//! Writing SQLite `INSERT` statements: quoting, NULLs and the idempotent conflict clause.

/// One SQL literal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Value<'a> {
    Int(i64),
    Text(&'a str),
    Null,
}

impl From<i64> for Value<'_> {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}

impl From<crate::domain::money::Vnd> for Value<'_> {
    fn from(v: crate::domain::money::Vnd) -> Self {
        Value::Int(v.minor())
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Text(s)
    }
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl Value<'_> {
    fn write(&self, out: &mut String) {
        match self {
            Value::Int(n) => out.push_str(&n.to_string()),
            Value::Null => out.push_str("NULL"),
            Value::Text(s) => {
                out.push('\'');
                out.push_str(&s.replace('\'', "''"));
                out.push('\'');
            }
        }
    }
}

/// Append one `INSERT … ON CONFLICT DO NOTHING;` line: a row that is already there (same id or any
/// other unique key) is left exactly as it is.
pub(super) fn insert(out: &mut String, table: &str, columns: &[&str], values: &[Value]) {
    assert_eq!(columns.len(), values.len(), "{table}: one value per column");
    out.push_str("INSERT INTO ");
    out.push_str(table);
    out.push_str(" (");
    out.push_str(&columns.join(", "));
    out.push_str(") VALUES (");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        v.write(out);
    }
    out.push_str(") ON CONFLICT DO NOTHING;\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_quotes_are_doubled() {
        let mut out = String::new();
        insert(&mut out, "t", &["a", "b", "c"], &["Women's".into(), Value::Null, 7.into()]);
        assert_eq!(out, "INSERT INTO t (a, b, c) VALUES ('Women''s', NULL, 7) ON CONFLICT DO NOTHING;\n");
    }
}
