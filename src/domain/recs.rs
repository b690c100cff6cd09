//! Recommendations without a model server: three lists per product, computed from the catalog and
//! the shop's own history (item-to-item, as Linden, Smith and York describe Amazon's), and the
//! offline evaluation that compares them with a popularity list (`./scripts/bench-recs`).
//!
//! - **Similar** (content): same category (or sibling), attribute words (tags, material, name,
//!   folded and weighted by rarity), colours and price band.
//! - **Bought together**: co-purchase in paid orders, as a smoothed estimate of P(b | a) whose prior
//!   is learnt from the category's baskets and the shop's (`blended`); filled with similar items
//!   when there are no orders at all.
//! - **Also viewed**: co-views of one visitor on one day, an asymmetric cosine
//!   `co(a, b) / (n(a)^0.8 · n(b)^0.2)` with a minimum support (`co_occurrence`).
//!
//! Everything here is pure and deterministic (ties broken by id), so the cron pass and the benchmark
//! compute the same lists from the same input.

use std::collections::{BTreeMap, HashMap};

use super::listing::{FieldError, Problem};

/// How many products each stored list keeps (the page shows 4; the API gives up to this many).
pub const LIST_LEN: usize = 12;
/// Fewest baskets (or view sessions) two products must share before the pair counts.
pub const MIN_SUPPORT: u32 = 2;
/// How far back the orders that count for "bought together" go.
pub const ORDER_WINDOW_DAYS: i64 = 180;
/// How far back the product views that count for "also viewed" go.
pub const VIEW_WINDOW_DAYS: i64 = 60;
/// A basket (or session) longer than this counts its first this-many products only: pairs grow with
/// the square of the length, and a wholesale order says little about what goes together.
pub const MAX_BASKET: usize = 24;

/// Which list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecKind {
    Similar,
    BoughtTogether,
    AlsoViewed,
}

impl RecKind {
    pub const ALL: [RecKind; 3] = [RecKind::Similar, RecKind::BoughtTogether, RecKind::AlsoViewed];

    pub fn as_str(self) -> &'static str {
        match self {
            RecKind::Similar => "similar",
            RecKind::BoughtTogether => "bought_together",
            RecKind::AlsoViewed => "also_viewed",
        }
    }

    pub fn parse(s: &str) -> Option<RecKind> {
        RecKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Cards a list gives when the request does not say.
pub const DEFAULT_LIMIT: i64 = 4;

/// `?kind=&limit=` of the recommendations endpoint: `kind` defaults to `similar`, `limit` to 4
/// (1 to `LIST_LEN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecQuery {
    pub kind: RecKind,
    pub limit: i64,
}

impl RecQuery {
    pub fn parse(kind: Option<&str>, limit: Option<&str>) -> Result<RecQuery, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = match kind.map(str::trim).filter(|k| !k.is_empty()) {
            None => RecKind::Similar,
            Some(k) => RecKind::parse(k).unwrap_or_else(|| {
                errors.push(FieldError { field: "kind", problem: Problem::UnknownChoice });
                RecKind::Similar
            }),
        };
        let max = LIST_LEN as i64;
        let limit = match limit.map(str::trim).filter(|l| !l.is_empty()) {
            None => DEFAULT_LIMIT,
            Some(l) => match l.parse::<i64>() {
                Ok(n) if (1..=max).contains(&n) => n,
                Ok(_) => {
                    errors.push(FieldError { field: "limit", problem: Problem::OutOfRange { min: 1, max } });
                    DEFAULT_LIMIT
                }
                Err(_) => {
                    errors.push(FieldError { field: "limit", problem: Problem::NotANumber });
                    DEFAULT_LIMIT
                }
            },
        };
        if errors.is_empty() { Ok(RecQuery { kind, limit }) } else { Err(errors) }
    }
}

/// What the content similarity looks at, per product.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Item {
    pub id: i64,
    pub category_id: i64,
    /// The category's parent: two products of sibling categories are a little alike.
    pub parent_category_id: Option<i64>,
    /// Attribute words (tags, material, name), any case and marks: folded here.
    pub words: Vec<String>,
    pub colors: Vec<String>,
    /// The cheapest active variant's price, in đồng.
    pub price: i64,
}

