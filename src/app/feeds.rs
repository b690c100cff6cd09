//! The shopping feeds' rows (`domain::feeds`): every variant of every active product, with its
//! stock, price, colour name, category, first raster image and the standard shipping fee. The
//! Worker renders the feeds through the edge cache, keyed by the catalog version, so a feed is built
//! once per catalog change (docs/FEEDS.md).

use serde::Deserialize;

use super::db::{Db, DbError, Sql};
use super::shipping::{decode_rates, rates_sql, ESTIMATE_ZONE};
use crate::assets;
use crate::domain::feeds::{self, FeedItem};
use crate::domain::listing::percent_encode;
use crate::domain::money::Vnd;
use crate::domain::checkout::ShippingMethod;
use crate::domain::shipping::{self, ShippingSettings};

#[derive(Deserialize)]
struct Row {
    product_id: i64,
    slug: String,
    name: String,
    description: String,
    brand: String,
    gender: String,
    age_group: String,
    product_grams: i64,
    category: String,
    sku: String,
    size: String,
    color: String,
    color_name: String,
    price: Vnd,
    compare_at_price: Option<Vnd>,
    available: i64,
    variant_grams: i64,
    barcode: Option<String>,
}

#[derive(Deserialize)]
struct Image {
    product_id: i64,
    color: Option<String>,
    url: String,
}

fn variants_sql() -> Sql {
    Sql::new(
        "SELECT p.id AS product_id, p.slug, p.name_vi AS name, p.description_vi AS description, p.brand, p.gender, p.age_group, \
                p.weight_grams AS product_grams, c.name_vi AS category, v.sku, v.size, v.color, co.name_vi AS color_name, v.price, \
                v.compare_at_price, max(v.on_hand - v.reserved, 0) AS available, v.weight_grams AS variant_grams, v.barcode \
         FROM products p JOIN variants v ON v.product_id = p.id JOIN categories c ON c.id = p.category_id JOIN colors co ON co.code = v.color \
         WHERE p.status = 'active' AND v.status = 'active' \
         ORDER BY p.id, v.position, v.id",
    )
}

fn images_sql() -> Sql {
    Sql::new(
        // An uploaded photo's 1200×630 crop, else its largest smaller copy, else the photo itself
        // (`media_sizes`): the feeds' `image_link` need not be a 4 MB original.
        "SELECT i.product_id, i.color, COALESCE((SELECT s.url FROM media_sizes s WHERE s.original = i.url AND s.social = 1), \
                (SELECT s.url FROM media_sizes s WHERE s.original = i.url AND s.social = 0 ORDER BY s.width DESC LIMIT 1), i.url) AS url \
         FROM product_images i JOIN products p ON p.id = i.product_id \
         WHERE p.status = 'active' ORDER BY i.product_id, i.position, i.id",
    )
}

/// An image URL as a feed needs it: absolute, fingerprinted when it is a file of the build.
fn absolute(origin: &str, url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        url.to_string()
    } else {
        format!("{origin}{}", assets::url(url))
    }
}

