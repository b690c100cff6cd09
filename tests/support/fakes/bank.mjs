// A local bank feed in the manner of SePay: it knows the shop's receiving account and the API key,
// and posts one transaction per request to the shop's /webhooks/bank with
// `Authorization: Apikey <key>`, in SePay's JSON (https://docs.sepay.vn/tich-hop-webhooks.html):
// id, gateway, transactionDate, accountNumber, code, content, transferType, transferAmount,
// accumulated, subAccount, referenceCode, description. Every delivery and its answer is kept.
import { rid } from './common.mjs';

let lastId = 90_000 + Math.floor(Math.random() * 1000);

export function startBankFeed({ bankBin = '970436', accountNo = '0071000123456', accountName = 'CONG TY TNHH VESTIFY', apiKey = `sepay_${rid(16)}` } = {}) {
  const feed = {
    bankBin, accountNo, accountName, apiKey, shopUrl: null, deliveries: [],
    vars: { VIETQR_BANK_BIN: bankBin, VIETQR_ACCOUNT_NO: accountNo, VIETQR_ACCOUNT_NAME: accountName, BANK_WEBHOOK_API_KEY: apiKey },
  };

  /** A transaction of money in, as SePay describes it; `over` replaces any field. */
  feed.transaction = ({ amount, content, ...over }) => {
    lastId += 1;
    const stamp = new Date(Date.now() + 7 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
    return {
      id: lastId, gateway: 'Vietcombank', transactionDate: stamp, accountNumber: accountNo, code: null,
      content, transferType: 'in', transferAmount: amount, accumulated: 50_000_000, subAccount: null,
      referenceCode: `FT${rid(5).toUpperCase()}`, description: `BankAPINotify ${content}`, ...over,
    };
  };

  /** Posts `tx` to the shop (`key`: another key, or null for none); resolves { status, json, text }. */
  feed.deliver = async (tx, { key = apiKey } = {}) => {
    const headers = { 'content-type': 'application/json' };
    if (key !== null) headers.authorization = `Apikey ${key}`;
    const res = await fetch(`${feed.shopUrl}/webhooks/bank`, { method: 'POST', headers, body: JSON.stringify(tx) });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    const answer = { status: res.status, json, text };
    feed.deliveries.push({ tx, key, answer });
    return answer;
  };

  return feed;
}
