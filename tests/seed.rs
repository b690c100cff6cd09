//! The demo catalog: the committed seed files match the generator, and the data has what the shop's
//! pages need to show (sale prices, every stock level, images for every colour, a category tree).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use vestify::seed::{demo_catalog, demo_images, demo_reviews_sql, demo_sql, ean13, Catalog, ProductRow, VariantRow};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn catalog() -> Catalog {
    demo_catalog()
}

fn variants_of<'a>(c: &'a Catalog, p: &ProductRow) -> Vec<&'a VariantRow> {
    c.variants.iter().filter(|v| v.product_id == p.id).collect()
}

const REGENERATE: &str = "run `cargo run --bin seed -- .` and commit the result";

#[test]
fn committed_seed_sql_matches_the_generator() {
    let on_disk = std::fs::read_to_string(repo().join("seed/demo.sql")).expect("seed/demo.sql exists");
    assert!(on_disk == demo_sql(), "seed/demo.sql is stale: {REGENERATE}");
}

#[test]
fn committed_seed_reviews_match_the_generator() {
    let on_disk = std::fs::read_to_string(repo().join("seed/reviews.sql")).expect("seed/reviews.sql exists");
    assert!(on_disk == demo_reviews_sql(), "seed/reviews.sql is stale: {REGENERATE}");
}

#[test]
fn committed_images_match_the_generator() {
    let public = repo().join("public");
    for (path, svg) in demo_images() {
        let on_disk = std::fs::read_to_string(public.join(&path)).unwrap_or_default();
        assert!(on_disk == svg, "public/{path} is missing or stale: {REGENERATE}");
    }
}

#[test]
fn generated_image_folders_hold_no_stale_files() {
    let wanted: HashSet<String> = demo_images().into_iter().map(|(path, _)| path).collect();
    for dir in ["img/products", "img/categories"] {
        let full = repo().join("public").join(dir);
        for entry in std::fs::read_dir(&full).expect("generated image folder exists") {
            let name = entry.expect("readable entry").file_name().to_string_lossy().into_owned();
            let path = format!("{dir}/{name}");
            assert!(wanted.contains(&path), "public/{path} is not generated any more: {REGENERATE}");
        }
    }
}

#[test]
fn catalog_is_big_enough_to_browse() {
    let c = catalog();
    assert!(c.products.len() >= 24, "{} products", c.products.len());
    assert!(c.categories.len() >= 6, "{} categories", c.categories.len());
    assert!(c.variants.len() >= 130, "{} variants", c.variants.len());
    assert!(c.categories.iter().filter(|c| c.featured).count() >= 4);
    assert_eq!(c.sizes.iter().map(|s| s.code).collect::<Vec<_>>(), ["XS", "S", "M", "L", "XL", "XXL"]);
    assert!(c.colors.len() >= 10);
}

#[test]
fn ids_skus_slugs_and_barcodes_are_unique() {
    let c = catalog();
    fn unique<T: std::hash::Hash + Eq + std::fmt::Debug>(what: &str, items: impl IntoIterator<Item = T>) {
        let mut seen = HashSet::new();
        for item in items {
            assert!(seen.insert(format!("{item:?}")), "duplicate {what}: {item:?}");
        }
    }
    unique("category id", c.categories.iter().map(|x| x.id));
    unique("category slug", c.categories.iter().map(|x| x.slug));
    unique("category path", c.categories.iter().map(|x| &x.path));
    unique("product id", c.products.iter().map(|x| x.id));
    unique("product slug", c.products.iter().map(|x| x.slug));
    unique("variant id", c.variants.iter().map(|x| x.id));
    unique("sku", c.variants.iter().map(|x| &x.sku));
    unique("barcode", c.variants.iter().map(|x| &x.barcode));
    unique("variant option", c.variants.iter().map(|x| (x.product_id, x.size, x.color)));
    unique("image id", c.images.iter().map(|x| x.id));
    unique("image url", c.images.iter().map(|x| &x.url));
    unique("collection slug", c.collections.iter().map(|x| x.slug));
}

#[test]
fn slugs_and_option_codes_are_lowercase_kebab_case() {
    let c = catalog();
    let kebab = |s: &str| {
        !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--")
    };
    let slugs = c.categories.iter().map(|x| x.slug).chain(c.products.iter().map(|x| x.slug));
    for s in slugs.chain(c.collections.iter().map(|x| x.slug)).chain(c.colors.iter().map(|x| x.code)) {
        assert!(kebab(s), "{s}");
    }
}

#[test]
fn colour_hex_codes_are_lowercase_rrggbb() {
    for colour in catalog().colors {
        let hex = colour.hex;
        let ok = hex.len() == 7 && hex.starts_with('#') && hex[1..].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        assert!(ok, "{}: {hex}", colour.code);
    }
}

