//! The printable invoice of an order: a standalone HTML page (A4 print stylesheet
//! `public/css/invoice.css`, print button wired by `public/js/invoice.js`) and, in
//! [`super::invoice_pdf`], the same invoice as a PDF. Both read their words from [`invoice_t`].

use maud::{html, Markup, DOCTYPE};

use super::checkout::{country_name_in, provider_name_in};
use crate::app::orders::OrderDetail;
use crate::assets;
use crate::domain::invoice::{Buyer, Invoice, InvoiceError, InvoiceOrder, InvoiceLine, InvoiceSettings};
use crate::domain::locale::Locale;
use crate::domain::money::Vnd;
use crate::domain::time::{local_time, vn_date};

/// The invoice of a stored order in `locale`, or in the language the shopper ordered in when `None`.
pub fn invoice_for_order(detail: &OrderDetail, settings: &InvoiceSettings, locale: Option<Locale>) -> Result<Invoice, InvoiceError> {
    let o = &detail.order;
    let locale = locale.or_else(|| Locale::parse(&o.locale)).unwrap_or(Locale::Vi);
    let locality = [o.address_ward.as_str(), o.address_district.as_str()].into_iter().filter(|p| !p.trim().is_empty()).collect::<Vec<_>>().join(", ");
    let region = [o.address_province.as_str(), country_name_in(locale, &o.address_country)]
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let address_lines = [o.address_line1.clone(), locality, region].into_iter().filter(|l| !l.trim().is_empty()).collect();
    // A bundle's lines first and together under its heading (as the order page groups them), then the rest.
    let words = super::bundles::words_ctx(locale);
    let groups = super::bundles::order_groups(&detail.discounts, &detail.lines);
    let mut order: Vec<(usize, Option<String>)> = Vec::with_capacity(detail.lines.len());
    for (r, benefit, members) in &groups {
        let label = super::bundles::group_label(&words, &r.name_vi, &r.name_en, benefit, r.amount);
        order.extend(members.iter().map(|&i| (i, Some(label.clone()))));
    }
    order.extend((0..detail.lines.len()).filter(|i| !order.iter().any(|(j, _)| j == i)).map(|i| (i, None)).collect::<Vec<_>>());
    let lines = order
        .into_iter()
        .filter_map(|(i, bundle)| detail.lines.get(i).map(|l| (l, bundle)))
        .map(|(l, bundle)| {
            let color = locale.pick(l.color_vi.as_deref().unwrap_or(&l.color), l.color_en.as_deref().unwrap_or(&l.color));
            InvoiceLine {
                sku: l.sku.clone(),
                name: locale.pick(&l.name_vi, &l.name_en).to_string(),
                variant: format!("{color} / {}", l.size),
                unit_price: l.unit_price,
                quantity: l.quantity,
                line_total: l.line_total,
                bundle,
            }
        })
        .collect();
    let input = InvoiceOrder {
        number: o.number.clone(),
        ordered_at: o.created_at,
        paid_at: o.paid_at,
        locale,
        currency: o.currency.clone(),
        buyer: Buyer { name: o.name.clone(), email: o.email.clone(), phone: o.phone.clone(), address_lines },
        payment_method: provider_name_in(locale, &o.payment_provider),
        note: o.note.clone(),
        lines,
        subtotal: o.subtotal,
        shipping: o.shipping_fee,
        discount: o.discount,
        total: o.total,
    };
    Invoice::new(input, settings)
}

