//! Charts as server-rendered SVG: no script and no chart library reach the browser, and every chart
//! is an image with a title and a description for screen readers (`role="img"`, `aria-labelledby`).
//! The same numbers are always offered as a table next to the chart by the page that uses it.
//!
//! Colours and strokes come from classes the stylesheet defines (`.chart-…`), so the markup needs no
//! inline style under the shop's Content-Security-Policy.

use maud::{html, Markup};

/// Plot area inside the viewBox (the rest is for axis labels).
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// One line of a line chart.
pub struct Series<'a> {
    pub name: &'a str,
    pub values: &'a [i64],
    /// Drawn dashed (e.g. the previous period).
    pub muted: bool,
}

pub struct LineChart<'a> {
    /// Unique within the page: used for the title and description ids.
    pub id: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    /// One label per point, shared by every series (e.g. days).
    pub labels: &'a [String],
    pub series: &'a [Series<'a>],
    /// Formats a value on the y axis (e.g. money in the viewer's locale).
    pub format: &'a dyn Fn(i64) -> String,
}

/// A line chart with a y axis from zero to a round number above the largest value.
pub fn line_chart(chart: &LineChart) -> Markup {
    let max = chart.series.iter().flat_map(|s| s.values.iter().copied()).max().unwrap_or(0);
    let ticks = axis_ticks(max);
    let top = ticks.last().copied().unwrap_or(1).max(1);
    let points = chart.labels.len().max(1);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |i: usize| if points == 1 { LEFT + plot_w / 2.0 } else { LEFT + plot_w * i as f64 / (points - 1) as f64 };
    let y = |v: i64| TOP + plot_h * (1.0 - v.max(0) as f64 / top as f64);
    let label_every = points.div_ceil(8).max(1);
    let title_id = format!("{}-title", chart.id);
    let desc_id = format!("{}-desc", chart.id);
    html! {
        // Scrolls sideways on a phone rather than shrinking its labels below 11 px; focusable, so a
        // keyboard can scroll it too (axe: scrollable-region-focusable).
        div.chart-scroll tabindex="0" { svg.chart.chart-line viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-labelledby=(format!("{title_id} {desc_id}")) {
            title id=(title_id) { (chart.title) }
            desc id=(desc_id) { (chart.description) }
            @for tick in &ticks {
                line.chart-grid x1=(LEFT) x2=(WIDTH - RIGHT) y1=(fmt(y(*tick))) y2=(fmt(y(*tick))) {}
                text.chart-axis x=(LEFT - 6.0) y=(fmt(y(*tick) + 4.0)) text-anchor="end" { ((chart.format)(*tick)) }
            }
            // Evenly spaced back from the last label (always shown, so never crowding a neighbour),
            // the last one ending at the plot's edge rather than running past the chart.
            @for (i, label) in chart.labels.iter().enumerate() {
                @if (points - 1 - i).is_multiple_of(label_every) {
                    text.chart-axis x=(fmt(x(i))) y=(HEIGHT - 8.0) text-anchor=(if i + 1 == points && points > 1 { "end" } else { "middle" }) { (label) }
                }
            }
            @for (n, series) in chart.series.iter().enumerate() {
                @let path = series.values.iter().enumerate().map(|(i, v)| format!("{},{}", fmt(x(i)), fmt(y(*v)))).collect::<Vec<_>>().join(" ");
                polyline class=(format!("chart-series chart-series-{}{}", n % 4, if series.muted { " chart-muted" } else { "" })) points=(path) fill="none" {
                    title { (series.name) }
                }
            }
        } }
    }
}

pub struct BarChart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    /// Label and value per bar, drawn top to bottom in this order.
    pub bars: &'a [(String, i64)],
    pub format: &'a dyn Fn(i64) -> String,
}

/// The bar chart's own width: narrow, so that on a phone it is drawn at about its natural size
/// (its 13-unit text stays at least 11 px) and on a desktop it is scaled up, never down.
const BAR_WIDTH: f64 = 360.0;

/// Horizontal bars scaled to the largest, each under a line with its name (left) and value
/// (right): a label never shares its line with a bar, so long names are not cut or overlapped.
pub fn bar_chart(chart: &BarChart) -> Markup {
    const ROW: f64 = 38.0;
    let max = chart.bars.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let height = ROW * chart.bars.len().max(1) as f64 + 4.0;
    let title_id = format!("{}-title", chart.id);
    let desc_id = format!("{}-desc", chart.id);
    html! {
        svg.chart.chart-bar viewBox=(format!("0 0 {BAR_WIDTH} {height}")) role="img" aria-labelledby=(format!("{title_id} {desc_id}")) {
            title id=(title_id) { (chart.title) }
            desc id=(desc_id) { (chart.description) }
            @for (i, (label, value)) in chart.bars.iter().enumerate() {
                @let top = 2.0 + ROW * i as f64;
                text.chart-label x="0" y=(fmt(top + 13.0)) { (truncate(label, 32)) }
                text.chart-axis x=(BAR_WIDTH) y=(fmt(top + 13.0)) text-anchor="end" { ((chart.format)(*value)) }
                rect.chart-series-0 x="0" y=(fmt(top + 19.0)) height="12" width=(fmt(BAR_WIDTH * (*value).max(0) as f64 / max as f64)) {
                    title { (label) ": " ((chart.format)(*value)) }
                }
            }
        }
    }
}