#[test]
fn skus_name_the_product_colour_and_size() {
    let c = catalog();
    let colours: HashMap<_, _> = c.colors.iter().map(|x| (x.code, x.sku_code)).collect();
    for v in &c.variants {
        let parts: Vec<_> = v.sku.split('-').collect();
        assert_eq!(parts.len(), 4, "{}", v.sku);
        assert_eq!(parts[0], "VS");
        assert_eq!(parts[2], colours[v.color], "{}", v.sku);
        assert_eq!(parts[3], v.size, "{}", v.sku);
    }
}

#[test]
fn barcodes_are_valid_ean13() {
    for v in catalog().variants {
        assert_eq!(v.barcode.len(), 13, "{}", v.barcode);
        assert_eq!(ean13(&v.barcode[..12]), v.barcode);
        assert!(v.barcode.starts_with('2'), "restricted-circulation range: {}", v.barcode);
    }
}

#[test]
fn category_paths_follow_the_tree_and_parents_come_first() {
    let c = catalog();
    let mut seen: HashMap<i64, &str> = HashMap::new();
    for cat in &c.categories {
        let expected = match cat.parent_id {
            None => format!("/{}/", cat.slug),
            Some(parent) => format!("{}{}/", seen.get(&parent).expect("parent inserted before child"), cat.slug),
        };
        assert_eq!(cat.path, expected);
        seen.insert(cat.id, &cat.path);
    }
    assert!(c.categories.iter().any(|x| x.parent_id.is_some()), "the categories form a tree");
}

#[test]
fn every_category_has_active_products_in_its_subtree() {
    let c = catalog();
    for cat in &c.categories {
        let inside: HashSet<i64> = c.categories.iter().filter(|x| x.path.starts_with(&cat.path)).map(|x| x.id).collect();
        let n = c.products.iter().filter(|p| p.status == "active" && inside.contains(&p.category_id)).count();
        assert!(n >= 2, "{} has {n} active products", cat.slug);
    }
}

#[test]
fn products_have_full_bilingual_details() {
    for p in catalog().products {
        for (field, text) in [
            ("name_vi", p.name_vi),
            ("name_en", p.name_en),
            ("description_vi", p.description_vi),
            ("description_en", p.description_en),
            ("material_vi", p.material_vi),
            ("material_en", p.material_en),
            ("care_vi", p.care_vi),
            ("care_en", p.care_en),
            ("brand", p.brand),
            ("seo_title_vi", &p.seo_title_vi),
            ("seo_title_en", &p.seo_title_en),
            ("seo_description_vi", &p.seo_description_vi),
            ("seo_description_en", &p.seo_description_en),
        ] {
            assert!(!text.trim().is_empty(), "{}: empty {field}", p.slug);
        }
        let sentences = p.description_en.matches(". ").count() + 1;
        assert!((2..=4).contains(&sentences), "{}: {sentences} sentences", p.slug);
        assert!((3..=6).contains(&p.tags.len()), "{}: {} tags", p.slug, p.tags.len());
        assert!(p.seo_description_vi.chars().count() <= 160 && p.seo_description_en.chars().count() <= 160);
    }
}

#[test]
fn brands_mix_the_house_label_with_others() {
    let brands: HashSet<_> = catalog().products.iter().map(|p| p.brand).collect();
    assert!(brands.contains("Vestify"));
    assert!(brands.len() >= 4, "{brands:?}");
}

#[test]
fn created_dates_are_fixed_iso_timestamps_spread_over_months() {
    let products = catalog().products;
    for p in &products {
        assert!(chrono::DateTime::parse_from_rfc3339(p.created_at).is_ok() && p.created_at.ends_with('Z'), "{}", p.created_at);
        assert_eq!(p.created_at.len(), "2026-01-01T00:00:00Z".len());
    }
    let months: HashSet<_> = products.iter().map(|p| &p.created_at[..7]).collect();
    assert!(months.len() >= 5, "{months:?}");
    let sold: HashSet<_> = products.iter().map(|p| p.sold_count).collect();
    assert!(sold.len() >= products.len() - 1, "sold counts vary so best-selling has an order");
}

#[test]
fn draft_and_archived_products_exist_and_still_have_variants() {
    let c = catalog();
    for status in ["draft", "archived"] {
        let hidden: Vec<_> = c.products.iter().filter(|p| p.status == status).collect();
        assert!(!hidden.is_empty(), "no {status} product");
        for p in hidden {
            assert!(!variants_of(&c, p).is_empty(), "{} has no variants", p.slug);
        }
    }
    assert!(c.products.iter().all(|p| ["active", "draft", "archived"].contains(&p.status)));
}