/// The invoice page. `pdf_url` links the PDF download when the router offers one. The page is its
/// own document (no shop header or footer): what is on screen is what is printed.
pub fn invoice_html(invoice: &Invoice, pdf_url: Option<&str>) -> Markup {
    let t = invoice_t(invoice.locale());
    let money = |n: Vnd| invoice.money(n);
    html! {
        (DOCTYPE)
        html lang=(invoice.locale().code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                title { ((t.doc_title)(&invoice.number)) " — " (invoice.shop.legal_name) }
                link rel="icon" href=(assets::url("img/favicon.svg")) type="image/svg+xml";
                link rel="stylesheet" href=(assets::url("css/invoice.css"));
                // The page's CSP lets a script run only with this response's nonce.
                script src=(assets::url("js/invoice.js")) nonce=(super::security::nonce()) defer {}
            }
            body {
                div.invoice-toolbar {
                    // Shown by invoice.js; without JavaScript the sentence beside it says what to do.
                    button #print-invoice type="button" hidden { (t.print) }
                    @if let Some(url) = pdf_url { a.invoice-pdf href=(url) download { (t.download_pdf) } }
                    p.print-hint { (t.print_hint) }
                }
                article.invoice data-invoice=(invoice.number) {
                    header.invoice-head {
                        div.seller {
                            p.seller-name { strong { (invoice.shop.legal_name) } }
                            p { (invoice.shop.address) }
                            p { (t.tax_code) ": " span data-tax-code { (invoice.shop.tax_code) } }
                            p { (t.email) ": " (invoice.shop.email) " · " (t.phone) ": " (crate::domain::phone::display_phone(&invoice.shop.phone)) }
                        }
                        div.invoice-id {
                            h1 { (t.title) }
                            dl {
                                dt { (t.invoice_no) } dd data-number { (invoice.number) }
                                dt { (t.invoice_date) } dd { time datetime=(crate::domain::time::rfc3339(invoice.issued_at)) { (vn_date(invoice.issued_at, invoice.locale())) } }
                                dt { (t.order_no) } dd { (invoice.order.number) }
                            }
                        }
                    }
                    section.parties {
                        div.buyer {
                            h2 { (t.buyer) }
                            p { strong { (invoice.order.buyer.name) } }
                            @for l in &invoice.order.buyer.address_lines { p { (l) } }
                            p { (t.phone) ": " (crate::domain::phone::display_phone(&invoice.order.buyer.phone)) }
                            p { (t.email) ": " (invoice.order.buyer.email) }
                        }
                        div.payment {
                            h2 { (t.payment) }
                            p { (invoice.order.payment_method) }
                            p { (t.ordered_at) ": " (local_time(invoice.order.ordered_at, invoice.locale())) }
                            @match invoice.order.paid_at {
                                Some(at) => p data-paid { (t.paid_at) ": " (local_time(at, invoice.locale())) },
                                None => p.unpaid data-unpaid { (t.unpaid) },
                            }
                        }
                    }
                    table.invoice-lines {
                        thead {
                            tr {
                                th scope="col" { (t.no) }
                                th scope="col" { (t.product) }
                                th.num scope="col" { (t.unit_price) }
                                th.num scope="col" { (t.quantity) }
                                th.num scope="col" { (t.amount) }
                            }
                        }
                        tbody {
                            @for (i, l) in invoice.order.lines.iter().enumerate() {
                                @if let Some(label) = invoice.order.bundle_heading(i) {
                                    tr.invoice-bundle { td {} td colspan="4" { strong { (label) } } }
                                }
                                tr data-sku=(l.sku) {
                                    td { (i + 1) }
                                    td { (l.name) br; small { (l.variant) " · " (t.sku) ": " (l.sku) } }
                                    td.num { (money(l.unit_price)) }
                                    td.num { (l.quantity) }
                                    td.num { (money(l.line_total)) }
                                }
                            }
                        }
                    }
                    table.invoice-totals {
                        tbody {
                            tr { th scope="row" { (t.subtotal) } td.num data-subtotal=(invoice.order.subtotal.minor()) { (money(invoice.order.subtotal)) } }
                            tr { th scope="row" { (t.shipping) } td.num data-shipping=(invoice.order.shipping.minor()) { (money(invoice.order.shipping)) } }
                            @if invoice.order.discount.is_positive() {
                                tr { th scope="row" { (t.discount) } td.num data-discount=(invoice.order.discount.minor()) { "−" (money(invoice.order.discount)) } }
                            }
                            tr.grand { th scope="row" { (t.total) } td.num data-total=(invoice.order.total.minor()) { (money(invoice.order.total)) } }
                            tr.vat { th scope="row" { ((t.vat)(&invoice.vat.rate.format(invoice.locale()))) } td.num data-vat=(invoice.vat.amount.minor()) { (money(invoice.vat.amount)) } }
                            tr.net { th scope="row" { (t.net) } td.num data-net=(invoice.vat.net.minor()) { (money(invoice.vat.net)) } }
                        }
                    }
                    @if !invoice.order.note.trim().is_empty() { p.invoice-note { (t.note) ": " (invoice.order.note) } }
                    footer.invoice-foot {
                        p { (t.vat_note) }
                        p { (t.not_einvoice) }
                    }
                }
            }
        }
    }
}

