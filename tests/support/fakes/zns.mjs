// A fake Zalo ZNS API (https://developers.zalo.me/docs/zalo-notification-service/gui-tin-zns/gui-zns):
// `POST /message/template` with the OA's token in the `access_token` header and JSON
// `{phone, template_id, template_data, tracking_id}` answers `{"error":0,"data":{"msg_id"}}`. A wrong
// token is error -124, an unknown template -1xx, a phone not in ZNS's `84…` form -108, as Zalo
// answers (HTTP 200 with a non-zero `error`). `POST /v4/oa/access_token` refreshes the OA token as
// Zalo's OAuth server does (form `refresh_token`, `app_id`, `grant_type=refresh_token`, header
// `secret_key`): each refresh token once, error -14014 for a spent one.
import { json, rid, serve } from './common.mjs';

export async function startZnsFake() {
  const accessToken = `zns_${rid(8)}`;
  // Zalo's OAuth refresh (POST /v4/oa/access_token): the app's id and secret, and refresh tokens
  // that each work once; every refresh issues a new access token, which the API then accepts.
  const appId = `app_${rid(6)}`;
  const appSecret = `sec_${rid(10)}`;
  let refreshToken = `rt_${rid(10)}`;
  const issued = new Set([accessToken]);
  const refreshes = [];
  const templateId = String(100000 + Math.floor(Math.random() * 800000));
  // The alert template (back in stock, price drop): another approved template of the OA.
  const alertTemplateId = String(Number(templateId) + 1);
  const messages = [];
  const fake = await serve('zns', [
    ['POST', /^\/message\/template$/, async (req) => {
      if (!issued.has(req.headers.access_token)) return json({ error: -124, message: 'Access token is invalid' });
      const body = JSON.parse(req.body);
      if (body.template_id !== templateId && body.template_id !== alertTemplateId) return json({ error: -131, message: 'Template is invalid' });
      if (!/^84\d{9,10}$/.test(body.phone ?? '')) return json({ error: -108, message: 'Phone number is invalid' });
      const msgId = rid(10);
      messages.push({ msgId, ...body });
      return json({ error: 0, message: 'Success', data: { msg_id: msgId, sent_time: String(Date.now()) } });
    }],
    ['POST', /^\/v4\/oa\/access_token$/, async (req) => {
      const form = new URLSearchParams(req.body);
      refreshes.push(Object.fromEntries(form));
      if (req.headers.secret_key !== appSecret || form.get('app_id') !== appId) return json({ error: -14002, error_description: 'Invalid app' });
      if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== refreshToken) return json({ error: -14014, error_description: 'Invalid refresh token' });
      const access = `zns_${rid(8)}`;
      issued.add(access);
      refreshToken = `rt_${rid(10)}`;
      return json({ access_token: access, refresh_token: refreshToken, expires_in: '90000' });
    }],
  ]);
  return {
    ...fake,
    messages,
    /** Messages sent to `phone` (ZNS form, `84…`), oldest first. */
    to: (phone) => messages.filter((m) => m.phone === phone),
    refreshes,
    vars: { ZNS_API_BASE: fake.url, ZNS_OAUTH_BASE: fake.url, ZNS_APP_ID: appId, ZNS_APP_SECRET: appSecret, ZNS_REFRESH_TOKEN: refreshToken, ZNS_ACCESS_TOKEN: accessToken, ZNS_TEMPLATE_ID: templateId, ZNS_ALERT_TEMPLATE_ID: alertTemplateId },
  };
}
