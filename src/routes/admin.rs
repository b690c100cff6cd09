//! The admin area: its own sign-in (`/admin/login`), its own session cookie (scoped to `/admin`,
//! 15 minutes idle / 12 hours at most by default), and every route checked against the permission
//! table in `domain::admin` before its handler runs. Every write leaves an audit row in the same
//! batch. See `docs/SECURITY.md`.

use serde_json::json;
use worker::{Env, Method, Request, Response};

use super::http::{cookie, error_page, foreign_form, html, page, query_param, redirect, SetCookie};
use super::{admin_orders, Incoming};
use crate::app::accounts::{end_all_sessions_sql, end_session_sql};
use crate::app::sign_in::{attempt, Attempt};
use crate::app::admin::{
    admin_by_email_sql, admin_by_id_sql, admins_sql, audit_page_sql, audit_sql, create_admin_sql, customers_sql, disable_sql, set_role_sql, Actor,
    AdminRow, AuditRow, CustomerListRow,
};
use crate::domain::admin::{required, route_pattern, Role};
use crate::domain::checkout::Email;
use crate::domain::error::AppError;
use crate::domain::locale::Locale;
use crate::domain::password::NewPassword;
use crate::domain::session::Realm;
use crate::domain::throttle::Action;
use crate::platform::accounts::{changed, hash_password, read_session, session_cookie, start_session, verify_password};
use crate::platform::config::{now, Config};
use crate::platform::d1::D1;
use crate::app::db::Db;
use crate::platform::security::{check_form, ADMIN_COOKIE};
use crate::platform::{random, rate_limit_do};
use crate::views::admin;
use crate::views::PageCtx;

const AUDIT_PAGE: i64 = 100;

/// A signed-in admin.
struct Signed {
    admin: AdminRow,
    role: Role,
}

pub async fn handle(mut req: Request, incoming: &Incoming, env: &Env) -> Response {
    let config = Config::from_env(env);
    let ctx = PageCtx { locale: Locale::Vi, path: incoming.path.clone(), query: incoming.query.clone(), origin: incoming.origin.clone(), categories: Vec::new(), shop: Default::default() };
    let result = run(&mut req, incoming, env, &config, &ctx).await;
    result.unwrap_or_else(|e| error_page(&ctx, incoming, e))
}

/// The routes outside the permission table.
enum SignIn {
    Form,
    Login,
    Logout,
}

