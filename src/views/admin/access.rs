//! The admin area's pages: sign-in, the landing page (what this role may do), the customers lookup,
//! admin users (owners), and the read-only audit log (owners). Vietnamese by default, English under
//! `?lang=en` is not offered: the back office is for the shop's own staff.

use maud::{html, Markup, DOCTYPE};

use crate::views::security::csrf_field;
use crate::app::admin::{AdminRow, AuditRow, CustomerListRow};
use crate::assets;
use crate::domain::admin::{Permission, Role};
use crate::domain::time::vn_time;

pub(super) fn shell(title: &str, admin: Option<&AdminRow>, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                title { (title) " | Vestify Admin" }
                link rel="icon" href=(assets::url("img/favicon.svg")) type="image/svg+xml";
                link rel="stylesheet" href=(assets::url("css/app.css"));
            }
            body.admin {
                header.site-header {
                    div.bar {
                        a.logo href="/admin" { span { "Vestify Admin" } }
                        @if let Some(a) = admin {
                            div.utility {
                                span.admin-who data-role=(a.role) { (a.email) " (" (Role::name_of(&a.role, crate::domain::locale::Locale::Vi)) ")" }
                                form.logout method="post" action="/admin/logout" {
                                    (csrf_field())
                                    button.link type="submit" { "Đăng xuất" }
                                }
                            }
                        }
                    }
                }
                main #main { (main) }
            }
        }
    }
}

