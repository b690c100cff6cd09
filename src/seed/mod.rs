//! The demo catalog: the rows a fresh shop is seeded with, the SQL that inserts them and the SVG
//! artwork their images point at. Host-only; `cargo run --bin seed -- .` writes `seed/demo.sql` and
//! `public/img/`, and `tests/seed.rs` checks the committed files are what this module generates.
//!
//! The SQL is idempotent: every row has a fixed id and every insert ends in `ON CONFLICT DO NOTHING`,
//! so running it again adds nothing and leaves stock that orders have changed as it is. It has no
//! `BEGIN`/`COMMIT`, which `wrangler d1 execute --file` rejects.

mod art;
mod data;
mod reviews;
mod social;
mod sql;

pub use social::png_size;

use std::fmt::Write;

use art::{Art, View};
use data::{Pick, Stock};
use sql::Value;

use crate::domain::catalog::{ProductStatus, VariantStatus};
use crate::domain::money::Vnd;

/// A size option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizeRow {
    pub code: &'static str,
    pub sort_order: i64,
}

/// A colour option; `sku_code` is the part of a SKU that names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColorRow {
    pub code: &'static str,
    pub sku_code: &'static str,
    pub name_vi: &'static str,
    pub name_en: &'static str,
    pub hex: &'static str,
    pub sort_order: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub slug: &'static str,
    /// Materialised path of slugs, `/parent/child/`.
    pub path: String,
    pub name_vi: &'static str,
    pub name_en: &'static str,
    pub description_vi: &'static str,
    pub description_en: &'static str,
    /// Site path of the tile image, `/img/categories/{slug}.svg`.
    pub image_path: String,
    pub sort_order: i64,
    pub featured: bool,
}

