//! Wishlists and recently viewed products (issue 15, docs/WISHLIST.md): the flows over the port.
//!
//! - An account's wishlist is `wishlist_items` (one row per product, the price and stock when
//!   added); a guest's is a signed cookie (`domain::wishlist::GuestList`) whose entries come from
//!   [`product_now`]. [`add`] and [`remove`] change an account's list; [`merge`] joins a guest's
//!   list into the account on sign-in (idempotent: a product held stays as first added).
//! - Only a product on sale (active, with an active variant) can be added; one the shop hides or
//!   whose variants all go later stays listed as no longer available ([`items`]).
//! - Wishlisted products are watched for the shopper's email ([`watch`]): a price drop on the
//!   product's cheapest variant, and, when nothing of it is left, back in stock on each of its
//!   variants, through `app::alerts::subscribe_sql`; never for an address that unsubscribed from
//!   marketing mail (`app::consent`). Removing the product stops the watches the wishlist made.
//! - Recently viewed: cards of a list of product ids in its order ([`cards_in_order`]), and the
//!   account's copy of the list ([`recent_sql`], [`save_recent_sql`]).

use serde::Deserialize;

use super::alerts::{subscribe_sql, AlertKind};
use super::catalog::{CardRow, CARD_COLUMNS};
use super::consent::{may_send_sql, MaySend};
use super::db::{Db, DbError, Sql, SqlValue};
use crate::domain::catalog::ProductCard;
use crate::domain::notify::Channel;
use crate::domain::wishlist::{change, Change, Entry, CAP};

/// A product as the wishlist sees it now.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ProductNow {
    pub id: i64,
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
    /// `1` when the product is active.
    pub active: i64,
    /// The cheapest active variant's price (`None` without one).
    pub price: Option<i64>,
    /// Units left to buy over its active variants.
    pub available: i64,
    /// Its active variants.
    pub variants: i64,
    /// The one active variant, when it has exactly one (the page's add-to-cart form needs no choice).
    pub only_variant: Option<i64>,
    pub only_sku: Option<String>,
    /// The first image's URL.
    pub image: Option<String>,
}

impl ProductNow {
    /// On sale: active, with an active variant.
    pub fn sellable(&self) -> bool {
        self.active == 1 && self.variants > 0 && self.price.is_some()
    }

    /// The entry a wishlist keeps for it now.
    pub fn entry(&self) -> Entry {
        Entry { product_id: self.id, price_at: self.price.unwrap_or(0), in_stock_at: self.available > 0 }
    }
}

const PRODUCT_COLUMNS: &str = concat!(
    "SELECT p.id, p.slug, p.name_vi, p.name_en, (p.status = 'active') AS active, \
    MIN(v.price) AS price, COALESCE(SUM(MAX(v.on_hand - v.reserved, 0)), 0) AS available, COUNT(v.id) AS variants, \
    CASE WHEN COUNT(v.id) = 1 THEN MIN(v.id) END AS only_variant, CASE WHEN COUNT(v.id) = 1 THEN MIN(v.sku) END AS only_sku, \
    (SELECT ",
    crate::app::catalog::thumbnail_url!(),
    " FROM product_images i WHERE i.product_id = p.id ORDER BY i.position, i.id LIMIT 1) AS image \
    FROM products p LEFT JOIN variants v ON v.product_id = p.id AND v.status = 'active'"
);

/// A product by slug, as the wishlist sees it.
pub fn product_by_slug_sql(slug: &str) -> Sql {
    Sql::new(format!("{PRODUCT_COLUMNS} WHERE p.slug = ? GROUP BY p.id")).bind(slug)
}

/// Products by id (in no particular order).
pub fn products_by_id_sql(ids: &[i64]) -> Sql {
    let mut sql = Sql::new(format!("{PRODUCT_COLUMNS} WHERE p.id IN ({}) GROUP BY p.id", Sql::placeholders(ids.len().max(1))));
    sql.params.extend(if ids.is_empty() { vec![SqlValue::Null] } else { ids.iter().map(|&id| SqlValue::Int(id)).collect() });
    sql
}

