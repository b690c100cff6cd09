//! The recommendations benchmark (`./scripts/bench-recs`): a seeded generator writes a year of a
//! vest shop's orders and product views with planted patterns (people who buy a suit vest often buy
//! its matching tie set; puffer vests go with hiking vests; …), splits it by time (the lists are
//! computed from the 180 days before the split, as the nightly pass does; the 30 days after are the
//! test), hides one product of every test basket in turn and recommends it back from the others.
//! It prints HitRate@4, HitRate@8 and MRR for each list and for a popularity list, the share of
//! planted pairs found in the first 4 of "bought together", and what computing the lists costs.
//!
//! `--orders N` (default 100000) and `--seed S` (default 15) change the history. Like the other
//! benchmarks it is a measurement: it says which target (docs/BENCHMARKS.md) was missed, and exits 0.

use std::time::Instant;

use std::collections::HashMap;

use vestify::app::recs::{compute, compute_with};
use vestify::domain::recs::{blended, co_occurrence, evaluate, pairs_found, popularity, similar, Item, Lists, RecKind, Recommender, Smoothing, LIST_LEN, MIN_SUPPORT};

/// SplitMix64: small, fast, and the same numbers on every machine for a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// A category of the synthetic shop: its words (Vietnamese and English, as the real tags are) and
/// price range in thousands of đồng.
struct CategorySpec {
    words: &'static [&'static str],
    price: (i64, i64),
}

const CATEGORIES: &[CategorySpec] = &[
    CategorySpec { words: &["gile âu", "công sở", "office", "suit", "dáng ôm", "slim"], price: (590, 1290) },
    CategorySpec { words: &["set gile cà vạt", "tie", "cà vạt", "phụ kiện", "accessory"], price: (250, 590) },
    CategorySpec { words: &["gile cưới", "wedding", "chú rể", "groom", "satin"], price: (990, 2490) },
    CategorySpec { words: &["áo phao", "puffer", "lông vũ", "down", "mùa đông"], price: (890, 1990) },
    CategorySpec { words: &["gile leo núi", "hiking", "outdoor", "dã ngoại", "nhiều túi"], price: (490, 1190) },
    CategorySpec { words: &["gile len", "knit", "len", "cổ tim", "thu đông"], price: (390, 890) },
    CategorySpec { words: &["gile jean", "denim", "bụi", "streetwear"], price: (450, 990) },
    CategorySpec { words: &["gile nữ", "women", "thanh lịch", "croptop"], price: (390, 990) },
    CategorySpec { words: &["gile trẻ em", "kids", "bé trai", "học sinh"], price: (190, 490) },
    CategorySpec { words: &["gile da", "leather", "biker", "da thật"], price: (1490, 3490) },
];

const COLORS: &[&str] = &["black", "charcoal", "grey", "navy", "denim", "olive", "beige", "cream", "camel", "brown", "red", "burgundy"];
const FABRICS: &[&str] = &["tweed", "linen", "cotton", "wool", "nhung velvet", "kaki", "polyester", "lụa silk", "dạ", "nỉ fleece"];

/// Which categories' products are planted as pairs (a bought → b bought with it).
const PAIRED: &[(usize, usize)] = &[(0, 1), (3, 4), (2, 1), (6, 9), (5, 7)];
const PER_CATEGORY: usize = 30;
const PLANTED_PER_LINK: usize = 8;
/// Chance that a basket holding a planted product also holds its partner.
const PLANT_P: f64 = 0.3;
/// An order's drawn products (before planted partners): one by popularity, then another with
/// chance `MORE_P` while fewer than `MAX_DRAWN`, from the last one's category (uniformly) with
/// chance `SAME_CATEGORY_P`, else by popularity.
const MORE_P: f64 = 0.45;
const MAX_DRAWN: usize = 5;
const SAME_CATEGORY_P: f64 = 0.4;

struct Shop {
    items: Vec<Item>,
    /// Products by popularity rank (Zipf weights over this order).
    by_rank: Vec<i64>,
    cumulative: Vec<f64>,
    planted: Vec<(i64, i64)>,
}

