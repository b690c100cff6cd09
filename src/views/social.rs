//! Social sign-in in pages: the "Continue with …" buttons of the sign-in page, the sign-in methods
//! of the account page (link, unlink), the page that asks for the account's password before a
//! social identity is linked to it, and the error page of a failed sign-in — with their vi/en words.

use maud::{html, Markup};

use super::layout::{page, Head};
use super::security::csrf_field;
use super::PageCtx;
use crate::domain::locale::Locale;
use crate::domain::oauth::jwt::IdTokenError;
use crate::domain::oauth::{Provider, SocialError};

/// Paths of social sign-in (locale-free), shared by the router and the views.
pub mod paths {
    use crate::domain::oauth::Provider;

    pub fn start(p: Provider) -> String {
        format!("/auth/{}/start", p.code())
    }
    pub fn callback(p: Provider) -> String {
        format!("/auth/{}/callback", p.code())
    }
    pub fn link(p: Provider) -> String {
        format!("/auth/{}/link", p.code())
    }
    pub fn confirm(p: Provider) -> String {
        format!("/auth/{}/confirm", p.code())
    }
    pub fn unlink(p: Provider) -> String {
        format!("/auth/{}/unlink", p.code())
    }
}

struct Texts {
    continue_with: fn(&str) -> String,
    or: &'static str,
    methods: &'static str,
    methods_hint: &'static str,
    linked: fn(&str) -> String,
    link: fn(&str) -> String,
    unlink: fn(&str) -> String,
    last_method: &'static str,
    failed_title: fn(&str) -> String,
    back_to_sign_in: &'static str,
    confirm_title: fn(&str) -> String,
    confirm_text: fn(&str, &str) -> String,
    confirm_no_password: fn(&str) -> String,
    confirm_button: fn(&str) -> String,
    password: &'static str,
    wrong_password: &'static str,
    reason: fn(&SocialError) -> &'static str,
}

fn reason_vi(e: &SocialError) -> &'static str {
    match e {
        SocialError::State => "Phiên đăng nhập này không hợp lệ hoặc đã hết hạn (10 phút). Hãy bắt đầu lại từ trang đăng nhập.",
        SocialError::Denied(_) => "Bạn đã không cho phép chia sẻ thông tin, nên chưa thể đăng nhập.",
        SocialError::Token(_) => "Nhà cung cấp từ chối mã đăng nhập. Hãy thử lại.",
        SocialError::IdToken(IdTokenError::Expired) => "Thông tin đăng nhập nhận được đã hết hạn. Hãy thử lại.",
        SocialError::IdToken(IdTokenError::Nonce) => "Thông tin đăng nhập nhận được không thuộc về lần đăng nhập này.",
        SocialError::IdToken(_) => "Không xác minh được thông tin đăng nhập nhận được từ nhà cung cấp.",
        SocialError::Profile => "Không đọc được hồ sơ từ nhà cung cấp. Hãy thử lại.",
        SocialError::NoEmail => "Nhà cung cấp không chia sẻ email của bạn; cần có email để tạo tài khoản.",
        SocialError::LinkedElsewhere => "Tài khoản này đã được liên kết với một tài khoản Vestify khác.",
    }
}

fn reason_en(e: &SocialError) -> &'static str {
    match e {
        SocialError::State => "This sign-in is not valid or has expired (10 minutes). Please start again from the sign-in page.",
        SocialError::Denied(_) => "You did not allow sharing your details, so you are not signed in.",
        SocialError::Token(_) => "The provider refused the sign-in code. Please try again.",
        SocialError::IdToken(IdTokenError::Expired) => "The sign-in details we received have expired. Please try again.",
        SocialError::IdToken(IdTokenError::Nonce) => "The sign-in details we received do not belong to this sign-in.",
        SocialError::IdToken(_) => "The sign-in details from the provider could not be verified.",
        SocialError::Profile => "The provider's profile could not be read. Please try again.",
        SocialError::NoEmail => "The provider did not share your email, which a new account needs.",
        SocialError::LinkedElsewhere => "This sign-in is already linked to another Vestify account.",
    }
}

