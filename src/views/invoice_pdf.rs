//! The invoice as a PDF (A4), laid out like the HTML page, in the invoice's language.
//!
//! Text is set in one embedded TrueType font passed in as bytes (the Worker reads
//! `public/fonts/DejaVuSans.ttf`; tests read the same file), so Vietnamese diacritics print on any
//! viewer. Only the glyphs the invoice uses are embedded: [`subsetter`] cuts the font down and
//! renumbers the glyphs, the font goes in as a CID-keyed Type 0 font (Identity-H: two bytes per
//! glyph) with a `/ToUnicode` CMap so the text can be searched and copied. Characters are mapped
//! one to one through the font's `cmap` (no shaping): Vietnamese in NFC, as the shop stores it, has
//! a precomposed glyph for every letter. A character the font lacks prints as `?`.
//!
//! Pure: bytes in, bytes out, so it runs the same under `cargo test` as in the Worker.

use std::collections::BTreeMap;
use std::fmt;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use sha2::{Digest, Sha256};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

use super::invoice::invoice_t;
use crate::domain::invoice::Invoice;
use crate::domain::money::Vnd;
use crate::domain::time::{local_time, vn_date};

/// The font the Worker passes in: a file under `public/`, read through the assets binding.
pub const INVOICE_FONT: &str = "fonts/DejaVuSans.ttf";

/// Why no PDF could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfError {
    /// The font bytes are not a TrueType/OpenType font this generator can embed.
    Font(String),
}

impl fmt::Display for PdfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PdfError::Font(why) => write!(f, "invoice font unusable: {why}"),
        }
    }
}

impl std::error::Error for PdfError {}

// A4 in points, and the page's margins (15 mm).
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 42.5;
const LEFT: f32 = MARGIN;
const RIGHT: f32 = PAGE_W - MARGIN;
/// Below this the footer lives; content that would cross it goes on the next page.
const BOTTOM: f32 = MARGIN + 40.0;

/// A fill or stroke colour, each component 0–1.
type Rgb = (f32, f32, f32);

const INK: Rgb = (0.106, 0.122, 0.141);
const MUTED: Rgb = (0.357, 0.392, 0.439);
const ACCENT: Rgb = (0.122, 0.227, 0.373);
const RULE: Rgb = (0.79, 0.81, 0.84);

const FONT_NAME: Name<'static> = Name(b"F1");

/// The invoice as PDF bytes, its text set in `font` (a TrueType or OpenType font file).
pub fn invoice_pdf(invoice: &Invoice, font: &[u8]) -> Result<Vec<u8>, PdfError> {
    let face = Face::parse(font, 0).map_err(|e| PdfError::Font(e.to_string()))?;
    let mut writer = Writer::new(face)?;
    layout(invoice, &mut writer);
    writer.finish(invoice, font)
}

/// The font as used so far: which glyphs, under which new ids, for which characters.
struct FontUse<'a> {
    face: Face<'a>,
    units_per_em: f32,
    fallback: GlyphId,
    remapper: GlyphRemapper,
    /// New glyph id → (the character it was drawn for, advance in 1/1000 em).
    used: BTreeMap<u16, (char, f32)>,
}

impl<'a> FontUse<'a> {
    fn new(face: Face<'a>) -> Result<FontUse<'a>, PdfError> {
        let fallback = face.glyph_index('?').ok_or_else(|| PdfError::Font("no glyph for '?'".into()))?;
        let units_per_em = f32::from(face.units_per_em());
        if units_per_em <= 0.0 {
            return Err(PdfError::Font("units per em is zero".into()));
        }
        Ok(FontUse { face, units_per_em, fallback, remapper: GlyphRemapper::new(), used: BTreeMap::new() })
    }

    fn glyph(&self, c: char) -> (GlyphId, char) {
        match self.face.glyph_index(c) {
            Some(g) => (g, c),
            None => (self.fallback, '?'),
        }
    }

    fn advance(&self, glyph: GlyphId) -> f32 {
        f32::from(self.face.glyph_hor_advance(glyph).unwrap_or(0)) * 1000.0 / self.units_per_em
    }

    /// Width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(self.glyph(c).0)).sum::<f32>() * size / 1000.0
    }

    /// `text` as two-byte glyph ids of the subset, remembering every glyph it needs.
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let (glyph, shown) = self.glyph(c);
            let new = self.remapper.remap(glyph.0);
            let advance = self.advance(glyph);
            self.used.entry(new).or_insert((shown, advance));
            out.extend_from_slice(&new.to_be_bytes());
        }
        out
    }
}

