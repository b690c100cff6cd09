//! Isolate-local memory in front of the edge cache and D1.
//!
//! One isolate serves many requests, so what it has already rendered or read for the current catalog
//! version can be answered from memory: rendered pages (bounded, oldest out first) and the category
//! tree and colour palette every page needs. Everything is keyed by the catalog version (read from KV,
//! remembered for a second), so a catalog change is seen exactly when the edge cache sees it; a new
//! version empties the memory.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use crate::app::catalog::ProductPage;
use crate::app::promotions::PromotionRow;
use crate::domain::catalog::{Category, Color};
use crate::domain::security::{find_slots, Slot};

/// Rendered pages kept per isolate. At ~15 KB a page this is a few megabytes.
const MAX_PAGES: usize = 256;
/// Product data kept per isolate (the demo catalog has 31 products; a few KB each).
const MAX_PRODUCTS: usize = 256;
/// How long product data read from D1 is used without reading it again. Its stock figures are not
/// what pages show: a product page and the JSON product are rendered with the stock snapshot their
/// cache key carries (`platform::live_stock`, at most a second old).
pub const PRODUCT_FRESH_MS: f64 = 30_000.0;

/// A rendered 200 response, as stored.
pub struct Page {
    pub content_type: &'static str,
    pub body: String,
    pub etag: String,
    pub headers: Vec<(&'static str, String)>,
    /// Where the body's nonce and CSRF slots are (`domain::security::find_slots`), for HTML.
    pub slots: Vec<(usize, Slot)>,
}

impl Page {
    pub fn new(content_type: &'static str, mut body: String, etag: String, headers: Vec<(&'static str, String)>) -> Page {
        // A rendered body is built by appending, so its buffer can be up to twice its length; a kept
        // page holds only its bytes (256 pages of 20–50 KB: the soak in docs/BENCHMARKS.md).
        body.shrink_to_fit();
        let slots = if content_type.starts_with("text/html") { find_slots(&body) } else { Vec::new() };
        Page { content_type, body, etag, headers, slots }
    }
}

#[derive(Default)]
struct Memory {
    version: String,
    pages: HashMap<String, Rc<Page>>,
    order: VecDeque<String>,
    lists: Option<(Rc<Vec<Category>>, Rc<Vec<Color>>)>,
    automatic: Option<Rc<Vec<PromotionRow>>>,
    shop: Option<Rc<crate::domain::shop_info::ShopInfo>>,
    /// Product page data by slug, with when it was read (ms).
    products: HashMap<String, (f64, Rc<ProductPage>)>,
}

impl Memory {
    fn for_version(&mut self, version: &str) -> &mut Memory {
        if self.version != version {
            *self = Memory { version: version.to_string(), ..Memory::default() };
        }
        self
    }
}

/// Entries in each table of derived values (`derived`) before it is emptied.
const MAX_DERIVED: usize = 4096;

/// A value derived from `key` by a costly pure function of it (an HMAC under the shop secret, which
/// is fixed for an isolate's life), from `table` when this isolate derived it before. Each table is
/// emptied when it reaches `MAX_DERIVED` entries: at ~150 bytes an entry, well under a megabyte.
pub fn derived<V: Clone>(table: &'static std::thread::LocalKey<RefCell<HashMap<String, V>>>, key: &str, derive: impl FnOnce() -> V) -> V {
    if let Some(value) = table.with(|t| t.borrow().get(key).cloned()) {
        return value;
    }
    let value = derive();
    table.with(|t| {
        let mut t = t.borrow_mut();
        if t.len() >= MAX_DERIVED {
            t.clear();
        }
        t.insert(key.to_string(), value.clone());
    });
    value
}

thread_local! {
    // Workers run one thread per isolate; requests interleave only at awaits, never inside a borrow.
    static MEMORY: RefCell<Memory> = RefCell::new(Memory::default());
}

pub fn page(version: &str, key: &str) -> Option<Rc<Page>> {
    MEMORY.with(|m| m.borrow_mut().for_version(version).pages.get(key).cloned())
}

pub fn keep_page(version: &str, key: &str, page: Page) {
    MEMORY.with(|m| {
        let mut memory = m.borrow_mut();
        let memory = memory.for_version(version);
        if memory.pages.insert(key.to_string(), Rc::new(page)).is_none() {
            memory.order.push_back(key.to_string());
        }
        while memory.order.len() > MAX_PAGES {
            if let Some(oldest) = memory.order.pop_front() {
                memory.pages.remove(&oldest);
            }
        }
    });
}

pub fn lists(version: &str) -> Option<(Rc<Vec<Category>>, Rc<Vec<Color>>)> {
    MEMORY.with(|m| m.borrow_mut().for_version(version).lists.clone())
}

pub fn keep_lists(version: &str, categories: Vec<Category>, colors: Vec<Color>) -> (Rc<Vec<Category>>, Rc<Vec<Color>>) {
    let lists = (Rc::new(categories), Rc::new(colors));
    MEMORY.with(|m| m.borrow_mut().for_version(version).lists = Some(lists.clone()));
    lists
}

/// The shop's contact details for a catalog version: a change in the admin bumps the version.
pub fn shop_info(version: &str) -> Option<Rc<crate::domain::shop_info::ShopInfo>> {
    MEMORY.with(|m| m.borrow_mut().for_version(version).shop.clone())
}

pub fn keep_shop_info(version: &str, info: crate::domain::shop_info::ShopInfo) -> Rc<crate::domain::shop_info::ShopInfo> {
    let info = Rc::new(info);
    MEMORY.with(|m| m.borrow_mut().for_version(version).shop = Some(info.clone()));
    info
}

/// The shop's automatic promotions (live or not) for a catalog version: a promotion change bumps
/// the version.
pub fn automatic(version: &str) -> Option<Rc<Vec<PromotionRow>>> {
    MEMORY.with(|m| m.borrow_mut().for_version(version).automatic.clone())
}

pub fn keep_automatic(version: &str, rows: Vec<PromotionRow>) -> Rc<Vec<PromotionRow>> {
    let rows = Rc::new(rows);
    MEMORY.with(|m| m.borrow_mut().for_version(version).automatic = Some(rows.clone()));
    rows
}

/// A product's page data if it was read for this catalog version less than `PRODUCT_FRESH_MS` ago.
pub fn product(version: &str, slug: &str, now_ms: f64) -> Option<Rc<ProductPage>> {
    MEMORY.with(|m| {
        let mut memory = m.borrow_mut();
        let (read_at, data) = memory.for_version(version).products.get(slug)?;
        (0.0..PRODUCT_FRESH_MS).contains(&(now_ms - read_at)).then(|| data.clone())
    })
}

pub fn keep_product(version: &str, slug: &str, now_ms: f64, data: ProductPage) -> Rc<ProductPage> {
    let data = Rc::new(data);
    MEMORY.with(|m| {
        let mut memory = m.borrow_mut();
        let memory = memory.for_version(version);
        if memory.products.len() >= MAX_PRODUCTS && !memory.products.contains_key(slug) {
            // Full: forget everything older than the freshness window, or else everything.
            memory.products.retain(|_, (at, _)| (0.0..PRODUCT_FRESH_MS).contains(&(now_ms - *at)));
            if memory.products.len() >= MAX_PRODUCTS {
                memory.products.clear();
            }
        }
        memory.products.insert(slug.to_string(), (now_ms, data.clone()));
    });
    data
}