/// Who a demo product is cut for (`products.gender`, migration 0044), read from its English name:
/// "Men's …" and "Women's …" products, the rest unisex.
pub fn demo_gender(name_en: &str) -> &'static str {
    let name = name_en.to_ascii_lowercase();
    if name.contains("women") {
        "female"
    } else if name.contains("men's") || name.starts_with("men ") {
        "male"
    } else {
        "unisex"
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductRow {
    pub id: i64,
    pub slug: &'static str,
    pub category_id: i64,
    pub name_vi: &'static str,
    pub name_en: &'static str,
    pub description_vi: &'static str,
    pub description_en: &'static str,
    pub material_vi: &'static str,
    pub material_en: &'static str,
    pub care_vi: &'static str,
    pub care_en: &'static str,
    pub brand: &'static str,
    /// `active`, `draft` or `archived` (`ProductStatus::code`).
    pub status: &'static str,
    pub seo_title_vi: String,
    pub seo_title_en: String,
    pub seo_description_vi: String,
    pub seo_description_en: String,
    pub sold_count: i64,
    pub created_at: &'static str,
    pub tags: &'static [&'static str],
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantRow {
    pub id: i64,
    pub product_id: i64,
    /// `VS-{product code}-{colour}-{size}`, e.g. `VS-PUF01-BLK-M`.
    pub sku: String,
    pub size: &'static str,
    pub color: &'static str,
    pub price: Vnd,
    pub compare_at_price: Option<Vnd>,
    pub on_hand: i64,
    pub weight_grams: i64,
    /// EAN-13 in the restricted-circulation range (prefix 2), so it can never clash with a real product.
    pub barcode: String,
    pub position: i64,
    pub created_at: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRow {
    pub id: i64,
    pub product_id: i64,
    pub color: &'static str,
    /// Site path, `/img/products/{slug}-{colour}.svg`.
    pub url: String,
    pub alt_vi: String,
    pub alt_en: String,
    pub width: i64,
    pub height: i64,
    pub position: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionRow {
    pub id: i64,
    pub slug: &'static str,
    pub name_vi: &'static str,
    pub name_en: &'static str,
    pub description_vi: &'static str,
    pub description_en: &'static str,
    pub sort_order: i64,
    /// Members in display order; a member's position is its index.
    pub product_ids: Vec<i64>,
}

/// Every row of the demo catalog, in foreign-key order.
#[derive(Clone, Debug)]
pub struct Catalog {
    pub sizes: Vec<SizeRow>,
    pub colors: Vec<ColorRow>,
    pub categories: Vec<CategoryRow>,
    pub products: Vec<ProductRow>,
    pub variants: Vec<VariantRow>,
    pub images: Vec<ImageRow>,
    pub collections: Vec<CollectionRow>,
    pictures: Vec<Picture>,
}

/// One SVG file to draw.
#[derive(Clone, Debug)]
struct Picture {
    /// Relative to `public/`.
    path: String,
    title: String,
    kind: PictureKind,
}

#[derive(Clone, Debug)]
enum PictureKind {
    Product { art: Art, view: View, hex: &'static str },
    Category { art: &'static [(Art, &'static str)], backdrop: &'static str },
    Hero,
}

/// Site path of the homepage hero image.
pub const HERO_IMAGE: &str = "/img/hero.svg";

/// The whole demo catalog.
pub fn demo_catalog() -> Catalog {
    let sizes = data::SIZES.iter().zip(1..).map(|(s, i)| SizeRow { code: s.code, sort_order: i }).collect();
    let colors: Vec<ColorRow> = data::COLORS
        .iter()
        .zip(1..)
        .map(|(c, i)| ColorRow { code: c.code, sku_code: c.sku, name_vi: c.name_vi, name_en: c.name_en, hex: c.hex, sort_order: i })
        .collect();
    let color = |code: &str| -> &ColorRow {
        colors.iter().find(|c| c.code == code).unwrap_or_else(|| panic!("unknown colour {code}"))
    };

    let mut pictures = Vec::new();
    let mut categories: Vec<CategoryRow> = Vec::new();
    for spec in data::CATEGORIES {
        let parent = spec.parent.map(|slug| {
            categories.iter().find(|c| c.slug == slug).unwrap_or_else(|| panic!("parent {slug} must come first"))
        });
        let path = format!("{}{}/", parent.map_or("/", |p| p.path.as_str()), spec.slug);
        let file = format!("img/categories/{}.svg", spec.slug);
        pictures.push(Picture {
            path: file.clone(),
            title: format!("{} / {}", spec.name_vi, spec.name_en),
            kind: PictureKind::Category { art: spec.art, backdrop: spec.backdrop },
        });
        categories.push(CategoryRow {
            id: spec.id,
            parent_id: parent.map(|p| p.id),
            slug: spec.slug,
            path,
            name_vi: spec.name_vi,
            name_en: spec.name_en,
            description_vi: spec.description_vi,
            description_en: spec.description_en,
            image_path: format!("/{file}"),
            sort_order: spec.sort_order,
            featured: spec.featured,
        });
    }

    let mut products = Vec::new();
    let mut variants = Vec::new();
    let mut images = Vec::new();
    for spec in data::PRODUCTS {
        let category = categories
            .iter()
            .find(|c| c.slug == spec.category)
            .unwrap_or_else(|| panic!("unknown category {}", spec.category));
        products.push(ProductRow {
            id: spec.id,
            slug: spec.slug,
            category_id: category.id,
            name_vi: spec.name_vi,
            name_en: spec.name_en,
            description_vi: spec.description_vi,
            description_en: spec.description_en,
            material_vi: spec.material_vi,
            material_en: spec.material_en,
            care_vi: spec.care.vi,
            care_en: spec.care.en,
            brand: spec.brand,
            status: spec.status.code(),
            seo_title_vi: format!("{} | Vestify", spec.name_vi),
            seo_title_en: format!("{} | Vestify", spec.name_en),
            seo_description_vi: summary(spec.description_vi),
            seo_description_en: summary(spec.description_en),
            sold_count: spec.sold,
            created_at: spec.created,
            tags: spec.tags,
        });

        // Ids leave room for 99 variants and 99 images per product, so adding a colour to one
        // product never renumbers another.
        let mut position = 0;
        for code in spec.colors {
            let c = color(code);
            for size in spec.sizes {
                let id = spec.id * 100 + position + 1;
                let sku = format!("VS-{}-{}-{}", spec.code, c.sku_code, size);
                variants.push(VariantRow {
                    id,
                    product_id: spec.id,
                    on_hand: on_hand(&sku, size, spec.stock),
                    sku,
                    size,
                    color: c.code,
                    price: spec.price,
                    compare_at_price: spec.compare_at,
                    weight_grams: spec.weight + size_weight(size),
                    barcode: ean13(&format!("2089{id:08}")),
                    position,
                    created_at: spec.created,
                });
                position += 1;
            }
        }

        let views: &[(View, &str, &str, &str)] = if spec.back_view {
            &[(View::Front, "", "mặt trước", "front"), (View::Back, "-back", "mặt sau", "back")]
        } else {
            &[(View::Front, "", "mặt trước", "front")]
        };
        let mut position = 0;
        for code in spec.colors {
            let c = color(code);
            for (view, suffix, side_vi, side_en) in views {
                let file = format!("img/products/{}-{}{suffix}.svg", spec.slug, c.code);
                let alt_vi = format!("{} màu {} – {side_vi}", spec.name_vi, c.name_vi.to_lowercase());
                let alt_en = format!("{} in {} – {side_en}", spec.name_en, c.name_en.to_lowercase());
                pictures.push(Picture {
                    path: file.clone(),
                    title: format!("{alt_vi} / {alt_en}"),
                    kind: PictureKind::Product { art: spec.art, view: *view, hex: c.hex },
                });
                images.push(ImageRow {
                    id: spec.id * 100 + position + 1,
                    product_id: spec.id,
                    color: c.code,
                    url: format!("/{file}"),
                    alt_vi,
                    alt_en,
                    width: i64::from(art::BOX),
                    height: i64::from(art::BOX),
                    position,
                });
                position += 1;
            }
        }
    }
    pictures.push(Picture {
        path: HERO_IMAGE.trim_start_matches('/').to_string(),
        title: "Vestify – gile cho mọi dịp / vests for every occasion".to_string(),
        kind: PictureKind::Hero,
    });

    let collections = data::COLLECTIONS
        .iter()
        .zip(1..)
        .map(|(spec, sort_order)| CollectionRow {
            id: spec.id,
            slug: spec.slug,
            name_vi: spec.name_vi,
            name_en: spec.name_en,
            description_vi: spec.description_vi,
            description_en: spec.description_en,
            sort_order,
            product_ids: pick(spec.pick),
        })
        .collect();

    Catalog { sizes, colors, categories, products, variants, images, collections, pictures }
}

/// The seed SQL: one idempotent insert per row, parents before children.
pub use reviews::demo_reviews_sql;

pub fn demo_sql() -> String {
    demo_catalog().sql()
}

/// Every SVG the catalog refers to, as (path under `public/`, file contents).
pub fn demo_images() -> Vec<(String, String)> {
    demo_catalog().render_pictures()
}

/// Every social image (1200 × 630 PNG) of the catalog, as (path under `public/`, PNG bytes): one
/// per product, per category and the home page's, drawn from the SVGs of `demo_images`.
pub fn demo_social_images() -> Result<Vec<(String, Vec<u8>)>, String> {
    let catalog = demo_catalog();
    social::social_images(&catalog, &catalog.render_pictures())
}

impl Catalog {
    /// The seed SQL for these rows.
    pub fn sql(&self) -> String {
        let mut out = String::from(
            "-- Vestify demo catalog. Generated by `cargo run --bin seed -- .` from src/seed/; do not edit.\n\
             -- Idempotent: fixed ids and ON CONFLICT DO NOTHING, so a second run adds nothing and keeps stock.\n\
             -- Apply after the migrations: npx wrangler d1 execute DB --local --file seed/demo.sql\n",
        );
        section(&mut out, "Sizes");
        for s in &self.sizes {
            sql::insert(&mut out, "sizes", &["code", "sort_order"], &[s.code.into(), s.sort_order.into()]);
        }
        section(&mut out, "Colours");
        for c in &self.colors {
            sql::insert(
                &mut out,
                "colors",
                &["code", "name_vi", "name_en", "hex", "sort_order"],
                &[c.code.into(), c.name_vi.into(), c.name_en.into(), c.hex.into(), c.sort_order.into()],
            );
        }
        section(&mut out, "Categories, parents first");
        for c in &self.categories {
            sql::insert(
                &mut out,
                "categories",
                &[
                    "id",
                    "parent_id",
                    "slug",
                    "path",
                    "name_vi",
                    "name_en",
                    "description_vi",
                    "description_en",
                    "image_path",
                    "sort_order",
                    "featured",
                    "created_at",
                    "updated_at",
                ],
                &[
                    c.id.into(),
                    c.parent_id.into(),
                    c.slug.into(),
                    c.path.as_str().into(),
                    c.name_vi.into(),
                    c.name_en.into(),
                    c.description_vi.into(),
                    c.description_en.into(),
                    c.image_path.as_str().into(),
                    c.sort_order.into(),
                    i64::from(c.featured).into(),
                    data::OPENED_AT.into(),
                    data::OPENED_AT.into(),
                ],
            );
        }
        for p in &self.products {
            section(&mut out, &format!("{} ({})", p.name_en, p.status));
            sql::insert(
                &mut out,
                "products",
                &[
                    "id",
                    "slug",
                    "category_id",
                    "name_vi",
                    "name_en",
                    "description_vi",
                    "description_en",
                    "material_vi",
                    "material_en",
                    "care_vi",
                    "care_en",
                    "brand",
                    "status",
                    "seo_title_vi",
                    "seo_title_en",
                    "seo_description_vi",
                    "seo_description_en",
                    "sold_count",
                    "gender",
                    "created_at",
                    "updated_at",
                ],
                &[
                    p.id.into(),
                    p.slug.into(),
                    p.category_id.into(),
                    p.name_vi.into(),
                    p.name_en.into(),
                    p.description_vi.into(),
                    p.description_en.into(),
                    p.material_vi.into(),
                    p.material_en.into(),
                    p.care_vi.into(),
                    p.care_en.into(),
                    p.brand.into(),
                    p.status.into(),
                    p.seo_title_vi.as_str().into(),
                    p.seo_title_en.as_str().into(),
                    p.seo_description_vi.as_str().into(),
                    p.seo_description_en.as_str().into(),
                    p.sold_count.into(),
                    demo_gender(p.name_en).into(),
                    p.created_at.into(),
                    p.created_at.into(),
                ],
            );
            for tag in p.tags {
                sql::insert(&mut out, "product_tags", &["product_id", "tag"], &[p.id.into(), (*tag).into()]);
            }
            for v in self.variants.iter().filter(|v| v.product_id == p.id) {
                sql::insert(
                    &mut out,
                    "variants",
                    &[
                        "id",
                        "product_id",
                        "sku",
                        "size",
                        "color",
                        "price",
                        "compare_at_price",
                        "currency",
                        "on_hand",
                        "weight_grams",
                        "barcode",
                        "status",
                        "position",
                        "created_at",
                        "updated_at",
                    ],
                    &[
                        v.id.into(),
                        v.product_id.into(),
                        v.sku.as_str().into(),
                        v.size.into(),
                        v.color.into(),
                        v.price.into(),
                        v.compare_at_price.into(),
                        "VND".into(),
                        v.on_hand.into(),
                        v.weight_grams.into(),
                        v.barcode.as_str().into(),
                        VariantStatus::Active.code().into(),
                        v.position.into(),
                        v.created_at.into(),
                        v.created_at.into(),
                    ],
                );
            }
            for i in self.images.iter().filter(|i| i.product_id == p.id) {
                sql::insert(
                    &mut out,
                    "product_images",
                    &["id", "product_id", "variant_id", "color", "url", "alt_vi", "alt_en", "width", "height", "position"],
                    &[
                        i.id.into(),
                        i.product_id.into(),
                        Value::Null,
                        i.color.into(),
                        i.url.as_str().into(),
                        i.alt_vi.as_str().into(),
                        i.alt_en.as_str().into(),
                        i.width.into(),
                        i.height.into(),
                        i.position.into(),
                    ],
                );
            }
        }
        section(&mut out, "Collections");
        for c in &self.collections {
            sql::insert(
                &mut out,
                "collections",
                &["id", "slug", "name_vi", "name_en", "description_vi", "description_en", "sort_order"],
                &[
                    c.id.into(),
                    c.slug.into(),
                    c.name_vi.into(),
                    c.name_en.into(),
                    c.description_vi.into(),
                    c.description_en.into(),
                    c.sort_order.into(),
                ],
            );
            for (product_id, position) in c.product_ids.iter().zip(0_i64..) {
                sql::insert(
                    &mut out,
                    "collection_products",
                    &["collection_id", "product_id", "position"],
                    &[c.id.into(), (*product_id).into(), position.into()],
                );
            }
        }
        out
    }

    /// Paths under `public/` of every image file the rows refer to.
    pub fn image_files(&self) -> Vec<&str> {
        self.pictures.iter().map(|p| p.path.as_str()).collect()
    }

    fn render_pictures(&self) -> Vec<(String, String)> {
        self.pictures.iter().map(|p| (p.path.clone(), p.render())).collect()
    }
}

impl Picture {
    fn render(&self) -> String {
        match self.kind {
            PictureKind::Product { art, view, hex } => {
                let body = art::vest(art, view, hex, "v");
                art::document(&self.title, art::BOX, art::BOX, &art::backdrop(art::STUDIO), &body)
            }
            PictureKind::Category { art, backdrop } => {
                let body = match art {
                    [(a, hex)] => art::vest(*a, View::Front, hex, "v"),
                    // Two vests side by side, the second a little in front.
                    [(a, ha), (b, hb), ..] => format!(
                        r#"<g transform="translate(-60 90) scale(.8)">{}</g><g transform="translate(220 130) scale(.8)">{}</g>"#,
                        art::vest(*a, View::Front, ha, "a"),
                        art::vest(*b, View::Front, hb, "b")
                    ),
                    [] => String::new(),
                };
                art::document(&self.title, art::BOX, art::BOX, &art::backdrop(backdrop), &body)
            }
            PictureKind::Hero => hero(&self.title),
        }
    }
}

/// A wide banner: three vests on a warm backdrop, leaving the left side calm for a headline.
fn hero(title: &str) -> String {
    use art::{Fabric, Stitch};
    let backdrop = r##"<defs><linearGradient id="backdrop" x1="0" x2="1"><stop offset="0" stop-color="#f4ede3"/><stop offset="1" stop-color="#e6d6c2"/></linearGradient></defs><rect width="1600" height="800" fill="url(#backdrop)"/><circle cx="1180" cy="400" r="330" fill="#ecdcc8"/><circle cx="1460" cy="120" r="90" fill="#f4ede3" opacity=".6"/>"##;
    let suit = Art::Suit { buttons: 5, double_breasted: false, lapel: false, fabric: Fabric::Plain, fitted: false, cropped: false };
    let knit = Art::Knit { stitch: Stitch::Cable, buttons: false, cropped: false };
    let puffer = Art::Puffer { hood: false, cropped: false };
    let body = format!(
        r#"<g transform="translate(680 140) scale(.66)">{}</g><g transform="translate(1080 140) scale(.66)">{}</g><g transform="translate(860 120) scale(.76)">{}</g>"#,
        art::vest(knit, View::Front, "#b4834f", "a"),
        art::vest(puffer, View::Front, "#5a6237", "b"),
        art::vest(suit, View::Front, "#1f2b47", "c"),
    );
    art::document(title, 1600, 800, backdrop, &body)
}

fn section(out: &mut String, title: &str) {
    let _ = write!(out, "\n-- {title}\n");
}

/// The first sentences of a description, up to a search snippet's length.
fn summary(text: &str) -> String {
    const LIMIT: usize = 160;
    let mut out = String::new();
    for sentence in text.split_inclusive(". ") {
        let sentence = sentence.trim_end();
        let len = out.chars().count() + usize::from(!out.is_empty()) + sentence.chars().count();
        if len > LIMIT {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(sentence);
    }
    if out.is_empty() {
        // One long sentence: cut at a word boundary.
        for word in text.split(' ') {
            if out.chars().count() + word.chars().count() + 2 > LIMIT {
                break;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
        out = format!("{}…", out.trim_end_matches([',', ':', ';']));
    }
    out
}

/// Products for a collection, from the active ones, in display order.
fn pick(rule: Pick) -> Vec<i64> {
    let mut active: Vec<_> = data::PRODUCTS.iter().filter(|p| p.status == ProductStatus::Active).collect();
    match rule {
        Pick::Newest(n) => {
            active.sort_by(|a, b| b.created.cmp(a.created).then(a.id.cmp(&b.id)));
            active.truncate(n);
        }
        Pick::BestSelling(n) => {
            active.sort_by(|a, b| b.sold.cmp(&a.sold).then(a.id.cmp(&b.id)));
            active.truncate(n);
        }
        Pick::OnSale => {
            active.retain(|p| p.compare_at.is_some());
            let off = |p: &data::ProductSpec| p.compare_at.map_or(0, |c| (c.minor() - p.price.minor()) * 1000 / c.minor());
            active.sort_by(|a, b| off(b).cmp(&off(a)).then(a.id.cmp(&b.id)));
        }
    }
    active.iter().map(|p| p.id).collect()
}

/// FNV-1a: a fixed, dependency-free hash so stock levels are the same on every run.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Units on the shelf for one variant: mostly plentiful, the odd size gone or nearly gone, fewer of
/// the edge sizes.
fn on_hand(sku: &str, size: &str, stock: Stock) -> i64 {
    let h = fnv1a(sku);
    let roll = h % 100;
    let low = 1 + (h / 100 % 3) as i64;
    match stock {
        Stock::SoldOut => 0,
        Stock::Limited => match roll {
            0..=19 => 0,
            20..=74 => low,
            _ => 4 + (h / 1000 % 5) as i64,
        },
        Stock::Normal => match roll {
            0..=6 => 0,
            7..=15 => low,
            _ if matches!(size, "XS" | "XXL") => 10 + (h / 1000 % 21) as i64,
            _ => 10 + (h / 1000 % 51) as i64,
        },
    }
}

/// Grams added to the size-M weight for other sizes.
fn size_weight(size: &str) -> i64 {
    match size {
        "XS" => -25,
        "S" => -12,
        "L" => 12,
        "XL" => 25,
        "XXL" => 40,
        _ => 0,
    }
}

/// Append the EAN-13 check digit to twelve digits.
/// See <https://www.gs1.org/services/how-calculate-check-digit-manually>.
pub fn ean13(twelve: &str) -> String {
    assert!(twelve.len() == 12 && twelve.bytes().all(|b| b.is_ascii_digit()), "twelve digits, got {twelve}");
    let sum: u32 = twelve.bytes().enumerate().map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 }).sum();
    format!("{twelve}{}", (10 - sum % 10) % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ean13_check_digit_matches_a_known_barcode() {
        // The worked example from GS1's check digit calculator.
        assert_eq!(ean13("629104150021"), "6291041500213");
        assert_eq!(ean13("400638133393"), "4006381333931");
    }

    #[test]
    fn summary_keeps_whole_sentences_within_the_limit() {
        let text = "One. Two is here. ".repeat(20);
        let s = summary(text.trim());
        assert!(s.chars().count() <= 160);
        assert!(s.ends_with('.'));
    }

    #[test]
    fn summary_cuts_one_long_sentence_at_a_word() {
        let s = summary(&"word ".repeat(60));
        assert!(s.chars().count() <= 160);
        assert!(s.ends_with("word…"));
    }

    #[test]
    fn sold_out_stock_is_zero_everywhere() {
        assert_eq!(on_hand("VS-X-BLK-M", "M", Stock::SoldOut), 0);
    }
}