/// Pages of content being laid out, top to bottom.
struct Writer<'a> {
    font: FontUse<'a>,
    pages: Vec<Content>,
    y: f32,
}

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
}

impl<'a> Writer<'a> {
    fn new(face: Face<'a>) -> Result<Writer<'a>, PdfError> {
        Ok(Writer { font: FontUse::new(face)?, pages: vec![Content::new()], y: PAGE_H - MARGIN })
    }

    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = PAGE_H - MARGIN;
    }

    /// Starts a new page unless `height` more points fit on this one.
    fn ensure(&mut self, height: f32) -> bool {
        if self.y - height < BOTTOM {
            self.new_page();
            return true;
        }
        false
    }

    /// One line of text with its baseline at `y`; `x` is its left edge, or its right edge when
    /// right-aligned.
    fn text(&mut self, x: f32, y: f32, size: f32, color: Rgb, align: Align, text: &str) {
        if text.is_empty() {
            return;
        }
        let x = match align {
            Align::Left => x,
            Align::Right => x - self.font.width(text, size),
        };
        let bytes = self.font.encode(text);
        let page = self.page();
        page.set_fill_rgb(color.0, color.1, color.2);
        page.begin_text();
        page.set_font(FONT_NAME, size);
        page.next_line(x, y);
        page.show(Str(&bytes));
        page.end_text();
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32, color: Rgb) {
        let page = self.page();
        page.set_stroke_rgb(color.0, color.1, color.2);
        page.set_line_width(width);
        page.move_to(x1, y);
        page.line_to(x2, y);
        page.stroke();
    }

    /// `text` broken into lines no wider than `width` at `size`: at spaces, and inside a word only
    /// when the word alone is too wide.
    fn wrap(&self, text: &str, width: f32, size: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
            if self.font.width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for c in word.chars() {
                line.push(c);
                if self.font.width(&line, size) > width && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                }
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// Wrapped text from the cursor down, left-aligned at `x`; returns the lines drawn.
    fn paragraph(&mut self, x: f32, width: f32, size: f32, color: Rgb, text: &str) -> usize {
        let lines = self.wrap(text, width, size);
        let leading = size * 1.35;
        for line in &lines {
            self.ensure(leading);
            self.y -= leading;
            let y = self.y;
            self.text(x, y, size, color, Align::Left, line);
        }
        lines.len()
    }

    fn finish(mut self, invoice: &Invoice, font: &[u8]) -> Result<Vec<u8>, PdfError> {
        let t = invoice_t(invoice.locale());
        // Footers, now that the number of pages is known.
        let count = self.pages.len();
        for i in 0..count {
            let page_no = (t.page_of)(i + 1, count);
            let notes = format!("{} {}", t.vat_note, t.not_einvoice);
            let (bytes_notes, bytes_page) = (self.font.encode(&notes), self.font.encode(&page_no));
            let page_w = self.font.width(&page_no, 7.5);
            if let Some(page) = self.pages.get_mut(i) {
                page.set_stroke_rgb(RULE.0, RULE.1, RULE.2);
                page.set_line_width(0.5);
                page.move_to(LEFT, MARGIN + 14.0);
                page.line_to(RIGHT, MARGIN + 14.0);
                page.stroke();
                page.set_fill_rgb(MUTED.0, MUTED.1, MUTED.2);
                for (x, bytes) in [(LEFT, &bytes_notes), (RIGHT - page_w, &bytes_page)] {
                    page.begin_text();
                    page.set_font(FONT_NAME, 7.5);
                    page.next_line(x, MARGIN + 3.0);
                    page.show(Str(bytes));
                    page.end_text();
                }
            }
        }

        let subset = subsetter::subset(font, 0, &self.font.remapper).map_err(|e| PdfError::Font(e.to_string()))?;
        let face = &self.font.face;
        let scale = |v: f32| v * 1000.0 / self.font.units_per_em;
        let base_name = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic() && !b"()<>[]{}/%#".contains(&b)))
            .unwrap_or_else(|| "Embedded".to_string());
        // A subset's name carries a tag naming the glyph set (ISO 32000-1, 9.6.4).
        let mut hasher = Sha256::new();
        for gid in self.font.remapper.remapped_gids() {
            hasher.update(gid.to_be_bytes());
        }
        let tag: String = hasher.finalize().iter().take(6).map(|b| char::from(b'A' + b % 26)).collect();
        let font_name = format!("{tag}+{base_name}");

