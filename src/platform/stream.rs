//! Cloudflare Stream through the runtime's `fetch` (issue 22): `app::review_videos::StreamApi` over
//! the requests `domain::stream` builds, and moderators' playback tokens signed with WebCrypto.

use crate::app::review_videos::{StreamApi, StreamFailure, Upload};
use crate::domain::encoding::base64url;
use crate::domain::error::AppError;
use crate::domain::payments::Outbound;
use crate::domain::stream::{self, StreamConfig, UploadRequest, Video};

/// Stream as the shop's account sees it; `allowed_origins` are the hosts the player may run on.
pub struct Stream<'a> {
    pub cfg: &'a StreamConfig,
    pub allowed_origins: Vec<String>,
}

async fn call(o: &Outbound) -> Result<super::http::Answer, StreamFailure> {
    super::http::send(o).await.map_err(|e| StreamFailure(e.to_string()))
}

fn refused(what: &str, a: &super::http::Answer) -> StreamFailure {
    StreamFailure(format!("{what}: {} {}", a.status, a.body.chars().take(200).collect::<String>()))
}

impl StreamApi for Stream<'_> {
    async fn create_upload(&self, review_id: &str, product_id: i64, now: i64) -> Result<Upload, StreamFailure> {
        let req = UploadRequest { review_id, product_id, allowed_origins: self.allowed_origins.clone() };
        let a = call(&stream::direct_upload(self.cfg, &req, now)).await?;
        if a.status != 200 && a.status != 201 {
            return Err(refused("direct upload", &a));
        }
        let (uid, upload_url) = stream::parse_direct_upload(&a.body).ok_or_else(|| refused("direct upload answer", &a))?;
        Ok(Upload { uid, upload_url })
    }

    async fn video(&self, uid: &str) -> Result<Option<Video>, StreamFailure> {
        let a = call(&stream::details(self.cfg, uid)).await?;
        match a.status {
            404 => Ok(None),
            200 => Video::parse(&a.body).map(Some).ok_or_else(|| refused("video details answer", &a)),
            _ => Err(refused("video details", &a)),
        }
    }

    async fn make_public(&self, uid: &str) -> Result<(), StreamFailure> {
        let a = call(&stream::make_public(self.cfg, uid)).await?;
        if a.status == 200 { Ok(()) } else { Err(refused("make public", &a)) }
    }

    async fn delete(&self, uid: &str) -> Result<(), StreamFailure> {
        let a = call(&stream::delete(self.cfg, uid)).await?;
        if matches!(a.status, 200 | 204 | 404) { Ok(()) } else { Err(refused("delete", &a)) }
    }
}

/// The hosts (`host[:port]`) of the shop's canonical origin, with `www.` for a bare domain: the
/// direct upload's `allowedOrigins`.
pub fn allowed_origins(config: &super::config::Config) -> Vec<String> {
    let Some(origin) = config.public_origin.as_ref() else { return Vec::new() };
    let text = origin.as_string();
    let host = text.split_once("://").map_or(text.as_str(), |(_, h)| h).to_string();
    let mut hosts = vec![host.clone()];
    if !host.starts_with("www.") && host.matches('.').count() == 1 {
        hosts.push(format!("www.{host}"));
    }
    hosts
}

/// A moderator's playback token for `uid` (RS256 under the account's signing key, an hour), or
/// `None` when no signing key is configured.
pub async fn playback_token(cfg: &StreamConfig, uid: &str, now: i64) -> Result<Option<String>, AppError> {
    let Some((key_id, key)) = cfg.signing_key.as_ref() else { return Ok(None) };
    let jwk = stream::signing_jwk(key).ok_or_else(|| AppError::Internal("STREAM_SIGNING_KEY is not an RSA private JWK".into()))?;
    let input = stream::playback_token_input(key_id, uid, now);
    let signature = super::webcrypto::sign_rs256(&jwk, input.as_bytes()).await?;
    Ok(Some(format!("{input}.{}", base64url(&signature))))
}
