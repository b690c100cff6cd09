//! Random identifiers and tokens from the runtime's CSPRNG (`crypto.getRandomValues`).

use wasm_bindgen::prelude::wasm_bindgen;

use crate::domain::signature::hex;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(buf: &mut [u8]) -> Result<(), wasm_bindgen::JsValue>;
}

/// `bytes` random bytes as lowercase hex; `None` only if the runtime refused (never in workerd).
pub fn token(bytes: usize) -> Option<String> {
    let mut buf = vec![0u8; bytes];
    get_random_values(&mut buf).ok()?;
    Some(hex(&buf))
}

/// `n` random bytes (salts).
pub fn bytes(n: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; n];
    get_random_values(&mut buf).ok()?;
    Some(buf)
}

/// A 128-bit id (32 hex digits).
pub fn id() -> Option<String> {
    token(16)
}
