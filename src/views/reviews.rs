//! Reviews on the storefront: stars (cards and the product page), the product page's review block
//! (summary, 5→1 distribution, filters, sorting, the page of reviews with photos, the shop's reply,
//! "helpful" and report forms, paging) and the review part of the product's JSON-LD.
//!
//! Everything here is part of the cached page: nothing personal is rendered, and the forms carry
//! the CSRF slot that is filled per response.

use maud::{html, Markup};
use serde_json::{json, Value};

use super::components::pagination;
use super::PageCtx;
use crate::app::reviews::{ReviewRow, ReviewsPage};
use crate::domain::catalog::Color;
use crate::domain::locale::Locale;
use crate::domain::reviews::{format_tenths, CardRating, Fit, ReviewQuery, ReviewSort};
use crate::domain::time::rfc3339;

/// The review block's words, by locale.
pub struct Words {
    pub reviews: &'static str,
    pub no_reviews: &'static str,
    pub out_of_five: &'static str,
    pub review_count: fn(i64) -> String,
    pub all: &'static str,
    pub with_photos: &'static str,
    pub sort: &'static str,
    pub newest: &'static str,
    pub most_helpful: &'static str,
    pub highest: &'static str,
    pub lowest: &'static str,
    pub bought: &'static str,
    pub fit: &'static str,
    pub helpful: &'static str,
    pub report: &'static str,
    pub shop_reply: &'static str,
    pub none_match: &'static str,
    pub anonymous: &'static str,
    pub verified: &'static str,
}

const VI: Words = Words {
    reviews: "Đánh giá",
    no_reviews: "Chưa có đánh giá nào. Khách đã nhận hàng có thể đánh giá từ đơn hàng của mình.",
    out_of_five: "trên 5",
    review_count: |n| format!("{n} đánh giá"),
    all: "Tất cả",
    with_photos: "Có ảnh",
    sort: "Sắp xếp",
    newest: "Mới nhất",
    most_helpful: "Hữu ích nhất",
    highest: "Cao nhất",
    lowest: "Thấp nhất",
    bought: "Đã mua",
    fit: "Kích cỡ",
    helpful: "Hữu ích",
    report: "Báo cáo vi phạm",
    shop_reply: "Phản hồi của Vestify",
    none_match: "Không có đánh giá nào khớp bộ lọc.",
    anonymous: "Khách hàng",
    verified: "Đã mua hàng",
};

const EN: Words = Words {
    reviews: "Reviews",
    no_reviews: "No reviews yet. Shoppers who received their order can review it from their order.",
    out_of_five: "out of 5",
    review_count: |n| if n == 1 { "1 review".to_string() } else { format!("{n} reviews") },
    all: "All",
    with_photos: "With photos",
    sort: "Sort",
    newest: "Newest",
    most_helpful: "Most helpful",
    highest: "Highest",
    lowest: "Lowest",
    bought: "Bought",
    fit: "Fit",
    helpful: "Helpful",
    report: "Report abuse",
    shop_reply: "Vestify's reply",
    none_match: "No review matches these filters.",
    anonymous: "Customer",
    verified: "Verified buyer",
};

pub fn words(locale: Locale) -> &'static Words {
    match locale {
        Locale::Vi => &VI,
        Locale::En => &EN,
    }
}

fn fit_text(fit: Fit, locale: Locale) -> &'static str {
    match (fit, locale) {
        (Fit::Small, Locale::Vi) => "Nhỏ",
        (Fit::TrueToSize, Locale::Vi) => "Vừa",
        (Fit::Large, Locale::Vi) => "Rộng",
        (Fit::Small, Locale::En) => "Runs small",
        (Fit::TrueToSize, Locale::En) => "True to size",
        (Fit::Large, Locale::En) => "Runs large",
    }
}

