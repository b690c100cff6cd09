//! Social sign-in (Google, Facebook, Apple) as data: each provider's endpoints and credentials from
//! Worker vars, the OAuth 2.0 authorization-code flow with PKCE (RFC 7636, S256) and `state`, the
//! OpenID Connect nonce, the sealed flow cookie that binds all three to the browser that started the
//! flow, the token request and its answer, Facebook's Graph `/me` with `appsecret_proof`, and the
//! errors a shopper can be shown. ID-token checks live in [`jwt`]. No I/O: `platform::social` sends
//! what this builds. See docs/SECURITY.md ("Social sign-in").

pub mod jwt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::encoding::{base64url, base64url_decode_lenient};
use super::listing::percent_encode;
use super::payments::Outbound;
use super::signature::{hmac_hex, sha256_hex, verify_hex};
use jwt::IdTokenError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Google,
    Facebook,
    Apple,
}

impl Provider {
    pub const ALL: [Provider; 3] = [Provider::Google, Provider::Facebook, Provider::Apple];

    pub fn code(self) -> &'static str {
        match self {
            Provider::Google => "google",
            Provider::Facebook => "facebook",
            Provider::Apple => "apple",
        }
    }

    pub fn parse(code: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.code() == code)
    }

    pub fn name(self) -> &'static str {
        match self {
            Provider::Google => "Google",
            Provider::Facebook => "Facebook",
            Provider::Apple => "Apple",
        }
    }

    /// OpenID Connect providers send an ID token; Facebook's Login is OAuth only (Graph `/me`).
    pub fn issues_id_token(self) -> bool {
        !matches!(self, Provider::Facebook)
    }

    /// Apple posts the answer back (`response_mode=form_post`) when scopes are asked for.
    pub fn posts_back(self) -> bool {
        matches!(self, Provider::Apple)
    }

    fn scope(self) -> &'static str {
        match self {
            Provider::Google => "openid email profile",
            Provider::Facebook => "email public_profile",
            Provider::Apple => "name email",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Provider::Google => "GOOGLE",
            Provider::Facebook => "FACEBOOK",
            Provider::Apple => "APPLE",
        }
    }

    /// The live endpoints: authorize, token, JWKS (Graph base for Facebook), issuer.
    fn defaults(self) -> [&'static str; 4] {
        match self {
            // https://accounts.google.com/.well-known/openid-configuration
            Provider::Google => [
                "https://accounts.google.com/o/oauth2/v2/auth",
                "https://oauth2.googleapis.com/token",
                "https://www.googleapis.com/oauth2/v3/certs",
                "https://accounts.google.com",
            ],
            // https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow
            Provider::Facebook => [
                "https://www.facebook.com/v19.0/dialog/oauth",
                "https://graph.facebook.com/v19.0/oauth/access_token",
                "https://graph.facebook.com/v19.0",
                "",
            ],
            // https://developer.apple.com/documentation/sign_in_with_apple/sign_in_with_apple_rest_api
            Provider::Apple => [
                "https://appleid.apple.com/auth/authorize",
                "https://appleid.apple.com/auth/token",
                "https://appleid.apple.com/auth/keys",
                "https://appleid.apple.com",
            ],
        }
    }
}

/// One provider's configuration. Offered only with both its client id and secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderConfig {
    pub provider: Provider,
    pub client_id: String,
    /// Google/Facebook: the client (app) secret. Apple: the client secret JWT (ES256, signed with the
    /// team's key; at most 6 months valid), made outside the Worker and set as a secret.
    pub client_secret: String,
    pub authorize_url: String,
    pub token_url: String,
    /// The JWKS (Google, Apple) or the Graph API base (Facebook).
    pub keys_or_graph_url: String,
    pub issuer: String,
}

impl ProviderConfig {
    /// Issuers accepted in an ID token: the configured one, and for Google also the spelling
    /// without scheme that Google documents.
    pub fn issuers(&self) -> Vec<&str> {
        let mut list = vec![self.issuer.as_str()];
        if self.provider == Provider::Google {
            if let Some(bare) = self.issuer.strip_prefix("https://") {
                list.push(bare);
            }
        }
        list
    }
}

/// Every configured provider.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SocialConfig {
    pub providers: Vec<ProviderConfig>,
}