/// The feeds' rows, in the shop's own language (Vietnamese) for its own country. A variant whose
/// product has neither a raster photo nor a generated social image is left out: no channel accepts
/// SVG, and an item without an image is refused anyway (docs/FEEDS.md, "Images").
pub async fn items(db: &impl Db, origin: &str, settings: &ShippingSettings) -> Result<Vec<FeedItem>, DbError> {
    let rows = db.batch(&[variants_sql(), images_sql(), rates_sql()]).await?;
    let [variants, images, rates] = super::db::expect_n::<3>(rows, "feeds")?;
    let variants: Vec<Row> = variants.decode()?;
    let images: Vec<Image> = images.decode()?;
    let rates = decode_rates(&rates)?;
    Ok(variants
        .into_iter()
        .filter_map(|v| {
            let raster = |colour: Option<&str>| images.iter().find(|i| i.product_id == v.product_id && feeds::is_raster(&i.url) && (colour.is_none() || i.color.as_deref() == colour));
            // An uploaded photo of the colour, else of the product, else the product's generated
            // 1200×630 social image when the build ships one (the demo catalog's are drawn in SVG).
            let social = crate::domain::sharing::product_image(&v.slug);
            let image = match raster(Some(&v.color)).or_else(|| raster(None)) {
                Some(photo) => photo.url.clone(),
                None if assets::exists(&social) => social,
                None => return None,
            };
            let weight = shipping::line_weight(v.variant_grams, v.product_grams, 1);
            let shipping = shipping::quote(&rates, ESTIMATE_ZONE, weight, v.price, settings.free_standard_from)
                .into_iter()
                .find(|q| q.method == ShippingMethod::Standard)
                .map(|q| (q.fee, q.eta_days));
            let gtin = v.barcode.as_deref().and_then(feeds::gtin);
            let own_label = v.brand.eq_ignore_ascii_case("Vestify");
            Some(FeedItem {
                title: feeds::clip(&format!("{} — {}, cỡ {}", v.name, v.color_name, v.size), feeds::TITLE_MAX),
                description: feeds::clip(&feeds::plain(if v.description.trim().is_empty() { &v.name } else { &v.description }), feeds::DESCRIPTION_MAX),
                link: format!("{origin}/p/{}?variant={}", v.slug, percent_encode(&v.sku)),
                image_link: absolute(origin, &image),
                in_stock: v.available > 0,
                price: v.price,
                compare_at: v.compare_at_price.filter(|before| *before > v.price),
                mpn: (gtin.is_none() && own_label).then(|| v.sku.clone()),
                gtin,
                group_id: format!("P{}", v.product_id),
                brand: v.brand,
                size: v.size,
                color: v.color_name,
                gender: v.gender,
                age_group: v.age_group,
                product_type: v.category,
                shipping,
                id: v.sku,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{block_on, Sqlite};
    use crate::domain::feeds::tests::{check_csv, check_google_item};

    const ORIGIN: &str = "https://shop.test";

    /// The demo catalog's images are SVG drawings; a product photographed as JPEG gets into the feeds.
    fn shop_with_a_photo() -> Sqlite {
        let db = Sqlite::demo();
        db.exec("INSERT INTO product_images (product_id, color, url, position) SELECT product_id, color, '/media/' || sku || '.jpg', -1 FROM variants WHERE product_id = 1");
        db
    }

    #[test]
    fn every_item_of_every_feed_has_the_channels_required_attributes() {
        let db = shop_with_a_photo();
        let items = block_on(items(&db, ORIGIN, &ShippingSettings::default())).unwrap();
        let variants = db.int("SELECT count(*) FROM variants v JOIN products p ON p.id = v.product_id WHERE p.id = 1 AND p.status = 'active' AND v.status = 'active'");
        assert!(variants > 0);
        assert!(items.len() as i64 > variants, "the photographed product's variants and the others' with their social images");
        let xml = feeds::google_xml("Vestify", ORIGIN, &items);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        for item in doc.descendants().filter(|n| n.has_tag_name("item")) {
            check_google_item(item).unwrap();
        }
        assert_eq!(check_csv(&feeds::meta_csv(&items), "id"), Ok(items.len()));
        assert_eq!(check_csv(&feeds::tiktok_csv(&items), "sku_id"), Ok(items.len()));
    }

    #[test]
    fn the_demo_catalog_is_in_the_feeds_with_its_generated_social_images() {
        let db = Sqlite::demo();
        let items = block_on(items(&db, ORIGIN, &ShippingSettings::default())).unwrap();
        let sellable = db.int("SELECT count(*) FROM variants v JOIN products p ON p.id = v.product_id WHERE p.status = 'active' AND v.status = 'active'");
        assert_eq!(items.len() as i64, sellable, "every sellable variant of the demo catalog");
        for item in &items {
            assert!(item.image_link.starts_with("https://shop.test/static/img/social/products/") && item.image_link.ends_with(".png"), "{}", item.image_link);
        }
        let xml = feeds::google_xml("Vestify", ORIGIN, &items);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        for item in doc.descendants().filter(|n| n.has_tag_name("item")) {
            check_google_item(item).unwrap();
        }
        // An uploaded photo comes before the generated image.
        let photographed = block_on(super::items(&shop_with_a_photo(), ORIGIN, &ShippingSettings::default())).unwrap();
        let first = db.text("SELECT slug FROM products WHERE id = 1");
        assert!(photographed.iter().filter(|i| i.link.contains(&format!("/p/{first}?"))).all(|i| i.image_link.ends_with(".jpg")));
    }

    #[test]
    fn a_photo_with_smaller_copies_is_fed_as_its_social_crop_else_its_largest_copy() {
        let db = shop_with_a_photo();
        let photo = db.text("SELECT url FROM product_images WHERE product_id = 1 AND position = -1 ORDER BY id LIMIT 1");
        let color = db.text(&format!("SELECT color FROM product_images WHERE url = '{photo}'"));
        db.exec(&format!("INSERT INTO media_sizes VALUES ('{photo}', 0, 640, 480, '/media/small.webp', 9), ('{photo}', 0, 1280, 960, '/media/large.webp', 9)"));
        let link = |db: &Sqlite| {
            let items = block_on(items(db, ORIGIN, &ShippingSettings::default())).unwrap();
            items.into_iter().find(|i| i.group_id == "P1" && i.color == db.text(&format!("SELECT name_vi FROM colors WHERE code = '{color}'"))).unwrap().image_link
        };
        assert_eq!(link(&db), "https://shop.test/media/large.webp");
        db.exec(&format!("INSERT INTO media_sizes VALUES ('{photo}', 1, 1200, 630, '/media/social.jpg', 9)"));
        assert_eq!(link(&db), "https://shop.test/media/social.jpg");
    }

    #[test]
    fn items_follow_the_page_price_stock_and_shipping() {
        let db = shop_with_a_photo();
        db.exec("UPDATE variants SET on_hand = reserved WHERE id = (SELECT min(id) FROM variants WHERE product_id = 1)");
        let items = block_on(items(&db, ORIGIN, &ShippingSettings::default())).unwrap();
        let sold_out = db.text("SELECT sku FROM variants WHERE id = (SELECT min(id) FROM variants WHERE product_id = 1)");
        for item in items.iter().filter(|i| i.group_id == "P1") {
            let price = db.int(&format!("SELECT price FROM variants WHERE sku = '{}'", item.id));
            assert_eq!(item.price, Vnd::new(price));
            let available = db.int(&format!("SELECT on_hand - reserved FROM variants WHERE sku = '{}'", item.id));
            assert_eq!(item.in_stock, available > 0, "{}", item.id);
            assert!(item.id != sold_out || !item.in_stock);
            assert!(item.link.starts_with("https://shop.test/p/") && item.image_link.ends_with(".jpg"));
            let (fee, _) = item.shipping.unwrap();
            assert_eq!(fee == Vnd::ZERO, item.price >= Vnd::new(1_000_000), "free standard shipping from the threshold");
        }
        db.exec("UPDATE products SET status = 'draft' WHERE id = 1");
        assert!(block_on(super::items(&db, ORIGIN, &ShippingSettings::default())).unwrap().iter().all(|i| i.group_id != "P1"), "a draft is not sold");
    }
}