/// Five stars filled to the nearest half of `tenths` (43 → ★★★★½), with the figure for screen readers.
pub fn stars(locale: Locale, tenths: i64) -> Markup {
    let halves = ((tenths + 2) / 5).clamp(0, 10);
    let label = format!("{} {}", format_tenths(tenths, locale), words(locale).out_of_five);
    html! {
        span.stars role="img" aria-label=(label) data-rating=(format_tenths(tenths, Locale::En)) {
            @for i in 0..5 {
                @let filled = halves - i * 2;
                span.star.full[filled >= 2].half[filled == 1] aria-hidden="true" { "★" }
            }
        }
    }
}

/// Stars and count on a product card (nothing without published reviews).
pub fn card_rating(locale: Locale, rating: Option<&CardRating>) -> Markup {
    html! {
        @if let Some(r) = rating {
            p.card-rating {
                (stars(locale, r.average_tenths))
                " " span.count { "(" (r.count) ")" }
            }
        }
    }
}

fn list_href(ctx: &PageCtx, product_path: &str, q: &ReviewQuery) -> String {
    let mut params = Vec::new();
    if let Some(s) = q.stars {
        params.push(format!("stars={s}"));
    }
    if q.media {
        params.push("media=1".to_string());
    }
    if q.sort != ReviewSort::Newest {
        params.push(format!("sort={}", q.sort.code()));
    }
    if q.page > 1 {
        params.push(format!("page={}", q.page));
    }
    let query = if params.is_empty() { String::new() } else { format!("?{}", params.join("&")) };
    format!("{}{query}#reviews", ctx.href(product_path))
}

/// The product page's review block.
pub fn review_section(ctx: &PageCtx, page: &ReviewsPage, q: &ReviewQuery, product_path: &str, colors: &[Color]) -> Markup {
    let w = words(ctx.locale);
    let s = &page.summary;
    let color_name = |code: &str| colors.iter().find(|c| c.code == code).map_or(code.to_string(), |c| c.name(ctx.locale).to_string());
    let filter = |stars: Option<i64>, media: bool| ReviewQuery { page: 1, stars, media, sort: q.sort };
    let return_to = list_href(ctx, product_path, q);
    html! {
        section.reviews #reviews aria-labelledby="reviews-title" data-count=(s.count) {
            h2 #reviews-title { (w.reviews) }
            @match s.average_tenths() {
                None => p.no-reviews { (w.no_reviews) },
                Some(avg) => {
                    div.review-summary {
                        p.average { strong { (format_tenths(avg, ctx.locale)) } " " (w.out_of_five) " " (stars(ctx.locale, avg)) }
                        p.count { ((w.review_count)(s.count)) }
                        ol.distribution {
                            @for n in (1..=5).rev() {
                                li data-stars=(n) {
                                    a href=(list_href(ctx, product_path, &filter(Some(n), false))) {
                                        span { (n) " ★" }
                                        meter min="0" max="100" value=(s.percent(n as usize)) {}
                                        span.n { (s.distribution[n as usize - 1]) }
                                    }
                                }
                            }
                        }
                    }
                    nav.review-filters aria-label=(w.reviews) {
                        a href=(list_href(ctx, product_path, &filter(None, false))) aria-current=[(q.stars.is_none() && !q.media).then_some("true")] { (w.all) }
                        @for n in (1..=5).rev() {
                            a href=(list_href(ctx, product_path, &filter(Some(n), false))) aria-current=[(q.stars == Some(n)).then_some("true")] { (n) " ★" }
                        }
                        a href=(list_href(ctx, product_path, &filter(None, true))) aria-current=[q.media.then_some("true")] { (w.with_photos) }
                        span.sort { (w.sort) ": "
                            @for (sort, label) in [(ReviewSort::Newest, w.newest), (ReviewSort::Helpful, w.most_helpful), (ReviewSort::Highest, w.highest), (ReviewSort::Lowest, w.lowest)] {
                                " " a href=(list_href(ctx, product_path, &ReviewQuery { page: 1, sort, ..q.clone() })) aria-current=[(q.sort == sort).then_some("true")] { (label) }
                            }
                        }
                    }
                    @if page.reviews.is_empty() {
                        p { (w.none_match) }
                    }
                    ol.review-list {
                        @for r in &page.reviews {
                            li { (review_item(ctx, r, &color_name, &return_to, page.video_base.as_deref())) }
                        }
                    }
                    @if page.pages() > 1 {
                        (pagination(ctx, page.page as u32, page.pages() as u32, |n| list_href(ctx, product_path, &ReviewQuery { page: i64::from(n), ..q.clone() })))
                    }
                }
            }
        }
    }
}

