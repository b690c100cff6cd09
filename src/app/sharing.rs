//! Shares of product pages: one share counted per click on a share button (per day, product and
//! channel, one conditional upsert), and the counts by channel the admin's analytics show.

use serde::{Deserialize, Serialize};

use super::analytics::day_key;
use super::db::{Db, DbError};
use super::sql::Sql;
use crate::domain::analytics::{vn_day, Period};
use crate::domain::sharing::{Channel, Marketplace};
use super::admin::{audit_sql, Actor};
use serde_json::json;

/// A counted share: what the network's link needs beyond the product's URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shared {
    /// The 1200×630 crop of the product's first uploaded photo (`media_sizes`), when it has one;
    /// otherwise the page falls back to the generated social image or the shop's.
    pub social_image: Option<String>,
}

#[derive(Deserialize)]
struct Crop {
    url: String,
}

/// Counts one share of the active product `slug` on `channel` at `now`; `None` when no active
/// product has that slug (nothing is counted, and the caller answers 404).
pub async fn record_share(db: &impl Db, slug: &str, channel: Channel, now: i64) -> Result<Option<Shared>, DbError> {
    let count = Sql::new(
        "INSERT INTO product_shares (day, product_id, channel, shares)
         SELECT ?, id, ?, 1 FROM products WHERE slug = ? AND status = 'active'
         ON CONFLICT (day, product_id, channel) DO UPDATE SET shares = shares + 1",
    )
    .bind(day_key(vn_day(now)))
    .bind(channel.code())
    .bind(slug);
    let crop = Sql::new(
        "SELECT s.url FROM products p JOIN product_images i ON i.product_id = p.id
         JOIN media_sizes s ON s.original = i.url AND s.social = 1
         WHERE p.slug = ? ORDER BY i.position, i.id LIMIT 1",
    )
    .bind(slug);
    let rows = db.batch(&[count, crop]).await?;
    let counted = rows.first().is_some_and(|r| r.changes() > 0);
    if !counted {
        return Ok(None);
    }
    let social_image = match rows.get(1) {
        Some(r) => r.first::<Crop>()?.map(|c| c.url),
        None => None,
    };
    Ok(Some(Shared { social_image }))
}

/// A channel's shares in a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelShares {
    pub channel: String,
    pub shares: i64,
}

/// Shares per channel over the period's days, most shared first.
pub fn shares_by_channel_sql(period: &Period) -> Sql {
    Sql::new(
        "SELECT channel, SUM(shares) AS shares FROM product_shares WHERE day BETWEEN ? AND ?
         GROUP BY channel ORDER BY shares DESC, channel",
    )
    .bind(day_key(period.from))
    .bind(day_key(period.to))
}

/// A product's link to the same product on a marketplace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketplaceLink {
    pub marketplace: String,
    pub url: String,
}

impl MarketplaceLink {
    pub fn marketplace(&self) -> Option<Marketplace> {
        Marketplace::parse(&self.marketplace)
    }
}

/// The product's marketplace links, Shopee first.
pub fn links_sql(product_id: i64) -> Sql {
    Sql::new("SELECT marketplace, url FROM product_marketplace_links WHERE product_id = ? ORDER BY marketplace = 'tiktok', marketplace").bind(product_id)
}

/// The active product `slug`'s marketplace links (its page shows them).
pub fn links_by_slug_sql(slug: &str) -> Sql {
    Sql::new(
        "SELECT l.marketplace, l.url FROM product_marketplace_links l JOIN products p ON p.id = l.product_id
         WHERE p.slug = ? ORDER BY l.marketplace = 'tiktok', l.marketplace",
    )
    .bind(slug)
}

/// Each marketplace with its link, `None` for none.
pub type Links = Vec<(Marketplace, Option<String>)>;

/// The admin form's links, each checked (`Marketplace::parse_link`); the errors by field.
pub fn parse_links(form: &[(String, String)]) -> Result<Links, Vec<(&'static str, &'static str)>> {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    let mut links = Vec::new();
    let mut errors = Vec::new();
    for m in Marketplace::ALL {
        match m.parse_link(field(m.field())) {
            Ok(url) => links.push((m, url)),
            Err(message) => errors.push((m.field(), message)),
        }
    }
    if errors.is_empty() { Ok(links) } else { Err(errors) }
}

