//! Category listings and search results: the same grid, facets, sort and pagination.

use maud::{html, Markup};
use serde_json::json;

use super::components::{breadcrumbs, listing_grid, pagination, swatch};
use super::layout::{page, Head};
use super::{paths, seo, PageCtx};
use crate::app::catalog::{FacetCount, Listing};
use crate::domain::catalog::{Category, Color};
use crate::domain::listing::{total_pages, ListingQuery, Sort};
use crate::domain::money::Vnd;

pub enum Kind<'a> {
    Category(&'a Category),
    /// A search; `partial` when no product matched every word and the any-word results are shown.
    Search { partial: bool },
}

pub struct ListingView<'a> {
    pub kind: Kind<'a>,
    pub query: &'a ListingQuery,
    pub listing: &'a Listing,
    pub colors: &'a [Color],
}

impl ListingView<'_> {
    fn base_path(&self) -> String {
        match self.kind {
            Kind::Category(c) => paths::category(&c.slug),
            Kind::Search { .. } => paths::SEARCH.to_string(),
        }
    }
}

pub fn listing_page(ctx: &PageCtx, view: &ListingView) -> Markup {
    listing_page_with(ctx, view, &html! {})
}

/// The listing with `extra` under its heading (the live promotions that reach it).
pub fn listing_page_with(ctx: &PageCtx, view: &ListingView, extra: &Markup) -> Markup {
    let t = ctx.t();
    let q = view.query;
    let base = ctx.href(&view.base_path());
    let pages = total_pages(view.listing.total, q.per_page);
    let link = |next: &ListingQuery| format!("{base}{}", next.query_string());
    let (title, description, trail, heading) = match &view.kind {
        Kind::Category(c) => {
            let mut trail = vec![(t.home.to_string(), "/".to_string())];
            trail.extend(c.ancestry(&ctx.categories).iter().map(|a| (a.name(ctx.locale).to_string(), paths::category(&a.slug))));
            let description = if c.description(ctx.locale).is_empty() { c.name(ctx.locale) } else { c.description(ctx.locale) };
            (c.name(ctx.locale).to_string(), description.to_string(), trail, c.name(ctx.locale).to_string())
        }
        Kind::Search { .. } => {
            let heading = match &q.q {
                Some(text) => (t.search_results_for)(text),
                None => t.search_title.to_string(),
            };
            (heading.clone(), t.search_prompt.to_string(), Vec::new(), heading)
        }
    };
    // Page 2+ of an unfiltered listing is its own canonical page; filtered views point to the plain one.
    let canonical = match (&view.kind, q.is_noindex()) {
        (Kind::Search { .. }, _) => None,
        (_, true) => Some(ctx.absolute(&base)),
        (_, false) => Some(ctx.absolute(&link(&ListingQuery { ..q.clone() }))),
    };
    let mut json_ld = Vec::new();
    if trail.len() > 1 {
        json_ld.push(seo::json_ld(&breadcrumb_ld(ctx, &trail)));
    }
    let head = Head {
        title: if q.page > 1 { format!("{title} — {}", (t.page_of)(q.page, pages)) } else { title },
        description,
        canonical,
        noindex: q.is_noindex() || matches!(view.kind, Kind::Search { .. }),
        image: Some(match &view.kind {
            Kind::Category(c) => seo::social_image(ctx, Some(&crate::domain::sharing::category_image(&c.slug))),
            Kind::Search { .. } => seo::social_image(ctx, None),
        }),
        image_alt: match &view.kind {
            Kind::Category(c) => c.name(ctx.locale).to_string(),
            Kind::Search { .. } => t.shop_name.to_string(),
        },
        json_ld,
        ..Head::default()
    };
    let is_search = matches!(view.kind, Kind::Search { .. });
    let main = html! {
        @if !trail.is_empty() { (breadcrumbs(ctx, &trail)) }
        header.listing-head {
            h1 { (heading) }
            (extra)
            @if let Kind::Category(c) = &view.kind {
                @if !c.description(ctx.locale).is_empty() { p.lead { (c.description(ctx.locale)) } }
                @let children: Vec<_> = ctx.children_of(c.id).collect();
                @if !children.is_empty() {
                    ul.subcategories {
                        @for child in children {
                            li { a href=(ctx.href(&paths::category(&child.slug))) { (child.name(ctx.locale)) } }
                        }
                    }
                }
            }
            // The empty search state says "nothing found" itself; a "0 products" above it repeats it.
            @if !(is_search && view.listing.total == 0 && !q.has_filters()) {
                p.count role="status" { ((t.products_count)(view.listing.total)) }
            }
        }
        @if is_search && q.q.is_none() {
            p { (t.search_prompt) }
        } @else if is_search && view.listing.total == 0 && !q.has_filters() {
            (search_empty(ctx, q.q.as_deref().unwrap_or_default()))
        } @else {
            @if let Kind::Search { partial: true } = view.kind { p.notice { (t.search_partial) } }
            div.listing {
                (filters(ctx, view, &base))
                div.results #results {
                    h2.visually-hidden { (t.results) }
                    @if view.listing.cards.is_empty() {
                        p.empty { (t.no_products_match) }
                        p { a href=(link(&q.cleared())) { (t.clear_filters) } }
                    } @else {
                        (listing_grid(ctx, &view.listing.cards))
                    }
                    (pagination(ctx, q.page, pages, |p| link(&q.with_page(p))))
                }
            }
        }
    };
    page(ctx, head, main)
}

fn search_empty(ctx: &PageCtx, text: &str) -> Markup {
    let t = ctx.t();
    html! {
        section.empty-state {
            h2 { ((t.search_empty_title)(text)) }
            p { (t.search_empty_text) }
            ul.category-links {
                @for c in ctx.top_categories() {
                    li { a href=(ctx.href(&paths::category(&c.slug))) { (c.name(ctx.locale)) } }
                }
            }
        }
    }
}