/// One recommended product and its score (higher is better).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scored {
    pub id: i64,
    pub score: f64,
}

/// Each product's list, best first.
pub type Lists = BTreeMap<i64, Vec<Scored>>;

/// The words of an attribute text, folded (marks and case), split on anything not a letter or a digit;
/// numbers and one-letter words say nothing about style.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 1 && !w.chars().all(|c| c.is_ascii_digit()))
        .map(crate::domain::search::fold)
}

/// Weights of the content similarity's parts (they add up to 1).
const W_CATEGORY: f64 = 0.35;
const W_WORDS: f64 = 0.35;
const W_COLORS: f64 = 0.1;
const W_PRICE: f64 = 0.2;
/// Prices further apart than this factor (e.g. 2×) share no price band at all.
const PRICE_SPAN: f64 = std::f64::consts::LN_2;

/// Content similarity: each product's `k` most alike others (never itself).
pub fn similar(items: &[Item], k: usize) -> Lists {
    // Words weighted by rarity (idf): "gile" on every product says nothing, "tweed" a lot.
    let mut df: HashMap<String, u32> = HashMap::new();
    let token_sets: Vec<Vec<String>> = items
        .iter()
        .map(|item| {
            let mut ws: Vec<String> = item.words.iter().flat_map(|w| words(w)).collect();
            ws.sort();
            ws.dedup();
            ws
        })
        .collect();
    for ws in &token_sets {
        for w in ws {
            *df.entry(w.clone()).or_default() += 1;
        }
    }
    let n = items.len().max(1) as f64;
    // Each product's words as (word index, weight), sorted by index, for a merge-join per pair.
    let mut index: HashMap<&str, u32> = HashMap::new();
    let weighted: Vec<Vec<(u32, f64)>> = token_sets
        .iter()
        .map(|ws| {
            let mut v: Vec<(u32, f64)> = ws
                .iter()
                .map(|w| {
                    let next = index.len() as u32;
                    let i = *index.entry(w.as_str()).or_insert(next);
                    (i, (n / f64::from(df[w])).ln().max(0.0))
                })
                .collect();
            v.sort_by_key(|&(i, _)| i);
            v
        })
        .collect();
    let totals: Vec<f64> = weighted.iter().map(|v| v.iter().map(|&(_, w)| w).sum()).collect();
    let mut lists = Lists::new();
    for (a, item) in items.iter().enumerate() {
        let mut scored: Vec<Scored> = Vec::with_capacity(items.len());
        for (b, other) in items.iter().enumerate() {
            if a == b || other.id == item.id {
                continue;
            }
            let category = if item.category_id == other.category_id {
                1.0
            } else if item.parent_category_id.is_some() && item.parent_category_id == other.parent_category_id {
                0.4
            } else {
                0.0
            };
            let shared = shared_weight(&weighted[a], &weighted[b]);
            let union = totals[a] + totals[b] - shared;
            let words = if union > 0.0 { shared / union } else { 0.0 };
            let colors = jaccard(&item.colors, &other.colors);
            let price = if item.price > 0 && other.price > 0 {
                (1.0 - (item.price as f64 / other.price as f64).ln().abs() / PRICE_SPAN).max(0.0)
            } else {
                0.0
            };
            let score = W_CATEGORY * category + W_WORDS * words + W_COLORS * colors + W_PRICE * price;
            if score > 0.0 {
                scored.push(Scored { id: other.id, score });
            }
        }
        lists.insert(item.id, top(scored, k));
    }
    lists
}

fn shared_weight(a: &[(u32, f64)], b: &[(u32, f64)]) -> f64 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

fn jaccard(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.iter().filter(|x| b.contains(x)).count() as f64;
    shared / (a.len() as f64 + b.len() as f64 - shared)
}

/// The best `k`, best first; equal scores by id, so the lists do not depend on hash order.
fn top(mut scored: Vec<Scored>, k: usize) -> Vec<Scored> {
    scored.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.id.cmp(&y.id)));
    scored.truncate(k);
    scored
}

