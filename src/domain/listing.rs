//! What a listing shows: filters, sort and page, parsed from a query string and written back to one.
//!
//! Every piece of listing state lives in the URL so a filtered page can be shared; parsing is strict
//! about values (a clear 400 beats a silently different page) and lenient about unknown keys (tracking
//! parameters such as `utm_source` must not break a link).

use std::collections::BTreeMap;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::money::Vnd;

pub const DEFAULT_PER_PAGE: u32 = 24;
pub const MAX_PER_PAGE: u32 = 60;
pub const MAX_PAGE: u32 = 500;
/// More than any shop has, fewer than an abusive URL needs.
const MAX_VALUES_PER_FILTER: usize = 12;
/// Prices above this are not a vest; they are a typo or a probe.
pub const MAX_PRICE: i64 = 1_000_000_000;
/// The query keys a listing reads.
const FIELDS: [&str; 10] = ["q", "category", "size", "color", "min_price", "max_price", "in_stock", "sort", "page", "per_page"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Sort {
    /// Search results by rank; a category by newest.
    #[default]
    Relevance,
    Newest,
    PriceAsc,
    PriceDesc,
    BestSelling,
}

impl Sort {
    pub const CHOICES: [Sort; 5] = [Sort::Relevance, Sort::Newest, Sort::PriceAsc, Sort::PriceDesc, Sort::BestSelling];

    pub fn code(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Newest => "newest",
            Sort::PriceAsc => "price_asc",
            Sort::PriceDesc => "price_desc",
            Sort::BestSelling => "best_selling",
        }
    }

    pub fn parse(s: &str) -> Option<Sort> {
        Sort::CHOICES.into_iter().find(|sort| sort.code() == s)
    }
}

/// One rejected parameter: which field, and what a person should be told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub problem: Problem,
}

/// Why a parameter was rejected; views turn this into a sentence in the visitor's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    NotANumber,
    OutOfRange { min: i64, max: i64 },
    UnknownChoice,
    TooMany,
    BadValue,
    MinAboveMax,
    /// Not valid percent-encoded UTF-8 (`%zz`, `%FF`).
    BadEncoding,
    Search(super::search::QueryError),
    Required,
    InvalidEmail,
    InvalidPhone,
    TooLong { max: usize },
    TooShort { min: usize },
    InsufficientStock { available: i64 },
    /// Cash on delivery is not available for this order (`payment_provider`).
    CodUnavailable(super::checkout::CodRefusal),
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ListingQuery {
    pub q: Option<String>,
    pub category: Option<String>,
    pub sizes: Vec<String>,
    pub colors: Vec<String>,
    pub min_price: Option<Vnd>,
    pub max_price: Option<Vnd>,
    pub in_stock: bool,
    pub sort: Sort,
    pub page: u32,
    pub per_page: u32,
}