/// Round tick values from 0 to at least `max`: 1, 2 or 5 × 10ⁿ apart, four or five intervals.
pub fn axis_ticks(max: i64) -> Vec<i64> {
    if max <= 0 {
        return vec![0, 1];
    }
    let rough = max as f64 / 4.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= rough).unwrap_or(10.0 * magnitude);
    let step = (step.round() as i64).max(1);
    let count = (max + step - 1) / step;
    (0..=count).map(|i| i * step).collect()
}

/// Coordinates with at most one decimal, so the markup stays small and stable.
fn fmt(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t.push('…');
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        assert_eq!(axis_ticks(0), vec![0, 1]);
        assert_eq!(axis_ticks(7), vec![0, 2, 4, 6, 8]);
        assert_eq!(axis_ticks(100), vec![0, 50, 100]);
        assert_eq!(axis_ticks(1_234_000), vec![0, 500_000, 1_000_000, 1_500_000]);
        for max in [1, 3, 9, 10, 11, 99, 101, 4_999, 73_500_000] {
            let t = axis_ticks(max);
            assert!(*t.last().unwrap() >= max, "{max}: {t:?}");
            assert!(t.len() <= 6 && t.len() >= 2, "{max}: {t:?}");
        }
    }

    #[test]
    fn line_chart_is_an_accessible_image_with_one_point_per_label() {
        let labels: Vec<String> = (1..=3).map(|d| format!("0{d}/11")).collect();
        let chart = LineChart {
            id: "revenue",
            title: "Doanh thu <theo ngày>",
            description: "3 ngày",
            labels: &labels,
            series: &[Series { name: "Kỳ này", values: &[0, 50, 100], muted: false }, Series { name: "Kỳ trước", values: &[10, 10, 10], muted: true }],
            format: &|v| v.to_string(),
        };
        let svg = line_chart(&chart).into_string();
        assert!(svg.contains(r#"role="img" aria-labelledby="revenue-title revenue-desc""#));
        assert!(svg.contains("<title id=\"revenue-title\">Doanh thu &lt;theo ngày&gt;</title>"));
        assert!(svg.contains("chart-muted"));
        // Three points: the first at the left edge on the zero line, the last at the top right.
        assert!(svg.contains(r#"points="72,212 350,112 628,12""#), "{svg}");
        assert!(!svg.contains("style="));
    }

    #[test]
    fn a_month_of_days_has_evenly_spaced_labels_ending_on_the_last_day() {
        let labels: Vec<String> = (1..=30).map(|d| format!("{d:02}/11")).collect();
        let values = vec![1; 30];
        let chart = LineChart { id: "m", title: "", description: "", labels: &labels, series: &[Series { name: "", values: &values, muted: false }], format: &|v| v.to_string() };
        let svg = line_chart(&chart).into_string();
        let shown: Vec<&str> = labels.iter().map(String::as_str).filter(|l| svg.contains(&format!(">{l}</text>"))).collect();
        assert_eq!(shown, ["02/11", "06/11", "10/11", "14/11", "18/11", "22/11", "26/11", "30/11"], "no two labels side by side");
        assert!(svg.contains(r#"text-anchor="end">30/11</text>"#), "the last label ends inside the chart");
    }

    #[test]
    fn bar_chart_scales_to_the_largest_and_labels_each_bar() {
        let bars = vec![("Áo gile len".to_string(), 300), ("Áo phao".to_string(), 150), ("Không bán".to_string(), 0)];
        let svg = bar_chart(&BarChart { id: "top", title: "Bán chạy", description: "", bars: &bars, format: &|v| format!("{v} ₫") }).into_string();
        assert!(svg.contains(r#"width="360""#), "{svg}");
        assert!(svg.contains(r#"width="180""#));
        assert!(svg.contains(r#"width="0""#));
        assert!(svg.contains("Áo phao: 150 ₫"));
        // Each label on its own line above its bar, the value right-aligned on that line.
        assert!(svg.contains(r#"<text class="chart-label" x="0" y="15">Áo gile len</text><text class="chart-axis" x="360" y="15" text-anchor="end">300 ₫</text>"#), "{svg}");
        let long = vec![("Áo gile len cổ tim dáng ôm phối nút sừng (bản giới hạn)".to_string(), 1)];
        let svg = bar_chart(&BarChart { id: "t", title: "", description: "", bars: &long, format: &|v| v.to_string() }).into_string();
        assert!(svg.contains("…</text>") && !svg.contains("(bản giới hạn)</text>"), "a long name is shortened to fit its line");
    }
}