/// The asymmetric cosine's exponent (also viewed): `b` in `a`'s list scores
/// `co(a, b) / (n(a)^(1-α) · n(b)^α)`. α = 0.5 is the plain cosine; a smaller α penalises a popular
/// `b` less. On the benchmark's orders (docs/BENCHMARKS.md) 0.2 lifted HitRate@8 from 1.10× to 1.33×
/// the popularity list's; bought together now uses `blended` (1.39×).
pub const ALPHA: f64 = 0.2;

/// How many baskets hold each product, and each pair (smaller id first); a product repeated within a
/// basket counts once, a basket counts its first `MAX_BASKET` products.
fn basket_counts(baskets: &[Vec<i64>]) -> (HashMap<i64, u32>, HashMap<(i64, i64), u32>) {
    let mut count: HashMap<i64, u32> = HashMap::new();
    let mut pairs: HashMap<(i64, i64), u32> = HashMap::new();
    let mut basket: Vec<i64> = Vec::new();
    for b in baskets {
        basket.clear();
        for &id in b {
            if !basket.contains(&id) {
                basket.push(id);
                if basket.len() == MAX_BASKET {
                    break;
                }
            }
        }
        for (i, &x) in basket.iter().enumerate() {
            *count.entry(x).or_default() += 1;
            for &y in &basket[i + 1..] {
                *pairs.entry(if x < y { (x, y) } else { (y, x) }).or_default() += 1;
            }
        }
    }
    (count, pairs)
}

/// Co-occurrence lists over baskets (orders' products, or a visitor's views of a day): for each
/// product the `k` others with the highest asymmetric cosine (see `ALPHA`), among pairs seen
/// together in at least `min_support` baskets. A product repeated within a basket counts once.
pub fn co_occurrence(baskets: &[Vec<i64>], min_support: u32, k: usize) -> Lists {
    let (count, pairs) = basket_counts(baskets);
    let mut per: HashMap<i64, Vec<Scored>> = HashMap::new();
    for (&(x, y), &co) in &pairs {
        if co < min_support.max(1) {
            continue;
        }
        let (co, nx, ny) = (f64::from(co), f64::from(count[&x]), f64::from(count[&y]));
        per.entry(x).or_default().push(Scored { id: y, score: co / (nx.powf(1.0 - ALPHA) * ny.powf(ALPHA)) });
        per.entry(y).or_default().push(Scored { id: x, score: co / (ny.powf(1.0 - ALPHA) * nx.powf(ALPHA)) });
    }
    per.into_iter().map(|(id, scored)| (id, top(scored, k))).collect()
}

/// Strengths of the priors of `blended` (in baskets' worth of evidence): a product's own
/// co-purchases are pulled towards its category's by `product`, the category's towards the shop's
/// by `category`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Smoothing {
    pub product: f64,
    pub category: f64,
}

impl Smoothing {
    /// Chosen on the benchmark's history (docs/BENCHMARKS.md, "Recommendations").
    pub const DEFAULT: Smoothing = Smoothing { product: 10.0, category: 100.0 };
}