/// The filter form: plain GET, so it works without JavaScript. The facets sit in a `<details>` that
/// starts closed, so on a phone the results come first; opened there, it is a sheet over the page with
/// the Apply button ("Áp dụng (N sản phẩm)") fixed beneath it (CSS only), and the form leads to
/// `#results`, so one submit lands on the products. On a phone `app.js` updates N as boxes are ticked
/// (from `…/count`, the listing's own query) and navigates only on Apply; on wide screens it opens the
/// panel as a sidebar and submits on each change.
fn filters(ctx: &PageCtx, view: &ListingView, base: &str) -> Markup {
    let t = ctx.t();
    let q = view.query;
    let sizes = with_selected(&view.listing.sizes, &q.sizes);
    let colors = with_selected(&view.listing.colors, &q.colors);
    let color_of = |code: &str| view.colors.iter().find(|c| c.code == code);
    let sorts: &[Sort] = if q.q.is_some() {
        &Sort::CHOICES
    } else {
        &[Sort::Newest, Sort::PriceAsc, Sort::PriceDesc, Sort::BestSelling]
    };
    let range = &view.listing.price_range;
    let active = q.sizes.len()
        + q.colors.len()
        + usize::from(q.min_price.is_some() || q.max_price.is_some())
        + usize::from(q.in_stock);
    html! {
        @let count_path = match view.kind {
            Kind::Category(c) => paths::category_count(&c.slug),
            Kind::Search { .. } => paths::SEARCH_COUNT.to_string(),
        };
        @let (one, many) = ((t.apply_count)(1), (t.apply_count)(COUNT_MARK).replace(&COUNT_MARK.to_string(), "{n}"));
        form.filters method="get" action=(format!("{base}#results")) data-autosubmit="" aria-label=(t.filters)
            data-count-url=(count_path) data-apply-one=(one) data-apply-many=(many) {
            @if let Some(text) = &q.q { input type="hidden" name="q" value=(text); }
            div.sort {
                label for="sort" { (t.sort_by) }
                select #sort name="sort" {
                    @for s in sorts {
                        option value=(s.code()) selected[q.effective_sort() == *s] { ((t.sort_names)(*s)) }
                    }
                }
            }
            details.filter-panel data-filter-panel="" {
                summary { (t.filters) @if active > 0 { " (" (active) ")" } }
                div.facets {
                    fieldset.facet data-facet="size" {
                        legend { (t.size) }
                        @for f in &sizes {
                            label {
                                input type="checkbox" name="size" value=(f.value) checked[q.sizes.contains(&f.value)];
                                " " (f.value) " " span.facet-count { "(" (f.count) ")" }
                            }
                        }
                    }
                    fieldset.facet data-facet="color" {
                        legend { (t.color) }
                        @for f in &colors {
                            @let color = color_of(&f.value);
                            label {
                                input type="checkbox" name="color" value=(f.value) checked[q.colors.contains(&f.value)];
                                " "
                                @if let Some(c) = color { (swatch(&c.hex)) " " (c.name(ctx.locale)) }
                                @else { (f.value) }
                                " " span.facet-count { "(" (f.count) ")" }
                            }
                        }
                    }
                    fieldset.facet data-facet="price" {
                        legend { (t.price) }
                        @if let (Some(min), Some(max)) = (range.min, range.max) {
                            p.range-hint { (min.format(ctx.locale)) " – " (max.format(ctx.locale)) }
                        }
                        div.price-inputs {
                            label { span { (t.price_from) } input type="number" name="min_price" min="0" step="1000" inputmode="numeric" value=[q.min_price.map(Vnd::minor)]; }
                            label { span { (t.price_to) } input type="number" name="max_price" min="0" step="1000" inputmode="numeric" value=[q.max_price.map(Vnd::minor)]; }
                        }
                    }
                    div.facet {
                        label { input type="checkbox" name="in_stock" value="1" checked[q.in_stock]; " " (t.in_stock_only) }
                    }
                }
            }
            @if q.per_page != crate::domain::listing::DEFAULT_PER_PAGE {
                input type="hidden" name="per_page" value=(q.per_page);
            }
            div.actions {
                button type="submit" data-apply="" { ((t.apply_count)(view.listing.total)) }
                @if q.has_filters() { " " a href=(format!("{base}{}", q.cleared().query_string())) { (t.clear_filters) } }
            }
        }
    }
}

/// A count no listing reaches, formatted into the Apply label and replaced by `{n}` for `app.js`.
const COUNT_MARK: u64 = 987_654_321;

/// Facet values with counts, plus any selected value the current results no longer contain, so it can
/// still be switched off.
fn with_selected(facets: &[FacetCount], selected: &[String]) -> Vec<FacetCount> {
    let mut all = facets.to_vec();
    for s in selected {
        if !all.iter().any(|f| &f.value == s) {
            all.push(FacetCount { value: s.clone(), count: 0 });
        }
    }
    all
}

fn breadcrumb_ld(ctx: &PageCtx, trail: &[(String, String)]) -> serde_json::Value {
    let items: Vec<_> = trail
        .iter()
        .enumerate()
        .map(|(i, (name, path))| json!({"@type": "ListItem", "position": i + 1, "name": name, "item": ctx.absolute(&ctx.href(path))}))
        .collect();
    json!({"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": items})
}

pub(crate) fn breadcrumb_json_ld(ctx: &PageCtx, trail: &[(String, String)]) -> String {
    seo::json_ld(&breadcrumb_ld(ctx, trail))
}