/// The product with this slug, if there is one (sellable or not).
pub async fn product_now(db: &impl Db, slug: &str) -> Result<Option<ProductNow>, DbError> {
    db.first::<ProductNow>(&product_by_slug_sql(slug)).await
}

/// The account whose wishlist a flow changes: its id, and its email for the alerts (`None` for an
/// erased account).
#[derive(Clone, Copy, Debug)]
pub struct Owner<'a> {
    pub customer_id: &'a str,
    pub email: Option<&'a str>,
    pub locale: &'a str,
}

impl<'a> Owner<'a> {
    /// The owner of a customer row (an erased account has no email to alert).
    pub fn of(customer: &'a super::accounts::CustomerRow, locale: &'a str) -> Owner<'a> {
        let email = Some(customer.email.as_str()).filter(|e| e.contains('@') && !e.starts_with("deleted:"));
        Owner { customer_id: &customer.id, email, locale }
    }
}

/// What adding a product did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Added {
    /// Added now.
    Added,
    /// It was already on the list (nothing changed).
    AlreadyThere,
}

/// Why a product was not added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WishlistError {
    /// No such product, or one not on sale.
    NotFound,
    /// The list holds [`CAP`] products already.
    Full,
    Db(DbError),
}

impl From<DbError> for WishlistError {
    fn from(e: DbError) -> Self {
        WishlistError::Db(e)
    }
}

impl From<WishlistError> for crate::domain::error::AppError {
    fn from(e: WishlistError) -> Self {
        use crate::domain::error::AppError;
        use crate::domain::listing::{FieldError, Problem};
        match e {
            WishlistError::NotFound => AppError::NotFound,
            WishlistError::Full => AppError::Unprocessable(vec![FieldError { field: "product", problem: Problem::TooMany }]),
            WishlistError::Db(e) => e.into(),
        }
    }
}

/// Inserts an entry unless the list holds it or is full (`changes() = 1` when it was added).
fn insert_sql(customer_id: &str, e: &Entry, now: i64) -> Sql {
    Sql::new(
        "INSERT INTO wishlist_items (customer_id, product_id, price_at, in_stock_at, added_at) \
         SELECT ?, p.id, ?, ?, ? FROM products p WHERE p.id = ? AND p.status = 'active' \
         AND (SELECT COUNT(*) FROM wishlist_items WHERE customer_id = ?) < ? \
         ON CONFLICT (customer_id, product_id) DO NOTHING",
    )
    .bind(customer_id)
    .bind(e.price_at)
    .bind(i64::from(e.in_stock_at))
    .bind(now)
    .bind(e.product_id)
    .bind(customer_id)
    .bind(CAP as i64)
}

#[derive(Deserialize)]
struct Held {
    held: i64,
}

/// Adds the product with this slug to the account's wishlist, and watches it for the account's
/// email. Adding it again changes nothing (`AlreadyThere`).
pub async fn add(db: &impl Db, owner: Owner<'_>, slug: &str, now: i64) -> Result<Added, WishlistError> {
    let product = product_now(db, slug).await?.filter(ProductNow::sellable).ok_or(WishlistError::NotFound)?;
    let results = db
        .batch(&[
            insert_sql(owner.customer_id, &product.entry(), now),
            Sql::new("SELECT COUNT(*) AS held FROM wishlist_items WHERE customer_id = ? AND product_id = ?").bind(owner.customer_id).bind(product.id),
        ])
        .await?;
    let added = results.first().is_some_and(|r| r.changes() == 1);
    if added {
        watch(db, owner, &[product.id], now).await?;
        return Ok(Added::Added);
    }
    let held = results.get(1).map(|r| r.first::<Held>()).transpose()?.flatten().is_some_and(|h| h.held > 0);
    if held {
        Ok(Added::AlreadyThere)
    } else {
        Err(WishlistError::Full)
    }
}

