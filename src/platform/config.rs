//! Configuration from Worker vars and secrets, read once per isolate.

use std::cell::RefCell;
use std::rc::Rc;

use worker::Env;

use crate::domain::checkout::{CodPolicy, COD};
use crate::domain::shipping::ShippingSettings;
use crate::domain::money::Vnd;
use crate::domain::origin::PublicOrigin;
use crate::domain::payments::bank::BankConfig;
use crate::domain::payments::Gateways;
use crate::domain::session::Policy;

pub struct Config {
    pub hold_seconds: i64,
    pub order_ttl_seconds: i64,
    pub shipping: ShippingSettings,
    /// `PUBLIC_ORIGIN`: the shop's origin as shoppers reach it, the only source of absolute URLs
    /// and the hosts the shop answers (`domain::origin`). Unset or malformed, every request is a 500.
    pub public_origin: Option<PublicOrigin>,
    /// Signs cart cookies and tokens. A secret (`wrangler secret put SHOP_SECRET`).
    pub shop_secret: Option<String>,
    /// Signs the local sandbox provider's payment notifications.
    pub sandbox_secret: Option<String>,
    /// Enables `/internal/*` (forcing alarms, running the sweep) for tests and operators.
    pub internal_token: Option<String>,
    /// Signs the API's access tokens (HS256). A secret (`wrangler secret put API_TOKEN_SECRET`), at
    /// least 32 bytes; shorter or missing, the token endpoints answer 500 and no token is accepted.
    pub api_token_secret: Option<String>,
    /// Stripe, PayPal, MoMo, ZaloPay: each present only with all its credentials (`platform::gateways`).
    pub gateways: Gateways,
    /// Bank transfer with VietQR: the receiving account (`VIETQR_BANK_BIN`, `VIETQR_ACCOUNT_NO`,
    /// `VIETQR_ACCOUNT_NAME`, optional `VIETQR_BANK_NAME`) and `BANK_TRANSFER_TTL_SECONDS`; offered
    /// at checkout only when complete and valid.
    pub bank: Option<BankConfig>,
    /// `BANK_WEBHOOK_API_KEY`: the bank feed's key (`Authorization: Apikey …`); without it
    /// `/webhooks/bank` is not served.
    pub bank_webhook_key: Option<String>,
    /// Shopper sessions: `CUSTOMER_SESSION_IDLE_SECONDS`, `CUSTOMER_SESSION_MAX_SECONDS`.
    pub customer_sessions: Policy,
    /// Admin sessions: `ADMIN_SESSION_IDLE_SECONDS` (15 min), `ADMIN_SESSION_MAX_SECONDS` (12 h).
    pub admin_sessions: Policy,
    /// Social sign-in providers with their client id and secret (`GOOGLE_*`, `FACEBOOK_*`, `APPLE_*`).
    pub social: crate::domain::oauth::SocialConfig,
    /// `ANALYTICS_FLUSH_EVENTS`: shop events per D1 batch (tests set 1, so each event is written at once).
    pub analytics_flush_events: Option<usize>,
    /// `EDGE_CACHE = "off"`: catalog pages are rendered for every request, never looked up or stored
    /// (template work under `wrangler dev`; the benchmark's uncached pages). On by default.
    pub edge_cache: bool,
    /// `READ_REPLICATION = "on"`: catalog pages read through a D1 session that may use a replica,
    /// anchored at the catalog version's bookmark (`domain::replication`); off by default.
    pub read_replication: bool,
    /// Cash on delivery: up to `COD_MAX_VND` (5.000.000 ₫), at most `COD_MAX_OPEN` (3) open COD
    /// orders per phone and per client address.
    pub cod: CodPolicy,
    /// Email delivery from the outbox: `MAIL_TRANSPORT`, `RESEND_API_KEY`, `RESEND_API_BASE`,
    /// `MAIL_FROM`, `MAIL_BINDING` (`domain::notify::MailConfig`).
    pub mail: crate::domain::notify::MailConfig,
    /// Web Push from the outbox: `VAPID_PRIVATE_KEY` (secret), `VAPID_SUBJECT`, `PUSH_TEST_ORIGINS`
    /// (`app::push::PushConfig`); off (no opt-in shown, nothing sent) without a usable key.
    pub push: Option<crate::app::push::PushConfig>,
    /// Zalo ZNS for phone-only buyers: `ZNS_ACCESS_TOKEN` (secret), `ZNS_TEMPLATE_ID`,
    /// `ZNS_API_BASE`, `ZNS_MODE` (`domain::zns::ZnsConfig`); off unless token and template are set.
    pub zns: Option<crate::domain::zns::ZnsConfig>,
    /// Webhooks to apps (`app::webhooks::WebhookConfig`): `SHOP_SECRET` opens the endpoints' sealed
    /// signing secrets; `WEBHOOK_TEST_ORIGINS` (space-separated) the local fakes' origins that the
    /// SSRF guard lets through beside public https.
    pub webhooks: crate::app::webhooks::WebhookConfig,
    /// `API_ALLOWED_ORIGINS`: the web apps' origins allowed to call the API from a browser
    /// (space-separated; none by default), `domain::cors`.
    pub api_allowed_origins: crate::domain::cors::AllowedOrigins,
    /// `API_APP_SCHEMES`: the apps' registered URL schemes an API checkout may return to
    /// (space-separated, none by default).
    pub api_app_schemes: Vec<String>,
    /// Cloudflare Stream for review videos (`domain::stream::StreamConfig`): `STREAM_ACCOUNT_ID`,
    /// `STREAM_API_TOKEN`, `STREAM_CUSTOMER_CODE` (or `STREAM_DELIVERY_BASE`), `STREAM_API_BASE`,
    /// `STREAM_UPLOAD_ORIGIN`, `STREAM_WEBHOOK_SECRET`, `STREAM_SIGNING_KEY_ID`, `STREAM_SIGNING_KEY`.
    /// Unset: reviews take no video.
    pub stream: Option<crate::domain::stream::StreamConfig>,
    /// Google Tag Manager and the Meta Pixel, loaded after consent (`domain::ad_tags::Tags`):
    /// `GTM_ID`, `META_PIXEL_ID`, `GTM_SCRIPT_BASE`, `META_PIXEL_SCRIPT_BASE`. Unset: no banner, no tag.
    pub tags: crate::domain::ad_tags::Tags,
    /// Meta's Conversions API for paid orders with advertising consent: `META_PIXEL_ID`, the secret
    /// `META_CAPI_TOKEN`, `META_CAPI_BASE`, `META_CAPI_VERSION`. Unset: nothing is sent.
    pub meta_capi: Option<crate::domain::ad_tags::CapiConfig>,
    /// `IMAGE_TRANSFORMS`: `cloudflare` lists the widths an uploaded photo has no stored copy of as
    /// Cloudflare image transformations (`/cdn-cgi/image/…`); `off` (the default) lists only the
    /// stored copies (`domain::image_size::sources`, docs/OPERATIONS.md).
    pub image_transforms: crate::domain::image_size::Transforms,
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).or_else(|| env.secret(name).ok().map(|v| v.to_string())).filter(|v| !v.is_empty())
}

