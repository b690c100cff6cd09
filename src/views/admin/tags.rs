//! `/admin/tags` (managers and owners): every product tag with its English name, editable one by
//! one. English pages show a tag by this name, or as written where none is set.

use maud::{html, Markup};

use super::access::shell;
use crate::app::admin::AdminRow;
use crate::app::tag_names::{TagRow, MAX_NAME};
use crate::views::security::csrf_field;

/// What the page says above the list after a change, or why it was refused.
pub enum TagNotice<'a> {
    Saved(&'a str),
    Refused { tag: &'a str, typed: &'a str },
}

pub fn tags_page(admin: &AdminRow, rows: &[TagRow], notice: Option<&TagNotice>) -> Markup {
    let untranslated = rows.iter().filter(|r| r.name_en.is_none()).count();
    shell(
        "Tên tiếng Anh của thẻ sản phẩm",
        Some(admin),
        html! {
            h1 { "Tên tiếng Anh của thẻ sản phẩm" }
            p.hint { "Thẻ được viết bằng tiếng Việt trên sản phẩm. Trang tiếng Anh hiện mỗi thẻ bằng tên tiếng Anh ở đây; thẻ chưa có tên tiếng Anh hiện như đã viết. Để trống rồi lưu để bỏ tên. Trang tiếng Anh đổi ngay khi lưu." }
            @match notice {
                Some(TagNotice::Saved(tag)) => p.notice role="status" { "Đã lưu tên tiếng Anh của thẻ “" (tag) "”." },
                Some(TagNotice::Refused { tag, .. }) => p.notice role="alert" { "Chưa lưu thẻ “" (tag) "”: tên tiếng Anh tối đa " (MAX_NAME) " ký tự, trên một dòng." },
                None => {}
            }
            p { (rows.len()) " thẻ · " (untranslated) " thẻ chưa có tên tiếng Anh" }
            table.admin-tags {
                thead { tr {
                    th scope="col" { "Thẻ (tiếng Việt)" }
                    th scope="col" { "Số sản phẩm" }
                    th scope="col" { "Tên tiếng Anh" }
                } }
                tbody {
                    @for r in rows {
                        @let typed = match notice { Some(TagNotice::Refused { tag, typed }) if *tag == r.tag => Some(*typed), _ => None };
                        tr data-tag=(r.tag) {
                            th scope="row" lang="vi" { (r.tag) }
                            td { (r.products) }
                            td {
                                form.tag-name method="post" action="/admin/tags" {
                                    (csrf_field())
                                    input type="hidden" name="tag" value=(r.tag);
                                    input type="text" name="name_en" lang="en" value=(typed.or(r.name_en.as_deref()).unwrap_or_default())
                                        maxlength=(MAX_NAME) size="24" aria-label=(format!("Tên tiếng Anh của thẻ “{}”", r.tag))
                                        aria-invalid=[typed.map(|_| "true")] placeholder="(chưa có)";
                                    button type="submit" { "Lưu" span.visually-hidden { " thẻ “" (r.tag) "”" } }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tag_has_its_own_labelled_form_and_untranslated_ones_are_counted() {
        let admin: AdminRow = serde_json::from_value(serde_json::json!({"id": "a", "email": "m@vestify.vn", "name": "M", "role": "manager", "password_hash": "", "disabled_at": null})).unwrap();
        let rows = [
            TagRow { tag: "cổ tim".into(), products: 3, name_en: Some("V-neck".into()) },
            TagRow { tag: "mới".into(), products: 1, name_en: None },
        ];
        let html = tags_page(&admin, &rows, Some(&TagNotice::Refused { tag: "mới", typed: "new!" })).into_string();
        assert!(html.contains(r#"value="V-neck""#) && html.contains(r#"aria-label="Tên tiếng Anh của thẻ “cổ tim”""#));
        assert!(html.contains(r#"value="new!""#) && html.contains(r#"aria-invalid="true""#), "what was typed is kept");
        assert!(html.contains("2 thẻ · 1 thẻ chưa có tên tiếng Anh"));
    }
}