/// "Bought together" as an estimate of P(b in the basket | a in the basket), smoothed in two
/// levels (a Dirichlet prior at each, learnt from the same baskets):
///
/// - shop: `r(b)`, how often `b` comes with any product (the popularity fallback of the long tail);
/// - category: `q(c, b) = (co(c, b) + S.category · r(b)) / (n(c) + S.category)`, how often `b` comes
///   with a product of category `c` (the category affinity: denser than one product's pairs);
/// - product: `(co(a, b) + S.product · q(cat a, b)) / (n(a) + S.product)`.
///
/// A product with few orders gets its category's companions, one with many its own; a planted
/// pair (co ≈ n(a) · p) keeps its place at every size. Lists for every product of `category`
/// (id → category id), whether or not it was ordered; candidates are the products seen in
/// baskets. Best first, `k` long, ties by id.
pub fn blended(baskets: &[Vec<i64>], category: &HashMap<i64, i64>, smoothing: Smoothing, k: usize) -> Lists {
    let (count, pairs) = basket_counts(baskets);
    let total: f64 = count.values().map(|&n| f64::from(n)).sum();
    let cat = |id: i64| category.get(&id).copied();
    // Per product: its partners; per (category, product): co-purchases with the category's products.
    let mut partners: HashMap<i64, Vec<(i64, f64)>> = HashMap::new();
    let mut with_shop: HashMap<i64, f64> = HashMap::new();
    let mut with_category: HashMap<(i64, i64), f64> = HashMap::new();
    for (&(x, y), &co) in &pairs {
        let co = f64::from(co);
        partners.entry(x).or_default().push((y, co));
        partners.entry(y).or_default().push((x, co));
        *with_shop.entry(x).or_default() += co;
        *with_shop.entry(y).or_default() += co;
        if let Some(c) = cat(x) {
            *with_category.entry((c, y)).or_default() += co;
        }
        if let Some(c) = cat(y) {
            *with_category.entry((c, x)).or_default() += co;
        }
    }
    let mut in_category: HashMap<i64, f64> = HashMap::new();
    for (&id, &n) in &count {
        if let Some(c) = cat(id) {
            *in_category.entry(c).or_default() += f64::from(n);
        }
    }
    let n_of = |id: i64| count.get(&id).map_or(0.0, |&n| f64::from(n));
    // b's rate with any other product, with products of category c (never counting b with itself).
    let shop = |b: i64| {
        let others = total - n_of(b);
        if others > 0.0 { with_shop.get(&b).copied().unwrap_or(0.0) / others } else { 0.0 }
    };
    let in_cat = |c: i64, b: i64| {
        let others = in_category.get(&c).copied().unwrap_or(0.0) - if cat(b) == Some(c) { n_of(b) } else { 0.0 };
        let co = with_category.get(&(c, b)).copied().unwrap_or(0.0);
        (co + smoothing.category * shop(b)) / (others.max(0.0) + smoothing.category)
    };
    // Without pairs of its own, a product's best are its category's (or the shop's) best: those
    // k + 1 (one may be the product itself) are every product's candidates besides its partners.
    let ids: Vec<i64> = {
        let mut ids: Vec<i64> = count.keys().copied().collect();
        ids.sort_unstable();
        ids
    };
    let mut best_of: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut lists = Lists::new();
    for (&a, &c) in category {
        let best = best_of
            .entry(c)
            .or_insert_with(|| top(ids.iter().map(|&b| Scored { id: b, score: in_cat(c, b) }).collect(), k + 1).into_iter().map(|s| s.id).collect());
        let na = n_of(a);
        let mut candidates: Vec<(i64, f64)> = partners.get(&a).cloned().unwrap_or_default();
        for &b in best.iter() {
            if !candidates.iter().any(|&(id, _)| id == b) {
                candidates.push((b, 0.0));
            }
        }
        let scored = candidates
            .into_iter()
            .filter(|&(b, _)| b != a)
            .map(|(b, co)| Scored { id: b, score: (co + smoothing.product * in_cat(c, b)) / (na + smoothing.product) })
            .filter(|s| s.score > 0.0)
            .collect();
        lists.insert(a, top(scored, k));
    }
    lists
}

/// `primary`'s lists filled up to `k` from `fallback` (items not already there), for products whose
/// history is thin; every filled-in item scores below the list's own, so the order keeps the evidence.
pub fn with_fallback(primary: &Lists, fallback: &Lists, k: usize) -> Lists {
    let mut out = Lists::new();
    for (&id, backup) in fallback {
        let mut list: Vec<Scored> = primary.get(&id).map_or_else(Vec::new, |l| l.iter().copied().take(k).collect());
        let floor = list.last().map_or(1.0, |s| s.score).min(1.0);
        for s in backup {
            if list.len() >= k {
                break;
            }
            if s.id != id && !list.iter().any(|x| x.id == s.id) {
                // Scaled into (0, floor): below every list item, in the fallback's own order.
                list.push(Scored { id: s.id, score: floor * 0.5 * s.score.clamp(0.0, 1.0) });
            }
        }
        out.insert(id, list);
    }
    for (&id, list) in primary {
        out.entry(id).or_insert_with(|| list.iter().copied().take(k).collect());
    }
    out
}