impl Shop {
    fn new(rng: &mut Rng) -> Shop {
        let mut items = Vec::new();
        for (c, spec) in CATEGORIES.iter().enumerate() {
            for i in 0..PER_CATEGORY {
                let id = (c * PER_CATEGORY + i + 1) as i64;
                let mut words: Vec<String> = (0..3).map(|_| spec.words[rng.below(spec.words.len())].to_string()).collect();
                words.push(FABRICS[rng.below(FABRICS.len())].to_string());
                let colors = (0..1 + rng.below(3)).map(|_| COLORS[rng.below(COLORS.len())].to_string()).collect();
                let price = 1000 * (spec.price.0 + (rng.unit() * (spec.price.1 - spec.price.0) as f64) as i64 / 10 * 10);
                items.push(Item { id, category_id: c as i64 + 1, parent_category_id: Some(if c < 3 { 100 } else { 200 }), words, colors, price });
            }
        }
        let mut by_rank: Vec<i64> = items.iter().map(|i| i.id).collect();
        for i in (1..by_rank.len()).rev() {
            by_rank.swap(i, rng.below(i + 1));
        }
        let mut total = 0.0;
        let cumulative = (0..by_rank.len())
            .map(|r| {
                total += 1.0 / (r as f64 + 1.0);
                total
            })
            .collect();
        // Planted pairs: products drawn from the linked categories, each product in one pair at most.
        let mut planted = Vec::new();
        for &(a, b) in PAIRED {
            let start = |c: usize| (c * PER_CATEGORY) as i64 + 1;
            for k in 0..PLANTED_PER_LINK as i64 {
                let offset_b = if b == 1 && a == 2 { PLANTED_PER_LINK as i64 } else { 0 };
                planted.push((start(a) + k, start(b) + offset_b + k));
            }
        }
        Shop { items, by_rank, cumulative, planted }
    }

    fn popular(&self, rng: &mut Rng) -> i64 {
        let x = rng.unit() * self.cumulative.last().copied().unwrap_or(1.0);
        let r = self.cumulative.partition_point(|&c| c < x).min(self.by_rank.len() - 1);
        self.by_rank[r]
    }

    fn category_of(&self, id: i64) -> usize {
        ((id - 1) as usize) / PER_CATEGORY
    }

    fn same_category(&self, id: i64, rng: &mut Rng) -> i64 {
        (self.category_of(id) * PER_CATEGORY + rng.below(PER_CATEGORY) + 1) as i64
    }

    fn partner(&self, id: i64) -> Option<i64> {
        self.planted.iter().find(|(a, _)| *a == id).map(|&(_, b)| b)
    }

    /// An order's products: one by popularity, sometimes a few more (same style, or popular), and
    /// the planted partner of a planted product with probability `PLANT_P`.
    fn basket(&self, rng: &mut Rng) -> Vec<i64> {
        let mut basket = vec![self.popular(rng)];
        while rng.chance(MORE_P) && basket.len() < MAX_DRAWN {
            let last = basket[basket.len() - 1];
            basket.push(if rng.chance(SAME_CATEGORY_P) { self.same_category(last, rng) } else { self.popular(rng) });
        }
        for i in 0..basket.len() {
            if let Some(b) = self.partner(basket[i]) {
                if rng.chance(PLANT_P) {
                    basket.push(b);
                }
            }
        }
        basket
    }

    /// A visitor's views of a day: a product, then alternatives of its category, its planted partner
    /// now and then, and popular products.
    fn session(&self, rng: &mut Rng) -> Vec<i64> {
        let first = self.popular(rng);
        let mut views = vec![first];
        while rng.chance(0.6) && views.len() < 8 {
            let r = rng.unit();
            views.push(if r < 0.55 {
                self.same_category(first, rng)
            } else if r < 0.75 {
                self.partner(first).unwrap_or_else(|| self.popular(rng))
            } else {
                self.popular(rng)
            });
        }
        views
    }
}

