//! The admin panel's pages: server-rendered, usable on a phone, no script required. Every page gets
//! an [`AdminCtx`] (who is signed in, in which language, and the form token), and the shell shows
//! only the sections the signed-in role may open; the server checks the role again on every route.

pub mod access;
pub mod bundles;
pub mod campaigns;
pub mod catalog;
pub mod dashboard;
pub mod import;
pub mod media;
pub mod notifications;
pub mod orders;
pub mod promotions;
pub mod reviews;
pub mod sentiment;
pub mod shop_info;
pub mod tags;
pub mod taxonomy;
pub mod texts;
pub mod webhooks;

use maud::{html, Markup, DOCTYPE};

use crate::assets;
use crate::domain::admin::{Permission, Role};
use crate::domain::locale::Locale;
use crate::domain::money::Vnd;

pub use access::*;
pub use texts::{admin_texts, AdminTexts};

/// A section of the panel, as the navigation lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    Products,
    Stock,
    Orders,
    Promotions,
    Notifications,
    Audit,
}

impl Section {
    pub const ALL: [Section; 7] = [Section::Dashboard, Section::Products, Section::Stock, Section::Orders, Section::Promotions, Section::Notifications, Section::Audit];

    /// What a role needs to see the section in the menu (the routes check their own permission).
    pub fn permission(self) -> Permission {
        match self {
            Section::Dashboard => Permission::ViewDashboard,
            Section::Products | Section::Stock => Permission::ViewProducts,
            Section::Orders => Permission::ViewOrders,
            Section::Promotions => Permission::ManageDiscounts,
            Section::Notifications => Permission::ManageNotifications,
            Section::Audit => Permission::ViewAuditLog,
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Section::Dashboard => "/admin",
            Section::Products => "/admin/products",
            Section::Stock => "/admin/stock",
            Section::Orders => "/admin/orders",
            Section::Promotions => "/admin/promotions",
            Section::Notifications => "/admin/notifications",
            Section::Audit => "/admin/audit",
        }
    }
}

/// What every admin page needs about the request.
pub struct AdminCtx {
    pub locale: Locale,
    /// Locale-free path of this page (`/admin/orders`), for the language switch.
    pub path: String,
    /// The raw query with its `?`, or empty.
    pub query: String,
    /// Who is signed in, as shown in the header.
    pub user: String,
    /// The role's name in the viewer's language.
    pub role: String,
    /// The sections this role may open.
    pub sections: Vec<Section>,
}

impl AdminCtx {
    /// The context for a signed-in admin: the menu lists the sections the role may open.
    pub fn new(locale: Locale, path: &str, query: &str, user: &str, role: Role) -> AdminCtx {
        let role_name = role.name(locale);
        AdminCtx {
            locale,
            path: path.to_string(),
            query: query.to_string(),
            user: user.to_string(),
            role: role_name.to_string(),
            sections: Section::ALL.into_iter().filter(|s| role.can(s.permission())).collect(),
        }
    }

    pub fn t(&self) -> &'static AdminTexts {
        admin_texts(self.locale)
    }

    pub fn href(&self, path: &str) -> String {
        self.locale.path(path)
    }

    pub fn money(&self, amount: Vnd) -> String {
        amount.format(self.locale)
    }

    /// A whole number with the locale's thousands separator.
    pub fn number(&self, n: i64) -> String {
        crate::domain::money::format_integer(n, self.locale)
    }
}

/// The hidden field every admin POST form carries (filled per response: `views::security`).
pub fn csrf_field() -> Markup {
    crate::views::security::csrf_field()
}

/// The page shell: header with the sections, the signed-in user and logout, then the page.
pub fn page(ctx: &AdminCtx, current: Section, title: &str, main: Markup) -> Markup {
    let t = ctx.t();
    html! {
        (DOCTYPE)
        html lang=(ctx.locale.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                title { (title) " · " (t.panel) }
                link rel="icon" href=(assets::url("img/favicon.svg")) type="image/svg+xml";
                link rel="stylesheet" href=(assets::url("css/admin.css"));
            }
            body.admin {
                a.skip-link href="#main" { (t.skip_to_content) }
                header.admin-header {
                    a.admin-brand href=(ctx.href("/admin")) { "Vestify " span { (t.panel) } }
                    nav aria-label=(t.sections_label) {
                        ul {
                            @for section in &ctx.sections {
                                li {
                                    a href=(ctx.href(section.path())) aria-current=[(*section == current).then_some("page")] { (t.section(*section)) }
                                }
                            }
                        }
                    }
                    div.admin-user {
                        span { (ctx.user) " · " (ctx.role) }
                        a href=(format!("{}{}", ctx.locale.other().path(&ctx.path), ctx.query)) lang=(ctx.locale.other().code()) { (t.other_language) }
                        form method="post" action=(ctx.href("/admin/logout")) {
                            (csrf_field())
                            button type="submit" { (t.log_out) }
                        }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (main)
                }
            }
        }
    }
}