/// The invoice's words in one language. One struct per language: a missing translation does not
/// compile.
pub struct InvoiceTexts {
    pub title: &'static str,
    pub doc_title: fn(&str) -> String,
    pub invoice_no: &'static str,
    pub invoice_date: &'static str,
    pub order_no: &'static str,
    pub tax_code: &'static str,
    pub email: &'static str,
    pub phone: &'static str,
    pub buyer: &'static str,
    pub payment: &'static str,
    pub ordered_at: &'static str,
    pub paid_at: &'static str,
    pub unpaid: &'static str,
    pub no: &'static str,
    pub product: &'static str,
    pub sku: &'static str,
    pub unit_price: &'static str,
    pub quantity: &'static str,
    pub amount: &'static str,
    pub subtotal: &'static str,
    pub shipping: &'static str,
    pub discount: &'static str,
    pub total: &'static str,
    /// The VAT line, given the formatted rate.
    pub vat: fn(&str) -> String,
    pub net: &'static str,
    pub note: &'static str,
    pub vat_note: &'static str,
    pub not_einvoice: &'static str,
    pub print: &'static str,
    pub print_hint: &'static str,
    pub download_pdf: &'static str,
    pub page_of: fn(usize, usize) -> String,
}

pub fn invoice_t(locale: Locale) -> &'static InvoiceTexts {
    match locale {
        Locale::Vi => &VI,
        Locale::En => &EN,
    }
}

static VI: InvoiceTexts = InvoiceTexts {
    title: "HÓA ĐƠN BÁN HÀNG",
    doc_title: |n| format!("Hóa đơn {n}"),
    invoice_no: "Số hóa đơn",
    invoice_date: "Ngày",
    order_no: "Đơn hàng",
    tax_code: "Mã số thuế",
    email: "Email",
    phone: "Điện thoại",
    buyer: "Người mua",
    payment: "Thanh toán",
    ordered_at: "Đặt hàng lúc",
    paid_at: "Đã thanh toán lúc",
    unpaid: "Chưa thanh toán",
    no: "STT",
    product: "Sản phẩm",
    sku: "Mã",
    unit_price: "Đơn giá",
    quantity: "SL",
    amount: "Thành tiền",
    subtotal: "Tạm tính",
    shipping: "Phí vận chuyển",
    discount: "Giảm giá",
    total: "Tổng cộng",
    vat: |rate| format!("Thuế GTGT (đã bao gồm) {rate}"),
    net: "Giá trị trước thuế",
    note: "Ghi chú",
    vat_note: "Giá đã bao gồm thuế GTGT.",
    not_einvoice: "Chứng từ này không thay thế hóa đơn điện tử theo quy định.",
    print: "In hóa đơn",
    print_hint: "Để in, dùng lệnh In của trình duyệt (Ctrl+P hoặc ⌘P).",
    download_pdf: "Tải PDF",
    page_of: |n, of| format!("Trang {n}/{of}"),
};