        let mut ids = (1..).map(Ref::new);
        let mut next = || ids.next().unwrap_or(Ref::new(1));
        let (catalog_id, tree_id, info_id) = (next(), next(), next());
        let (type0_id, cid_id, descriptor_id, file_id, cmap_id) = (next(), next(), next(), next(), next());
        let page_ids: Vec<(Ref, Ref)> = (0..count).map(|_| (next(), next())).collect();

        let mut pdf = Pdf::new();
        let t_title = (t.doc_title)(&invoice.number);
        pdf.catalog(catalog_id).pages(tree_id).lang(TextStr(invoice.locale().lang_tag()));
        pdf.document_info(info_id).title(TextStr(&t_title)).author(TextStr(&invoice.shop.legal_name)).creator(TextStr("Vestify"));
        pdf.pages(tree_id).kids(page_ids.iter().map(|(page, _)| *page)).count(count as i32);
        for ((page_id, content_id), content) in page_ids.iter().zip(self.pages) {
            let mut page = pdf.page(*page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
            page.parent(tree_id);
            page.contents(*content_id);
            page.resources().fonts().pair(FONT_NAME, type0_id);
            page.finish();
            pdf.stream(*content_id, &content.finish());
        }

        pdf.type0_font(type0_id)
            .base_font(Name(font_name.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_id)
            .to_unicode(cmap_id);
        let system_info = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
        let mut cid = pdf.cid_font(cid_id);
        cid.subtype(CidFontType::Type2)
            .base_font(Name(font_name.as_bytes()))
            .system_info(system_info)
            .font_descriptor(descriptor_id)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        // Glyph 0 (.notdef) and any glyph only the subsetter added keep their own widths.
        let widths: Vec<f32> = (0..self.font.remapper.num_gids())
            .map(|new| match self.font.used.get(&new) {
                Some((_, w)) => *w,
                None => self.font.remapper.remapped_gids().nth(usize::from(new)).map_or(0.0, |old| self.font.advance(GlyphId(old))),
            })
            .collect();
        cid.widths().consecutive(0, widths);
        cid.finish();

        let bbox = face.global_bounding_box();
        let cap_height = face.capital_height().map_or(scale(f32::from(face.ascender())), |h| scale(f32::from(h)));
        pdf.font_descriptor(descriptor_id)
            .name(Name(font_name.as_bytes()))
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(scale(f32::from(bbox.x_min)), scale(f32::from(bbox.y_min)), scale(f32::from(bbox.x_max)), scale(f32::from(bbox.y_max))))
            .italic_angle(face.italic_angle())
            .ascent(scale(f32::from(face.ascender())))
            .descent(scale(f32::from(face.descender())))
            .cap_height(cap_height)
            .stem_v(80.0)
            .font_file2(file_id);
        let length1 = i32::try_from(subset.len()).unwrap_or(i32::MAX);
        pdf.stream(file_id, &subset).pair(Name(b"Length1"), length1);

        let mut cmap = UnicodeCmap::new(Name(b"Vestify-UTF16"), system_info);
        for (new, (c, _)) in &self.font.used {
            cmap.pair(*new, *c);
        }
        let cmap = cmap.finish();
        pdf.cmap(cmap_id, cmap.as_slice()).name(Name(b"Vestify-UTF16")).system_info(system_info);
        // Nothing is compressed: the subset is small, and readable streams keep the file checkable.
        Ok(pdf.finish())
    }
}

/// Column edges of the lines table.
struct Columns {
    no: f32,
    item: f32,
    item_width: f32,
    unit_right: f32,
    qty_right: f32,
    amount_right: f32,
}

const COLUMNS: Columns = Columns {
    no: LEFT,
    item: LEFT + 28.0,
    item_width: RIGHT - 210.0 - (LEFT + 28.0) - 12.0,
    unit_right: RIGHT - 130.0,
    qty_right: RIGHT - 95.0,
    amount_right: RIGHT,
};