impl ListingQuery {
    /// Parses decoded query pairs. All problems are reported at once, so a form can show each.
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<ListingQuery, Vec<FieldError>> {
        let mut query = ListingQuery { page: 1, per_page: DEFAULT_PER_PAGE, ..ListingQuery::default() };
        let mut errors = Vec::new();
        let mut fail = |field, problem| errors.push(FieldError { field, problem });
        for (key, value) in pairs {
            let value = value.trim();
            match key {
                "q" => {
                    if !value.is_empty() {
                        query.q = Some(value.to_string());
                    }
                }
                "category" if !value.is_empty() => match super::slug::Slug::parse(value) {
                    Some(slug) => query.category = Some(slug.as_str().to_string()),
                    None => fail("category", Problem::BadValue),
                },
                "size" => {
                    for v in value.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                        let code = v.to_ascii_uppercase();
                        if !is_size_code(&code) {
                            fail("size", Problem::BadValue);
                        } else if !query.sizes.contains(&code) {
                            query.sizes.push(code);
                        }
                    }
                }
                "color" => {
                    for v in value.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                        if !is_color_code(v) {
                            fail("color", Problem::BadValue);
                        } else if !query.colors.iter().any(|c| c == v) {
                            query.colors.push(v.to_string());
                        }
                    }
                }
                "min_price" if !value.is_empty() => match parse_int(value, 0, MAX_PRICE) {
                    Ok(n) => query.min_price = Some(Vnd::new(n)),
                    Err(p) => fail("min_price", p),
                },
                "max_price" if !value.is_empty() => match parse_int(value, 0, MAX_PRICE) {
                    Ok(n) => query.max_price = Some(Vnd::new(n)),
                    Err(p) => fail("max_price", p),
                },
                "in_stock" => match value {
                    "" | "0" | "false" | "off" => query.in_stock = false,
                    "1" | "true" | "on" => query.in_stock = true,
                    _ => fail("in_stock", Problem::BadValue),
                },
                "sort" if !value.is_empty() => match Sort::parse(value) {
                    Some(sort) => query.sort = sort,
                    None => fail("sort", Problem::UnknownChoice),
                },
                "page" if !value.is_empty() => match parse_int(value, 1, i64::from(MAX_PAGE)) {
                    Ok(n) => query.page = n as u32,
                    Err(p) => fail("page", p),
                },
                "per_page" if !value.is_empty() => match parse_int(value, 1, i64::from(MAX_PER_PAGE)) {
                    Ok(n) => query.per_page = n as u32,
                    Err(p) => fail("per_page", p),
                },
                _ => {}
            }
        }
        if query.sizes.len() > MAX_VALUES_PER_FILTER {
            fail("size", Problem::TooMany);
        }
        if query.colors.len() > MAX_VALUES_PER_FILTER {
            fail("color", Problem::TooMany);
        }
        if let (Some(min), Some(max)) = (query.min_price, query.max_price) {
            if min > max {
                fail("min_price", Problem::MinAboveMax);
            }
        }
        if errors.is_empty() {
            Ok(query)
        } else {
            Err(errors)
        }
    }

    /// Parses a raw query string (`?a=b&c=d`). A listing parameter whose value is not valid
    /// percent-encoded UTF-8 is reported with the other problems; other keys stay ignored.
    pub fn from_query_string(query: &str) -> Result<ListingQuery, Vec<FieldError>> {
        let mut pairs = Vec::new();
        let mut malformed = Vec::new();
        for (key, value) in split_query(query) {
            let key = percent_decode(key);
            match percent_decode_strict(value) {
                Some(value) => pairs.push((key, value)),
                None => {
                    if let Some(field) = FIELDS.iter().find(|f| **f == key) {
                        malformed.push(FieldError { field, problem: Problem::BadEncoding });
                    }
                }
            }
        }
        let parsed = ListingQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        match parsed {
            Ok(query) if malformed.is_empty() => Ok(query),
            Ok(_) => Err(malformed),
            Err(mut errors) => {
                errors.extend(malformed);
                Err(errors)
            }
        }
    }

    /// The sort actually applied: relevance only means something for a search.
    pub fn effective_sort(&self) -> Sort {
        match (self.sort, self.q.is_some()) {
            (Sort::Relevance, false) => Sort::Newest,
            (sort, _) => sort,
        }
    }

    pub fn has_filters(&self) -> bool {
        !self.sizes.is_empty()
            || !self.colors.is_empty()
            || self.min_price.is_some()
            || self.max_price.is_some()
            || self.in_stock
    }

    /// Filtered or re-sorted views are duplicates of the plain listing for a search engine.
    pub fn is_noindex(&self) -> bool {
        self.has_filters() || self.sort != Sort::Relevance || self.per_page != DEFAULT_PER_PAGE || self.q.is_some()
    }

    pub fn offset(&self) -> u32 {
        (self.page - 1) * self.per_page
    }

    /// Canonical query pairs, in a fixed order, omitting defaults. `category` is left to the path.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(q) = &self.q {
            pairs.push(("q", q.clone()));
        }
        for s in &self.sizes {
            pairs.push(("size", s.clone()));
        }
        for c in &self.colors {
            pairs.push(("color", c.clone()));
        }
        if let Some(n) = self.min_price {
            pairs.push(("min_price", n.minor().to_string()));
        }
        if let Some(n) = self.max_price {
            pairs.push(("max_price", n.minor().to_string()));
        }
        if self.in_stock {
            pairs.push(("in_stock", "1".to_string()));
        }
        if self.sort != Sort::Relevance {
            pairs.push(("sort", self.sort.code().to_string()));
        }
        if self.per_page != DEFAULT_PER_PAGE {
            pairs.push(("per_page", self.per_page.to_string()));
        }
        if self.page != 1 {
            pairs.push(("page", self.page.to_string()));
        }
        pairs
    }

    /// `?a=b&c=d` (or empty) for this state.
    pub fn query_string(&self) -> String {
        encode_pairs(&self.to_pairs())
    }

    pub fn with_page(&self, page: u32) -> ListingQuery {
        ListingQuery { page, ..self.clone() }
    }

    /// The same listing with one size switched on or off, back on page 1.
    pub fn toggle_size(&self, size: &str) -> ListingQuery {
        let mut next = ListingQuery { page: 1, ..self.clone() };
        toggle(&mut next.sizes, size);
        next
    }

    pub fn toggle_color(&self, color: &str) -> ListingQuery {
        let mut next = ListingQuery { page: 1, ..self.clone() };
        toggle(&mut next.colors, color);
        next
    }

    pub fn cleared(&self) -> ListingQuery {
        ListingQuery { q: self.q.clone(), sort: self.sort, per_page: self.per_page, page: 1, ..ListingQuery::default() }
    }
}