/// Keeps only products in `keep` (e.g. the active ones), on both sides of every list.
pub fn retain(lists: &mut Lists, keep: impl Fn(i64) -> bool) {
    lists.retain(|&id, _| keep(id));
    for list in lists.values_mut() {
        list.retain(|s| keep(s.id));
    }
}

/// Recommendations for a set of products (a cart, an order, a basket with one item hidden): each
/// product's list contributes its scores; products of the set are left out. Best first, `k` long.
pub fn for_set(lists: &Lists, set: &[i64], k: usize) -> Vec<i64> {
    let mut sum: HashMap<i64, f64> = HashMap::new();
    for id in set {
        for s in lists.get(id).map_or(&[][..], Vec::as_slice) {
            if !set.contains(&s.id) {
                *sum.entry(s.id).or_default() += s.score;
            }
        }
    }
    top(sum.into_iter().map(|(id, score)| Scored { id, score }).collect(), k).into_iter().map(|s| s.id).collect()
}

/// The popularity baseline: products by how many baskets hold them, most first.
pub fn popularity(baskets: &[Vec<i64>]) -> Vec<i64> {
    let mut count: HashMap<i64, u32> = HashMap::new();
    for b in baskets {
        let mut seen: Vec<i64> = Vec::new();
        for &id in b {
            if !seen.contains(&id) {
                seen.push(id);
                *count.entry(id).or_default() += 1;
            }
        }
    }
    let mut ids: Vec<(i64, u32)> = count.into_iter().collect();
    ids.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ids.into_iter().map(|(id, _)| id).collect()
}

/// "Add X ₫ more for free shipping": of the candidates `(id, price)` (in recommendation order), the
/// ones whose price alone closes `gap`, cheapest first (the smallest extra spend), at most `k`.
/// Nothing when there is no gap.
pub fn gap_fillers(candidates: &[(i64, i64)], gap: i64, k: usize) -> Vec<i64> {
    if gap <= 0 {
        return Vec::new();
    }
    let mut fits: Vec<(usize, i64, i64)> = candidates.iter().enumerate().filter(|(_, &(_, price))| price >= gap).map(|(i, &(id, price))| (i, id, price)).collect();
    fits.sort_by_key(|&(i, _, price)| (price, i));
    fits.into_iter().take(k).map(|(_, id, _)| id).collect()
}

/// Hide-one evaluation's figures.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Figures {
    /// Cases evaluated (one per hidden item).
    pub cases: u32,
    pub hit_at_4: f64,
    pub hit_at_8: f64,
    /// Mean reciprocal rank of the hidden item within the first 8 (0 when not there).
    pub mrr: f64,
}