/// The Bayes-optimal recommender for this generator's orders: it knows the process exactly (the
/// popularity weights, the categories, the planted partners and every chance) and ranks each
/// candidate `h` by P(the basket's products are `rest ∪ {h}`), which is proportional to
/// P(h | rest). Like the lists, it sees the rest as a set (not in order). No recommender can
/// expect more hits on this history; its figures are the ceiling of the ones above.
struct Oracle {
    /// Popularity draw probability, by product index (id − 1).
    pop: Vec<f64>,
    /// Planted partner's index, by product index.
    partner: Vec<Option<usize>>,
    n: usize,
}

impl Oracle {
    fn new(shop: &Shop) -> Oracle {
        let n = shop.items.len();
        let total = shop.cumulative.last().copied().unwrap_or(1.0);
        let mut pop = vec![0.0; n];
        for (rank, &id) in shop.by_rank.iter().enumerate() {
            pop[(id - 1) as usize] = 1.0 / (rank as f64 + 1.0) / total;
        }
        let mut partner = vec![None; n];
        for &(a, b) in &shop.planted {
            partner[(a - 1) as usize] = Some((b - 1) as usize);
        }
        Oracle { pop, partner, n }
    }

    /// P(the distinct products of an order are exactly `set`), indices: a walk over the drawn
    /// products (all inside the set), each with its planted partner's coin, tracking which of the
    /// set's products are covered so far.
    fn likelihood(&self, set: &[usize]) -> f64 {
        let m = set.len();
        let full = (1usize << m) - 1;
        // Per member: its partner inside the set (bit), or a partner outside (the coin must fail).
        let coin: Vec<(Option<usize>, bool)> = set
            .iter()
            .map(|&i| match self.partner[i] {
                Some(p) => match set.iter().position(|&j| j == p) {
                    Some(local) => (Some(1 << local), true),
                    None => (None, true),
                },
                None => (None, false),
            })
            .collect();
        let category = |i: usize| i / PER_CATEGORY;
        // f[x * 2^m + covered]: probability of the walk so far, ending on member x.
        let mut f = vec![0.0; m << m];
        let emit = |g: &mut [f64], x: usize, covered: usize, w: f64| {
            let covered = covered | (1 << x);
            match coin[x] {
                (Some(bit), _) => {
                    g[(x << m) | covered | bit] += w * PLANT_P;
                    g[(x << m) | covered] += w * (1.0 - PLANT_P);
                }
                (None, true) => g[(x << m) | covered] += w * (1.0 - PLANT_P),
                (None, false) => g[(x << m) | covered] += w,
            }
        };
        for (x, &i) in set.iter().enumerate() {
            emit(&mut f, x, 0, self.pop[i]);
        }
        let mut total = 0.0;
        for drawn in 1..=MAX_DRAWN {
            let ends: f64 = (0..m).map(|x| f[(x << m) | full]).sum();
            if drawn == MAX_DRAWN {
                total += ends;
                break;
            }
            total += ends * (1.0 - MORE_P);
            let mut g = vec![0.0; m << m];
            for x in 0..m {
                for covered in 0..=full {
                    let w = f[(x << m) | covered];
                    if w == 0.0 {
                        continue;
                    }
                    for (y, &j) in set.iter().enumerate() {
                        let same = if category(set[x]) == category(j) { SAME_CATEGORY_P / PER_CATEGORY as f64 } else { 0.0 };
                        emit(&mut g, y, covered, w * MORE_P * (same + (1.0 - SAME_CATEGORY_P) * self.pop[j]));
                    }
                }
            }
            f = g;
        }
        total
    }

