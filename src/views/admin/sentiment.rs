//! `/admin/reviews/sentiment[?product=…]`: review sentiment over time and the aspects most
//! complained about, for the whole shop or one product (support staff and up). The monthly chart is
//! server-rendered SVG like the dashboard's (`views::charts`): each month a column split into its
//! positive, neutral and negative shares, the average score drawn over it; the same numbers are in
//! the table below it. The labels come from the automatic scorer and only inform the shop: nothing
//! here hides a review.

use maud::{html, Markup};

use super::access::shell;
use crate::app::admin::AdminRow;
use crate::app::sentiment::Report;
use crate::domain::sentiment::{Aspect, Label};
use crate::domain::sentiment_report::Month;
use crate::views::charts::{bar_chart, BarChart};

/// The product a report is about.
pub struct ProductRef<'a> {
    pub id: i64,
    pub slug: &'a str,
    pub name: &'a str,
}

fn aspect_name(a: Aspect) -> &'static str {
    match a {
        Aspect::Size => "Kích cỡ / độ vừa",
        Aspect::Material => "Chất liệu",
        Aspect::Colour => "Màu sắc",
        Aspect::Delivery => "Giao hàng",
        Aspect::Price => "Giá",
    }
}

fn label_name(l: Label) -> &'static str {
    match l {
        Label::Positive => "Tích cực",
        Label::Neutral => "Trung tính",
        Label::Negative => "Tiêu cực",
    }
}

/// A score in thousandths as the admin reads it: `+0,42`, `−0,13`, `0`.
pub fn score_text(milli: i64) -> String {
    if milli == 0 {
        return "0".to_string();
    }
    let sign = if milli > 0 { "+" } else { "−" };
    let hundredths = (milli.unsigned_abs() + 5) / 10;
    format!("{sign}{},{:02}", hundredths / 100, hundredths % 100)
}

// The chart's geometry, in viewBox units (as `views::charts`' line chart: 640 × 240).
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 44.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

fn f(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 { format!("{}", r as i64) } else { format!("{r:.1}") }
}

