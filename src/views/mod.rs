//! Server-rendered HTML with maud. Pure: every function takes data and a `PageCtx` and returns
//! markup, so pages render in host tests exactly as in the Worker.

pub mod admin;
pub mod api_docs;
pub mod bundles;
pub mod cart;
pub mod charts;
pub mod email;
pub mod account;
pub mod account_i18n;
pub mod checkout;
pub mod components;
pub mod consent;
pub mod errors;
pub mod home;
pub mod i18n;
pub mod invoice;
pub mod invoice_pdf;
pub mod layout;
pub mod listing;
pub mod notify;
pub mod order;
pub mod push;
pub mod payments;
pub mod product;
pub mod pwa;
pub mod promotions;
pub mod qr;
pub mod questions;
pub mod reviews;
pub mod security;
pub mod seo;
pub mod share;
pub mod shop_i18n;
pub mod shop_pages;
pub mod tracking;
pub mod wishlist;
pub mod social;

use crate::domain::catalog::Category;
use crate::domain::locale::Locale;

/// What every page needs to know about the request it answers. Never global: one isolate serves many
/// requests at once, in different languages.
#[derive(Clone, Debug)]
pub struct PageCtx {
    pub locale: Locale,
    /// The locale-free path (`/c/gile-phao`), for the language switcher and hreflang links.
    pub path: String,
    /// The raw query string with its `?`, or empty.
    pub query: String,
    /// Scheme and host (`https://vestify.vn`), for canonical and OpenGraph URLs.
    pub origin: String,
    pub categories: Vec<Category>,
    /// The shop's contact details for the footer (`app::shop_info`); empty where not read.
    pub shop: crate::domain::shop_info::ShopInfo,
}

impl PageCtx {
    pub fn t(&self) -> &'static i18n::Texts {
        i18n::t(self.locale)
    }

    /// A locale-free path as a link in the current language.
    pub fn href(&self, path: &str) -> String {
        self.locale.path(path)
    }

    pub fn absolute(&self, path_and_query: &str) -> String {
        format!("{}{}", self.origin, path_and_query)
    }

    /// This page in another language, keeping its query.
    pub fn in_locale(&self, locale: Locale) -> String {
        format!("{}{}", locale.path(&self.path), self.query)
    }

    pub fn top_categories(&self) -> impl Iterator<Item = &Category> {
        self.categories.iter().filter(|c| c.parent_id.is_none())
    }

    pub fn children_of(&self, id: i64) -> impl Iterator<Item = &Category> {
        self.categories.iter().filter(move |c| c.parent_id == Some(id))
    }
}

/// Paths shared by the router and the views.
pub mod paths {
    pub fn category(slug: &str) -> String {
        format!("/c/{slug}")
    }

    /// How many products a category's filters leave (`{"total": n}`), for the filter sheet.
    pub fn category_count(slug: &str) -> String {
        format!("/c/{slug}/count")
    }

    pub fn product(slug: &str) -> String {
        format!("/p/{slug}")
    }

    pub const SEARCH: &str = "/search";
    pub const SEARCH_COUNT: &str = "/search/count";
    pub const CART: &str = "/cart";
    pub const CART_ITEMS: &str = "/cart/items";
}