static VI: Texts = Texts {
    continue_with: |p| format!("Tiếp tục với {p}"),
    or: "hoặc",
    methods: "Cách đăng nhập",
    methods_hint: "Liên kết tài khoản mạng xã hội để đăng nhập nhanh hơn.",
    linked: |p| format!("Đã liên kết {p}"),
    link: |p| format!("Liên kết {p}"),
    unlink: |p| format!("Bỏ liên kết {p}"),
    last_method: "Đây là cách đăng nhập duy nhất của bạn; hãy đặt mật khẩu hoặc liên kết cách khác trước khi bỏ.",
    failed_title: |p| format!("Không đăng nhập được bằng {p}"),
    back_to_sign_in: "Quay lại trang đăng nhập",
    confirm_title: |p| format!("Liên kết {p} với tài khoản của bạn"),
    confirm_text: |p, e| format!("Đã có tài khoản Vestify với email {e}. Để liên kết {p} với tài khoản đó, hãy nhập mật khẩu của tài khoản. Việc liên kết cần chứng minh bạn là chủ tài khoản."),
    confirm_no_password: |p| format!("Tài khoản này chưa có mật khẩu. Hãy đăng nhập bằng cách bạn đã dùng, rồi liên kết {p} trong trang tài khoản; hoặc đặt mật khẩu qua “Quên mật khẩu?”."),
    confirm_button: |p| format!("Đăng nhập và liên kết {p}"),
    password: "Mật khẩu",
    wrong_password: "Mật khẩu không đúng.",
    reason: reason_vi,
};

static EN: Texts = Texts {
    continue_with: |p| format!("Continue with {p}"),
    or: "or",
    methods: "Sign-in methods",
    methods_hint: "Link a social account to sign in faster.",
    linked: |p| format!("{p} linked"),
    link: |p| format!("Link {p}"),
    unlink: |p| format!("Unlink {p}"),
    last_method: "This is your only way to sign in; set a password or link another method before removing it.",
    failed_title: |p| format!("Signing in with {p} did not work"),
    back_to_sign_in: "Back to sign in",
    confirm_title: |p| format!("Link {p} to your account"),
    confirm_text: |p, e| format!("A Vestify account with the email {e} already exists. To link {p} to it, enter that account's password: linking a social identity to an existing account requires proving ownership of that account."),
    confirm_no_password: |p| format!("This account has no password. Sign in the way you usually do, then link {p} from your account page; or set a password with “Forgot your password?”."),
    confirm_button: |p| format!("Sign in and link {p}"),
    password: "Password",
    wrong_password: "That password is not right.",
    reason: reason_en,
};

fn t(locale: Locale) -> &'static Texts {
    match locale {
        Locale::Vi => &VI,
        Locale::En => &EN,
    }
}

fn head(title: &str) -> Head {
    Head { title: title.to_string(), description: title.to_string(), noindex: true, ..Head::default() }
}

/// "Continue with …" for each configured provider: plain links (the start is a GET; `state`, not a
/// form token, ties the answer to this browser).
/// A provider's start link, carrying the page's `?return=` path (after an ended session, the page
/// the visitor was on).
fn start_href(ctx: &PageCtx, p: Provider) -> String {
    match super::account::return_path(ctx) {
        Some(back) => format!("{}?return={}", ctx.href(&paths::start(p)), crate::domain::listing::percent_encode_component(&back)),
        None => ctx.href(&paths::start(p)),
    }
}

pub fn sign_in_buttons(ctx: &PageCtx, providers: &[Provider]) -> Markup {
    let s = t(ctx.locale);
    html! {
        @if !providers.is_empty() {
            div.social-sign-in {
                p.or { (s.or) }
                @for p in providers {
                    p { a.button.secondary.social data-provider=(p.code()) href=(start_href(ctx, *p)) { ((s.continue_with)(p.name())) } }
                }
            }
        }
    }
}