#[test]
fn every_product_comes_in_several_sizes_and_colours() {
    let c = catalog();
    for p in &c.products {
        let vs = variants_of(&c, p);
        let sizes: HashSet<_> = vs.iter().map(|v| v.size).collect();
        let colours: HashSet<_> = vs.iter().map(|v| v.color).collect();
        assert!((3..=6).contains(&sizes.len()), "{}: {} sizes", p.slug, sizes.len());
        assert!((2..=4).contains(&colours.len()), "{}: {} colours", p.slug, colours.len());
        assert_eq!(vs.len(), sizes.len() * colours.len(), "{}: the full size × colour grid", p.slug);
    }
}

#[test]
fn prices_are_realistic_round_vnd() {
    for v in catalog().variants {
        let price = v.price.minor();
        assert!((290_000..=2_490_000).contains(&price), "{}: {price}", v.sku);
        assert_eq!(price % 1000, 0, "{}", v.sku);
        if let Some(was) = v.compare_at_price {
            assert_eq!(was.minor() % 1000, 0, "{}", v.sku);
        }
        assert!(v.weight_grams > 100 && v.weight_grams < 1000, "{}: {} g", v.sku, v.weight_grams);
    }
}

#[test]
fn sale_products_discount_every_variant() {
    let c = catalog();
    let mut on_sale = 0;
    for p in &c.products {
        let vs = variants_of(&c, p);
        let discounted = vs.iter().filter(|v| v.compare_at_price.is_some()).count();
        assert!(discounted == 0 || discounted == vs.len(), "{}: partly on sale", p.slug);
        for v in vs {
            if let Some(was) = v.compare_at_price {
                assert!(was > v.price, "{}: compare-at {} not above {}", v.sku, was.minor(), v.price.minor());
            }
        }
        on_sale += usize::from(discounted > 0);
    }
    assert!(on_sale >= 4, "{on_sale} products on sale");
}

#[test]
fn stock_covers_sold_out_low_and_plentiful() {
    let vs = catalog().variants;
    let out = vs.iter().filter(|v| v.on_hand == 0).count();
    let low = vs.iter().filter(|v| (1..=3).contains(&v.on_hand)).count();
    let plenty = vs.iter().filter(|v| (10..=60).contains(&v.on_hand)).count();
    assert!(out >= 5 && low >= 5, "{out} sold out, {low} low");
    assert!(plenty * 2 > vs.len(), "mostly plentiful: {plenty} of {}", vs.len());
    assert!(vs.iter().all(|v| v.on_hand >= 0 && v.on_hand <= 60));
}

#[test]
fn exactly_one_active_product_is_entirely_sold_out() {
    let c = catalog();
    let sold_out: Vec<_> = c
        .products
        .iter()
        .filter(|p| p.status == "active" && variants_of(&c, p).iter().all(|v| v.on_hand == 0))
        .map(|p| p.slug)
        .collect();
    assert_eq!(sold_out.len(), 1, "{sold_out:?}");
}

#[test]
fn every_product_colour_has_a_front_image() {
    let c = catalog();
    for v in &c.variants {
        let has = c.images.iter().any(|i| i.product_id == v.product_id && i.color == v.color && !i.url.ends_with("-back.svg"));
        assert!(has, "{}: no image in {}", v.sku, v.color);
    }
    assert!(c.images.iter().any(|i| i.url.ends_with("-back.svg")), "some products show their back too");
}

#[test]
fn image_rows_point_at_generated_files_with_meaningful_alt_text() {
    let c = catalog();
    let files: HashSet<String> = demo_images().into_iter().map(|(path, _)| path).collect();
    assert_eq!(files.len(), c.image_files().len());
    for i in &c.images {
        let path = i.url.strip_prefix('/').expect("site-absolute url");
        assert!(files.contains(path), "{} is not generated", i.url);
        assert!(i.alt_vi.contains(" màu ") && i.alt_en.contains(" in "), "{}: {} / {}", i.url, i.alt_vi, i.alt_en);
        assert_eq!((i.width, i.height), (800, 800));
    }
    for cat in &c.categories {
        assert!(files.contains(cat.image_path.trim_start_matches('/')), "{} is not generated", cat.image_path);
    }
    assert!(files.contains(vestify::seed::HERO_IMAGE.trim_start_matches('/')));
    let positions: HashSet<_> = c.images.iter().map(|i| (i.product_id, i.position)).collect();
    assert_eq!(positions.len(), c.images.len(), "positions order each gallery");
}

