//! The shop's contact details and policy pages (issue 20, item 5): read for every storefront page's
//! footer and `/pages/{slug}`, edited by managers in `/admin/shop-info`, each change one batch with
//! its audit row (before and after).

use super::admin::{audit_sql, Actor};
use super::db::{Db, DbError};
use super::sql::Sql;
use crate::domain::shop_info::{InfoField, InfoPage, PageText, ShopInfo};

const INFO_COLUMNS: &str = "hotline, email, zalo_url, messenger_url, address_vi, address_en, registration_vi, registration_en, notice_url";

pub fn info_sql() -> Sql {
    Sql::new(format!("SELECT {INFO_COLUMNS} FROM shop_info WHERE id = 1"))
}

/// The contact details (all empty should the row be missing).
pub async fn info(db: &impl Db) -> Result<ShopInfo, DbError> {
    Ok(db.first::<ShopInfo>(&info_sql()).await?.unwrap_or_default())
}

/// Every policy page, in the footer's order.
pub async fn pages(db: &impl Db) -> Result<Vec<PageText>, DbError> {
    let mut rows: Vec<PageText> = db.all(&Sql::new("SELECT slug, title_vi, title_en, body_vi, body_en FROM shop_pages")).await?;
    crate::domain::sort::sort_by_key(&mut rows, |r| InfoPage::ALL.iter().position(|p| p.slug() == r.slug));
    Ok(rows)
}

pub async fn page(db: &impl Db, which: InfoPage) -> Result<Option<PageText>, DbError> {
    db.first(&Sql::new("SELECT slug, title_vi, title_en, body_vi, body_en FROM shop_pages WHERE slug = ?").bind(which.slug())).await
}

/// Saves the contact details as typed, checked (`ShopInfo::parse`); audited as `shop_info.update`.
pub async fn save_info(db: &impl Db, actor: &Actor<'_>, typed: ShopInfo, now: i64) -> Result<Result<(), InfoField>, DbError> {
    let info = match ShopInfo::parse(typed) {
        Ok(info) => info,
        Err(field) => return Ok(Err(field)),
    };
    let before = self::info(db).await?;
    let update = Sql::new(
        "INSERT INTO shop_info (id, hotline, email, zalo_url, messenger_url, address_vi, address_en, registration_vi, registration_en, notice_url, updated_at)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET hotline = excluded.hotline, email = excluded.email, zalo_url = excluded.zalo_url,
           messenger_url = excluded.messenger_url, address_vi = excluded.address_vi, address_en = excluded.address_en,
           registration_vi = excluded.registration_vi, registration_en = excluded.registration_en,
           notice_url = excluded.notice_url, updated_at = excluded.updated_at",
    )
    .bind(info.hotline.as_str())
    .bind(info.email.as_str())
    .bind(info.zalo_url.as_str())
    .bind(info.messenger_url.as_str())
    .bind(info.address_vi.as_str())
    .bind(info.address_en.as_str())
    .bind(info.registration_vi.as_str())
    .bind(info.registration_en.as_str())
    .bind(info.notice_url.as_str())
    .bind(now);
    let json = |i: &ShopInfo| serde_json::to_value(i).unwrap_or_default();
    let audit = audit_sql(actor, "shop_info.update", "shop_info", "1", Some(&json(&before)), Some(&json(&info)), now);
    db.batch(&[update, audit]).await?;
    Ok(Ok(()))
}

