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
    /// Each term as typed, lowercased with its marks ("cưới"), when the text is precomposed (NFC);
    /// otherwise the folded terms again.
    typed: Vec<String>,
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
        let lower = text.to_lowercase();
        let typed: Vec<String> = lower.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).take(MAX_TERMS).map(str::to_string).collect();
        // Decomposed input (combining marks) splits elsewhere: its marks are not used.
        let typed = if typed.len() == terms.len() && typed.iter().zip(&terms).all(|(t, f)| fold(t) == *f) { typed } else { terms.clone() };
        Ok(Some(SearchQuery { text, terms, typed }))
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

/// Words or phrases a shopper uses for one thing ("vest", "gile", "gilet", "ghi lê"), folded; a
/// term of the query that is one of them finds any of them. Managers edit the groups in the admin.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SynonymGroup {
    /// Each entry is one or more folded words (`["ghi", "le"]` for "ghi lê").
    pub entries: Vec<Vec<String>>,
    /// The same entries as written, lowercased with their marks (`["ghi", "lê"]`).
    pub written: Vec<Vec<String>>,
}

/// The longest phrase a synonym may be (words).
pub const MAX_SYNONYM_WORDS: usize = 3;
/// Most entries in one group, and most characters in one entry.
pub const MAX_GROUP_ENTRIES: usize = 20;
pub const MAX_ENTRY_CHARS: usize = 40;
/// Words this long or longer tolerate one wrong letter.
pub const TYPO_MIN_CHARS: usize = 5;

impl SynonymGroup {
    /// A group as managers type it: entries separated by commas (`vest, gile, gilê, gilet, ghi lê`),
    /// folded and deduplicated; `None` when fewer than two entries remain or one is too long.
    pub fn parse(text: &str) -> Option<SynonymGroup> {
        let mut group = SynonymGroup::default();
        for raw in text.split(',') {
            let lower = raw.to_lowercase();
            let written: Vec<String> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect();
            if written.is_empty() {
                continue;
            }
            let words: Vec<String> = written.iter().map(|w| fold(w)).collect();
            if words.len() > MAX_SYNONYM_WORDS || raw.trim().chars().count() > MAX_ENTRY_CHARS || words.iter().any(|w| !w.chars().all(char::is_alphanumeric)) {
                return None;
            }
            if !group.written.contains(&written) {
                group.entries.push(words);
                group.written.push(written);
            }
        }
        (2..=MAX_GROUP_ENTRIES).contains(&group.entries.len()).then_some(group)
    }

    /// The group as stored and shown: entries as written, joined by ", ".
    pub fn text(&self) -> String {
        self.written.iter().map(|e| e.join(" ")).collect::<Vec<_>>().join(", ")
    }

    /// Whether the phrase names an entry: typed with marks, exactly that entry; typed without,
    /// any entry that folds to it.
    fn names(&self, typed: &[String], folded: &[String]) -> bool {
        if typed == folded {
            self.entries.iter().any(|e| e == folded)
        } else {
            self.written.iter().any(|e| e == typed)
        }
    }
}

/// An English plural's singular (`vests` → `vest`, `dresses` → `dress`), for words of four letters
/// or more; Vietnamese syllables never end in `s`, so they are left alone.
pub fn singular(word: &str) -> Option<&str> {
    if word.len() < 4 || !word.is_ascii() || word.ends_with("ss") || word.ends_with("us") || word.ends_with("is") {
        return None;
    }
    // "dresses", "brushes", "watches", "boxes" lose their "es"; other plurals their "s".
    if ["sses", "shes", "ches", "xes"].iter().any(|suffix| word.ends_with(suffix)) {
        return word.get(..word.len() - 2);
    }
    word.strip_suffix('s')
}

/// Whether `a` and `b` differ by at most one edit: one letter wrong, missing, extra, or two
/// neighbours swapped (optimal string alignment distance ≤ 1).
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short.iter().zip(long.iter()).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        let (sa, sb) = (&short[prefix..], &long[prefix..]);
        // One substitution, or one swap of neighbours.
        sa[1..] == sb[1..] || (sa.len() >= 2 && sa[0] == sb[1] && sa[1] == sb[0] && sa[2..] == sb[2..])
    } else {
        // One insertion into the shorter.
        short[prefix..] == long[prefix + 1..]
    }
}