/// Pages for a result count: `total_pages(0, 24) == 1` so an empty listing still has a page.
pub fn total_pages(total: u64, per_page: u32) -> u32 {
    let pages = total.div_ceil(u64::from(per_page.max(1))).max(1);
    u32::try_from(pages).unwrap_or(u32::MAX)
}

fn toggle(values: &mut Vec<String>, value: &str) {
    if let Some(i) = values.iter().position(|v| v == value) {
        values.remove(i);
    } else {
        values.push(value.to_string());
    }
}

fn parse_int(value: &str, min: i64, max: i64) -> Result<i64, Problem> {
    if value.len() > 12 || !value.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return Err(Problem::NotANumber);
    }
    let n: i64 = value.parse().map_err(|_| Problem::NotANumber)?;
    if n < min || n > max {
        return Err(Problem::OutOfRange { min, max });
    }
    Ok(n)
}

fn is_size_code(s: &str) -> bool {
    (1..=6).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn is_color_code(s: &str) -> bool {
    (1..=30).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
}

/// Encodes pairs as a query string with a leading `?`, or "" when there are none.
pub fn encode_pairs(pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", k, percent_encode(v))).collect();
    format!("?{}", body.join("&"))
}

/// What percent-encoding leaves as it is: RFC 3986's unreserved characters (letters, digits,
/// `-`, `_`, `.`, `~`); every other byte, UTF-8 included, becomes `%XX` with upper-case hex.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes everything but unreserved characters (RFC 3986), spaces as `+`
/// (`application/x-www-form-urlencoded`, as query strings and form bodies carry them).
pub fn percent_encode(s: &str) -> String {
    // Every `%` of the encoded text starts an escape (a literal `%` is `%25`), so each `%20` is a space.
    percent_encode_component(s).replace("%20", "+")
}

/// Percent-encodes everything but unreserved characters (RFC 3986), spaces as `%20`: a URL
/// component that is read back as it is, not as a form.
pub fn percent_encode_component(s: &str) -> String {
    utf8_percent_encode(s, ESCAPED).to_string()
}

/// Decodes an `application/x-www-form-urlencoded` string into pairs. Invalid UTF-8 is replaced,
/// never panicked on.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    split_query(query).map(|(k, v)| (percent_decode(k), percent_decode(v))).collect()
}

