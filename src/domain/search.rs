//! Search text folding and the FTS5 query built from what a shopper types.
//!
//! Folding makes search diacritics-insensitive in both directions: `ao vest` finds `áo vest`, `đỏ` finds
//! `do`. Vietnamese `đ`/`Đ` is a letter of its own in Unicode (it has no decomposition), so it is mapped
//! explicitly; the index side does the same in the migration's triggers.

use std::fmt;

/// Longest query we accept, in characters. Longer input is a mistake or an attack, not a search.
pub const MAX_QUERY_CHARS: usize = 100;
/// Words beyond this many are ignored: they only narrow an already narrow search.
pub const MAX_TERMS: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryError {
    TooLong,
    ControlCharacter,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::TooLong => write!(f, "query longer than {MAX_QUERY_CHARS} characters"),
            QueryError::ControlCharacter => f.write_str("query contains control characters"),
        }
    }
}

/// A validated search: the text as typed (trimmed) and its folded terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    text: String,
    terms: Vec<String>,
}

impl SearchQuery {
    /// `Ok(None)` for an empty or punctuation-only query; an error for input no person types.
    pub fn parse(raw: &str) -> Result<Option<SearchQuery>, QueryError> {
        if raw.chars().any(|c| c.is_control()) {
            return Err(QueryError::ControlCharacter);
        }
        let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong);
        }
        let folded = fold(&text);
        let terms: Vec<String> = folded
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .take(MAX_TERMS)
            .map(str::to_string)
            .collect();
        if terms.is_empty() {
            return Ok(None);
        }
        Ok(Some(SearchQuery { text, terms }))
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// FTS5 expression requiring every term; the last one is a prefix, so results follow typing.
    pub fn match_all(&self) -> String {
        self.expression(" ")
    }

    /// FTS5 expression accepting any term: the fallback when requiring all finds nothing.
    pub fn match_any(&self) -> String {
        self.expression(" OR ")
    }

    fn expression(&self, joiner: &str) -> String {
        let last = self.terms.len() - 1;
        self.terms
            .iter()
            .enumerate()
            // Terms are alphanumeric after folding, so quoting cannot be escaped out of.
            .map(|(i, t)| if i == last { format!("\"{t}\"*") } else { format!("\"{t}\"") })
            .collect::<Vec<_>>()
            .join(joiner)
    }
}

/// Lowercases and strips diacritics (Vietnamese tone and vowel marks, `đ`, common Latin accents).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if ('\u{0300}'..='\u{036f}').contains(&c) {
            continue; // combining marks of decomposed (NFD) input
        }
        match base_letter(c) {
            Some(b) => out.push(b),
            None => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Precomposed letters by their base: each row is every accented form of that base letter.
const FOLDS: [(char, &str); 13] = [
    ('a', "àáảãạăằắẳẵặâầấẩẫậäåāÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÄÅĀ"),
    ('e', "èéẻẽẹêềếểễệëēÈÉẺẼẸÊỀẾỂỄỆËĒ"),
    ('i', "ìíỉĩịîïīÌÍỈĨỊÎÏĪ"),
    ('o', "òóỏõọôồốổỗộơờớởỡợöøōÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÖØŌ"),
    ('u', "ùúủũụưừứửữựûüūÙÚỦŨỤƯỪỨỬỮỰÛÜŪ"),
    ('y', "ỳýỷỹỵÿỲÝỶỸỴŸ"),
    ('d', "đĐ"),
    ('c', "çÇ"),
    ('n', "ñÑ"),
    ('s', "šŠ"),
    ('z', "žŽ"),
    ('r', "řŘ"),
    ('l', "łŁ"),
];

fn base_letter(c: char) -> Option<char> {
    if c.is_ascii() {
        return Some(c.to_ascii_lowercase());
    }
    FOLDS.iter().find(|(_, forms)| forms.contains(c)).map(|(base, _)| *base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_vietnamese_marks_and_d_bar() {
        let cases = [
            ("Áo vest", "ao vest"),
            ("ĐỎ", "do"),
            ("đỏ đô", "do do"),
            ("Đen", "den"),
            ("Áo gile phao nhẹ, chống nước", "ao gile phao nhe, chong nuoc"),
            ("Xanh rêu", "xanh reu"),
            ("ƯỚT ƯỚP", "uot uop"),
            ("dã ngoại", "da ngoai"),
            // NFD input: base letter followed by combining marks.
            ("a\u{0301}o", "ao"),
            ("VS-PUF01-BLK-M", "vs-puf01-blk-m"),
            ("Café crème", "cafe creme"),
        ];
        for (input, expected) in cases {
            assert_eq!(fold(input), expected, "{input}");
        }
    }

    #[test]
    fn every_vietnamese_vowel_folds_to_ascii() {
        let all = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ";
        let upper: String = all.chars().flat_map(char::to_uppercase).collect();
        for c in all.chars().chain(upper.chars()) {
            let f = fold(&c.to_string());
            assert!(f.is_ascii() && f.len() == 1, "{c} folded to {f}");
        }
    }

    #[test]
    fn query_terms_are_folded_and_the_last_is_a_prefix() {
        let q = SearchQuery::parse("  Áo   VEST đỏ ").unwrap().unwrap();
        assert_eq!(q.text(), "Áo VEST đỏ");
        assert_eq!(q.terms(), ["ao", "vest", "do"]);
        assert_eq!(q.match_all(), r#""ao" "vest" "do"*"#);
        assert_eq!(q.match_any(), r#""ao" OR "vest" OR "do"*"#);
    }

    #[test]
    fn fts_syntax_in_the_query_is_plain_text() {
        let q = SearchQuery::parse(r#"gile" OR NEAR(x) *"#).unwrap().unwrap();
        assert_eq!(q.match_all(), r#""gile" "or" "near" "x"*"#);
    }

    #[test]
    fn skus_split_into_terms_that_match_the_index_tokens() {
        let q = SearchQuery::parse("VS-PUF01-BLK-M").unwrap().unwrap();
        assert_eq!(q.terms(), ["vs", "puf01", "blk", "m"]);
    }

    #[test]
    fn empty_and_punctuation_only_queries_are_none() {
        assert_eq!(SearchQuery::parse(""), Ok(None));
        assert_eq!(SearchQuery::parse("   "), Ok(None));
        assert_eq!(SearchQuery::parse("-- !!"), Ok(None));
    }

    #[test]
    fn hostile_queries_are_refused() {
        assert_eq!(SearchQuery::parse("gile\u{0000}"), Err(QueryError::ControlCharacter));
        assert_eq!(SearchQuery::parse("a\nb"), Err(QueryError::ControlCharacter));
        assert_eq!(SearchQuery::parse(&"a".repeat(101)), Err(QueryError::TooLong));
        assert!(SearchQuery::parse(&"a".repeat(100)).is_ok());
    }

    #[test]
    fn at_most_eight_terms_are_used() {
        let q = SearchQuery::parse("a b c d e f g h i j").unwrap().unwrap();
        assert_eq!(q.terms().len(), MAX_TERMS);
    }
}