/// Saves a policy page as typed, checked (`PageText::parse`); audited as `shop_pages.update`.
pub async fn save_page(db: &impl Db, actor: &Actor<'_>, which: InfoPage, typed: PageText, now: i64) -> Result<Result<(), InfoField>, DbError> {
    let text = match PageText::parse(PageText { slug: which.slug().to_string(), ..typed }) {
        Ok(text) => text,
        Err(field) => return Ok(Err(field)),
    };
    let before = page(db, which).await?;
    let update = Sql::new(
        "INSERT INTO shop_pages (slug, title_vi, title_en, body_vi, body_en, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (slug) DO UPDATE SET title_vi = excluded.title_vi, title_en = excluded.title_en,
           body_vi = excluded.body_vi, body_en = excluded.body_en, updated_at = excluded.updated_at",
    )
    .bind(which.slug())
    .bind(text.title_vi.as_str())
    .bind(text.title_en.as_str())
    .bind(text.body_vi.as_str())
    .bind(text.body_en.as_str())
    .bind(now);
    let json = |p: &PageText| serde_json::to_value(p).unwrap_or_default();
    let audit = audit_sql(actor, "shop_pages.update", "shop_pages", which.slug(), before.as_ref().map(json).as_ref(), Some(&json(&text)), now);
    db.batch(&[update, audit]).await?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{block_on, Sqlite};

    #[test]
    fn the_seeded_details_and_pages_are_there_in_both_languages() {
        let db = Sqlite::migrated();
        let info = block_on(info(&db)).unwrap();
        assert_eq!(info.hotline, "+842838241234");
        assert!(info.zalo_url.starts_with("https://zalo.me/") && info.messenger_url.starts_with("https://m.me/"));
        assert!(ShopInfo::parse(info.clone()).is_ok(), "the seed passes the admin's own checks");
        let pages = block_on(pages(&db)).unwrap();
        assert_eq!(pages.iter().map(|p| p.slug.as_str()).collect::<Vec<_>>(), ["shipping", "returns", "privacy", "terms"]);
        let returns = &pages[1];
        assert_eq!(returns.title_vi, "Đổi trả trong 30 ngày");
        assert!(returns.body_en.contains("30 days"));
        for p in &pages {
            assert!(PageText::parse(p.clone()).is_ok(), "{} passes the admin's checks", p.slug);
        }
    }

    #[test]
    fn managers_edit_details_and_pages_and_each_change_is_audited_with_before_and_after() {
        let db = Sqlite::migrated();
        let actor = Actor { id: "m", email: "m@vestify.vn", ip: "" };
        let typed = ShopInfo { hotline: "0909 123 456".into(), address_vi: "1 Đồng Khởi".into(), ..block_on(info(&db)).unwrap() };
        assert_eq!(block_on(save_info(&db, &actor, typed.clone(), 5)).unwrap(), Ok(()));
        assert_eq!(block_on(info(&db)).unwrap().hotline, "+84909123456");
        assert_eq!(block_on(save_info(&db, &actor, ShopInfo { zalo_url: "http://zalo.me/x".into(), ..typed }, 6)).unwrap(), Err(InfoField::Zalo));
        assert_eq!(db.text("SELECT json_extract(before, '$.hotline') || ' → ' || json_extract(after, '$.hotline') FROM audit_log WHERE action = 'shop_info.update'"), "+842838241234 → +84909123456");

        let returns = block_on(page(&db, InfoPage::Returns)).unwrap().unwrap();
        let edited = PageText { body_vi: "Đổi trong 30 ngày.\r\n\r\n- Còn tem".into(), slug: "ignored".into(), ..returns };
        assert_eq!(block_on(save_page(&db, &actor, InfoPage::Returns, edited.clone(), 7)).unwrap(), Ok(()));
        let saved = block_on(page(&db, InfoPage::Returns)).unwrap().unwrap();
        assert_eq!((saved.slug.as_str(), saved.body_vi.as_str()), ("returns", "Đổi trong 30 ngày.\n\n- Còn tem"));
        assert_eq!(block_on(save_page(&db, &actor, InfoPage::Terms, PageText { title_vi: String::new(), ..edited }, 8)).unwrap(), Err(InfoField::Title));
        assert_eq!(db.int("SELECT COUNT(*) FROM audit_log WHERE entity IN ('shop_info', 'shop_pages')"), 2, "refused changes leave no row");
    }
}
