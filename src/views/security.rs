//! The two markup pieces of the security baseline: the hidden CSRF field every state-changing form
//! carries, and the CSP nonce of script tags. Both render *slots* that the response layer fills per
//! response (`domain::security`), so a page stays shareable between visitors.

use maud::{html, Markup, PreEscaped};

use crate::domain::security::{CSRF_FIELD, CSRF_SLOT, NONCE_SLOT};

/// `<input type="hidden" name="csrf" value="…">`: put it inside every `method="post"` form.
pub fn csrf_field() -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(PreEscaped(CSRF_SLOT)); }
}

/// The value of a `nonce` attribute on a `<script>` element.
pub fn nonce() -> PreEscaped<&'static str> {
    PreEscaped(NONCE_SLOT)
}