/// Replaces the product's links with `links` (a `None` removes that marketplace's), audited.
pub fn set_links_batch(actor: &Actor, product_id: i64, before: &[MarketplaceLink], links: &[(Marketplace, Option<String>)], now: i64) -> Vec<Sql> {
    let mut batch = vec![Sql::new("DELETE FROM product_marketplace_links WHERE product_id = ?").bind(product_id)];
    for (m, url) in links {
        if let Some(url) = url {
            batch.push(
                Sql::new("INSERT INTO product_marketplace_links (product_id, marketplace, url) SELECT id, ?, ? FROM products WHERE id = ?")
                    .bind(m.code())
                    .bind(url.as_str())
                    .bind(product_id),
            );
        }
    }
    let after: Vec<MarketplaceLink> =
        links.iter().filter_map(|(m, url)| url.as_ref().map(|u| MarketplaceLink { marketplace: m.code().into(), url: u.clone() })).collect();
    // The audit row needs a changed row before it: a touch of the product itself (always there).
    batch.push(Sql::new("UPDATE products SET updated_at = updated_at WHERE id = ?").bind(product_id));
    batch.push(audit_sql(actor, "product.marketplace_links", "product", &product_id.to_string(), Some(&json!(before)), Some(&json!(after)), now));
    batch
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{block_on, Sqlite};

    fn today(now: i64) -> Period {
        let d = vn_day(now);
        Period { from: d, to: d }
    }

    #[test]
    fn each_share_adds_one_to_its_channel_and_an_unknown_product_adds_nothing() {
        let db = Sqlite::demo();
        let slug = db.text("SELECT slug FROM products WHERE status = 'active' ORDER BY id LIMIT 1");
        let now = 1_796_000_000;
        for channel in [Channel::Facebook, Channel::Zalo, Channel::Facebook, Channel::Copy] {
            assert_eq!(block_on(record_share(&db, &slug, channel, now)).unwrap(), Some(Shared { social_image: None }));
        }
        assert_eq!(block_on(record_share(&db, "no-such-vest", Channel::X, now)).unwrap(), None);
        let rows: Vec<ChannelShares> = block_on(db.all(&shares_by_channel_sql(&today(now)))).unwrap();
        let got: Vec<(&str, i64)> = rows.iter().map(|r| (r.channel.as_str(), r.shares)).collect();
        assert_eq!(got, [("facebook", 2), ("copy", 1), ("zalo", 1)]);
        // Another day is another row.
        assert!(block_on(record_share(&db, &slug, Channel::Facebook, now + 86_400)).unwrap().is_some());
        assert_eq!(db.int("SELECT COUNT(*) FROM product_shares"), 4);
    }

    #[test]
    fn a_share_of_a_product_with_an_uploaded_photo_carries_its_social_crop() {
        let db = Sqlite::demo();
        let (id, slug) = (db.int("SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT 1"), db.text("SELECT slug FROM products WHERE status = 'active' ORDER BY id LIMIT 1"));
        let photo = format!("/media/{}.jpg", "d".repeat(64));
        db.exec(&format!("INSERT INTO product_images (product_id, url, width, height, position) VALUES ({id}, '{photo}', 4000, 3000, -1)"));
        db.exec(&format!("INSERT INTO media_sizes VALUES ('{photo}', 0, 320, 240, '/media/s.webp', 9), ('{photo}', 1, 1200, 630, '/media/c.jpg', 9)"));
        let shared = block_on(record_share(&db, &slug, Channel::Pinterest, 1_796_000_000)).unwrap();
        assert_eq!(shared, Some(Shared { social_image: Some("/media/c.jpg".into()) }));
    }

    #[test]
    fn marketplace_links_are_checked_replaced_and_audited() {
        let db = Sqlite::demo();
        let (id, slug) = (db.int("SELECT id FROM products ORDER BY id LIMIT 1"), db.text("SELECT slug FROM products ORDER BY id LIMIT 1"));
        let actor = crate::app::admin::Actor { id: "1", email: "owner@vestify.test", ip: "127.0.0.1" };
        let form = |s: &str, t: &str| vec![("shopee_url".to_string(), s.to_string()), ("tiktok_url".to_string(), t.to_string())];
        assert_eq!(parse_links(&form("https://shopee.vn.evil.com/x", "")).unwrap_err().len(), 1);
        let links = parse_links(&form("https://shopee.vn/gile-i.1.2", "https://shop.tiktok.com/view/product/9")).unwrap();
        block_on(db.batch(&set_links_batch(&actor, id, &[], &links, 1_796_000_000))).unwrap();
        let shown: Vec<MarketplaceLink> = block_on(db.all(&links_by_slug_sql(&slug))).unwrap();
        assert_eq!(shown.iter().map(|l| l.marketplace()).collect::<Vec<_>>(), [Some(Marketplace::Shopee), Some(Marketplace::TiktokShop)]);
        // Emptying a field removes that link only.
        let links = parse_links(&form("https://shopee.vn/gile-i.1.2", "")).unwrap();
        block_on(db.batch(&set_links_batch(&actor, id, &shown, &links, 1_796_000_100))).unwrap();
        let now: Vec<MarketplaceLink> = block_on(db.all(&links_sql(id))).unwrap();
        assert_eq!(now, [MarketplaceLink { marketplace: "shopee".into(), url: "https://shopee.vn/gile-i.1.2".into() }]);
        assert_eq!(db.int("SELECT COUNT(*) FROM audit_log WHERE action = 'product.marketplace_links'"), 2);
    }

    #[test]
    fn a_draft_product_is_not_shared() {
        let db = Sqlite::demo();
        let slug = db.text("SELECT slug FROM products ORDER BY id LIMIT 1");
        db.exec(&format!("UPDATE products SET status = 'draft' WHERE slug = '{slug}'"));
        assert_eq!(block_on(record_share(&db, &slug, Channel::Facebook, 1_796_000_000)).unwrap(), None);
    }
}