/// The admin area's routes: the sign-in pages by their own names, every other route by its pattern
/// in the permission table (`domain::admin::ROUTES`), which is also what it needs to be opened.
async fn run(req: &mut Request, incoming: &Incoming, env: &Env, config: &Config, ctx: &PageCtx) -> Result<Response, AppError> {
    let db = D1::open(env)?;
    let post = incoming.method == Method::Post;
    let secure = incoming.origin.starts_with("https://");
    let method = incoming.method.to_string().to_uppercase();
    let path = incoming.path.trim_end_matches('/');
    let path = if path.is_empty() { "/admin" } else { path };
    let signing_in = match (method.as_str(), path) {
        ("GET", "/admin/login") => Some(("admin.login_form", SignIn::Form)),
        ("POST", "/admin/login") => Some(("admin.login", SignIn::Login)),
        ("POST", "/admin/logout") => Some(("admin.logout", SignIn::Logout)),
        _ => None,
    };
    incoming.name(signing_in.as_ref().map(|(name, _)| *name).or_else(|| route_pattern(&method, path)).unwrap_or("admin.unknown"));
    let super::admin_upload::AdminForm { form, upload, derived } = match super::admin_upload::read_form(req, env, post).await? {
        Ok(read) => read,
        Err(too_large) => return Ok(too_large),
    };
    if post && !check_form(req, &incoming.path, &incoming.origin, config.shop_secret.as_deref(), &form) {
        return Ok(foreign_form(ctx, incoming));
    }
    let field = |key: &str| form.trimmed(key).to_string();
    match signing_in.map(|(_, step)| step) {
        Some(SignIn::Form) => return Ok(page(200, admin::login_page("", None))),
        Some(SignIn::Login) => {
            if let Some(wait) = rate_limit_do::check(env, req, Action::Login).await? {
                return Ok(too_many(wait, &field("email")));
            }
            return login(req, &db, config, &field("email"), &field("password"), secure).await;
        }
        Some(SignIn::Logout) => {
            if let Some(id) = cookie(req, ADMIN_COOKIE) {
                db.batch(&[end_session_sql(&id)]).await?;
            }
            return Ok(redirect("/admin/login", vec![SetCookie::removal(ADMIN_COOKIE, "/admin", secure).to_string()]));
        }
        None => {}
    }
    // Everything else needs a route in the table, a live admin session, and the route's permission.
    let Some(permission) = required(&method, path) else { return Err(AppError::NotFound) };
    let Some(signed) = signed_in(req, &db, config).await? else {
        return Ok(redirect("/admin/login", vec![SetCookie::removal(ADMIN_COOKIE, "/admin", secure).to_string()]));
    };
    if !signed.role.can(permission) {
        return Ok(page(403, admin::forbidden_page(&signed.admin)));
    }
    let ip = req.headers().get("cf-connecting-ip").ok().flatten().unwrap_or_default();
    let actor = Actor { id: &signed.admin.id, email: &signed.admin.email, ip: &ip };
    let staff = admin_orders::Staff { admin: &signed.admin, role: signed.role, actor: &actor };
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let catalog = super::admin_catalog::Req { db: &db, env, role: signed.role, user: &signed.admin.email, actor: &actor, query: &incoming.query, form: &form, upload: upload.as_ref(), derived: &derived };
    if let Some(result) = super::admin_catalog::dispatch(&catalog, &method, &segments).await {
        return result;
    }
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["admin"]) if signed.role.can(crate::domain::admin::Permission::ViewReports) => admin_orders::dashboard(&db, &staff, &incoming.query).await,
        ("GET", ["admin"]) => Ok(page(200, admin::landing_page(&signed.admin, signed.role))),
        ("GET", ["admin", "dashboard.csv"]) => admin_orders::dashboard_download(&db, &staff, &incoming.query).await,
        ("GET", ["admin", "orders"]) => admin_orders::list(&db, &staff, &incoming.query).await,
        ("GET", ["admin", "orders", "cod-statement"]) => admin_orders::statement_form(&staff),
        ("POST", ["admin", "orders", "cod-statement"]) => admin_orders::statement(&db, &staff, &form, upload.as_ref()).await,
        ("POST", ["admin", "orders", "collect"]) => admin_orders::collect_many(&db, &staff, &form).await,
        ("GET", ["admin", "orders", id]) => admin_orders::show(env, &db, &staff, id, &incoming.query).await,
        ("GET", ["admin", "orders", id, "invoice"]) => admin_orders::invoice(env, id, false).await,
        ("GET", ["admin", "orders", id, "invoice.pdf"]) => admin_orders::invoice(env, id, true).await,
        ("POST", ["admin", "orders", id, action]) => admin_orders::act(env, config, &db, &staff, id, action, &form).await,
        ("GET", ["admin", "notifications"]) => super::admin_notifications::log(&db, &staff, &incoming.query).await,
        ("GET", ["admin", "notifications", "preview"]) => super::admin_notifications::preview(env, config, &staff, &incoming.query).await,
        ("POST", ["admin", "notifications", id, "resend"]) => super::admin_notifications::resend(&db, &staff, id).await,
        ("GET", ["admin", "webhooks"]) => super::admin_webhooks::list(&db, &staff, &incoming.query).await,
        ("POST", ["admin", "webhooks"]) => super::admin_webhooks::create(&db, config, &staff, &form).await,
        ("GET", ["admin", "webhooks", id]) => super::admin_webhooks::log(&db, &staff, id, &incoming.query).await,
        ("POST", ["admin", "webhooks", id, action]) => super::admin_webhooks::act(&db, &staff, id, action).await,
        ("GET", ["admin", "campaigns"]) => super::admin_campaigns::list(&db, &staff, &incoming.query).await,
        ("POST", ["admin", "campaigns"]) => super::admin_campaigns::create(&db, &staff, &form).await,
        ("GET", ["admin", "campaigns", id]) => super::admin_campaigns::show(env, config, &db, &staff, id, &incoming.query).await,
        ("POST", ["admin", "campaigns", id]) => super::admin_campaigns::update(env, config, &db, &staff, id, &form).await,
        ("GET", ["admin", "campaigns", id, "preview"]) => super::admin_campaigns::preview(env, config, &db, id, &incoming.query).await,
        ("POST", ["admin", "campaigns", id, "schedule"]) => super::admin_campaigns::schedule(env, config, &db, &staff, id, &form).await,
        ("POST", ["admin", "campaigns", id, "cancel"]) => super::admin_campaigns::cancel(&db, &staff, id).await,
        ("GET", ["admin", "bank-transfers"]) => admin_orders::bank_queue(&db, &staff, &incoming.query).await,
        ("POST", ["admin", "bank-transfers", "mark-paid"]) => admin_orders::bank_mark_paid(&db, &staff, &form).await,
        ("POST", ["admin", "bank-transfers", id, "match"]) => admin_orders::bank_match(&db, &staff, id, &form).await,
        ("GET", ["admin", "customers"]) => {
            let q = query_param(&incoming.query, "q").map(|v| v.trim().to_lowercase()).unwrap_or_default();
            let rows: Vec<CustomerListRow> = if q.is_empty() { Vec::new() } else { db.all(&customers_sql(&q)).await? };
            Ok(page(200, admin::customers_page(&signed.admin, &q, &rows)))
        }
        ("GET", ["admin", "audit"]) => {
            let before = query_param(&incoming.query, "before").and_then(|v| v.parse().ok());
            let rows: Vec<AuditRow> = db.all(&audit_page_sql(before, AUDIT_PAGE)).await?;
            let next = (rows.len() as i64 == AUDIT_PAGE).then(|| rows.last().map(|r| r.id)).flatten();
            Ok(page(200, admin::audit_page(&signed.admin, &rows, next)))
        }
        ("GET", ["admin", "shipping"]) => shipping_rates(&db, &signed, None, 200).await,
        ("POST", ["admin", "shipping"]) => {
            let input = rate_input(&field);
            match crate::app::shipping::add_rate(&db, &actor, &input, now()).await? {
                Ok(()) => Ok(redirect("/admin/shipping", Vec::new())),
                Err(e) => shipping_rates(&db, &signed, Some(rate_error(&e)), 422).await,
            }
        }
        ("POST", ["admin", "shipping", id]) => {
            let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
            match crate::app::shipping::update_rate(&db, &actor, id, &rate_input(&field), now()).await? {
                Ok(()) => Ok(redirect("/admin/shipping", Vec::new())),
                Err(crate::app::shipping::RateEditError::NotFound) => Err(AppError::NotFound),
                Err(e) => shipping_rates(&db, &signed, Some(rate_error(&e)), 422).await,
            }
        }
        ("POST", ["admin", "shipping", id, "delete"]) => {
            let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
            if !crate::app::shipping::remove_rate(&db, &actor, id, now()).await? {
                return Err(AppError::NotFound);
            }
            Ok(redirect("/admin/shipping", Vec::new()))
        }
        ("GET", ["admin", "search-words"]) => search_words(&db, &signed, None, "", 200).await,
        ("POST", ["admin", "search-words"]) => {
            let words = field("words");
            match crate::app::search::add_group(&db, &actor, &words, now()).await? {
                Ok(()) => search_words_saved(env).await,
                Err(e) => search_words(&db, &signed, Some(synonym_error(e)), &words, 422).await,
            }
        }
        ("POST", ["admin", "search-words", id]) => {
            let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
            match crate::app::search::update_group(&db, &actor, id, &field("words"), now()).await? {
                Ok(()) => search_words_saved(env).await,
                Err(crate::app::search::SynonymError::NotFound) => Err(AppError::NotFound),
                Err(e) => search_words(&db, &signed, Some(synonym_error(e)), "", 422).await,
            }
        }
        ("POST", ["admin", "search-words", id, "delete"]) => {
            let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
            if !crate::app::search::remove_group(&db, &actor, id, now()).await? {
                return Err(AppError::NotFound);
            }
            search_words_saved(env).await
        }
        ("GET", ["admin", "tags"]) => tag_names(&db, &signed, &incoming.query).await,
        ("POST", ["admin", "tags"]) => tag_name_saved(env, &db, &signed, &actor, &form).await,
        ("GET", ["admin", "shop-info"]) => shop_info(&db, &signed, None, 200).await,
        ("POST", ["admin", "shop-info"]) => {
            let typed = crate::domain::shop_info::ShopInfo {
                hotline: field("hotline"),
                email: field("email"),
                zalo_url: field("zalo_url"),
                messenger_url: field("messenger_url"),
                address_vi: field("address_vi"),
                address_en: field("address_en"),
                registration_vi: field("registration_vi"),
                registration_en: field("registration_en"),
                notice_url: field("notice_url"),
            };
            match crate::app::shop_info::save_info(&db, &actor, typed, now()).await? {
                Ok(()) => shop_info_saved(env).await,
                Err(field) => shop_info(&db, &signed, Some((None, field)), 422).await,
            }
        }
        ("POST", ["admin", "shop-info", slug]) => {
            let which = crate::domain::shop_info::InfoPage::parse(slug).ok_or(AppError::NotFound)?;
            let typed = crate::domain::shop_info::PageText {
                slug: String::new(),
                title_vi: field("title_vi"),
                title_en: field("title_en"),
                body_vi: field("body_vi"),
                body_en: field("body_en"),
            };
            match crate::app::shop_info::save_page(&db, &actor, which, typed, now()).await? {
                Ok(()) => shop_info_saved(env).await,
                Err(field) => shop_info(&db, &signed, Some((Some(which), field)), 422).await,
            }
        }
        ("GET", ["admin", "users"]) => users(&db, &signed, None).await,
        ("POST", ["admin", "users"]) => create_admin(&db, &signed, &actor, &field("email"), &field("name"), &field("role"), &field("password")).await,
        ("POST", ["admin", "users", id, "role"]) => change_role(&db, &signed, &actor, id, &field("role")).await,
        ("POST", ["admin", "users", id, "disable"]) => disable(&db, &signed, &actor, id).await,
        ("GET", ["admin", "api-keys"]) => api_keys(&db, &signed, None, None).await,
        ("POST", ["admin", "api-keys"]) => create_api_key(&db, &signed, &actor, &form).await,
        ("POST", ["admin", "api-keys", id, "revoke"]) => {
            let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
            if !changed(&db, &crate::app::api_keys::revoke_batch(&actor, id, now())).await? {
                return Err(AppError::NotFound);
            }
            Ok(redirect("/admin/api-keys", Vec::new()))
        }
        ("GET", ["admin", "reviews"]) => super::admin_reviews::queue(&db, &signed.admin, &incoming.query).await,
        ("GET", ["admin", "reviews", "questions"]) => super::admin_reviews::questions(&db, &signed.admin, &incoming.query, None).await,
        ("POST", ["admin", "reviews", kind @ ("questions" | "answers"), id, action]) => {
            super::admin_reviews::decide_qa(env, &db, &signed.admin, &actor, kind, id, action, &form).await
        }
        ("GET", ["admin", "reviews", "sentiment"]) => super::admin_reviews::sentiment(&db, &signed.admin, &incoming.query).await,
        ("POST", ["admin", "reviews", id, action]) => super::admin_reviews::decide(env, &db, &signed.admin, &actor, id, action, &form).await,
        (m, ["admin", area @ ("bundles" | "promotions"), ..]) => {
            let admin_ctx = crate::views::admin::AdminCtx::new(ctx.locale, path, &incoming.query, &signed.admin.email, signed.role);
            let d = super::admin_promotions::Discounts { env, db: &db, ctx: &admin_ctx, shop: ctx, actor: &actor, query: &incoming.query, form: &form };
            if *area == "bundles" { super::admin_bundles::handle(&d, m, &segments).await } else { super::admin_promotions::handle(&d, m, &segments).await }
        }
        _ => Err(AppError::NotFound),
    }
}

