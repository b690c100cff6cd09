// A local MoMo AIO v2 (captureWallet): create, query and refund, each refused unless its
// `signature` is HMAC-SHA256(secretKey) over the documented alphabetical raw string
// (https://developers.momo.vn/v3/docs/payment/api/wallet/onetime); a payment page that pays or
// declines, then posts the signed IPN to the shop's ipnUrl and sends the shopper to redirectUrl.
import { createHmac } from 'node:crypto';

import { json, page, post, redirect, rid, serve } from './common.mjs';

const raw = (pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&');

export async function startMomoFake({ partnerCode = 'MOMOFAKE', accessKey = `ak${rid(6)}`, secretKey = rid(16) } = {}) {
  const sign = (pairs) => createHmac('sha256', secretKey).update(raw(pairs)).digest('hex');
  const transactions = new Map();
  const refunds = [];
  const fake = { partnerCode, accessKey, secretKey, transactions, refunds, autoDeliver: true, ipns: [] };

  const refuse = (resultCode, message) => json({ partnerCode, resultCode, message, responseTime: Date.now() });

  /** The IPN body for a transaction, signed (or not, with `forge`). */
  fake.ipn = (orderId, { forge = false, amount } = {}) => {
    const t = transactions.get(orderId);
    const n = {
      partnerCode, orderId, requestId: t.requestId, amount: amount ?? t.amount, orderInfo: t.orderInfo, orderType: 'momo_wallet',
      transId: t.transId, resultCode: t.resultCode, message: t.resultCode === 0 ? 'Thành công.' : 'Giao dịch thất bại do tài khoản người dùng không đủ tiền.',
      payType: 'qr', responseTime: Date.now(), extraData: t.extraData,
    };
    const pairs = [['accessKey', accessKey], ['amount', t.amount], ['extraData', n.extraData], ['message', n.message], ['orderId', n.orderId],
      ['orderInfo', n.orderInfo], ['orderType', n.orderType], ['partnerCode', partnerCode], ['payType', n.payType], ['requestId', n.requestId],
      ['responseTime', n.responseTime], ['resultCode', n.resultCode], ['transId', n.transId]];
    n.signature = forge ? sign([['x', 'y']]) : sign(pairs);
    return JSON.stringify(n);
  };
  fake.sendIpn = async (body) => {
    const t = transactions.get(JSON.parse(body).orderId);
    const res = await post(t.ipnUrl, body);
    fake.ipns.push({ body, status: res.status });
    return res;
  };
  /** Settles a transaction as the shopper would on MoMo's page (0 paid, 1001 insufficient funds…). */
  fake.settle = async (orderId, resultCode, { deliver = fake.autoDeliver } = {}) => {
    const t = transactions.get(orderId);
    t.resultCode = resultCode;
    t.transId = resultCode === 0 ? Number(`40${Date.now() % 1e8}`) : 0;
    if (deliver) await fake.sendIpn(fake.ipn(orderId));
    return t;
  };

  const server = await serve('momo', [
    ['POST', /^\/v2\/gateway\/api\/create$/, (req) => {
      const b = JSON.parse(req.body);
      const expected = sign([['accessKey', accessKey], ['amount', b.amount], ['extraData', b.extraData], ['ipnUrl', b.ipnUrl], ['orderId', b.orderId],
        ['orderInfo', b.orderInfo], ['partnerCode', b.partnerCode], ['redirectUrl', b.redirectUrl], ['requestId', b.requestId], ['requestType', b.requestType]]);
      if (b.partnerCode !== partnerCode || b.signature !== expected) return refuse(11, 'Truy cập bị từ chối: chữ ký không hợp lệ.');
      if (b.requestType !== 'captureWallet') return refuse(20, 'requestType');
      if (!Number.isInteger(b.amount) || b.amount < 1000 || b.amount > 50_000_000) return refuse(22, 'Số tiền không hợp lệ.');
      if (transactions.has(b.orderId)) return refuse(41, 'orderId đã tồn tại.');
      transactions.set(b.orderId, { ...b, resultCode: 1000, transId: 0 });
      return json({ partnerCode, orderId: b.orderId, requestId: b.requestId, amount: b.amount, responseTime: Date.now(), message: 'Thành công.', resultCode: 0,
        payUrl: `${server.url}/pay/${b.orderId}` });
    }],
    ['POST', /^\/v2\/gateway\/api\/query$/, (req) => {
      const b = JSON.parse(req.body);
      const expected = sign([['accessKey', accessKey], ['orderId', b.orderId], ['partnerCode', b.partnerCode], ['requestId', b.requestId]]);
      if (b.partnerCode !== partnerCode || b.signature !== expected) return refuse(11, 'Truy cập bị từ chối.');
      const t = transactions.get(b.orderId);
      if (!t) return refuse(42, 'orderId không tồn tại.');
      return json({ partnerCode, orderId: t.orderId, requestId: b.requestId, extraData: t.extraData, amount: t.amount, transId: t.transId, payType: 'qr',
        resultCode: t.resultCode, refundTrans: [], message: 'ok', responseTime: Date.now(), lastUpdated: Date.now() });
    }],
    ['POST', /^\/v2\/gateway\/api\/refund$/, (req) => {
      const b = JSON.parse(req.body);
      const expected = sign([['accessKey', accessKey], ['amount', b.amount], ['description', b.description], ['orderId', b.orderId], ['partnerCode', b.partnerCode],
        ['requestId', b.requestId], ['transId', b.transId]]);
      if (b.partnerCode !== partnerCode || b.signature !== expected) return refuse(11, 'Truy cập bị từ chối.');
      const again = refunds.find((r) => r.orderId === b.orderId);
      if (again) return json(again.reply);
      const t = [...transactions.values()].find((x) => x.transId === b.transId && x.resultCode === 0);
      if (!t) return refuse(1080, 'Giao dịch hoàn tiền bị từ chối.');
      const done = refunds.filter((r) => r.transId === b.transId).reduce((a, r) => a + r.amount, 0);
      if (b.amount + done > t.amount) return refuse(1081, 'Số tiền hoàn vượt quá số tiền của giao dịch.');
      const reply = { partnerCode, orderId: b.orderId, requestId: b.requestId, amount: b.amount, transId: Number(`50${Date.now() % 1e8}`), resultCode: 0, message: 'Thành công.', responseTime: Date.now() };
      refunds.push({ orderId: b.orderId, transId: b.transId, amount: b.amount, reply });
      return json(reply);
    }],
    ['GET', /^\/pay\/(\w+)$/, (req, m) => {
      const t = transactions.get(m[1]);
      if (!t) return { status: 404, body: 'no such order' };
      return page('MoMo (local fake)', [`${t.orderInfo}: ${t.amount} VND`], [['Pay', `/pay/${t.orderId}/0`], ['Decline (insufficient balance)', `/pay/${t.orderId}/1001`]]);
    }],
    ['POST', /^\/pay\/(\w+)\/(\d+)$/, async (req, m) => {
      const t = await fake.settle(m[1], Number(m[2]));
      const n = JSON.parse(fake.ipn(t.orderId));
      const q = new URLSearchParams(Object.entries(n).map(([k, v]) => [k, String(v)]));
      return redirect(`${t.redirectUrl}&${q}`);
    }],
  ]);
  fake.url = server.url;
  fake.requests = server.requests;
  fake.stop = server.stop;
  return fake;
}