fn review_item(ctx: &PageCtx, r: &ReviewRow, color_name: &dyn Fn(&str) -> String, return_to: &str, video_base: Option<&str>) -> Markup {
    let w = words(ctx.locale);
    let author = if r.author_name.is_empty() { w.anonymous } else { r.author_name.as_str() };
    let date = rfc3339(r.published_at.unwrap_or(r.created_at));
    html! {
        article.review #{"review-" (r.id)} data-rating=(r.rating) {
            header {
                (stars(ctx.locale, r.rating * 10))
                @if !r.title.is_empty() { h3 { (r.title) } }
                p.meta {
                    span.author { (author) } " · " span.verified { (w.verified) } " · "
                    time datetime=(date) { (date.get(..10).unwrap_or_default()) }
                }
                p.bought { (w.bought) ": " (color_name(&r.color)) " / " (r.size)
                    @if let Some(fit) = r.fit.as_deref().and_then(Fit::parse) { " · " (w.fit) ": " (fit_text(fit, ctx.locale)) }
                }
            }
            p.body { (r.body) }
            @let photos = r.photo_urls();
            @if !photos.is_empty() {
                ul.review-photos {
                    @for (i, url) in photos.iter().enumerate() {
                        li { a href=(url) aria-label=(format!("{} {}", ctx.locale.pick("Ảnh của khách", "Customer photo"), i + 1)) { img src=(url) alt="" width="120" height="120" loading="lazy" decoding="async"; } }
                    }
                }
            }
            @if let (Some(uid), Some(base)) = (r.video.as_deref(), video_base) {
                (video_player(ctx.locale, base, uid))
            }
            @if let Some(reply) = &r.reply {
                blockquote.shop-reply { p { strong { (w.shop_reply) } } p { (reply) } }
            }
            footer {
                form.helpful method="post" action=(ctx.href(&format!("/reviews/{}/helpful", r.id))) {
                    (crate::views::security::csrf_field())
                    input type="hidden" name="return" value=(return_to.split('#').next().unwrap_or_default());
                    button type="submit" { (w.helpful) " (" span.helpful-count { (r.helpful) } ")" }
                }
                form.report method="post" action=(ctx.href(&format!("/reviews/{}/report", r.id))) {
                    (crate::views::security::csrf_field())
                    input type="hidden" name="return" value=(return_to.split('#').next().unwrap_or_default());
                    button.link type="submit" { (w.report) }
                }
            }
        }
    }
}

/// Stream's player for a video (`id`: its uid once public, or a moderator's signed token), with its
/// poster; the HLS manifest linked for players of the viewer's choice.
pub fn video_player(locale: Locale, base: &str, id: &str) -> Markup {
    use crate::domain::stream::{hls_url, iframe_url};
    html! {
        figure.review-video data-video=(id) {
            iframe src=(iframe_url(base, id)) title=(locale.pick("Video đánh giá", "Review video")) width="640" height="360" loading="lazy"
                allow="accelerometer; gyroscope; autoplay; encrypted-media; picture-in-picture" allowfullscreen {}
            figcaption { a href=(hls_url(base, id)) { (locale.pick("Mở video (HLS)", "Open the video (HLS)")) } }
        }
    }
}