/// `/admin/shipping`: the rate table (`error`: why the last change was refused).
async fn shipping_rates(db: &D1, signed: &Signed, error: Option<&str>, status: u16) -> Result<Response, AppError> {
    let rows = crate::app::shipping::rate_table(db).await?;
    Ok(page(status, admin::shipping_page(&signed.admin, &rows, error)))
}

/// `/admin/search-words`: the synonym groups (`error`: why the last change was refused, beside
/// what was typed).
async fn search_words(db: &D1, signed: &Signed, error: Option<&str>, typed: &str, status: u16) -> Result<Response, AppError> {
    let rows = crate::app::search::synonym_rows(db).await?;
    Ok(page(status, admin::search_words_page(&signed.admin, &rows, error, typed)))
}

/// After a change: cached search pages are made stale (a new catalog version), then the list again.
async fn search_words_saved(env: &Env) -> Result<Response, AppError> {
    super::admin_catalog::bump_catalog_version(env).await?;
    Ok(redirect("/admin/search-words", Vec::new()))
}

/// `/admin/tags`: every tag with its English name (`?saved=tag`: the one just saved).
async fn tag_names(db: &D1, signed: &Signed, query: &str) -> Result<Response, AppError> {
    let rows = crate::app::tag_names::tag_rows(db).await?;
    let saved = crate::domain::http::Form::parse(query).get("saved").map(str::to_string);
    let notice = saved.as_deref().map(admin::tags::TagNotice::Saved);
    Ok(page(200, admin::tags::tags_page(&signed.admin, &rows, notice.as_ref())))
}