/// A listing's query without its empty fields (`min_price=&max_price=` from a filter form submitted
/// without JavaScript), as the one URL of the page; `None` when nothing is empty. An empty field
/// means "no filter", so the page is the same without it.
pub fn without_empty_fields(query: &str) -> Option<String> {
    let parts: Vec<&str> = query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()).collect();
    let kept: Vec<&str> = parts.iter().copied().filter(|p| p.split_once('=').is_some_and(|(_, v)| !v.is_empty())).collect();
    if kept.len() == parts.len() {
        return None;
    }
    Some(if kept.is_empty() { String::new() } else { format!("?{}", kept.join("&")) })
}

/// The raw `key=value` parts of a query string, still encoded.
fn split_query(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| part.split_once('=').unwrap_or((part, "")))
}

/// Decodes leniently: `+` is a space, a `%` without two hex digits stays as it is, invalid UTF-8
/// is replaced.
pub fn percent_decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned()
}

/// Decodes strictly: `None` for what no browser sends, a `%` without two hex digits (`%zz`) or
/// bytes that are not UTF-8 (`%FF`).
pub fn percent_decode_strict(s: &str) -> Option<String> {
    let well_formed = s.split('%').skip(1).all(|rest| rest.as_bytes().get(..2).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)));
    if !well_formed {
        return None;
    }
    percent_decode_str(&s.replace('+', " ")).decode_utf8().ok().map(|text| text.into_owned())
}