/// The monthly chart: a column per month split by share (left axis, %), the average score as a
/// line (right axis, −1 to +1; broken over months without reviews).
pub fn monthly_chart(id: &str, months: &[Month]) -> Markup {
    let n = months.len().max(1);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / n as f64;
    let bar = (slot * 0.6).min(48.0);
    let x = |i: usize| LEFT + slot * (i as f64 + 0.5);
    let y_share = |pct: i64| TOP + plot_h * (1.0 - pct as f64 / 100.0);
    let y_score = |milli: i64| TOP + plot_h * (1.0 - (milli as f64 / 1000.0 + 1.0) / 2.0);
    let label_every = n.div_ceil(8).max(1);
    // The score line in runs of consecutive months with reviews.
    let mut runs: Vec<Vec<String>> = vec![Vec::new()];
    for (i, m) in months.iter().enumerate() {
        match m.average_milli() {
            Some(avg) => runs.last_mut().map_or((), |r| r.push(format!("{},{}", f(x(i)), f(y_score(avg))))),
            None => runs.push(Vec::new()),
        }
    }
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let description = months
        .iter()
        .filter(|m| m.count > 0)
        .map(|m| {
            format!(
                "{}: {} đánh giá, {}% tích cực, {}% trung tính, {}% tiêu cực, điểm trung bình {}",
                m.label(),
                m.count,
                m.share(Label::Positive),
                m.share(Label::Neutral),
                m.share(Label::Negative),
                score_text(m.average_milli().unwrap_or(0))
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    html! {
        div.chart-scroll tabindex="0" { svg.chart.chart-line.chart-sentiment viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-labelledby=(format!("{title_id} {desc_id}")) {
            title id=(title_id) { "Tỷ lệ tích cực / trung tính / tiêu cực theo tháng và điểm trung bình" }
            desc id=(desc_id) { (description) }
            @for pct in [0, 25, 50, 75, 100] {
                line.chart-grid x1=(LEFT) x2=(WIDTH - RIGHT) y1=(f(y_share(pct))) y2=(f(y_share(pct))) {}
                text.chart-axis x=(LEFT - 6.0) y=(f(y_share(pct) + 4.0)) text-anchor="end" { (pct) "%" }
            }
            @for (milli, text) in [(1000, "+1"), (0, "0"), (-1000, "−1")] {
                text.chart-axis x=(WIDTH - RIGHT + 6.0) y=(f(y_score(milli) + 4.0)) { (text) }
            }
            line.chart-zero x1=(LEFT) x2=(WIDTH - RIGHT) y1=(f(y_score(0))) y2=(f(y_score(0))) {}
            @for (i, m) in months.iter().enumerate() {
                @if m.count > 0 {
                    @let (pos, neu, neg) = (m.share(Label::Positive), m.share(Label::Neutral), m.share(Label::Negative));
                    g data-month=(m.label()) {
                        rect.chart-positive x=(f(x(i) - bar / 2.0)) y=(f(y_share(pos))) width=(f(bar)) height=(f(plot_h * pos as f64 / 100.0)) {
                            title { (m.label()) ": " (pos) "% tích cực" }
                        }
                        rect.chart-neutral x=(f(x(i) - bar / 2.0)) y=(f(y_share(pos + neu))) width=(f(bar)) height=(f(plot_h * neu as f64 / 100.0)) {
                            title { (m.label()) ": " (neu) "% trung tính" }
                        }
                        rect.chart-negative x=(f(x(i) - bar / 2.0)) y=(f(y_share(100))) width=(f(bar)) height=(f(plot_h * neg as f64 / 100.0)) {
                            title { (m.label()) ": " (neg) "% tiêu cực" }
                        }
                    }
                }
                @if (n - 1 - i).is_multiple_of(label_every) {
                    text.chart-axis x=(f(x(i))) y=(HEIGHT - 8.0) text-anchor="middle" { (m.label()) }
                }
            }
            @for run in runs.iter().filter(|r| !r.is_empty()) {
                polyline.chart-score points=(run.join(" ")) fill="none" { title { "Điểm trung bình (−1 đến +1)" } }
                @for point in run {
                    @let (cx, cy) = point.split_once(',').unwrap_or(("0", "0"));
                    circle.chart-score-dot cx=(cx) cy=(cy) r="3" {}
                }
            }
        } }
        ul.chart-legend {
            li.legend-positive { "Tích cực" } li.legend-neutral { "Trung tính" } li.legend-negative { "Tiêu cực" } li.legend-score { "Điểm trung bình (trục phải)" }
        }
    }
}

/// The page: `product` the report's product, or the whole shop.
pub fn sentiment_page(admin: &AdminRow, product: Option<&ProductRef<'_>>, report: &Report) -> Markup {
    let title = match product {
        Some(p) => format!("Cảm xúc trong đánh giá: {}", p.name),
        None => "Cảm xúc trong đánh giá".to_string(),
    };
    let bars: Vec<(String, i64)> = report.complaints.iter().map(|(a, n)| (aspect_name(*a).to_string(), *n)).collect();
    let count = |n: i64| n.to_string();
    shell(
        &title,
        Some(admin),
        html! {
            h1 { (title) }
            (super::reviews::tabs("sentiment"))
            p.hint { "Nhãn do bộ chấm điểm tự động (từ điển và luật, tiếng Việt và tiếng Anh) gán cho tiêu đề và nội dung mỗi đánh giá; chỉ để tham khảo, không bao giờ ẩn hay chặn đánh giá. Tính mọi đánh giá trừ những đánh giá đã bị từ chối, theo tháng (giờ Việt Nam)." }
            @if let Some(p) = product {
                p { a href="/admin/reviews/sentiment" { "← Toàn cửa hàng" } " · " a href=(format!("/admin/products/{}", p.id)) { "Sửa sản phẩm" } " · " a href=(format!("/p/{}#reviews", p.slug)) { "Xem trên cửa hàng" } }
            }
            @if report.reviews == 0 {
                p.empty { "Chưa có đánh giá nào." }
            } @else {
                p { (report.reviews) " đánh giá." }
                h2 { "Theo tháng" }
                (monthly_chart("sentiment-months", &report.months))
                div.admin-table-wrap { table.admin-table.sentiment-months {
                    thead { tr { th { "Tháng" } th.num { "Đánh giá" } @for l in Label::ALL { th.num { (label_name(l)) } } th.num { "Điểm TB" } } }
                    tbody {
                        @for m in report.months.iter().rev() {
                            tr data-month=(m.label()) {
                                td { (m.label()) } td.num { (m.count) }
                                @for l in Label::ALL { td.num data-label=(l.code()) { @if m.count > 0 { (m.share(l)) "%" } @else { "—" } } }
                                td.num { @if let Some(avg) = m.average_milli() { (score_text(avg)) } @else { "—" } }
                            }
                        }
                    }
                } }
                h2 { "Bị phàn nàn nhiều nhất" }
                p.hint { "Số đánh giá có câu nói về khía cạnh đó mang nghĩa tiêu cực (kể cả khi cả đánh giá là tích cực)." }
                (bar_chart(&BarChart { id: "sentiment-aspects", title: "Số đánh giá phàn nàn theo khía cạnh", description: &bars.iter().map(|(l, n)| format!("{l}: {n}")).collect::<Vec<_>>().join(", "), bars: &bars, format: &count }))
                @if product.is_none() && !report.products.is_empty() {
                    h2 { "Theo sản phẩm" }
                    div.admin-table-wrap { table.admin-table.sentiment-products {
                        thead { tr { th { "Sản phẩm" } th.num { "Đánh giá" } th.num { "Tiêu cực" } th.num { "Điểm TB" } } }
                        tbody {
                            @for p in &report.products {
                                tr data-product=(p.product_id) {
                                    td { a href=(format!("/admin/reviews/sentiment?product={}", p.product_id)) { (p.name) } }
                                    td.num { (p.count) } td.num { (p.negative) } td.num { (score_text(p.average_milli())) }
                                }
                            }
                        }
                    } }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::sentiment::ProductLine;

    fn admin() -> AdminRow {
        serde_json::from_value(serde_json::json!({"id": "a", "email": "s@vestify.vn", "name": "S", "role": "support", "password_hash": "x", "created_at": 0, "disabled_at": null})).expect("an admin row")
    }

    fn month(year: i32, month: u32, counts: (i64, i64, i64), score_milli: i64) -> Month {
        Month { year, month, count: counts.0 + counts.1 + counts.2, positive: counts.0, neutral: counts.1, negative: counts.2, score_milli }
    }

    #[test]
    fn scores_read_with_a_sign_and_a_decimal_comma() {
        assert_eq!(score_text(0), "0");
        assert_eq!(score_text(420), "+0,42");
        assert_eq!(score_text(-135), "−0,14");
        assert_eq!(score_text(1000), "+1,00");
        assert_eq!(score_text(-996), "−1,00");
    }

    #[test]
    fn the_chart_splits_each_month_by_share_and_breaks_the_score_line_over_empty_months() {
        let months = [month(2026, 10, (2, 1, 1), 600), month(2026, 11, (0, 0, 0), 0), month(2026, 12, (0, 0, 2), -1400)];
        let svg = monthly_chart("m", &months).into_string();
        assert!(svg.contains(r#"role="img""#) && svg.contains("10/2026: 4 đánh giá, 50% tích cực, 25% trung tính, 25% tiêu cực, điểm trung bình +0,15"), "{svg}");
        assert_eq!(svg.matches("<g data-month=").count(), 2, "no column for the empty month");
        assert_eq!(svg.matches("<polyline").count(), 2, "the line breaks over the empty month");
        assert!(svg.contains("12/2026: 100% tiêu cực"));
    }

    #[test]
    fn the_page_shows_months_complaints_and_products_and_says_nothing_is_hidden() {
        let report = Report {
            reviews: 6,
            months: vec![month(2026, 11, (2, 0, 1), 500), month(2026, 12, (1, 1, 1), -100)],
            complaints: vec![(Aspect::Delivery, 3), (Aspect::Material, 1), (Aspect::Size, 0), (Aspect::Colour, 0), (Aspect::Price, 0)],
            products: vec![ProductLine { product_id: 7, slug: "gile".into(), name: "Gile <b>".into(), count: 6, negative: 2, score_milli: 400 }],
        };
        let html = sentiment_page(&admin(), None, &report).into_string();
        assert!(html.contains("không bao giờ ẩn"));
        assert!(html.contains("Giao hàng: 3") && html.contains("Chất liệu: 1"), "the aspects in the chart's description");
        assert!(html.contains(r#"href="/admin/reviews/sentiment?product=7""#) && html.contains("Gile &lt;b&gt;"));
        assert!(html.find("12/2026</td>").unwrap_or(usize::MAX) < html.find("11/2026</td>").unwrap_or(0), "the table lists the newest month first");
        let one = sentiment_page(&admin(), Some(&ProductRef { id: 7, slug: "gile", name: "Gile" }), &Report::default()).into_string();
        assert!(one.contains("Chưa có đánh giá nào.") && one.contains(r#"href="/admin/products/7""#));
    }
}