impl SocialConfig {
    /// Reads `{GOOGLE,FACEBOOK,APPLE}_{CLIENT_ID,CLIENT_SECRET,AUTHORIZE_URL,TOKEN_URL,JWKS_URL,ISSUER}`
    /// (`FACEBOOK_GRAPH_URL` instead of a JWKS and issuer) through `get`; empty counts as missing.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> SocialConfig {
        let providers = Provider::ALL
            .into_iter()
            .filter_map(|p| {
                let var = |suffix: &str, default: &str| get(&format!("{}_{suffix}", p.prefix())).unwrap_or_else(|| default.to_string());
                let [authorize, token, keys, issuer] = p.defaults();
                let keys_var = if p == Provider::Facebook { "GRAPH_URL" } else { "JWKS_URL" };
                Some(ProviderConfig {
                    provider: p,
                    client_id: get(&format!("{}_CLIENT_ID", p.prefix()))?,
                    client_secret: get(&format!("{}_CLIENT_SECRET", p.prefix()))?,
                    authorize_url: var("AUTHORIZE_URL", authorize),
                    token_url: var("TOKEN_URL", token),
                    keys_or_graph_url: var(keys_var, keys).trim_end_matches('/').to_string(),
                    issuer: var("ISSUER", issuer),
                })
            })
            .collect();
        SocialConfig { providers }
    }

    pub fn get(&self, provider: Provider) -> Option<&ProviderConfig> {
        self.providers.iter().find(|c| c.provider == provider)
    }

    pub fn offered(&self) -> Vec<Provider> {
        self.providers.iter().map(|c| c.provider).collect()
    }
}

// --- PKCE, state, nonce ------------------------------------------------------------------------

/// A code verifier from 32 random bytes: 43 characters of base64url (RFC 7636 §4.1).
pub fn code_verifier(random: &[u8]) -> String {
    base64url(random)
}

/// `S256`: base64url(SHA-256(verifier)) (RFC 7636 §4.2).
pub fn code_challenge(verifier: &str) -> String {
    use sha2::{Digest, Sha256};
    base64url(&Sha256::digest(verifier.as_bytes()))
}

/// How long a started sign-in may take before its flow cookie is refused.
pub const FLOW_SECONDS: i64 = 600;

/// What the browser that started a flow carries back (in a sealed, HttpOnly cookie): the `state`
/// and `nonce` sent to the provider, the PKCE verifier, where to go afterwards, and — for a link
/// started from the account page — the account it is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub provider: Provider,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    pub return_to: String,
    pub link_to: Option<String>,
    pub expires: i64,
}

impl Flow {
    /// The callback's `state` must be this flow's (constant time), for the same provider, in time.
    pub fn check(&self, provider: Provider, state: &str, now: i64) -> Result<(), SocialError> {
        let same = super::signature::constant_time_eq(self.state.as_bytes(), state.as_bytes());
        if self.provider != provider || !same || state.is_empty() || now > self.expires {
            return Err(SocialError::State);
        }
        Ok(())
    }
}

/// A verified identity waiting for the shopper to prove they own the account with its email.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLink {
    pub provider: Provider,
    pub subject: String,
    pub email: String,
    pub email_verified: bool,
    pub expires: i64,
}

/// `base64url(json).hmac` — readable by the browser, unforgeable without `SHOP_SECRET`. `purpose`
/// keeps one kind of sealed value from being replayed as another.
pub fn seal<T: Serialize>(secret: &[u8], purpose: &str, value: &T) -> String {
    let payload = base64url(serde_json::to_string(value).unwrap_or_default().as_bytes());
    let mac = hmac_hex(secret, format!("{purpose}:{payload}").as_bytes());
    format!("{payload}.{mac}")
}

pub fn open<T: DeserializeOwned>(secret: &[u8], purpose: &str, sealed: &str) -> Option<T> {
    let (payload, mac) = sealed.split_once('.')?;
    if !verify_hex(secret, format!("{purpose}:{payload}").as_bytes(), mac) {
        return None;
    }
    serde_json::from_slice(&base64url_decode_lenient(payload)?).ok()
}