/// Saves a tag's English name, then makes cached pages stale (a new catalog version) so English
/// pages show it at once; a refused name comes back beside the tag with a 422.
async fn tag_name_saved(env: &Env, db: &D1, signed: &Signed, actor: &Actor<'_>, form: &crate::domain::http::Form) -> Result<Response, AppError> {
    use crate::app::tag_names::{set_name, tag_rows, TagNameError};
    let (tag, typed) = (form.trimmed("tag"), form.value("name_en"));
    match set_name(db, actor, tag, typed, now()).await? {
        Ok(changed) => {
            if changed {
                super::admin_catalog::bump_catalog_version(env).await?;
            }
            Ok(redirect(&format!("/admin/tags?saved={}", crate::domain::listing::percent_encode_component(tag)), Vec::new()))
        }
        Err(TagNameError::NotFound) => Err(AppError::NotFound),
        Err(TagNameError::Invalid) => {
            let rows = tag_rows(db).await?;
            Ok(page(422, admin::tags::tags_page(&signed.admin, &rows, Some(&admin::tags::TagNotice::Refused { tag, typed }))))
        }
    }
}

/// `/admin/shop-info`: the footer's details and the policy pages (`refused`: which form and field
/// the last change was refused for).
async fn shop_info(db: &D1, signed: &Signed, refused: Option<(Option<crate::domain::shop_info::InfoPage>, crate::domain::shop_info::InfoField)>, status: u16) -> Result<Response, AppError> {
    let info = crate::app::shop_info::info(db).await?;
    let pages = crate::app::shop_info::pages(db).await?;
    let refusal = refused.map(|(page, field)| admin::shop_info::Refusal { page, field, message: info_error(field) });
    Ok(page(status, admin::shop_info::shop_info_page(&signed.admin, &info, &pages, refusal.as_ref())))
}