/// The review part of the product's JSON-LD: `aggregateRating` and up to five `Review`s as the
/// page shows them; `None` without a published review (Google refuses an empty rating).
pub fn json_ld(page: &ReviewsPage) -> Option<(Value, Vec<Value>)> {
    let s = &page.summary;
    let average = s.average()?;
    let aggregate = json!({"@type": "AggregateRating", "ratingValue": average, "reviewCount": s.count, "bestRating": 5, "worstRating": 1});
    let reviews = page
        .reviews
        .iter()
        .take(5)
        .map(|r| {
            json!({
                "@type": "Review",
                "author": {"@type": "Person", "name": if r.author_name.is_empty() { "Khách hàng" } else { r.author_name.as_str() }},
                "datePublished": rfc3339(r.published_at.unwrap_or(r.created_at)).get(..10).unwrap_or_default(),
                "reviewRating": {"@type": "Rating", "ratingValue": r.rating, "bestRating": 5, "worstRating": 1},
                "name": r.title,
                "reviewBody": r.body,
            })
        })
        .collect();
    Some((aggregate, reviews))
}

/// The order line a review link names, as the write form shows it.
pub struct WriteLine<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub size: &'a str,
    pub color: &'a str,
}

fn write_words(locale: Locale) -> [&'static str; 10] {
    match locale {
        Locale::Vi => ["Viết đánh giá", "Số sao", "Tiêu đề (không bắt buộc)", "Nhận xét của bạn", "Kích cỡ thế nào?", "Gửi đánh giá", "Không chọn", "Ảnh (tối đa 5, JPEG/PNG/WebP)", "Cảm ơn bạn đã đánh giá!", "Xem sản phẩm"],
        Locale::En => ["Write a review", "Rating", "Title (optional)", "Your review", "How does it fit?", "Send review", "No answer", "Photos (up to 5, JPEG/PNG/WebP)", "Thank you for your review!", "See the product"],
    }
}

/// `/reviews/write?t=…`: the review form of the order line the signed link names. `errors` are the
/// fields refused last time (422), `refusal` why this link cannot review (403/409), shown instead.
pub fn write_page(ctx: &PageCtx, line: &WriteLine, token: &str, input: &crate::domain::reviews::ReviewInput, errors: &[crate::domain::listing::FieldError], refusal: Option<&str>, photos: bool) -> Markup {
    let w = words(ctx.locale);
    let [title, rating_label, title_label, body_label, fit_label, send, no_answer, photos_label, _, see] = write_words(ctx.locale);
    let t = ctx.t();
    let error_of = |field: &str| errors.iter().find(|e| e.field == field).map(|e| t.field_error(e));
    let head = super::layout::Head { title: title.to_string(), description: title.to_string(), noindex: true, ..super::layout::Head::default() };
    let main = html! {
        section.review-write {
            h1 { (title) }
            p.product { a href=(ctx.href(&super::paths::product(line.slug))) { (line.name) } }
            p.bought { (w.bought) ": " (line.color) " / " (line.size) }
            @if let Some(r) = refusal {
                p.notice role="alert" { (r) }
            } @else {
                @if !errors.is_empty() { p.notice role="alert" { @for e in errors { (t.field_error(e)) " " } } }
                form.review-form method="post" action=(ctx.href("/reviews/write")) enctype=[photos.then_some("multipart/form-data")] {
                    (crate::views::security::csrf_field())
                    input type="hidden" name="t" value=(token);
                    fieldset.rating {
                        legend { (rating_label) }
                        @for n in (1..=5).rev() {
                            label { input type="radio" name="rating" value=(n) required checked[input.rating == Some(n)]; " " (n) " ★" }
                        }
                        @if let Some(e) = error_of("rating") { p.field-error { (e) } }
                    }
                    div.field { label for="r-title" { (title_label) } input #r-title type="text" name="title" maxlength="100" value=(input.title); }
                    div.field {
                        label for="r-body" { (body_label) }
                        textarea #r-body name="body" maxlength="2000" rows="6" required { (input.body) }
                        @if let Some(e) = error_of("body") { p.field-error { (e) } }
                    }
                    fieldset.fit {
                        legend { (fit_label) }
                        label { input type="radio" name="fit" value="" checked[input.fit.as_deref().unwrap_or_default().is_empty()]; " " (no_answer) }
                        @for f in Fit::ALL {
                            label { input type="radio" name="fit" value=(f.code()) checked[input.fit.as_deref() == Some(f.code())]; " " (fit_text(f, ctx.locale)) }
                        }
                    }
                    @if photos {
                        div.field {
                            label for="r-photos" { (photos_label) }
                            input #r-photos type="file" name="photo" accept="image/jpeg,image/png,image/webp" multiple;
                            @if let Some(e) = error_of("photo") { p.field-error { (e) } }
                        }
                    }
                    button.button type="submit" { (send) }
                }
            }
            p { a href=(ctx.href(&super::paths::product(line.slug))) { (see) } }
        }
    };
    super::layout::page(ctx, head, main)
}

/// After a review was taken: published at once, or waiting for a moderator (held text or photos).
/// The video upload a review's author gets after writing it (Stream configured): the review it is
/// for and the credential the upload link is asked with (the review link's token).
pub struct VideoUpload<'a> {
    pub review_id: &'a str,
    pub token: &'a str,
}

