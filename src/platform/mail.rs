//! The outbox's delivery in the Worker: the email transports (Resend's HTTP API, Cloudflare's
//! `send_email` binding, the development sink) behind `app::outbox::Mailer`, and the pass that the
//! cron and `waitUntil` after a change run over every configured channel (`app::outbox::run_pass`,
//! `app::push::run_push_pass`, `app::zns::run_zns_pass`, `app::webhooks::run_webhook_pass`; their
//! transports in `platform::push`). I/O only.

use worker::{Context, Env};

use super::config::{now, Config};
use super::d1::D1;
use crate::app::db::Db;
use crate::app::outbox::{run_pass, Mailer, PassReport, Settings, PASS_BATCH};
use crate::app::push::run_push_pass;
use crate::app::webhooks::run_webhook_pass;
use crate::app::zns::run_zns_pass;
use crate::domain::error::AppError;
use crate::domain::invoice::ShopDetails;
use crate::domain::notify::{resend_answer, resend_request, Email, MailTransport, SendError, TransportError};
use crate::views::email::Sender;

struct WorkerMailer<'a> {
    env: &'a Env,
    config: &'a Config,
}

impl Mailer for WorkerMailer<'_> {
    async fn send(&self, email: &Email) -> Result<String, SendError> {
        let from = self.config.mail.from.as_str();
        match &self.config.mail.transport {
            MailTransport::Off => Err(SendError::Retry("no mail transport configured".into())),
            MailTransport::Sink => {
                worker::console_log!("mail sink: to {} — {}", email.to, email.subject);
                Ok(format!("sink:{}", email.idempotency_key))
            }
            MailTransport::Resend { base, api_key } => match super::http::exchange(&resend_request(base, api_key, from, email)).await {
                Ok(answer) => resend_answer(answer.status, &answer.body),
                Err(e) => Err(e.into_send_error("Resend")),
            },
            MailTransport::Cloudflare { binding } => {
                let sender = self.env.send_email(binding).map_err(|e| SendError::Retry(format!("send_email binding {binding}: {e}")))?;
                let message = worker::SendEmailBuilder::builder(from, &email.to, &email.subject).text(&email.text).html(&email.html).build();
                match sender.send_with_builder(&message).await {
                    Ok(result) => Ok(result.message_id()),
                    // The binding throws for refused recipients and for quota or outages alike: retried.
                    Err(e) => Err(SendError::Retry(format!("send_email: {e:?}"))),
                }
            }
        }
    }
}

/// Meta's Graph API over `fetch` (`platform::http`).
struct WorkerCapi;

impl crate::app::capi::CapiSender for WorkerCapi {
    async fn post(&self, url: &str, body: &str) -> Result<(u16, String), TransportError> {
        let answer = super::http::exchange(&crate::domain::payments::Outbound::post(url.to_string(), "application/json", body.to_string())).await?;
        Ok((answer.status, answer.body))
    }
}

/// What messages need from the configuration: the shop as sender, the link secret, the bank account.
pub fn settings(env: &Env, config: &Config) -> Settings {
    let shop = ShopDetails::from_vars(|name| env.var(name).ok().map(|v| v.to_string()));
    let origin = config.public_origin.as_ref().map(|o| o.as_string()).unwrap_or_default();
    Settings {
        sender: Sender {
            name: env.var("SHOP_NAME").ok().map(|v| v.to_string()).filter(|v| !v.trim().is_empty()).unwrap_or_else(|| "Vestify".to_string()),
            address: shop.address,
            email: shop.email,
            logo_url: format!("{origin}{}", crate::assets::url("img/logo.svg")),
            origin,
        },
        shop_secret: config.shop_secret.clone(),
        bank: config.bank.clone(),
    }
}