/// After a change: cached pages (whose footer shows the details) are made stale, then the form again.
async fn shop_info_saved(env: &Env) -> Result<Response, AppError> {
    super::admin_catalog::bump_catalog_version(env).await?;
    Ok(redirect("/admin/shop-info", Vec::new()))
}

fn info_error(field: crate::domain::shop_info::InfoField) -> &'static str {
    use crate::domain::shop_info::InfoField;
    match field {
        InfoField::Hotline => "Hotline phải là một số điện thoại hợp lệ, ví dụ 028 3824 1234 hoặc 0909 123 456.",
        InfoField::Email => "Email hỗ trợ không hợp lệ.",
        InfoField::Zalo => "Liên kết Zalo phải bắt đầu bằng https://zalo.me/ (hoặc để trống).",
        InfoField::Messenger => "Liên kết Messenger phải bắt đầu bằng https://m.me/ hoặc https://www.messenger.com/ (hoặc để trống).",
        InfoField::NoticeUrl => "Liên kết thông báo phải là một trang https://online.gov.vn/… (hoặc để trống).",
        InfoField::Address => "Cần địa chỉ bằng cả hai thứ tiếng, mỗi địa chỉ một dòng, tối đa 200 ký tự.",
        InfoField::Registration => "Dòng đăng ký kinh doanh là một dòng, tối đa 300 ký tự.",
        InfoField::Title => "Cần tiêu đề bằng cả hai thứ tiếng, một dòng, tối đa 120 ký tự.",
        InfoField::Body => "Cần nội dung bằng cả hai thứ tiếng, tối đa 20.000 ký tự.",
    }
}

fn synonym_error(e: crate::app::search::SynonymError) -> &'static str {
    use crate::app::search::SynonymError;
    match e {
        SynonymError::Invalid => "Một nhóm cần ít nhất 2 và tối đa 20 từ, cách nhau bởi dấu phẩy; mỗi từ tối đa 3 chữ và 40 ký tự.",
        SynonymError::Duplicate => "Nhóm này đã có.",
        SynonymError::NotFound => "Không tìm thấy nhóm này.",
    }
}

