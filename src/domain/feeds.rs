//! The shopping feeds: one row per sellable variant, written for Google Merchant Center
//! (`/feeds/google.xml`, RSS 2.0 with the `g:` namespace), Meta's commerce catalog (`/feeds/meta.csv`,
//! the URL that keeps a Facebook/Instagram shop in sync) and TikTok's catalog (`/feeds/tiktok.csv`).
//!
//! Specifications: Google https://support.google.com/merchants/answer/7052112 (product data),
//! https://support.google.com/merchants/answer/160589 (RSS); Meta
//! https://developers.facebook.com/docs/marketing-api/catalog/reference; TikTok
//! https://ads.tiktok.com/help/article/catalog-product-parameters. The three differ in column names
//! and availability words, not in content: one `FeedItem` per variant serves all of them.

use crate::domain::money::Vnd;

/// Google's and Meta's limits on a title and a description, in characters.
pub const TITLE_MAX: usize = 150;
pub const DESCRIPTION_MAX: usize = 5_000;
/// `id` and `item_group_id`: at most 50 characters (Google).
pub const ID_MAX: usize = 50;

/// One sellable variant as every feed lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedItem {
    /// The variant's SKU: Google's `id`, Meta's `id` (also the Pixel's `content_id`), TikTok's `sku_id`.
    pub id: String,
    /// The product, shared by its variants (`item_group_id`).
    pub group_id: String,
    pub title: String,
    pub description: String,
    /// The variant's page (absolute).
    pub link: String,
    /// A raster image (absolute; PNG, JPEG, WebP or GIF: no feed takes SVG).
    pub image_link: String,
    pub in_stock: bool,
    /// The price a shopper pays now (the page's price).
    pub price: Vnd,
    /// The price before a sale, when the page shows one crossed out.
    pub compare_at: Option<Vnd>,
    pub brand: String,
    /// The barcode when it is a valid GTIN (EAN-13, UPC-A, EAN-8, GTIN-14).
    pub gtin: Option<String>,
    /// The manufacturer's part number: the SKU of the shop's own label.
    pub mpn: Option<String>,
    pub size: String,
    pub color: String,
    /// `male`, `female` or `unisex`.
    pub gender: String,
    /// `adult`, `kids`…
    pub age_group: String,
    /// The category trail ("Gile công sở > Gile âu").
    pub product_type: String,
    /// Standard shipping within Vietnam for one unit to the farthest domestic zone (0 when the price
    /// reaches the free-shipping threshold), and its delivery window in days.
    pub shipping: Option<(Vnd, [i64; 2])>,
}

/// Whether a URL names a raster image a feed accepts (by its extension).
pub fn is_raster(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or(url).to_ascii_lowercase();
    [".png", ".jpg", ".jpeg", ".webp", ".gif"].iter().any(|ext| path.ends_with(ext))
}

/// A barcode that is a GTIN: 8, 12, 13 or 14 digits with a correct check digit.
pub fn gtin(barcode: &str) -> Option<String> {
    let digits: Vec<u32> = barcode.chars().map(|c| c.to_digit(10)).collect::<Option<_>>()?;
    if ![8, 12, 13, 14].contains(&digits.len()) {
        return None;
    }
    let (body, check) = digits.split_at(digits.len() - 1);
    let sum: u32 = body.iter().rev().enumerate().map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d }).sum();
    ((10 - sum % 10) % 10 == check[0]).then(|| barcode.to_string())
}