fn layout(invoice: &Invoice, w: &mut Writer) {
    let t = invoice_t(invoice.locale());
    let money = |n: Vnd| invoice.money(n);
    let half = (RIGHT - LEFT) / 2.0;

    // Header: the seller on the left, the invoice's title and numbers on the right.
    let top = w.y;
    w.y -= 14.0;
    let y = w.y;
    w.text(LEFT, y, 12.5, ACCENT, Align::Left, &invoice.shop.legal_name);
    w.y -= 3.0;
    w.paragraph(LEFT, half + 20.0, 8.5, INK, &invoice.shop.address);
    w.paragraph(LEFT, half + 20.0, 8.5, INK, &format!("{}: {}", t.tax_code, invoice.shop.tax_code));
    w.paragraph(LEFT, half + 20.0, 8.5, INK, &format!("{}: {} · {}: {}", t.email, invoice.shop.email, t.phone, crate::domain::phone::display_phone(&invoice.shop.phone)));
    let seller_bottom = w.y;

    w.y = top - 18.0;
    let y = w.y;
    w.text(RIGHT, y, 17.0, ACCENT, Align::Right, t.title);
    w.y -= 6.0;
    for (label, value) in [
        (t.invoice_no, invoice.number.clone()),
        (t.invoice_date, vn_date(invoice.issued_at, invoice.locale())),
        (t.order_no, invoice.order.number.clone()),
    ] {
        w.y -= 12.5;
        let y = w.y;
        let value_w = w.font.width(&value, 9.0);
        w.text(RIGHT, y, 9.0, INK, Align::Right, &value);
        w.text(RIGHT - value_w - 6.0, y, 9.0, MUTED, Align::Right, label);
    }
    w.y = w.y.min(seller_bottom) - 10.0;
    let y = w.y;
    w.rule(LEFT, RIGHT, y, 1.5, ACCENT);

    // The buyer on the left, the payment on the right.
    w.y -= 8.0;
    let top = w.y;
    w.y -= 10.0;
    let y = w.y;
    w.text(LEFT, y, 7.5, MUTED, Align::Left, &t.buyer.to_uppercase());
    w.y -= 2.0;
    w.paragraph(LEFT, half - 12.0, 10.0, INK, &invoice.order.buyer.name);
    for line in &invoice.order.buyer.address_lines {
        w.paragraph(LEFT, half - 12.0, 9.0, INK, line);
    }
    w.paragraph(LEFT, half - 12.0, 9.0, INK, &format!("{}: {}", t.phone, crate::domain::phone::display_phone(&invoice.order.buyer.phone)));
    w.paragraph(LEFT, half - 12.0, 9.0, INK, &format!("{}: {}", t.email, invoice.order.buyer.email));
    let buyer_bottom = w.y;

    let px = LEFT + half + 12.0;
    w.y = top - 10.0;
    let y = w.y;
    w.text(px, y, 7.5, MUTED, Align::Left, &t.payment.to_uppercase());
    w.y -= 2.0;
    w.paragraph(px, half - 12.0, 9.0, INK, &invoice.order.payment_method);
    w.paragraph(px, half - 12.0, 9.0, INK, &format!("{}: {}", t.ordered_at, local_time(invoice.order.ordered_at, invoice.locale())));
    match invoice.order.paid_at {
        Some(at) => w.paragraph(px, half - 12.0, 9.0, INK, &format!("{}: {}", t.paid_at, local_time(at, invoice.locale()))),
        None => w.paragraph(px, half - 12.0, 9.0, (0.6, 0.165, 0.07), t.unpaid),
    };
    w.y = w.y.min(buyer_bottom) - 18.0;

    // The lines, with the table's head repeated on every page they run onto.
    table_head(w, t);
    for (i, l) in invoice.order.lines.iter().enumerate() {
        // A bundle's heading above its first line.
        if let Some(label) = invoice.order.bundle_heading(i) {
            let heading = w.wrap(label, COLUMNS.item_width, 9.0);
            if w.ensure(heading.len() as f32 * 12.0 + 4.0) {
                table_head(w, t);
            }
            for line in &heading {
                w.y -= 12.0;
                let y = w.y;
                w.text(COLUMNS.item, y, 9.0, INK, Align::Left, line);
            }
            w.y -= 4.0;
        }
        let name = w.wrap(&l.name, COLUMNS.item_width, 9.5);
        let detail = w.wrap(&format!("{} · {}: {}", l.variant, t.sku, l.sku), COLUMNS.item_width, 8.0);
        let height = name.len() as f32 * 12.5 + detail.len() as f32 * 10.5 + 8.0;
        if w.ensure(height) {
            table_head(w, t);
        }
        let first = w.y - 12.5;
        w.text(COLUMNS.no, first, 9.5, INK, Align::Left, &(i + 1).to_string());
        w.text(COLUMNS.unit_right, first, 9.5, INK, Align::Right, &money(l.unit_price));
        w.text(COLUMNS.qty_right, first, 9.5, INK, Align::Right, &l.quantity.to_string());
        w.text(COLUMNS.amount_right, first, 9.5, INK, Align::Right, &money(l.line_total));
        for line in &name {
            w.y -= 12.5;
            let y = w.y;
            w.text(COLUMNS.item, y, 9.5, INK, Align::Left, line);
        }
        for line in &detail {
            w.y -= 10.5;
            let y = w.y;
            w.text(COLUMNS.item, y, 8.0, MUTED, Align::Left, line);
        }
        w.y -= 5.5;
        let y = w.y;
        w.rule(LEFT, RIGHT, y, 0.5, RULE);
    }

    // Totals, kept together.
    let mut rows: Vec<(String, String, f32, Rgb)> = vec![
        (t.subtotal.to_string(), money(invoice.order.subtotal), 9.5, INK),
        (t.shipping.to_string(), money(invoice.order.shipping), 9.5, INK),
    ];
    if invoice.order.discount.is_positive() {
        rows.push((t.discount.to_string(), format!("−{}", money(invoice.order.discount)), 9.5, INK));
    }
    let total_row = rows.len();
    rows.push((t.total.to_string(), money(invoice.order.total), 11.5, INK));
    rows.push(((t.vat)(&invoice.vat.rate.format(invoice.locale())), money(invoice.vat.amount), 8.5, MUTED));
    rows.push((t.net.to_string(), money(invoice.vat.net), 8.5, MUTED));
    w.ensure(rows.len() as f32 * 16.0 + 16.0);
    w.y -= 6.0;
    let label_right = RIGHT - 110.0;
    for (i, (label, value, size, color)) in rows.iter().enumerate() {
        if i == total_row {
            w.y -= 5.0;
            let y = w.y;
            w.rule(label_right - 150.0, RIGHT, y, 1.2, INK);
        }
        w.y -= size * 1.55;
        let y = w.y;
        w.text(label_right, y, *size, *color, Align::Right, label);
        w.text(RIGHT, y, *size, *color, Align::Right, value);
        if i == total_row {
            w.y -= 3.0;
        }
    }

    if !invoice.order.note.trim().is_empty() {
        w.y -= 14.0;
        w.paragraph(LEFT, RIGHT - LEFT, 9.0, INK, &format!("{}: {}", t.note, invoice.order.note));
    }
}