/// What the search knows besides the query: the synonym groups, and the index's words close in
/// length to the query's long words (for typos); an empty vocabulary turns typo tolerance off.
#[derive(Clone, Debug, Default)]
pub struct Expansion<'a> {
    pub synonyms: &'a [SynonymGroup],
    pub vocabulary: &'a [String],
}

/// One thing the shopper asked for and every way the index may say it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Concept {
    /// Phrases (each one or more words); the first is what was typed.
    forms: Vec<Vec<String>>,
    /// When typed with marks: the phrases as the accent-keeping index must have them (what was
    /// typed and its synonyms as written) — "cưới" is not "cuối".
    exact: Option<Vec<Vec<String>>>,
    /// The typed word may be the beginning of a longer one (the last word, still being typed).
    prefix: bool,
}

impl SearchQuery {
    /// The long words of the query (those that tolerate a typo), for asking the index's vocabulary.
    pub fn typo_candidates(&self) -> Vec<&str> {
        self.terms.iter().map(String::as_str).filter(|t| t.chars().count() >= TYPO_MIN_CHARS).collect()
    }

    /// The FTS5 expression requiring every concept of the query, each in any of its forms:
    /// synonyms, an English singular, and a word of the index one letter away from a long word
    /// that the index does not have.
    pub fn match_all_with(&self, x: &Expansion) -> String {
        // FTS5 has no implicit AND before a parenthesised group: the AND is written out.
        Self::join(&self.concepts(x), " AND ")
    }

    /// The same, any concept sufficing: the fallback when requiring all finds nothing.
    pub fn match_any_with(&self, x: &Expansion) -> String {
        Self::join(&self.concepts(x), " OR ")
    }

    /// For the accent-keeping index: every concept the shopper typed with marks, as typed (or as
    /// its synonyms are written); `None` when nothing was typed with marks.
    pub fn match_exact_with(&self, x: &Expansion) -> Option<String> {
        let marked: Vec<Concept> = self
            .concepts(x)
            .into_iter()
            .filter_map(|c| c.exact.map(|forms| Concept { forms, exact: None, prefix: c.prefix }))
            .collect();
        (!marked.is_empty()).then(|| Self::join(&marked, " AND "))
    }

    fn concepts(&self, x: &Expansion) -> Vec<Concept> {
        let mut out: Vec<Concept> = Vec::new();
        let mut i = 0;
        while i < self.terms.len() {
            let last_word = |len: usize| i + len == self.terms.len();
            // The longest phrase at this position that a synonym group names.
            let found = (1..=MAX_SYNONYM_WORDS.min(self.terms.len() - i)).rev().find_map(|len| {
                let (typed, folded) = (&self.typed[i..i + len], &self.terms[i..i + len]);
                x.synonyms.iter().find(|g| g.names(typed, folded)).map(|g| (len, g))
            });
            let len = found.map_or(1, |(len, _)| len);
            let (typed, folded) = (self.typed[i..i + len].to_vec(), self.terms[i..i + len].to_vec());
            let mut forms = vec![folded.clone()];
            let mut exact = (typed != folded).then(|| vec![typed.clone()]);
            if let Some((_, group)) = found {
                for e in &group.entries {
                    if !forms.contains(e) {
                        forms.push(e.clone());
                    }
                }
                if let Some(exact) = exact.as_mut() {
                    exact.extend(group.written.iter().filter(|e| **e != typed).cloned());
                }
            }
            let word = self.terms[i].as_str();
            if len == 1 {
                if let Some(one) = singular(word) {
                    let one = vec![one.to_string()];
                    // The singular may itself be a synonym ("vests" → "vest" → "gile").
                    if let Some(group) = x.synonyms.iter().find(|g| g.entries.contains(&one)) {
                        forms.extend(group.entries.iter().filter(|e| !forms.contains(e)).cloned().collect::<Vec<_>>());
                    } else if !forms.contains(&one) {
                        forms.push(one);
                    }
                }
                let prefix = last_word(1);
                let known = x.vocabulary.iter().any(|v| v == word || (prefix && v.starts_with(word)));
                if word.chars().count() >= TYPO_MIN_CHARS && !x.vocabulary.is_empty() && !known {
                    let near: Vec<Vec<String>> = x.vocabulary.iter().filter(|v| within_one_edit(v, word)).map(|v| vec![v.clone()]).collect();
                    forms.extend(near.into_iter().filter(|n| !forms.contains(n)).collect::<Vec<_>>());
                }
            }
            out.push(Concept { forms, exact, prefix: last_word(len) && len == 1 });
            i += len;
        }
        out
    }

