//! The admin panel's words, in Vietnamese and English.

use super::Section;
use crate::domain::analytics::Change;
use crate::domain::locale::Locale;

pub struct AdminTexts {
    pub panel: &'static str,
    pub skip_to_content: &'static str,
    pub sections_label: &'static str,
    pub other_language: &'static str,
    pub log_out: &'static str,
    sections: [&'static str; 7],
    // Dashboard
    pub dashboard: &'static str,
    pub period: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub show: &'static str,
    pub last_days: fn(i64) -> String,
    pub compared_with: fn(&str, &str) -> String,
    pub revenue: &'static str,
    pub orders: &'static str,
    pub average_order_value: &'static str,
    pub units: &'static str,
    pub discounts: &'static str,
    pub refunds: &'static str,
    pub net_revenue: &'static str,
    pub previous: &'static str,
    pub change: &'static str,
    pub revenue_by_day: &'static str,
    pub revenue_chart_desc: fn(&str, &str) -> String,
    pub this_period: &'static str,
    pub previous_period: &'static str,
    pub day: &'static str,
    pub top_products: &'static str,
    pub top_categories: &'static str,
    pub product: &'static str,
    pub category: &'static str,
    pub by_provider: &'static str,
    pub provider: &'static str,
    pub funnel: &'static str,
    pub funnel_note: &'static str,
    pub step: &'static str,
    pub visitors: &'static str,
    pub of_sessions: &'static str,
    funnel_steps: [&'static str; 5],
    pub low_stock: &'static str,
    pub sku: &'static str,
    pub available: &'static str,
    pub reserved: &'static str,
    pub threshold: &'static str,
    pub nothing_low: &'static str,
    pub no_sales: &'static str,
    pub download_csv: &'static str,
    pub chart_bars_desc: &'static str,
    pub new_figure: &'static str,
}

impl AdminTexts {
    pub fn section(&self, section: Section) -> &'static str {
        self.sections[section as usize]
    }

    /// The funnel step names, by the keys `Funnel::steps` uses.
    pub fn funnel_step(&self, key: &str) -> &'static str {
        let i = ["sessions", "product_views", "added_to_cart", "checkout", "paid"].iter().position(|k| *k == key).unwrap_or(0);
        self.funnel_steps[i]
    }

    /// `+12,5 %`, `−3.0%`, "new", "—".
    pub fn change(&self, change: Change, locale: Locale) -> String {
        match change {
            Change::Flat => "—".to_string(),
            Change::New => self.new_figure.to_string(),
            Change::PerMille(pm) => {
                let sign = if pm > 0 { "+" } else if pm < 0 { "−" } else { "" };
                let abs = pm.unsigned_abs();
                let (whole, tenth) = (abs / 10, abs % 10);
                match locale {
                    Locale::Vi => format!("{sign}{whole},{tenth} %"),
                    Locale::En => format!("{sign}{whole}.{tenth}%"),
                }
            }
        }
    }
}

static VI: AdminTexts = AdminTexts {
    panel: "Quản trị",
    skip_to_content: "Chuyển đến nội dung",
    sections_label: "Các mục quản trị",
    other_language: "English",
    log_out: "Đăng xuất",
    sections: ["Tổng quan", "Sản phẩm", "Tồn kho", "Đơn hàng", "Khuyến mãi", "Thông báo", "Nhật ký"],
    dashboard: "Tổng quan bán hàng",
    period: "Khoảng thời gian",
    from: "Từ ngày",
    to: "Đến ngày",
    show: "Xem",
    last_days: |n| format!("{n} ngày qua"),
    compared_with: |from, to| format!("So với {from} – {to}"),
    revenue: "Doanh thu",
    orders: "Đơn hàng",
    average_order_value: "Giá trị đơn trung bình",
    units: "Sản phẩm đã bán",
    discounts: "Giảm giá",
    refunds: "Hoàn tiền",
    net_revenue: "Doanh thu thuần",
    previous: "Kỳ trước",
    change: "Thay đổi",
    revenue_by_day: "Doanh thu theo ngày",
    revenue_chart_desc: |this, prev| format!("Đường liền: kỳ này, tổng {this}. Đường đứt: kỳ trước, tổng {prev}. Số liệu chi tiết trong bảng bên dưới."),
    this_period: "Kỳ này",
    previous_period: "Kỳ trước",
    day: "Ngày",
    top_products: "Sản phẩm bán chạy",
    top_categories: "Danh mục bán chạy",
    product: "Sản phẩm",
    category: "Danh mục",
    by_provider: "Doanh thu theo cổng thanh toán",
    provider: "Cổng thanh toán",
    funnel: "Phễu chuyển đổi",
    funnel_note: "Khách truy cập khác nhau mỗi ngày ở từng bước; không dùng cookie.",
    step: "Bước",
    visitors: "Khách",
    of_sessions: "Trên tổng lượt truy cập",
    funnel_steps: ["Lượt truy cập", "Xem sản phẩm", "Thêm vào giỏ", "Bắt đầu thanh toán", "Đã thanh toán"],
    low_stock: "Sắp hết hàng",
    sku: "Mã SKU",
    available: "Còn bán được",
    reserved: "Đang giữ",
    threshold: "Ngưỡng",
    nothing_low: "Không có mẫu nào sắp hết hàng.",
    no_sales: "Chưa có đơn hàng nào trong khoảng thời gian này.",
    download_csv: "Tải CSV",
    chart_bars_desc: "Mỗi thanh là doanh thu; số liệu trong bảng bên cạnh.",
    new_figure: "mới",
};

static EN: AdminTexts = AdminTexts {
    panel: "Admin",
    skip_to_content: "Skip to content",
    sections_label: "Admin sections",
    other_language: "Tiếng Việt",
    log_out: "Log out",
    sections: ["Dashboard", "Products", "Stock", "Orders", "Promotions", "Notifications", "Audit log"],
    dashboard: "Sales dashboard",
    period: "Period",
    from: "From",
    to: "To",
    show: "Show",
    last_days: |n| format!("Last {n} days"),
    compared_with: |from, to| format!("Compared with {from} – {to}"),
    revenue: "Revenue",
    orders: "Orders",
    average_order_value: "Average order value",
    units: "Units sold",
    discounts: "Discounts",
    refunds: "Refunds",
    net_revenue: "Net revenue",
    previous: "Previous",
    change: "Change",
    revenue_by_day: "Revenue by day",
    revenue_chart_desc: |this, prev| format!("Solid line: this period, {this} in total. Dashed line: the previous period, {prev}. The numbers are in the table below."),
    this_period: "This period",
    previous_period: "Previous period",
    day: "Day",
    top_products: "Top products",
    top_categories: "Top categories",
    product: "Product",
    category: "Category",
    by_provider: "Revenue by payment provider",
    provider: "Provider",
    funnel: "Conversion funnel",
    funnel_note: "Distinct visitors per day at each step; no cookies are used.",
    step: "Step",
    visitors: "Visitors",
    of_sessions: "Of sessions",
    funnel_steps: ["Sessions", "Viewed a product", "Added to cart", "Started checkout", "Paid"],
    low_stock: "Low stock",
    sku: "SKU",
    available: "Sellable",
    reserved: "Reserved",
    threshold: "Threshold",
    nothing_low: "No variant is low on stock.",
    no_sales: "No orders in this period yet.",
    download_csv: "Download CSV",
    chart_bars_desc: "Each bar is revenue; the numbers are in the table beside it.",
    new_figure: "new",
};

pub fn admin_texts(locale: Locale) -> &'static AdminTexts {
    match locale {
        Locale::Vi => &VI,
        Locale::En => &EN,
    }
}
