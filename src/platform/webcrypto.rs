//! WebCrypto (`crypto.subtle`) from Rust: PBKDF2-HMAC-SHA256 for passwords and RSASSA-PKCS1-v1_5
//! SHA-256 (RS256) signature checks for OpenID Connect ID tokens and signatures for Stream's playback
//! tokens. The runtime does the work in
//! native code; the pure parts (formats, comparisons) live in `domain::password` and
//! `domain::oauth::jwt`.

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::domain::error::AppError;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = importKey, catch)]
    fn import_key(format: &str, key: &JsValue, algorithm: &JsValue, extractable: bool, usages: &Array) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = deriveBits, catch)]
    fn derive_bits(algorithm: &JsValue, key: &JsValue, length: u32) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = sign, catch)]
    fn sign(algorithm: &JsValue, key: &JsValue, data: &Uint8Array) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = verify, catch)]
    fn verify(algorithm: &JsValue, key: &JsValue, signature: &Uint8Array, data: &Uint8Array) -> Result<Promise, JsValue>;
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

fn js_err(context: &str) -> impl Fn(JsValue) -> AppError + '_ {
    move |e| AppError::internal(context, format!("{e:?}"))
}

async fn settle(promise: Result<Promise, JsValue>, context: &str) -> Result<JsValue, AppError> {
    JsFuture::from(promise.map_err(js_err(context))?).await.map_err(js_err(context))
}

/// PBKDF2-HMAC-SHA256, 32 bytes out.
pub async fn pbkdf2(password: &[u8], salt: &[u8], iterations: u32) -> Result<Vec<u8>, AppError> {
    let usages = Array::of1(&JsValue::from_str("deriveBits"));
    let raw: JsValue = Uint8Array::from(password).into();
    let key = settle(import_key("raw", &raw, &JsValue::from_str("PBKDF2"), false, &usages), "pbkdf2 import").await?;
    let algorithm = object(&[
        ("name", JsValue::from_str("PBKDF2")),
        ("hash", JsValue::from_str("SHA-256")),
        ("salt", Uint8Array::from(salt).into()),
        ("iterations", JsValue::from_f64(f64::from(iterations))),
    ]);
    let bits = settle(derive_bits(&algorithm, &key, 256), "pbkdf2 derive").await?;
    Ok(Uint8Array::new(&bits).to_vec())
}

/// Verifies an RS256 signature with an RSA public key given as a JWK's `n` and `e` (base64url).
/// A key the runtime cannot import is an error; a signature that does not match is `Ok(false)`.
pub async fn verify_rs256(n: &str, e: &str, signature: &[u8], data: &[u8]) -> Result<bool, AppError> {
    let jwk = object(&[
        ("kty", JsValue::from_str("RSA")),
        ("n", JsValue::from_str(n)),
        ("e", JsValue::from_str(e)),
        ("alg", JsValue::from_str("RS256")),
        ("ext", JsValue::TRUE),
    ]);
    let algorithm = object(&[("name", JsValue::from_str("RSASSA-PKCS1-v1_5")), ("hash", JsValue::from_str("SHA-256"))]);
    let usages = Array::of1(&JsValue::from_str("verify"));
    let key = settle(import_key("jwk", &jwk, &algorithm, false, &usages), "rsa import").await?;
    let ok = settle(verify(&algorithm, &key, &Uint8Array::from(signature), &Uint8Array::from(data)), "rsa verify").await?;
    Ok(ok.as_bool().unwrap_or(false))
}

/// Signs `data` with RS256 (RSASSA-PKCS1-v1_5, SHA-256) under an RSA private key given as a JWK
/// (JSON text): Stream's self-signed playback tokens. The runtime's native RSA does it, in constant
/// time, with no RSA code in the Worker.
pub async fn sign_rs256(jwk_json: &str, data: &[u8]) -> Result<Vec<u8>, AppError> {
    let jwk = js_sys::JSON::parse(jwk_json).map_err(js_err("jwk parse"))?;
    // WebCrypto refuses a JWK whose `alg`/`key_ops` disagree with the use; keep only the key.
    for name in ["alg", "key_ops", "use"] {
        let _ = Reflect::delete_property(&Object::from(jwk.clone()), &JsValue::from_str(name));
    }
    let algorithm = object(&[("name", JsValue::from_str("RSASSA-PKCS1-v1_5")), ("hash", JsValue::from_str("SHA-256"))]);
    let usages = Array::of1(&JsValue::from_str("sign"));
    let key = settle(import_key("jwk", &jwk, &algorithm, false, &usages), "rsa private import").await?;
    let signature = settle(sign(&algorithm, &key, &Uint8Array::from(data)), "rsa sign").await?;
    Ok(Uint8Array::new(&signature).to_vec())
}