/// A return path after sign-in, honoured only if it is a path on this shop: one leading `/` (not
/// `//` or `/\`, which browsers read as another host), at most 512 bytes, and only the characters of
/// a URL's path and query (RFC 3986's unreserved and sub-delims, `:@/?%`; no space, tab or other
/// control, no backslash, nothing outside ASCII). Decoded once more, it must still start with one
/// `/` and hold no control or backslash, so that no later decoding (`/%2F…`, `/%5C…`, `/%09…`)
/// turns it into another origin.
pub fn safe_return(path: &str) -> Option<String> {
    fn one_leading_slash(p: &str) -> bool {
        p.starts_with('/') && !p[1..].starts_with(['/', '\\'])
    }
    let plain = path.len() <= 512 && one_leading_slash(path) && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b));
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8().ok()?;
    let still_local = one_leading_slash(&decoded) && !decoded.chars().any(|c| c.is_control() || c == '\\');
    (plain && still_local).then(|| path.to_string())
}

// --- the provider's endpoints ------------------------------------------------------------------

/// The authorization request (RFC 6749 §4.1.1 + RFC 7636 §4.3 + OIDC `nonce`).
pub fn authorize_url(c: &ProviderConfig, redirect_uri: &str, flow: &Flow) -> String {
    let mut pairs = vec![
        ("response_type", "code".to_string()),
        ("client_id", c.client_id.clone()),
        ("redirect_uri", redirect_uri.to_string()),
        ("scope", c.provider.scope().to_string()),
        ("state", flow.state.clone()),
        ("code_challenge", code_challenge(&flow.verifier)),
        ("code_challenge_method", "S256".to_string()),
    ];
    if c.provider.issues_id_token() {
        pairs.push(("nonce", flow.nonce.clone()));
    }
    if c.provider.posts_back() {
        pairs.push(("response_mode", "form_post".to_string()));
    }
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", percent_encode(v))).collect();
    let sep = if c.authorize_url.contains('?') { '&' } else { '?' };
    format!("{}{sep}{}", c.authorize_url, query.join("&"))
}

/// The code for tokens. Google and Apple: a form POST with the client credentials in the body
/// (`client_secret_post`). Facebook: a GET with the same parameters, as its manual flow documents.
pub fn token_request(c: &ProviderConfig, code: &str, redirect_uri: &str, verifier: &str) -> Outbound {
    let pairs = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("client_id", c.client_id.as_str()),
        ("client_secret", c.client_secret.as_str()),
        ("code_verifier", verifier),
    ];
    let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", percent_encode(v))).collect();
    let body = body.join("&");
    let out = match c.provider {
        Provider::Facebook => Outbound::get(format!("{}?{body}", c.token_url)),
        _ => Outbound::post(c.token_url.clone(), "application/x-www-form-urlencoded", body),
    };
    out.header("accept", "application/json")
}

/// What the token endpoint gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tokens {
    pub access_token: String,
    pub id_token: Option<String>,
}

pub fn parse_tokens(provider: Provider, status: u16, body: &str) -> Result<Tokens, SocialError> {
    let v: Value = serde_json::from_str(body).map_err(|_| SocialError::Token(format!("unreadable answer ({status})")))?;
    if !(200..300).contains(&status) || v.get("error").is_some() {
        let code = v.get("error").map(|e| e.get("message").and_then(Value::as_str).or(e.as_str()).unwrap_or("error").to_string());
        return Err(SocialError::Token(code.unwrap_or_else(|| format!("status {status}"))));
    }
    let access_token = v.get("access_token").and_then(Value::as_str).unwrap_or_default().to_string();
    let id_token = v.get("id_token").and_then(Value::as_str).map(str::to_string);
    if provider.issues_id_token() && id_token.is_none() {
        return Err(SocialError::Token("no id_token".into()));
    }
    if !provider.issues_id_token() && access_token.is_empty() {
        return Err(SocialError::Token("no access_token".into()));
    }
    Ok(Tokens { access_token, id_token })
}

/// Facebook's `appsecret_proof`: HMAC-SHA256 of the access token keyed by the app secret, hex
/// (<https://developers.facebook.com/docs/graph-api/securing-requests#appsecret_proof>).
pub fn appsecret_proof(app_secret: &str, access_token: &str) -> String {
    hmac_hex(app_secret.as_bytes(), access_token.as_bytes())
}

/// Graph `/me?fields=id,name,email` with the access token and its proof.
pub fn me_request(c: &ProviderConfig, access_token: &str) -> Outbound {
    Outbound::get(format!(
        "{}/me?fields=id,name,email&access_token={}&appsecret_proof={}",
        c.keys_or_graph_url,
        percent_encode(access_token),
        appsecret_proof(&c.client_secret, access_token)
    ))
    .header("accept", "application/json")
}

