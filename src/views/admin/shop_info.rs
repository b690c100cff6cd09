//! `/admin/shop-info`: what the storefront's footer says about the shop (hotline, Zalo, Messenger,
//! email, address, registration notice) and the four policy pages, in Vietnamese and English
//! (managers and owners; every change is in the audit log).

use maud::{html, Markup};

use super::access::shell;
use crate::app::admin::AdminRow;
use crate::domain::shop_info::{InfoField, InfoPage, PageText, ShopInfo};
use crate::views::security::csrf_field;

/// What was refused and where: the form (`None` for the contact details, a page otherwise).
pub struct Refusal<'a> {
    pub page: Option<InfoPage>,
    pub field: InfoField,
    pub message: &'a str,
}

pub fn shop_info_page(admin: &AdminRow, info: &ShopInfo, pages: &[PageText], refusal: Option<&Refusal>) -> Markup {
    let err = |page: Option<InfoPage>, field: InfoField| refusal.filter(|r| r.page == page && r.field == field).map(|r| r.message);
    let text = |id: &str, label: &str, name: &str, value: &str, error: Option<&str>, hint: Option<&str>| {
        let described = error.map(|_| format!("{id}-error")).or_else(|| hint.map(|_| format!("{id}-hint")));
        html! {
            div.field {
                label for=(id) { (label) }
                input id=(id) type="text" name=(name) value=(value) maxlength="300" aria-invalid=[error.map(|_| "true")] aria-describedby=[described];
                @if let Some(e) = error { p.field-error id=(format!("{id}-error")) { (e) } }
                @else if let Some(h) = hint { p.hint id=(format!("{id}-hint")) { (h) } }
            }
        }
    };
    html_page(admin, html! {
        h1 { "Thông tin cửa hàng" }
        p.hint { "Hiện ở chân mọi trang của cửa hàng và trong các trang chính sách. Thay đổi có hiệu lực ngay khi lưu và được ghi vào nhật ký thao tác." }
        @if let Some(r) = refusal { p.notice role="alert" { (r.message) } }
        h2 { "Liên hệ và đăng ký kinh doanh" }
        form.shop-contact method="post" action="/admin/shop-info" {
            (csrf_field())
            (text("f-hotline", "Hotline", "hotline", &crate::domain::phone::display_phone(&info.hotline), err(None, InfoField::Hotline), Some("Ví dụ: 028 3824 1234 hoặc 0909 123 456.")))
            (text("f-email", "Email hỗ trợ", "email", &info.email, err(None, InfoField::Email), None))
            (text("f-zalo", "Liên kết Zalo", "zalo_url", &info.zalo_url, err(None, InfoField::Zalo), Some("https://zalo.me/… — để trống để ẩn.")))
            (text("f-messenger", "Liên kết Messenger", "messenger_url", &info.messenger_url, err(None, InfoField::Messenger), Some("https://m.me/… — để trống để ẩn.")))
            (text("f-address-vi", "Địa chỉ (tiếng Việt)", "address_vi", &info.address_vi, err(None, InfoField::Address), None))
            (text("f-address-en", "Địa chỉ (tiếng Anh)", "address_en", &info.address_en, err(None, InfoField::Address), None))
            (text("f-registration-vi", "Dòng đăng ký kinh doanh (tiếng Việt)", "registration_vi", &info.registration_vi, err(None, InfoField::Registration), Some("Tên doanh nghiệp, mã số doanh nghiệp, nơi và ngày cấp — để trống để ẩn.")))
            (text("f-registration-en", "Dòng đăng ký kinh doanh (tiếng Anh)", "registration_en", &info.registration_en, err(None, InfoField::Registration), None))
            (text("f-notice", "Liên kết thông báo Bộ Công Thương", "notice_url", &info.notice_url, err(None, InfoField::NoticeUrl), Some("Trang của cửa hàng trên online.gov.vn (https://online.gov.vn/…). Khi có, chân trang hiện “Đã thông báo Bộ Công Thương”.")))
            button.button type="submit" { "Lưu thông tin" }
        }
        @for p in pages {
            @if let Some(which) = InfoPage::parse(&p.slug) {
                @let id = |f: &str| format!("p-{}-{f}", p.slug);
                section.shop-page-edit data-page=(p.slug) {
                    h2 { (p.title_vi) " " a href=(which.path()) { "(xem trang)" } }
                    form method="post" action=(format!("/admin/shop-info/{}", p.slug)) {
                        (csrf_field())
                        (text(&id("title-vi"), "Tiêu đề (tiếng Việt)", "title_vi", &p.title_vi, err(Some(which), InfoField::Title), None))
                        (text(&id("title-en"), "Tiêu đề (tiếng Anh)", "title_en", &p.title_en, err(Some(which), InfoField::Title), None))
                        @for (f, label, name, value) in [("body-vi", "Nội dung (tiếng Việt)", "body_vi", &p.body_vi), ("body-en", "Nội dung (tiếng Anh)", "body_en", &p.body_en)] {
                            @let error = err(Some(which), InfoField::Body);
                            div.field {
                                label for=(id(f)) { (label) }
                                textarea id=(id(f)) name=(name) rows="10" maxlength="20000" aria-invalid=[error.map(|_| "true")] aria-describedby=(id("hint")) { (value) }
                            }
                        }
                        p.hint id=(id("hint")) { "Một dòng trống bắt đầu đoạn mới; dòng bắt đầu bằng “- ” là một mục trong danh sách." }
                        button.button type="submit" { "Lưu trang" }
                    }
                }
            }
        }
    })
}

fn html_page(admin: &AdminRow, main: Markup) -> Markup {
    shell("Thông tin cửa hàng", Some(admin), main)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_field_is_marked_and_explained_beside_itself_only() {
        let admin = AdminRow { id: "a".into(), email: "m@vestify.vn".into(), name: String::new(), role: "manager".into(), password_hash: String::new(), disabled_at: None };
        let info = ShopInfo { hotline: "+842838241234".into(), ..ShopInfo::default() };
        let pages = [PageText { slug: "returns".into(), title_vi: "Đổi trả trong 30 ngày".into(), ..PageText::default() }];
        let refusal = Refusal { page: None, field: InfoField::Zalo, message: "Liên kết Zalo phải bắt đầu bằng https://zalo.me/." };
        let html = shop_info_page(&admin, &info, &pages, Some(&refusal)).into_string();
        assert!(html.contains(r#"value="028 3824 1234""#), "the hotline as people type it");
        assert!(html.contains(r#"name="zalo_url" value="" maxlength="300" aria-invalid="true" aria-describedby="f-zalo-error""#), "{html}");
        assert_eq!(html.matches("aria-invalid").count(), 1);
        assert!(html.contains(r#"action="/admin/shop-info/returns""#) && html.contains(r#"href="/pages/returns""#));
    }
}