/// One delivery pass over the due messages of each channel that has a transport configured
/// (email, Web Push, ZNS), and the apps' webhooks; a channel without one keeps its messages waiting.
pub async fn deliver(env: &Env) -> Result<PassReport, AppError> {
    let config = Config::from_env(env);
    let mail = config.mail.transport != MailTransport::Off;
    let db = D1::open(env)?;
    let claim = super::random::token(8).ok_or_else(|| AppError::Internal("no randomness".into()))?;
    let settings = settings(env, &config);
    let mut report = PassReport::default();
    if mail {
        report = report.plus(run_pass(&db, &WorkerMailer { env, config: &config }, &settings, &claim, now(), PASS_BATCH).await?);
    }
    if let Some(push) = &config.push {
        report = report.plus(run_push_pass(&db, &super::push::WorkerPusher, &settings, push, &claim, now(), PASS_BATCH).await?);
    }
    if let Some(zns) = &config.zns {
        report = report.plus(run_zns_pass(&db, &super::push::WorkerZns, &settings, zns, &claim, now(), PASS_BATCH).await?);
    }
    report = report.plus(run_webhook_pass(&db, &super::push::WorkerWebhooks, &config.webhooks, &claim, now(), PASS_BATCH).await?);
    // Meta's Conversions API for paid orders with advertising consent (`app::capi`).
    if let Some(capi) = &config.meta_capi {
        report = report.plus(crate::app::capi::run_pass(&db, &WorkerCapi, &capi.url(), &settings.sender.origin, &claim, now(), PASS_BATCH).await?);
    }
    Ok(report)
}

/// Outbox rows of one campaign waiting at once (`CAMPAIGN_BATCH`, 1–1000; default
/// `app::campaigns::DEFAULT_BATCH`): the rate at which a campaign goes out.
fn campaign_batch(env: &Env) -> i64 {
    env.var("CAMPAIGN_BATCH").ok().and_then(|v| v.to_string().trim().parse::<i64>().ok()).filter(|n| (1..=1000).contains(n)).unwrap_or(crate::app::campaigns::DEFAULT_BATCH)
}

/// The marketing queueing pass (before a delivery pass): abandoned-cart reminders due, then the
/// campaigns whose time has come and their next recipients (`app::campaigns::run_due`). Nothing
/// to do without email.
pub async fn queue_campaigns(env: &Env) -> Result<crate::app::campaigns::QueueReport, AppError> {
    if Config::from_env(env).mail.transport == MailTransport::Off {
        return Ok(Default::default());
    }
    let db = D1::open(env)?;
    let at = now();
    // Abandoned carts idle an hour get their reminder queued first (`app::cart_reminders`).
    let reminders = db.batch(&crate::app::cart_reminders::due_batch(at)).await?;
    let mut report = crate::app::campaigns::run_due(&db, at, campaign_batch(env)).await?;
    report.cart_reminders = reminders.first().map_or(0, |r| r.changes());
    Ok(report)
}

/// Hours between two back-in-stock waves of a variant (`ALERT_WAVE_GAP_HOURS`, 1–168; default
/// `app::alerts::DEFAULT_WAVE_GAP_HOURS`).
fn wave_gap_hours(env: &Env) -> i64 {
    env.var("ALERT_WAVE_GAP_HOURS").ok().and_then(|v| v.to_string().trim().parse::<i64>().ok()).filter(|n| (1..=168).contains(n)).unwrap_or(crate::app::alerts::DEFAULT_WAVE_GAP_HOURS)
}

/// The back-in-stock follow-up waves (before a delivery pass; `app::alerts::follow_up_waves`): how
/// many waiting shoppers were reached. Every channel, so it runs with or without email.
pub async fn queue_follow_up_waves(env: &Env) -> Result<u64, AppError> {
    let db = D1::open(env)?;
    Ok(crate::app::alerts::follow_up_waves(&db, wave_gap_hours(env) * 3600, now()).await?)
}

/// Starts a pass after the response, without delaying it; a failure is logged.
pub fn deliver_soon(env: &Env, ctx: &Context) {
    let env = env.clone();
    ctx.wait_until(async move {
        match deliver(&env).await {
            Ok(report) if report.claimed > 0 => worker::console_log!("outbox: {}", serde_json::to_string(&report).unwrap_or_default()),
            Ok(_) => {}
            Err(e) => worker::console_error!("outbox pass failed: {e}"),
        }
    });
}