/// Removes the product with this slug from the account's wishlist (and the alerts its adding made);
/// whether it was there.
pub async fn remove(db: &impl Db, owner: Owner<'_>, slug: &str) -> Result<bool, DbError> {
    let product = "(SELECT id FROM products WHERE slug = ?)";
    let mut batch = Vec::new();
    if let Some(email) = owner.email {
        // The watches the wishlist made carry its `added_at`; a watch the shopper asked for on the
        // product page before adding keeps its own time and stays.
        batch.push(
            Sql::new(format!(
                "DELETE FROM alert_subscriptions WHERE channel = 'email' AND recipient = ? \
                 AND variant_id IN (SELECT id FROM variants WHERE product_id = {product}) \
                 AND created_at = (SELECT added_at FROM wishlist_items WHERE customer_id = ? AND product_id = {product})"
            ))
            .bind(email)
            .bind(slug)
            .bind(owner.customer_id)
            .bind(slug),
        );
    }
    batch.push(Sql::new(format!("DELETE FROM wishlist_items WHERE customer_id = ? AND product_id = {product}")).bind(owner.customer_id).bind(slug));
    let results = db.batch(&batch).await?;
    Ok(results.last().is_some_and(|r| r.changes() > 0))
}

/// Joins a guest's wishlist into the account's: each product on sale that the account does not
/// hold yet, while the account has room, with the price and stock the guest saw. Running it twice
/// adds nothing more. Answers how many products were added.
pub async fn merge(db: &impl Db, owner: Owner<'_>, entries: &[Entry], now: i64) -> Result<u64, DbError> {
    if entries.is_empty() {
        return Ok(0);
    }
    let batch: Vec<Sql> = entries.iter().map(|e| insert_sql(owner.customer_id, e, now)).collect();
    let results = db.batch(&batch).await?;
    let added: Vec<i64> = entries.iter().zip(&results).filter(|(_, r)| r.changes() == 1).map(|(e, _)| e.product_id).collect();
    watch(db, owner, &added, now).await?;
    Ok(added.len() as u64)
}

#[derive(Deserialize)]
struct VariantNow {
    product_id: i64,
    id: i64,
    price: i64,
    available: i64,
}

/// The alerts that watch a wishlisted product: a price drop on its cheapest variant; and when
/// nothing of it is left, back in stock on each of its variants.
fn watches(variants: &[VariantNow], product_id: i64) -> Vec<(AlertKind, i64)> {
    let own: Vec<&VariantNow> = variants.iter().filter(|v| v.product_id == product_id).collect();
    let mut out: Vec<(AlertKind, i64)> = own.iter().min_by_key(|v| (v.price, v.id)).map(|v| (AlertKind::PriceDrop, v.id)).into_iter().collect();
    if own.iter().all(|v| v.available <= 0) {
        out.extend(own.iter().map(|v| (AlertKind::BackInStock, v.id)));
    }
    out
}