fn rate_input(field: &dyn Fn(&str) -> String) -> crate::app::shipping::RateInput {
    crate::app::shipping::RateInput {
        zone: field("zone"),
        method: field("method"),
        up_to_grams: field("up_to_grams"),
        fee: field("fee"),
        eta_min: field("eta_min"),
        eta_max: field("eta_max"),
    }
}

fn rate_error(e: &crate::app::shipping::RateEditError) -> &'static str {
    use crate::app::shipping::RateEditError;
    match e {
        RateEditError::Invalid("zone" | "method") => "Vùng hoặc cách giao không hợp lệ.",
        RateEditError::Invalid("up_to_grams") => "Mốc cân nặng phải là số gam từ 1 đến 1.000.000, hoặc để trống.",
        RateEditError::Invalid("fee") => "Phí phải là số đồng từ 0 đến 100.000.000.",
        RateEditError::Invalid(_) => "Số ngày giao phải từ 0 đến 90, ít nhất không quá nhiều nhất.",
        RateEditError::Duplicate => "Đã có dòng cho vùng, cách giao và mốc cân nặng này.",
        RateEditError::NotFound => "Không có dòng này.",
    }
}

async fn signed_in(req: &Request, db: &D1, config: &Config) -> Result<Option<Signed>, AppError> {
    let Some((_, session)) = read_session(req, db, Realm::Admin, ADMIN_COOKIE, config.admin_sessions).await?.live() else { return Ok(None) };
    let admin = db.all::<AdminRow>(&admin_by_id_sql(&session.subject_id)).await?.into_iter().next();
    Ok(admin.filter(|a| a.disabled_at.is_none()).and_then(|admin| Role::parse(&admin.role).map(|role| Signed { admin, role })))
}

async fn login(req: &Request, db: &D1, config: &Config, email: &str, password: &str, secure: bool) -> Result<Response, AppError> {
    let email = email.to_lowercase();
    let key = format!("admin:{email}");
    let client = rate_limit_do::client(req);
    let tried = attempt(db, &key, &client, now(), async || {
        let found = db.all::<AdminRow>(&admin_by_email_sql(&email)).await?.into_iter().next();
        let ok = verify_password(password, found.as_ref().map(|a| a.password_hash.as_str())).await?;
        Ok(found.filter(|_| ok))
    });
    let found = match tried.await? {
        Attempt::Passed(found) => found,
        Attempt::Wait(wait) => return Ok(too_many(wait, &email)),
        Attempt::Refused => return Ok(page(401, admin::login_page(&email, Some("Email hoặc mật khẩu không đúng.")))),
    };
    if let Some(old) = cookie(req, ADMIN_COOKIE) {
        db.batch(&[end_session_sql(&old)]).await?;
    }
    let id = start_session(db, Realm::Admin, &found.id, config.admin_sessions).await?;
    Ok(redirect("/admin", vec![session_cookie(ADMIN_COOKIE, &id, "/admin", config.admin_sessions, secure)]))
}

fn too_many(retry_after: i64, email: &str) -> Response {
    let message = format!("Quá nhiều lần thử. Vui lòng thử lại sau {retry_after} giây.");
    html(429, admin::login_page(email, Some(&message)).into_string(), vec![("retry-after", retry_after.to_string())])
}

async fn users(db: &D1, signed: &Signed, error: Option<&str>) -> Result<Response, AppError> {
    let all: Vec<AdminRow> = db.all(&admins_sql()).await?;
    Ok(page(if error.is_some() { 422 } else { 200 }, admin::users_page(&signed.admin, &all, error)))
}

/// `/admin/api-keys`: the keys; `created` a key just made (shown once), `error` why one was not.
async fn api_keys(db: &D1, signed: &Signed, created: Option<&str>, error: Option<&str>) -> Result<Response, AppError> {
    let keys: Vec<crate::app::api_keys::KeyRow> = db.all(&crate::app::api_keys::keys_sql()).await?;
    let status = if error.is_some() { 422 } else if created.is_some() { 201 } else { 200 };
    Ok(page(status, admin::api_keys_page(&signed.admin, &keys, created, error)))
}