/// A provider as the account page shows it.
pub struct Method {
    pub provider: Provider,
    pub linked: bool,
}

/// The account page's sign-in methods: link (a POST: it starts a flow bound to this account) or
/// unlink, which is offered only while another way to sign in remains.
pub fn account_section(ctx: &PageCtx, methods: &[Method], has_password: bool) -> Markup {
    let s = t(ctx.locale);
    let linked = methods.iter().filter(|m| m.linked).count();
    let can_unlink = has_password || linked > 1;
    html! {
        @if !methods.is_empty() {
            section.account-social aria-labelledby="social-h" {
                h2 #social-h { (s.methods) }
                p.hint { (s.methods_hint) }
                ul.social-methods {
                    @for m in methods {
                        li data-provider=(m.provider.code()) data-linked=(m.linked) {
                            @if m.linked {
                                span { ((s.linked)(m.provider.name())) }
                                @if can_unlink {
                                    form.unlink method="post" action=(ctx.href(&paths::unlink(m.provider))) {
                                        (csrf_field())
                                        button.link type="submit" { ((s.unlink)(m.provider.name())) }
                                    }
                                } @else {
                                    p.hint { (s.last_method) }
                                }
                            } @else {
                                form.link method="post" action=(ctx.href(&paths::link(m.provider))) {
                                    (csrf_field())
                                    button.button.secondary type="submit" { ((s.link)(m.provider.name())) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Why sign-in with a provider failed, and the way back.
pub fn failed_page(ctx: &PageCtx, provider: Provider, error: &SocialError) -> Markup {
    let s = t(ctx.locale);
    let title = (s.failed_title)(provider.name());
    let main = html! {
        section.account-form.social-failed data-error=(error.code()) data-provider=(provider.code()) {
            h1 { (title) }
            p.notice.form-error role="alert" { ((s.reason)(error)) }
            p { a.button href=(ctx.href(super::account::paths::LOGIN)) { (s.back_to_sign_in) } }
        }
    };
    page(ctx, head(&title), main)
}

/// The identity's email belongs to an account: its password first, then the link.
pub fn confirm_link_page(ctx: &PageCtx, provider: Provider, email: &str, has_password: bool, wrong_password: bool) -> Markup {
    let s = t(ctx.locale);
    let title = (s.confirm_title)(provider.name());
    let main = html! {
        section.account-form.social-confirm data-provider=(provider.code()) {
            h1 { (title) }
            @if wrong_password { p.notice.form-error role="alert" { (s.wrong_password) } }
            p { ((s.confirm_text)(provider.name(), email)) }
            @if has_password {
                form.confirm-link method="post" action=(ctx.href(&paths::confirm(provider))) {
                    (csrf_field())
                    div.field {
                        label for="f-password" { (s.password) }
                        input #f-password type="password" name="password" autocomplete="current-password" required;
                    }
                    button.button type="submit" { ((s.confirm_button)(provider.name())) }
                }
            } @else {
                p { ((s.confirm_no_password)(provider.name())) }
            }
            p { a href=(ctx.href(super::account::paths::LOGIN)) { (s.back_to_sign_in) } }
        }
    };
    page(ctx, head(&title), main)
}

/// The account page's notices after a link or unlink (`?notice=social_…`), and the refusal to
/// remove the last way to sign in.
pub fn notice(locale: Locale, code: &str) -> Option<&'static str> {
    let vi = locale == Locale::Vi;
    Some(match code {
        "social_linked" if vi => "Đã liên kết cách đăng nhập mới.",
        "social_linked" => "The sign-in method is linked.",
        "social_unlinked" if vi => "Đã bỏ liên kết cách đăng nhập.",
        "social_unlinked" => "The sign-in method is unlinked.",
        "social_last_method" => t(locale).last_method,
        _ => return None,
    })
}
