//! The sales dashboard: figures for a period against the previous one, charts drawn as SVG on the
//! server, and every number also as a table (and the daily figures as CSV).

use maud::{html, Markup};

use super::{page, AdminCtx, Section};
use crate::app::analytics::{Dashboard, Ranked};
use crate::domain::analytics::{change, Funnel, Totals};
use crate::domain::csv;
use crate::domain::money::Vnd;
use crate::views::charts::{bar_chart, line_chart, BarChart, LineChart, Series};

/// The dashboard as JSON (the internal API and the reconciliation tests read this).
pub fn dashboard_json(d: &Dashboard) -> serde_json::Value {
    let (revenue, orders, previous_revenue) = d.revenue_series();
    let totals = |t: &Totals, discount: Vnd| {
        serde_json::json!({
            "revenue": t.revenue, "orders": t.orders, "units": t.units, "discount": discount,
            "refunded": t.refunded, "net_revenue": t.revenue.saturating_sub(t.refunded),
            "average_order_value": t.average_order_value(),
        })
    };
    let funnel = |f: &Funnel| serde_json::json!({
        "sessions": f.sessions, "product_views": f.product_views, "added_to_cart": f.added_to_cart,
        "checkout": f.checkout, "paid": f.paid,
    });
    let previous = d.period.previous();
    serde_json::json!({
        "period": {"from": d.period.from.to_string(), "to": d.period.to.to_string()},
        "previous_period": {"from": previous.from.to_string(), "to": previous.to.to_string()},
        "totals": totals(&d.totals, d.discount),
        "previous_totals": totals(&d.previous, d.previous_discount),
        "daily": d.period.each_day().enumerate().map(|(i, day)| serde_json::json!({
            "day": day.to_string(),
            "revenue": revenue.get(i).copied().unwrap_or(0),
            "orders": orders.get(i).copied().unwrap_or(0),
            "previous_revenue": previous_revenue.get(i).copied().unwrap_or(0),
        })).collect::<Vec<_>>(),
        "providers": d.providers,
        "top_products": d.top_products,
        "top_categories": d.top_categories,
        "funnel": funnel(&d.funnel),
        "previous_funnel": funnel(&d.previous_funnel),
        "low_stock": d.low_stock,
        "shares": d.shares,
    })
}

fn day_label(ctx: &AdminCtx, day: chrono::NaiveDate) -> String {
    match ctx.locale {
        crate::domain::locale::Locale::Vi => day.format("%d/%m").to_string(),
        crate::domain::locale::Locale::En => day.format("%b %-d").to_string(),
    }
}

fn long_date(ctx: &AdminCtx, day: chrono::NaiveDate) -> String {
    match ctx.locale {
        crate::domain::locale::Locale::Vi => day.format("%d/%m/%Y").to_string(),
        crate::domain::locale::Locale::En => day.format("%b %-d, %Y").to_string(),
    }
}

