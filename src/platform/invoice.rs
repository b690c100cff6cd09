//! What the invoice needs from the Worker: its settings from vars, and the PDF font from the assets
//! binding (kept in the isolate's memory after the first read, so it is not in the wasm binary).
//! Routes are mounted by the admin panel: `views::invoice::invoice_for_order` then `invoice_html` or
//! `views::invoice_pdf::invoice_pdf(&invoice, &invoice_font(env).await?)`.

use std::cell::RefCell;
use std::rc::Rc;

use worker::Env;

use super::ASSETS;
use crate::domain::error::AppError;
use crate::domain::invoice::InvoiceSettings;
use crate::views::invoice_pdf::INVOICE_FONT;

thread_local! {
    // One thread per isolate; the font never changes within a deployment.
    static FONT: RefCell<Option<Rc<Vec<u8>>>> = const { RefCell::new(None) };
}

/// Shop details and VAT rate from the Worker's vars (`SHOP_LEGAL_NAME`, `SHOP_ADDRESS`,
/// `SHOP_TAX_CODE`, `SHOP_EMAIL`, `SHOP_PHONE`, `INVOICE_VAT_RATE`), with demo defaults.
pub fn invoice_settings(env: &Env) -> InvoiceSettings {
    InvoiceSettings::from_vars(|name| env.var(name).ok().map(|v| v.to_string()))
}

/// The invoice font's bytes: read once per isolate from `public/` through the assets binding.
pub async fn invoice_font(env: &Env) -> Result<Rc<Vec<u8>>, AppError> {
    if let Some(font) = FONT.with(|f| f.borrow().clone()) {
        return Ok(font);
    }
    let fetcher = env.assets(ASSETS).map_err(|e| AppError::internal("invoice font: assets binding", e))?;
    let mut response = fetcher.fetch(format!("https://assets.local/{INVOICE_FONT}"), None).await.map_err(|e| AppError::internal("invoice font: fetch", e))?;
    if response.status_code() != 200 {
        return Err(AppError::internal("invoice font: fetch", format!("status {}", response.status_code())));
    }
    let font = Rc::new(response.bytes().await.map_err(|e| AppError::internal("invoice font: body", e))?);
    FONT.with(|f| *f.borrow_mut() = Some(Rc::clone(&font)));
    Ok(font)
}