#[test]
fn svgs_are_small_titled_and_self_contained() {
    for (path, svg) in demo_images() {
        assert!(path.ends_with(".svg") && Path::new(&path).is_relative(), "{path}");
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "), "{path}");
        assert!(svg.contains("<title id=\"t\">") && svg.contains("aria-labelledby=\"t\""), "{path}");
        assert!(!svg.contains("http://") || svg.matches("http://").count() == 1, "{path}: no external references");
        assert!(!svg.contains("<script") && !svg.contains("href="), "{path}");
        assert!(svg.len() < 12 * 1024, "{path}: {} bytes", svg.len());
        if path.starts_with("img/products/") || path.starts_with("img/categories/") {
            assert!(svg.contains("viewBox=\"0 0 800 800\""), "{path}");
        }
    }
}

#[test]
fn collections_hold_six_to_eight_active_products() {
    let c = catalog();
    let active: HashSet<i64> = c.products.iter().filter(|p| p.status == "active").map(|p| p.id).collect();
    for slug in ["new-arrivals", "best-sellers"] {
        let col = c.collections.iter().find(|x| x.slug == slug).expect("collection exists");
        assert!((6..=8).contains(&col.product_ids.len()), "{slug}: {}", col.product_ids.len());
    }
    for col in &c.collections {
        assert!(col.product_ids.iter().all(|id| active.contains(id)), "{}: only active products", col.slug);
    }
}

#[test]
fn sql_is_one_idempotent_insert_per_row_without_transactions() {
    let c = catalog();
    let sql = demo_sql();
    let statements: Vec<_> = sql.lines().filter(|l| !l.is_empty() && !l.starts_with("--")).collect();
    for s in &statements {
        assert!(s.starts_with("INSERT INTO ") && s.ends_with(") ON CONFLICT DO NOTHING;"), "{s}");
        assert!(s.len() < 8 * 1024);
    }
    let upper = sql.to_uppercase();
    for forbidden in ["BEGIN", "COMMIT", "ROLLBACK", "PRODUCT_FTS", "STRFTIME"] {
        assert!(!upper.contains(forbidden), "{forbidden}");
    }
    let tags: usize = c.products.iter().map(|p| p.tags.len()).sum();
    let members: usize = c.collections.iter().map(|x| x.product_ids.len()).sum();
    let rows = c.sizes.len()
        + c.colors.len()
        + c.categories.len()
        + c.products.len()
        + tags
        + c.variants.len()
        + c.images.len()
        + c.collections.len()
        + members;
    assert_eq!(statements.len(), rows);
}

#[test]
fn sql_inserts_tables_in_foreign_key_order() {
    let sql = demo_sql();
    let first = |table: &str| sql.find(&format!("INSERT INTO {table} (")).unwrap_or_else(|| panic!("no {table} rows"));
    let order = ["sizes", "colors", "categories", "products", "product_tags", "variants", "product_images", "collections", "collection_products"];
    for pair in order.windows(2) {
        assert!(first(pair[0]) < first(pair[1]), "{} before {}", pair[0], pair[1]);
    }
    let last_product = sql.rfind("INSERT INTO products (").expect("products");
    assert!(last_product < first("collections"));
}

#[test]
fn quotes_in_text_are_escaped() {
    let sql = demo_sql();
    assert!(sql.contains("'Women''s vests'"));
    assert!(sql.contains("'Photographer''s vest'"));
}

#[test]
fn every_product_category_and_the_home_page_has_a_committed_social_png() {
    let c = catalog();
    let mut wanted: Vec<String> = vec![vestify::domain::sharing::HOME_IMAGE.to_string()];
    wanted.extend(c.categories.iter().map(|k| vestify::domain::sharing::category_image(k.slug)));
    wanted.extend(c.products.iter().map(|p| vestify::domain::sharing::product_image(p.slug)));
    for path in &wanted {
        let bytes = std::fs::read(repo().join("public").join(path)).unwrap_or_default();
        assert_eq!(vestify::seed::png_size(&bytes), Some((1200, 630)), "public/{path} is missing or not a 1200×630 PNG: {REGENERATE}");
        assert!(bytes.len() < 300 * 1024, "public/{path} is {} bytes", bytes.len());
    }
    let wanted: HashSet<String> = wanted.into_iter().collect();
    for dir in ["img/social/products", "img/social/categories"] {
        for entry in std::fs::read_dir(repo().join("public").join(dir)).expect("social image folder exists") {
            let name = entry.expect("readable entry").file_name().to_string_lossy().into_owned();
            assert!(wanted.contains(&format!("{dir}/{name}")), "public/{dir}/{name} is not generated any more: {REGENERATE}");
        }
    }
}