pub fn dashboard_page(ctx: &AdminCtx, d: &Dashboard) -> Markup {
    let t = ctx.t();
    let previous = d.period.previous();
    let (revenue, orders, previous_revenue) = d.revenue_series();
    let labels: Vec<String> = d.period.each_day().map(|day| day_label(ctx, day)).collect();
    // Chart values are plotted numbers; for revenue charts they are đồng.
    let money = |v: i64| ctx.money(Vnd::new(v));
    let net = |t: &Totals| Figure::Money(t.revenue.saturating_sub(t.refunded));
    let kpis: [(&str, Figure, Figure); 7] = [
        (t.revenue, Figure::Money(d.totals.revenue), Figure::Money(d.previous.revenue)),
        (t.orders, Figure::Count(d.totals.orders), Figure::Count(d.previous.orders)),
        (t.average_order_value, Figure::Money(d.totals.average_order_value()), Figure::Money(d.previous.average_order_value())),
        (t.units, Figure::Count(d.totals.units), Figure::Count(d.previous.units)),
        (t.discounts, Figure::Money(d.discount), Figure::Money(d.previous_discount)),
        (t.refunds, Figure::Money(d.totals.refunded), Figure::Money(d.previous.refunded)),
        (t.net_revenue, net(&d.totals), net(&d.previous)),
    ];
    let csv_href = format!("{}?from={}&to={}", ctx.href("/admin/dashboard.csv"), d.period.from, d.period.to);
    let main = html! {
        form.admin-filters method="get" action=(ctx.href("/admin")) {
            fieldset {
                legend { (t.period) }
                label { (t.from) " " input type="date" name="from" value=(d.period.from.to_string()) required; }
                label { (t.to) " " input type="date" name="to" value=(d.period.to.to_string()) required; }
                button type="submit" { (t.show) }
            }
            p.admin-presets {
                @for days in [7, 30, 90] {
                    a href=(format!("{}?days={days}", ctx.href("/admin"))) { ((t.last_days)(days)) }
                }
            }
        }
        p.admin-muted { ((t.compared_with)(&long_date(ctx, previous.from), &long_date(ctx, previous.to))) }

        section.admin-kpis aria-label=(t.dashboard) {
            @for (label, now, before) in kpis {
                div.kpi {
                    h2 { (label) }
                    p.kpi-value { (now.show(ctx)) }
                    p.kpi-change {
                        (t.change(change(now.value(), before.value()), ctx.locale)) " · " (t.previous) ": "
                        (before.show(ctx))
                    }
                }
            }
        }

        section.admin-card {
            h2 { (t.revenue_by_day) }
            @if d.totals.orders == 0 && d.previous.orders == 0 {
                p { (t.no_sales) }
            }
            (line_chart(&LineChart {
                id: "revenue-chart",
                title: t.revenue_by_day,
                description: &(t.revenue_chart_desc)(&ctx.money(d.totals.revenue), &ctx.money(d.previous.revenue)),
                labels: &labels,
                series: &[
                    Series { name: t.this_period, values: &revenue, muted: false },
                    Series { name: t.previous_period, values: &previous_revenue, muted: true },
                ],
                format: &|v| compact_money(ctx, v),
            }))
            details {
                summary { (t.revenue_by_day) " — " (t.day) }
                table.admin-table {
                    thead { tr { th scope="col" { (t.day) } th scope="col" { (t.revenue) } th scope="col" { (t.orders) } th scope="col" { (t.previous_period) } } }
                    tbody {
                        @for (i, day) in d.period.each_day().enumerate() {
                            tr {
                                th scope="row" { (long_date(ctx, day)) }
                                td { (money(revenue.get(i).copied().unwrap_or(0))) }
                                td { (ctx.number(orders.get(i).copied().unwrap_or(0))) }
                                td { (money(previous_revenue.get(i).copied().unwrap_or(0))) }
                            }
                        }
                    }
                }
            }
            p { a href=(csv_href) download { (t.download_csv) } }
        }

        div.admin-grid {
            (ranked_section(ctx, "top-products", t.top_products, t.product, &d.top_products, |r| format!("/p/{}", r.slug)))
            (ranked_section(ctx, "top-categories", t.top_categories, t.category, &d.top_categories, |r| format!("/c/{}", r.slug)))
        }

        div.admin-grid {
            section.admin-card {
                h2 { (t.by_provider) }
                @let bars: Vec<(String, i64)> = d.providers.iter().map(|p| (p.provider.clone(), p.revenue.minor())).collect();
                @if !bars.is_empty() {
                    (bar_chart(&BarChart { id: "providers-chart", title: t.by_provider, description: t.chart_bars_desc, bars: &bars, format: &money }))
                }
                table.admin-table {
                    thead { tr { th scope="col" { (t.provider) } th scope="col" { (t.revenue) } th scope="col" { (t.orders) } } }
                    tbody {
                        @for p in &d.providers {
                            tr { th scope="row" { (p.provider) } td { (ctx.money(p.revenue)) } td { (ctx.number(p.orders)) } }
                        }
                    }
                }
            }
            section.admin-card {
                h2 { (t.funnel) }
                p.admin-muted { (t.funnel_note) }
                @let steps = d.funnel.steps();
                @let bars: Vec<(String, i64)> = steps.iter().map(|(key, n, _)| (t.funnel_step(key).to_string(), *n)).collect();
                (bar_chart(&BarChart { id: "funnel-chart", title: t.funnel, description: t.chart_bars_desc, bars: &bars, format: &|v| ctx.number(v) }))
                table.admin-table {
                    thead { tr { th scope="col" { (t.step) } th scope="col" { (t.visitors) } th scope="col" { (t.of_sessions) } th scope="col" { (t.previous_period) } } }
                    tbody {
                        @for ((key, n, share), (_, before, _)) in steps.iter().zip(d.previous_funnel.steps().iter()) {
                            tr {
                                th scope="row" { (t.funnel_step(key)) }
                                td { (ctx.number(*n)) }
                                td { (t.change(crate::domain::analytics::Change::PerMille(*share), ctx.locale).trim_start_matches('+')) }
                                td { (ctx.number(*before)) }
                            }
                        }
                    }
                }
            }
        }

        (shares_section(ctx, &d.shares))

        section.admin-card #low-stock {
            h2 { (t.low_stock) }
            @if d.low_stock.is_empty() {
                p { (t.nothing_low) }
            } @else {
                table.admin-table {
                    thead { tr { th scope="col" { (t.sku) } th scope="col" { (t.product) } th scope="col" { (t.available) } th scope="col" { (t.reserved) } th scope="col" { (t.threshold) } } }
                    tbody {
                        @for v in &d.low_stock {
                            tr {
                                th scope="row" { a href=(format!("{}?q={}", ctx.href("/admin/stock"), v.sku)) { (v.sku) } }
                                td { (localized(ctx, &v.name_vi, &v.name_en)) " · " (v.size) " · " (localized(ctx, &v.color_vi, &v.color_en)) }
                                td { (ctx.number(v.on_hand - v.reserved)) }
                                td { (ctx.number(v.reserved)) }
                                td { (ctx.number(v.threshold)) }
                            }
                        }
                    }
                }
            }
        }
    };
    page(ctx, Section::Dashboard, t.dashboard, main)
}