/// The box `public/js/app.js` turns into an upload straight to Stream with a progress bar.
pub fn video_upload_box(locale: Locale, upload: &VideoUpload<'_>) -> Markup {
    let l = locale;
    html! {
        section.video-upload data-video-upload data-endpoint=(format!("/api/v1/reviews/{}/video-upload", upload.review_id)) data-token=(upload.token)
            data-msg-pick=(l.pick("Hãy chọn một tệp video.", "Choose a video file."))
            data-msg-large=(l.pick("Video lớn hơn 200 MB.", "The video is larger than 200 MB."))
            data-msg-asking=(l.pick("Đang chuẩn bị tải lên…", "Preparing the upload…"))
            data-msg-uploading=(l.pick("Đang tải lên…", "Uploading…"))
            data-msg-done=(l.pick("Đã tải video lên. Video sẽ hiển thị sau khi được duyệt.", "Video uploaded. It shows once a moderator approves it."))
            data-msg-failed=(l.pick("Không tải được video.", "The video could not be uploaded.")) {
            h2 { (l.pick("Thêm video (tối đa 90 giây)", "Add a video (up to 90 seconds)")) }
            label { (l.pick("Tệp video", "Video file")) " " input type="file" name="video" accept="video/*"; }
            " " button type="button" hidden { (l.pick("Tải video lên", "Upload the video")) }
            progress max="100" value="0" hidden {}
            p role="status" aria-live="polite" {}
            noscript { p { (l.pick("Cần bật JavaScript để tải video lên.", "Uploading a video needs JavaScript.")) } }
        }
    }
}