/// Who signed in, as the provider told us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub provider: Provider,
    pub subject: String,
    pub email: Option<String>,
    /// Only a provider's explicit claim counts: Google's and Apple's `email_verified`. Facebook does
    /// not say, so its email is taken as unverified.
    pub email_verified: bool,
    pub name: Option<String>,
}

pub fn parse_me(status: u16, body: &str) -> Result<Profile, SocialError> {
    let v: Value = serde_json::from_str(body).map_err(|_| SocialError::Profile)?;
    let id = v.get("id").and_then(Value::as_str).filter(|s| !s.is_empty() && s.len() <= 255);
    match (status, id) {
        (200..=299, Some(id)) => Ok(Profile {
            provider: Provider::Facebook,
            subject: id.to_string(),
            email: v.get("email").and_then(Value::as_str).map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()),
            email_verified: false,
            name: v.get("name").and_then(Value::as_str).map(str::to_string),
        }),
        _ => Err(SocialError::Profile),
    }
}

/// The name Apple sends once, on the first authorization, in the form post's `user` field.
pub fn apple_user_name(user: &str) -> Option<String> {
    let v: Value = serde_json::from_str(user).ok()?;
    let part = |k: &str| v.get("name").and_then(|n| n.get(k)).and_then(Value::as_str).map(str::trim).unwrap_or_default().to_string();
    let name = format!("{} {}", part("firstName"), part("lastName")).trim().to_string();
    (!name.is_empty()).then_some(name)
}

/// A display name for an account made by social sign-in, at most 100 characters.
pub fn display_name(profile: &Profile) -> String {
    profile.name.as_deref().unwrap_or_default().trim().chars().take(100).collect()
}

/// Why social sign-in did not complete. Each is a 400 page with a way back to sign-in; nothing is
/// created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SocialError {
    /// No flow cookie, a forged or expired one, or a `state` that is not this browser's.
    State,
    /// The provider answered with `error=…` (e.g. `access_denied`).
    Denied(String),
    /// The token endpoint refused the code (wrong code, redirect URI or PKCE verifier).
    Token(String),
    IdToken(IdTokenError),
    /// Facebook's `/me` did not answer with an id.
    Profile,
    /// The provider did not share an email, which a new account needs.
    NoEmail,
    /// This social identity belongs to another account.
    LinkedElsewhere,
}

impl SocialError {
    /// A short code for logs and the page's `data-error`.
    pub fn code(&self) -> String {
        match self {
            SocialError::State => "state".into(),
            SocialError::Denied(_) => "denied".into(),
            SocialError::Token(_) => "token".into(),
            SocialError::IdToken(e) => format!("id_token:{}", e.code()),
            SocialError::Profile => "profile".into(),
            SocialError::NoEmail => "no_email".into(),
            SocialError::LinkedElsewhere => "linked_elsewhere".into(),
        }
    }
}