fn int(env: &Env, name: &str, default: i64, min: i64, max: i64) -> i64 {
    var(env, name).and_then(|v| v.trim().parse().ok()).filter(|n| (min..=max).contains(n)).unwrap_or(default)
}

/// An amount in đồng, from 0 to `max`.
fn vnd(env: &Env, name: &str, default: Vnd, max: i64) -> Vnd {
    Vnd::new(int(env, name, default.minor(), 0, max))
}

thread_local! {
    static CONFIG: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
}

impl Config {
    /// The configuration, read from the environment on an isolate's first request and then kept:
    /// vars and secrets are fixed for an isolate's life (changing one deploys a new version, which
    /// starts new isolates), and reading them costs about a hundred calls into JavaScript.
    pub fn from_env(env: &Env) -> Rc<Config> {
        if let Some(config) = CONFIG.with(|c| c.borrow().clone()) {
            return config;
        }
        let config = Rc::new(Config::read(env));
        CONFIG.with(|c| *c.borrow_mut() = Some(config.clone()));
        config
    }

    /// The configuration this isolate has read (every request reads it first, in `routes`), for
    /// code that has no `Env` at hand; `None` only before the first request.
    pub fn cached() -> Option<Rc<Config>> {
        CONFIG.with(|c| c.borrow().clone())
    }