pub fn thanks_page(ctx: &PageCtx, slug: &str, published: bool, photos_waiting: bool, video: Option<&VideoUpload<'_>>) -> Markup {
    let [_, _, _, _, _, _, _, _, thanks, see] = write_words(ctx.locale);
    let note = match (ctx.locale, published, photos_waiting) {
        (Locale::Vi, true, false) => "Đánh giá của bạn đã được đăng.",
        (Locale::Vi, true, true) => "Đánh giá của bạn đã được đăng; ảnh sẽ hiển thị sau khi được duyệt.",
        (Locale::Vi, false, _) => "Đánh giá của bạn sẽ hiển thị sau khi được duyệt.",
        (Locale::En, true, false) => "Your review is published.",
        (Locale::En, true, true) => "Your review is published; its photos show once approved.",
        (Locale::En, false, _) => "Your review will show once a moderator approves it.",
    };
    let head = super::layout::Head { title: thanks.to_string(), description: thanks.to_string(), noindex: true, ..super::layout::Head::default() };
    super::layout::page(ctx, head, html! {
        section.review-thanks {
            h1 { (thanks) }
            p.status data-published=(published) { (note) }
            @if let Some(upload) = video { (video_upload_box(ctx.locale, upload)) }
            p { a href=(format!("{}#reviews", ctx.href(&super::paths::product(slug)))) { (see) } }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reviews::RatingSummary;

    fn ctx(locale: Locale) -> PageCtx {
        PageCtx { locale, path: "/p/gile".into(), query: String::new(), origin: "https://vestify.vn".into(), categories: Vec::new(), shop: Default::default() }
    }

    fn row(id: &str, rating: i64, body: &str) -> ReviewRow {
        ReviewRow {
            id: id.into(),
            rating,
            title: "Áo đẹp".into(),
            body: body.into(),
            fit: Some("true_to_size".into()),
            size: "M".into(),
            color: "grey".into(),
            author_name: "An N.".into(),
            locale: "vi".into(),
            created_at: 1_780_000_000,
            published_at: Some(1_780_000_000),
            reply: Some("Cảm ơn <b>bạn</b>".into()),
            reply_at: Some(1_780_000_100),
            helpful: 3,
            photos: Some("/media/a.jpg\u{1f}/media/b.jpg".into()),
            video: None,
        }
    }

    fn page(reviews: Vec<ReviewRow>, distribution: [i64; 5]) -> ReviewsPage {
        let count = distribution.iter().sum();
        let total = distribution.iter().enumerate().map(|(i, n)| (i as i64 + 1) * n).sum();
        ReviewsPage { product_id: 1, summary: RatingSummary { count, total, distribution }, matching: reviews.len() as i64, reviews, page: 1, video_base: None }
    }

    #[test]
    fn the_block_shows_figures_the_variant_bought_and_text_as_text() {
        let colors = [Color { code: "grey".into(), name_vi: "Xám".into(), name_en: "Grey".into(), hex: "#888".into() }];
        let p = page(vec![row("r1", 4, "<script>alert(1)</script> vừa vặn")], [0, 0, 0, 1, 0]);
        let html = review_section(&ctx(Locale::Vi), &p, &ReviewQuery { page: 1, ..ReviewQuery::default() }, "/p/gile", &colors).into_string();
        assert!(html.contains("Đã mua: Xám / M"), "{html}");
        assert!(html.contains("Kích cỡ: Vừa"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("Cảm ơn &lt;b&gt;bạn&lt;/b&gt;"));
        assert!(html.contains("/media/b.jpg"));
        assert!(html.contains("action=\"/reviews/r1/helpful\""));
        assert!(html.contains("1 đánh giá"));
        assert!(html.contains("aria-label=\"4,0 trên 5\""));
        let empty = review_section(&ctx(Locale::En), &page(vec![], [0; 5]), &ReviewQuery::default(), "/p/gile", &colors).into_string();
        assert!(empty.contains("No reviews yet"));
    }

    #[test]
    fn json_ld_only_with_a_published_review_and_at_most_five() {
        assert!(json_ld(&page(vec![], [0; 5])).is_none());
        let many: Vec<ReviewRow> = (0..7).map(|i| row(&format!("r{i}"), 5, "ok")).collect();
        let (aggregate, list) = json_ld(&page(many, [0, 0, 1, 0, 6])).expect("with reviews");
        assert_eq!(aggregate["ratingValue"], json!(4.7));
        assert_eq!(aggregate["reviewCount"], json!(7));
        assert_eq!(list.len(), 5);
        assert_eq!(list[0]["author"]["name"], json!("An N."));
        assert_eq!(list[0]["datePublished"], json!("2026-05-28"));
    }

    #[test]
    fn stars_fill_to_the_nearest_half() {
        let html = stars(Locale::En, 43).into_string();
        assert_eq!(html.matches("star full").count(), 4);
        assert_eq!(html.matches("star half").count(), 1);
        assert_eq!(stars(Locale::En, 48).into_string().matches("star full").count(), 5);
        assert!(card_rating(Locale::Vi, None).into_string().is_empty());
        assert!(card_rating(Locale::Vi, Some(&CardRating { count: 12, average_tenths: 45 })).into_string().contains("(12)"));
    }
}