/// Where a hidden item's recommendations come from.
pub enum Recommender<'a> {
    Lists(&'a Lists),
    /// The same ranking for everyone (the popularity baseline), minus what the set holds.
    Ranking(&'a [i64]),
    /// Any other ranking of a set's recommendations, best first (the benchmark's oracle).
    Custom(&'a dyn Fn(&[i64], usize) -> Vec<i64>),
}

impl Recommender<'_> {
    fn recommend(&self, set: &[i64], k: usize) -> Vec<i64> {
        match self {
            Recommender::Lists(lists) => for_set(lists, set, k),
            Recommender::Ranking(ids) => ids.iter().copied().filter(|id| !set.contains(id)).take(k).collect(),
            Recommender::Custom(rank) => rank(set, k),
        }
    }
}

/// Leave-one-out over test baskets: in every basket of two or more distinct products, each product
/// in turn is hidden and recommended for from the others; a hit is the hidden product among the
/// first 4 (8). Sessions longer than `MAX_BASKET` are cut as the lists' computation cuts them.
pub fn evaluate(rec: &Recommender, test: &[Vec<i64>]) -> Figures {
    let (mut cases, mut h4, mut h8, mut rr) = (0u32, 0u32, 0u32, 0.0);
    for b in test {
        let mut basket: Vec<i64> = Vec::new();
        for &id in b {
            if !basket.contains(&id) && basket.len() < MAX_BASKET {
                basket.push(id);
            }
        }
        if basket.len() < 2 {
            continue;
        }
        for hidden in 0..basket.len() {
            let rest: Vec<i64> = basket.iter().enumerate().filter(|&(i, _)| i != hidden).map(|(_, &id)| id).collect();
            let got = rec.recommend(&rest, 8);
            cases += 1;
            if let Some(rank) = got.iter().position(|&id| id == basket[hidden]) {
                h8 += 1;
                if rank < 4 {
                    h4 += 1;
                }
                rr += 1.0 / (rank as f64 + 1.0);
            }
        }
    }
    let per = |x: f64| if cases == 0 { 0.0 } else { x / f64::from(cases) };
    Figures { cases, hit_at_4: per(f64::from(h4)), hit_at_8: per(f64::from(h8)), mrr: per(rr) }
}

/// Share of `pairs` (a, b) where b is among the first `k` of a's list.
pub fn pairs_found(lists: &Lists, pairs: &[(i64, i64)], k: usize) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    let found = pairs.iter().filter(|(a, b)| lists.get(a).is_some_and(|l| l.iter().take(k).any(|s| s.id == *b))).count();
    found as f64 / pairs.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, category: i64, words: &[&str], colors: &[&str], price: i64) -> Item {
        Item {
            id,
            category_id: category,
            parent_category_id: Some(100),
            words: words.iter().map(|w| w.to_string()).collect(),
            colors: colors.iter().map(|c| c.to_string()).collect(),
            price,
        }
    }

    fn ids(list: &[Scored]) -> Vec<i64> {
        list.iter().map(|s| s.id).collect()
    }

    #[test]
    fn similar_prefers_the_same_category_words_and_price_and_never_lists_the_product_itself() {
        let items = [
            item(1, 10, &["Gilê tweed len", "vintage"], &["brown"], 1_190_000),
            item(2, 10, &["gile tweed", "len", "british"], &["brown", "olive"], 1_090_000),
            item(3, 10, &["gile linen", "summer"], &["beige"], 590_000),
            item(4, 20, &["áo phao", "lông vũ"], &["black"], 1_200_000),
            item(5, 20, &["ao phao", "long vu"], &["black"], 1_250_000),
        ];
        let lists = similar(&items, 12);
        assert_eq!(ids(&lists[&1])[0], 2, "same category, shared rare words (folded), same colour, close price");
        assert_eq!(ids(&lists[&4])[0], 5, "marks and case do not matter");
        for (id, list) in &lists {
            assert!(list.iter().all(|s| s.id != *id));
            assert!(list.windows(2).all(|w| w[0].score >= w[1].score));
        }
        assert_eq!(similar(&items, 2)[&3].len(), 2);
    }

    #[test]
    fn co_occurrence_needs_the_minimum_support_and_scores_by_cosine() {
        let baskets = vec![vec![1, 2], vec![1, 2, 2], vec![1, 3], vec![3, 4], vec![3, 4], vec![3, 4, 1], vec![5, 1]];
        let lists = co_occurrence(&baskets, 2, 12);
        // 1: in 5 baskets; 2: in 2; co(1,2) = 2; 3: in 4, co(1,3) = 2.
        assert_eq!(ids(&lists[&1]), vec![2, 3]);
        let expected = 2.0 / (5f64.powf(1.0 - ALPHA) * 2f64.powf(ALPHA));
        assert!((lists[&1][0].score - expected).abs() < 1e-9);
        assert!(lists[&2][0].score > lists[&1][0].score, "asymmetric: 1 given 2 is likelier than 2 given 1");
        assert_eq!(ids(&lists[&4]), vec![3], "co(4,1) = 1 is under the minimum support");
        assert!(!lists.contains_key(&5), "nothing seen twice with 5");
        assert_eq!(ids(&lists[&2]), vec![1], "a repeat within a basket counts once, never itself");
    }

    #[test]
    fn blended_pulls_a_thin_product_towards_its_category_and_a_well_sold_one_to_its_own_pairs() {
        // Category 10 (1, 2, 3, 4) sells with 50; 60 is the shop's best seller, bought with 70.
        let mut baskets: Vec<Vec<i64>> = Vec::new();
        for a in [1, 2, 3] {
            baskets.extend(std::iter::repeat_n(vec![a, 50], 20));
        }
        baskets.extend(std::iter::repeat_n(vec![70, 60], 100));
        baskets.push(vec![4, 60]); // 4: one order, with the best seller
        baskets.extend(std::iter::repeat_n(vec![1, 99], 40)); // 1: more orders with 99 than with 50
        let category: HashMap<i64, i64> = [(1, 10), (2, 10), (3, 10), (4, 10), (5, 10), (50, 20), (60, 30), (70, 30), (99, 40)].into_iter().collect();
        let s = Smoothing { product: 10.0, category: 100.0 };
        let lists = blended(&baskets, &category, s, 12);
        assert_eq!(ids(&lists[&4])[0], 50, "one order says 60, its category says 50: the category wins");
        assert_eq!(ids(&lists[&1])[..2], [99, 50], "60 orders: its own evidence first");
        assert_eq!(ids(&lists[&5])[0], 50, "never ordered: its category's companions");
        // Shrinking towards the shop's popularity alone (an endless category prior) follows the one order.
        let shop_only = blended(&baskets, &category, Smoothing { product: 10.0, category: 1e12 }, 12);
        assert_eq!(ids(&shop_only[&4])[0], 60);
        for (id, list) in &lists {
            assert!(list.iter().all(|x| x.id != *id && x.score > 0.0 && x.score <= 1.0), "probabilities, never the product itself");
            assert!(list.windows(2).all(|w| w[0].score >= w[1].score));
        }
        // The estimate itself: 2 with 50, 20 orders of 20; q(10, 50) = (60 + 100·r(50)) / (n(10) + 100),
        // n(10) = 60 + 20 + 20 + 1, r(50) = 60 / (every product's orders − 50's).
        let total = (60 + 20 + 20 + 1 + 60 + 101 + 100 + 40) as f64;
        let q = (60.0 + 100.0 * 60.0 / (total - 60.0)) / (101.0 + 100.0);
        let expected = (20.0 + 10.0 * q) / (20.0 + 10.0);
        assert!((lists[&2][0].score - expected).abs() < 1e-9, "{} against {expected}", lists[&2][0].score);
        assert!(blended(&[], &category, s, 12).values().all(Vec::is_empty), "no orders, no lists (the similar ones fill them)");
    }

    #[test]
    fn thin_history_is_filled_from_similar_below_the_evidence() {
        let bought: Lists = [(1, vec![Scored { id: 2, score: 0.3 }])].into_iter().collect();
        let similar: Lists = [
            (1, vec![Scored { id: 2, score: 0.9 }, Scored { id: 3, score: 0.8 }, Scored { id: 4, score: 0.7 }]),
            (9, vec![Scored { id: 1, score: 0.6 }]),
        ]
        .into_iter()
        .collect();
        let lists = with_fallback(&bought, &similar, 3);
        assert_eq!(ids(&lists[&1]), vec![2, 3, 4]);
        assert!(lists[&1][1].score < 0.3 && lists[&1][2].score < lists[&1][1].score);
        assert_eq!(ids(&lists[&9]), vec![1], "no purchases at all: the similar list");
        assert_eq!(with_fallback(&bought, &similar, 1)[&1].len(), 1);
    }

    #[test]
    fn retain_drops_products_on_both_sides() {
        let mut lists: Lists = [(1, vec![Scored { id: 2, score: 0.3 }, Scored { id: 3, score: 0.2 }]), (2, vec![Scored { id: 1, score: 0.3 }])]
            .into_iter()
            .collect();
        retain(&mut lists, |id| id != 2);
        assert_eq!(lists.len(), 1);
        assert_eq!(ids(&lists[&1]), vec![3]);
    }

    #[test]
    fn a_set_gets_the_sum_of_its_lists_without_its_own_products() {
        let lists: Lists = [
            (1, vec![Scored { id: 2, score: 0.5 }, Scored { id: 3, score: 0.4 }]),
            (2, vec![Scored { id: 3, score: 0.3 }, Scored { id: 1, score: 0.5 }]),
        ]
        .into_iter()
        .collect();
        assert_eq!(for_set(&lists, &[1, 2], 4), vec![3]);
        assert_eq!(for_set(&lists, &[1], 4), vec![2, 3]);
    }

    #[test]
    fn hide_one_counts_hits_at_4_and_8_and_the_reciprocal_rank() {
        let lists: Lists = [(1, vec![Scored { id: 2, score: 0.9 }]), (2, vec![Scored { id: 3, score: 0.9 }, Scored { id: 1, score: 0.8 }])]
            .into_iter()
            .collect();
        // Basket [1, 2]: hide 1 → from [2]: [3, 1] (rank 2); hide 2 → from [1]: [2] (rank 1).
        let f = evaluate(&Recommender::Lists(&lists), &[vec![1, 2], vec![7]]);
        assert_eq!(f.cases, 2);
        assert_eq!((f.hit_at_4, f.hit_at_8), (1.0, 1.0));
        assert!((f.mrr - 0.75).abs() < 1e-9);
        let ranking = [5, 6, 7, 8, 9, 10, 11, 12, 1];
        let f = evaluate(&Recommender::Ranking(&ranking), &[vec![1, 2]]);
        assert_eq!((f.hit_at_4, f.hit_at_8, f.mrr), (0.0, 0.0, 0.0), "1 is ninth, 2 is absent");
        assert_eq!(popularity(&[vec![3, 3], vec![3, 1], vec![1, 2]]), vec![1, 3, 2]);
    }

    #[test]
    fn planted_pairs_count_when_in_the_first_k() {
        let lists: Lists = [(1, vec![Scored { id: 2, score: 0.9 }, Scored { id: 3, score: 0.8 }])].into_iter().collect();
        assert_eq!(pairs_found(&lists, &[(1, 3), (1, 4)], 2), 0.5);
        assert_eq!(pairs_found(&lists, &[(1, 3)], 1), 0.0);
    }

    #[test]
    fn the_query_defaults_and_refuses_what_it_cannot_read() {
        assert_eq!(RecQuery::parse(None, None), Ok(RecQuery { kind: RecKind::Similar, limit: DEFAULT_LIMIT }));
        assert_eq!(RecQuery::parse(Some("bought_together"), Some("12")), Ok(RecQuery { kind: RecKind::BoughtTogether, limit: 12 }));
        let fields = |r: Result<RecQuery, Vec<FieldError>>| r.unwrap_err().into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(fields(RecQuery::parse(Some("popular"), Some("0"))), vec!["kind", "limit"]);
        assert_eq!(fields(RecQuery::parse(None, Some("13"))), vec!["limit"]);
        assert_eq!(fields(RecQuery::parse(None, Some("four"))), vec!["limit"]);
    }

    #[test]
    fn gap_fillers_close_the_gap_at_the_least_extra_spend() {
        let candidates = [(1, 300_000), (2, 150_000), (3, 200_000), (4, 200_000), (5, 90_000)];
        assert_eq!(gap_fillers(&candidates, 180_000, 2), vec![3, 4], "the cheapest that close it, ties in list order");
        assert_eq!(gap_fillers(&candidates, 180_000, 8), vec![3, 4, 1]);
        assert!(gap_fillers(&candidates, 400_000, 8).is_empty(), "nothing closes it");
        assert!(gap_fillers(&candidates, 0, 8).is_empty(), "already free");
    }

    #[test]
    fn kinds_round_trip() {
        for kind in RecKind::ALL {
            assert_eq!(RecKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(RecKind::parse("popular"), None);
    }
}
