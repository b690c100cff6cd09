//! Campaigns' pure rules (issue 14, docs/NOTIFICATIONS.md): what a manager composes (subject and
//! body in Vietnamese and English, a segment), how the form is read and checked, and the limited
//! markdown of a body — paragraphs, `- ` lists, `**bold**` and `[text](https://…)` links — parsed
//! into blocks that the email layout renders (escaped: nothing in a body becomes markup by itself).

/// Who a campaign goes to. Every segment is narrowed to addresses that agreed to marketing mail
/// (`marketing_consents` `subscribed`): buying or asking for an alert is not consent to a campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Every confirmed newsletter subscriber.
    Subscribers,
    /// Subscribers who bought in this category or its subcategories (a paid order).
    CategoryBuyers(i64),
    /// Subscribers waiting for an alert (back in stock or price drop) on this product.
    ProductAlerts(i64),
}

impl Segment {
    pub fn code(self) -> &'static str {
        match self {
            Segment::Subscribers => "subscribers",
            Segment::CategoryBuyers(_) => "category_buyers",
            Segment::ProductAlerts(_) => "product_alerts",
        }
    }

    /// The category or product a segment names.
    pub fn reference(self) -> Option<i64> {
        match self {
            Segment::Subscribers => None,
            Segment::CategoryBuyers(id) | Segment::ProductAlerts(id) => Some(id),
        }
    }

    /// From the stored columns (`segment`, `segment_ref`).
    pub fn from_parts(code: &str, reference: Option<i64>) -> Option<Segment> {
        match (code, reference) {
            ("subscribers", _) => Some(Segment::Subscribers),
            ("category_buyers", Some(id)) if id > 0 => Some(Segment::CategoryBuyers(id)),
            ("product_alerts", Some(id)) if id > 0 => Some(Segment::ProductAlerts(id)),
            _ => None,
        }
    }
}

/// Where a campaign is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CampaignStatus {
    /// Being written; editable.
    Draft,
    /// Waiting for its send time; still editable (back to a draft) or cancellable.
    Scheduled,
    /// Its recipients are being queued in batches.
    Sending,
    /// Every recipient queued.
    Sent,
    Cancelled,
}

impl CampaignStatus {
    pub const ALL: [CampaignStatus; 5] = [CampaignStatus::Draft, CampaignStatus::Scheduled, CampaignStatus::Sending, CampaignStatus::Sent, CampaignStatus::Cancelled];

    pub fn code(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Scheduled => "scheduled",
            CampaignStatus::Sending => "sending",
            CampaignStatus::Sent => "sent",
            CampaignStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(code: &str) -> Option<CampaignStatus> {
        CampaignStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether its text and segment may still change.
    pub fn editable(self) -> bool {
        matches!(self, CampaignStatus::Draft | CampaignStatus::Scheduled)
    }
}

pub const SUBJECT_MAX: usize = 150;
pub const BODY_MAX: usize = 20_000;

/// A campaign as the compose form gives it, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub subject_vi: String,
    pub subject_en: String,
    pub body_vi: String,
    pub body_en: String,
    pub segment: Segment,
}

impl Draft {
    /// Reads the form's fields (`subject_vi`, `subject_en`, `body_vi`, `body_en`, `segment`,
    /// `category_id`, `product_id`); the fields that are wrong, each with its message, otherwise.
    pub fn parse(get: impl Fn(&str) -> String) -> Result<Draft, Vec<(&'static str, &'static str)>> {
        let mut errors = Vec::new();
        let text = |name: &'static str, max: usize, errors: &mut Vec<(&'static str, &'static str)>| {
            let value = get(name).trim().replace("\r\n", "\n");
            if value.is_empty() {
                errors.push((name, "Bắt buộc. / Required."));
            } else if value.chars().count() > max {
                errors.push((name, "Quá dài. / Too long."));
            } else if name.starts_with("subject") && value.contains('\n') {
                errors.push((name, "Một dòng. / One line."));
            }
            value
        };
        let subject_vi = text("subject_vi", SUBJECT_MAX, &mut errors);
        let subject_en = text("subject_en", SUBJECT_MAX, &mut errors);
        let body_vi = text("body_vi", BODY_MAX, &mut errors);
        let body_en = text("body_en", BODY_MAX, &mut errors);
        let id = |name: &str| get(name).trim().parse::<i64>().ok().filter(|id| *id > 0);
        let segment = match get("segment").trim() {
            "subscribers" => Some(Segment::Subscribers),
            "category_buyers" => match id("category_id") {
                Some(c) => Some(Segment::CategoryBuyers(c)),
                None => {
                    errors.push(("category_id", "Chọn danh mục. / Choose a category."));
                    None
                }
            },
            "product_alerts" => match id("product_id") {
                Some(p) => Some(Segment::ProductAlerts(p)),
                None => {
                    errors.push(("product_id", "Nhập mã sản phẩm. / Enter a product id."));
                    None
                }
            },
            _ => {
                errors.push(("segment", "Chọn nhóm người nhận. / Choose the recipients."));
                None
            }
        };
        match segment {
            Some(segment) if errors.is_empty() => Ok(Draft { subject_vi, subject_en, body_vi, body_en, segment }),
            _ => Err(errors),
        }
    }
}

/// A piece of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Bold(String),
    /// Only `http(s)` targets; anything else stays text.
    Link { text: String, url: String },
}

/// A block of a body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// A paragraph; its lines are kept as line breaks.
    Paragraph(Vec<Vec<Inline>>),
    List(Vec<Vec<Inline>>),
}