/// A hash of a session id, so a link flow can name the session that started it without carrying it.
pub fn session_tag(session_id: &str) -> String {
    sha256_hex(format!("oauth-link:{session_id}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_rfc_7636_appendix_b() {
        let random = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88,
            83, 132, 141, 121,
        ];
        let verifier = code_verifier(&random);
        assert_eq!(verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(code_challenge(&verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()).filter(|v| !v.is_empty())
    }

    #[test]
    fn a_provider_is_offered_only_with_its_client_id_and_secret_and_endpoints_are_configurable() {
        let c = SocialConfig::from_lookup(lookup(&[
            ("GOOGLE_CLIENT_ID", "g-id"),
            ("GOOGLE_CLIENT_SECRET", "g-secret"),
            ("GOOGLE_TOKEN_URL", "http://127.0.0.1:9/google/token"),
            ("FACEBOOK_CLIENT_ID", "fb-id"),
            ("APPLE_CLIENT_SECRET", "jwt"),
        ]));
        assert_eq!(c.offered(), vec![Provider::Google]);
        let g = c.get(Provider::Google).expect("google");
        assert_eq!(g.token_url, "http://127.0.0.1:9/google/token");
        assert_eq!(g.authorize_url, "https://accounts.google.com/o/oauth2/v2/auth");
        assert_eq!(g.issuers(), vec!["https://accounts.google.com", "accounts.google.com"]);
        assert!(SocialConfig::from_lookup(lookup(&[])).offered().is_empty());
    }

    fn config(provider: Provider) -> ProviderConfig {
        ProviderConfig {
            provider,
            client_id: "client id".into(),
            client_secret: "s3cret".into(),
            authorize_url: "https://idp.example/authorize".into(),
            token_url: "https://idp.example/token".into(),
            keys_or_graph_url: "https://graph.example/v19.0".into(),
            issuer: "https://idp.example".into(),
        }
    }

    fn flow(provider: Provider) -> Flow {
        Flow {
            provider,
            state: "st".into(),
            nonce: "no".into(),
            verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
            return_to: "/account".into(),
            link_to: None,
            expires: 100,
        }
    }

    #[test]
    fn the_authorize_url_carries_state_nonce_and_the_s256_challenge() {
        let url = authorize_url(&config(Provider::Google), "https://shop.vn/auth/google/callback", &flow(Provider::Google));
        assert_eq!(
            url,
            "https://idp.example/authorize?response_type=code&client_id=client+id&redirect_uri=https%3A%2F%2Fshop.vn%2Fauth%2Fgoogle%2Fcallback\
             &scope=openid+email+profile&state=st&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&nonce=no"
        );
        let apple = authorize_url(&config(Provider::Apple), "https://shop.vn/cb", &flow(Provider::Apple));
        assert!(apple.ends_with("&nonce=no&response_mode=form_post"), "{apple}");
        let fb = authorize_url(&config(Provider::Facebook), "https://shop.vn/cb", &flow(Provider::Facebook));
        assert!(!fb.contains("nonce=") && fb.contains("scope=email+public_profile"), "{fb}");
    }

    #[test]
    fn the_token_request_sends_the_code_verifier_and_client_credentials() {
        let post = token_request(&config(Provider::Google), "c&1", "https://shop.vn/cb", "ver");
        assert_eq!((post.method, post.url.as_str()), ("POST", "https://idp.example/token"));
        assert_eq!(
            post.body.as_deref(),
            Some("grant_type=authorization_code&code=c%261&redirect_uri=https%3A%2F%2Fshop.vn%2Fcb&client_id=client+id&client_secret=s3cret&code_verifier=ver")
        );
        let get = token_request(&config(Provider::Facebook), "c", "https://shop.vn/cb", "ver");
        assert_eq!(get.method, "GET");
        assert!(get.url.starts_with("https://idp.example/token?grant_type=authorization_code&code=c&") && get.body.is_none());
    }

    #[test]
    fn token_answers_and_refusals_are_read() {
        let ok = parse_tokens(Provider::Google, 200, r#"{"access_token":"at","id_token":"a.b.c","token_type":"Bearer"}"#);
        assert_eq!(ok, Ok(Tokens { access_token: "at".into(), id_token: Some("a.b.c".into()) }));
        assert_eq!(parse_tokens(Provider::Google, 200, r#"{"access_token":"at"}"#), Err(SocialError::Token("no id_token".into())));
        assert_eq!(parse_tokens(Provider::Apple, 400, r#"{"error":"invalid_grant"}"#), Err(SocialError::Token("invalid_grant".into())));
        let fb = parse_tokens(Provider::Facebook, 400, r#"{"error":{"message":"Invalid code verifier","type":"OAuthException","code":100}}"#);
        assert_eq!(fb, Err(SocialError::Token("Invalid code verifier".into())));
        assert!(parse_tokens(Provider::Facebook, 200, r#"{"access_token":"EAAB","token_type":"bearer"}"#).is_ok());
        assert!(parse_tokens(Provider::Facebook, 502, "<html>").is_err());
    }

    #[test]
    fn facebook_me_carries_the_appsecret_proof() {
        // HMAC-SHA256("s3cret", "EAAB") computed independently (openssl dgst -sha256 -hmac s3cret).
        let proof = appsecret_proof("s3cret", "EAAB");
        assert_eq!(proof, "e64df38a6d32771377cd96e709efa796268583b5e5f3d9eb15608937bf898bc2");
        let me = me_request(&config(Provider::Facebook), "EAAB");
        assert_eq!(me.url, format!("https://graph.example/v19.0/me?fields=id,name,email&access_token=EAAB&appsecret_proof={proof}"));
        let p = parse_me(200, r#"{"id":"1234","name":"Lan","email":"Lan@Example.vn"}"#).expect("profile");
        assert_eq!((p.subject.as_str(), p.email.as_deref(), p.email_verified), ("1234", Some("lan@example.vn"), false));
        assert_eq!(parse_me(200, r#"{"id":"1234"}"#).map(|p| p.email), Ok(None));
        assert_eq!(parse_me(400, r#"{"error":{"message":"bad proof"}}"#), Err(SocialError::Profile));
    }

    #[test]
    fn a_sealed_flow_opens_only_with_the_secret_and_its_purpose() {
        let sealed = seal(b"k", "oauth-flow", &flow(Provider::Google));
        assert_eq!(open::<Flow>(b"k", "oauth-flow", &sealed), Some(flow(Provider::Google)));
        assert_eq!(open::<Flow>(b"other", "oauth-flow", &sealed), None);
        assert_eq!(open::<Flow>(b"k", "oauth-link", &sealed), None);
        let (payload, mac) = sealed.split_once('.').expect("two parts");
        let mut forged = flow(Provider::Google);
        forged.link_to = Some("victim".into());
        let forged_payload = seal(b"k", "oauth-flow", &forged).split_once('.').map(|(p, _)| p.to_string()).expect("payload");
        assert_ne!(forged_payload, payload);
        assert_eq!(open::<Flow>(b"k", "oauth-flow", &format!("{forged_payload}.{mac}")), None);
    }

    #[test]
    fn the_callback_state_must_be_the_flows_in_time() {
        let f = flow(Provider::Google);
        assert_eq!(f.check(Provider::Google, "st", 100), Ok(()));
        assert_eq!(f.check(Provider::Google, "st", 101), Err(SocialError::State));
        assert_eq!(f.check(Provider::Google, "sT", 1), Err(SocialError::State));
        assert_eq!(f.check(Provider::Apple, "st", 1), Err(SocialError::State));
        let mut empty = f.clone();
        empty.state = String::new();
        assert_eq!(empty.check(Provider::Google, "", 1), Err(SocialError::State));
    }

    #[test]
    fn only_local_paths_are_returned_to() {
        for good in ["/en/cart", "/", "/account?tab=orders", "/search?q=%C3%A1o%20gile&page=2", "/p/gile-phao-nam"] {
            assert_eq!(safe_return(good).as_deref(), Some(good), "{good}");
        }
        for bad in ["https://evil.example/", "//evil.example", "/\\evil", "evil", "", "/\t/localhost:8792/pwned", "/\t//evil.example"] {
            assert_eq!(safe_return(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_probes_return_path_is_refused_however_it_is_written() {
        // `GET /auth/google/start?return=/%09/localhost:8792/pwned`: the parameter arrives decoded.
        let decoded = crate::domain::http::query_param("?return=/%09/localhost:8792/pwned", "return").unwrap();
        assert_eq!(decoded, "/\t/localhost:8792/pwned");
        assert_eq!(safe_return(&decoded), None);
        // Every control character, and the encoded forms a later decoding would turn into `//`,
        // `/\`, or a control.
        for c in (0u8..0x20).chain([0x7f]) {
            let raw = format!("/{}/evil.example", c as char);
            assert_eq!(safe_return(&raw), None, "{raw:?}");
            let encoded = format!("/%{c:02X}/evil.example");
            assert_eq!(safe_return(&encoded), None, "{encoded}");
        }
        for bad in ["/%2F/evil.example", "/%2f%2fevil.example", "/%5Cevil.example", "/%5c/evil.example", "/%C2%85/x", "/\u{a0}/x", "/ /evil", "/é", "/x\"<script>"] {
            assert_eq!(safe_return(bad), None, "{bad:?}");
        }
        assert_eq!(safe_return(&format!("/{}", "a".repeat(512))), None, "too long");
    }

    #[test]
    fn apple_sends_the_name_once_as_json() {
        assert_eq!(apple_user_name(r#"{"name":{"firstName":"Minh","lastName":"Trần"},"email":"x@privaterelay.appleid.com"}"#), Some("Minh Trần".into()));
        assert_eq!(apple_user_name(r#"{"email":"x@y"}"#), None);
        assert_eq!(apple_user_name("not json"), None);
    }
}
