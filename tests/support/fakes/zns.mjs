// A fake Zalo ZNS API (https://developers.zalo.me/docs/zalo-notification-service/gui-tin-zns/gui-zns):
// `POST /message/template` with the OA's token in the `access_token` header and JSON
// `{phone, template_id, template_data, tracking_id}` answers `{"error":0,"data":{"msg_id"}}`. A wrong
// token is error -124, an unknown template -1xx, a phone not in ZNS's `84…` form -108, as Zalo
// answers (HTTP 200 with a non-zero `error`).
import { json, rid, serve } from './common.mjs';

export async function startZnsFake() {
  const accessToken = `zns_${rid(8)}`;
  const templateId = String(100000 + Math.floor(Math.random() * 800000));
  // The alert template (back in stock, price drop): another approved template of the OA.
  const alertTemplateId = String(Number(templateId) + 1);
  const messages = [];
  const fake = await serve('zns', [
    ['POST', /^\/message\/template$/, async (req) => {
      if (req.headers.access_token !== accessToken) return json({ error: -124, message: 'Access token is invalid' });
      const body = JSON.parse(req.body);
      if (body.template_id !== templateId && body.template_id !== alertTemplateId) return json({ error: -131, message: 'Template is invalid' });
      if (!/^84\d{9,10}$/.test(body.phone ?? '')) return json({ error: -108, message: 'Phone number is invalid' });
      const msgId = rid(10);
      messages.push({ msgId, ...body });
      return json({ error: 0, message: 'Success', data: { msg_id: msgId, sent_time: String(Date.now()) } });
    }],
  ]);
  return {
    ...fake,
    messages,
    /** Messages sent to `phone` (ZNS form, `84…`), oldest first. */
    to: (phone) => messages.filter((m) => m.phone === phone),
    vars: { ZNS_API_BASE: fake.url, ZNS_ACCESS_TOKEN: accessToken, ZNS_TEMPLATE_ID: templateId, ZNS_ALERT_TEMPLATE_ID: alertTemplateId },
  };
}