    /// The `k` products with the highest posterior given `rest` (ids), best first, ties by id.
    fn recommend(&self, rest: &[i64], k: usize) -> Vec<i64> {
        let mut set: Vec<usize> = rest.iter().map(|&id| (id - 1) as usize).collect();
        set.push(0);
        let last = set.len() - 1;
        let mut scored: Vec<(f64, i64)> = (0..self.n)
            .filter(|&h| !rest.contains(&(h as i64 + 1)))
            .map(|h| {
                set[last] = h;
                (self.likelihood(&set), h as i64 + 1)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().take(k).map(|(_, id)| id).collect()
    }
}

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let orders = arg(&args, "--orders", 100_000) as usize;
    let seed = arg(&args, "--seed", 15);
    let mut rng = Rng(seed);
    let shop = Shop::new(&mut rng);
    // A year of history, one day at a time: 365 days of orders and three view sessions per order.
    const DAYS: usize = 365;
    const SPLIT: usize = 335;
    let mut train_orders = Vec::new();
    let mut test_orders = Vec::new();
    let mut train_views = Vec::new();
    let mut test_views = Vec::new();
    let mut every_order = Vec::with_capacity(orders);
    for n in 0..orders {
        let day = n * DAYS / orders.max(1);
        let basket = shop.basket(&mut rng);
        let sessions: Vec<Vec<i64>> = (0..3).map(|_| shop.session(&mut rng)).collect();
        every_order.push(basket.clone());
        if day >= SPLIT {
            test_orders.push(basket);
            test_views.extend(sessions);
        } else if day >= SPLIT - 180 {
            train_orders.push(basket);
            // Views count over a shorter window (`VIEW_WINDOW_DAYS`), as the nightly pass reads them.
            if day >= SPLIT - 60 {
                train_views.extend(sessions);
            }
        }
    }
    println!(
        "Recommendations on a seeded history (seed {seed}): {} products in {} categories, {orders} orders over {DAYS} days, {} planted pairs",
        shop.items.len(),
        CATEGORIES.len(),
        shop.planted.len()
    );
    println!(
        "Train: {} orders (180 days before the split), {} view sessions (60 days); test: {} orders, {} view sessions (30 days after)",
        train_orders.len(),
        train_views.len(),
        test_orders.len(),
        test_views.len()
    );

    // The nightly pass's computation, timed.
    // The nightly pass's computation (`app::recs::compute`), timed as a whole and by part.
    let t = Instant::now();
    let lists = compute(&shop.items, &train_orders, &train_views);
    let t_pass = t.elapsed();
    let [(_, similar_lists), (_, bought), (_, viewed)]: [(RecKind, Lists); 3] = match lists.try_into() {
        Ok(lists) => lists,
        Err(_) => unreachable!("compute gives the three lists"),
    };
    let category: HashMap<i64, i64> = shop.items.iter().map(|i| (i.id, i.category_id)).collect();
    let t = Instant::now();
    let _ = similar(&shop.items, LIST_LEN);
    let t_similar = t.elapsed();
    let t = Instant::now();
    let _ = blended(&train_orders, &category, Smoothing::DEFAULT, LIST_LEN * 2);
    let t_bought = t.elapsed();
    let t = Instant::now();
    let _ = co_occurrence(&train_views, MIN_SUPPORT, LIST_LEN * 2);
    let t_viewed = t.elapsed();

    let popular_orders = popularity(&train_orders);
    let popular_views = popularity(&train_views);
    let oracle = Oracle::new(&shop);
    let mut ok = true;
    for (test, name, popular) in [(&test_orders, "test orders (hide one product of each basket)", &popular_orders), (&test_views, "test view sessions (hide one view)", &popular_views)] {
        let base = evaluate(&Recommender::Ranking(popular), test);
        println!("\n{name}: {} cases", base.cases);
        println!("  {:<18} {:>9} {:>9} {:>7} {:>13}", "list", "HitRate@4", "HitRate@8", "MRR", "HR@8 vs base");
        let lists: [(&str, &Lists); 3] = [("similar", &similar_lists), ("bought_together", &bought), ("also_viewed", &viewed)];
        println!("  {:<18} {:>9.3} {:>9.3} {:>7.3} {:>13}", "popularity", base.hit_at_4, base.hit_at_8, base.mrr, "1.00×");
        for (list, l) in lists {
            let f = evaluate(&Recommender::Lists(l), test);
            let ratio = if base.hit_at_8 > 0.0 { f.hit_at_8 / base.hit_at_8 } else { 0.0 };
            println!("  {:<18} {:>9.3} {:>9.3} {:>7.3} {:>12.2}×", list, f.hit_at_4, f.hit_at_8, f.mrr, ratio);
            // The targets: the list meant for the test's kind of basket beats popularity by 1.5×.
            let target = matches!((list, name.starts_with("test orders")), ("bought_together", true) | ("also_viewed", false));
            if target && ratio < 1.5 {
                println!("  ✗ {list}: HitRate@8 below 1.5× the popularity list's");
                ok = false;
            }
        }
        if name.starts_with("test orders") {
            let rank = |rest: &[i64], k: usize| oracle.recommend(rest, k);
            let f = evaluate(&Recommender::Custom(&rank), test);
            let ratio = if base.hit_at_8 > 0.0 { f.hit_at_8 / base.hit_at_8 } else { 0.0 };
            println!("  {:<18} {:>9.3} {:>9.3} {:>7.3} {:>12.2}×  (the generator's own P(hidden | rest): the ceiling)", "oracle", f.hit_at_4, f.hit_at_8, f.mrr, ratio);
        }
    }
    if args.iter().any(|a| a == "--variants") {
        // The priors' strengths (`Smoothing`), each through the whole nightly computation.
        let base = evaluate(&Recommender::Ranking(&popular_orders), &test_orders);
        println!("\nbought_together by prior strength (product, category), on the test orders:");
        println!("  {:>8} {:>8} {:>9} {:>9} {:>7} {:>13} {:>8}", "product", "category", "HitRate@4", "HitRate@8", "MRR", "HR@8 vs base", "planted");
        for product in [1.0, 3.0, 10.0, 30.0, 100.0] {
            for category in [10.0, 100.0, 1000.0, 1e9] {
                let lists = compute_with(&shop.items, &train_orders, &train_views, Smoothing { product, category });
                let f = evaluate(&Recommender::Lists(&lists[1].1), &test_orders);
                let found = pairs_found(&lists[1].1, &shop.planted, 4);
                println!(
                    "  {:>8} {:>8} {:>9.3} {:>9.3} {:>7.3} {:>12.2}× {:>7.1} %",
                    product,
                    if category >= 1e9 { "∞".to_string() } else { category.to_string() },
                    f.hit_at_4,
                    f.hit_at_8,
                    f.mrr,
                    f.hit_at_8 / base.hit_at_8,
                    found * 100.0
                );
            }
        }
    }
    let found = pairs_found(&bought, &shop.planted, 4);
    println!("\nPlanted pairs found in the first 4 of bought_together: {:.1} % ({} pairs; target ≥ 90 %)", found * 100.0, shop.planted.len());
    if found < 0.9 {
        ok = false;
    }
    // The yardstick: every generated order inside the window at once.
    let all_orders = every_order;
    let t = Instant::now();
    let all = blended(&all_orders, &category, Smoothing::DEFAULT, LIST_LEN * 2);
    let t_all = t.elapsed();
    println!(
        "\nCost of the lists (host, release build): similar {:.1} ms ({} products), bought_together {:.1} ms ({} orders), also_viewed {:.1} ms ({} sessions); the whole pass {:.1} ms",
        t_similar.as_secs_f64() * 1e3,
        shop.items.len(),
        t_bought.as_secs_f64() * 1e3,
        train_orders.len(),
        t_viewed.as_secs_f64() * 1e3,
        train_views.len(),
        t_pass.as_secs_f64() * 1e3
    );
    println!("bought_together over all {} orders at once: {:.1} ms ({} products with a list)", all_orders.len(), t_all.as_secs_f64() * 1e3, all.len());
    println!("\n{}", if ok { "Every target met." } else { "A target was missed (see above)." });
}
