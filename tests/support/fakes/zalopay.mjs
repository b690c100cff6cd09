// A local ZaloPay v2: create, query and refund, each refused unless its `mac` is HMAC-SHA256(key1)
// over the documented fields (https://docs.zalopay.vn/v2/general/overview.html), and unless
// `app_trans_id` starts with today's date in Vietnam (GMT+7); a payment page that posts the
// callback `{data, mac: HMAC(key2, data), type}` to the shop and sends the shopper back.
import { createHmac } from 'node:crypto';

import { json, page, post, redirect, rid, serve, vnDate } from './common.mjs';

export async function startZalopayFake({ appId = '2553', key1 = rid(16), key2 = rid(16) } = {}) {
  const hmac = (key, s) => createHmac('sha256', key).update(s).digest('hex');
  const orders = new Map();
  const refunds = [];
  const fake = { appId, key1, key2, orders, refunds, autoDeliver: true, callbacks: [] };

  fake.callbackBody = (appTransId, { key = key2, amount } = {}) => {
    const o = orders.get(appTransId);
    const data = JSON.stringify({
      app_id: Number(appId), app_trans_id: o.app_trans_id, app_time: Number(o.app_time), app_user: o.app_user, amount: amount ?? Number(o.amount),
      embed_data: o.embed_data, item: o.item, zp_trans_id: o.zp_trans_id, server_time: Date.now(), channel: 38, merchant_user_id: 'fakeuser',
      user_fee_amount: 0, discount_amount: 0,
    });
    return JSON.stringify({ data, mac: hmac(key, data), type: 1 });
  };
  fake.sendCallback = async (body) => {
    const o = orders.get(JSON.parse(JSON.parse(body).data).app_trans_id);
    const res = await post(o.callback_url, body);
    fake.callbacks.push({ body, status: res.status, json: res.json });
    return res;
  };
  fake.pay = async (appTransId, { deliver = fake.autoDeliver } = {}) => {
    const o = orders.get(appTransId);
    o.paid = true;
    o.zp_trans_id = Number(`${vnDate()}${String(Date.now() % 1e9).padStart(9, '0')}`);
    if (deliver) await fake.sendCallback(fake.callbackBody(appTransId));
    return o;
  };

  const form = (req) => Object.fromEntries(new URLSearchParams(req.body));
  const fail = (return_code, message) => json({ return_code, return_message: message, sub_return_code: -401, sub_return_message: message });

  const server = await serve('zalopay', [
    ['POST', /^\/v2\/create$/, (req) => {
      const p = form(req);
      const mac = hmac(key1, [p.app_id, p.app_trans_id, p.app_user, p.amount, p.app_time, p.embed_data, p.item].join('|'));
      if (p.app_id !== appId || p.mac !== mac) return fail(2, 'Giao dịch thất bại: mac không hợp lệ');
      if (!p.app_trans_id?.startsWith(`${vnDate()}_`) || p.app_trans_id.length > 40) return fail(2, 'app_trans_id phải bắt đầu bằng yymmdd (GMT+7)');
      if (orders.has(p.app_trans_id)) return fail(2, 'app_trans_id trùng');
      orders.set(p.app_trans_id, { ...p, paid: false, zp_trans_id: 0 });
      return json({ return_code: 1, return_message: 'Giao dịch thành công', sub_return_code: 1, sub_return_message: 'Giao dịch thành công',
        zp_trans_token: rid(), order_url: `${server.url}/pay/${p.app_trans_id}`, order_token: rid(), qr_code: rid() });
    }],
    ['POST', /^\/v2\/query$/, (req) => {
      const p = form(req);
      if (p.app_id !== appId || p.mac !== hmac(key1, `${p.app_id}|${p.app_trans_id}|${key1}`)) return fail(2, 'mac không hợp lệ');
      const o = orders.get(p.app_trans_id);
      if (!o) return fail(2, 'không tìm thấy đơn');
      return json(o.paid
        ? { return_code: 1, return_message: 'Giao dịch thành công', sub_return_code: 1, is_processing: false, amount: Number(o.amount), zp_trans_id: o.zp_trans_id, discount_amount: 0 }
        : { return_code: 3, return_message: 'Giao dịch chưa thực hiện hoặc đang xử lý', sub_return_code: -49, is_processing: true, amount: 0, zp_trans_id: 0 });
    }],
    ['POST', /^\/v2\/refund$/, (req) => {
      const p = form(req);
      if (p.app_id !== appId || p.mac !== hmac(key1, [p.app_id, p.zp_trans_id, p.amount, p.description, p.timestamp].join('|'))) return fail(2, 'mac không hợp lệ');
      if (!new RegExp(`^\\d{6}_${appId}_\\w+$`).test(p.m_refund_id ?? '')) return fail(2, 'm_refund_id phải có dạng yymmdd_appid_xxx');
      const again = refunds.find((r) => r.m_refund_id === p.m_refund_id);
      if (again) return json(again.reply);
      const o = [...orders.values()].find((x) => String(x.zp_trans_id) === p.zp_trans_id && x.paid);
      if (!o) return fail(2, 'zp_trans_id không tồn tại');
      const done = refunds.filter((r) => r.zp_trans_id === p.zp_trans_id).reduce((a, r) => a + r.amount, 0);
      if (Number(p.amount) + done > Number(o.amount)) return fail(2, 'số tiền hoàn vượt quá giao dịch');
      const reply = { return_code: 1, return_message: 'Hoàn tiền thành công', sub_return_code: 1, refund_id: Number(`${Date.now()}`) };
      refunds.push({ m_refund_id: p.m_refund_id, zp_trans_id: p.zp_trans_id, amount: Number(p.amount), reply });
      return json(reply);
    }],
    ['GET', /^\/pay\/(\w+)$/, (req, m) => {
      const o = orders.get(m[1]);
      if (!o) return { status: 404, body: 'no such order' };
      return page('ZaloPay (local fake)', [`${o.description}: ${o.amount} VND`], [['Pay', `/pay/${o.app_trans_id}/pay`]]);
    }],
    ['POST', /^\/pay\/(\w+)\/pay$/, async (req, m) => {
      const o = await fake.pay(m[1]);
      const back = JSON.parse(o.embed_data).redirecturl;
      return redirect(`${back}&appid=${appId}&apptransid=${o.app_trans_id}&pmcid=38&bankcode=&amount=${o.amount}&discountamount=0&status=1&checksum=${rid()}`);
    }],
  ]);
  fake.url = server.url;
  fake.requests = server.requests;
  fake.stop = server.stop;
  return fake;
}
