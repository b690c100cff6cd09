//! URL slugs: lowercase ASCII letters, digits and single hyphens.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 120;

    /// Accepts only an already-canonical slug; anything else is not a page we have.
    pub fn parse(s: &str) -> Option<Slug> {
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        ok.then(|| Slug(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_slugs_parse() {
        for good in ["gile-phao", "a", "vest-2024", "gile-len-co-v"] {
            assert!(Slug::parse(good).is_some(), "{good}");
        }
        for bad in ["", "Gile", "gile phao", "-a", "a-", "a--b", "gilê", "a/b", "a%20b", &"x".repeat(121)] {
            assert!(Slug::parse(bad).is_none(), "{bad}");
        }
    }
}