/// Watches these products for the owner's email, unless the address unsubscribed from marketing
/// mail (then nothing is recorded; the delivery pass would skip the messages anyway).
pub async fn watch(db: &impl Db, owner: Owner<'_>, product_ids: &[i64], now: i64) -> Result<(), DbError> {
    let Some(email) = owner.email else { return Ok(()) };
    if product_ids.is_empty() {
        return Ok(());
    }
    let mut variants = Sql::new(format!(
        "SELECT product_id, id, price, on_hand - reserved AS available FROM variants WHERE status = 'active' AND product_id IN ({})",
        Sql::placeholders(product_ids.len())
    ));
    variants.params.extend(product_ids.iter().map(|&id| SqlValue::Int(id)));
    let results = db.batch(&[may_send_sql(Channel::Email, email), variants]).await?;
    let may = results.first().map(|r| r.first::<MaySend>()).transpose()?.flatten().is_some_and(|m| m.ok == 1);
    if !may {
        return Ok(());
    }
    let variants: Vec<VariantNow> = results.get(1).map(|r| r.decode()).transpose()?.unwrap_or_default();
    let subs: Vec<Sql> = product_ids.iter().flat_map(|&p| watches(&variants, p)).map(|(kind, v)| subscribe_sql(kind, v, Channel::Email, email, owner.locale, now)).collect();
    if !subs.is_empty() {
        db.batch(&subs).await?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct EntryRow {
    product_id: i64,
    price_at: i64,
    in_stock_at: i64,
}

/// The account's wishlist entries, most recently added first.
pub fn entries_sql(customer_id: &str) -> Sql {
    Sql::new("SELECT product_id, price_at, in_stock_at FROM wishlist_items WHERE customer_id = ? ORDER BY added_at DESC, product_id DESC").bind(customer_id)
}

/// The account's wishlist entries, most recently added first.
pub async fn entries(db: &impl Db, customer_id: &str) -> Result<Vec<Entry>, DbError> {
    Ok(db.all::<EntryRow>(&entries_sql(customer_id)).await?.into_iter().map(|r| Entry { product_id: r.product_id, price_at: r.price_at, in_stock_at: r.in_stock_at == 1 }).collect())
}

#[derive(Deserialize)]
struct SlugRow {
    slug: String,
}

/// The slugs of the account's wishlisted products (what the hearts of a page fill from).
pub async fn slugs(db: &impl Db, customer_id: &str) -> Result<Vec<String>, DbError> {
    let rows = db.all::<SlugRow>(&Sql::new("SELECT p.slug FROM wishlist_items w JOIN products p ON p.id = w.product_id WHERE w.customer_id = ? ORDER BY w.added_at DESC").bind(customer_id)).await?;
    Ok(rows.into_iter().map(|r| r.slug).collect())
}

/// The slugs of these products (a guest's list), in no particular order.
pub async fn slugs_of(db: &impl Db, ids: &[i64]) -> Result<Vec<String>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(format!("SELECT slug FROM products WHERE id IN ({})", Sql::placeholders(ids.len())));
    sql.params.extend(ids.iter().map(|&id| SqlValue::Int(id)));
    Ok(db.all::<SlugRow>(&sql).await?.into_iter().map(|r| r.slug).collect())
}

/// A wishlisted product on the page: as added, as it is now, and what changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub entry: Entry,
    pub product: ProductNow,
    pub change: Change,
}

/// The items of a list of entries, in its order; a product that no longer exists is left out.
pub async fn items(db: &impl Db, entries: &[Entry]) -> Result<Vec<Item>, DbError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = entries.iter().map(|e| e.product_id).collect();
    let products = db.all::<ProductNow>(&products_by_id_sql(&ids)).await?;
    Ok(entries
        .iter()
        .filter_map(|e| {
            let p = products.iter().find(|p| p.id == e.product_id)?;
            let change = change(e, p.sellable(), p.price.unwrap_or(0), p.available > 0);
            Some(Item { entry: *e, product: p.clone(), change })
        })
        .collect())
}

/// Cards of active products by id, in the order given (recently viewed, a shared wishlist); products
/// no longer on sale are left out.
pub async fn cards_in_order(db: &impl Db, ids: &[i64]) -> Result<Vec<ProductCard>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(format!(
        "{CARD_COLUMNS} FROM products p JOIN variants v ON v.product_id = p.id AND v.status = 'active' \
         WHERE p.status = 'active' AND p.id IN ({}) GROUP BY p.id",
        Sql::placeholders(ids.len())
    ));
    sql.params.extend(ids.iter().map(|&id| SqlValue::Int(id)));
    let mut cards: Vec<ProductCard> = db.all::<CardRow>(&sql).await?.into_iter().map(ProductCard::from).collect();
    crate::domain::sort::sort_by_key(&mut cards, |c| ids.iter().position(|&id| id == c.id));
    Ok(cards)
}

#[derive(Deserialize)]
struct RecentRow {
    product_ids: String,
}

/// The account's recently viewed product ids, most recent first.
pub fn recent_sql(customer_id: &str) -> Sql {
    Sql::new("SELECT product_ids FROM recently_viewed WHERE customer_id = ?").bind(customer_id)
}

/// The account's recently viewed product ids, most recent first.
pub async fn recent(db: &impl Db, customer_id: &str) -> Result<Vec<i64>, DbError> {
    Ok(db.first::<RecentRow>(&recent_sql(customer_id)).await?.map(|r| crate::domain::wishlist::parse_ids(&r.product_ids)).unwrap_or_default())
}