/// Shares of product pages by channel (the product page's share buttons).
fn shares_section(ctx: &AdminCtx, rows: &[crate::app::sharing::ChannelShares]) -> Markup {
    let (title, channel, shares, none) = match ctx.locale {
        crate::domain::locale::Locale::Vi => ("Lượt chia sẻ theo kênh", "Kênh", "Lượt chia sẻ", "Chưa có lượt chia sẻ nào trong kỳ này."),
        crate::domain::locale::Locale::En => ("Shares by channel", "Channel", "Shares", "No shares in this period."),
    };
    let name = |code: &str| crate::domain::sharing::Channel::parse(code).map_or(code.to_string(), |c| c.name().to_string());
    html! {
        section.admin-card #shares {
            h2 { (title) }
            @if rows.is_empty() {
                p { (none) }
            } @else {
                table.admin-table {
                    thead { tr { th scope="col" { (channel) } th scope="col" { (shares) } } }
                    tbody {
                        @for r in rows {
                            tr data-channel=(r.channel) { th scope="row" { (name(&r.channel)) } td { (ctx.number(r.shares)) } }
                        }
                    }
                }
            }
        }
    }
}

fn ranked_section(ctx: &AdminCtx, id: &str, title: &str, column: &str, rows: &[Ranked], link: impl Fn(&Ranked) -> String) -> Markup {
    let t = ctx.t();
    let bars: Vec<(String, i64)> = rows.iter().map(|r| (localized(ctx, &r.name_vi, &r.name_en).to_string(), r.revenue.minor())).collect();
    html! {
        section.admin-card {
            h2 { (title) }
            @if rows.is_empty() {
                p { (t.no_sales) }
            } @else {
                (bar_chart(&BarChart { id, title, description: t.chart_bars_desc, bars: &bars, format: &|v| ctx.money(Vnd::new(v)) }))
                table.admin-table {
                    thead { tr { th scope="col" { (column) } th scope="col" { (t.units) } th scope="col" { (t.revenue) } } }
                    tbody {
                        @for r in rows {
                            tr {
                                th scope="row" { a href=(ctx.locale.path(&link(r))) { (localized(ctx, &r.name_vi, &r.name_en)) } }
                                td { (ctx.number(r.units)) }
                                td { (ctx.money(r.revenue)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A KPI's figure: money shows as money, a count as a number; both compare as numbers.
#[derive(Clone, Copy)]
enum Figure {
    Money(Vnd),
    Count(i64),
}

impl Figure {
    fn value(self) -> i64 {
        match self {
            Figure::Money(v) => v.minor(),
            Figure::Count(n) => n,
        }
    }

    fn show(self, ctx: &AdminCtx) -> String {
        match self {
            Figure::Money(v) => ctx.money(v),
            Figure::Count(n) => ctx.number(n),
        }
    }
}

fn localized<'a>(ctx: &AdminCtx, vi: &'a str, en: &'a str) -> &'a str {
    match ctx.locale {
        crate::domain::locale::Locale::Vi => vi,
        crate::domain::locale::Locale::En => en,
    }
}

/// Axis labels: `1,5 tr` / `1.5M`, `250 N` / `250K`.
fn compact_money(ctx: &AdminCtx, v: i64) -> String {
    let vi = ctx.locale == crate::domain::locale::Locale::Vi;
    let (value, unit) = if v >= 1_000_000 {
        (v as f64 / 1_000_000.0, if vi { " tr" } else { "M" })
    } else if v >= 1_000 {
        (v as f64 / 1_000.0, if vi { " N" } else { "K" })
    } else {
        return v.to_string();
    };
    let text = if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.1}") };
    let text = if vi { text.replace('.', ",") } else { text };
    format!("{text}{unit}")
}

/// The daily figures of a period as CSV (the dashboard's "Download CSV").
pub fn dashboard_csv(d: &Dashboard) -> String {
    let (revenue, orders, previous_revenue) = d.revenue_series();
    let header = ["day", "revenue_vnd", "orders", "previous_period_day", "previous_period_revenue_vnd"].map(String::from).to_vec();
    let previous = d.period.previous();
    let rows = d.period.each_day().zip(previous.each_day()).enumerate().map(|(i, (day, before))| {
        vec![
            day.to_string(),
            revenue.get(i).copied().unwrap_or(0).to_string(),
            orders.get(i).copied().unwrap_or(0).to_string(),
            before.to_string(),
            previous_revenue.get(i).copied().unwrap_or(0).to_string(),
        ]
    });
    csv::write(std::iter::once(header).chain(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::analytics::{LowStock, ProviderSales};
    use crate::domain::analytics::Period;
    use crate::domain::locale::Locale;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn ctx(locale: Locale) -> AdminCtx {
        AdminCtx {
            locale,
            path: "/admin".into(),
            query: String::new(),
            user: "owner@vestify.vn".into(),
            role: "Chủ cửa hàng".into(),
            sections: vec![Section::Dashboard, Section::Orders],
        }
    }

    fn sample() -> Dashboard {
        Dashboard {
            period: Period { from: d("2026-11-01"), to: d("2026-11-03") },
            totals: Totals { revenue: Vnd::new(3_000_000), orders: 4, units: 6, refunded: Vnd::new(500_000) },
            previous: Totals { revenue: Vnd::new(2_000_000), orders: 2, units: 3, refunded: Vnd::ZERO },
            discount: Vnd::new(100_000),
            previous_discount: Vnd::ZERO,
            daily: vec![(d("2026-11-01"), Vnd::new(1_000_000), 1), (d("2026-11-03"), Vnd::new(2_000_000), 3)],
            previous_daily: vec![(d("2026-10-30"), Vnd::new(2_000_000), 2)],
            providers: vec![ProviderSales { provider: "stripe".into(), revenue: Vnd::new(3_000_000), orders: 4 }],
            top_products: vec![Ranked { id: 1, slug: "gile-len".into(), name_vi: "Gile len".into(), name_en: "Knit vest".into(), units: 6, revenue: Vnd::new(2_900_000) }],
            top_categories: vec![],
            funnel: Funnel { sessions: 100, product_views: 60, added_to_cart: 10, checkout: 5, paid: 4 },
            previous_funnel: Funnel::default(),
            low_stock: vec![LowStock {
                sku: "VS-1".into(),
                product_slug: "gile-len".into(),
                name_vi: "Gile len".into(),
                name_en: "Knit vest".into(),
                size: "M".into(),
                color: "navy".into(),
                color_vi: "Xanh navy".into(),
                color_en: "Navy".into(),
                on_hand: 3,
                reserved: 1,
                threshold: 3,
            }],
            shares: vec![crate::app::sharing::ChannelShares { channel: "zalo".into(), shares: 7 }],
        }
    }

    #[test]
    fn shows_the_figures_against_the_previous_period() {
        let html = dashboard_page(&ctx(Locale::Vi), &sample()).into_string();
        assert!(html.contains("3.000.000 ₫"));
        assert!(html.contains("+50,0 %"), "revenue grew by half");
        assert!(html.contains("750.000 ₫"), "average order value");
        assert!(html.contains("2.500.000 ₫"), "net of refunds");
        assert!(html.contains("So với 29/10/2026 – 31/10/2026"));
        assert!(html.contains(r#"role="img""#));
        assert!(html.contains("Gile len"));
        assert!(html.contains("M · Xanh navy"), "the colour's name, not its code");
        assert!(html.contains(r#"href="/admin/stock?q=VS-1""#));
        assert!(html.contains(crate::domain::security::CSRF_SLOT), "the logout form carries the token slot");
        assert!(!html.contains("style="));
        assert!(html.contains(r#"<tr data-channel="zalo"><th scope="row">Zalo</th><td>7</td></tr>"#), "shares by channel");
        let en = dashboard_page(&ctx(Locale::En), &sample()).into_string();
        assert!(en.contains("₫3,000,000") && en.contains("+50.0%") && en.contains("Knit vest"));
        assert!(en.contains(r#"href="/en/admin/orders""#));
    }

    #[test]
    fn the_csv_has_every_day_with_zeros_filled_in() {
        let text = dashboard_csv(&sample());
        let rows = csv::parse(&text).unwrap();
        let fields: Vec<Vec<String>> = rows.into_iter().map(|r| r.fields).collect();
        assert_eq!(fields.len(), 4);
        assert_eq!(fields[1], vec!["2026-11-01", "1000000", "1", "2026-10-29", "0"]);
        assert_eq!(fields[2], vec!["2026-11-02", "0", "0", "2026-10-30", "2000000"]);
        assert_eq!(fields[3][1], "2000000");
    }

    #[test]
    fn the_json_has_every_day_and_the_net_figures() {
        let json = dashboard_json(&sample());
        assert_eq!(json["totals"]["net_revenue"], 2_500_000);
        assert_eq!(json["totals"]["average_order_value"], 750_000);
        assert_eq!(json["previous_period"], serde_json::json!({"from": "2026-10-29", "to": "2026-10-31"}));
        let days: Vec<(&str, i64)> = json["daily"].as_array().unwrap().iter().map(|d| (d["day"].as_str().unwrap(), d["revenue"].as_i64().unwrap())).collect();
        assert_eq!(days, [("2026-11-01", 1_000_000), ("2026-11-02", 0), ("2026-11-03", 2_000_000)]);
        assert_eq!(json["top_products"][0]["slug"], "gile-len");
        assert_eq!(json["low_stock"][0]["threshold"], 3);
    }

    #[test]
    fn compact_axis_labels() {
        assert_eq!(compact_money(&ctx(Locale::Vi), 1_500_000), "1,5 tr");
        assert_eq!(compact_money(&ctx(Locale::En), 250_000), "250K");
        assert_eq!(compact_money(&ctx(Locale::En), 999), "999");
    }
}