    fn read(env: &Env) -> Config {
        let defaults = ShippingSettings::default();
        Config {
            hold_seconds: int(env, "CART_HOLD_SECONDS", 900, 1, 86_400),
            order_ttl_seconds: int(env, "ORDER_TTL_SECONDS", 900, 1, 7 * 86_400),
            shipping: ShippingSettings {
                warehouse_province: var(env, "WAREHOUSE_PROVINCE_CODE")
                    .filter(|c| crate::domain::regions::ProvinceCode::parse(c.trim()).is_some())
                    .map_or(defaults.warehouse_province, |c| c.trim().to_string()),
                free_standard_from: vnd(env, "FREE_SHIPPING_FROM", defaults.free_standard_from, i64::MAX),
            },
            public_origin: var(env, "PUBLIC_ORIGIN").and_then(|o| PublicOrigin::parse(&o)),
            shop_secret: var(env, "SHOP_SECRET"),
            sandbox_secret: var(env, "SANDBOX_WEBHOOK_SECRET"),
            internal_token: var(env, "INTERNAL_TOKEN"),
            api_token_secret: var(env, "API_TOKEN_SECRET").filter(|s| s.len() >= crate::domain::jwt::MIN_SECRET_BYTES),
            gateways: super::gateways::from_env(env),
            bank: BankConfig::from_lookup(|name| var(env, name)),
            bank_webhook_key: var(env, "BANK_WEBHOOK_API_KEY"),
            customer_sessions: Policy {
                idle: int(env, "CUSTOMER_SESSION_IDLE_SECONDS", Policy::CUSTOMER.idle, 1, 365 * 86_400),
                absolute: int(env, "CUSTOMER_SESSION_MAX_SECONDS", Policy::CUSTOMER.absolute, 1, 365 * 86_400),
            },
            admin_sessions: Policy {
                idle: int(env, "ADMIN_SESSION_IDLE_SECONDS", Policy::ADMIN.idle, 1, 86_400),
                absolute: int(env, "ADMIN_SESSION_MAX_SECONDS", Policy::ADMIN.absolute, 1, 7 * 86_400),
            },
            social: crate::domain::oauth::SocialConfig::from_lookup(|name| var(env, name)),
            read_replication: var(env, "READ_REPLICATION").is_some_and(|v| v.trim().eq_ignore_ascii_case("on")),
            edge_cache: var(env, "EDGE_CACHE").is_none_or(|v| !v.trim().eq_ignore_ascii_case("off")),
            cod: CodPolicy {
                max: vnd(env, "COD_MAX_VND", CodPolicy::default().max, 1_000_000_000_000),
                open_limit: int(env, "COD_MAX_OPEN", CodPolicy::default().open_limit, 1, 1000),
            },
            mail: crate::domain::notify::MailConfig::from_lookup(|name| var(env, name)),
            push: crate::app::push::PushConfig::from_lookup(|name| var(env, name)),
            zns: crate::domain::zns::ZnsConfig::from_lookup(|name| var(env, name)),
            webhooks: crate::app::webhooks::WebhookConfig::from_lookup(|name| var(env, name)),
            api_allowed_origins: crate::domain::cors::AllowedOrigins::parse(&var(env, "API_ALLOWED_ORIGINS").unwrap_or_default()),
            api_app_schemes: crate::domain::cors::app_schemes(&var(env, "API_APP_SCHEMES").unwrap_or_default()),
            stream: crate::domain::stream::StreamConfig::from_lookup(|name| var(env, name)),
            tags: crate::domain::ad_tags::Tags::from_lookup(|name| var(env, name)),
            meta_capi: crate::domain::ad_tags::CapiConfig::from_lookup(|name| var(env, name)),
            image_transforms: crate::domain::image_size::Transforms::parse(&var(env, "IMAGE_TRANSFORMS").unwrap_or_default()),
            analytics_flush_events: var(env, "ANALYTICS_FLUSH_EVENTS").and_then(|v| v.trim().parse::<usize>().ok()).filter(|n| *n > 0),
        }
    }

    /// Payment providers offered at checkout: the sandbox while its secret is configured, then every
    /// gateway with its credentials, then cash on delivery (always; whether it may pay a given
    /// order — Vietnam, the limit, open COD orders — is decided at checkout).
    pub fn providers(&self) -> Vec<&'static str> {
        let mut providers = Vec::new();
        if self.sandbox_secret.is_some() {
            providers.push("sandbox");
        }
        providers.extend(self.gateways.offered());
        if self.bank.is_some() {
            providers.push(crate::domain::payments::bank::PROVIDER);
        }
        providers.push(COD);
        providers
    }

    /// The providers that take the money online: what "pay another way" on an unpaid order offers
    /// (a placed order cannot turn into cash on delivery: COD is decided at checkout), and what a
    /// COD refusal names instead.
    pub fn online_providers(&self) -> Vec<&'static str> {
        self.providers().into_iter().filter(|p| *p != COD).collect()
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    (worker::Date::now().as_millis() / 1000) as i64
}