/// Keeps the account's recently viewed list (written only when it changed).
pub fn save_recent_sql(customer_id: &str, ids: &[i64], now: i64) -> Sql {
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    Sql::new(
        "INSERT INTO recently_viewed (customer_id, product_ids, updated_at) VALUES (?, ?, ?) \
         ON CONFLICT (customer_id) DO UPDATE SET product_ids = excluded.product_ids, updated_at = excluded.updated_at \
         WHERE product_ids <> excluded.product_ids",
    )
    .bind(customer_id)
    .bind(list)
    .bind(now)
}

/// Joins the device's recently viewed list with the account's and keeps the result; answers it.
pub async fn sync_recent(db: &impl Db, customer_id: &str, device: &[i64], now: i64) -> Result<Vec<i64>, DbError> {
    let merged = crate::domain::wishlist::merge_recent(device, &recent(db, customer_id).await?);
    db.run(&save_recent_sql(customer_id, &merged, now)).await?;
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{block_on, Sqlite};
    use crate::domain::wishlist::GuestList;

    const NOW: i64 = 1_800_000_000;

    fn db() -> Sqlite {
        let db = Sqlite::demo();
        db.exec("INSERT INTO customers (id, email, created_at, updated_at) VALUES ('c1', 'an@example.vn', 1, 1), ('c2', 'deleted:c2', 1, 1)");
        db
    }

    fn owner() -> Owner<'static> {
        Owner { customer_id: "c1", email: Some("an@example.vn"), locale: "vi" }
    }

    /// The slugs of `n` sellable products (something left to buy), from the `skip`th.
    fn sellable(db: &Sqlite, n: usize, skip: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                db.text(&format!(
                    "SELECT p.slug FROM products p WHERE p.status = 'active' AND EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND v.status = 'active' AND v.on_hand - v.reserved > 0) ORDER BY p.id LIMIT 1 OFFSET {}",
                    skip + i
                ))
            })
            .collect()
    }

    fn listed(db: &Sqlite) -> Vec<String> {
        block_on(slugs(db, "c1")).unwrap()
    }

    fn id_of(db: &Sqlite, slug: &str) -> i64 {
        db.int(&format!("SELECT id FROM products WHERE slug = '{slug}'"))
    }

    #[test]
    fn every_statement_binds_its_placeholders() {
        let e = Entry { product_id: 1, price_at: 1, in_stock_at: true };
        for sql in [insert_sql("c", &e, 1), product_by_slug_sql("x"), products_by_id_sql(&[1, 2]), products_by_id_sql(&[]), entries_sql("c"), recent_sql("c"), save_recent_sql("c", &[1], 1)] {
            assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text);
        }
    }

    #[test]
    fn adding_twice_keeps_one_row_and_removing_takes_it_away() {
        let db = db();
        let slug = &sellable(&db, 1, 0)[0];
        assert_eq!(block_on(add(&db, owner(), slug, NOW)), Ok(Added::Added));
        assert_eq!(block_on(add(&db, owner(), slug, NOW + 1)), Ok(Added::AlreadyThere));
        assert_eq!(listed(&db), std::slice::from_ref(slug));
        let price = db.int(&format!("SELECT MIN(price) FROM variants WHERE status = 'active' AND product_id = {}", id_of(&db, slug)));
        assert_eq!(db.int("SELECT price_at FROM wishlist_items"), price, "the price when added is kept");
        assert_eq!(db.int("SELECT added_at FROM wishlist_items"), NOW, "the second add changed nothing");
        assert!(block_on(remove(&db, owner(), slug)).unwrap());
        assert!(!block_on(remove(&db, owner(), slug)).unwrap());
        assert!(listed(&db).is_empty());
    }

    #[test]
    fn unknown_or_unsellable_products_are_not_added() {
        let db = db();
        assert_eq!(block_on(add(&db, owner(), "no-such-product", NOW)), Err(WishlistError::NotFound));
        let slugs = sellable(&db, 2, 0);
        db.exec(&format!("UPDATE products SET status = 'draft' WHERE slug = '{}'", slugs[0]));
        db.exec(&format!("UPDATE variants SET status = 'inactive' WHERE product_id = {}", id_of(&db, &slugs[1])));
        for slug in &slugs {
            assert_eq!(block_on(add(&db, owner(), slug, NOW)), Err(WishlistError::NotFound), "{slug}");
        }
        assert!(listed(&db).is_empty());
    }

    #[test]
    fn a_full_wishlist_refuses_a_new_product_but_not_one_it_holds() {
        let db = db();
        let total = db.int("SELECT COUNT(*) FROM products WHERE status = 'active'") as usize;
        // The demo catalog may hold fewer than CAP products: fill the rest of the list directly.
        let slugs = sellable(&db, 3, 0);
        assert_eq!(block_on(add(&db, owner(), &slugs[0], NOW)), Ok(Added::Added));
        let filler = CAP as i64 - 1;
        db.exec(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {filler}) \
             INSERT INTO products (id, slug, name_vi, name_en, category_id, status, created_at, updated_at) \
             SELECT 900000 + i, 'filler-' || i, 'x', 'x', (SELECT category_id FROM products LIMIT 1), 'active', '2026-01-01', '2026-01-01' FROM n; \
             INSERT INTO wishlist_items (customer_id, product_id, price_at, in_stock_at, added_at) SELECT 'c1', 900000 + i, 1, 1, 0 FROM \
             (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {filler}) SELECT i FROM n)"
        ));
        assert!(total > 0);
        assert_eq!(db.int("SELECT COUNT(*) FROM wishlist_items"), CAP as i64);
        assert_eq!(block_on(add(&db, owner(), &slugs[1], NOW)), Err(WishlistError::Full));
        assert_eq!(block_on(add(&db, owner(), &slugs[0], NOW)), Ok(Added::AlreadyThere));
        // A merge into a full list adds nothing either.
        let guest = Entry { product_id: id_of(&db, &slugs[2]), price_at: 1, in_stock_at: true };
        assert_eq!(block_on(merge(&db, owner(), &[guest], NOW)).unwrap(), 0);
        assert_eq!(db.int("SELECT COUNT(*) FROM wishlist_items"), CAP as i64);
    }

    #[test]
    fn a_guest_list_merges_once_without_duplicates_or_unsellable_products() {
        let db = db();
        let slugs = sellable(&db, 4, 0);
        assert_eq!(block_on(add(&db, owner(), &slugs[0], NOW)), Ok(Added::Added));
        db.exec(&format!("UPDATE products SET status = 'draft' WHERE slug = '{}'", slugs[3]));
        let mut guest = GuestList::default();
        for slug in &slugs {
            guest.add(Entry { product_id: id_of(&db, slug), price_at: 123, in_stock_at: false }).unwrap();
        }
        guest.add(Entry { product_id: 987_654, price_at: 1, in_stock_at: true }).unwrap();
        assert_eq!(block_on(merge(&db, owner(), &guest.entries, NOW + 5)).unwrap(), 2, "the two new sellable ones");
        assert_eq!(block_on(merge(&db, owner(), &guest.entries, NOW + 6)).unwrap(), 0, "a second sign-in adds nothing");
        let mut got = listed(&db);
        got.sort();
        let mut want = slugs[..3].to_vec();
        want.sort();
        assert_eq!(got, want);
        assert_eq!(db.int(&format!("SELECT price_at FROM wishlist_items WHERE product_id = {}", id_of(&db, &slugs[1]))), 123, "the guest's price when added");
        assert_ne!(db.int(&format!("SELECT price_at FROM wishlist_items WHERE product_id = {}", id_of(&db, &slugs[0]))), 123, "the account's own entry stays");
    }

    #[test]
    fn the_page_says_what_changed_and_keeps_a_product_no_longer_sold() {
        let db = db();
        let slugs = sellable(&db, 3, 0);
        for slug in &slugs {
            block_on(add(&db, owner(), slug, NOW)).unwrap();
        }
        let [a, b, c] = [id_of(&db, &slugs[0]), id_of(&db, &slugs[1]), id_of(&db, &slugs[2])];
        db.exec(&format!("UPDATE variants SET price = price - 50000 WHERE product_id = {a}"));
        db.exec(&format!("UPDATE variants SET on_hand = reserved WHERE product_id = {b}"));
        db.exec(&format!("UPDATE products SET status = 'archived' WHERE id = {c}"));
        let list = block_on(items(&db, &block_on(entries(&db, "c1")).unwrap())).unwrap();
        let of = |id: i64| list.iter().find(|i| i.product.id == id).unwrap().change;
        assert!(matches!(of(a), Change::PriceDropped { .. }), "{:?}", of(a));
        assert_eq!(of(b), Change::SoldOut);
        assert_eq!(of(c), Change::Unavailable);
    }

    #[test]
    fn wishlisted_products_are_watched_for_price_drops_and_restocks_unless_unsubscribed() {
        let db = db();
        let slugs = sellable(&db, 3, 0);
        let sold_out = id_of(&db, &slugs[1]);
        db.exec(&format!("UPDATE variants SET on_hand = reserved WHERE product_id = {sold_out}"));
        block_on(add(&db, owner(), &slugs[0], NOW)).unwrap();
        block_on(add(&db, owner(), &slugs[1], NOW)).unwrap();
        let kinds = |recipient: &str| db.text(&format!("SELECT COALESCE(group_concat(kind, ' '), '') FROM (SELECT DISTINCT kind FROM alert_subscriptions WHERE recipient = '{recipient}' ORDER BY kind)"));
        assert_eq!(kinds("an@example.vn"), "back_in_stock price_drop");
        assert_eq!(db.int("SELECT COUNT(*) FROM alert_subscriptions WHERE kind = 'price_drop'"), 2, "one per product, its cheapest variant");
        let variants = db.int(&format!("SELECT COUNT(*) FROM variants WHERE status = 'active' AND product_id = {sold_out}"));
        assert_eq!(db.int("SELECT COUNT(*) FROM alert_subscriptions WHERE kind = 'back_in_stock'"), variants, "every variant of the sold-out product");
        // Removing stops the wishlist's watches; one asked for before on the product page stays.
        let v = db.int(&format!("SELECT MIN(id) FROM variants WHERE product_id = {sold_out}"));
        db.exec(&format!("UPDATE alert_subscriptions SET created_at = {} WHERE variant_id = {v}", NOW - 100));
        block_on(remove(&db, owner(), &slugs[1])).unwrap();
        assert_eq!(db.int("SELECT COUNT(*) FROM alert_subscriptions WHERE kind = 'back_in_stock'"), 1);
        // An address that unsubscribed gets no new watch; an erased account none at all.
        block_on(db.batch(&crate::app::consent::unsubscribe_batch(Channel::Email, "an@example.vn", "preferences", NOW))).unwrap();
        block_on(add(&db, owner(), &slugs[2], NOW)).unwrap();
        assert_eq!(kinds("an@example.vn"), "");
        let erased = Owner { customer_id: "c2", email: None, locale: "vi" };
        block_on(add(&db, erased, &slugs[2], NOW)).unwrap();
        assert_eq!(db.int("SELECT COUNT(*) FROM alert_subscriptions"), 0);
    }

    #[test]
    fn recently_viewed_cards_keep_the_lists_order_and_the_account_keeps_the_merged_list() {
        let db = db();
        let ids: Vec<i64> = sellable(&db, 3, 0).iter().map(|s| id_of(&db, s)).collect();
        let order = [ids[2], 987_654, ids[0], ids[1]];
        let cards = block_on(cards_in_order(&db, &order)).unwrap();
        assert_eq!(cards.iter().map(|c| c.id).collect::<Vec<_>>(), [ids[2], ids[0], ids[1]]);
        db.exec(&format!("UPDATE products SET status = 'draft' WHERE id = {}", ids[0]));
        assert_eq!(block_on(cards_in_order(&db, &order)).unwrap().len(), 2, "a product no longer sold is left out");
        assert_eq!(block_on(sync_recent(&db, "c1", &[ids[1]], NOW)).unwrap(), [ids[1]]);
        assert_eq!(block_on(sync_recent(&db, "c1", &[ids[2]], NOW)).unwrap(), [ids[2], ids[1]], "another device's view comes first, the account's after");
        assert_eq!(block_on(recent(&db, "c1")).unwrap(), [ids[2], ids[1]]);
    }
}