/// Creates a key with a name and at least one scope; the page shows it once (its hash is kept).
async fn create_api_key(db: &D1, signed: &Signed, actor: &Actor<'_>, form: &crate::domain::http::Form) -> Result<Response, AppError> {
    use crate::app::api_keys::{create_batch, key_from_random, scopes_from_form, MAX_NAME_CHARS};
    let name = form.trimmed("name");
    let ticked: Vec<&str> = form.iter().filter(|(k, _)| k == "scope").map(|(_, v)| v.as_str()).collect();
    let Some(scopes) = scopes_from_form(&ticked) else { return api_keys(db, signed, None, Some("Chọn ít nhất một quyền.")).await };
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return api_keys(db, signed, None, Some("Cần tên khoá (tối đa 80 ký tự).")).await;
    }
    let key = key_from_random(&random::token(32).ok_or_else(|| AppError::Internal("no randomness".into()))?);
    db.batch(&create_batch(actor, name, &key, &scopes, now())).await?;
    api_keys(db, signed, Some(&key), None).await
}

/// What the audit log keeps of an admin user (never the password hash).
fn public(a: &AdminRow) -> serde_json::Value {
    json!({"email": a.email, "name": a.name, "role": a.role, "disabled": a.disabled_at.is_some()})
}

async fn create_admin(db: &D1, signed: &Signed, actor: &Actor<'_>, email: &str, name: &str, role: &str, password: &str) -> Result<Response, AppError> {
    let (Some(email), Some(role)) = (Email::parse(email), Role::parse(role)) else {
        return users(db, signed, Some("Email hoặc vai trò không hợp lệ.")).await;
    };
    let Ok(password) = NewPassword::parse("password", password) else {
        return users(db, signed, Some("Mật khẩu cần ít nhất 10 ký tự.")).await;
    };
    if name.chars().count() > 100 {
        return users(db, signed, Some("Tên quá dài.")).await;
    }
    let id = random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
    let hash = hash_password(password.as_str()).await?;
    let after = json!({"email": email.as_str(), "name": name, "role": role.code(), "disabled": false});
    let batch = [create_admin_sql(&id, email.as_str(), name, role.code(), &hash, now()), audit_sql(actor, "admin_user.create", "admin_user", &id, None, Some(&after), now())];
    if !changed(db, &batch).await? {
        return users(db, signed, Some("Email này đã có tài khoản quản trị.")).await;
    }
    Ok(redirect("/admin/users", Vec::new()))
}

async fn change_role(db: &D1, signed: &Signed, actor: &Actor<'_>, id: &str, role: &str) -> Result<Response, AppError> {
    let Some(role) = Role::parse(role) else { return users(db, signed, Some("Vai trò không hợp lệ.")).await };
    let Some(before) = db.all::<AdminRow>(&admin_by_id_sql(id)).await?.into_iter().next() else { return Err(AppError::NotFound) };
    let after = json!({"email": before.email, "name": before.name, "role": role.code(), "disabled": false});
    // A change of privilege: the admin's sessions end, so their next sign-in gets a new id.
    let batch = [
        set_role_sql(id, role.code(), now()),
        audit_sql(actor, "admin_user.role", "admin_user", id, Some(&public(&before)), Some(&after), now()),
        end_all_sessions_sql(Realm::Admin, id),
    ];
    if !changed(db, &batch).await? {
        return users(db, signed, Some("Không đổi được vai trò (không thể bỏ chủ cửa hàng cuối cùng).")).await;
    }
    Ok(redirect("/admin/users", Vec::new()))
}

async fn disable(db: &D1, signed: &Signed, actor: &Actor<'_>, id: &str) -> Result<Response, AppError> {
    let Some(before) = db.all::<AdminRow>(&admin_by_id_sql(id)).await?.into_iter().next() else { return Err(AppError::NotFound) };
    let after = json!({"email": before.email, "name": before.name, "role": before.role, "disabled": true});
    let batch = [
        disable_sql(id, now()),
        audit_sql(actor, "admin_user.disable", "admin_user", id, Some(&public(&before)), Some(&after), now()),
        end_all_sessions_sql(Realm::Admin, id),
    ];
    if !changed(db, &batch).await? {
        return users(db, signed, Some("Không khoá được tài khoản này.")).await;
    }
    Ok(redirect("/admin/users", Vec::new()))
}