/// Parses a body: blank lines separate blocks, a block whose lines all start with `- ` is a list.
pub fn parse_body(body: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    for chunk in body.replace("\r\n", "\n").split("\n\n") {
        let lines: Vec<&str> = chunk.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).collect();
        if lines.is_empty() {
            continue;
        }
        if lines.iter().all(|l| l.trim_start().starts_with("- ")) {
            blocks.push(Block::List(lines.iter().map(|l| inlines(l.trim_start().trim_start_matches("- ").trim())).collect()));
        } else {
            blocks.push(Block::Paragraph(lines.iter().map(|l| inlines(l.trim())).collect()));
        }
    }
    blocks
}

/// `**bold**` and `[text](https://url)` in a line; unmatched markers stay as they are.
pub fn inlines(line: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("**") {
            if let Some(end) = after.find("**").filter(|e| *e > 0) {
                flush(&mut out, &mut text);
                out.push(Inline::Bold(after[..end].to_string()));
                rest = &after[end + 2..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix('[') {
            if let Some((label, tail)) = after.split_once("](") {
                if let Some((url, tail)) = tail.split_once(')') {
                    let url = url.trim();
                    let safe = (url.starts_with("https://") || url.starts_with("http://")) && !url.contains(char::is_whitespace) && !label.is_empty() && !label.contains('[');
                    if safe {
                        flush(&mut out, &mut text);
                        out.push(Inline::Link { text: label.to_string(), url: url.to_string() });
                        rest = tail;
                        continue;
                    }
                }
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            text.push(c);
        }
        rest = chars.as_str();
    }
    flush(&mut out, &mut text);
    out
}

fn flush(out: &mut Vec<Inline>, text: &mut String) {
    if !text.is_empty() {
        out.push(Inline::Text(std::mem::take(text)));
    }
}

/// A body as plain text: the markers dropped, a link as `text (url)`, list items with `- `.
pub fn plain_text(blocks: &[Block]) -> String {
    let line = |inl: &[Inline]| {
        inl.iter()
            .map(|i| match i {
                Inline::Text(t) | Inline::Bold(t) => t.clone(),
                Inline::Link { text, url } => format!("{text} ({url})"),
            })
            .collect::<String>()
    };
    blocks
        .iter()
        .map(|b| match b {
            Block::Paragraph(lines) => lines.iter().map(|l| line(l)).collect::<Vec<_>>().join("\n"),
            Block::List(items) => items.iter().map(|l| format!("- {}", line(l))).collect::<Vec<_>>().join("\n"),
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: &[(&str, &str)]) -> Result<Draft, Vec<(&'static str, &'static str)>> {
        let fields: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Draft::parse(|name| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default())
    }

    #[test]
    fn a_body_becomes_paragraphs_lists_bold_and_safe_links() {
        let blocks = parse_body("Xin chào **bạn**,\ndòng hai\n\n- Áo [xem](https://vestify.vn/p/ao)\n- [x](javascript:alert(1))\n\n\n<b>hi</b>");
        assert_eq!(
            blocks,
            [
                Block::Paragraph(vec![vec![Inline::Text("Xin chào ".into()), Inline::Bold("bạn".into()), Inline::Text(",".into())], vec![Inline::Text("dòng hai".into())]]),
                Block::List(vec![
                    vec![Inline::Text("Áo ".into()), Inline::Link { text: "xem".into(), url: "https://vestify.vn/p/ao".into() }],
                    vec![Inline::Text("[x](javascript:alert(1))".into())],
                ]),
                Block::Paragraph(vec![vec![Inline::Text("<b>hi</b>".into())]]),
            ]
        );
        assert_eq!(plain_text(&blocks), "Xin chào bạn,\ndòng hai\n\n- Áo xem (https://vestify.vn/p/ao)\n- [x](javascript:alert(1))\n\n<b>hi</b>");
        assert_eq!(inlines("** not bold"), [Inline::Text("** not bold".into())]);
        assert_eq!(inlines("a ****"), [Inline::Text("a ****".into())]);
    }

    #[test]
    fn the_compose_form_names_each_wrong_field() {
        let ok = form(&[("subject_vi", " Ưu đãi "), ("subject_en", "Offer"), ("body_vi", "a"), ("body_en", "b"), ("segment", "category_buyers"), ("category_id", "3")]).unwrap();
        assert_eq!((ok.subject_vi.as_str(), ok.segment), ("Ưu đãi", Segment::CategoryBuyers(3)));
        let fields = |r: Result<Draft, Vec<(&'static str, &'static str)>>| r.unwrap_err().into_iter().map(|(f, _)| f).collect::<Vec<_>>();
        assert_eq!(fields(form(&[("segment", "product_alerts")])), ["subject_vi", "subject_en", "body_vi", "body_en", "product_id"]);
        assert_eq!(fields(form(&[("subject_vi", "a\nb"), ("subject_en", "x"), ("body_vi", "a"), ("body_en", "b"), ("segment", "everyone")])), ["subject_vi", "segment"]);
        let long = "x".repeat(SUBJECT_MAX + 1);
        assert_eq!(fields(form(&[("subject_vi", &long), ("subject_en", "x"), ("body_vi", "a"), ("body_en", "b"), ("segment", "subscribers")])), ["subject_vi"]);
        assert_eq!(Segment::from_parts("product_alerts", Some(4)), Some(Segment::ProductAlerts(4)));
        assert_eq!(Segment::from_parts("product_alerts", None), None);
        for s in CampaignStatus::ALL {
            assert_eq!(CampaignStatus::parse(s.code()), Some(s));
        }
    }
}