/// Groups repeated keys, for callers that want `size=M&size=L` as one list.
pub fn group_pairs(pairs: &[(String, String)]) -> BTreeMap<&str, Vec<&str>> {
    let mut map: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, v) in pairs {
        map.entry(k.as_str()).or_default().push(v.as_str());
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_filter_fields_are_dropped_from_the_url_and_nothing_else() {
        assert_eq!(without_empty_fields("?size=M&min_price=&max_price=&sort=newest").as_deref(), Some("?size=M&sort=newest"));
        assert_eq!(without_empty_fields("?min_price=&max_price=").as_deref(), Some(""));
        assert_eq!(without_empty_fields("?in_stock").as_deref(), Some(""), "a bare key is empty too");
        assert_eq!(without_empty_fields("?size=M&color=navy"), None);
        assert_eq!(without_empty_fields(""), None);
    }

    fn parse(q: &str) -> Result<ListingQuery, Vec<FieldError>> {
        let pairs = parse_query(q);
        ListingQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    fn fields(q: &str) -> Vec<&'static str> {
        parse(q).unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn an_empty_query_is_the_default_listing() {
        let q = parse("").unwrap();
        assert_eq!((q.page, q.per_page, q.sort, q.in_stock), (1, DEFAULT_PER_PAGE, Sort::Relevance, false));
        assert_eq!(q.effective_sort(), Sort::Newest);
        assert!(!q.is_noindex());
        assert_eq!(q.query_string(), "");
    }

    #[test]
    fn filters_accept_repeats_and_commas_and_round_trip() {
        let q = parse("size=m&size=L,XL&color=navy&color=black&min_price=100000&max_price=900000&in_stock=1&sort=price_asc&page=2&utm_source=fb").unwrap();
        assert_eq!(q.sizes, ["M", "L", "XL"]);
        assert_eq!(q.colors, ["navy", "black"]);
        assert_eq!((q.min_price, q.max_price, q.in_stock, q.sort, q.page), (Some(Vnd::new(100_000)), Some(Vnd::new(900_000)), true, Sort::PriceAsc, 2));
        assert!(q.is_noindex());
        let again = parse(&q.query_string()).unwrap();
        assert_eq!(again, q);
    }

    #[test]
    fn bad_values_are_reported_per_field() {
        let cases: [(&str, &[&str]); 10] = [
            ("sort=cheapest", &["sort"]),
            ("page=-1", &["page"]),
            ("page=0", &["page"]),
            ("page=abc", &["page"]),
            ("per_page=10000", &["per_page"]),
            ("min_price=12.5", &["min_price"]),
            ("min_price=99999999999999999999", &["min_price"]),
            ("min_price=500&max_price=100", &["min_price"]),
            ("size=<script>&color=Red!", &["size", "color"]),
            ("in_stock=maybe", &["in_stock"]),
        ];
        for (q, expected) in cases {
            assert_eq!(fields(q), expected, "{q}");
        }
    }

    #[test]
    fn toggling_a_facet_returns_to_page_one() {
        let q = parse("size=M&page=3").unwrap();
        let off = q.toggle_size("M");
        assert!(off.sizes.is_empty());
        assert_eq!(off.page, 1);
        let on = q.toggle_color("navy");
        assert_eq!((on.sizes.len(), on.colors.len(), on.page), (1, 1, 1));
    }

    #[test]
    fn pages_cover_every_result() {
        assert_eq!(total_pages(0, 24), 1);
        assert_eq!(total_pages(24, 24), 1);
        assert_eq!(total_pages(25, 24), 2);
    }

    #[test]
    fn percent_coding_round_trips_vietnamese() {
        let text = "áo vest đỏ & xanh";
        let encoded = percent_encode(text);
        assert!(encoded.is_ascii());
        assert_eq!(percent_decode(&encoded), text);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%FF"), "\u{fffd}");
        assert_eq!(percent_decode_strict(&encoded).as_deref(), Some(text));
        for malformed in ["100%", "%zz", "%4", "a%g1", "%FF"] {
            assert_eq!(percent_decode_strict(malformed), None, "{malformed}");
        }
    }

    #[test]
    fn percent_encoding_is_pinned_byte_for_byte() {
        // Listing links become edge-cache keys and gateway URLs: their bytes must not drift.
        let cases = [
            ("áo vest đỏ & xanh", "%C3%A1o+vest+%C4%91%E1%BB%8F+%26+xanh"),
            ("Áo gile cổ V", "%C3%81o+gile+c%E1%BB%95+V"),
            ("Đầm ½ 🙂", "%C4%90%E1%BA%A7m+%C2%BD+%F0%9F%99%82"),
            ("a+b=c&d/e?f#g%h", "a%2Bb%3Dc%26d%2Fe%3Ff%23g%25h"),
            ("*'()!$,;:@[]", "%2A%27%28%29%21%24%2C%3B%3A%40%5B%5D"),
            ("\t\n\"<>\\^`{|}\u{7f}", "%09%0A%22%3C%3E%5C%5E%60%7B%7C%7D%7F"),
            ("AZaz09-_.~", "AZaz09-_.~"),
            ("", ""),
        ];
        for (text, encoded) in cases {
            assert_eq!(percent_encode(text), encoded, "{text:?}");
            assert_eq!(percent_decode(encoded), text, "{encoded}");
            assert_eq!(percent_decode_strict(encoded).as_deref(), Some(text), "{encoded}");
        }
        // As a URL component (admin links and redirects), spaces stay `%20`.
        assert_eq!(percent_encode_component("Áo gile cổ V"), "%C3%81o%20gile%20c%E1%BB%95%20V");
        assert_eq!(percent_encode_component("a+b %20/ơ"), "a%2Bb%20%2520%2F%C6%A1");
        let q = parse("q=%C3%A1o+vest%2Bgile&size=xl&sort=price_asc&page=2").unwrap();
        assert_eq!(q.query_string(), "?q=%C3%A1o+vest%2Bgile&size=XL&sort=price_asc&page=2");
    }

    #[test]
    fn malformed_encoding_is_reported_for_listing_fields_only() {
        let errors = ListingQuery::from_query_string("?q=%zz&size=M&sort=cheapest&utm_source=%E0%A4").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field, e.problem)).collect();
        assert_eq!(fields, [("sort", Problem::UnknownChoice), ("q", Problem::BadEncoding)]);
        let q = ListingQuery::from_query_string("?q=%C3%A1o+vest&utm_source=%zz&size=m").unwrap();
        assert_eq!((q.q.as_deref(), q.sizes.as_slice()), (Some("áo vest"), ["M".to_string()].as_slice()));
    }
}
