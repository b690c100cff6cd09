//! Social sign-in over HTTP: exchanges the code (with the PKCE verifier) at the provider's token
//! endpoint, then learns who signed in — from the ID token (Google, Apple: RS256 signature checked
//! by WebCrypto with the JWKS key its `kid` names, then the claims) or from Facebook's Graph `/me`.
//! The JWKS is kept in isolate memory for a few minutes and fetched again at once for a `kid` it
//! does not hold (keys rotate). Everything it sends and reads is built and tested in
//! `domain::oauth`.

use std::cell::RefCell;
use std::collections::HashMap;

use super::http::send;
use super::webcrypto::verify_rs256;
use crate::domain::error::AppError;
use crate::domain::oauth::jwt::{check_claims, key_for, parse_jwks, Expected, IdTokenError, Jwk, Jwt};
use crate::domain::oauth::{me_request, parse_me, parse_tokens, token_request, Flow, Profile, ProviderConfig, SocialError};
use crate::domain::payments::Outbound;

/// How long a fetched JWKS is trusted.
const JWKS_TTL_MS: f64 = 300_000.0;

thread_local! {
    // One thread per isolate; requests interleave only at awaits, never inside a borrow.
    static JWKS: RefCell<HashMap<String, (f64, Vec<Jwk>)>> = RefCell::new(HashMap::new());
}

fn now_ms() -> f64 {
    worker::Date::now().as_millis() as f64
}

async fn jwks(url: &str, fresh: bool) -> Result<Vec<Jwk>, AppError> {
    if !fresh {
        let cached = JWKS.with(|m| m.borrow().get(url).filter(|(at, _)| now_ms() - at < JWKS_TTL_MS).map(|(_, keys)| keys.clone()));
        if let Some(keys) = cached {
            return Ok(keys);
        }
    }
    let answer = send(&Outbound::get(url.to_string()).header("accept", "application/json")).await?;
    let keys = match (answer.status, parse_jwks(&answer.body)) {
        (200, Some(keys)) => keys,
        _ => return Err(AppError::Internal(format!("jwks {url}: status {}", answer.status).into())),
    };
    JWKS.with(|m| m.borrow_mut().insert(url.to_string(), (now_ms(), keys.clone())));
    Ok(keys)
}

/// The ID token's signature and claims.
async fn verify_id_token(c: &ProviderConfig, token: &str, nonce: &str, now: i64) -> Result<Result<Profile, SocialError>, AppError> {
    let refuse = |e: IdTokenError| Ok(Err(SocialError::IdToken(e)));
    let Some(jwt) = Jwt::parse(token) else { return refuse(IdTokenError::Malformed) };
    let mut keys = jwks(&c.keys_or_graph_url, false).await?;
    if key_for(&jwt, &keys) == Err(IdTokenError::UnknownKey) {
        keys = jwks(&c.keys_or_graph_url, true).await?;
    }
    let key = match key_for(&jwt, &keys) {
        Ok(key) => key,
        Err(e) => return refuse(e),
    };
    if !verify_rs256(&key.n, &key.e, &jwt.signature, jwt.signing_input.as_bytes()).await? {
        return refuse(IdTokenError::Signature);
    }
    let issuers = c.issuers();
    let claims = match check_claims(&jwt.claims, &Expected { issuers: &issuers, client_id: &c.client_id, nonce, now }) {
        Ok(claims) => claims,
        Err(e) => return refuse(e),
    };
    Ok(Ok(Profile { provider: c.provider, subject: claims.subject, email: claims.email, email_verified: claims.email_verified, name: claims.name }))
}

/// Who signed in, from the callback's `code`. The outer error is ours (network, runtime): a 500; the
/// inner one is the provider's or the token's: the shopper's 400 page.
pub async fn identify(c: &ProviderConfig, code: &str, redirect_uri: &str, flow: &Flow, now: i64) -> Result<Result<Profile, SocialError>, AppError> {
    let answer = send(&token_request(c, code, redirect_uri, &flow.verifier)).await?;
    let tokens = match parse_tokens(c.provider, answer.status, &answer.body) {
        Ok(t) => t,
        Err(e) => {
            worker::console_warn!("{} token endpoint refused the code: {e:?}", c.provider.code());
            return Ok(Err(e));
        }
    };
    if let Some(id_token) = &tokens.id_token {
        return verify_id_token(c, id_token, &flow.nonce, now).await;
    }
    let me = send(&me_request(c, &tokens.access_token)).await?;
    Ok(parse_me(me.status, &me.body))
}