    fn join(concepts: &[Concept], joiner: &str) -> String {
        concepts
            .iter()
            .map(|c| {
                // Words are alphanumeric (split on anything else), so quoting cannot be escaped out of.
                let forms: Vec<String> = c
                    .forms
                    .iter()
                    .enumerate()
                    .map(|(j, f)| if j == 0 && c.prefix { format!("\"{}\"*", f.join(" ")) } else { format!("\"{}\"", f.join(" ")) })
                    .collect();
                if forms.len() == 1 { forms.into_iter().next().unwrap_or_default() } else { format!("({})", forms.join(" OR ")) }
            })
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


    fn groups(texts: &[&str]) -> Vec<SynonymGroup> {
        texts.iter().map(|t| SynonymGroup::parse(t).unwrap()).collect()
    }

    #[test]
    fn synonym_groups_are_folded_entries_of_up_to_three_words() {
        let g = SynonymGroup::parse(" Vest, GILE, gilê, gilet , ghi lê, ,gile").unwrap();
        assert_eq!(g.text(), "vest, gile, gilê, gilet, ghi lê");
        assert_eq!(g.entries[2], ["gile"]);
        assert_eq!(SynonymGroup::parse("vest"), None, "one word is no group");
        assert_eq!(SynonymGroup::parse("vest, a b c d"), None, "four words are too many");
        assert_eq!(SynonymGroup::parse(&format!("vest, {}", "x".repeat(41))), None);
    }

    #[test]
    fn a_synonym_finds_its_whole_group_and_phrases_stay_phrases() {
        let syn = groups(&["vest, gile, gilet, ghi le, waistcoat"]);
        let x = Expansion { synonyms: &syn, vocabulary: &[] };
        let q = SearchQuery::parse("vest cưới").unwrap().unwrap();
        assert_eq!(q.match_all_with(&x), r#"("vest" OR "gile" OR "gilet" OR "ghi le" OR "waistcoat") AND "cuoi"*"#);
        // "ghi lê" typed as two words is one concept; the last concept is a whole group, not a prefix.
        let q = SearchQuery::parse("ghi le").unwrap().unwrap();
        assert_eq!(q.match_all_with(&x), r#"("ghi le" OR "vest" OR "gile" OR "gilet" OR "waistcoat")"#);
        assert_eq!(q.match_exact_with(&x), None, "nothing typed with marks");
        let q = SearchQuery::parse("len gilet").unwrap().unwrap();
        assert_eq!(q.match_any_with(&x), r#""len" OR ("gilet"* OR "vest" OR "gile" OR "ghi le" OR "waistcoat")"#);
        // Without groups, the expression is the plain one.
        let q = SearchQuery::parse("áo đỏ").unwrap().unwrap();
        assert_eq!(q.match_all_with(&Expansion::default()), r#""ao" AND "do"*"#);
        assert_eq!(q.match_any_with(&Expansion::default()), q.match_any());
    }

    #[test]
    fn words_typed_with_marks_must_have_them_in_the_accent_keeping_index() {
        let syn = groups(&["vest, gile, gilê, ghi lê", "cưới, wedding"]);
        let x = Expansion { synonyms: &syn, vocabulary: &[] };
        // "cuối" (end, weekend) folds like "cưới" (wedding) but is not its synonym.
        let weekend = SearchQuery::parse("gile cuối").unwrap().unwrap();
        assert_eq!(weekend.match_all_with(&x), r#"("gile" OR "vest" OR "ghi le") AND "cuoi"*"#);
        assert_eq!(weekend.match_exact_with(&x).as_deref(), Some(r#""cuối"*"#));
        let wedding = SearchQuery::parse("Vest CƯỚI").unwrap().unwrap();
        assert_eq!(wedding.match_all_with(&x), r#"("vest" OR "gile" OR "ghi le") AND ("cuoi"* OR "wedding")"#);
        assert_eq!(wedding.match_exact_with(&x).as_deref(), Some(r#"("cưới"* OR "wedding")"#));
        // Without marks a word stands for all its accented forms.
        let plain = SearchQuery::parse("ghi le cuoi").unwrap().unwrap();
        assert_eq!(plain.match_exact_with(&x), None);
        assert_eq!(plain.match_all_with(&x), r#"("ghi le" OR "vest" OR "gile") AND ("cuoi"* OR "wedding")"#);
        // Decomposed input keeps the folded search and asks nothing of the marks.
        let nfd = SearchQuery::parse("cu\u{031b}\u{0301}o\u{031b}i").unwrap().unwrap();
        assert_eq!(nfd.terms(), ["cuoi"]);
        assert_eq!(nfd.match_exact_with(&x), None);
    }

    #[test]
    fn english_plurals_find_their_singular_and_its_synonyms() {
        assert_eq!(singular("vests"), Some("vest"));
        assert_eq!(singular("dresses"), Some("dress"));
        assert_eq!(singular("waistcoats"), Some("waistcoat"));
        assert_eq!(singular("boxes"), Some("box"));
        for same in ["dress", "vest", "bus", "cuoi", "gas", "tennis"] {
            assert_eq!(singular(same), None, "{same}");
        }
        let syn = groups(&["vest, gile", "puffer, phao, down"]);
        let x = Expansion { synonyms: &syn, vocabulary: &[] };
        let q = SearchQuery::parse("puffer vests").unwrap().unwrap();
        assert_eq!(q.match_all_with(&x), r#"("puffer" OR "phao" OR "down") AND ("vests"* OR "vest" OR "gile")"#);
    }

    #[test]
    fn one_wrong_letter_is_forgiven_in_words_of_five_letters_or_more() {
        for (a, b) in [("gilet", "gilet"), ("puffer", "pufer"), ("puffer", "puffre"), ("puffer", "puffar"), ("puffer", "xpuffer"), ("cuoi", "cuoj")] {
            assert!(within_one_edit(a, b), "{a} {b}");
        }
        for (a, b) in [("puffer", "pfufre"), ("puffer", "puf"), ("gile", "glie1"), ("vest", "vets1")] {
            assert!(!within_one_edit(a, b), "{a} {b}");
        }
        let vocabulary: Vec<String> = ["puffer", "phao", "ultralight", "outdoor"].iter().map(|s| s.to_string()).collect();
        let x = Expansion { synonyms: &[], vocabulary: &vocabulary };
        let q = SearchQuery::parse("pufer ultarlight").unwrap().unwrap();
        assert_eq!(q.match_all_with(&x), r#"("pufer" OR "puffer") AND ("ultarlight"* OR "ultralight")"#);
        // Short words and words the index has are taken as typed; a last word being typed that
        // begins an indexed word is no typo.
        let q = SearchQuery::parse("phai puffer outdo").unwrap().unwrap();
        assert_eq!(q.match_all_with(&x), r#""phai" AND "puffer" AND "outdo"*"#);
        assert_eq!(q.typo_candidates(), vec!["puffer", "outdo"]);
    }

    #[test]
    fn at_most_eight_terms_are_used() {
        let q = SearchQuery::parse("a b c d e f g h i j").unwrap().unwrap();
        assert_eq!(q.terms().len(), MAX_TERMS);
    }
}