fn table_head(w: &mut Writer, t: &super::invoice::InvoiceTexts) {
    w.y -= 11.0;
    let y = w.y;
    w.text(COLUMNS.no, y, 8.0, MUTED, Align::Left, t.no);
    w.text(COLUMNS.item, y, 8.0, MUTED, Align::Left, t.product);
    w.text(COLUMNS.unit_right, y, 8.0, MUTED, Align::Right, t.unit_price);
    w.text(COLUMNS.qty_right, y, 8.0, MUTED, Align::Right, t.quantity);
    w.text(COLUMNS.amount_right, y, 8.0, MUTED, Align::Right, t.amount);
    w.y -= 5.0;
    let y = w.y;
    w.rule(LEFT, RIGHT, y, 0.8, INK);
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::domain::invoice::InvoiceSettings;
    use crate::domain::locale::Locale;
    use crate::views::invoice::invoice_for_order;
    use crate::views::invoice::tests::sample_order;

    const FONT: &[u8] = include_bytes!("../../public/fonts/DejaVuSans.ttf");

    #[test]
    fn the_worker_reads_the_font_the_tests_use() {
        assert_eq!(std::fs::read(format!("public/{INVOICE_FONT}")).unwrap(), FONT);
    }

    /// The objects of a PDF, read through its cross-reference table: fails unless `startxref`
    /// points at the table and every in-use entry points at the object it numbers.
    fn objects(pdf: &[u8]) -> HashMap<u32, (String, Vec<u8>)> {
        assert!(pdf.starts_with(b"%PDF-1."), "header");
        assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"), "trailer end");
        let start = pdf.len() - 64;
        let tail = String::from_utf8_lossy(&pdf[start + find(&pdf[start..], b"startxref").expect("startxref")..]).to_string();
        let xref_at: usize = tail.lines().nth(1).expect("offset").trim().parse().expect("numeric offset");
        assert!(pdf[xref_at..].starts_with(b"xref"), "startxref points at the xref table");
        // Everything from the table on is ASCII.
        let text = std::str::from_utf8(&pdf[xref_at..]).expect("ASCII xref and trailer");
        let mut lines = text.lines().skip(1);
        let header = lines.next().expect("subsection");
        let (first, count) = header.split_once(' ').expect("first count");
        let (first, count): (u32, u32) = (first.parse().unwrap(), count.trim().parse().unwrap());
        let trailer = &text[text.rfind("trailer").expect("trailer")..];
        assert!(trailer.contains(&format!("/Size {}", first + count)), "trailer size matches the table");
        assert!(trailer.contains("/Root 1 0 R"), "trailer names the catalog");
        let mut out = HashMap::new();
        for (i, entry) in lines.take(count as usize).enumerate() {
            let number = first + i as u32;
            let fields: Vec<&str> = entry.split_whitespace().collect();
            assert_eq!(fields.len(), 3, "xref entry {entry:?}");
            if fields[2] != "n" {
                continue;
            }
            let offset: usize = fields[0].parse().unwrap();
            let head = format!("{number} 0 obj");
            assert!(pdf[offset..].starts_with(head.as_bytes()), "object {number} is where the xref says");
            let body = &pdf[offset + head.len()..];
            let end = find(body, b"endobj").expect("endobj");
            let body = &body[..end];
            let (dict, stream) = match find(body, b"stream\n") {
                Some(s) => {
                    let dict = String::from_utf8_lossy(&body[..s]).to_string();
                    let len: usize = dict.split("/Length ").nth(1).and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next()).unwrap().parse().unwrap();
                    let data = body[s + 7..s + 7 + len].to_vec();
                    assert!(body[s + 7 + len..].starts_with(b"\nendstream"), "object {number}: /Length is the stream's length");
                    (dict, data)
                }
                None => (String::from_utf8_lossy(body).to_string(), Vec::new()),
            };
            out.insert(number, (dict, stream));
        }
        out
    }

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }

    /// Glyph id → text, from the `/ToUnicode` CMap's `bfchar` entries.
    fn to_unicode(cmap: &[u8]) -> HashMap<u16, String> {
        let text = String::from_utf8_lossy(cmap);
        let mut map = HashMap::new();
        for block in text.split("beginbfchar").skip(1) {
            let block = block.split("endbfchar").next().unwrap();
            for line in block.lines().filter(|l| l.starts_with('<')) {
                let parts: Vec<&str> = line.split(['<', '>', ' ']).filter(|p| !p.is_empty()).collect();
                let gid = u16::from_str_radix(parts[0], 16).unwrap();
                let units: Vec<u16> = parts[1].as_bytes().chunks(4).map(|c| u16::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap()).collect();
                map.insert(gid, String::from_utf16(&units).unwrap());
            }
        }
        map
    }

    /// The operands of every `Tj` in a content stream, as raw bytes.
    fn shown_strings(content: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < content.len() {
            let (bytes, end) = match content[i] {
                b'(' => {
                    let mut s = Vec::new();
                    let mut depth = 1;
                    let mut j = i + 1;
                    while depth > 0 {
                        match content[j] {
                            b'\\' => {
                                j += 1;
                                match content[j] {
                                    b'n' => s.push(b'\n'),
                                    b'r' => s.push(b'\r'),
                                    b't' => s.push(b'\t'),
                                    b'b' => s.push(8),
                                    b'f' => s.push(12),
                                    d @ b'0'..=b'7' => {
                                        let mut v = u32::from(d - b'0');
                                        for _ in 0..2 {
                                            if matches!(content[j + 1], b'0'..=b'7') {
                                                j += 1;
                                                v = v * 8 + u32::from(content[j] - b'0');
                                            }
                                        }
                                        s.push(v as u8);
                                    }
                                    other => s.push(other),
                                }
                            }
                            b'(' => {
                                depth += 1;
                                s.push(b'(');
                            }
                            b')' => {
                                depth -= 1;
                                if depth > 0 {
                                    s.push(b')');
                                }
                            }
                            b => s.push(b),
                        }
                        j += 1;
                    }
                    (s, j)
                }
                b'<' if content.get(i + 1) != Some(&b'<') => {
                    let close = i + find(&content[i..], b">").unwrap();
                    let hex: Vec<u8> = content[i + 1..close].iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
                    let bytes = hex.chunks(2).map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap()).collect();
                    (bytes, close + 1)
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            let rest = &content[end..];
            let skip = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
            if rest[skip..].starts_with(b"Tj") {
                out.push(bytes);
            }
            i = end;
        }
        out
    }

    /// The text of each page (content streams in object order), one shown string per line, decoded
    /// through the CMap the file carries.
    fn page_texts(pdf: &[u8]) -> Vec<String> {
        let objs = objects(pdf);
        let (_, cmap) = objs.values().find(|(d, _)| d.contains("/Type /CMap")).expect("a ToUnicode CMap");
        let map = to_unicode(cmap);
        let mut contents: Vec<(u32, &Vec<u8>)> =
            objs.iter().filter(|(_, (d, s))| !s.is_empty() && !d.contains("/Type") && !d.contains("/Length1")).map(|(n, (_, s))| (*n, s)).collect();
        contents.sort_by_key(|(n, _)| *n);
        contents
            .into_iter()
            .map(|(_, content)| {
                let mut text = String::new();
                for s in shown_strings(content) {
                    for pair in s.chunks(2) {
                        let gid = u16::from_be_bytes([pair[0], pair[1]]);
                        text.push_str(map.get(&gid).map_or("\u{fffd}", String::as_str));
                    }
                    text.push('\n');
                }
                text
            })
            .collect()
    }

    fn extract_text(pdf: &[u8]) -> String {
        page_texts(pdf).concat()
    }

    fn pdf_for(locale: Locale) -> Vec<u8> {
        let inv = invoice_for_order(&sample_order(), &InvoiceSettings::default(), Some(locale)).unwrap();
        invoice_pdf(&inv, FONT).unwrap()
    }

    #[test]
    fn the_pdf_is_well_formed_and_embeds_a_small_subset_of_the_font() {
        let pdf = pdf_for(Locale::Vi);
        let objs = objects(&pdf);
        let (_, font_file) = objs.values().find(|(d, _)| d.contains("/Length1")).expect("an embedded FontFile2");
        assert!(font_file.len() * 10 < FONT.len(), "subset {} bytes vs font {} bytes", font_file.len(), FONT.len());
        let subset = Face::parse(font_file, 0).expect("the subset is a font");
        let full = Face::parse(FONT, 0).unwrap();
        assert!(subset.number_of_glyphs() < 200 && subset.number_of_glyphs() * 20 < full.number_of_glyphs(), "{} glyphs", subset.number_of_glyphs());
        let fonts: Vec<&String> = objs.values().map(|(d, _)| d).filter(|d| d.contains("/Subtype /Type0")).collect();
        assert_eq!(fonts.len(), 1);
        assert!(fonts[0].contains("/Encoding /Identity-H") && fonts[0].contains("/ToUnicode"));
        let base = fonts[0].split("/BaseFont /").nth(1).unwrap();
        assert!(base.len() > 7 && base.as_bytes()[6] == b'+' && base[..6].bytes().all(|b| b.is_ascii_uppercase()), "subset tag: {base}");
        assert!(base[7..].starts_with("DejaVuSans"));
        assert!(objs.values().any(|(d, _)| d.contains("/Lang (vi-VN)")));
        assert!(pdf.len() < 60_000, "{} bytes", pdf.len());
    }

    #[test]
    fn the_vietnamese_pdf_says_everything_the_invoice_says_with_its_diacritics() {
        let text = extract_text(&pdf_for(Locale::Vi));
        let detail = sample_order();
        for l in &detail.lines {
            assert!(text.contains(&l.name_vi), "{} missing from\n{text}", l.name_vi);
            assert!(text.contains(&l.sku), "{}", l.sku);
        }
        for needle in [
            "HÓA ĐƠN BÁN HÀNG",
            "INV-VS-000123",
            "26/11/2026",
            "Nguyễn Thị Ánh Tuyết",
            "25 Hàng Bạc",
            "Phường Hàng Buồm, Quận Hoàn Kiếm",
            "Đen / M",
            "918.000 ₫",
            "1.887.000 ₫",
            "3.194.000 ₫",
            "30.000 ₫",
            "−100.000 ₫",
            "3.124.000 ₫",
            "Thuế GTGT (đã bao gồm) 10%",
            "284.000 ₫",
            "2.840.000 ₫",
            "Mã số thuế: 0000000000",
            "Đã thanh toán lúc: 00:33 26/11/2026",
            "Ghi chú: Giao giờ hành chính",
            "Trang 1/1",
        ] {
            assert!(text.contains(needle), "{needle:?} missing from\n{text}");
        }
        assert!(!text.contains('\u{fffd}') && !text.contains('?'), "every character had a glyph:\n{text}");
    }

    #[test]
    fn the_english_pdf_uses_english_labels_and_names() {
        let text = extract_text(&pdf_for(Locale::En));
        for needle in ["INVOICE", "Ultralight puffer vest", "Khaki / XL", "₫3,124,000", "VAT included (10%)", "₫284,000", "Amount before VAT", "₫2,840,000", "26 Nov 2026", "Hà Nội, Vietnam", "Page 1 of 1"] {
            assert!(text.contains(needle), "{needle:?} missing from\n{text}");
        }
        assert!(!text.contains("HÓA ĐƠN"));
    }

    #[test]
    fn a_long_order_runs_onto_more_pages_and_keeps_every_line() {
        let mut detail = sample_order();
        let template = detail.lines[0].clone();
        detail.lines = (1..=45)
            .map(|n| {
                let mut l = template.clone();
                l.line_no = n;
                l.sku = format!("SKU-{n:03}");
                l.name_vi = format!("Gilê số {n} với một cái tên rất dài để thử việc xuống dòng trong cột sản phẩm của bảng");
                l
            })
            .collect();
        detail.order.subtotal = Vnd::checked_sum(detail.lines.iter().map(|l| l.line_total)).unwrap();
        detail.order.total = detail.order.subtotal.checked_add(detail.order.shipping_fee).and_then(|t| t.checked_sub(detail.order.discount)).unwrap();
        let inv = invoice_for_order(&detail, &InvoiceSettings::default(), None).unwrap();
        let pdf = invoice_pdf(&inv, FONT).unwrap();
        let objs = objects(&pdf);
        let pages = objs.values().filter(|(d, _)| d.contains("/Type /Page") && !d.contains("/Type /Pages")).count();
        assert!(pages >= 3, "{pages} pages");
        let texts = page_texts(&pdf);
        assert_eq!(texts.len(), pages);
        let text = texts.concat();
        for n in 1..=45 {
            assert_eq!(text.matches(&format!("SKU-{n:03}")).count(), 1, "line {n} once");
        }
        for (i, page) in texts.iter().enumerate() {
            assert!(page.contains(&format!("Trang {}/{pages}", i + 1)), "page {} numbered", i + 1);
            if page.contains("SKU-") {
                assert!(page.contains("Thành tiền"), "the table head repeats on page {}", i + 1);
            }
        }
        assert!(texts.iter().filter(|p| p.contains("SKU-")).count() >= 2, "the lines run over pages");
        assert!(text.contains(&inv.money(inv.order.total)));
    }

    #[test]
    fn a_bundles_heading_stands_above_its_lines() {
        let inv = invoice_for_order(&crate::views::invoice::tests::bundle_order(), &InvoiceSettings::default(), None).unwrap();
        let text = extract_text(&invoice_pdf(&inv, FONT).unwrap());
        let heading = text.find("Combo: Mua kèm giảm 10%").unwrap_or_else(|| panic!("{text}"));
        assert!(heading < text.find("Gilê phao siêu nhẹ").unwrap() && text.find("Áo gilê dù").unwrap() < text.find("Gilê len dệt kim").unwrap(), "{text}");
    }

    #[test]
    fn a_character_the_font_lacks_prints_as_a_question_mark() {
        let mut detail = sample_order();
        detail.order.name = "Trần 中文".into();
        let inv = invoice_for_order(&detail, &InvoiceSettings::default(), None).unwrap();
        let text = extract_text(&invoice_pdf(&inv, FONT).unwrap());
        assert!(text.contains("Trần ??"), "{text}");
    }

    #[test]
    fn a_file_that_is_not_a_font_is_an_error_not_a_panic() {
        let inv = invoice_for_order(&sample_order(), &InvoiceSettings::default(), None).unwrap();
        assert!(matches!(invoice_pdf(&inv, b"not a font"), Err(PdfError::Font(_))));
        assert!(matches!(invoice_pdf(&inv, &FONT[..1000]), Err(PdfError::Font(_))));
    }

    #[test]
    #[ignore = "writes /tmp/invoice-{vi,en}.pdf to look at"]
    fn write_samples() {
        std::fs::write("/tmp/invoice-vi.pdf", pdf_for(Locale::Vi)).unwrap();
        std::fs::write("/tmp/invoice-en.pdf", pdf_for(Locale::En)).unwrap();
    }

    #[test]
    fn the_same_invoice_gives_the_same_bytes() {
        assert_eq!(pdf_for(Locale::Vi), pdf_for(Locale::Vi));
    }
}
