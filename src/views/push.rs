//! The Web Push opt-in: a hidden form that `public/js/push-optin.js` shows where the browser can
//! receive push, and submits (after the shopper's click and the browser's permission prompt) with
//! the subscription. Never a prompt on page load.

use maud::{html, Markup};

use super::PageCtx;

/// What the opt-in follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptIn {
    /// One order (its page).
    Order,
    /// Every order of the signed-in customer (the account page).
    Account,
}

/// The opt-in form posting to `action`, with the shop's VAPID public key and hidden `fields`
/// (the order's token on an order page).
pub fn push_optin(ctx: &PageCtx, what: OptIn, action: &str, public_key: &str, fields: &[(&str, &str)]) -> Markup {
    let label = match what {
        OptIn::Order => ctx.locale.pick("Nhận thông báo về đơn hàng này", "Get notifications about this order"),
        OptIn::Account => ctx.locale.pick("Nhận thông báo về các đơn hàng của tôi", "Get notifications about my orders"),
    };
    html! {
        form.push-optin method="post" action=(action) data-push-key=(public_key) hidden {
            (crate::views::security::csrf_field())
            @for (name, value) in fields { input type="hidden" name=(name) value=(value); }
            button.button.secondary type="submit" { (label) }
            " " span data-push-status role="status" {}
        }
        script src=(crate::assets::url("js/push-optin.js")) nonce=(super::security::nonce()) defer {}
    }
}