pub fn login_page(email: &str, error: Option<&str>) -> Markup {
    shell(
        "Đăng nhập quản trị",
        None,
        html! {
            section.account-form {
                h1 { "Đăng nhập quản trị" }
                @if let Some(e) = error { p.notice role="alert" { (e) } }
                form.admin-login method="post" action="/admin/login" {
                    (csrf_field())
                    div.field { label for="f-email" { "Email" } input #f-email type="email" name="email" value=(email) autocomplete="username" required; }
                    div.field { label for="f-password" { "Mật khẩu" } input #f-password type="password" name="password" autocomplete="current-password" required; }
                    button.button type="submit" { "Đăng nhập" }
                }
            }
        },
    )
}

/// The sections of the back office, with the permission each needs.
const SECTIONS: &[(&str, &str, Permission)] = &[
    ("/admin/customers", "Khách hàng", Permission::ViewCustomers),
    ("/admin/users", "Tài khoản quản trị", Permission::ManageAdmins),
    ("/admin/audit", "Nhật ký thao tác", Permission::ViewAuditLog),
    ("/admin/shipping", "Phí giao hàng", Permission::EditPrices),
    ("/admin/search-words", "Từ đồng nghĩa khi tìm kiếm", Permission::EditPrices),
    ("/admin/tags", "Tên tiếng Anh của thẻ sản phẩm", Permission::EditPrices),
    ("/admin/shop-info", "Thông tin cửa hàng và trang chính sách", Permission::EditPrices),
    ("/admin/reviews", "Đánh giá sản phẩm", Permission::ModerateReviews),
];

pub fn landing_page(admin: &AdminRow, role: Role) -> Markup {
    shell(
        "Tổng quan",
        Some(admin),
        html! {
            h1 { "Xin chào, " (if admin.name.is_empty() { &admin.email } else { &admin.name }) }
            nav.admin-sections aria-label="Quản trị" {
                ul {
                    @for (href, label, p) in SECTIONS {
                        @if role.can(*p) { li { a href=(href) { (label) } } }
                    }
                }
            }
        },
    )
}

pub fn customers_page(admin: &AdminRow, q: &str, rows: &[CustomerListRow]) -> Markup {
    shell(
        "Khách hàng",
        Some(admin),
        html! {
            h1 { "Khách hàng" }
            form.search method="get" action="/admin/customers" {
                label for="f-q" { "Email bắt đầu bằng" }
                input #f-q type="search" name="q" value=(q) maxlength="254";
                button type="submit" { "Tìm" }
            }
            table.admin-customers {
                thead { tr { th { "Email" } th { "Tên" } th { "Ngày tạo" } th { "Đơn hàng" } } }
                tbody {
                    @for c in rows {
                        tr data-customer=(c.id) { td { (c.email) } td { (c.name) } td { (vn_time(c.created_at)) } td { (c.orders) } }
                    }
                }
            }
        },
    )
}

pub fn users_page(admin: &AdminRow, users: &[AdminRow], error: Option<&str>) -> Markup {
    shell(
        "Tài khoản quản trị",
        Some(admin),
        html! {
            h1 { "Tài khoản quản trị" }
            @if let Some(e) = error { p.notice role="alert" { (e) } }
            table.admin-users {
                thead { tr { th { "Email" } th { "Vai trò" } th { "Trạng thái" } th { "Đổi vai trò" } } }
                tbody {
                    @for u in users {
                        tr data-admin=(u.id) {
                            td { (u.email) }
                            td data-role=(u.role) { (Role::name_of(&u.role, crate::domain::locale::Locale::Vi)) }
                            td { @if u.disabled_at.is_some() { "Đã khoá" } @else { "Hoạt động" } }
                            td {
                                @if u.disabled_at.is_none() {
                                    form.set-role method="post" action=(format!("/admin/users/{}/role", u.id)) {
                                        (csrf_field())
                                        select name="role" aria-label="Vai trò" {
                                            @for r in Role::ALL { option value=(r.code()) selected[r.code() == u.role] { (r.name(crate::domain::locale::Locale::Vi)) } }
                                        }
                                        button type="submit" { "Lưu" }
                                    }
                                    form.disable method="post" action=(format!("/admin/users/{}/disable", u.id)) {
                                        (csrf_field())
                                        button.link type="submit" { "Khoá" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p { a href="/admin/api-keys" { "Khoá API cho máy chủ đối tác" } }
            h2 { "Thêm tài khoản" }
            form.create-admin method="post" action="/admin/users" {
                (csrf_field())
                div.field { label for="f-email" { "Email" } input #f-email type="email" name="email" required; }
                div.field { label for="f-name" { "Tên" } input #f-name type="text" name="name"; }
                div.field { label for="f-role" { "Vai trò" } select #f-role name="role" { @for r in Role::ALL { option value=(r.code()) { (r.name(crate::domain::locale::Locale::Vi)) } } } }
                div.field { label for="f-password" { "Mật khẩu tạm thời" } input #f-password type="password" name="password" autocomplete="new-password" required; }
                button.button type="submit" { "Tạo" }
            }
        },
    )
}

pub fn audit_page(admin: &AdminRow, rows: &[AuditRow], next: Option<i64>) -> Markup {
    shell(
        "Nhật ký thao tác",
        Some(admin),
        html! {
            h1 { "Nhật ký thao tác" }
            table.audit-log {
                thead { tr { th { "Lúc" } th { "Ai" } th { "Thao tác" } th { "Đối tượng" } th { "Trước" } th { "Sau" } th { "IP" } } }
                tbody {
                    @for r in rows {
                        tr data-audit=(r.id) data-action=(r.action) {
                            td { (vn_time(r.at)) }
                            td { (r.actor_email) }
                            td { (r.action) }
                            td { (r.entity) " " (r.entity_id) }
                            td { code { (r.before.as_deref().unwrap_or("")) } }
                            td { code { (r.after.as_deref().unwrap_or("")) } }
                            td { (r.ip) }
                        }
                    }
                }
            }
            @if let Some(id) = next { p { a href=(format!("/admin/audit?before={id}")) { "Cũ hơn" } } }
        },
    )
}

pub fn forbidden_page(admin: &AdminRow) -> Markup {
    shell("Không có quyền", Some(admin), html! { h1 { "Không có quyền" } p { "Vai trò của bạn không được phép làm việc này." } })
}

/// `/admin/shipping`: the rate table by zone, method and weight bracket, each row editable, and a
/// row to add (managers and owners; every change is in the audit log).
pub fn shipping_page(admin: &AdminRow, rows: &[crate::app::shipping::RateRow], error: Option<&str>) -> Markup {
    use crate::domain::shipping::Zone;
    let zone_name = |z: Zone| match z {
        Zone::SameProvince => "Cùng tỉnh với kho",
        Zone::SameRegion => "Cùng miền",
        Zone::OtherRegion => "Miền khác",
        Zone::International => "Quốc tế",
    };
    let zone_select = |chosen: Option<Zone>| html! {
        select name="zone" aria-label="Vùng" { @for z in Zone::ALL { option value=(z.code()) selected[Some(z) == chosen] { (zone_name(z)) } } }
    };
    let method_select = |chosen: &str| html! {
        select name="method" aria-label="Cách giao" {
            option value="standard" selected[chosen == "standard"] { "Tiêu chuẩn" }
            option value="express" selected[chosen == "express"] { "Hoả tốc" }
        }
    };
    shell(
        "Phí giao hàng",
        Some(admin),
        html! {
            h1 { "Phí giao hàng" }
            p.hint { "Mỗi kiện lấy dòng có mốc cân nặng nhỏ nhất chứa được nó (để trống: mọi cân nặng). Cách giao không có dòng nào cho vùng và cân nặng đó thì không được cung cấp. Giao tiêu chuẩn trong nước miễn phí từ ngưỡng FREE_SHIPPING_FROM." }
            @if let Some(e) = error { p.notice role="alert" { (e) } }
            table.admin-shipping {
                thead { tr { th { "Vùng" } th { "Cách giao" } th { "Đến (gam)" } th { "Phí (₫)" } th { "Ngày giao" } th {} } }
                tbody {
                    @for r in rows {
                        tr data-rate=(r.id) data-zone=(r.rate.zone.code()) data-method=(r.rate.method.code()) {
                            td colspan="6" {
                                form.edit-rate method="post" action=(format!("/admin/shipping/{}", r.id)) {
                                    (csrf_field())
                                    (zone_select(Some(r.rate.zone)))
                                    (method_select(r.rate.method.code()))
                                    input type="number" name="up_to_grams" min="1" value=[r.rate.up_to_grams] aria-label="Đến (gam)" placeholder="mọi cân nặng";
                                    input type="number" name="fee" min="0" value=(r.rate.fee.minor()) aria-label="Phí (₫)";
                                    input type="number" name="eta_min" min="0" value=(r.rate.eta_min) aria-label="Ít nhất (ngày)";
                                    input type="number" name="eta_max" min="0" value=(r.rate.eta_max) aria-label="Nhiều nhất (ngày)";
                                    button type="submit" { "Lưu" }
                                }
                                form.delete-rate method="post" action=(format!("/admin/shipping/{}/delete", r.id)) {
                                    (csrf_field())
                                    button.link type="submit" { "Xoá" }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Thêm dòng" }
            form.add-rate method="post" action="/admin/shipping" {
                (csrf_field())
                (zone_select(None))
                (method_select("standard"))
                input type="number" name="up_to_grams" min="1" aria-label="Đến (gam)" placeholder="mọi cân nặng";
                input type="number" name="fee" min="0" aria-label="Phí (₫)" required;
                input type="number" name="eta_min" min="0" aria-label="Ít nhất (ngày)" required;
                input type="number" name="eta_max" min="0" aria-label="Nhiều nhất (ngày)" required;
                button.button type="submit" { "Thêm" }
            }
        },
    )
}

/// `/admin/search-words`: the synonym groups search uses ("vest, gile, gilê, gilet, ghi lê"), each
/// editable, and one to add (managers and owners; every change is in the audit log).
pub fn search_words_page(admin: &AdminRow, rows: &[crate::app::search::SynonymRow], error: Option<&str>, typed: &str) -> Markup {
    shell(
        "Từ đồng nghĩa khi tìm kiếm",
        Some(admin),
        html! {
            h1 { "Từ đồng nghĩa khi tìm kiếm" }
            p.hint { "Mỗi nhóm là những từ khách dùng cho cùng một thứ, cách nhau bởi dấu phẩy (mỗi từ tối đa 3 chữ). Tìm một từ của nhóm sẽ ra sản phẩm có bất kỳ từ nào của nhóm. Gõ có dấu thì tìm đúng dấu (“cưới” khác “cuối”); không dấu thì tìm mọi cách viết. Tìm kiếm dùng nhóm mới ngay khi lưu." }
            @if let Some(e) = error { p.notice role="alert" { (e) } }
            table.admin-search-words {
                thead { tr { th scope="col" { "Nhóm từ" } th scope="col" { span.visually-hidden { "Thao tác" } } } }
                tbody {
                    @for r in rows {
                        tr data-group=(r.id) {
                            td {
                                form.edit-group method="post" action=(format!("/admin/search-words/{}", r.id)) {
                                    (csrf_field())
                                    input type="text" name="words" value=(r.words) maxlength="1000" size="60" aria-label="Nhóm từ" required;
                                    button type="submit" { "Lưu" }
                                }
                            }
                            td {
                                form.delete-group method="post" action=(format!("/admin/search-words/{}/delete", r.id)) {
                                    (csrf_field())
                                    button.link type="submit" { "Xoá" }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Thêm nhóm" }
            form.add-group method="post" action="/admin/search-words" {
                (csrf_field())
                label for="f-words" { "Nhóm từ (ví dụ: áo khoác, jacket, coat)" }
                input #f-words type="text" name="words" value=(typed) maxlength="1000" size="60" required;
                button.button type="submit" { "Thêm" }
            }
        },
    )
}

/// `/admin/api-keys` (owners): the keys with their scopes, use and state; the form for a new key;
/// `created`: a key just made, shown this once (only its hash is kept).
pub fn api_keys_page(admin: &AdminRow, keys: &[crate::app::api_keys::KeyRow], created: Option<&str>, error: Option<&str>) -> Markup {
    use crate::app::api_keys::{parse_scopes, Scope};
    shell(
        "Khoá API",
        Some(admin),
        html! {
            h1 { "Khoá API" }
            p { "Cho máy chủ của đối tác (ERP, kho, vận chuyển) gọi " code { "/api/v1/server/…" } " với " code { "Authorization: Bearer vsk_…" } ". Mỗi khoá có quyền riêng, giới hạn 120 yêu cầu/phút." }
            @if let Some(e) = error { p.notice role="alert" { (e) } }
            @if let Some(key) = created {
                div.notice.api-key-created role="status" {
                    p { "Khoá mới — chỉ hiện một lần, hãy sao chép ngay:" }
                    p { code data-api-key { (key) } }
                }
            }
            table.api-keys {
                thead { tr { th { "Tên" } th { "Khoá" } th { "Quyền" } th { "Tạo lúc" } th { "Dùng gần nhất" } th { "Trạng thái" } } }
                tbody {
                    @for k in keys {
                        tr data-api-key-id=(k.id) {
                            td { (k.name) }
                            td { code { (k.prefix) "…" } }
                            td { @for s in parse_scopes(&k.scopes) { code { (s.code()) } " " } }
                            td { (vn_time(k.created_at)) }
                            td { @if let Some(t) = k.last_used_at { (vn_time(t)) } @else { "—" } }
                            td {
                                @if let Some(t) = k.revoked_at { "Đã thu hồi " (vn_time(t)) }
                                @else {
                                    form.revoke method="post" action=(format!("/admin/api-keys/{}/revoke", k.id)) {
                                        (csrf_field())
                                        button.link type="submit" { "Thu hồi" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Tạo khoá" }
            form.create-api-key method="post" action="/admin/api-keys" {
                (csrf_field())
                div.field { label for="k-name" { "Tên (để nhận ra khoá)" } input #k-name type="text" name="name" maxlength="80" required; }
                fieldset {
                    legend { "Quyền" }
                    @for s in Scope::ALL {
                        label { input type="checkbox" name="scope" value=(s.code()); " " code { (s.code()) } " — " (s.routes()) }
                        br;
                    }
                }
                button.button type="submit" { "Tạo khoá" }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin(role: &str) -> AdminRow {
        AdminRow { id: "a1".into(), email: "chu@vestify.vn".into(), name: String::new(), role: role.into(), password_hash: String::new(), disabled_at: None }
    }

    #[test]
    fn every_page_links_the_favicon_and_names_the_role_as_the_menu_does() {
        let owner = admin("owner");
        for html in [login_page("", None).into_string(), users_page(&owner, &[admin("owner"), admin("support")], None).into_string()] {
            assert!(html.contains(r#"rel="icon""#), "no favicon link, so the browser asks for /favicon.ico");
        }
        let users = users_page(&owner, &[admin("owner"), admin("support")], None).into_string();
        assert!(users.contains("chu@vestify.vn (Chủ cửa hàng)") && users.contains(">Hỗ trợ</td>"), "{users}");
        assert!(!users.contains(">owner<") && !users.contains("(owner)"));
        assert_eq!(Role::Owner.name(crate::domain::locale::Locale::Vi), crate::views::admin::AdminCtx::new(crate::domain::locale::Locale::Vi, "/admin", "", "x", Role::Owner).role);
    }
}