/// At most `max` characters, cut at a character boundary.
pub fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Text for a feed cell: one line, single spaces (descriptions are plain text in every feed).
pub fn plain(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A price as the feeds write it: "390000 VND".
pub fn price(amount: Vnd) -> String {
    format!("{} VND", amount.minor())
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Google Merchant Center's RSS 2.0 feed.
pub fn google_xml(shop_name: &str, home: &str, items: &[FeedItem]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:g=\"http://base.google.com/ns/1.0\">\n<channel>\n");
    out.push_str(&format!("<title>{}</title>\n<link>{}</link>\n<description>{}</description>\n", xml_escape(shop_name), xml_escape(home), xml_escape(shop_name)));
    for item in items {
        let mut body = String::new();
        let mut tag = |name: &str, value: &str| body.push_str(&format!("  <g:{name}>{}</g:{name}>\n", xml_escape(value)));
        tag("id", &item.id);
        tag("item_group_id", &item.group_id);
        tag("title", &item.title);
        tag("description", &item.description);
        tag("link", &item.link);
        tag("image_link", &item.image_link);
        tag("availability", if item.in_stock { "in_stock" } else { "out_of_stock" });
        match item.compare_at {
            Some(before) => {
                tag("price", &price(before));
                tag("sale_price", &price(item.price));
            }
            None => tag("price", &price(item.price)),
        }
        tag("brand", &item.brand);
        tag("condition", "new");
        match (&item.gtin, &item.mpn) {
            (Some(gtin), _) => tag("gtin", gtin),
            (None, Some(mpn)) => tag("mpn", mpn),
            (None, None) => tag("identifier_exists", "no"),
        }
        tag("size", &item.size);
        tag("color", &item.color);
        tag("gender", &item.gender);
        tag("age_group", &item.age_group);
        tag("product_type", &item.product_type);
        if let Some((fee, [min, max])) = item.shipping {
            body.push_str(&format!(
                "  <g:shipping><g:country>VN</g:country><g:service>Standard</g:service><g:price>{}</g:price><g:min_transit_time>{min}</g:min_transit_time><g:max_transit_time>{max}</g:max_transit_time></g:shipping>\n",
                price(fee)
            ));
        }
        out.push_str("<item>\n");
        out.push_str(&body);
        out.push_str("</item>\n");
    }
    out.push_str("</channel>\n</rss>\n");
    out
}

/// A CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes doubled.
fn csv_cell(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

fn csv(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut out = header.join(",");
    out.push_str("\r\n");
    for row in rows {
        out.push_str(&row.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

fn shipping_cell(item: &FeedItem) -> String {
    // Meta's and TikTok's "country:region:service:price" form.
    item.shipping.map(|(fee, _)| format!("VN::Standard:{}", price(fee))).unwrap_or_default()
}

fn sale_columns(item: &FeedItem) -> (String, String) {
    match item.compare_at {
        Some(before) => (price(before), price(item.price)),
        None => (price(item.price), String::new()),
    }
}

/// Meta's commerce catalog (CSV): availability "in stock" / "out of stock", with a space.
pub const META_HEADER: [&str; 18] = [
    "id", "item_group_id", "title", "description", "availability", "condition", "price", "sale_price", "link", "image_link", "brand", "gtin", "mpn",
    "size", "color", "gender", "age_group", "shipping",
];

pub fn meta_csv(items: &[FeedItem]) -> String {
    csv(
        &META_HEADER,
        items.iter().map(|i| {
            let mut row = catalog_row(i);
            row.push(shipping_cell(i));
            row
        }),
    )
}

/// TikTok's catalog (CSV): `sku_id`, availability "in stock" / "out of stock".
pub const TIKTOK_HEADER: [&str; 17] = [
    "sku_id", "item_group_id", "title", "description", "availability", "condition", "price", "sale_price", "link", "image_link", "brand", "gtin", "mpn",
    "size", "color", "gender", "age_group",
];

pub fn tiktok_csv(items: &[FeedItem]) -> String {
    csv(&TIKTOK_HEADER, items.iter().map(catalog_row))
}

/// The columns Meta's and TikTok's catalogs share, in their headers' order (Meta adds `shipping`).
fn catalog_row(i: &FeedItem) -> Vec<String> {
    let (price, sale) = sale_columns(i);
    vec![
        i.id.clone(),
        i.group_id.clone(),
        i.title.clone(),
        i.description.clone(),
        (if i.in_stock { "in stock" } else { "out of stock" }).to_string(),
        "new".to_string(),
        price,
        sale,
        i.link.clone(),
        i.image_link.clone(),
        i.brand.clone(),
        i.gtin.clone().unwrap_or_default(),
        i.mpn.clone().unwrap_or_default(),
        i.size.clone(),
        i.color.clone(),
        i.gender.clone(),
        i.age_group.clone(),
    ]
}

/// Who a product is cut for: Google's `gender` (https://support.google.com/merchants/answer/6324479),
/// also read by Meta and TikTok. Stored in `products.gender` (migration 0044), set on the product form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
    #[default]
    Unisex,
}

impl Gender {
    pub const ALL: [Gender; 3] = [Gender::Male, Gender::Female, Gender::Unisex];

    pub fn code(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Unisex => "unisex",
        }
    }

    pub fn parse(s: &str) -> Option<Gender> {
        Gender::ALL.into_iter().find(|g| g.code() == s)
    }
}

/// The age a product is made for: Google's `age_group` (https://support.google.com/merchants/answer/6324463):
/// newborn 0–3 months, infant 3–12 months, toddler 1–5 years, kids 5–13 years, adult teens and up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeGroup {
    Newborn,
    Infant,
    Toddler,
    Kids,
    #[default]
    Adult,
}

impl AgeGroup {
    pub const ALL: [AgeGroup; 5] = [AgeGroup::Newborn, AgeGroup::Infant, AgeGroup::Toddler, AgeGroup::Kids, AgeGroup::Adult];

    pub fn code(self) -> &'static str {
        match self {
            AgeGroup::Newborn => "newborn",
            AgeGroup::Infant => "infant",
            AgeGroup::Toddler => "toddler",
            AgeGroup::Kids => "kids",
            AgeGroup::Adult => "adult",
        }
    }

    pub fn parse(s: &str) -> Option<AgeGroup> {
        AgeGroup::ALL.into_iter().find(|a| a.code() == s)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn item(id: &str) -> FeedItem {
        FeedItem {
            id: id.into(),
            group_id: "P1".into(),
            title: "Gile len \"cổ tim\", màu be — M".into(),
            description: "Len merino & cotton <mềm>, ấm".into(),
            link: format!("https://shop.test/p/gile-len?variant={id}"),
            image_link: "https://shop.test/media/abc.jpg".into(),
            in_stock: true,
            price: Vnd::new(390_000),
            compare_at: None,
            brand: "Vestify".into(),
            gtin: None,
            mpn: Some(id.into()),
            size: "M".into(),
            color: "Be".into(),
            gender: "unisex".into(),
            age_group: "adult".into(),
            product_type: "Áo gile len".into(),
            shipping: Some((Vnd::new(35_000), [2, 5])),
        }
    }

    /// Google's documented formats for the attributes this shop sends
    /// (https://support.google.com/merchants/answer/7052112).
    pub fn check_google_item(item: roxmltree::Node) -> Result<(), String> {
        let g = "http://base.google.com/ns/1.0";
        let get = |name: &str| item.children().find(|c| c.tag_name().namespace() == Some(g) && c.tag_name().name() == name).and_then(|c| c.text()).map(str::to_string);
        let need = |name: &str| get(name).filter(|v| !v.trim().is_empty()).ok_or(format!("missing g:{name}"));
        let id = need("id")?;
        if id.chars().count() > ID_MAX {
            return Err(format!("id {id} is longer than {ID_MAX}"));
        }
        let group = need("item_group_id")?;
        if group.chars().count() > ID_MAX {
            return Err("item_group_id too long".into());
        }
        if need("title")?.chars().count() > TITLE_MAX || need("description")?.chars().count() > DESCRIPTION_MAX {
            return Err(format!("{id}: title or description too long"));
        }
        for url in ["link", "image_link"] {
            if !need(url)?.starts_with("https://") && !need(url)?.starts_with("http://") {
                return Err(format!("{id}: {url} is not absolute"));
            }
        }
        if !is_raster(&need("image_link")?) {
            return Err(format!("{id}: image_link is not a raster image"));
        }
        if !["in_stock", "out_of_stock", "preorder", "backorder"].contains(&need("availability")?.as_str()) {
            return Err(format!("{id}: availability"));
        }
        let price_ok = |p: &str| p.strip_suffix(" VND").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !price_ok(&need("price")?) || get("sale_price").is_some_and(|p| !price_ok(&p)) {
            return Err(format!("{id}: price is not \"N VND\""));
        }
        need("brand")?;
        if need("condition")? != "new" {
            return Err(format!("{id}: condition"));
        }
        if get("gtin").is_none() && get("mpn").is_none() && get("identifier_exists").as_deref() != Some("no") {
            return Err(format!("{id}: no gtin, no mpn and no identifier_exists=no"));
        }
        if let Some(gtin_value) = get("gtin") {
            if gtin(&gtin_value).is_none() {
                return Err(format!("{id}: gtin {gtin_value} is not a valid GTIN"));
            }
        }
        need("size")?;
        need("color")?;
        if Gender::parse(&need("gender")?).is_none() {
            return Err(format!("{id}: gender"));
        }
        if AgeGroup::parse(&need("age_group")?).is_none() {
            return Err(format!("{id}: age_group"));
        }
        Ok(())
    }

    /// Meta's and TikTok's required columns, non-empty, with their availability words and prices.
    pub fn check_csv(text: &str, id_column: &str) -> Result<usize, String> {
        let rows = parse_csv(text);
        let header = rows.first().ok_or("empty")?;
        let col = |name: &str| header.iter().position(|h| h == name).ok_or(format!("no column {name}"));
        for row in &rows[1..] {
            if row.len() != header.len() {
                return Err(format!("a row has {} cells, the header {}", row.len(), header.len()));
            }
            for name in [id_column, "title", "description", "availability", "condition", "price", "link", "image_link", "brand", "item_group_id"] {
                if row[col(name)?].trim().is_empty() {
                    return Err(format!("{}: empty {name}", row[0]));
                }
            }
            if !["in stock", "out of stock"].contains(&row[col("availability")?].as_str()) {
                return Err("availability".into());
            }
            if !row[col("price")?].ends_with(" VND") || !is_raster(&row[col("image_link")?]) {
                return Err(format!("{}: price or image", row[0]));
            }
        }
        Ok(rows.len() - 1)
    }

    /// RFC 4180 as the catalogs read it.
    fn parse_csv(text: &str) -> Vec<Vec<String>> {
        let (mut rows, mut row, mut cell, mut quoted, mut chars) = (Vec::new(), Vec::new(), String::new(), false, text.chars().peekable());
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    cell.push('"');
                    chars.next();
                }
                ('"', true) => quoted = false,
                ('"', false) if cell.is_empty() => quoted = true,
                (',', false) => row.push(std::mem::take(&mut cell)),
                ('\r', false) => {}
                ('\n', false) => {
                    row.push(std::mem::take(&mut cell));
                    rows.push(std::mem::take(&mut row));
                }
                (c, _) => cell.push(c),
            }
        }
        rows
    }

    #[test]
    fn google_feed_is_well_formed_rss_with_every_required_attribute() {
        let mut sale = item("GL-BE-M");
        sale.compare_at = Some(Vnd::new(450_000));
        sale.gtin = Some("8934567890120".into());
        let xml = google_xml("Vestify", "https://shop.test/", &[item("GL-BE-S"), sale]);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
        let items: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("item")).collect();
        assert_eq!(items.len(), 2);
        for i in &items {
            check_google_item(*i).unwrap();
        }
        assert!(xml.contains("<g:price>390000 VND</g:price>"));
        assert!(xml.contains("<g:price>450000 VND</g:price>\n  <g:sale_price>390000 VND</g:sale_price>"));
        assert!(xml.contains("<g:gtin>8934567890120</g:gtin>") && xml.contains("<g:mpn>GL-BE-S</g:mpn>"));
        assert!(xml.contains("&amp; cotton &lt;mềm&gt;"), "text is escaped");
    }

    #[test]
    fn the_checker_refuses_what_google_refuses() {
        for (broken, why) in [
            (FeedItem { image_link: "https://shop.test/a.svg".into(), ..item("A") }, "svg"),
            (FeedItem { brand: String::new(), ..item("A") }, "brand"),
            (FeedItem { id: "X".repeat(51), ..item("A") }, "id"),
        ] {
            let xml = google_xml("V", "https://shop.test/", &[broken]);
            let doc = roxmltree::Document::parse(&xml).unwrap();
            let node = doc.descendants().find(|n| n.has_tag_name("item")).unwrap();
            assert!(check_google_item(node).is_err(), "{why} passed");
        }
    }

    #[test]
    fn csv_feeds_quote_commas_and_quotes_and_use_their_channels_words() {
        let mut out = item("GL-BE-S");
        out.in_stock = false;
        let meta = meta_csv(&[item("GL-BE-M"), out.clone()]);
        assert_eq!(check_csv(&meta, "id"), Ok(2));
        assert!(meta.contains("\"Gile len \"\"cổ tim\"\", màu be — M\""));
        assert!(meta.contains(",out of stock,") && meta.contains(",in stock,"));
        let tiktok = tiktok_csv(&[out]);
        assert!(tiktok.starts_with("sku_id,"));
        assert_eq!(check_csv(&tiktok, "sku_id"), Ok(1));
    }

    #[test]
    fn gtins_are_checked_by_their_check_digit() {
        assert_eq!(gtin("8934567890120").as_deref(), Some("8934567890120"));
        assert_eq!(gtin("8934567890129"), None);
        assert_eq!(gtin("036000291452").as_deref(), Some("036000291452"));
        assert_eq!(gtin("ABC"), None);
        assert!(is_raster("/media/x.JPG?w=1") && !is_raster("/img/x.svg"));
    }
}