static EN: InvoiceTexts = InvoiceTexts {
    title: "INVOICE",
    doc_title: |n| format!("Invoice {n}"),
    invoice_no: "Invoice no.",
    invoice_date: "Date",
    order_no: "Order",
    tax_code: "Tax code",
    email: "Email",
    phone: "Phone",
    buyer: "Bill to",
    payment: "Payment",
    ordered_at: "Ordered",
    paid_at: "Paid",
    unpaid: "Not paid",
    no: "#",
    product: "Item",
    sku: "SKU",
    unit_price: "Unit price",
    quantity: "Qty",
    amount: "Amount",
    subtotal: "Subtotal",
    shipping: "Shipping",
    discount: "Discount",
    total: "Total",
    vat: |rate| format!("VAT included ({rate})"),
    net: "Amount before VAT",
    note: "Note",
    vat_note: "Prices include VAT.",
    not_einvoice: "This document does not replace a statutory e-invoice.",
    print: "Print invoice",
    print_hint: "To print, use your browser's Print command (Ctrl+P or ⌘P).",
    download_pdf: "Download PDF",
    page_of: |n, of| format!("Page {n} of {of}"),
};

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::app::orders::{OrderLine, OrderRow};

    /// A paid order with three lines, shipping and a discount, placed in Vietnamese.
    pub(crate) fn sample_order() -> OrderDetail {
        let line = |no: i64, sku: &str, vi: &str, en: &str, color: (&str, &str), size: &str, price: i64, qty: i64| OrderLine {
            line_no: no,
            variant_id: no,
            product_id: no,
            sku: sku.into(),
            name_vi: vi.into(),
            name_en: en.into(),
            size: size.into(),
            color: "c".into(),
            color_vi: Some(color.0.into()),
            color_en: Some(color.1.into()),
            image_url: None,
            unit_price: Vnd::new(price),
            quantity: qty,
            line_total: Vnd::new(price * qty),
            discount: Vnd::ZERO,
        };
        let lines = vec![
            line(1, "GL-PHAO-DEN-M", "Gilê phao siêu nhẹ", "Ultralight puffer vest", ("Đen", "Black"), "M", 459_000, 2),
            line(2, "GL-LEN-XAM-L", "Gilê len dệt kim cổ chữ V", "V-neck knitted wool vest", ("Xám", "Grey"), "L", 389_000, 1),
            line(3, "GL-DU-KAKI-XL", "Áo gilê dù nhiều túi đựng đồ", "Utility multi-pocket vest", ("Kaki", "Khaki"), "XL", 629_000, 3),
        ];
        let subtotal: i64 = lines.iter().map(|l| l.line_total.minor()).sum();
        OrderDetail {
            order: OrderRow {
                id: "abc".into(),
                number: "VS-000123".into(),
                access_token_hash: String::new(),
                status: crate::domain::orders::OrderStatus::Paid,
                stock_state: crate::domain::orders::StockState::Committed,
                locale: "vi".into(),
                email: "nguyen.an@example.vn".into(),
                name: "Nguyễn Thị Ánh Tuyết".into(),
                phone: "0912345678".into(),
                address_line1: "25 Hàng Bạc".into(),
                return_url: None,
                cancel_url: None,
                address_ward: "Phường Hàng Buồm".into(),
                address_district: "Quận Hoàn Kiếm".into(),
                address_province: "Hà Nội".into(),
                address_country: "VN".into(),
                shipping_method: "standard".into(),
                note: "Giao giờ hành chính".into(),
                payment_provider: "sandbox".into(),
                currency: "VND".into(),
                subtotal: Vnd::new(subtotal),
                shipping_fee: Vnd::new(30_000),
                discount: Vnd::new(100_000),
                total: Vnd::new(subtotal + 30_000 - 100_000),
                refunded_total: Vnd::ZERO,
                payment_status: crate::domain::orders::PaymentState::Paid,
                fulfillment_status: crate::domain::orders::FulfillmentStatus::Unfulfilled,
                expires_at: 1_795_628_700,
                paid_at: Some(1_795_628_000),
                created_at: 1_795_627_800,
                carrier: None,
                tracking_number: None,
                address_province_code: None,
                address_ward_code: None,
                address_postal_code: String::new(),
                shipping_zone: None,
                shipping_eta_min: None,
                shipping_eta_max: None,
            },
            lines,
            events: vec![],
            payments: vec![],
            discounts: vec![],
        }
    }

    /// `sample_order` with its first and last lines sold as a bundle (its 100,000 discount).
    pub(crate) fn bundle_order() -> OrderDetail {
        let mut d = sample_order();
        d.lines[0].discount = Vnd::new(40_000);
        d.lines[2].discount = Vnd::new(60_000);
        d.discounts = vec![crate::app::promotions::RedemptionRow {
            promotion_id: 7,
            code: None,
            class: "product".into(),
            name_vi: "Mua kèm giảm 10%".into(),
            name_en: "10% off together".into(),
            benefit: r#"{"type":"bundle_percent","products":[1,3],"percent":10}"#.into(),
            amount: Vnd::new(100_000),
            state: "claimed".into(),
        }];
        d
    }

    #[test]
    fn a_bundles_lines_stand_together_under_its_name_and_saving() {
        let inv = invoice_for_order(&bundle_order(), &InvoiceSettings::default(), None).unwrap();
        let skus: Vec<&str> = inv.order.lines.iter().map(|l| l.sku.as_str()).collect();
        assert_eq!(skus, ["GL-PHAO-DEN-M", "GL-DU-KAKI-XL", "GL-LEN-XAM-L"], "the bundle's lines first, together");
        let html = invoice_html(&inv, None).into_string();
        let heading = "Combo: Mua kèm giảm 10% — Mua kèm 2 sản phẩm giảm 10% · tiết kiệm 100.000 ₫";
        assert_eq!(html.matches(heading).count(), 1, "one heading for the group: {html}");
        let at = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("{needle} missing"));
        assert!(at(heading) < at("data-sku=\"GL-PHAO-DEN-M\"") && at("data-sku=\"GL-DU-KAKI-XL\"") < at("data-sku=\"GL-LEN-XAM-L\""));
        let en = invoice_html(&invoice_for_order(&bundle_order(), &InvoiceSettings::default(), Some(Locale::En)).unwrap(), None).into_string();
        assert!(en.contains("Bundle: 10% off together — Buy 2 together, 10% off · you save ₫100,000"), "{en}");
        let plain = invoice_for_order(&sample_order(), &InvoiceSettings::default(), None).unwrap();
        assert!(plain.order.lines.iter().all(|l| l.bundle.is_none()) && !invoice_html(&plain, None).into_string().contains("invoice-bundle"));
    }

    #[test]
    fn the_invoice_speaks_the_shoppers_language_unless_told_otherwise() {
        let detail = sample_order();
        let vi = invoice_for_order(&detail, &InvoiceSettings::default(), None).unwrap();
        assert_eq!(vi.locale(), Locale::Vi);
        assert_eq!(vi.order.lines[0].name, "Gilê phao siêu nhẹ");
        assert_eq!(vi.order.lines[0].variant, "Đen / M");
        assert_eq!(vi.order.buyer.address_lines, ["25 Hàng Bạc", "Phường Hàng Buồm, Quận Hoàn Kiếm", "Hà Nội, Việt Nam"]);
        let en = invoice_for_order(&detail, &InvoiceSettings::default(), Some(Locale::En)).unwrap();
        assert_eq!(en.order.lines[2].name, "Utility multi-pocket vest");
        assert_eq!(en.order.lines[2].variant, "Khaki / XL");
        assert_eq!(en.order.buyer.address_lines[2], "Hà Nội, Vietnam");
        assert_eq!(en.order.payment_method, "Test payment gateway (sandbox)");
    }

    #[test]
    fn the_page_shows_every_line_and_every_total_in_vietnamese() {
        let detail = sample_order();
        let inv = invoice_for_order(&detail, &InvoiceSettings::default(), None).unwrap();
        let html = invoice_html(&inv, Some("/admin/orders/abc/invoice.pdf")).into_string();
        assert!(html.contains(r#"<html lang="vi">"#));
        for l in &detail.lines {
            assert!(html.contains(&format!(r#"data-sku="{}""#, l.sku)), "{}", l.sku);
            assert!(html.contains(&l.name_vi));
        }
        // 918,000 + 389,000 + 1,887,000 = 3,194,000; + 30,000 − 100,000 = 3,124,000; VAT 284,000.
        for figure in ["918.000 ₫", "389.000 ₫", "1.887.000 ₫", "3.194.000 ₫", "30.000 ₫", "−100.000 ₫", "3.124.000 ₫", "284.000 ₫", "2.840.000 ₫"] {
            assert!(html.contains(figure), "{figure} missing");
        }
        assert!(html.contains("Thuế GTGT (đã bao gồm) 10%"));
        assert!(html.contains("HÓA ĐƠN BÁN HÀNG"));
        assert!(html.contains("INV-VS-000123"));
        assert!(html.contains("26/11/2026"), "the date in Vietnam time");
        assert!(html.contains("Đã thanh toán lúc: 00:33 26/11/2026"));
        assert!(html.contains(r#"href="/admin/orders/abc/invoice.pdf""#));
        assert!(html.contains("Mã số thuế"));
        assert!(html.contains(&InvoiceSettings::default().shop.legal_name));
        assert!(html.contains("Nguyễn Thị Ánh Tuyết"));
    }

    #[test]
    fn the_page_shows_every_line_and_every_total_in_english() {
        let detail = sample_order();
        let inv = invoice_for_order(&detail, &InvoiceSettings::default(), Some(Locale::En)).unwrap();
        let html = invoice_html(&inv, None).into_string();
        assert!(html.contains(r#"<html lang="en">"#));
        for l in &detail.lines {
            assert!(html.contains(&l.name_en), "{}", l.name_en);
        }
        for figure in ["₫918,000", "₫1,887,000", "₫3,194,000", "₫30,000", "−₫100,000", "₫3,124,000", "₫284,000", "₫2,840,000"] {
            assert!(html.contains(figure), "{figure} missing");
        }
        assert!(html.contains("VAT included (10%)"));
        assert!(html.contains("26 Nov 2026"));
        assert!(!html.contains("invoice.pdf"), "no PDF link unless one is given");
    }

    #[test]
    fn the_page_has_no_inline_script_or_style_and_links_its_print_assets() {
        let inv = invoice_for_order(&sample_order(), &InvoiceSettings::default(), None).unwrap();
        let html = invoice_html(&inv, None).into_string();
        assert!(!html.contains("style="), "the CSP forbids inline styles");
        assert!(!html.contains("<style"));
        let handler = html.match_indices(" on").any(|(i, _)| {
            let rest = &html[i + 3..];
            let name_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
            name_len > 0 && rest[name_len..].starts_with('=')
        });
        assert!(!handler, "no inline event handlers");
        assert!(html.contains(&assets::url("css/invoice.css")) && assets::url("css/invoice.css").starts_with("/static/"));
        assert!(html.contains(&assets::url("js/invoice.js")) && assets::url("js/invoice.js").starts_with("/static/"));
        assert!(
            html.contains(&format!(r#"<script src="{}" nonce="{}" defer>"#, assets::url("js/invoice.js"), crate::domain::security::NONCE_SLOT)),
            "the print script carries the slot of the response's CSP nonce, or the CSP blocks it: {html}"
        );
        assert!(html.contains(r#"<button id="print-invoice" type="button" hidden>"#));
    }

    #[test]
    fn an_unpaid_order_says_so_and_user_text_is_escaped() {
        let mut detail = sample_order();
        detail.order.paid_at = None;
        detail.order.name = "<script>alert(1)</script>".into();
        let inv = invoice_for_order(&detail, &InvoiceSettings::default(), None).unwrap();
        let html = invoice_html(&inv, None).into_string();
        assert!(html.contains("Chưa thanh toán"));
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("&lt;script&gt;"));
    }
}
